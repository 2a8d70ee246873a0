// The engine (workers, bounded queues, chain swaps) and the dry-run.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <condition_variable>
#include <thread>

#include "rules/dry_run.hpp"
#include "rules/message_json.hpp"
#include "rules/engine.hpp"
#include "rules_test_util.hpp"

namespace kaiwu::rules {
namespace {

using testing::telemetry;
namespace json = boost::json;

constexpr const char* kWriteChain = R"({"nodes":[
  {"id":"x","type":"script_transform","params":{"script":"msg.data.double = msg.data.v * 2\nreturn msg"},
   "next":{"Success":["w"]}},
  {"id":"w","type":"write_telemetry","params":{"keys":["double"]}}]})";

std::shared_ptr<Chain> compiled(const char* text) {
  auto c = compile_chain(text);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

TEST(RuleEngine, RunsTenantChainsOnWorkers) {
  RecordingActions actions;
  MetricsRegistry metrics;
  RuleEngine engine(actions, metrics, EngineOptions{2, 1000, {}});
  engine.set_chain("t1", "c1", compiled(kWriteChain));
  EXPECT_EQ(engine.chain_count(), 1u);
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(engine.submit(telemetry("d" + std::to_string(i % 7), i, {{"v", std::int64_t{i}}})));
  auto other = telemetry("d1", 1, {{"v", std::int64_t{1}}});
  other.tenant_id = "t2";  // no chain in that tenant
  ASSERT_TRUE(engine.submit(other));
  engine.stop();
  auto rec = actions.take();
  ASSERT_EQ(rec.size(), 100u);
  std::int64_t sum = 0;
  for (const auto& r : rec) {
    auto d = json::parse(r.detail_json);
    EXPECT_EQ(d.at("tenantId").as_string(), "t1");
    sum += d.at("values").at("double").as_int64();
  }
  EXPECT_EQ(sum, 2 * (99 * 100 / 2));
  EXPECT_EQ(engine.stats().processed, 101u);
  EXPECT_EQ(engine.stats().dropped, 0u);
  EXPECT_FALSE(engine.submit(telemetry("d1", 1, {})));  // stopped
  EXPECT_NE(metrics.render().find("kaiwu_rules_messages_total 101"), std::string::npos);
}

// Holds every write until released, so the queue fills behind it.
class GateActions final : public Actions {
 public:
  Status write_telemetry(const std::string&, const std::string&, std::int64_t,
                         const std::map<std::string, Value>&) override {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    ++writes_;
    return ok();
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ > 0; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }
  Status raise_alarm(const AlarmRequest&) override { return ok(); }
  Status clear_alarm(const AlarmRequest&) override { return ok(); }
  Result<std::string> send_rpc(const RpcRequest&) override { return std::string(); }
  Status publish_mqtt(const MqttPublishRequest&) override { return ok(); }
  Status post_webhook(const WebhookRequest&) override { return ok(); }
  void log(LogLevel, const std::string&) override {}
  Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string&, const std::string&, const std::string&, const std::vector<std::string>&) override {
    return std::vector<std::pair<std::string, std::string>>{};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
  int writes_ = 0;
};

TEST(RuleEngine, FullQueueDropsAndCounts) {
  GateActions gate;
  MetricsRegistry metrics;
  RuleEngine engine(gate, metrics, EngineOptions{1, 3, {}});
  engine.set_chain("t1", "c1", compiled(kWriteChain));
  ASSERT_TRUE(engine.submit(telemetry("d1", 0, {{"v", 1.0}})));
  gate.wait_entered();  // the worker is busy with the first message
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += engine.submit(telemetry("d1", i + 1, {{"v", 1.0}})) ? 1 : 0;
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(engine.stats().dropped, 7u);
  EXPECT_EQ(engine.stats().queued, 3u);
  gate.open();
  engine.stop();
  EXPECT_EQ(gate.writes(), 4);
  EXPECT_NE(metrics.render().find("kaiwu_rules_dropped_total 7"), std::string::npos);
}

TEST(RuleEngine, ScriptFailuresAreCountedNotFatal) {
  RecordingActions actions;
  MetricsRegistry metrics;
  RuleEngine engine(actions, metrics, EngineOptions{0, 10, SandboxLimits{10'000, 1u << 20, std::chrono::milliseconds(500)}});
  engine.set_chain("t1", "c1", compiled(R"({"nodes":[{"id":"s","type":"script_filter",
    "params":{"script":"while true do end"}}]})"));
  engine.process(telemetry("d1", 0, {}));
  engine.submit(telemetry("d1", 0, {}));
  EXPECT_EQ(engine.stats().failures, 2u);
  EXPECT_EQ(engine.stats().processed, 2u);
  engine.remove_chain("t1", "c1");
  EXPECT_EQ(engine.chain_count(), 0u);
  engine.process(telemetry("d1", 0, {}));
  EXPECT_EQ(engine.stats().failures, 2u);
}

TEST(RuleEngine, TickDrivesOfflineDetectionWithTheEngineClock) {
  RecordingActions actions;
  MetricsRegistry metrics;
  std::int64_t now = 5'000'000;
  RuleEngine engine(actions, metrics, EngineOptions{0, 10, {}}, [&now] { return now; });
  engine.set_chain("t1", "c1", compiled(R"({"nodes":[{"id":"o","type":"offline","params":{"timeoutMs":10000},
    "next":{"Offline":["a"]}},{"id":"a","type":"create_alarm","params":{"alarmType":"NoData"}}]})"));
  engine.process(telemetry("d1", 0, {{"v", 1.0}}));
  now += 9'999;
  engine.tick();
  EXPECT_TRUE(actions.snapshot().empty());
  now += 1;
  engine.tick();
  auto rec = actions.take();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(json::parse(rec[0].detail_json).at("type").as_string(), "NoData");
}

TEST(DryRun, TracesEveryNodeAndRecordsActions) {
  testing::FakeReads reads;
  reads.attrs[{"d1", "server"}] = {{"limit", "50"}};
  auto r = dry_run(R"J({"nodes":[
    {"id":"e","type":"enrich_attributes","params":{"server":["limit"]},"next":{"Success":["s"]}},
    {"id":"s","type":"script_filter","params":{"script":"return msg.data.temp > tonumber(metadata.ss_limit)"},
     "next":{"True":["a","l"]}},
    {"id":"a","type":"create_alarm","params":{"alarmType":"Hot"}},
    {"id":"l","type":"log","params":{"message":"hot ${temp}"}}]})J",
                   telemetry("d1", 3, {{"temp", 60.0}}),
                   [&reads](const std::string& t, const std::string& d, const std::string& s,
                            const std::vector<std::string>& k) { return reads.get_attributes(t, d, s, k); },
                   "c9");
  ASSERT_TRUE(r) << r.error().message;
  auto j = to_json(*r);
  const auto& steps = j.at("steps").as_array();
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[0].at("nodeId").as_string(), "e");
  EXPECT_EQ(steps[0].at("output").at("metadata").at("ss_limit").as_string(), "50");
  EXPECT_EQ(steps[1].at("relation").as_string(), "True");
  EXPECT_EQ(json::serialize(steps[1].at("next")), R"(["a","l"])");
  EXPECT_EQ(steps[2].at("nodeId").as_string(), "a");
  EXPECT_TRUE(steps[2].at("error").is_null());
  const auto& actions = j.at("actions").as_array();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].at("kind").as_string(), "raise_alarm");
  EXPECT_EQ(actions[0].at("detail").at("origin").as_string(), "rule:c9");
  EXPECT_EQ(actions[1].at("detail").at("text").as_string(), "chain c9: hot 60");

  auto bad = dry_run(R"({"nodes":[{"id":"x","type":"nope"}]})", telemetry("d1", 0, {}), {}, "c");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown type"), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::rules

namespace kaiwu::rules {
namespace {

TEST(MessageJson, RoundTripAndFieldErrors) {
  auto m = message_from_json(boost::json::parse(
      R"({"type":"attributes","deviceId":"d","ts":5,"data":{"a":1,"b":2.5,"c":true,"d":"x"},"metadata":{"k":"v"}})"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, MessageType::kAttributes);
  EXPECT_EQ(std::get<std::int64_t>(m->data.at("a")), 1);
  EXPECT_EQ(std::get<double>(m->data.at("b")), 2.5);
  EXPECT_EQ(boost::json::serialize(to_json(*m).at("data")), R"({"a":1,"b":2.5E0,"c":true,"d":"x"})");
  auto err = [](const char* text) { return message_from_json(boost::json::parse(text)).error().message; };
  EXPECT_EQ(err(R"({"data":{"x":[1]}})"), "message.data.x: must be a number, boolean or string");
  EXPECT_EQ(err(R"({"metadata":{"k":1}})"), "message.metadata.k: must be a string");
  EXPECT_EQ(err(R"({"type":"weird"})").rfind("message.type:", 0), 0u);
  EXPECT_EQ(err(R"({"ts":"now"})"), "message.ts: must be an integer (ms)");
  EXPECT_EQ(err(R"({"tenantId":"t2"})"), "message.tenantId: unknown field");
}

}  // namespace
}  // namespace kaiwu::rules
