#include <map>

#include "api/common.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Status rate_limited(ApiContext& ctx, const http::Request& req) {
  if (!ctx.login_by_address.allow(req.remote_address, now_ms()))
    return fail(Errc::kResourceExhausted, "too many requests from this address; try again in a minute");
  return ok();
}

Result<http::Response> register_developer(ApiContext& ctx, http::Request& req) {
  KAIWU_TRY_STATUS(rate_limited(ctx, req));
  auto body = KAIWU_TRY(Body::parse(req.body, {"email", "name", "password", "organisation"}));
  devportal::Registration r;
  r.email = KAIWU_TRY(body.required_str("email", 254));
  r.name = KAIWU_TRY(body.required_str("name", 128));
  r.organisation = KAIWU_TRY(body.str("organisation", 128)).value_or("");
  for (char c : r.name + r.organisation)
    if (static_cast<unsigned char>(c) < 0x20) return invalid("name", "must not contain control characters");
  auto password = KAIWU_TRY(body.required_str("password", 256));
  if (auto st = http::check_password_policy(password); !st) return invalid("password", st.error().message);
  r.password_hash = KAIWU_TRY(http::hash_password(password));
  auto a = KAIWU_TRY(ctx.developers->register_developer(std::move(r)));
  audit(ctx, req, "", "developer_register", "developer", a.id, a.email);
  return json_response(201, json::object{{"id", a.id},
                                         {"email", a.email},
                                         {"status", "pending"},
                                         {"tokenExpiresAt", a.token_expires_ms}});
}

Result<http::Response> verify(ApiContext& ctx, http::Request& req) {
  KAIWU_TRY_STATUS(rate_limited(ctx, req));
  auto body = KAIWU_TRY(Body::parse(req.body, {"token"}));
  auto token = KAIWU_TRY(body.required_str("token", 128));
  auto a = KAIWU_TRY(ctx.developers->verify(token));
  audit(ctx, req, a.tenant_id, "developer_verify", "developer", a.id, a.email);
  return json_response(200, json::object{{"status", "verified"},
                                         {"username", a.email},
                                         {"tenantId", a.tenant_id},
                                         {"enterpriseId", a.enterprise_id}});
}

Result<http::Response> resend(ApiContext& ctx, http::Request& req) {
  KAIWU_TRY_STATUS(rate_limited(ctx, req));
  auto body = KAIWU_TRY(Body::parse(req.body, {"email"}));
  auto email = KAIWU_TRY(body.required_str("email", 254));
  KAIWU_TRY_STATUS(ctx.developers->resend(email));
  return json_response(202, json::object{{"status", "sent"}});
}

Result<meta::DeveloperAccount> account_of(ApiContext& ctx, const http::Request& req) {
  if (req.principal->via_api_key) return fail(Errc::kPermissionDenied, "sign in as the developer, not with an API key");
  auto a = ctx.developers->by_user(req.principal->user_id);
  if (!a) return fail(Errc::kNotFound, "this user has no developer account");
  return a;
}

Result<http::Response> me(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(account_of(ctx, req));
  return json_response(200, json::object{{"id", a.id},
                                         {"email", a.email},
                                         {"name", a.name},
                                         {"organisation", a.organisation},
                                         {"userId", a.user_id},
                                         {"tenantId", a.tenant_id},
                                         {"enterpriseId", a.enterprise_id},
                                         {"verifiedAt", a.verified_ms}});
}

Result<http::Response> sandbox_devices(ApiContext& ctx, http::Request& req) {
  auto a = KAIWU_TRY(account_of(ctx, req));
  meta::DeviceFilter f;
  f.enterprise_id = a.enterprise_id;
  auto devices = KAIWU_TRY(ctx.store.list_devices(meta::Scope::tenant(a.tenant_id), f, meta::Page{.limit = 100}));
  json::array items;
  for (const auto& d : devices.items) {
    auto latest = KAIWU_TRY(ctx.telemetry.latest(d.tenant_id, d.id, {}));
    json::object values;
    std::int64_t last = 0;
    for (const auto& l : latest) {
      values[l.key] = json::object{{"ts", l.sample.ts}, {"value", telemetry_value_json(l.sample.value)}};
      last = std::max(last, l.sample.ts);
    }
    items.push_back(json::object{{"id", d.id},
                                 {"name", d.name},
                                 {"category", model::category_name(d.category)},
                                 {"lastTs", last},
                                 {"latest", std::move(values)}});
  }
  record_tool_call(ctx, req, "sandbox_devices");
  return json_response(200, json::object{{"tenantId", a.tenant_id}, {"items", std::move(items)}});
}

// The OpenAPI document's operations grouped by tag, in path order.
Result<http::Response> docs(ApiContext& ctx, http::Request& req) {
  auto doc = ctx.router->openapi("Kaiwu API", "0.1.0");
  std::map<std::string, json::array> by_tag;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op_value] : item.as_object()) {
      const auto& op = op_value.as_object();
      std::string tag = "other";
      if (auto* tags = op.if_contains("tags"); tags && !tags->as_array().empty())
        tag = std::string(tags->as_array().front().as_string());
      json::object entry{{"method", method}, {"path", path}, {"summary", op.at("summary")},
                         {"public", op.at("security").as_array().empty()}};
      if (auto* p = op.if_contains("parameters")) entry["parameters"] = *p;
      if (auto* b = op.if_contains("requestBody")) entry["requestBody"] = *b;
      if (auto* roles = op.if_contains("x-roles")) entry["roles"] = *roles;
      by_tag[tag].push_back(std::move(entry));
    }
  }
  json::array tags;
  for (auto& [tag, ops] : by_tag) tags.push_back(json::object{{"name", tag}, {"operations", std::move(ops)}});
  record_tool_call(ctx, req, "docs");
  return json_response(200, json::object{{"title", "Kaiwu API"}, {"openapi", "/api/v1/openapi.json"},
                                         {"tags", std::move(tags)}});
}

}  // namespace

void register_developer_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.developers) return;
  const auto developer = http::Access::only({Role::kDeveloper});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/developers/register",
         .summary = "Register a third-party developer account; a verification e-mail is sent",
         .tag = "developers", .access = http::Access::anyone(),
         .request_schema = schema_object({{"email", "string"}, {"name", "string"}, {"password", "string"},
                                          {"organisation", "string"}}, {"email", "name", "password"}),
         .response_schema = schema_object({{"id", "string"}, {"email", "string"}, {"status", "string"},
                                           {"tokenExpiresAt", "integer"}}),
         .success_status = 201,
         .handler = [&ctx](http::Request& req) { return register_developer(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/developers/verify",
         .summary = "Verify a developer's e-mail with the token from the e-mail; creates the sandbox",
         .tag = "developers", .access = http::Access::anyone(),
         .request_schema = schema_object({{"token", "string"}}, {"token"}),
         .response_schema = schema_object({{"status", "string"}, {"username", "string"}, {"tenantId", "string"},
                                           {"enterpriseId", "string"}}),
         .handler = [&ctx](http::Request& req) { return verify(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/developers/resend",
         .summary = "Send a new verification e-mail (rate limited)", .tag = "developers",
         .access = http::Access::anyone(), .request_schema = schema_object({{"email", "string"}}, {"email"}),
         .response_schema = schema_object({{"status", "string"}}), .success_status = 202,
         .handler = [&ctx](http::Request& req) { return resend(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/developers/me",
         .summary = "The signed-in developer's account and sandbox", .tag = "developers", .access = developer,
         .response_schema = schema_object({{"id", "string"}, {"email", "string"}, {"name", "string"},
                                           {"organisation", "string"}, {"userId", "string"},
                                           {"tenantId", "string"}, {"enterpriseId", "string"},
                                           {"verifiedAt", "integer"}}),
         .handler = [&ctx](http::Request& req) { return me(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/developers/me/devices",
         .summary = "The developer's sandbox devices with their latest values", .tag = "developers",
         .access = developer,
         .response_schema = schema_object({{"tenantId", "string"}, {"items", "array"}}),
         .handler = [&ctx](http::Request& req) { return sandbox_devices(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/developers/docs",
         .summary = "The API reference (the OpenAPI document) grouped by tag", .tag = "developers",
         .access = http::Access::signed_in(),
         .response_schema = schema_object({{"title", "string"}, {"openapi", "string"}, {"tags", "array"}}),
         .handler = [&ctx](http::Request& req) { return docs(ctx, req); }});
}

}  // namespace kaiwu::api
