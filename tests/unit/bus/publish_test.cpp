#include "bus/publish.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <vector>

namespace kaiwu::bus {
namespace {

// Records what is published, synchronously.
class RecordingBus final : public Bus {
 public:
  std::vector<MessagePtr> published;
  void publish(MessagePtr m) override { published.push_back(std::move(m)); }
  using Bus::publish;
  std::unique_ptr<Subscription> subscribe(SubscribeOptions, Handler) override { return nullptr; }
};

struct Point {  // the shape of tsdb::Point
  std::string tenant, device, key;
  std::int64_t ts = 0;
  Value value;
};

TEST(PublishPoints, OneMessagePerRunOfADevice) {
  RecordingBus bus;
  std::vector<Point> points = {{"t", "d1", "a", 1, 1.5},        {"t", "d1", "b", 1, std::int64_t{7}},
                               {"t", "d2", "a", 2, true},       {"t", "d1", "c", 3, std::string("on")},
                               {"u", "d1", "a", 4, 2.0}};
  publish_points(&bus, points);
  ASSERT_EQ(bus.published.size(), 4u);
  const auto& first = std::get<Telemetry>(bus.published[0]->payload);
  EXPECT_EQ(first.tenant, "t");
  EXPECT_EQ(first.device, "d1");
  ASSERT_EQ(first.samples.size(), 2u);
  EXPECT_EQ(first.samples[0].key, "a");
  EXPECT_EQ(std::get<double>(first.samples[0].value), 1.5);
  EXPECT_EQ(std::get<std::int64_t>(first.samples[1].value), 7);
  EXPECT_EQ(std::get<Telemetry>(bus.published[1]->payload).device, "d2");
  EXPECT_EQ(std::get<std::string>(std::get<Telemetry>(bus.published[2]->payload).samples[0].value), "on");
  EXPECT_EQ(bus.published[3]->tenant(), "u");
  publish_points(nullptr, points);  // no bus: nothing happens
  std::vector<Point> none;
  publish_points(&bus, none);
  EXPECT_EQ(bus.published.size(), 4u);
}

TEST(PublishAttributes, BuildsAValidJsonObjectWithEscapedKeys) {
  RecordingBus bus;
  publish_attributes(&bus, "t", "d", model::AttributeScope::kShared,
                     {{"plain", "1"}, {"quo\"te", "\"x\""}, {std::string("ctl\x01"), "{\"a\":[1,2]}"}}, 42);
  ASSERT_EQ(bus.published.size(), 1u);
  const auto& a = std::get<AttributeChange>(bus.published[0]->payload);
  EXPECT_EQ(a.scope, model::AttributeScope::kShared);
  EXPECT_EQ(a.ts, 42);
  auto v = boost::json::parse(a.values_json).as_object();
  EXPECT_EQ(v.at("plain").as_int64(), 1);
  EXPECT_EQ(v.at("quo\"te").as_string(), "x");
  EXPECT_EQ(v.at("ctl\x01").at("a").as_array().size(), 2u);
  publish_attributes(&bus, "t", "d", model::AttributeScope::kShared, {}, 1);  // nothing changed: nothing sent
  EXPECT_EQ(bus.published.size(), 1u);
}

TEST(PublishLifecycle, CarriesTheEvent) {
  RecordingBus bus;
  publish_lifecycle(&bus, "t", "d", LifecycleEvent::kDeleted, 9);
  ASSERT_EQ(bus.published.size(), 1u);
  EXPECT_EQ(bus.published[0]->kind(), Kind::kLifecycle);
  EXPECT_EQ(std::get<DeviceLifecycle>(bus.published[0]->payload).event, LifecycleEvent::kDeleted);
}

}  // namespace
}  // namespace kaiwu::bus
