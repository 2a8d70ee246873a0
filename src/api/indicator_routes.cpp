// GET /api/v1/platform/indicators: the MIIT 双跨 capability figures (report/indicators.hpp).
// Platform admins see the whole platform (or one tenant with ?tenantId=), tenant admins their
// own tenant; everyone else is refused by the route's roles.
#include "api/common.hpp"
#include "core/ids.hpp"
#include "report/indicators.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Result<http::Response> indicators(ApiContext& ctx, http::Request& req) {
  const std::string as_of(req.query_param("asOf").value_or(metering::day_name(now_ms())));
  if (!metering::day_start_ms(as_of)) return invalid("asOf", "must be a date YYYY-MM-DD");
  meta::Scope scope = meta::Scope::tenant(req.principal->tenant_id);
  if (is_platform_admin(req)) {
    scope = meta::Scope::platform();
    if (auto t = req.query_param("tenantId"); t && !t->empty()) {
      KAIWU_TRY(ctx.store.get_tenant(std::string(*t)));
      scope = meta::Scope::tenant(std::string(*t));
    }
  }
  report::IndicatorSources src{.store = ctx.store};
  src.usage = ctx.usage;
  src.apps = ctx.marketplace ? &ctx.marketplace->store() : nullptr;
  src.models = ctx.models ? &ctx.models->store() : nullptr;
  src.developers = ctx.developer_accounts;
  src.solutions = ctx.solutions;
  return json_response(200, KAIWU_TRY(report::compute_indicators(src, scope, as_of)));
}

json::value indicators_schema() {
  json::value figure = schema_object({{"id", "string"}, {"nameZh", "string"}, {"nameEn", "string"}, {"unit", "string"},
                                      {"definitionZh", "string"}, {"definitionEn", "string"}, {"query", "string"},
                                      {"source", "string"}},
                                     {"id", "nameZh", "nameEn", "unit", "value", "definitionZh", "definitionEn",
                                      "query", "source"});
  auto& fp = figure.as_object()["properties"].as_object();
  fp["value"] = json::object{{"nullable", true},
                             {"description", "number | string | boolean | object {key: number} | array of rows | null"}};
  fp["source"].as_object()["enum"] = json::array{"live", "documentary"};
  json::object label{{"type", "object"},
                     {"properties", json::object{{"zh", json::object{{"type", "string"}}},
                                                 {"en", json::object{{"type", "string"}}}}},
                     {"required", json::array{"zh", "en"}}};
  fp["labels"] = json::object{{"type", "object"}, {"additionalProperties", std::move(label)}};
  json::value ind = schema_object({{"id", "string"}, {"nameZh", "string"}, {"nameEn", "string"}},
                                  {"id", "nameZh", "nameEn", "figures"});
  ind.as_object()["properties"].as_object()["figures"] = json::object{{"type", "array"}, {"items", std::move(figure)}};
  json::value out = schema_object({{"asOf", "string"}, {"month", "string"}, {"generatedMs", "integer"},
                                   {"tenantId", "string"}},
                                  {"asOf", "month", "generatedMs", "tenantId", "indicators"});
  out.as_object()["properties"].as_object()["indicators"] = json::object{{"type", "array"}, {"items", std::move(ind)}};
  return out;
}

}  // namespace

void register_indicator_routes(http::Router& r, ApiContext& ctx) {
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/platform/indicators",
         .summary = "MIIT 双跨 capability figures from live data, each with its definition and query",
         .tag = "report", .access = http::Access::only({Role::kPlatformAdmin, Role::kTenantAdmin}),
         .query = {{"asOf", "string", "YYYY-MM-DD (UTC) of the daily figures; its month for the monthly ones; default today"},
                   {"tenantId", "string", "platform admins: one tenant (default: the whole platform)"}},
         .response_schema = indicators_schema(),
         .handler = [&ctx](http::Request& req) { return indicators(ctx, req); }});
}

}  // namespace kaiwu::api
