#include "alarm/service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "alarm/alarm_json.hpp"
#include "bus/in_process.hpp"
#include "meta/sqlite_store.hpp"

#include <boost/json.hpp>

namespace kaiwu::alarm {
namespace {

using namespace std::chrono_literals;

struct World {
  MetricsRegistry metrics;
  std::unique_ptr<meta::SqliteStore> store = std::move(*meta::SqliteStore::open(":memory:"));
  bus::InProcessBus bus{metrics};
  AlarmService service{*store, bus};
  std::mutex mu;
  std::vector<bus::AlarmEvent> events;
  std::unique_ptr<bus::Subscription> sub;
  model::Tenant tenant;
  model::Device device;

  World() {
    bus::SubscribeOptions o{.name = "test"};
    o.only({bus::Kind::kAlarm});
    sub = bus.subscribe(o, [this](const bus::MessagePtr& m) {
      std::lock_guard lock(mu);
      events.push_back(std::get<bus::AlarmEvent>(m->payload));
    });
    tenant = *store->create_tenant(model::Tenant{"", "t", "", 0});
    auto ent = *store->create_enterprise(meta::Scope::tenant(tenant.id), model::Enterprise{.name = "e"});
    model::Device d;
    d.enterprise_id = ent.id;
    d.name = "boiler";
    device = *store->create_device(meta::Scope::tenant(tenant.id), d);
  }

  std::vector<bus::AlarmEvent> wait_events(std::size_t n) {
    auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard lock(mu);
        if (events.size() >= n) return events;
      }
      std::this_thread::sleep_for(1ms);
    }
    std::lock_guard lock(mu);
    return events;
  }
};

TEST(AlarmService, EachChangeIsStoredThenPublished) {
  World w;
  auto scope = meta::Scope::tenant(w.tenant.id);
  model::Alarm a;
  a.device_id = w.device.id;
  a.type = "HighTemp";
  a.severity = model::AlarmSeverity::kMajor;
  a.details_json = R"({"temp":91.5})";
  auto first = w.service.raise(scope, a, "rule:chain1");
  ASSERT_TRUE(first) << first.error().message;
  auto again = w.service.raise(scope, a, "rule:chain1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->alarm.count, 2);
  auto acked = w.service.acknowledge(scope, first->alarm.id, "alice");
  ASSERT_TRUE(acked);
  auto cleared = w.service.clear(scope, first->alarm.id, "bob");
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(w.service.clear(scope, first->alarm.id, "bob"));  // second clear refused, not published

  auto events = w.wait_events(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].change, bus::AlarmChange::kCreated);
  EXPECT_EQ(events[1].change, bus::AlarmChange::kUpdated);
  EXPECT_EQ(events[1].alarm.count, 2);
  EXPECT_EQ(events[2].change, bus::AlarmChange::kAcknowledged);
  EXPECT_EQ(events[2].alarm.ack_by, "alice");
  EXPECT_EQ(events[3].change, bus::AlarmChange::kCleared);
  EXPECT_EQ(events[3].alarm.clear_by, "bob");
  EXPECT_EQ(events[3].alarm.status(), model::AlarmStatus::kCleared);
  for (const auto& e : events) {
    EXPECT_EQ(e.alarm.id, first->alarm.id);
    EXPECT_EQ(e.alarm.tenant_id, w.tenant.id);
    EXPECT_EQ(e.alarm.enterprise_id, w.device.enterprise_id);
  }
  std::this_thread::sleep_for(20ms);
  {
    std::lock_guard lock(w.mu);
    EXPECT_EQ(w.events.size(), 4u);  // the refused second clear published nothing
  }

  auto j = to_json(events[3].alarm);
  EXPECT_EQ(j.at("status").as_string(), "cleared");
  EXPECT_EQ(j.at("severity").as_string(), "major");
  EXPECT_EQ(j.at("details").at("temp").as_double(), 91.5);
  EXPECT_EQ(j.at("count").as_int64(), 2);
}

TEST(AlarmService, ClearOpenClearsOnlyAnUnclearedAlarm) {
  World w;
  auto scope = meta::Scope::tenant(w.tenant.id);
  auto none = w.service.clear_open(scope, w.device.id, "Offline", "rule:x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  model::Alarm a;
  a.device_id = w.device.id;
  a.type = "Offline";
  ASSERT_TRUE(w.service.raise(scope, a, "rule:x"));
  auto one = w.service.clear_open(scope, w.device.id, "Offline", "rule:x");
  ASSERT_TRUE(one);
  EXPECT_TRUE(*one);
  auto events = w.wait_events(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].change, bus::AlarmChange::kCleared);
  EXPECT_EQ(events[1].alarm.status(), model::AlarmStatus::kClearedUnacknowledged);
  // Another tenant's scope cannot touch it.
  auto other = *w.store->create_tenant(model::Tenant{"", "other", "", 0});
  EXPECT_FALSE(w.service.acknowledge(meta::Scope::tenant(other.id), events[0].alarm.id, "mallory"));
}

}  // namespace
}  // namespace kaiwu::alarm
