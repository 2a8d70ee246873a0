// JSON of the ThingsBoard gateway API as the edge speaks it (sans-I/O).
//
// Telemetry (v1/gateway/telemetry): {"cnc-01":[{"ts":1700000000000,"values":{"speed":1200}}]}
// Connect (v1/gateway/connect):     {"device":"cnc-01","type":"processing"}
// RPC request (v1/gateway/rpc, platform → edge):
//   {"device":"cnc-01","data":{"id":7,"method":"write","params":{"key":"setpoint","value":12.5}}}
// RPC reply (v1/gateway/rpc, edge → platform):
//   {"device":"cnc-01","id":7,"data":{"success":true}}
// Methods: "write" {"key","value"} → Driver::write of that point (must be writable);
//          "read" {"key"} | {"keys":[…]} | {} (all points) → {"success":true,"values":{k:v}};
//          errors → {"success":false,"error":"…"}.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/driver.hpp"

namespace kaiwu::edge {

// Readings that carry values (errors are skipped), grouped by timestamp. Empty string when
// nothing is left. Non-finite doubles are skipped (JSON cannot carry them).
std::string telemetry_payload(const std::string& device, const std::vector<drivers::Reading>& readings);

// v1/gateway/connect: {"device","type":category[,"protocol":driver]} — the platform records the
// protocol of devices it creates (or corrects it).
std::string connect_payload(const std::string& device, const std::string& category,
                            const std::string& protocol = {});
std::string disconnect_payload(const std::string& device);

boost::json::value value_to_json(const tsdb::Value& v);
// A JSON scalar as a telemetry value: integers stay int64, other numbers double.
Result<tsdb::Value> json_to_value(const boost::json::value& v);

struct RpcRequest {
  std::string device;
  boost::json::value id;
  std::string method;
  boost::json::value params;
};
Result<RpcRequest> parse_rpc_request(std::string_view payload);
std::string rpc_reply(const RpcRequest& request, const boost::json::object& data);

}  // namespace kaiwu::edge
