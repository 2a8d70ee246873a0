// GET /api/v1/overview: the figures of the console's dashboard (and of the MIIT form) within the
// caller's scope, counted server-side so the browser does not page through every device; GET /api/v1/connect-info: the
// device-facing ports for the console's connection examples.
#include "api/common.hpp"
#include "core/ids.hpp"
#include "meta/paging.hpp"

namespace kaiwu::api {
namespace {

constexpr std::int64_t kDay = 86'400'000;

Result<http::Response> overview(ApiContext& ctx, http::Request& req) {
  auto scope = request_scope(req);
  std::int64_t now = now_ms();
  json::object by_category{{"running", 0}, {"processing", 0}, {"mobile", 0}, {"other", 0}};
  json::object by_protocol;
  std::int64_t devices = 0, online = 0, active_24h = 0, gateways = 0;
  KAIWU_TRY_STATUS(meta::for_each_page<model::Device>(
      [&](const meta::Page& p) { return ctx.store.list_devices(scope, meta::DeviceFilter{}, p); },
      [&](const model::Device& d) {
        ++devices;
        by_category[model::category_name(d.category)] = by_category[model::category_name(d.category)].as_int64() + 1;
        auto& n = by_protocol[d.protocol];
        n = n.is_int64() ? n.as_int64() + 1 : 1;
        if (ctx.devices && ctx.devices->is_online(d.id)) ++online;
        if (d.last_seen_ms && now - d.last_seen_ms < kDay) ++active_24h;
        if (d.is_gateway) ++gateways;
      }));
  std::int64_t enterprises = 0, parks = 0, profiles = 0;
  KAIWU_TRY_STATUS(meta::for_each_page<model::Enterprise>(
      [&](const meta::Page& p) { return ctx.store.list_enterprises(scope, meta::EnterpriseFilter{}, p); },
      [&](const model::Enterprise&) { ++enterprises; }));
  KAIWU_TRY_STATUS(meta::for_each_page<model::Park>(
      [&](const meta::Page& p) { return ctx.store.list_parks(scope, meta::ParkFilter{}, p); },
      [&](const model::Park&) { ++parks; }));
  KAIWU_TRY_STATUS(meta::for_each_page<model::DeviceProfile>(
      [&](const meta::Page& p) { return ctx.store.list_profiles(scope, meta::ProfileFilter{}, p); },
      [&](const model::DeviceProfile&) { ++profiles; }));
  json::object out{{"devices", devices},         {"online", online},       {"activeLast24h", active_24h},
                   {"gateways", gateways},       {"enterprises", enterprises}, {"parks", parks},
                   {"profiles", profiles},       {"byCategory", std::move(by_category)},
                   {"byProtocol", std::move(by_protocol)}, {"time", now}};
  // The ingest counter is process-wide, so only platform admins see it.
  if (is_platform_admin(req))
    out["samplesIngested"] = ctx.metrics
                                 .counter("kaiwu_device_samples_ingested_total",
                                          "telemetry samples stored from MQTT devices")
                                 .value();
  else
    out["samplesIngested"] = nullptr;
  return json_response(200, out);
}

}  // namespace

void register_overview_routes(http::Router& r, ApiContext& ctx) {
  json::object count{{"type", "object"}, {"additionalProperties", json::object{{"type", "integer"}}}};
  json::value schema = schema_object({{"devices", "integer"}, {"online", "integer"}, {"activeLast24h", "integer"},
                                      {"gateways", "integer"}, {"enterprises", "integer"}, {"parks", "integer"},
                                      {"profiles", "integer"}, {"samplesIngested", "integer"}, {"time", "integer"}},
                                     {"devices", "online", "activeLast24h", "enterprises", "parks", "byCategory",
                                      "byProtocol"});
  auto& props = schema.as_object()["properties"].as_object();
  props["byCategory"] = count;
  props["byProtocol"] = count;
  props["samplesIngested"].as_object()["nullable"] = true;
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/overview",
         .summary = "Dashboard figures in the caller's scope: devices by MIIT category and protocol, online, "
                    "active in the last 24 h, enterprises, parks",
         .tag = "overview", .access = http::Access::signed_in(), .response_schema = std::move(schema),
         .handler = [&ctx](http::Request& req) { return overview(ctx, req); }});
  // What the console needs to print ready-to-run device examples (mosquitto_pub -p …).
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/connect-info",
         .summary = "Where devices connect: the MQTT port and, with a certificate, the MQTTS port", .tag = "overview",
         .access = http::Access::signed_in(),
         .response_schema = schema_object({{"mqttPort", "integer"}, {"mqttTlsPort", "integer"}}),
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           const auto& c = ctx.config;
           return json_response(200, json::object{{"mqttPort", c.mqtt.port},
                                                  {"mqttTlsPort", c.http.cert.empty() ? 0 : c.mqtt.tls_port}});
         }});
}

}  // namespace kaiwu::api
