#include <charconv>
#include <cmath>

#include "api/common.hpp"
#include "bus/publish.hpp"
#include "core/ids.hpp"
#include "ingest/telemetry_json.hpp"

namespace kaiwu::api {
namespace {

using model::Role;
constexpr std::int64_t kDay = 86'400'000;

json::object point(std::int64_t ts, const tsdb::Value& v) { return {{"ts", ts}, {"value", telemetry_value_json(v)}}; }

std::vector<std::string> key_list(const http::Request& req) {
  std::vector<std::string> keys;
  auto v = req.query_param("keys");
  if (!v) return keys;
  std::string_view s = *v;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto k = s.substr(0, comma);
    if (!k.empty()) keys.emplace_back(k);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return keys;
}

Result<std::optional<std::int64_t>> int_param(const http::Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v) return std::optional<std::int64_t>{};
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size())
    return std::unexpected(invalid(name, "must be an integer").error());
  return std::optional<std::int64_t>(out);
}

Result<model::Device> device_of(ApiContext& ctx, const http::Request& req) {
  return ctx.store.get_device(request_scope(req), std::string(req.param("id")));
}

Result<http::Response> post_telemetry(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_of(ctx, req));
  auto samples = KAIWU_TRY(ingest::parse_telemetry_json(req.body, now_ms()));
  std::vector<tsdb::Point> points;
  points.reserve(samples.size());
  for (auto& s : samples) points.push_back({device.tenant_id, device.id, std::move(s.key), s.ts, std::move(s.value)});
  KAIWU_TRY_STATUS(ctx.telemetry.write(points));
  note_device_active(ctx, device);
  const std::size_t written = points.size();
  bus::publish_points(ctx.bus, points);
  return json_response(200, json::object{{"written", written}});
}

Result<http::Response> get_latest(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_of(ctx, req));
  auto keys = key_list(req);
  auto latest = KAIWU_TRY(ctx.telemetry.latest(device.tenant_id, device.id, keys));
  json::object out;
  for (const auto& l : latest) out[l.key] = point(l.sample.ts, l.sample.value);
  return json_response(200, out);
}

Result<http::Response> get_keys(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_of(ctx, req));
  auto keys = KAIWU_TRY(ctx.telemetry.keys(device.tenant_id, device.id));
  json::array out;
  for (auto& k : keys) out.push_back(json::value(k));
  return json_response(200, out);
}

Result<http::Response> get_range(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_of(ctx, req));
  auto keys = key_list(req);
  if (keys.empty()) keys = KAIWU_TRY(ctx.telemetry.keys(device.tenant_id, device.id));
  std::int64_t to = KAIWU_TRY(int_param(req, "to")).value_or(now_ms() + 1);
  std::int64_t from = KAIWU_TRY(int_param(req, "from")).value_or(to - kDay);
  if (from >= to) return invalid("from", "must be before to");
  json::object out;
  if (auto agg_name = req.query_param("agg"); agg_name && *agg_name != "none") {
    auto agg = tsdb::parse_agg(*agg_name);
    if (!agg) return invalid("agg", "must be one of min, max, avg, sum, count, first, last, none");
    auto interval = KAIWU_TRY(int_param(req, "interval")).value_or(60'000);
    if (interval <= 0) return invalid("interval", "must be a positive number of milliseconds");
    tsdb::AggQuery q{device.tenant_id, device.id, keys, from, to, interval, *agg};
    auto result = KAIWU_TRY(ctx.telemetry.aggregate(q));
    for (const auto& kb : result) {
      json::array arr;
      for (const auto& b : kb.buckets) arr.push_back(point(b.ts, b.value));
      out[kb.key] = std::move(arr);
    }
    return json_response(200, out);
  }
  auto limit = KAIWU_TRY(int_param(req, "limit")).value_or(10'000);
  if (limit < 1 || limit > 100'000) return invalid("limit", "must be in 1..100000");
  auto order = req.query_param("order").value_or("asc");
  if (order != "asc" && order != "desc") return invalid("order", "must be asc or desc");
  tsdb::RangeQuery q{device.tenant_id, device.id, keys, from, to, static_cast<std::size_t>(limit),
                     order == "asc" ? tsdb::Order::kAsc : tsdb::Order::kDesc};
  auto result = KAIWU_TRY(ctx.telemetry.range(q));
  for (const auto& ks : result) {
    json::array arr;
    arr.reserve(ks.samples.size());
    for (const auto& s : ks.samples) arr.push_back(point(s.ts, s.value));
    out[ks.key] = std::move(arr);
  }
  return json_response(200, out);
}

Result<http::Response> delete_range(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_of(ctx, req));
  auto keys = key_list(req);
  auto from = KAIWU_TRY(int_param(req, "from"));
  auto to = KAIWU_TRY(int_param(req, "to"));
  if (!from || !to) return invalid("from", "from and to are required (ms since the epoch)");
  KAIWU_TRY_STATUS(ctx.telemetry.delete_range(device.tenant_id, device.id, keys, *from, *to));
  audit(ctx, req, device.tenant_id, "delete_telemetry", "device", device.id,
        "keys=" + std::string(req.query_param("keys").value_or("*")) + " from=" + std::to_string(*from) +
            " to=" + std::to_string(*to));
  return http::Response::no_content();
}

Result<http::Response> put_retention(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"days"}));
  auto days = KAIWU_TRY(body.integer("days"));
  if (!days || *days < 0 || *days > 100 * 365) return invalid("days", "must be 0 (keep forever) .. 36500");
  auto tenant = KAIWU_TRY(ctx.store.get_tenant(std::string(req.param("id"))));
  KAIWU_TRY_STATUS(ctx.telemetry.set_retention(tenant.id, *days * kDay));
  audit(ctx, req, tenant.id, "set_retention", "tenant", tenant.id, std::to_string(*days) + " days");
  return json_response(200, json::object{{"tenantId", tenant.id}, {"days", *days}});
}

}  // namespace

void register_telemetry_routes(http::Router& r, ApiContext& ctx) {
  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin, Role::kEngineer});
  const json::value sample = schema_object({{"ts", "integer"}, {"value", "number"}});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/devices/{id}/telemetry",
         .summary = "Write telemetry for a device (device API payload forms); answers once durable",
         .tag = "telemetry", .access = writers,
         .request_schema = json::object{{"description", "{\"k\":v} | {\"ts\":ms,\"values\":{…}} | [ … ]"}},
         .response_schema = schema_object({{"written", "integer"}}),
         .handler = [&ctx](http::Request& req) { return post_telemetry(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices/{id}/telemetry/latest",
         .summary = "Latest value of each key", .tag = "telemetry", .access = http::Access::signed_in(),
         .query = {{"keys", "string", "comma-separated; all keys when absent"}},
         .response_schema = json::object{{"type", "object"}, {"additionalProperties", sample}},
         .handler = [&ctx](http::Request& req) { return get_latest(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices/{id}/telemetry/keys",
         .summary = "Telemetry keys of a device", .tag = "telemetry", .access = http::Access::signed_in(),
         .response_schema = json::object{{"type", "array"}, {"items", json::object{{"type", "string"}}}},
         .handler = [&ctx](http::Request& req) { return get_keys(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices/{id}/telemetry",
         .summary = "Raw samples or fixed-interval aggregates of keys in [from, to)", .tag = "telemetry",
         .access = http::Access::signed_in(),
         .query = {{"keys", "string", "comma-separated; all keys when absent"},
                   {"from", "integer", "ms, inclusive (default: to - 24 h)"},
                   {"to", "integer", "ms, exclusive (default: now)"},
                   {"agg", "string", "min | max | avg | sum | count | first | last | none"},
                   {"interval", "integer", "bucket width in ms (with agg; default 60000)"},
                   {"limit", "integer", "raw samples per key (1..100000, default 10000)"},
                   {"order", "string", "asc | desc"}},
         .response_schema = json::object{{"type", "object"},
                                         {"additionalProperties", json::object{{"type", "array"}, {"items", sample}}}},
         .handler = [&ctx](http::Request& req) { return get_range(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/devices/{id}/telemetry",
         .summary = "Delete samples of keys (all when absent) in [from, to)", .tag = "telemetry", .access = writers,
         .query = {{"keys", "string", "comma-separated"}, {"from", "integer", "ms", true}, {"to", "integer", "ms", true}},
         .success_status = 204,
         .handler = [&ctx](http::Request& req) { return delete_range(ctx, req); }});
  r.add({.method = http::Method::kPut, .pattern = "/api/v1/tenants/{id}/retention",
         .summary = "Telemetry retention of a tenant in days (0 keeps forever)", .tag = "telemetry",
         .access = http::Access::only({Role::kPlatformAdmin}),
         .request_schema = schema_object({{"days", "integer"}}, {"days"}),
         .response_schema = schema_object({{"tenantId", "string"}, {"days", "integer"}}),
         .handler = [&ctx](http::Request& req) { return put_retention(ctx, req); }});
}

}  // namespace kaiwu::api
