// Helpers for the rule chain tests: a message builder and a chain runner over RecordingActions.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "rules/actions.hpp"
#include "rules/chain.hpp"

namespace kaiwu::rules::testing {

inline Message telemetry(std::string device, std::int64_t ts, std::map<std::string, Value> data) {
  Message m;
  m.tenant_id = "t1";
  m.device_id = std::move(device);
  m.device_name = "name-" + m.device_id;
  m.profile_id = "p1";
  m.ts = ts;
  m.data = std::move(data);
  return m;
}

// Attribute reads answered from a fixed list: (device, scope) → pairs.
class FakeReads final : public Actions {
 public:
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, std::string>>> attrs;
  Status write_telemetry(const std::string&, const std::string&, std::int64_t,
                         const std::map<std::string, Value>&) override { return ok(); }
  Status raise_alarm(const AlarmRequest&) override { return ok(); }
  Status clear_alarm(const AlarmRequest&) override { return ok(); }
  Result<std::string> send_rpc(const RpcRequest&) override { return std::string(); }
  Status publish_mqtt(const MqttPublishRequest&) override { return ok(); }
  Status post_webhook(const WebhookRequest&) override { return ok(); }
  void log(LogLevel, const std::string&) override {}
  Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string& tenant, const std::string& device, const std::string& scope,
      const std::vector<std::string>& keys) override {
    if (tenant != "t1") return fail(Errc::kNotFound, "device " + device + " not found");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : attrs[{device, scope}])
      if (keys.empty() || std::find(keys.begin(), keys.end(), k) != keys.end()) out.emplace_back(k, v);
    return out;
  }
};

// Runs messages through one compiled chain with a controllable clock.
class Harness {
 public:
  explicit Harness(const std::string& definition)
      : recorder([this](const std::string& t, const std::string& d, const std::string& s,
                        const std::vector<std::string>& k) { return reads.get_attributes(t, d, s, k); }) {
    auto c = compile_chain(definition);
    if (!c) throw std::runtime_error(c.error().message);
    chain = *c;
  }
  std::vector<TraceStep> run(const Message& m) {
    NodeContext ctx{recorder, sandbox, now, "chain-1"};
    return run_chain(*chain, m, ctx, true);
  }
  std::vector<TraceStep> tick() {
    NodeContext ctx{recorder, sandbox, now, "chain-1"};
    return tick_chain(*chain, ctx, true);
  }
  // The relation the node with this id named in the trace ("" when it did not run).
  static std::string relation_of(const std::vector<TraceStep>& steps, const std::string& id) {
    for (const auto& s : steps)
      if (s.node_id == id) return s.relation;
    return {};
  }
  std::vector<std::string> kinds() {
    std::vector<std::string> out;
    for (const auto& a : recorder.snapshot()) out.push_back(a.kind);
    return out;
  }

  FakeReads reads;
  RecordingActions recorder;
  Sandbox sandbox;
  std::shared_ptr<Chain> chain;
  std::int64_t now = 1'000'000;
};

}  // namespace kaiwu::rules::testing
