#include <spdlog/spdlog.h>

#include "api/common.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

// Verifying against a real hash when the user does not exist keeps the timing of "no such
// user" and "wrong password" alike.
const std::string& dummy_hash() {
  static const std::string hash = http::hash_password("kaiwu-timing-equaliser").value_or("");
  return hash;
}

Result<http::Response> login(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"username", "password"}));
  auto username = KAIWU_TRY(body.required_str("username", 128));
  auto password = KAIWU_TRY(body.required_str("password", 256));
  std::int64_t now = now_ms();
  if (!ctx.login_by_address.allow(req.remote_address, now) ||
      !ctx.login_by_username.allow(username, now)) {
    audit(ctx, req, "", "login_rate_limited", "user", "", username);
    return fail(Errc::kResourceExhausted, "too many login attempts; try again in a minute");
  }
  auto user = ctx.store.find_user_by_username(username);
  bool good = user ? http::verify_password(user->password_hash, password)
                   : (http::verify_password(dummy_hash(), password), false);
  if (!user && ctx.developers) {
    // A registered developer who has not verified yet gets told so (only with the right password).
    if (auto pending = ctx.developers->pending_password_hash(username);
        pending && http::verify_password(*pending, password)) {
      audit(ctx, req, "", "login_unverified", "developer", "", username);
      return fail(Errc::kUnauthenticated,
                  "e-mail address not verified yet: open the link in the verification e-mail (or ask for a new one)");
    }
  }
  if (!good || user->disabled) {
    audit(ctx, req, user ? user->tenant_id : "", "login_failed", "user", user ? user->id : "", username);
    return fail(Errc::kUnauthenticated, good ? "user is disabled" : "wrong username or password");
  }
  http::TokenClaims claims{user->id, user->username, now,
                           now + static_cast<std::int64_t>(ctx.config.auth.token_ttl_s) * 1000};
  (void)ctx.store.record_login(user->id, now);
  user->last_login_ms = now;
  req.principal = http::Principal{.user_id = user->id, .username = user->username, .role = user->role,
                                  .tenant_id = user->tenant_id};
  audit(ctx, req, user->tenant_id, "login", "user", user->id);
  if (ctx.meter && user->role == model::Role::kDeveloper) {
    metering::Record r;
    r.kind = metering::Kind::kDeveloperLogin;
    r.tenant_id = user->tenant_id;
    r.enterprise_id = user->enterprise_id;
    r.subject_id = user->id;
    r.actor_id = user->id;
    r.ts_ms = now;
    ctx.meter->record(std::move(r));
  }
  return json_response(200, json::object{{"token", ctx.jwt.sign(claims)},
                                         {"expiresAt", claims.expires_ms},
                                         {"user", to_json(*user)}});
}

Result<http::Response> me(ApiContext& ctx, http::Request& req) {
  const auto& p = *req.principal;
  json::object out{{"username", p.username},
                   {"role", model::role_name(p.role)},
                   {"tenantId", p.tenant_id.empty() ? json::value(nullptr) : json::value(p.tenant_id)},
                   {"parkId", p.park_id.empty() ? json::value(nullptr) : json::value(p.park_id)},
                   {"enterpriseId", p.enterprise_id.empty() ? json::value(nullptr) : json::value(p.enterprise_id)},
                   {"viaApiKey", p.via_api_key}};
  if (!p.via_api_key) {
    auto user = KAIWU_TRY(ctx.store.get_user(meta::Scope::platform(), p.user_id));
    out["user"] = to_json(user);
  }
  return json_response(200, out);
}

Result<http::Response> change_password(ApiContext& ctx, http::Request& req) {
  if (req.principal->via_api_key)
    return fail(Errc::kPermissionDenied, "an API key cannot change a password");
  auto body = KAIWU_TRY(Body::parse(req.body, {"currentPassword", "newPassword"}));
  auto current = KAIWU_TRY(body.required_str("currentPassword"));
  auto next = KAIWU_TRY(body.required_str("newPassword"));
  KAIWU_TRY_STATUS(http::check_password_policy(next));
  auto user = KAIWU_TRY(ctx.store.get_user(meta::Scope::platform(), req.principal->user_id));
  if (!http::verify_password(user.password_hash, current))
    return fail(Errc::kPermissionDenied, "currentPassword: wrong password");
  user.password_hash = KAIWU_TRY(http::hash_password(next));
  KAIWU_TRY(ctx.store.update_user(meta::Scope::platform(), user));
  audit(ctx, req, user.tenant_id, "password_change", "user", user.id);
  return http::Response::no_content();
}

}  // namespace

void register_auth_routes(http::Router& r, ApiContext& ctx) {
  r.add({.method = http::Method::kPost,
         .pattern = "/api/v1/auth/login",
         .summary = "Log in with username and password; returns a JWT",
         .tag = "auth",
         .access = http::Access::anyone(),
         .request_schema = schema_object({{"username", "string"}, {"password", "string"}}, {"username", "password"}),
         .response_schema = schema_object({{"token", "string"}, {"expiresAt", "integer"}, {"user", "object"}}),
         .handler = [&ctx](http::Request& req) { return login(ctx, req); }});
  r.add({.method = http::Method::kGet,
         .pattern = "/api/v1/auth/me",
         .summary = "Who the caller is: role and scope",
         .tag = "auth",
         .access = http::Access::signed_in(),
         .response_schema = schema_object({{"username", "string"}, {"role", "string"}, {"tenantId", "string"}}),
         .handler = [&ctx](http::Request& req) { return me(ctx, req); }});
  r.add({.method = http::Method::kPost,
         .pattern = "/api/v1/auth/password",
         .summary = "Change the caller's own password",
         .tag = "auth",
         .access = http::Access::signed_in(),
         .request_schema = schema_object({{"currentPassword", "string"}, {"newPassword", "string"}},
                                         {"currentPassword", "newPassword"}),
         .success_status = 204,
         .handler = [&ctx](http::Request& req) { return change_password(ctx, req); }});
}

}  // namespace kaiwu::api
