#include "edge/payload.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <map>

#include "core/json_parse.hpp"

namespace kaiwu::edge {

boost::json::value value_to_json(const tsdb::Value& v) {
  return std::visit([](const auto& x) -> boost::json::value { return boost::json::value(x); }, v);
}

Result<tsdb::Value> json_to_value(const boost::json::value& v) {
  if (v.is_bool()) return tsdb::Value(v.as_bool());
  if (v.is_int64()) return tsdb::Value(v.as_int64());
  if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return tsdb::Value(static_cast<double>(v.as_uint64()));
    return tsdb::Value(static_cast<std::int64_t>(v.as_uint64()));
  }
  if (v.is_double()) return tsdb::Value(v.as_double());
  if (v.is_string()) return tsdb::Value(std::string(v.as_string()));
  return fail(Errc::kInvalidArgument, "value must be a number, boolean or string");
}

std::string telemetry_payload(const std::string& device, const std::vector<drivers::Reading>& readings) {
  std::map<std::int64_t, boost::json::object> by_ts;
  for (const auto& r : readings) {
    if (!r.value) continue;
    if (const auto* d = std::get_if<double>(&*r.value); d && !std::isfinite(*d)) continue;
    by_ts[r.ts][r.key] = value_to_json(*r.value);
  }
  if (by_ts.empty()) return {};
  boost::json::array samples;
  for (auto& [ts, values] : by_ts) samples.push_back(boost::json::object{{"ts", ts}, {"values", std::move(values)}});
  boost::json::object root;
  root[device] = std::move(samples);
  return boost::json::serialize(root);
}

std::string connect_payload(const std::string& device, const std::string& category, const std::string& protocol) {
  boost::json::object o{{"device", device}, {"type", category}};
  if (!protocol.empty()) o["protocol"] = protocol;
  return boost::json::serialize(o);
}

std::string disconnect_payload(const std::string& device) {
  return boost::json::serialize(boost::json::object{{"device", device}});
}

Result<RpcRequest> parse_rpc_request(std::string_view payload) {
  auto parsed = KAIWU_TRY(parse_json(payload));
  if (!parsed.is_object()) return fail(Errc::kInvalidArgument, "rpc: expected a JSON object");
  const auto& o = parsed.as_object();
  RpcRequest r;
  const auto* device = o.if_contains("device");
  if (!device || !device->is_string()) return fail(Errc::kInvalidArgument, "rpc: \"device\" must be a string");
  r.device = std::string(device->as_string());
  const auto* data = o.if_contains("data");
  if (!data || !data->is_object()) return fail(Errc::kInvalidArgument, "rpc: \"data\" must be an object");
  const auto& d = data->as_object();
  if (const auto* id = d.if_contains("id")) r.id = *id;
  const auto* method = d.if_contains("method");
  if (!method || !method->is_string()) return fail(Errc::kInvalidArgument, "rpc: \"data.method\" must be a string");
  r.method = std::string(method->as_string());
  if (const auto* params = d.if_contains("params")) r.params = *params;
  return r;
}

std::string rpc_reply(const RpcRequest& request, const boost::json::object& data) {
  return boost::json::serialize(boost::json::object{{"device", request.device}, {"id", request.id}, {"data", data}});
}

}  // namespace kaiwu::edge
