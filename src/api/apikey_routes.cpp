#include "api/common.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "enterpriseId", "role", "expiresAt", "tenantId"}));
  const auto& who = *req.principal;
  if (who.via_api_key) return fail(Errc::kPermissionDenied, "an API key cannot create API keys");
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::ApiKey k;
  k.tenant_id = scope.tenant_id;
  k.user_id = who.user_id;
  k.name = KAIWU_TRY(body.required_str("name", 128));
  auto role_name = KAIWU_TRY(body.str("role", 32)).value_or("engineer");
  auto role = model::parse_role(role_name);
  if (!role) return invalid("role", "\"" + role_name + "\" is not a role");
  if (*role == Role::kPlatformAdmin || !may_grant(who, *role))
    return fail(Errc::kPermissionDenied, "role " + std::string(model::role_name(who.role)) +
                                             " may not create a key with role " + role_name);
  k.role = *role;
  k.enterprise_id = who.enterprise_id.empty() ? KAIWU_TRY(body.str("enterpriseId", 64)).value_or("") : who.enterprise_id;
  if (!k.enterprise_id.empty() && !ctx.store.get_enterprise(scope, k.enterprise_id))
    return invalid("enterpriseId", "no enterprise " + k.enterprise_id);
  if (k.enterprise_id.empty() && who.role == Role::kParkAdmin)
    return invalid("enterpriseId", "a park admin creates keys for an enterprise in the park");
  if (auto exp = KAIWU_TRY(body.integer("expiresAt"))) {
    if (*exp <= now_ms()) return invalid("expiresAt", "must be in the future (ms since epoch)");
    k.expires_ms = *exp;
  }
  auto fresh = http::generate_api_key();
  k.prefix = fresh.prefix;
  k.hash = fresh.hash;
  auto created = KAIWU_TRY(ctx.store.create_api_key(scope, k));
  audit(ctx, req, created.tenant_id, "create", "apikey", created.id, created.name);
  record_tool_call(ctx, req, "apikey_create");
  auto out = to_json(created);
  out["key"] = fresh.key;  // shown only once
  return json_response(201, out);
}

}  // namespace

void register_apikey_routes(http::Router& r, ApiContext& ctx) {
  const auto access = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin,
                                          Role::kEngineer, Role::kDeveloper});
  const auto key = schema_object({{"id", "string"}, {"tenantId", "string"}, {"enterpriseId", "string"},
                                  {"userId", "string"}, {"name", "string"}, {"role", "string"}, {"prefix", "string"},
                                  {"createdAt", "integer"}, {"lastUsedAt", "integer"}, {"expiresAt", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apikeys", .summary = "List API keys (never the keys themselves)",
         .tag = "apikeys", .access = access,
         .query = {{"enterpriseId"}, {"tenantId", "string", "platform admins: one tenant"}, {"limit", "integer"},
                   {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(key),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::ApiKeyFilter f{std::string(req.query_param("enterpriseId").value_or(""))};
           auto list = KAIWU_TRY(ctx.store.list_api_keys(request_scope(req), f, page));
           return list_response(list, [](const auto& k) { return to_json(k); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/apikeys",
         .summary = "Create an API key; the response shows the key once", .tag = "apikeys", .access = access,
         .request_schema = schema_object({{"name", "string"}, {"enterpriseId", "string"}, {"role", "string"},
                                          {"expiresAt", "integer"}, {"tenantId", "string"}}, {"name"}),
         .response_schema = schema_object({{"id", "string"}, {"key", "string"}, {"prefix", "string"}, {"role", "string"}}),
         .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apikeys/{id}", .summary = "Get an API key's metadata",
         .tag = "apikeys", .access = access, .response_schema = key,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto k = KAIWU_TRY(ctx.store.get_api_key(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(k));
         }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/apikeys/{id}", .summary = "Revoke an API key",
         .tag = "apikeys", .access = access, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto k = KAIWU_TRY(ctx.store.get_api_key(scope, std::string(req.param("id"))));
           if (!may_grant(*req.principal, k.role))
             return fail(Errc::kPermissionDenied, "cannot revoke a key with a higher role");
           KAIWU_TRY_STATUS(ctx.store.delete_api_key(scope, k.id));
           audit(ctx, req, k.tenant_id, "delete", "apikey", k.id, k.name);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
