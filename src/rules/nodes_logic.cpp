// Nodes that decide: filter, script_filter, script_transform, threshold, rate_of_change,
// offline.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "rules/node_params.hpp"
#include "rules/nodes_internal.hpp"

namespace kaiwu::rules::detail {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

class FilterNode final : public Node {
 public:
  std::vector<std::string> device_ids, device_names, profile_ids, keys, any_keys;
  std::vector<MessageType> types;

  NodeOutcome on_message(NodeContext&, const Message& m) override {
    bool match = true;
    if (!device_ids.empty()) match = match && contains(device_ids, m.device_id);
    if (!device_names.empty()) match = match && contains(device_names, m.device_name);
    if (!profile_ids.empty()) match = match && contains(profile_ids, m.profile_id);
    for (const auto& k : keys) match = match && m.data.contains(k);
    if (!any_keys.empty())
      match = match && std::any_of(any_keys.begin(), any_keys.end(),
                                   [&](const std::string& k) { return m.data.contains(k); });
    if (!types.empty()) match = match && std::find(types.begin(), types.end(), m.type) != types.end();
    return pass(match ? "True" : "False", m);
  }
};

class ScriptFilterNode final : public Node {
 public:
  std::string id, script;
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    auto r = ctx.sandbox.run_filter(id, script, m);
    if (!r) return failure(m, r.error().message);
    return pass(*r ? "True" : "False", m);
  }
};

class ScriptTransformNode final : public Node {
 public:
  std::string id, script;
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    auto r = ctx.sandbox.run_transform(id, script, m);
    if (!r) return failure(m, r.error().message);
    return {"Success", std::move(*r), {}};
  }
};

// Raised once the value has stayed above `high` for duration_ms (message time); Cleared once it
// falls below high - hysteresis. State per device.
class ThresholdNode final : public Node {
 public:
  std::string key;
  double high = 0;
  double hysteresis = 0;
  std::int64_t duration_ms = 0;

  NodeOutcome on_message(NodeContext&, const Message& m) override {
    auto it = m.data.find(key);
    double v = 0;
    if (it == m.data.end() || !numeric_value(it->second, v) || std::isnan(v)) return pass("Skipped", m);
    std::string relation;
    {
      std::lock_guard lock(mu_);
      State& s = states_[m.device_id];
      relation = step(s, v, m.ts);
    }
    Message out = m;
    out.metadata["thresholdKey"] = key;
    out.metadata["thresholdValue"] = fmt::format("{}", v);
    out.metadata["thresholdHigh"] = fmt::format("{}", high);
    return {std::move(relation), std::move(out), {}};
  }

 private:
  struct State {
    bool active = false;
    bool above = false;
    std::int64_t above_since = 0;
  };

  std::string step(State& s, double v, std::int64_t ts) const {
    if (s.active) {
      if (v < high - hysteresis) {
        s = State{};
        return "Cleared";
      }
      return "Active";
    }
    if (v <= high) {
      s.above = false;
      return "Normal";
    }
    if (!s.above) {
      s.above = true;
      s.above_since = ts;
    }
    if (ts - s.above_since >= duration_ms) {
      s.active = true;
      return "Raised";
    }
    return "Normal";
  }

  std::mutex mu_;
  std::unordered_map<std::string, State> states_;  // device id → state; guarded by mu_
};

class RateOfChangeNode final : public Node {
 public:
  std::string key;
  double max_per_second = 0;

  NodeOutcome on_message(NodeContext&, const Message& m) override {
    auto it = m.data.find(key);
    double v = 0;
    if (it == m.data.end() || !numeric_value(it->second, v) || std::isnan(v)) return pass("False", m);
    std::optional<double> rate;
    {
      std::lock_guard lock(mu_);
      auto [last, fresh] = last_.try_emplace(m.device_id, Last{m.ts, v});
      if (!fresh) {
        if (m.ts > last->second.ts)
          rate = (v - last->second.value) * 1000.0 / static_cast<double>(m.ts - last->second.ts);
        if (m.ts >= last->second.ts) last->second = Last{m.ts, v};
      }
    }
    if (!rate) return pass("False", m);
    Message out = m;
    out.metadata["rate"] = fmt::format("{}", *rate);
    return {std::abs(*rate) > max_per_second ? "True" : "False", std::move(out), {}};
  }

 private:
  struct Last {
    std::int64_t ts;
    double value;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Last> last_;  // guarded by mu_
};

// Tracks when each device last sent telemetry or attributes (engine clock). The timer emits an
// inactivity message on "Offline" once per silence; the next data message goes on "Online".
class OfflineNode final : public Node {
 public:
  std::int64_t timeout_ms = 0;

  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    if (m.type != MessageType::kTelemetry && m.type != MessageType::kAttributes) return pass("Success", m);
    bool was_offline = false;
    {
      std::lock_guard lock(mu_);
      Seen& s = seen_[m.device_id];
      was_offline = s.offline;
      s.last_ms = ctx.now;
      s.offline = false;
      s.tenant_id = m.tenant_id;
      s.device_name = m.device_name;
      s.profile_id = m.profile_id;
    }
    return pass(was_offline ? "Online" : "Success", m);
  }

  std::vector<std::pair<std::string, Message>> on_tick(NodeContext& ctx) override {
    std::vector<std::pair<std::string, Message>> out;
    std::lock_guard lock(mu_);
    for (auto& [device, s] : seen_) {
      if (s.offline || ctx.now - s.last_ms < timeout_ms) continue;
      s.offline = true;
      Message m;
      m.type = MessageType::kInactivity;
      m.tenant_id = s.tenant_id;
      m.device_id = device;
      m.device_name = s.device_name;
      m.profile_id = s.profile_id;
      m.ts = ctx.now;
      m.data["lastSeen"] = s.last_ms;
      m.metadata["inactivityTimeoutMs"] = std::to_string(timeout_ms);
      out.emplace_back("Offline", std::move(m));
    }
    return out;
  }

 private:
  struct Seen {
    std::int64_t last_ms = 0;
    bool offline = false;
    std::string tenant_id, device_name, profile_id;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Seen> seen_;  // guarded by mu_
};

Result<std::string> script_param(const Params& p) {
  auto script = KAIWU_TRY(p.str("script", true, 64 * 1024));
  if (auto st = Sandbox::check_syntax(script); !st)
    return Params::bad("script", st.error().message);
  return script;
}

}  // namespace

Result<std::unique_ptr<Node>> make_filter(const boost::json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"deviceIds", "deviceNames", "profileIds", "keys", "anyKeys", "messageTypes"}));
  auto n = std::make_unique<FilterNode>();
  n->device_ids = KAIWU_TRY(p.str_list("deviceIds"));
  n->device_names = KAIWU_TRY(p.str_list("deviceNames"));
  n->profile_ids = KAIWU_TRY(p.str_list("profileIds"));
  n->keys = KAIWU_TRY(p.str_list("keys"));
  n->any_keys = KAIWU_TRY(p.str_list("anyKeys"));
  for (const auto& t : KAIWU_TRY(p.str_list("messageTypes"))) {
    MessageType type{};
    if (!parse_message_type(t, type)) return Params::bad("messageTypes", fmt::format("unknown message type \"{}\"", t));
    n->types.push_back(type);
  }
  if (n->device_ids.empty() && n->device_names.empty() && n->profile_ids.empty() && n->keys.empty() &&
      n->any_keys.empty() && n->types.empty()) {
    return fail(Errc::kInvalidArgument,
                "params: give at least one of deviceIds, deviceNames, profileIds, keys, anyKeys, messageTypes");
  }
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_script_filter(const boost::json::object& o, const std::string& id) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"script"}));
  auto n = std::make_unique<ScriptFilterNode>();
  n->id = fmt::format("{}@{}", id, static_cast<const void*>(n.get()));  // unique per compiled node
  n->script = KAIWU_TRY(script_param(p));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_script_transform(const boost::json::object& o, const std::string& id) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"script"}));
  auto n = std::make_unique<ScriptTransformNode>();
  n->id = fmt::format("{}@{}", id, static_cast<const void*>(n.get()));  // unique per compiled node
  n->script = KAIWU_TRY(script_param(p));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_threshold(const boost::json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"key", "high", "hysteresis", "durationMs"}));
  auto n = std::make_unique<ThresholdNode>();
  n->key = KAIWU_TRY(p.str("key", true));
  n->high = *KAIWU_TRY(p.number("high", true));
  n->hysteresis = KAIWU_TRY(p.number("hysteresis", false)).value_or(0);
  if (n->hysteresis < 0 || !std::isfinite(n->hysteresis)) return Params::bad("hysteresis", "must be 0 or more");
  if (!std::isfinite(n->high)) return Params::bad("high", "must be finite");
  n->duration_ms = KAIWU_TRY(p.integer("durationMs", 0, 0, 30LL * 24 * 3600 * 1000));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_rate_of_change(const boost::json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"key", "maxPerSecond"}));
  auto n = std::make_unique<RateOfChangeNode>();
  n->key = KAIWU_TRY(p.str("key", true));
  n->max_per_second = *KAIWU_TRY(p.number("maxPerSecond", true));
  if (!(n->max_per_second >= 0) || !std::isfinite(n->max_per_second))
    return Params::bad("maxPerSecond", "must be 0 or more");
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_offline(const boost::json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"timeoutMs"}));
  auto n = std::make_unique<OfflineNode>();
  if (!p.has("timeoutMs")) return Params::bad("timeoutMs", "is required");
  n->timeout_ms = KAIWU_TRY(p.integer("timeoutMs", 0, 1000, 30LL * 24 * 3600 * 1000));
  return std::unique_ptr<Node>(std::move(n));
}

}  // namespace kaiwu::rules::detail
