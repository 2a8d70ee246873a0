// Alarms (/api/v1/alarms…) and the tenants' notification targets (/api/v1/notification-targets…).
// Every change goes through alarm::AlarmService (store, then bus); reads go to the store, always
// in the caller's scope, so another tenant's alarm id is a 404.
#include "alarm/alarm_json.hpp"
#include "api/common.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

constexpr std::string_view kStatuses = "active | acknowledged | cleared | cleared-unacknowledged (comma-separated)";
constexpr std::string_view kSeverities = "critical | major | minor | warning (comma-separated)";

// "a,b" → ["a","b"], empty items ignored.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

Result<meta::AlarmFilter> alarm_filter(const http::Request& req) {
  meta::AlarmFilter f;
  for (const auto& s : split_list(req.query_param("status").value_or(""))) {
    auto st = model::parse_alarm_status(s);
    if (!st) return invalid("status", "\"" + s + "\" is not one of " + std::string(kStatuses));
    f.statuses.push_back(*st);
  }
  for (const auto& s : split_list(req.query_param("severity").value_or(""))) {
    auto sev = model::parse_alarm_severity(s);
    if (!sev) return invalid("severity", "\"" + s + "\" is not one of " + std::string(kSeverities));
    f.severities.push_back(*sev);
  }
  f.device_id = req.query_param("deviceId").value_or("");
  f.enterprise_id = req.query_param("enterpriseId").value_or("");
  f.park_id = req.query_param("parkId").value_or("");
  f.type = req.query_param("type").value_or("");
  return f;
}

alarm::AlarmService& service(ApiContext& ctx) { return *ctx.alarms; }

Result<http::Response> raise(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"deviceId", "type", "severity", "details", "ts", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  const auto& p = *req.principal;
  if (!p.enterprise_id.empty()) scope.enterprise_id = p.enterprise_id;
  else if (p.role == Role::kParkAdmin) scope.park_id = p.park_id;
  model::Alarm a;
  a.tenant_id = scope.tenant_id;
  a.device_id = KAIWU_TRY(body.str("deviceId", 64)).value_or("");
  a.type = KAIWU_TRY(body.required_str("type", 128));
  auto sev_text = KAIWU_TRY(body.str("severity", 16)).value_or("warning");
  auto sev = model::parse_alarm_severity(sev_text);
  if (!sev) return invalid("severity", "\"" + sev_text + "\" is not one of critical, major, minor, warning");
  a.severity = *sev;
  if (body.has("details")) {
    const auto& d = body.object().at("details");
    if (!d.is_object()) return invalid("details", "must be a JSON object");
    a.details_json = json::serialize(d);
  }
  a.last_ms = KAIWU_TRY(body.integer("ts")).value_or(0);
  if (a.last_ms < 0) return invalid("ts", "must be milliseconds since the epoch");
  if (!a.device_id.empty()) {
    auto d = ctx.store.get_device(scope, a.device_id);
    if (!d) return invalid("deviceId", "no device " + a.device_id);
  }
  auto r = KAIWU_TRY(service(ctx).raise(scope, a, actor_of(req)));
  audit(ctx, req, r.alarm.tenant_id, r.created ? "raise" : "retrigger", "alarm", r.alarm.id, r.alarm.type);
  return json_response(r.created ? 201 : 200, alarm::to_json(r.alarm));
}

Result<http::Response> alarm_with_history(ApiContext& ctx, http::Request& req) {
  auto scope = request_scope(req);
  auto a = KAIWU_TRY(ctx.store.get_alarm(scope, std::string(req.param("id"))));
  auto history = KAIWU_TRY(ctx.store.alarm_history(scope, a.id));
  auto o = alarm::to_json(a);
  json::array h;
  for (const auto& e : history) h.push_back(alarm::to_json(e));
  o["history"] = std::move(h);
  return json_response(200, o);
}

Result<http::Response> counts(ApiContext& ctx, http::Request& req) {
  auto f = KAIWU_TRY(alarm_filter(req));
  auto c = KAIWU_TRY(ctx.store.count_alarms(request_scope(req), f));
  json::object sev, st;
  for (auto s : {model::AlarmSeverity::kCritical, model::AlarmSeverity::kMajor, model::AlarmSeverity::kMinor,
                 model::AlarmSeverity::kWarning})
    sev[model::alarm_severity_name(s)] = c.by_severity[static_cast<int>(s)];
  for (auto s : {model::AlarmStatus::kActive, model::AlarmStatus::kAcknowledged, model::AlarmStatus::kCleared,
                 model::AlarmStatus::kClearedUnacknowledged})
    st[model::alarm_status_name(s)] = c.by_status[static_cast<int>(s)];
  return json_response(200, json::object{{"total", c.total}, {"bySeverity", std::move(sev)}, {"byStatus", std::move(st)}});
}

// --- Notification targets ----------------------------------------------------------------------

json::object target_json(const model::NotificationTarget& t) {
  return {{"id", t.id},
          {"tenantId", t.tenant_id},
          {"name", t.name},
          {"url", t.url},
          {"headerName", t.header_name},
          {"hasSecret", !t.header_value.empty()},  // the secret itself is never shown again
          {"enabled", t.enabled},
          {"createdAt", t.created_ms}};
}

Status apply_target(const Body& body, model::NotificationTarget& t, bool creating) {
  if (creating || body.has("name")) t.name = KAIWU_TRY(body.required_str("name", 128));
  if (creating || body.has("url")) t.url = KAIWU_TRY(body.required_str("url", 2048));
  if (auto v = KAIWU_TRY(body.str("headerName", 128))) t.header_name = *v;
  if (auto v = KAIWU_TRY(body.str("headerValue", 1024))) t.header_value = *v;
  if (auto v = KAIWU_TRY(body.boolean("enabled"))) t.enabled = *v;
  return ok();
}

Result<Body> target_body(const http::Request& req) {
  return Body::parse(req.body, {"name", "url", "headerName", "headerValue", "enabled", "tenantId"});
}

void register_target_routes(http::Router& r, ApiContext& ctx) {
  const auto admins = http::Access::only({Role::kTenantAdmin});
  const auto target = schema_object({{"id", "string"}, {"tenantId", "string"}, {"name", "string"}, {"url", "string"},
                                     {"headerName", "string"}, {"hasSecret", "boolean"}, {"enabled", "boolean"},
                                     {"createdAt", "integer"}});
  const auto body = schema_object({{"name", "string"}, {"url", "string"}, {"headerName", "string"},
                                   {"headerValue", "string"}, {"enabled", "boolean"}, {"tenantId", "string"}},
                                  {"name", "url"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/notification-targets",
         .summary = "List the tenant's alarm webhooks", .tag = "alarms", .access = admins,
         .query = {{"tenantId"}, {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(target),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           auto list = KAIWU_TRY(ctx.store.list_notification_targets(request_scope(req), page));
           return list_response(list, target_json);
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/notification-targets",
         .summary = "Add an alarm webhook: every alarm change in the tenant is POSTed to url as "
                    "{\"event\":\"alarm.created|updated|acknowledged|cleared\",\"ts\",\"alarm\"}, with "
                    "headerName: headerValue when set; retried with backoff",
         .tag = "alarms", .access = admins, .request_schema = body, .response_schema = target, .success_status = 201,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto b = KAIWU_TRY(target_body(req));
           auto scope = KAIWU_TRY(create_scope(ctx, req, b));
           model::NotificationTarget t;
           t.tenant_id = scope.tenant_id;
           KAIWU_TRY_STATUS(apply_target(b, t, true));
           auto created = KAIWU_TRY(ctx.store.create_notification_target(scope, t));
           audit(ctx, req, created.tenant_id, "create", "notification_target", created.id, created.url);
           return json_response(201, target_json(created));
         }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/notification-targets/{id}",
         .summary = "Get an alarm webhook", .tag = "alarms", .access = admins, .response_schema = target,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto t = KAIWU_TRY(ctx.store.get_notification_target(request_scope(req), std::string(req.param("id"))));
           return json_response(200, target_json(t));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/notification-targets/{id}",
         .summary = "Update an alarm webhook", .tag = "alarms", .access = admins, .request_schema = body,
         .response_schema = target,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto b = KAIWU_TRY(target_body(req));
           auto scope = request_scope(req);
           auto t = KAIWU_TRY(ctx.store.get_notification_target(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(apply_target(b, t, false));
           auto updated = KAIWU_TRY(ctx.store.update_notification_target(scope, t));
           audit(ctx, req, t.tenant_id, "update", "notification_target", t.id, t.url);
           return json_response(200, target_json(updated));
         }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/notification-targets/{id}",
         .summary = "Delete an alarm webhook", .tag = "alarms", .access = admins, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto t = KAIWU_TRY(ctx.store.get_notification_target(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(ctx.store.delete_notification_target(scope, t.id));
           audit(ctx, req, t.tenant_id, "delete", "notification_target", t.id, t.url);
           return http::Response::no_content();
         }});
}

}  // namespace

void register_alarm_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.alarms) return;
  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin, Role::kEngineer});
  const auto alarm = schema_object({{"id", "string"}, {"tenantId", "string"}, {"deviceId", "string"},
                                    {"enterpriseId", "string"}, {"parkId", "string"}, {"type", "string"},
                                    {"severity", "string"}, {"status", "string"}, {"acknowledged", "boolean"},
                                    {"cleared", "boolean"}, {"startTs", "integer"}, {"lastTs", "integer"},
                                    {"count", "integer"}, {"ackTs", "integer"}, {"ackBy", "string"},
                                    {"clearTs", "integer"}, {"clearBy", "string"}, {"details", "object"},
                                    {"updatedTs", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/alarms",
         .summary = "List alarms in scope (enterprise and park users see those propagated to them)", .tag = "alarms",
         .access = http::Access::signed_in(),
         .query = {{"status", "string", std::string(kStatuses)}, {"severity", "string", std::string(kSeverities)},
                   {"deviceId"}, {"enterpriseId"}, {"parkId"}, {"type"},
                   {"tenantId", "string", "platform admins: one tenant"}, {"limit", "integer"}, {"cursor"},
                   {"offset", "integer"}},
         .response_schema = schema_list(alarm),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto f = KAIWU_TRY(alarm_filter(req));
           auto page = KAIWU_TRY(page_params(req));
           auto list = KAIWU_TRY(ctx.store.list_alarms(request_scope(req), f, page));
           return list_response(list, [](const model::Alarm& a) { return alarm::to_json(a); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/alarms",
         .summary = "Raise an alarm (201), or re-trigger the uncleared alarm of the same device and type (200: "
                    "count, lastTs, severity and details updated)",
         .tag = "alarms", .access = writers,
         .request_schema = schema_object({{"deviceId", "string"}, {"type", "string"}, {"severity", "string"},
                                          {"details", "object"}, {"ts", "integer"}, {"tenantId", "string"}},
                                         {"type"}),
         .response_schema = alarm, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return raise(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/alarms/counts",
         .summary = "Alarm counts in scope by severity and status (same filters as the list)", .tag = "alarms",
         .access = http::Access::signed_in(),
         .query = {{"status", "string", std::string(kStatuses)}, {"severity", "string", std::string(kSeverities)},
                   {"deviceId"}, {"enterpriseId"}, {"parkId"}, {"type"}, {"tenantId"}},
         .response_schema = schema_object({{"total", "integer"}, {"bySeverity", "object"}, {"byStatus", "object"}}),
         .handler = [&ctx](http::Request& req) { return counts(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/alarms/{id}", .summary = "Get an alarm with its history",
         .tag = "alarms", .access = http::Access::signed_in(), .response_schema = alarm,
         .handler = [&ctx](http::Request& req) { return alarm_with_history(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/alarms/{id}/ack",
         .summary = "Acknowledge an alarm (409 when already acknowledged)", .tag = "alarms", .access = writers,
         .response_schema = alarm,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto a = KAIWU_TRY(service(ctx).acknowledge(request_scope(req), std::string(req.param("id")), actor_of(req)));
           audit(ctx, req, a.tenant_id, "acknowledge", "alarm", a.id, a.type);
           return json_response(200, alarm::to_json(a));
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/alarms/{id}/clear",
         .summary = "Clear an alarm (409 when already cleared)", .tag = "alarms", .access = writers,
         .response_schema = alarm,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto a = KAIWU_TRY(service(ctx).clear(request_scope(req), std::string(req.param("id")), actor_of(req)));
           audit(ctx, req, a.tenant_id, "clear", "alarm", a.id, a.type);
           return json_response(200, alarm::to_json(a));
         }});
  register_target_routes(r, ctx);
}

}  // namespace kaiwu::api
