#include "rules/message_json.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace kaiwu::rules {
namespace json = boost::json;

json::value to_json(const Value& v) {
  return std::visit([](const auto& x) -> json::value { return json::value(x); }, v);
}

json::object data_to_json(const std::map<std::string, Value>& data) {
  json::object out;
  for (const auto& [k, v] : data) out[k] = to_json(v);
  return out;
}

json::object to_json(const Message& m) {
  json::object md;
  for (const auto& [k, v] : m.metadata) md[k] = v;
  return json::object{{"type", message_type_name(m.type)},
                      {"deviceId", m.device_id},
                      {"deviceName", m.device_name},
                      {"profileId", m.profile_id},
                      {"ts", m.ts},
                      {"data", data_to_json(m.data)},
                      {"metadata", std::move(md)}};
}

namespace {

std::unexpected<Error> bad(std::string_view field, std::string_view why) {
  return fail(Errc::kInvalidArgument, fmt::format("message.{}: {}", field, why));
}

Result<std::string> str_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return bad(key, "must be a string");
  if (v->as_string().size() > 256) return bad(key, "must be at most 256 bytes");
  return std::string(v->as_string());
}

}  // namespace

Result<Message> message_from_json(const json::value& v) {
  if (!v.is_object()) return fail(Errc::kInvalidArgument, "message must be a JSON object");
  const auto& o = v.as_object();
  for (const auto& [k, _] : o) {
    static constexpr std::string_view kAllowed[] = {"type", "deviceId", "deviceName", "profileId",
                                                    "ts", "data", "metadata"};
    if (std::find(std::begin(kAllowed), std::end(kAllowed), std::string_view(k)) == std::end(kAllowed))
      return bad(k, "unknown field");
  }
  Message m;
  auto type = KAIWU_TRY(str_field(o, "type"));
  if (!type.empty() && !parse_message_type(type, m.type))
    return bad("type", "must be telemetry, attributes, connected, disconnected, inactivity or activity");
  m.device_id = KAIWU_TRY(str_field(o, "deviceId"));
  m.device_name = KAIWU_TRY(str_field(o, "deviceName"));
  m.profile_id = KAIWU_TRY(str_field(o, "profileId"));
  if (const auto* ts = o.if_contains("ts")) {
    if (ts->is_int64()) m.ts = ts->as_int64();
    else if (ts->is_uint64() && ts->as_uint64() < (1ULL << 62)) m.ts = static_cast<std::int64_t>(ts->as_uint64());
    else return bad("ts", "must be an integer (ms)");
  }
  if (const auto* data = o.if_contains("data")) {
    if (!data->is_object()) return bad("data", "must be an object");
    for (const auto& [k, x] : data->as_object()) {
      if (x.is_double()) m.data[k] = x.as_double();
      else if (x.is_int64()) m.data[k] = x.as_int64();
      else if (x.is_uint64()) m.data[k] = static_cast<double>(x.as_uint64());
      else if (x.is_bool()) m.data[k] = x.as_bool();
      else if (x.is_string()) m.data[k] = std::string(x.as_string());
      else return bad(fmt::format("data.{}", std::string_view(k)), "must be a number, boolean or string");
    }
  }
  if (const auto* md = o.if_contains("metadata")) {
    if (!md->is_object()) return bad("metadata", "must be an object");
    for (const auto& [k, x] : md->as_object()) {
      if (!x.is_string()) return bad(fmt::format("metadata.{}", std::string_view(k)), "must be a string");
      m.metadata[k] = std::string(x.as_string());
    }
  }
  return m;
}

}  // namespace kaiwu::rules
