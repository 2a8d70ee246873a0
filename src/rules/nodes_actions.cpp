// Nodes that read or act through Actions: enrich_attributes, write_telemetry, create_alarm,
// clear_alarm, rpc, mqtt_publish, webhook, log.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>

#include "rules/message_json.hpp"
#include "rules/node_params.hpp"
#include "rules/nodes_internal.hpp"

namespace kaiwu::rules::detail {
namespace json = boost::json;
namespace {

// Attribute scope → metadata prefix (ThingsBoard's names).
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAttributeScopes{{
    {"client", "cs_"}, {"shared", "shared_"}, {"server", "ss_"}}};

// A JSON string value reads as its text; anything else as its JSON.
std::string attribute_text(const std::string& value_json) {
  boost::system::error_code ec;
  auto v = json::parse(value_json, ec);
  if (!ec && v.is_string()) return std::string(v.as_string());
  return value_json;
}

class EnrichAttributesNode final : public Node {
 public:
  std::array<std::vector<std::string>, 3> keys;  // per kAttributeScopes entry
  std::array<bool, 3> wanted{};

  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    Message out = m;
    for (std::size_t i = 0; i < kAttributeScopes.size(); ++i) {
      if (!wanted[i]) continue;
      const auto& [scope, prefix] = kAttributeScopes[i];
      auto attrs = ctx.actions.get_attributes(m.tenant_id, m.device_id, std::string(scope), keys[i]);
      if (!attrs) return failure(m, fmt::format("{} attributes: {}", scope, attrs.error().message));
      for (const auto& [k, v] : *attrs) out.metadata[std::string(prefix) + k] = attribute_text(v);
    }
    return {"Success", std::move(out), {}};
  }
};

class WriteTelemetryNode final : public Node {
 public:
  std::vector<std::string> keys;  // empty: all data
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    std::map<std::string, Value> values;
    if (keys.empty()) {
      values = m.data;
    } else {
      for (const auto& k : keys)
        if (auto it = m.data.find(k); it != m.data.end()) values.emplace(k, it->second);
    }
    if (values.empty()) return pass("Success", m);
    if (m.device_id.empty()) return failure(m, "message has no deviceId");
    auto st = ctx.actions.write_telemetry(m.tenant_id, m.device_id, m.ts, values);
    if (!st) return failure(m, "write telemetry: " + st.error().message);
    return pass("Success", m);
  }
};

class AlarmNode final : public Node {
 public:
  bool clear = false;
  std::string type_template;
  std::string severity;

  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    if (m.device_id.empty()) return failure(m, "message has no deviceId");
    AlarmRequest a;
    a.tenant_id = m.tenant_id;
    a.device_id = m.device_id;
    a.type = render_template(type_template, m);
    a.severity = severity;
    json::object details{{"data", data_to_json(m.data)}};
    for (const auto& [k, v] : m.metadata)
      if (k.starts_with("threshold") || k == "rate") details[k] = v;
    a.details_json = json::serialize(details);
    a.origin = "rule:" + ctx.chain_id;
    a.ts = m.ts;
    auto st = clear ? ctx.actions.clear_alarm(a) : ctx.actions.raise_alarm(a);
    if (!st) return failure(m, fmt::format("{} alarm {}: {}", clear ? "clear" : "raise", a.type, st.error().message));
    Message out = m;
    out.metadata["alarmType"] = a.type;
    return {"Success", std::move(out), {}};
  }
};

class RpcNode final : public Node {
 public:
  std::string method;
  std::string params_json;
  bool oneway = true;
  std::int64_t timeout_ms = 5000;

  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    if (m.device_id.empty()) return failure(m, "message has no deviceId");
    RpcRequest r{m.tenant_id, m.device_id, method, render_template(params_json, m), oneway,
                 std::chrono::milliseconds(timeout_ms)};
    auto reply = ctx.actions.send_rpc(r);
    if (!reply) return failure(m, "rpc " + method + ": " + reply.error().message);
    Message out = m;
    if (!oneway) out.metadata["rpcResponse"] = *reply;
    return {"Success", std::move(out), {}};
  }
};

class MqttPublishNode final : public Node {
 public:
  std::string topic;
  int qos = 1;
  bool retain = false;
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    MqttPublishRequest p{m.tenant_id, render_template(topic, m), json::serialize(data_to_json(m.data)), qos, retain};
    if (p.topic.empty() || p.topic.find_first_of("+#") != std::string::npos)
      return failure(m, "topic \"" + p.topic + "\" is empty or has wildcards");
    auto st = ctx.actions.publish_mqtt(p);
    if (!st) return failure(m, "mqtt publish: " + st.error().message);
    return pass("Success", m);
  }
};

class WebhookNode final : public Node {
 public:
  WebhookRequest base;
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    WebhookRequest w = base;
    json::object body = to_json(m);
    w.body = json::serialize(body);
    auto st = ctx.actions.post_webhook(w);
    if (!st) return failure(m, "webhook: " + st.error().message);
    return pass("Success", m);
  }
};

class LogNode final : public Node {
 public:
  LogLevel level = LogLevel::kInfo;
  std::string message;
  NodeOutcome on_message(NodeContext& ctx, const Message& m) override {
    ctx.actions.log(level, fmt::format("chain {}: {}", ctx.chain_id,
                                       message.empty() ? json::serialize(to_json(m)) : render_template(message, m)));
    return pass("Success", m);
  }
};

}  // namespace

Result<std::unique_ptr<Node>> make_enrich_attributes(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"client", "shared", "server"}));
  auto n = std::make_unique<EnrichAttributesNode>();
  for (std::size_t i = 0; i < kAttributeScopes.size(); ++i) {
    const auto name = kAttributeScopes[i].first;
    n->wanted[i] = p.has(name);
    if (const auto* v = p.raw(name); v && v->is_string() && v->as_string() == "*") continue;  // all
    n->keys[i] = KAIWU_TRY(p.str_list(name, 100));
    if (n->wanted[i] && n->keys[i].empty()) return Params::bad(name, "list at least one key, or \"*\" for all");
  }
  if (!n->wanted[0] && !n->wanted[1] && !n->wanted[2])
    return fail(Errc::kInvalidArgument, "params: give client, shared or server keys");
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_write_telemetry(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"keys"}));
  auto n = std::make_unique<WriteTelemetryNode>();
  n->keys = KAIWU_TRY(p.str_list("keys"));
  return std::unique_ptr<Node>(std::move(n));
}

namespace {
Result<std::unique_ptr<Node>> make_alarm(const json::object& o, bool clear) {
  Params p(o);
  if (clear) KAIWU_TRY_STATUS(p.only({"alarmType"}));
  else KAIWU_TRY_STATUS(p.only({"alarmType", "severity"}));
  auto n = std::make_unique<AlarmNode>();
  n->clear = clear;
  n->type_template = KAIWU_TRY(p.str("alarmType", true, 128));
  if (!clear) {
    n->severity = KAIWU_TRY(p.str("severity", false, 16));
    if (n->severity.empty()) n->severity = "warning";
    if (n->severity != "critical" && n->severity != "major" && n->severity != "minor" && n->severity != "warning")
      return Params::bad("severity", "must be critical, major, minor or warning");
  }
  return std::unique_ptr<Node>(std::move(n));
}
}  // namespace

Result<std::unique_ptr<Node>> make_create_alarm(const json::object& o, const std::string&) {
  return make_alarm(o, false);
}
Result<std::unique_ptr<Node>> make_clear_alarm(const json::object& o, const std::string&) {
  return make_alarm(o, true);
}

Result<std::unique_ptr<Node>> make_rpc(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"method", "params", "oneway", "timeoutMs"}));
  auto n = std::make_unique<RpcNode>();
  n->method = KAIWU_TRY(p.str("method", true, 128));
  const auto* params = p.raw("params");
  n->params_json = params ? json::serialize(*params) : "{}";
  if (n->params_json.size() > 16 * 1024) return Params::bad("params", "at most 16 KiB");
  n->oneway = KAIWU_TRY(p.boolean("oneway", true));
  n->timeout_ms = KAIWU_TRY(p.integer("timeoutMs", 5000, 100, 60'000));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_mqtt_publish(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"topic", "qos", "retain"}));
  auto n = std::make_unique<MqttPublishNode>();
  n->topic = KAIWU_TRY(p.str("topic", true, 256));
  if (n->topic.find_first_of("+#") != std::string::npos || n->topic.starts_with('$'))
    return Params::bad("topic", "must not contain + or # nor start with $");
  n->qos = static_cast<int>(KAIWU_TRY(p.integer("qos", 1, 0, 1)));
  n->retain = KAIWU_TRY(p.boolean("retain", false));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_webhook(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"url", "method", "headers", "retries", "backoffMs", "timeoutMs"}));
  auto n = std::make_unique<WebhookNode>();
  auto& w = n->base;
  w.url = KAIWU_TRY(p.str("url", true, 2048));
  if (!w.url.starts_with("http://")) return Params::bad("url", "must be an http:// URL");
  w.method = KAIWU_TRY(p.str("method", false, 8));
  if (w.method.empty()) w.method = "POST";
  if (w.method != "POST" && w.method != "PUT") return Params::bad("method", "must be POST or PUT");
  if (const auto* h = p.raw("headers")) {
    if (!h->is_object()) return Params::bad("headers", "must be an object of strings");
    for (const auto& [k, v] : h->as_object()) {
      if (!v.is_string() || k.empty() || k.find_first_of("\r\n:") != std::string::npos ||
          v.as_string().find_first_of("\r\n") != std::string::npos)
        return Params::bad("headers", "names and values must be single-line strings");
      w.headers.emplace_back(std::string(k), std::string(v.as_string()));
    }
  }
  w.retries = static_cast<int>(KAIWU_TRY(p.integer("retries", 3, 0, 10)));
  w.backoff = std::chrono::milliseconds(KAIWU_TRY(p.integer("backoffMs", 500, 0, 60'000)));
  w.timeout = std::chrono::milliseconds(KAIWU_TRY(p.integer("timeoutMs", 5000, 100, 60'000)));
  return std::unique_ptr<Node>(std::move(n));
}

Result<std::unique_ptr<Node>> make_log(const json::object& o, const std::string&) {
  Params p(o);
  KAIWU_TRY_STATUS(p.only({"level", "message"}));
  auto n = std::make_unique<LogNode>();
  const auto level = KAIWU_TRY(p.str("level", false, 8));
  if (level.empty() || level == "info") n->level = LogLevel::kInfo;
  else if (level == "debug") n->level = LogLevel::kDebug;
  else if (level == "warn") n->level = LogLevel::kWarn;
  else if (level == "error") n->level = LogLevel::kError;
  else return Params::bad("level", "must be debug, info, warn or error");
  n->message = KAIWU_TRY(p.str("message", false, 1024));
  return std::unique_ptr<Node>(std::move(n));
}

}  // namespace kaiwu::rules::detail
