#include "api/common.hpp"

namespace kaiwu::api {

void register_system_routes(http::Router& r, ApiContext& ctx) {
  r.add({.method = http::Method::kGet,
         .pattern = "/healthz",
         .summary = "Liveness: the process answers",
         .tag = "system",
         .access = http::Access::anyone(),
         .response_schema = schema_object({{"status", "string"}}),
         .handler = [](http::Request&) -> Result<http::Response> {
           return json_response(200, json::object{{"status", "ok"}});
         }});
  r.add({.method = http::Method::kGet,
         .pattern = "/readyz",
         .summary = "Readiness: storage open and accepting work",
         .tag = "system",
         .access = http::Access::anyone(),
         .response_schema = schema_object({{"status", "string"}}),
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           bool ready = !ctx.ready || ctx.ready();
           return json_response(ready ? 200 : 503,
                                json::object{{"status", ready ? "ready" : "not ready"}});
         }});
  r.add({.method = http::Method::kGet,
         .pattern = "/metrics",
         .summary = "Prometheus metrics (text exposition format 0.0.4)",
         .tag = "system",
         .access = http::Access::anyone(),
         .response_schema = json::object{{"type", "string"}},
         .response_content_type = "text/plain; version=0.0.4",
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           return http::Response::text(200, ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
         }});
  r.add({.method = http::Method::kGet,
         .pattern = "/api/v1/openapi.json",
         .summary = "This API's OpenAPI 3 document, generated from the route table",
         .tag = "system",
         .access = http::Access::anyone(),
         .response_schema = json::object{{"type", "object"}},
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           return json_response(200, ctx.router->openapi("Kaiwu API", "0.1.0"));
         }});
}

void register_all(http::Router& r, ApiContext& ctx) {
  register_system_routes(r, ctx);
  register_auth_routes(r, ctx);
  register_developer_routes(r, ctx);
  register_metering_routes(r, ctx);
  register_tenant_routes(r, ctx);
  register_park_routes(r, ctx);
  register_enterprise_routes(r, ctx);
  register_user_routes(r, ctx);
  register_apikey_routes(r, ctx);
  register_profile_routes(r, ctx);
  register_device_routes(r, ctx);
  register_audit_routes(r, ctx);
  register_telemetry_routes(r, ctx);
  register_device_api_routes(r, ctx);
  register_alarm_routes(r, ctx);
  register_feed_route(r);
  register_overview_routes(r, ctx);
  register_indicator_routes(r, ctx);
  register_solution_routes(r, ctx);
}

}  // namespace kaiwu::api
