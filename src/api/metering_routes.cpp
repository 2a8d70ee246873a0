#include <spdlog/spdlog.h>

#include "api/common.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

using model::Role;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMaxDays = 366;

// Platform admins: everything, or one tenant with ?tenantId=; everyone else: their tenant.
std::string usage_tenant(const http::Request& req) {
  if (is_platform_admin(req)) return std::string(req.query_param("tenantId").value_or(""));
  return req.principal->tenant_id;
}

json::value tenant_or_null(const std::string& t) { return t.empty() ? json::value(nullptr) : json::value(t); }

std::string current_month() {
  auto day = metering::day_name(now_ms());
  return day.substr(0, 7);
}

Result<http::Response> summary(ApiContext& ctx, http::Request& req) {
  const std::string month(req.query_param("month").value_or(current_month()));
  auto range = KAIWU_TRY(metering::month_range(month));
  const auto tenant = usage_tenant(req);
  auto s = KAIWU_TRY(ctx.usage->summary(tenant, range));
  json::array by_enterprise;
  for (const auto& [e, n] : s.calls_by_enterprise) by_enterprise.push_back(json::object{{"enterpriseId", e}, {"calls", n}});
  return json_response(200, json::object{{"month", month},
                                         {"tenantId", tenant_or_null(tenant)},
                                         {"from", range.from_ms},
                                         {"to", range.to_ms},
                                         {"appVisits", s.app_visits},
                                         {"appCalls", s.app_calls},
                                         {"modelCalls", s.model_calls},
                                         {"developerLogins", s.developer_logins},
                                         {"toolCalls", s.tool_calls},
                                         {"failedCalls", s.failed_calls},
                                         {"activeApps", s.active_apps},
                                         {"activeModels", s.active_models},
                                         {"activeDevelopers", s.active_developers},
                                         {"callsByEnterprise", std::move(by_enterprise)}});
}

Result<http::Response> daily(ApiContext& ctx, http::Request& req) {
  const std::int64_t today = now_ms() / kDayMs * kDayMs;
  std::int64_t to = today;
  if (auto t = req.query_param("to")) {
    auto d = metering::day_start_ms(*t);
    if (!d) return invalid("to", d.error().message);
    to = *d;
  }
  std::int64_t from = to - 29 * kDayMs;
  if (auto f = req.query_param("from")) {
    auto d = metering::day_start_ms(*f);
    if (!d) return invalid("from", d.error().message);
    from = *d;
  }
  if (from > to) return invalid("from", "must not be after to");
  if ((to - from) / kDayMs >= kMaxDays) return invalid("from", "the range is at most 366 days");
  const std::string subject(req.query_param("subject").value_or(""));
  if (subject.size() > 128) return invalid("subject", "at most 128 characters");
  const auto tenant = usage_tenant(req);
  auto rows = KAIWU_TRY(ctx.usage->daily(tenant, metering::TimeRange{from, to + kDayMs}, subject));
  json::array items;
  for (const auto& r : rows)
    items.push_back(json::object{{"day", metering::day_name(r.day_ms)},
                                 {"kind", metering::to_string(r.kind)},
                                 {"subjectId", r.subject_id},
                                 {"count", r.count},
                                 {"failed", r.failed}});
  return json_response(200, json::object{{"from", metering::day_name(from)},
                                         {"to", metering::day_name(to)},
                                         {"tenantId", tenant_or_null(tenant)},
                                         {"items", std::move(items)}});
}

}  // namespace

void record_tool_call(ApiContext& ctx, const http::Request& req, std::string_view tool) {
  if (!ctx.meter || !req.principal || req.principal->role != Role::kDeveloper) return;
  const auto& p = *req.principal;
  metering::Record r;
  r.kind = metering::Kind::kToolCall;
  r.tenant_id = p.tenant_id;
  r.enterprise_id = p.enterprise_id;
  r.subject_id = p.user_id;  // an API key's calls count for the developer who created it
  r.actor_id = p.via_api_key ? "apikey:" + p.api_key_id : p.user_id;
  r.function = std::string(tool);
  ctx.meter->record(std::move(r));
}

void register_metering_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.usage) return;
  const auto access = http::Access::only({Role::kPlatformAdmin, Role::kTenantAdmin, Role::kDeveloper});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/metering/summary",
         .summary = "Usage figures of a month: monthly-active APPs, calls, active developers, calls per enterprise",
         .tag = "metering", .access = access,
         .query = {{"month", "string", "YYYY-MM (UTC); default: this month"},
                   {"tenantId", "string", "platform admins: one tenant (default: the whole platform)"}},
         .response_schema = schema_object({{"month", "string"}, {"tenantId", "string"}, {"from", "integer"},
                                           {"to", "integer"}, {"appVisits", "integer"}, {"appCalls", "integer"},
                                           {"modelCalls", "integer"}, {"developerLogins", "integer"},
                                           {"toolCalls", "integer"}, {"failedCalls", "integer"},
                                           {"activeApps", "integer"}, {"activeModels", "integer"},
                                           {"activeDevelopers", "integer"}, {"callsByEnterprise", "array"}}),
         .handler = [&ctx](http::Request& req) { return summary(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/metering/daily",
         .summary = "Usage counts per UTC day, kind and subject (APP, model or developer)",
         .tag = "metering", .access = access,
         .query = {{"from", "string", "YYYY-MM-DD (default: 29 days before to)"},
                   {"to", "string", "YYYY-MM-DD, inclusive (default: today)"},
                   {"subject", "string", "one APP, model or developer id"},
                   {"tenantId", "string", "platform admins: one tenant"}},
         .response_schema = schema_object({{"from", "string"}, {"to", "string"}, {"tenantId", "string"},
                                           {"items", "array"}}),
         .handler = [&ctx](http::Request& req) { return daily(ctx, req); }});
}

}  // namespace kaiwu::api
