// NatsBus behaviour beyond the shared contract: consumer groups across nodes, durability of a
// group's consumers, the publish window, connection errors. One real nats-server per suite.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bus/nats_bus.hpp"
#include "eventually.hpp"
#include "nats_server.hpp"

namespace kaiwu::bus {
namespace {

using namespace std::chrono_literals;

using testing::eventually;

MessagePtr telemetry(std::string device, int v) {
  return std::make_shared<const Message>(Message{Telemetry{"t", std::move(device), {{"seq", 1000, double(v)}}}});
}

int value_of(const MessagePtr& m) {
  return static_cast<int>(std::get<double>(std::get<Telemetry>(m->payload).samples[0].value));
}

class NatsBusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    server_ = std::make_unique<testing::NatsServer>("single", dir_->path());
    server_->start();
    ASSERT_TRUE(server_->wait_ready());
  }
  static void TearDownTestSuite() {
    server_.reset();
    dir_.reset();
  }
  std::unique_ptr<NatsBus> connect(const std::string& node, MetricsRegistry& metrics, NatsBusOptions o = {}) {
    o.servers = server_->url();
    o.node_name = node;
    auto bus = NatsBus::connect(std::move(o), metrics);
    EXPECT_TRUE(bus) << bus.error().message;
    return bus ? std::move(*bus) : nullptr;
  }
  static inline std::unique_ptr<testing::TempDir> dir_;
  static inline std::unique_ptr<testing::NatsServer> server_;
};

// Two nodes, one group: every message handled once, by either node, in order per device.
TEST_F(NatsBusTest, GroupSharesMessagesAcrossNodesInOrderPerDevice) {
  MetricsRegistry ma, mb;
  auto a = connect("node-a", ma);
  auto b = connect("node-b", mb);
  ASSERT_TRUE(a && b);
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  std::map<std::string, int> by_node;
  auto handler = [&](const char* node) {
    return [&, node](const MessagePtr& m) {
      std::this_thread::sleep_for(100us);  // some work, so both nodes get a share
      std::lock_guard lock(mu);
      seen[std::get<Telemetry>(m->payload).device].push_back(value_of(m));
      ++by_node[node];
    };
  };
  SubscribeOptions so{.name = "rules", .group = "share"};
  auto sa = a->subscribe(so, handler("a"));
  auto sb = b->subscribe(so, handler("b"));
  constexpr int kDevices = 16, kEach = 40;
  for (int i = 0; i < kEach; ++i)
    for (int d = 0; d < kDevices; ++d) (d % 2 ? a : b)->publish(telemetry("dev" + std::to_string(d), i));
  ASSERT_TRUE(eventually([&] { return sa->stats().delivered + sb->stats().delivered == kDevices * kEach; }, 30s))
      << sa->stats().delivered << " + " << sb->stats().delivered;
  std::this_thread::sleep_for(200ms);  // nothing more arrives
  std::lock_guard lock(mu);
  EXPECT_EQ(sa->stats().delivered + sb->stats().delivered, static_cast<std::uint64_t>(kDevices * kEach));
  EXPECT_GT(by_node["a"], 0);
  EXPECT_GT(by_node["b"], 0);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kDevices));
  for (const auto& [device, values] : seen) {
    ASSERT_EQ(values.size(), static_cast<std::size_t>(kEach)) << device;
    for (int i = 0; i < kEach; ++i) ASSERT_EQ(values[i], i) << device;
  }
  EXPECT_NE(ma.render().find("kaiwu_bus_consumer_pending{subscriber=\"rules\"}"), std::string::npos);
}

// The group's consumers are durable: what is published while no member runs waits for the next.
TEST_F(NatsBusTest, GroupKeepsMessagesWhileNoMemberIsSubscribed) {
  MetricsRegistry metrics;
  auto bus = connect("node-d", metrics);
  ASSERT_TRUE(bus);
  std::mutex mu;
  std::vector<int> seen;
  auto handler = [&](const MessagePtr& m) {
    std::lock_guard lock(mu);
    seen.push_back(value_of(m));
  };
  SubscribeOptions so{.name = "durable", .group = "durable-group"};
  auto s = bus->subscribe(so, handler);
  bus->publish(telemetry("d", 0));
  ASSERT_TRUE(eventually([&] { return s->stats().delivered == 1; }, 10s));
  s.reset();
  for (int i = 1; i <= 20; ++i) bus->publish(telemetry("d", i));
  std::this_thread::sleep_for(300ms);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen.size(), 1u);  // no member: nothing handled
  }
  s = bus->subscribe(so, handler);
  ASSERT_TRUE(eventually([&] { return s->stats().delivered == 20; }, 10s));
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 21u);
  for (int i = 0; i <= 20; ++i) EXPECT_EQ(seen[i], i);
}

// publish() never waits for NATS: past the pending window it drops and counts.
TEST_F(NatsBusTest, PublishWindowOverflowDropsAndCounts) {
  MetricsRegistry metrics;
  std::atomic<int> acked{0}, failed{0};
  NatsBusOptions o;
  o.publish_window = 4;
  o.on_publish_result = [&](std::string_view, bool ok) { ++(ok ? acked : failed); };
  auto bus = connect("node-w", metrics, o);
  ASSERT_TRUE(bus);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) bus->publish(telemetry("w", i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_TRUE(eventually([&] { return metrics.render().find("kaiwu_bus_publish_pending 0\n") != std::string::npos; }, 10s));
  auto text = metrics.render();
  auto dropped_pos = text.find("\nkaiwu_bus_publish_dropped_total ");
  ASSERT_NE(dropped_pos, std::string::npos) << text;
  auto dropped = std::stoi(text.substr(dropped_pos + 33));
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(acked + failed + dropped, 2000) << text;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_NE(text.find("kaiwu_bus_published_total{kind=\"telemetry\"} 2000"), std::string::npos);
}

TEST_F(NatsBusTest, NoServerIsAClearError) {
  MetricsRegistry metrics;
  NatsBusOptions o;
  o.servers = "nats://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  auto start = std::chrono::steady_clock::now();
  auto bus = NatsBus::connect(o, metrics);
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.error().code, Errc::kUnavailable);
  EXPECT_NE(bus.error().message.find("connect"), std::string::npos) << bus.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  o.servers = " , ";
  EXPECT_EQ(NatsBus::connect(o, metrics).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace kaiwu::bus
