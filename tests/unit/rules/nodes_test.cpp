// Each node type on its own and in small chains, over RecordingActions and a controllable clock.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "rules_test_util.hpp"

namespace kaiwu::rules {
namespace {

using testing::Harness;
using testing::telemetry;
namespace json = boost::json;

json::object detail(const RecordedAction& a) { return json::parse(a.detail_json).as_object(); }

TEST(FilterNode, DeviceProfileKeysAndTypes) {
  Harness h(R"({"nodes":[{"id":"f","type":"filter",
    "params":{"deviceIds":["d1","d2"],"profileIds":["p1"],"keys":["temp"],"messageTypes":["telemetry"]}}]})");
  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d1", 1, {{"temp", 1.0}})), "f"), "True");
  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d3", 1, {{"temp", 1.0}})), "f"), "False");
  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d1", 1, {{"hum", 1.0}})), "f"), "False");
  auto other_profile = telemetry("d1", 1, {{"temp", 1.0}});
  other_profile.profile_id = "p2";
  EXPECT_EQ(Harness::relation_of(h.run(other_profile), "f"), "False");
  auto attrs = telemetry("d1", 1, {{"temp", 1.0}});
  attrs.type = MessageType::kAttributes;
  EXPECT_EQ(Harness::relation_of(h.run(attrs), "f"), "False");

  Harness any(R"({"nodes":[{"id":"f","type":"filter","params":{"anyKeys":["a","b"],"deviceNames":["name-x"]}}]})");
  EXPECT_EQ(Harness::relation_of(any.run(telemetry("x", 1, {{"b", 1.0}})), "f"), "True");
  EXPECT_EQ(Harness::relation_of(any.run(telemetry("x", 1, {{"c", 1.0}})), "f"), "False");
}

TEST(ScriptNodes, FilterTransformAndFailureRouting) {
  Harness h(R"({"nodes":[
    {"id":"s","type":"script_filter","params":{"script":"return msg.data.temp > 50"},
     "next":{"True":["x"],"Failure":["log"]}},
    {"id":"x","type":"script_transform",
     "params":{"script":"msg.data.tempF = msg.data.temp * 9 / 5 + 32\nreturn msg"},
     "next":{"Success":["w"]}},
    {"id":"w","type":"write_telemetry","params":{"keys":["tempF"]}},
    {"id":"log","type":"log","params":{"level":"error","message":"bad ${deviceName}"}}]})");
  auto steps = h.run(telemetry("d1", 10, {{"temp", 100.0}}));
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].relation, "True");
  EXPECT_EQ(steps[1].relation, "Success");
  EXPECT_DOUBLE_EQ(std::get<double>(steps[1].output->data.at("tempF")), 212.0);
  auto rec = h.recorder.take();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].kind, "write_telemetry");
  EXPECT_EQ(json::serialize(detail(rec[0]).at("values")), R"({"tempF":2.12E2})");
  EXPECT_EQ(detail(rec[0]).at("ts").as_int64(), 10);

  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d1", 11, {{"temp", 10.0}})), "s"), "False");
  EXPECT_TRUE(h.recorder.take().empty());

  // temp missing: comparing nil fails at line 1 and the Failure relation leads to the log node.
  auto failed = h.run(telemetry("d1", 12, {{"hum", 1.0}}));
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].relation, "Failure");
  EXPECT_EQ(failed[0].error.rfind("line 1:", 0), 0u) << failed[0].error;
  EXPECT_FALSE(failed[0].output.has_value());
  auto logs = h.recorder.take();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(detail(logs[0]).at("text").as_string(), "chain chain-1: bad name-d1");
  EXPECT_EQ(detail(logs[0]).at("level").as_string(), "error");
}

TEST(ThresholdNode, DurationAndHysteresisPerDevice) {
  Harness h(R"({"nodes":[{"id":"t","type":"threshold",
    "params":{"key":"temp","high":80,"hysteresis":5,"durationMs":10000}}]})");
  auto rel = [&](const std::string& dev, std::int64_t ts, double v) {
    return Harness::relation_of(h.run(telemetry(dev, ts, {{"temp", v}})), "t");
  };
  EXPECT_EQ(rel("d1", 0, 70), "Normal");
  EXPECT_EQ(rel("d1", 1000, 85), "Normal");    // above since 1000
  EXPECT_EQ(rel("d1", 6000, 90), "Normal");    // only 5 s
  EXPECT_EQ(rel("d1", 8000, 79), "Normal");    // dipped: the duration restarts
  EXPECT_EQ(rel("d1", 9000, 81), "Normal");    // above since 9000
  EXPECT_EQ(rel("d1", 19000, 82), "Raised");   // 10 s above
  EXPECT_EQ(rel("d1", 20000, 78), "Active");   // below high but within hysteresis
  EXPECT_EQ(rel("d2", 20000, 99), "Normal");   // another device has its own state
  EXPECT_EQ(rel("d1", 21000, 75), "Active");   // 75 is not < 80 - 5
  EXPECT_EQ(rel("d1", 22000, 74.9), "Cleared");
  EXPECT_EQ(rel("d1", 23000, 85), "Normal");   // the duration applies again
  EXPECT_EQ(rel("d1", 33000, 85), "Raised");
  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d1", 34000, {{"hum", 1.0}})), "t"), "Skipped");
  EXPECT_EQ(Harness::relation_of(h.run(telemetry("d1", 34000, {{"temp", std::string("hot")}})), "t"), "Skipped");

  auto steps = h.run(telemetry("d3", 0, {{"temp", std::int64_t{81}}}));
  EXPECT_EQ(steps[0].relation, "Normal");
  Harness zero(R"({"nodes":[{"id":"t","type":"threshold","params":{"key":"temp","high":80}}]})");
  auto raised = zero.run(telemetry("d1", 0, {{"temp", std::int64_t{81}}}));
  EXPECT_EQ(raised[0].relation, "Raised");
  EXPECT_EQ(raised[0].output->metadata.at("thresholdValue"), "81");
  EXPECT_EQ(raised[0].output->metadata.at("thresholdKey"), "temp");
}

TEST(RateOfChangeNode, PerSecondAgainstLimit) {
  Harness h(R"({"nodes":[{"id":"r","type":"rate_of_change","params":{"key":"p","maxPerSecond":2}}]})");
  auto step = [&](std::int64_t ts, double v) { return h.run(telemetry("d1", ts, {{"p", v}}))[0]; };
  EXPECT_EQ(step(0, 10).relation, "False");  // first sample: no rate yet
  auto slow = step(2000, 13);                // 1.5/s
  EXPECT_EQ(slow.relation, "False");
  EXPECT_EQ(slow.output->metadata.at("rate"), "1.5");
  auto fast = step(3000, 8);                 // -5/s
  EXPECT_EQ(fast.relation, "True");
  EXPECT_EQ(fast.output->metadata.at("rate"), "-5");
  EXPECT_EQ(step(3000, 100).relation, "False");  // same timestamp: no rate
}

TEST(OfflineNode, TimerEmitsOnceThenOnline) {
  Harness h(R"({"nodes":[{"id":"o","type":"offline","params":{"timeoutMs":60000},
    "next":{"Offline":["a"],"Online":["c"]}},
    {"id":"a","type":"create_alarm","params":{"alarmType":"Offline","severity":"minor"}},
    {"id":"c","type":"clear_alarm","params":{"alarmType":"Offline"}}]})");
  h.now = 1'000'000;
  EXPECT_EQ(h.run(telemetry("d1", 5, {{"x", 1.0}}))[0].relation, "Success");
  h.now += 59'000;
  EXPECT_TRUE(h.tick().empty());
  h.now += 1'000;
  auto steps = h.tick();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].relation, "Offline");
  EXPECT_EQ(steps[0].output->type, MessageType::kInactivity);
  EXPECT_EQ(std::get<std::int64_t>(steps[0].output->data.at("lastSeen")), 1'000'000);
  EXPECT_EQ(steps[1].node_id, "a");
  EXPECT_EQ(h.kinds(), std::vector<std::string>{"raise_alarm"});
  h.now += 120'000;
  EXPECT_TRUE(h.tick().empty());  // reported once per silence
  auto back = h.run(telemetry("d1", 6, {{"x", 1.0}}));
  EXPECT_EQ(back[0].relation, "Online");
  EXPECT_EQ(h.kinds(), (std::vector<std::string>{"raise_alarm", "clear_alarm"}));
}

TEST(EnrichAttributesNode, MetadataFromEachScope) {
  Harness h(R"({"nodes":[{"id":"e","type":"enrich_attributes",
    "params":{"client":["fw"],"shared":"*","server":["limit"]}}]})");
  h.reads.attrs[{"d1", "client"}] = {{"fw", "\"1.2\""}, {"other", "1"}};
  h.reads.attrs[{"d1", "shared"}] = {{"mode", "\"eco\""}, {"target", "21.5"}};
  h.reads.attrs[{"d1", "server"}] = {{"limit", "90"}};
  auto out = h.run(telemetry("d1", 1, {{"temp", 1.0}}))[0];
  ASSERT_EQ(out.relation, "Success") << out.error;
  EXPECT_EQ(out.output->metadata.at("cs_fw"), "1.2");
  EXPECT_EQ(out.output->metadata.count("cs_other"), 0u);
  EXPECT_EQ(out.output->metadata.at("shared_mode"), "eco");
  EXPECT_EQ(out.output->metadata.at("shared_target"), "21.5");
  EXPECT_EQ(out.output->metadata.at("ss_limit"), "90");
  auto foreign = telemetry("d1", 1, {});
  foreign.tenant_id = "t2";
  auto failed = h.run(foreign)[0];
  EXPECT_EQ(failed.relation, "Failure");
  EXPECT_NE(failed.error.find("not found"), std::string::npos);
}

TEST(ActionNodes, AlarmRpcMqttWebhookAndFailures) {
  Harness h(R"({"nodes":[
    {"id":"a","type":"create_alarm","params":{"alarmType":"Hot-${deviceName}","severity":"critical"},
     "next":{"Success":["r"]}},
    {"id":"r","type":"rpc","params":{"method":"setFan","params":{"speed":"${temp}"}},"next":{"Success":["m"]}},
    {"id":"m","type":"mqtt_publish","params":{"topic":"plant/${deviceName}/hot","retain":true},
     "next":{"Success":["w"]}},
    {"id":"w","type":"webhook","params":{"url":"http://127.0.0.1:9/hook","retries":2,
     "headers":{"X-Key":"k"}},"next":{"Failure":["l"]}},
    {"id":"l","type":"log"}]})");
  h.run(telemetry("d1", 7, {{"temp", 91.5}}));
  auto rec = h.recorder.take();
  ASSERT_EQ(rec.size(), 4u);
  EXPECT_EQ(rec[0].kind, "raise_alarm");
  EXPECT_EQ(detail(rec[0]).at("type").as_string(), "Hot-name-d1");
  EXPECT_EQ(detail(rec[0]).at("severity").as_string(), "critical");
  EXPECT_EQ(detail(rec[0]).at("origin").as_string(), "rule:chain-1");
  EXPECT_EQ(detail(rec[0]).at("details").at("data").at("temp").as_double(), 91.5);
  EXPECT_EQ(rec[1].kind, "send_rpc");
  EXPECT_EQ(json::serialize(detail(rec[1]).at("params")), R"({"speed":"91.5"})");
  EXPECT_EQ(detail(rec[1]).at("method").as_string(), "setFan");
  EXPECT_EQ(detail(rec[1]).at("deviceId").as_string(), "d1");
  EXPECT_EQ(rec[2].kind, "publish_mqtt");
  EXPECT_EQ(detail(rec[2]).at("topic").as_string(), "plant/name-d1/hot");
  EXPECT_EQ(detail(rec[2]).at("payload").as_string(), R"({"temp":9.15E1})");
  EXPECT_TRUE(detail(rec[2]).at("retain").as_bool());
  EXPECT_EQ(rec[3].kind, "post_webhook");
  EXPECT_EQ(detail(rec[3]).at("retries").as_int64(), 2);
  EXPECT_EQ(detail(rec[3]).at("headers").at("X-Key").as_string(), "k");
  auto body = json::parse(detail(rec[3]).at("body").as_string());
  EXPECT_EQ(body.at("deviceId").as_string(), "d1");

  h.recorder.fail_next("post_webhook", Error{Errc::kUnavailable, "connection refused"});
  auto steps = h.run(telemetry("d1", 8, {{"temp", 92.0}}));
  EXPECT_EQ(Harness::relation_of(steps, "w"), "Failure");
  EXPECT_EQ(Harness::relation_of(steps, "l"), "Success");
  EXPECT_EQ(steps[3].error, "webhook: connection refused");
}

TEST(ActionNodes, ClearAlarmAndTwoWayRpc) {
  Harness h(R"({"nodes":[{"id":"c","type":"clear_alarm","params":{"alarmType":"Hot"},"next":{"Success":["r"]}},
    {"id":"r","type":"rpc","params":{"method":"get","oneway":false,"timeoutMs":1000}}]})");
  auto steps = h.run(telemetry("d1", 1, {}));
  EXPECT_EQ(steps[1].output->metadata.at("rpcResponse"), "");
  auto rec = h.recorder.take();
  ASSERT_EQ(rec.size(), 2u);
  EXPECT_EQ(rec[0].kind, "clear_alarm");
  EXPECT_EQ(detail(rec[1]).at("oneway").as_bool(), false);
  EXPECT_EQ(detail(rec[1]).at("timeoutMs").as_int64(), 1000);
  auto no_device = telemetry("", 1, {});
  EXPECT_EQ(h.run(no_device)[0].relation, "Failure");
}

}  // namespace
}  // namespace kaiwu::rules
