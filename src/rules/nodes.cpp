// The table of node types.
#include <fmt/format.h>

#include "rules/message_json.hpp"
#include "rules/nodes_internal.hpp"

namespace kaiwu::rules {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

const std::vector<NodeType>& node_types() {
  static const std::vector<NodeType> kTypes{
      {"filter", "device/profile/key/message-type filter", {"True", "False"}, make_filter},
      {"script_filter", "Lua script returning a boolean", {"True", "False", "Failure"}, make_script_filter},
      {"script_transform", "Lua script returning the new msg", {"Success", "Failure"}, make_script_transform},
      {"threshold", "value above high for durationMs, reset below high - hysteresis",
       {"Raised", "Cleared", "Active", "Normal", "Skipped"}, make_threshold},
      {"rate_of_change", "|Δvalue/Δt| per second above maxPerSecond", {"True", "False"}, make_rate_of_change},
      {"offline", "no telemetry for timeoutMs", {"Success", "Online", "Offline"}, make_offline},
      {"enrich_attributes", "device attributes into metadata", {"Success", "Failure"}, make_enrich_attributes},
      {"write_telemetry", "write msg data as derived telemetry", {"Success", "Failure"}, make_write_telemetry},
      {"create_alarm", "raise an alarm on the device", {"Success", "Failure"}, make_create_alarm},
      {"clear_alarm", "clear an alarm on the device", {"Success", "Failure"}, make_clear_alarm},
      {"rpc", "RPC to the device", {"Success", "Failure"}, make_rpc},
      {"mqtt_publish", "republish msg data on an MQTT topic", {"Success", "Failure"}, make_mqtt_publish},
      {"webhook", "HTTP POST/PUT with retries", {"Success", "Failure"}, make_webhook},
      {"log", "write a log line", {"Success"}, make_log},
  };
  return kTypes;
}

const NodeType* find_node_type(std::string_view name) {
  for (const auto& t : node_types())
    if (t.name == name) return &t;
  return nullptr;
}

namespace detail {

namespace {
std::string value_text(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else return fmt::format("{}", x);
      },
      v);
}

std::string lookup(std::string_view name, const Message& m) {
  if (name == "deviceId") return m.device_id;
  if (name == "deviceName") return m.device_name;
  if (name == "profileId") return m.profile_id;
  if (name == "ts") return std::to_string(m.ts);
  if (name == "type") return std::string(message_type_name(m.type));
  if (name.starts_with("data.")) {
    auto it = m.data.find(std::string(name.substr(5)));
    return it == m.data.end() ? std::string() : value_text(it->second);
  }
  if (name.starts_with("metadata.")) {
    auto it = m.metadata.find(std::string(name.substr(9)));
    return it == m.metadata.end() ? std::string() : it->second;
  }
  if (auto it = m.metadata.find(std::string(name)); it != m.metadata.end()) return it->second;
  if (auto it = m.data.find(std::string(name)); it != m.data.end()) return value_text(it->second);
  return {};
}
}  // namespace

std::string render_template(std::string_view tmpl, const Message& m) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const auto open = tmpl.find("${", i);
    if (open == std::string_view::npos) break;
    const auto close = tmpl.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(i, open - i));
    out += lookup(tmpl.substr(open + 2, close - open - 2), m);
    i = close + 1;
  }
  out.append(tmpl.substr(std::min(i, tmpl.size())));
  return out;
}

}  // namespace detail
}  // namespace kaiwu::rules
