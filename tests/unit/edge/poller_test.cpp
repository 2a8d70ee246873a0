#include "edge/poller.hpp"

#include <gtest/gtest.h>

#include "edge/payload.hpp"
#include "fake_driver.hpp"

namespace kaiwu::edge {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

struct Harness {
  asio::io_context io;
  std::shared_ptr<test::FakeDevice> dev = std::make_shared<test::FakeDevice>();
  std::vector<std::vector<drivers::Reading>> batches;
  std::vector<bool> states;
  std::shared_ptr<DevicePoller> poller;

  explicit Harness(std::uint32_t interval_ms, std::vector<drivers::PointConfig> points) {
    DeviceConfig c;
    c.driver = "fake";
    c.settings.name = "dev-1";
    c.interval_ms = interval_ms;
    c.points = std::move(points);
    poller = std::make_shared<DevicePoller>(
        io.get_executor(), c, std::make_unique<test::FakeDriver>(io.get_executor(), dev),
        [this](const std::string& name, std::vector<drivers::Reading> r) {
          EXPECT_EQ(name, "dev-1");
          batches.push_back(std::move(r));
        },
        [this](const std::string&, bool up) { states.push_back(up); });
  }
  void run_for(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
  void finish() {
    poller->stop();
    io.restart();
    io.run_for(200ms);
    EXPECT_TRUE(poller->stopped());
  }
};

drivers::PointConfig point(std::string key, std::string address, std::optional<double> deadband = {}) {
  drivers::PointConfig p;
  p.key = std::move(key);
  p.address = std::move(address);
  p.type = drivers::DataType::kFloat64;
  p.deadband = deadband;
  return p;
}

TEST(DevicePoller, PollsAtTheIntervalWithoutDrift) {
  Harness h(50, {point("t", "reg:0")});
  h.dev->values["reg:0"] = 1.5;
  h.poller->start();
  h.run_for(1025ms);
  auto c = h.poller->counters();
  // Ticks at 0, 50, …, 1000 ms: 21 polls. A loaded machine (CI, helpers building) may wake the
  // timer late enough to skip a tick or two; drift would lose far more than that.
  EXPECT_GE(c.polls, 18u);
  EXPECT_LE(c.polls, 22u);
  EXPECT_LE(c.missed_ticks, 2u);
  EXPECT_GE(c.polls + c.missed_ticks, 20u);
  EXPECT_TRUE(c.connected);
  EXPECT_EQ(h.states, std::vector<bool>{true});
  ASSERT_FALSE(h.batches.empty());
  ASSERT_EQ(h.batches[0].size(), 1u);
  EXPECT_EQ(h.batches[0][0].key, "t");
  EXPECT_EQ(std::get<double>(*h.batches[0][0].value), 1.5);
  EXPECT_GT(h.batches[0][0].ts, 1'600'000'000'000);
  h.finish();
}

TEST(DevicePoller, SkipsAndCountsMissedTicks) {
  Harness h(10, {point("t", "reg:0")});
  h.dev->values["reg:0"] = 1.0;
  h.dev->delay = 35ms;  // each read overruns three ticks
  h.poller->start();
  h.run_for(300ms);
  auto c = h.poller->counters();
  EXPECT_GE(c.missed_ticks, 2 * c.polls - 2);
  EXPECT_LE(c.polls, 10u);
  h.finish();
}

TEST(DevicePoller, DeadbandSuppressesSmallChanges) {
  Harness h(10, {point("t", "reg:0", 0.5), point("raw", "reg:1")});
  h.dev->values["reg:0"] = 10.0;
  h.dev->values["reg:1"] = 1.0;
  h.poller->start();
  h.run_for(55ms);
  h.dev->values["reg:0"] = 10.3;  // within the deadband
  h.run_for(50ms);
  h.dev->values["reg:0"] = 10.9;  // beyond it
  h.run_for(50ms);
  std::vector<double> sent;
  std::size_t raw = 0;
  for (const auto& b : h.batches)
    for (const auto& r : b) {
      if (r.key == "t") sent.push_back(std::get<double>(*r.value));
      else ++raw;
    }
  EXPECT_EQ(sent, (std::vector<double>{10.0, 10.9}));
  auto c = h.poller->counters();
  EXPECT_EQ(raw, c.polls);  // no deadband: every poll
  EXPECT_EQ(c.suppressed, c.polls - 2);
  h.finish();
}

TEST(DevicePoller, ReconnectsAndReportsState) {
  Harness h(10, {point("t", "reg:0")});
  h.dev->values["reg:0"] = 2.0;
  h.dev->reachable = false;
  h.poller->start();
  h.run_for(50ms);
  EXPECT_EQ(h.poller->counters().connect_failures, 1u);
  EXPECT_EQ(h.states, std::vector<bool>{false});
  h.dev->reachable = true;
  h.run_for(1100ms);  // the first backoff is 1 s
  EXPECT_EQ(h.poller->counters().connects, 1u);
  EXPECT_EQ(h.states, (std::vector<bool>{false, true}));
  h.dev->reachable = false;  // lost while polling: reads fail, reported once
  h.run_for(50ms);
  EXPECT_EQ(h.states, (std::vector<bool>{false, true, false}));
  EXPECT_GE(h.poller->counters().poll_failures, 2u);
  EXPECT_FALSE(h.poller->counters().connected);
  h.dev->reachable = true;
  h.run_for(30ms);
  EXPECT_EQ(h.states, (std::vector<bool>{false, true, false, true}));
  h.finish();
}

TEST(DevicePoller, GroupsPointsByTheirOwnInterval) {
  auto slow = point("slow", "reg:1");
  slow.interval_ms = 100;
  Harness h(10, {point("fast", "reg:0"), slow});
  h.dev->values["reg:0"] = 1.0;
  h.dev->values["reg:1"] = 2.0;
  h.poller->start();
  h.run_for(250ms);  // 50 ms of slack for the 200 ms tick on a loaded machine
  std::size_t fast = 0, slow_n = 0;
  for (const auto& b : h.batches)
    for (const auto& r : b) (r.key == "fast" ? fast : slow_n)++;
  EXPECT_EQ(slow_n, 3u);  // 0, 100, 200 ms
  EXPECT_GE(fast, 20u);   // 25 ticks
  h.finish();
}

struct RpcOutcome {
  Status write_ok, write_ro, write_unknown;
  Result<std::vector<drivers::Reading>> read = fail(Errc::kInternal, "not run");
};

// g++ 12 cannot keep an initializer_list's array in a coroutine frame: build it outside.
const std::string kSetpoint = "setpoint", kT = "t", kNope = "nope";
const std::vector<std::string> kReadKeys(1, kSetpoint);

asio::awaitable<void> rpc_sequence(std::shared_ptr<DevicePoller> p, RpcOutcome* out) {
  out->write_ok = co_await p->write(kSetpoint, tsdb::Value(42.5));
  out->write_ro = co_await p->write(kT, tsdb::Value(1.0));
  out->write_unknown = co_await p->write(kNope, tsdb::Value(1.0));
  out->read = co_await p->read(kReadKeys);
}

TEST(DevicePoller, WritesAndReadsForRpc) {
  auto sp = point("setpoint", "reg:5");
  sp.writable = true;
  Harness h(1000, {point("t", "reg:0"), sp});
  h.dev->values["reg:0"] = 1.0;
  h.dev->values["reg:5"] = 0.0;
  RpcOutcome out;
  asio::co_spawn(h.io, rpc_sequence(h.poller, &out), asio::detached);
  h.run_for(50ms);
  EXPECT_TRUE(out.write_ok);
  EXPECT_EQ(out.write_ro.error().code, Errc::kPermissionDenied);
  EXPECT_EQ(out.write_unknown.error().code, Errc::kNotFound);
  ASSERT_TRUE(out.read);
  ASSERT_EQ(out.read->size(), 1u);
  EXPECT_EQ(std::get<double>(*(*out.read)[0].value), 42.5);
  ASSERT_EQ(h.dev->writes.size(), 1u);
}

TEST(Payload, TelemetryGroupsByTimestampAndSkipsErrors) {
  std::vector<drivers::Reading> r;
  auto add = [&r](std::string key, std::int64_t ts, Result<tsdb::Value> v) {
    drivers::Reading x;
    x.key = std::move(key);
    x.ts = ts;
    x.value = std::move(v);
    r.push_back(std::move(x));
  };
  add("a", 1000, tsdb::Value(1.5));
  add("b", 1000, tsdb::Value(std::int64_t{7}));
  add("c", 2000, tsdb::Value(true));
  add("d", 1000, fail(Errc::kTimeout, "x"));
  add("e", 1000, tsdb::Value(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(telemetry_payload("cnc-01", r),
            R"({"cnc-01":[{"ts":1000,"values":{"a":1.5E0,"b":7}},{"ts":2000,"values":{"c":true}}]})");
  EXPECT_EQ(telemetry_payload("x", {}), "");
}

TEST(Payload, RpcRequestAndReply) {
  auto r = parse_rpc_request(R"({"device":"cnc-01","data":{"id":7,"method":"write","params":{"key":"sp","value":3}}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->device, "cnc-01");
  EXPECT_EQ(r->method, "write");
  EXPECT_EQ(r->id.as_int64(), 7);
  boost::json::object data{{"success", true}};
  EXPECT_EQ(rpc_reply(*r, data), R"({"device":"cnc-01","id":7,"data":{"success":true}})");
  EXPECT_FALSE(parse_rpc_request(R"({"data":{}})"));
  EXPECT_FALSE(parse_rpc_request(R"({"device":"x","data":{"id":1}})"));
  EXPECT_FALSE(parse_rpc_request("not json"));
  EXPECT_EQ(std::get<std::int64_t>(*json_to_value(boost::json::value(5))), 5);
  EXPECT_FALSE(json_to_value(boost::json::array{}));
}

}  // namespace
}  // namespace kaiwu::edge
