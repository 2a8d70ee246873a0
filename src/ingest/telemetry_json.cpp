#include "ingest/telemetry_json.hpp"

#include <boost/json.hpp>

#include <cmath>

#include "core/json_parse.hpp"

namespace kaiwu::ingest {
namespace json = boost::json;

namespace {

Status bad(const std::string& where, const std::string& what) {
  return fail(Errc::kInvalidArgument, "telemetry" + where + ": " + what);
}

// parse_json reads numbers beyond the double range (1e999) as ±Inf, which the line protocol
// rejects and which has no JSON spelling (nested values would be stored as "Infinity").
bool all_finite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& e : v.get_array())
        if (!all_finite(e)) return false;
      return true;
    case json::kind::object:
      for (const auto& [k, e] : v.get_object())
        if (!all_finite(e)) return false;
      return true;
    default: return true;
  }
}

Status add_values(const json::object& values, std::int64_t ts, const std::string& where,
                  std::vector<TelemetrySample>& out) {
  for (const auto& [k, v] : values) {
    std::string key(k);
    if (key.empty() || key.size() > 256) return bad(where, "key must be 1..256 bytes");
    if (out.size() >= kMaxSamplesPerPayload) return bad(where, "more than 100000 values in one payload");
    if (!all_finite(v)) return bad(where + "." + key, "number out of range");
    tsdb::Value value;
    switch (v.kind()) {
      case json::kind::int64: value = v.get_int64(); break;
      case json::kind::uint64:
        if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) value = static_cast<double>(v.get_uint64());
        else value = static_cast<std::int64_t>(v.get_uint64());
        break;
      case json::kind::double_: value = v.get_double(); break;
      case json::kind::bool_: value = v.get_bool(); break;
      case json::kind::string: value = std::string(v.get_string()); break;
      case json::kind::object:
      case json::kind::array: value = json::serialize(v); break;
      case json::kind::null: return bad(where + "." + key, "null is not a value");
    }
    out.push_back({ts, std::move(key), std::move(value)});
  }
  return ok();
}

Result<std::int64_t> timestamp(const json::value& v, const std::string& where) {
  boost::system::error_code ec;
  std::int64_t ts = v.is_number() ? v.to_number<std::int64_t>(ec) : 0;
  if (!v.is_number() || ec || ts < 0)
    return std::unexpected(bad(where + ".ts", "must be milliseconds since the epoch (a non-negative integer)").error());
  return ts;
}

Status add_item(const json::value& item, std::int64_t now, const std::string& where,
                std::vector<TelemetrySample>& out) {
  if (!item.is_object()) return bad(where, "expected an object");
  const auto& o = item.as_object();
  auto* ts = o.if_contains("ts");
  auto* values = o.if_contains("values");
  if (ts && values && o.size() == 2) {
    if (!values->is_object()) return bad(where + ".values", "expected an object");
    auto t = KAIWU_TRY(timestamp(*ts, where));
    return add_values(values->as_object(), t, where + ".values", out);
  }
  if (ts || values) return bad(where, "with \"ts\" the values go in \"values\": {\"ts\":…,\"values\":{…}}");
  return add_values(o, now, where, out);
}

}  // namespace

Result<std::vector<TelemetrySample>> parse_telemetry_json(std::string_view payload, std::int64_t now_ms) {
  auto parsed = parse_json(payload);
  if (!parsed) return fail(Errc::kInvalidArgument, "telemetry: " + parsed.error().message);
  const json::value& v = *parsed;
  std::vector<TelemetrySample> out;
  if (v.is_array()) {
    std::size_t i = 0;
    for (const auto& item : v.as_array())
      KAIWU_TRY_STATUS(add_item(item, now_ms, "[" + std::to_string(i++) + "]", out));
  } else {
    KAIWU_TRY_STATUS(add_item(v, now_ms, "", out));
  }
  return out;
}

}  // namespace kaiwu::ingest
