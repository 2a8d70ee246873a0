#include "rules/actions.hpp"

#include <boost/json.hpp>

#include "rules/message_json.hpp"

namespace kaiwu::rules {
namespace json = boost::json;

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

Status RecordingActions::record(std::string kind, std::string detail) {
  std::lock_guard lock(mu_);
  if (auto it = failing_.find(kind); it != failing_.end()) {
    Error e = it->second;
    failing_.erase(it);
    return std::unexpected(std::move(e));
  }
  recorded_.push_back({std::move(kind), std::move(detail)});
  return ok();
}

Status RecordingActions::write_telemetry(const std::string& tenant, const std::string& device,
                                         std::int64_t ts, const std::map<std::string, Value>& values) {
  return record("write_telemetry",
                json::serialize(json::object{{"tenantId", tenant}, {"deviceId", device}, {"ts", ts},
                                             {"values", data_to_json(values)}}));
}

namespace {
json::object alarm_json(const AlarmRequest& a) {
  json::object o{{"tenantId", a.tenant_id}, {"deviceId", a.device_id}, {"type", a.type},
                 {"severity", a.severity}, {"origin", a.origin}, {"ts", a.ts}};
  boost::system::error_code ec;
  auto details = json::parse(a.details_json, ec);
  o["details"] = ec ? json::value(a.details_json) : details;
  return o;
}
}  // namespace

Status RecordingActions::raise_alarm(const AlarmRequest& a) {
  return record("raise_alarm", json::serialize(alarm_json(a)));
}

Status RecordingActions::clear_alarm(const AlarmRequest& a) {
  return record("clear_alarm", json::serialize(alarm_json(a)));
}

Result<std::string> RecordingActions::send_rpc(const RpcRequest& r) {
  boost::system::error_code ec;
  auto params = json::parse(r.params_json, ec);
  KAIWU_TRY_STATUS(record(
      "send_rpc", json::serialize(json::object{{"tenantId", r.tenant_id}, {"deviceId", r.device_id},
                                               {"method", r.method},
                                               {"params", ec ? json::value(nullptr) : params},
                                               {"oneway", r.oneway},
                                               {"timeoutMs", r.timeout.count()}})));
  return std::string();
}

Status RecordingActions::publish_mqtt(const MqttPublishRequest& p) {
  return record("publish_mqtt",
                json::serialize(json::object{{"tenantId", p.tenant_id}, {"topic", p.topic},
                                             {"payload", p.payload}, {"qos", p.qos},
                                             {"retain", p.retain}}));
}

Status RecordingActions::post_webhook(const WebhookRequest& w) {
  json::object headers;
  for (const auto& [k, v] : w.headers) headers[k] = v;
  return record("post_webhook",
                json::serialize(json::object{{"url", w.url}, {"method", w.method},
                                             {"headers", std::move(headers)}, {"body", w.body},
                                             {"retries", w.retries}}));
}

void RecordingActions::log(LogLevel level, const std::string& text) {
  (void)record("log", json::serialize(json::object{{"level", log_level_name(level)}, {"text", text}}));
}

Result<std::vector<std::pair<std::string, std::string>>> RecordingActions::get_attributes(
    const std::string& tenant, const std::string& device, const std::string& scope,
    const std::vector<std::string>& keys) {
  if (reads_) return reads_(tenant, device, scope, keys);
  return std::vector<std::pair<std::string, std::string>>{};
}

std::vector<RecordedAction> RecordingActions::take() {
  std::lock_guard lock(mu_);
  return std::exchange(recorded_, {});
}

std::vector<RecordedAction> RecordingActions::snapshot() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

void RecordingActions::fail_next(std::string kind, Error err) {
  std::lock_guard lock(mu_);
  failing_[std::move(kind)] = std::move(err);
}

}  // namespace kaiwu::rules
