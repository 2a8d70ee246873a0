// /api/v1/apps: the APP marketplace. Developers register publisher keys and upload signed
// packages; platform admins review them; every signed-in user browses listed APPs; tenant and
// enterprise admins subscribe their enterprises; enterprise users rate. apps/README.md has the
// lifecycle.
#include "api/common.hpp"
#include "apps/manifest.hpp"
#include "core/crypto.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

apps::Marketplace& market(ApiContext& ctx) { return *ctx.marketplace; }

json::value manifest_value(const std::string& manifest_text) {
  auto m = apps::parse_manifest(manifest_text);
  if (!m) return nullptr;
  auto v = parse_json(apps::manifest_json(*m));
  return v ? *v : json::value(nullptr);
}

json::object to_json(const apps::AppVersion& v) {
  return json::object{{"appId", v.app_id},
                      {"version", v.version},
                      {"status", apps::version_status_name(v.status)},
                      {"reason", v.reason},
                      {"digest", v.digest_hex},
                      {"keyFingerprint", v.key_fingerprint},
                      {"uploadedBy", v.uploaded_by},
                      {"uploadedAt", v.uploaded_ms},
                      {"reviewedBy", v.reviewed_by},
                      {"reviewedAt", v.reviewed_ms},
                      {"manifest", manifest_value(v.manifest_text)}};
}

json::object to_json(ApiContext& ctx, const apps::AppSummary& a) {
  json::value manifest = nullptr;
  if (!a.listed_version.empty()) {
    if (auto v = market(ctx).store().get_version(a.id, a.listed_version)) manifest = manifest_value(v->manifest_text);
  }
  json::object o{{"id", a.id},
                 {"publisher", a.publisher},
                 {"listed", !a.listed_version.empty()},
                 {"listedVersion", a.listed_version},
                 {"subscribers", a.subscribers},
                 {"rating", json::object{{"average", a.rating_average}, {"count", a.rating_count}}},
                 {"createdAt", a.created_ms},
                 {"manifest", std::move(manifest)}};
  return o;
}

json::object to_json(const apps::Subscription& s) {
  return json::object{{"appId", s.app_id},   {"tenantId", s.tenant_id}, {"enterpriseId", s.enterprise_id},
                      {"plan", s.plan_id},   {"calls", s.calls},        {"createdBy", s.created_by},
                      {"createdAt", s.created_ms}};
}

json::object to_json(const apps::Rating& r) {
  return json::object{{"appId", r.app_id}, {"userId", r.user_id}, {"enterpriseId", r.enterprise_id},
                      {"stars", r.stars},  {"comment", r.comment}, {"updatedAt", r.updated_ms}};
}

json::object to_json(const apps::PublisherKey& k) {
  return json::object{{"fingerprint", k.fingerprint}, {"publisher", k.publisher}, {"publicKey", k.public_key_pem},
                      {"ownerUserId", k.owner_user_id}, {"createdAt", k.created_ms}};
}

bool owns(const http::Request& req, const apps::AppSummary& a) {
  return is_platform_admin(req) || (!req.principal->user_id.empty() && req.principal->user_id == a.owner_user_id);
}

template <typename T, typename F>
http::Response items_response(const std::vector<T>& items, F&& serialise) {
  json::array out;
  for (const auto& item : items) out.push_back(serialise(item));
  return json_response(200, json::object{{"items", std::move(out)}, {"next", nullptr}});
}

Result<http::Response> upload(ApiContext& ctx, http::Request& req) {
  auto v = KAIWU_TRY(market(ctx).upload(req.body, req.principal->user_id));
  audit(ctx, req, req.principal->tenant_id, "upload", "app", v.app_id, v.version);
  record_tool_call(ctx, req, "package_upload");
  return json_response(201, to_json(v));
}

Result<http::Response> validate(ApiContext& ctx, http::Request& req) {
  record_tool_call(ctx, req, "package_validate");
  json::array errors;
  json::value manifest = nullptr;
  std::string digest;
  auto package = apps::parse_package(req.body);
  if (!package) {
    errors.emplace_back(package.error().message);
  } else if (auto checked = apps::check_package(std::move(*package)); !checked) {
    errors.emplace_back(checked.error().message);
  } else {
    manifest = *parse_json(apps::manifest_json(checked->manifest));
    digest = crypto::to_hex(checked->digest);
    if (checked->package.signature.empty()) errors.emplace_back("package is not signed (kaiwu app sign)");
  }
  const bool valid = errors.empty();
  return json_response(200, json::object{{"valid", valid}, {"errors", std::move(errors)}, {"manifest", std::move(manifest)},
                                         {"digest", digest}});
}

Result<http::Response> add_key(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"publicKey"}));
  auto pem = KAIWU_TRY(body.required_str("publicKey", 4096));
  const std::string owner = is_platform_admin(req) ? "" : req.principal->user_id;
  auto k = KAIWU_TRY(market(ctx).add_key(std::string(req.param("publisher")), pem, owner));
  audit(ctx, req, req.principal->tenant_id, "register-key", "app-publisher", k.publisher, k.fingerprint);
  return json_response(201, to_json(k));
}

Result<http::Response> list_keys(ApiContext& ctx, http::Request& req) {
  auto keys = KAIWU_TRY(market(ctx).store().list_publisher_keys(std::string(req.param("publisher"))));
  return items_response(keys, [](const auto& k) { return to_json(k); });
}

Result<http::Response> review(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"approve", "reason"}));
  auto approve = KAIWU_TRY(body.boolean("approve"));
  if (!approve) return invalid("approve", "is required (true or false)");
  auto reason = KAIWU_TRY(body.str("reason", 2048)).value_or("");
  auto v = KAIWU_TRY(market(ctx).review(std::string(req.param("appId")), std::string(req.param("version")), *approve,
                                        reason, actor_of(req)));
  audit(ctx, req, "", *approve ? "approve" : "reject", "app", v.app_id, v.version);
  return json_response(200, to_json(v));
}

Result<http::Response> list_apps(ApiContext& ctx, http::Request& req) {
  const bool all = KAIWU_TRY(bool_param(req, "all")).value_or(false) && is_platform_admin(req);
  const std::string domain(req.query_param("domain").value_or(""));
  if (!domain.empty() && !apps::parse_domain(domain)) return invalid("domain", "is not one of the nine MIIT domains");
  auto list = KAIWU_TRY(market(ctx).store().list_apps(!all));
  json::array items;
  for (const auto& a : list) {
    auto o = to_json(ctx, a);
    if (!domain.empty()) {
      const auto* m = o["manifest"].if_object();
      if (!m || m->at("domain") != json::value(domain)) continue;
    }
    items.push_back(std::move(o));
  }
  return json_response(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
}

// A listed APP for everyone; an unlisted one only for its owner and platform admins.
Result<apps::AppSummary> visible_app(ApiContext& ctx, const http::Request& req) {
  const std::string id(req.param("appId"));
  auto a = market(ctx).store().get_app(id);
  if (!a || (a->listed_version.empty() && !owns(req, *a))) return fail(Errc::kNotFound, "app " + id + " not found");
  return std::move(*a);
}

Result<http::Response> get_app(ApiContext& ctx, http::Request& req) {
  return json_response(200, to_json(ctx, KAIWU_TRY(visible_app(ctx, req))));
}

Result<http::Response> list_versions(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(visible_app(ctx, req));
  if (!owns(req, a)) return fail(Errc::kPermissionDenied, "only the publisher and platform admins see an APP's versions");
  auto versions = KAIWU_TRY(market(ctx).store().list_versions(a.id));
  return items_response(versions, [](const auto& v) { return to_json(v); });
}

// The enterprise an admin acts for: enterprise admins their own, tenant admins one of theirs.
Result<model::Enterprise> target_enterprise(ApiContext& ctx, const http::Request& req, std::string id) {
  if (id.empty()) id = req.principal->enterprise_id;
  if (id.empty()) return invalid("enterpriseId", "is required");
  return ctx.store.get_enterprise(request_scope(req), id);
}

Result<http::Response> subscribe(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"enterpriseId", "plan"}));
  auto ent = KAIWU_TRY(target_enterprise(ctx, req, KAIWU_TRY(body.str("enterpriseId", 64)).value_or("")));
  auto plan = KAIWU_TRY(body.str("plan", 32)).value_or("");
  auto s = KAIWU_TRY(market(ctx).subscribe(std::string(req.param("appId")), ent.tenant_id, ent.id, plan, actor_of(req)));
  audit(ctx, req, ent.tenant_id, "subscribe", "app", s.app_id, ent.id);
  return json_response(201, to_json(s));
}

Result<http::Response> unsubscribe(ApiContext& ctx, http::Request& req) {
  auto ent = KAIWU_TRY(target_enterprise(ctx, req, std::string(req.param("enterpriseId"))));
  const std::string app(req.param("appId"));
  KAIWU_TRY_STATUS(market(ctx).unsubscribe(app, ent.tenant_id, ent.id));
  audit(ctx, req, ent.tenant_id, "unsubscribe", "app", app, ent.id);
  return http::Response::no_content();
}

Result<http::Response> list_subscriptions(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(visible_app(ctx, req));
  const auto scope = request_scope(req);
  if (scope.is_platform() && !is_platform_admin(req)) return fail(Errc::kPermissionDenied, "no tenant");
  auto subs = KAIWU_TRY(market(ctx).store().list_subscriptions(a.id, scope.tenant_id));
  std::erase_if(subs, [&](const apps::Subscription& s) {
    return !scope.enterprise_id.empty() && s.enterprise_id != scope.enterprise_id;
  });
  return items_response(subs, [](const auto& s) { return to_json(s); });
}

Result<http::Response> rate(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(visible_app(ctx, req));
  if (req.principal->via_api_key || req.principal->tenant_id.empty())
    return fail(Errc::kPermissionDenied, "ratings come from enterprise users");
  auto body = KAIWU_TRY(Body::parse(req.body, {"stars", "comment"}));
  auto stars = KAIWU_TRY(body.integer("stars"));
  if (!stars || *stars < 1 || *stars > 5) return invalid("stars", "must be an integer 1..5");
  apps::Rating r{a.id, req.principal->user_id, req.principal->tenant_id, req.principal->enterprise_id,
                 static_cast<int>(*stars), KAIWU_TRY(body.str("comment", 2048)).value_or(""), 0};
  return json_response(201, to_json(KAIWU_TRY(market(ctx).store().rate(r))));
}

Result<http::Response> list_ratings(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(visible_app(ctx, req));
  auto ratings = KAIWU_TRY(market(ctx).store().list_ratings(a.id));
  return items_response(ratings, [](const auto& r) { return to_json(r); });
}

}  // namespace

void register_app_routes(http::Router& r, ApiContext& ctx) {
  const auto developers = http::Access::only({Role::kDeveloper, Role::kTenantAdmin});
  const auto admins = http::Access::only({Role::kTenantAdmin, Role::kEnterpriseAdmin});
  const auto platform = http::Access::only({Role::kPlatformAdmin});
  const auto any = http::Access::signed_in();
  const auto package = schema_object({{"format", "string"}, {"files", "object"}, {"signature", "string"}}, {"files"});
  const auto version = schema_object({{"appId", "string"}, {"version", "string"}, {"status", "string"},
                                      {"reason", "string"}, {"digest", "string"}, {"manifest", "object"}});
  const auto app = schema_object({{"id", "string"}, {"publisher", "string"}, {"listed", "boolean"},
                                  {"listedVersion", "string"}, {"subscribers", "integer"}, {"rating", "object"},
                                  {"manifest", "object"}});
  const auto sub = schema_object({{"appId", "string"}, {"enterpriseId", "string"}, {"plan", "string"}, {"calls", "integer"}});
  const auto rating = schema_object({{"stars", "integer"}, {"comment", "string"}}, {"stars"});
  const auto key = schema_object({{"fingerprint", "string"}, {"publisher", "string"}, {"publicKey", "string"}});
  const std::string tag = "apps";
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/packages", .summary = "Upload a signed APP package version",
         .tag = tag, .access = developers, .request_schema = package, .response_schema = version, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return upload(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/packages/validate",
         .summary = "Validate a package without storing it", .tag = tag, .access = any, .request_schema = package,
         .response_schema = schema_object({{"valid", "boolean"}, {"errors", "array"}, {"manifest", "object"}}),
         .handler = [&ctx](http::Request& req) { return validate(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/publishers/{publisher}/keys",
         .summary = "Register an Ed25519 publisher key", .tag = tag, .access = developers,
         .request_schema = schema_object({{"publicKey", "string"}}, {"publicKey"}), .response_schema = key,
         .success_status = 201, .handler = [&ctx](http::Request& req) { return add_key(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/publishers/{publisher}/keys",
         .summary = "A publisher's keys", .tag = tag, .access = any, .response_schema = schema_list(key),
         .handler = [&ctx](http::Request& req) { return list_keys(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/reviews", .summary = "Versions waiting for review",
         .tag = tag, .access = platform, .response_schema = schema_list(version),
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           auto pending = KAIWU_TRY(market(ctx).store().list_pending_versions());
           return items_response(pending, [](const auto& v) { return to_json(v); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/{appId}/versions/{version}/review",
         .summary = "Approve or reject an uploaded version", .tag = tag, .access = platform,
         .request_schema = schema_object({{"approve", "boolean"}, {"reason", "string"}}, {"approve"}),
         .response_schema = version, .handler = [&ctx](http::Request& req) { return review(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps", .summary = "Listed APPs (marketplace)", .tag = tag,
         .access = any,
         .query = {{"domain", "string", "one of the nine MIIT domains"}, {"all", "boolean", "platform admins: unlisted too"}},
         .response_schema = schema_list(app), .handler = [&ctx](http::Request& req) { return list_apps(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}", .summary = "An APP", .tag = tag,
         .access = any, .response_schema = app, .handler = [&ctx](http::Request& req) { return get_app(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/versions",
         .summary = "An APP's versions (publisher, platform admins)", .tag = tag, .access = any,
         .response_schema = schema_list(version),
         .handler = [&ctx](http::Request& req) { return list_versions(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/{appId}/subscriptions",
         .summary = "Subscribe an enterprise to an APP", .tag = tag, .access = admins,
         .request_schema = schema_object({{"enterpriseId", "string"}, {"plan", "string"}}), .response_schema = sub,
         .success_status = 201, .handler = [&ctx](http::Request& req) { return subscribe(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/subscriptions",
         .summary = "Subscriptions in the caller's scope", .tag = tag, .access = any,
         .query = {{"tenantId", "string", "platform admins: one tenant"}}, .response_schema = schema_list(sub),
         .handler = [&ctx](http::Request& req) { return list_subscriptions(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/apps/{appId}/subscriptions/{enterpriseId}",
         .summary = "Unsubscribe an enterprise", .tag = tag, .access = admins, .success_status = 204,
         .handler = [&ctx](http::Request& req) { return unsubscribe(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apps/{appId}/ratings",
         .summary = "Rate an APP 1..5 (one rating per user, replaced)", .tag = tag, .access = any,
         .request_schema = rating, .response_schema = rating, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return rate(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/ratings", .summary = "An APP's ratings",
         .tag = tag, .access = any, .response_schema = schema_list(rating),
         .handler = [&ctx](http::Request& req) { return list_ratings(ctx, req); }});
}

}  // namespace kaiwu::api
