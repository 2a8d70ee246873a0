// Open invocation of APP functions (the MIIT form's "cross-platform invocation"), console page
// visits, run logs and UI assets. A call acts for one enterprise: the API key's or user's own, or
// for tenant-wide callers the one named by ?enterpriseId=; it runs only when that enterprise
// subscribed, and anything else is "app X not found".
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "api/common.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

constexpr std::size_t kMaxRuns = 100;

json::object to_json(const apps::RunRecord& r) {
  json::array log;
  for (const auto& l : r.log) log.emplace_back(l);
  return json::object{{"id", r.id},
                      {"appId", r.app_id},
                      {"version", r.version},
                      {"tenantId", r.tenant_id},
                      {"enterpriseId", r.enterprise_id},
                      {"function", r.function},
                      {"trigger", r.trigger},
                      {"actor", r.actor},
                      {"startedAt", r.start_ms},
                      {"durationUs", r.duration_us},
                      {"ok", r.ok},
                      {"error", r.error},
                      {"log", std::move(log)}};
}

Result<http::Response> invoke(ApiContext& ctx, http::Request& req) {
  const std::string app(req.param("appId"));
  const std::string enterprise = KAIWU_TRY(acting_enterprise(ctx, req, "app " + app + " not found"));
  std::string input = req.body.empty() ? "{}" : req.body;
  if (auto parsed = parse_json(input); !parsed) return invalid("body", "must be JSON (the function's input)");
  const std::string fn(req.param("fn"));
  // The runtime's cached view (packages verified once per listing or subscription change).
  KAIWU_TRY_STATUS(ctx.app_runtime->check_subscribed(app, req.principal->tenant_id, enterprise, fn));
  apps::Invocation inv{app, fn, input, req.principal->tenant_id, enterprise, "http", actor_of(req)};
  auto run = KAIWU_TRY(ctx.app_runtime->invoke(inv));
  json::value result = nullptr;
  if (run.record.ok) {
    auto parsed = parse_json(run.result_json);
    result = parsed ? *parsed : json::value(nullptr);
  }
  json::object out{{"ok", run.record.ok},       {"result", std::move(result)}, {"error", run.record.error},
                   {"runId", run.record.id},     {"version", run.record.version},
                   {"durationUs", run.record.duration_us}};
  json::array log;
  for (const auto& l : run.record.log) log.emplace_back(l);
  out["log"] = std::move(log);
  return json_response(run.record.ok ? 200 : 422, out);
}

Result<http::Response> visit(ApiContext& ctx, http::Request& req) {
  const std::string app(req.param("appId"));
  auto a = ctx.marketplace->store().get_app(app);
  if (!a || a->listed_version.empty()) return fail(Errc::kNotFound, "app " + app + " not found");
  // A tenant-wide user may visit without naming an enterprise; a named one must be in scope.
  std::string enterprise;
  if (!req.principal->enterprise_id.empty() || req.query_param("enterpriseId"))
    enterprise = KAIWU_TRY(acting_enterprise(ctx, req, "app " + app + " not found"));
  ctx.meter->record(metering::Record{.kind = metering::Kind::kAppVisit,
                                     .tenant_id = req.principal->tenant_id,
                                     .enterprise_id = enterprise,
                                     .subject_id = app,
                                     .actor_id = req.principal->user_id.empty() ? actor_of(req) : req.principal->user_id,
                                     .function = {},
                                     .ok = true});
  return http::Response::no_content();
}

// A non-negative integer query parameter; nullopt when absent.
Result<std::optional<std::int64_t>> int_param(const http::Request& req, std::string_view name, std::int64_t min,
                                              std::int64_t max, std::string_view why) {
  auto v = req.query_param(name);
  if (!v) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < min || n > max) return invalid(name, why);
  return std::optional<std::int64_t>{n};
}

// The persistent run log, newest first, paged. The publisher (the APP's owner, i.e. its
// developer) and platform admins see the runs of every subscriber; others those of their own
// tenant (enterprise users: of their enterprise). A developer reading it uses a portal tool.
Result<http::Response> runs(ApiContext& ctx, http::Request& req) {
  const std::string app(req.param("appId"));
  auto a = ctx.marketplace->store().get_app(app);
  if (!a) return fail(Errc::kNotFound, "app " + app + " not found");
  const bool publisher = is_platform_admin(req) || req.principal->user_id == a->owner_user_id;
  apps::RunQuery q;
  q.app_id = app;
  q.enterprise_id = std::string(req.query_param("enterpriseId").value_or(""));
  if (!publisher) {
    const auto& p = *req.principal;
    if (p.role != Role::kTenantAdmin && p.role != Role::kEnterpriseAdmin)
      return fail(Errc::kPermissionDenied, "run logs are for the publisher and tenant or enterprise admins");
    q.tenant_id = p.tenant_id;
    if (!p.enterprise_id.empty()) q.enterprise_id = p.enterprise_id;
  }
  if (auto status = req.query_param("status")) {
    if (*status == "ok") q.ok = true;
    else if (*status == "failed") q.ok = false;
    else return invalid("status", "must be ok or failed");
  }
  if (auto trigger = req.query_param("trigger")) {
    if (*trigger != "http" && *trigger != "schedule" && *trigger != "telemetry" && *trigger != "alarm")
      return invalid("trigger", "must be http, schedule, telemetry or alarm");
    q.trigger = std::string(*trigger);
  }
  q.since_ms = KAIWU_TRY(int_param(req, "since", 0, INT64_MAX, "must be ms since the epoch")).value_or(0);
  q.limit = static_cast<std::size_t>(
      KAIWU_TRY(int_param(req, "limit", 1, static_cast<std::int64_t>(kMaxRuns), "must be 1..100")).value_or(50));
  q.cursor = std::string(req.query_param("cursor").value_or(""));
  auto page = KAIWU_TRY(ctx.app_runtime->runs(q));
  record_tool_call(ctx, req, "run_logs");
  json::array items;
  for (const auto& r : page.items) items.push_back(to_json(r));
  json::object out{{"items", std::move(items)}};
  out["next"] = page.next.empty() ? json::value(nullptr) : json::value(page.next);
  return json_response(200, out);
}

std::string content_type(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".json")) return "application/json";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

// The console's APP SDK goes first in <head>, so the page's own inline scripts find window.kaiwu.
std::string with_sdk(const std::string& html) {
  constexpr std::string_view kTag = "<script src=\"/app-sdk.js\"></script>";
  auto lower = html;
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view open : {"<head", "<html"}) {
    if (auto at = lower.find(open); at != std::string::npos) {
      if (auto end = lower.find('>', at); end != std::string::npos) {
        std::string out = html;
        out.insert(end + 1, open == "<head" ? std::string(kTag) : "<head>" + std::string(kTag) + "</head>");
        return out;
      }
    }
  }
  return std::string(kTag) + html;
}

// The listed version's ui/<file>: public, so the console can show it in its sandboxed iframe; it
// holds nothing but the published package's own assets. An APP UI is one self-contained HTML file
// (inline CSS/JS, CONTRACT-S16): its CSP allows inline code and the console's SDK but no network
// at all (default-src 'none'), and the sandbox gives it an opaque origin (no session, no cookies).
Result<http::Response> ui_file(ApiContext& ctx, http::Request& req) {
  const std::string app(req.param("appId"));
  auto pkg = KAIWU_TRY(ctx.marketplace->load_listed(app));
  const std::string path = "ui/" + std::string(req.param("file"));
  auto it = pkg.package.files.find(path);
  if (it == pkg.package.files.end()) return fail(Errc::kNotFound, "app " + app + " has no " + path);
  const bool html = path.ends_with(".html");
  auto resp = http::Response::text(200, html ? with_sdk(it->second) : it->second, content_type(path));
  resp.headers.emplace_back("Content-Security-Policy",
                            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
                            "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'; "
                            "frame-ancestors 'self'; sandbox allow-scripts allow-downloads");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.headers.emplace_back("Cache-Control", "no-cache");
  return resp;
}

}  // namespace

void register_app_invoke_routes(http::Router& r, ApiContext& ctx) {
  const std::string tag = "apps";
  const auto run = schema_object({{"id", "string"}, {"function", "string"}, {"trigger", "string"}, {"ok", "boolean"},
                                  {"error", "string"}, {"durationUs", "integer"}, {"log", "array"}});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/{appId}/functions/{fn}",
         .summary = "Invoke an APP function for the caller's enterprise (API key or JWT)", .tag = tag,
         .access = http::Access::signed_in(),
         .query = {{"enterpriseId", "string", "tenant-wide callers: the enterprise to act for"}},
         .request_schema = schema_object({}),
         .response_schema = schema_object({{"ok", "boolean"}, {"result", "object"}, {"error", "string"},
                                           {"runId", "string"}, {"durationUs", "integer"}, {"log", "array"}}),
         .handler = [&ctx](http::Request& req) { return invoke(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/{appId}/visit",
         .summary = "Record a visit to an APP's page in the console", .tag = tag, .access = http::Access::signed_in(),
         .query = {{"enterpriseId", "string", "tenant-wide callers: the enterprise visiting"}}, .success_status = 204,
         .handler = [&ctx](http::Request& req) { return visit(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/runs",
         .summary = "The APP's run log, newest first, with log lines (publisher, tenant and enterprise admins)", .tag = tag,
         .access = http::Access::signed_in(),
         .query = {{"enterpriseId", "string", "only this enterprise"},
                   {"status", "string", "ok | failed"},
                   {"trigger", "string", "http | schedule | telemetry | alarm"},
                   {"since", "integer", "only runs started at or after (ms since the epoch)"},
                   {"limit", "integer", "1..100 (default 50)"},
                   {"cursor", "string", "the previous page's next"}},
         .response_schema = schema_list(run), .handler = [&ctx](http::Request& req) { return runs(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/ui/{file}",
         .summary = "A UI asset of the listed version (shown inside the console)", .tag = tag,
         .access = http::Access::anyone(), .response_content_type = "text/html",
         .handler = [&ctx](http::Request& req) { return ui_file(ctx, req); }});
}

}  // namespace kaiwu::api
