// The Bus contract, run against every implementation: InProcessBus and NatsBus (on a real
// nats-server started for the suite on a free loopback port).
#include <gtest/gtest.h>

#include "bus/in_process.hpp"
#include "bus/nats_bus.hpp"
#include "eventually.hpp"
#include "nats_server.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <mutex>
#include <thread>
#include <vector>

namespace kaiwu::bus {
namespace {

using namespace std::chrono_literals;

MessagePtr telemetry(std::string tenant, std::string device, double v) {
  Telemetry t{std::move(tenant), std::move(device), {{"temp", 1000, v}}};
  return std::make_shared<const Message>(Message{std::move(t)});
}

using testing::eventually;

struct Collected {
  std::mutex mu;
  std::vector<MessagePtr> items;
  Handler handler() {
    return [this](const MessagePtr& m) {
      std::lock_guard lock(mu);
      items.push_back(m);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return items.size();
  }
};

enum class Impl { kInProcess, kNats };

class BusConformance : public ::testing::TestWithParam<Impl> {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    server_ = std::make_unique<testing::NatsServer>("conformance", dir_->path());
    server_->start();
    ASSERT_TRUE(server_->wait_ready());
  }
  static void TearDownTestSuite() {
    server_.reset();
    dir_.reset();
  }

  std::unique_ptr<Bus> make_bus(MetricsRegistry& metrics) {
    if (GetParam() == Impl::kInProcess) return std::make_unique<InProcessBus>(metrics);
    NatsBusOptions o;
    o.servers = server_->url();
    o.node_name = "conformance";
    auto bus = NatsBus::connect(o, metrics);
    EXPECT_TRUE(bus) << bus.error().message;
    return bus ? std::move(*bus) : nullptr;
  }
  bool nats() const { return GetParam() == Impl::kNats; }
  void SetUp() override { bus_ = make_bus(metrics); }
  void TearDown() override { bus_.reset(); }

  MetricsRegistry metrics;  // declared before bus_: outlives it
  std::unique_ptr<Bus> bus_;

  static inline std::unique_ptr<testing::TempDir> dir_;
  static inline std::unique_ptr<testing::NatsServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Impls, BusConformance, ::testing::Values(Impl::kInProcess, Impl::kNats),
                         [](const auto& info) { return info.param == Impl::kNats ? "Nats" : "InProcess"; });

TEST_P(BusConformance, DeliversInOrderAndSharesTheMessage) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  Collected a, b;
  auto sa = bus.subscribe({.name = "a"}, a.handler());
  auto sb = bus.subscribe({.name = "b"}, b.handler());
  std::vector<MessagePtr> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(telemetry("t1", "d1", i));
    bus.publish(sent.back());
  }
  ASSERT_TRUE(eventually([&] { return a.size() == 100 && b.size() == 100; }));
  for (int i = 0; i < 100; ++i) {
    if (!nats()) {
      EXPECT_EQ(a.items[i].get(), sent[i].get());  // the same object: fan-out does not copy
    }
    EXPECT_EQ(std::get<double>(std::get<Telemetry>(a.items[i]->payload).samples[0].value), i);
  }
  EXPECT_EQ(sa->stats().delivered, 100u);
  EXPECT_EQ(sa->stats().dropped, 0u);
  auto text = metrics.render();
  EXPECT_NE(text.find("kaiwu_bus_published_total{kind=\"telemetry\"} 100"), std::string::npos) << text;
  EXPECT_NE(text.find("kaiwu_bus_delivered_total{subscriber=\"a\"} 100"), std::string::npos) << text;
}

TEST_P(BusConformance, FiltersByKindAndTenant) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  Collected alarms, t2, all;
  SubscribeOptions ao{.name = "alarms"};
  ao.only({Kind::kAlarm, Kind::kLifecycle});
  auto s1 = bus.subscribe(ao, alarms.handler());
  auto s2 = bus.subscribe({.name = "t2", .tenant = "t2"}, t2.handler());
  auto s3 = bus.subscribe({.name = "all"}, all.handler());
  bus.publish(telemetry("t1", "d1", 1));
  bus.publish(telemetry("t2", "d2", 2));
  model::Alarm alarm;
  alarm.tenant_id = "t2";
  alarm.type = "High";
  bus.publish(Payload{AlarmEvent{AlarmChange::kCreated, alarm}});
  bus.publish(Payload{DeviceLifecycle{"t1", "d1", LifecycleEvent::kConnected, 5}});
  ASSERT_TRUE(eventually([&] { return all.size() == 4; }));
  ASSERT_TRUE(eventually([&] { return alarms.size() == 2 && t2.size() == 2; }));
  // Order holds per kind; NatsBus carries kinds on separate streams, so compare kinds as sets.
  auto kinds = [](Collected& c) {
    std::multiset<Kind> out;
    for (const auto& m : c.items) out.insert(m->kind());
    return out;
  };
  EXPECT_EQ(kinds(alarms), (std::multiset<Kind>{Kind::kAlarm, Kind::kLifecycle}));
  EXPECT_EQ(kinds(t2), (std::multiset<Kind>{Kind::kTelemetry, Kind::kAlarm}));
  for (const auto& m : t2.items) EXPECT_EQ(m->tenant(), "t2");
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(alarms.size(), 2u);
  EXPECT_EQ(t2.size(), 2u);
}

TEST_P(BusConformance, FullQueueDropsAndCountsWithoutBlockingPublish) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  std::mutex gate;
  std::unique_lock hold(gate);  // the slow subscriber is stuck until we release it
  std::atomic<int> slow_seen{0};
  std::atomic<bool> entered{false};
  auto slow = bus.subscribe({.name = "slow", .capacity = 10}, [&](const MessagePtr&) {
    entered = true;
    std::lock_guard wait(gate);
    ++slow_seen;
  });
  Collected fast;
  auto fs = bus.subscribe({.name = "fast", .capacity = 100'000}, fast.handler());
  bus.publish(telemetry("t", "d", 0));
  ASSERT_TRUE(eventually([&] { return entered.load(); }));  // the slow handler now holds one message
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i < 1000; ++i) bus.publish(telemetry("t", "d", i));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 2s);  // generous: publish did not wait for the stuck subscriber
  ASSERT_TRUE(eventually([&] { return fast.size() == 1000; }));
  // At most one message in the handler plus 10 queued; the rest dropped.
  ASSERT_TRUE(eventually([&] { return slow->stats().dropped + slow->stats().queued == 999; }));
  auto st = slow->stats();
  EXPECT_EQ(st.dropped, 989u);
  EXPECT_EQ(st.queued, 10u);
  EXPECT_EQ(st.dropped + st.queued + st.delivered + 1, 1000u);  // +1: the one blocked in the handler
  hold.unlock();
  ASSERT_TRUE(eventually([&] { return slow->stats().queued == 0 && slow_seen == static_cast<int>(1000 - st.dropped); }));
  EXPECT_EQ(fs->stats().dropped, 0u);
  auto text = metrics.render();
  EXPECT_NE(text.find("kaiwu_bus_dropped_total{subscriber=\"slow\"} " + std::to_string(st.dropped)), std::string::npos) << text;
  EXPECT_NE(text.find("kaiwu_bus_critical_dropped_total{subscriber=\"slow\"} 0"), std::string::npos) << text;
}

TEST_P(BusConformance, CriticalDropsAreCountedSeparately) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  std::mutex gate;
  std::unique_lock hold(gate);
  std::atomic<bool> entered{false};
  auto s = bus.subscribe({.name = "rules", .capacity = 1, .critical = true}, [&](const MessagePtr&) {
    entered = true;
    std::lock_guard wait(gate);
  });
  for (int i = 0; i < 5; ++i) bus.publish(telemetry("t", "d", i));
  // One message held in the handler, one queued, the rest dropped (once all have arrived).
  ASSERT_TRUE(eventually([&] { return entered && s->stats().dropped + s->stats().queued == 4; }));
  hold.unlock();
  ASSERT_TRUE(eventually([&] { return s->stats().queued == 0 && s->stats().delivered + s->stats().dropped == 5; }));
  auto dropped = s->stats().dropped;
  EXPECT_GE(dropped, 3u);
  EXPECT_NE(metrics.render().find("kaiwu_bus_critical_dropped_total{subscriber=\"rules\"} " + std::to_string(dropped)),
            std::string::npos);
}

TEST_P(BusConformance, PostedDeliveryKeepsOrderOnAPool) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  // A tiny two-thread executor: tasks may run on either thread.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  bool quit = false;
  auto worker = [&] {
    while (true) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return quit || !tasks.empty(); });
      if (tasks.empty()) return;
      auto t = std::move(tasks.front());
      tasks.pop_front();
      lock.unlock();
      t();
    }
  };
  std::thread w1(worker), w2(worker);
  Post post = [&](std::function<void()> task) {
    std::lock_guard lock(mu);
    tasks.push_back(std::move(task));
    cv.notify_one();
  };
  std::vector<int> seen;
  std::mutex seen_mu;
  {
    auto s = bus.subscribe({.name = "posted", .post = post}, [&](const MessagePtr& m) {
      std::lock_guard lock(seen_mu);
      seen.push_back(static_cast<int>(std::get<double>(std::get<Telemetry>(m->payload).samples[0].value)));
    });
    for (int i = 0; i < 500; ++i) bus.publish(telemetry("t", "d", i));
    ASSERT_TRUE(eventually([&] { return s->stats().delivered == 500; }));
  }
  {
    std::lock_guard lock(mu);
    quit = true;
    cv.notify_all();
  }
  w1.join();
  w2.join();
  ASSERT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(seen[i], i);
}

TEST_P(BusConformance, NoDeliveryAfterUnsubscribeAndSubscriptionMayOutliveBus) {
  std::atomic<int> count{0};
  std::unique_ptr<Subscription> s;
  {
    auto owner = make_bus(metrics);
    ASSERT_TRUE(owner);
    Bus& bus = *owner;
    s = bus.subscribe({.name = "x"}, [&](const MessagePtr&) {
      std::this_thread::sleep_for(1ms);
      ++count;
    });
    for (int i = 0; i < 50; ++i) bus.publish(telemetry("t", "d", i));
  }
  s.reset();  // the bus is gone; this must neither crash nor hang
  int after = count.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count.load(), after);
  EXPECT_LE(after, 50);
}

TEST_P(BusConformance, HandlerExceptionIsContained) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  std::atomic<int> ok{0};
  auto s = bus.subscribe({.name = "throws"}, [&](const MessagePtr& m) {
    if (std::get<double>(std::get<Telemetry>(m->payload).samples[0].value) == 0) throw std::runtime_error("boom");
    ++ok;
  });
  bus.publish(telemetry("t", "d", 0));
  bus.publish(telemetry("t", "d", 1));
  ASSERT_TRUE(eventually([&] { return s->stats().delivered == 2; }));
  EXPECT_EQ(ok.load(), 1);
}

TEST_P(BusConformance, GroupMemberGetsEveryMessageInOrderPerDevice) {
  ASSERT_TRUE(bus_);
  Bus& bus = *bus_;
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  SubscribeOptions so{.name = "grp", .group = "conformance-group"};
  so.only({Kind::kTelemetry});
  auto s = bus.subscribe(so, [&](const MessagePtr& m) {
    const auto& t = std::get<Telemetry>(m->payload);
    std::lock_guard lock(mu);
    seen[t.device].push_back(static_cast<int>(std::get<double>(t.samples[0].value)));
  });
  for (int i = 0; i < 40; ++i)
    for (int d = 0; d < 5; ++d) bus.publish(telemetry("t", "dev" + std::to_string(d), i));
  bus.publish(Payload{DeviceLifecycle{"t", "dev0", LifecycleEvent::kConnected, 1}});  // not wanted
  ASSERT_TRUE(eventually([&] { return s->stats().delivered == 200; }, 20s)) << s->stats().delivered;
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 5u);
  for (const auto& [device, values] : seen) {
    ASSERT_EQ(values.size(), 40u) << device;
    for (int i = 0; i < 40; ++i) EXPECT_EQ(values[i], i) << device;
  }
}

TEST(Messages, Names) {
  EXPECT_EQ(kind_name(Kind::kAlarm), "alarm");
  EXPECT_EQ(lifecycle_name(LifecycleEvent::kDisconnected), "disconnected");
  EXPECT_EQ(alarm_change_name(AlarmChange::kAcknowledged), "acknowledged");
  EXPECT_EQ(model::alarm_severity_name(model::AlarmSeverity::kMajor), "major");
  EXPECT_EQ(model::parse_alarm_status("cleared-unacknowledged"), model::AlarmStatus::kClearedUnacknowledged);
  EXPECT_FALSE(model::parse_alarm_severity("fatal"));
  model::Alarm a;
  a.cleared = true;
  EXPECT_EQ(a.status(), model::AlarmStatus::kClearedUnacknowledged);
  a.acknowledged = true;
  EXPECT_EQ(a.status(), model::AlarmStatus::kCleared);
}

}  // namespace
}  // namespace kaiwu::bus
