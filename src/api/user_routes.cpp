#include "api/common.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Status check_username(const std::string& u) {
  if (u.size() < 3 || u.size() > 64) return invalid("username", "must be 3..64 characters");
  for (char c : u)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '@'))
      return invalid("username", "may contain only letters, digits and _ . - @");
  return ok();
}

// The caller must outrank or equal the user they touch (platform admins touch anyone).
Status check_rank(const http::Principal& who, const model::User& target) {
  if (!may_grant(who, target.role))
    return fail(Errc::kPermissionDenied, "cannot manage a user with role " + std::string(model::role_name(target.role)));
  return ok();
}

// Fills the user's park/enterprise binding and checks it against the role and the caller.
Status bind_scope(ApiContext& ctx, const meta::Scope& scope, const http::Principal& who, const Body& body,
                  model::User& u) {
  if (body.has("parkId")) u.park_id = KAIWU_TRY(body.str("parkId", 64)).value_or("");
  if (body.has("enterpriseId")) u.enterprise_id = KAIWU_TRY(body.str("enterpriseId", 64)).value_or("");
  if (!who.enterprise_id.empty()) u.enterprise_id = who.enterprise_id;
  if (who.role == Role::kParkAdmin && u.role == Role::kParkAdmin) u.park_id = who.park_id;
  if (u.role == Role::kPlatformAdmin || u.role == Role::kTenantAdmin) {
    u.park_id.clear();
    u.enterprise_id.clear();
    return ok();
  }
  if (u.role == Role::kParkAdmin) {
    if (u.park_id.empty()) return invalid("parkId", "is required for a park-admin");
    if (!ctx.store.get_park(scope, u.park_id)) return invalid("parkId", "no park " + u.park_id);
    u.enterprise_id.clear();
    return ok();
  }
  u.park_id.clear();
  if (u.role == Role::kEnterpriseAdmin && u.enterprise_id.empty())
    return invalid("enterpriseId", "is required for an enterprise-admin");
  if (who.role == Role::kParkAdmin && u.enterprise_id.empty())
    return invalid("enterpriseId", "a park admin creates users of an enterprise in the park");
  if (!u.enterprise_id.empty() && !ctx.store.get_enterprise(scope, u.enterprise_id))
    return invalid("enterpriseId", "no enterprise " + u.enterprise_id);
  return ok();
}

Result<Role> role_field(const Body& body, const http::Principal& who) {
  auto name = KAIWU_TRY(body.required_str("role", 32));
  auto role = model::parse_role(name);
  if (!role) return std::unexpected(invalid("role", "\"" + name + "\" is not a role").error());
  if (!may_grant(who, *role))
    return fail(Errc::kPermissionDenied, "role " + std::string(model::role_name(who.role)) + " may not grant " + name);
  return *role;
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"username", "password", "displayName", "role", "tenantId",
                                               "parkId", "enterpriseId"}));
  const auto& who = *req.principal;
  model::User u;
  u.role = KAIWU_TRY(role_field(body, who));
  u.username = KAIWU_TRY(body.required_str("username", 64));
  KAIWU_TRY_STATUS(check_username(u.username));
  auto password = KAIWU_TRY(body.required_str("password"));
  KAIWU_TRY_STATUS(http::check_password_policy(password));
  u.display_name = KAIWU_TRY(body.str("displayName", 128)).value_or("");
  meta::Scope scope;
  if (u.role == Role::kPlatformAdmin) {
    if (body.has("tenantId")) return invalid("tenantId", "a platform-admin belongs to no tenant");
  } else {
    scope = KAIWU_TRY(create_scope(ctx, req, body));
    u.tenant_id = scope.tenant_id;
    KAIWU_TRY_STATUS(bind_scope(ctx, scope, who, body, u));
  }
  u.password_hash = KAIWU_TRY(http::hash_password(password));
  auto created = KAIWU_TRY(ctx.store.create_user(scope, u));
  audit(ctx, req, created.tenant_id, "create", "user", created.id,
        created.username + " as " + std::string(model::role_name(created.role)));
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"displayName", "password", "role", "disabled", "parkId", "enterpriseId"}));
  const auto& who = *req.principal;
  auto scope = request_scope(req);
  auto u = KAIWU_TRY(ctx.store.get_user(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(check_rank(who, u));
  bool self = u.id == who.user_id;
  if (auto v = KAIWU_TRY(body.str("displayName", 128))) u.display_name = *v;
  if (body.has("role")) {
    auto role = KAIWU_TRY(role_field(body, who));
    if (self && role != u.role) return fail(Errc::kPermissionDenied, "role: you cannot change your own role");
    if ((role == Role::kPlatformAdmin) != (u.role == Role::kPlatformAdmin))
      return invalid("role", "platform-admin cannot be granted to or taken from a tenant user");
    u.role = role;
  }
  if (auto v = KAIWU_TRY(body.boolean("disabled"))) {
    if (self && *v) return fail(Errc::kPermissionDenied, "disabled: you cannot disable yourself");
    u.disabled = *v;
  }
  if (auto v = KAIWU_TRY(body.str("password"))) {
    KAIWU_TRY_STATUS(http::check_password_policy(*v));
    u.password_hash = KAIWU_TRY(http::hash_password(*v));
  }
  if (u.role != Role::kPlatformAdmin) {
    meta::Scope tenant_scope = meta::Scope::tenant(u.tenant_id);
    tenant_scope.park_id = scope.park_id;
    tenant_scope.enterprise_id = scope.enterprise_id;
    KAIWU_TRY_STATUS(bind_scope(ctx, tenant_scope, who, body, u));
  }
  auto updated = KAIWU_TRY(ctx.store.update_user(scope, u));
  audit(ctx, req, u.tenant_id, "update", "user", u.id);
  return json_response(200, to_json(updated));
}

Result<http::Response> remove(ApiContext& ctx, http::Request& req) {
  auto scope = request_scope(req);
  auto u = KAIWU_TRY(ctx.store.get_user(scope, std::string(req.param("id"))));
  if (u.id == req.principal->user_id) return fail(Errc::kPermissionDenied, "you cannot delete yourself");
  KAIWU_TRY_STATUS(check_rank(*req.principal, u));
  KAIWU_TRY_STATUS(ctx.store.delete_user(scope, u.id));
  audit(ctx, req, u.tenant_id, "delete", "user", u.id, u.username);
  return http::Response::no_content();
}

}  // namespace

void register_user_routes(http::Router& r, ApiContext& ctx) {
  const auto admins = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin});
  const auto user = schema_object({{"id", "string"}, {"tenantId", "string"}, {"parkId", "string"},
                                   {"enterpriseId", "string"}, {"username", "string"}, {"displayName", "string"},
                                   {"role", "string"}, {"disabled", "boolean"}, {"createdAt", "integer"},
                                   {"lastLoginAt", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/users", .summary = "List users", .tag = "users",
         .access = admins,
         .query = {{"q", "string", "username or display name contains"}, {"role"}, {"enterpriseId"},
                   {"tenantId", "string", "platform admins: one tenant"}, {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(user),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::UserFilter f;
           f.q = req.query_param("q").value_or("");
           f.enterprise_id = req.query_param("enterpriseId").value_or("");
           if (auto role = req.query_param("role")) {
             f.role = model::parse_role(*role);
             if (!f.role) return invalid("role", "\"" + std::string(*role) + "\" is not a role");
           }
           auto list = KAIWU_TRY(ctx.store.list_users(request_scope(req), f, page));
           return list_response(list, [](const auto& u) { return to_json(u); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/users",
         .summary = "Create a user; roles at or below the caller's own", .tag = "users", .access = admins,
         .request_schema = schema_object({{"username", "string"}, {"password", "string"}, {"displayName", "string"},
                                          {"role", "string"}, {"tenantId", "string"}, {"parkId", "string"},
                                          {"enterpriseId", "string"}}, {"username", "password", "role"}),
         .response_schema = user, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/users/{id}", .summary = "Get a user", .tag = "users",
         .access = admins, .response_schema = user,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto u = KAIWU_TRY(ctx.store.get_user(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(u));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/users/{id}",
         .summary = "Update a user (display name, role, password, disabled, binding)", .tag = "users",
         .access = admins,
         .request_schema = schema_object({{"displayName", "string"}, {"password", "string"}, {"role", "string"},
                                          {"disabled", "boolean"}, {"parkId", "string"}, {"enterpriseId", "string"}}),
         .response_schema = user,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/users/{id}", .summary = "Delete a user", .tag = "users",
         .access = admins, .success_status = 204,
         .handler = [&ctx](http::Request& req) { return remove(ctx, req); }});
}

}  // namespace kaiwu::api
