#include "rules/platform_actions.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "core/json_parse.hpp"
#include "rules/webhook.hpp"

namespace kaiwu::rules {
namespace json = boost::json;

PlatformActions::PlatformActions(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, PlatformHooks hooks)
    : store_(store), telemetry_(telemetry), hooks_(std::move(hooks)) {}

Status PlatformActions::write_telemetry(const std::string& tenant, const std::string& device, std::int64_t ts,
                                        const std::map<std::string, Value>& values) {
  std::vector<tsdb::Point> points;
  points.reserve(values.size());
  for (const auto& [k, v] : values) points.push_back(tsdb::Point{tenant, device, k, ts, v});
  return telemetry_.write(points);
}

Status PlatformActions::raise_alarm(const AlarmRequest& a) {
  if (!hooks_.raise_alarm) return fail(Errc::kUnavailable, "alarms are not available in this server");
  return hooks_.raise_alarm(a);
}

Status PlatformActions::clear_alarm(const AlarmRequest& a) {
  if (!hooks_.clear_alarm) return fail(Errc::kUnavailable, "alarms are not available in this server");
  return hooks_.clear_alarm(a);
}

Result<std::string> PlatformActions::send_rpc(const RpcRequest& r) {
  if (!r.oneway) {
    if (!hooks_.call_rpc) return fail(Errc::kUnavailable, "RPC is not available in this server");
    return hooks_.call_rpc(r);
  }
  if (!hooks_.publish) return fail(Errc::kUnavailable, "MQTT is not available in this server");
  json::object request{{"method", r.method}};
  auto params = parse_json(r.params_json.empty() ? std::string_view("null") : std::string_view(r.params_json));
  request["params"] = params ? std::move(*params) : json::value(nullptr);
  // ThingsBoard server-side RPC topic; ids of one-way requests count from the top so they do
  // not collide with the gateway's two-way ids.
  const std::uint64_t id = (1ULL << 31) + next_rpc_.fetch_add(1);
  KAIWU_TRY_STATUS(hooks_.publish(MqttPublishRequest{
      r.tenant_id, "v1/devices/" + r.device_id + "/rpc/request/" + std::to_string(id), json::serialize(request), 1,
      false}));
  return std::string();
}

Status PlatformActions::publish_mqtt(const MqttPublishRequest& p) {
  if (!hooks_.publish) return fail(Errc::kUnavailable, "MQTT is not available in this server");
  return hooks_.publish(p);
}

Status PlatformActions::post_webhook(const WebhookRequest& w) { return rules::post_webhook(w); }

void PlatformActions::log(LogLevel level, const std::string& text) {
  switch (level) {
    case LogLevel::kDebug: spdlog::debug("rules: {}", text); break;
    case LogLevel::kInfo: spdlog::info("rules: {}", text); break;
    case LogLevel::kWarn: spdlog::warn("rules: {}", text); break;
    case LogLevel::kError: spdlog::error("rules: {}", text); break;
  }
}

Result<std::vector<std::pair<std::string, std::string>>> PlatformActions::get_attributes(
    const std::string& tenant, const std::string& device, const std::string& scope,
    const std::vector<std::string>& keys) {
  return store_attribute_reader(store_)(tenant, device, scope, keys);
}

AttributeReader store_attribute_reader(meta::MetadataStore& store) {
  return [&store](const std::string& tenant, const std::string& device, const std::string& scope_name,
                  const std::vector<std::string>& keys) -> Result<std::vector<std::pair<std::string, std::string>>> {
    if (tenant.empty()) return fail(Errc::kInvalidArgument, "message has no tenant");
    auto scope = model::parse_attribute_scope(scope_name);
    if (!scope) return fail(Errc::kInvalidArgument, "unknown attribute scope " + scope_name);
    auto attrs = KAIWU_TRY(store.get_attributes(meta::Scope::tenant(tenant), device, *scope, keys));
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(attrs.size());
    for (auto& a : attrs) out.emplace_back(std::move(a.key), std::move(a.value_json));
    return out;
  };
}

}  // namespace kaiwu::rules
