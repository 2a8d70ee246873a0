#include "api/common.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description"}));
  model::Tenant t;
  t.name = KAIWU_TRY(body.required_str("name", 128));
  t.description = KAIWU_TRY(body.str("description", 1024)).value_or("");
  auto created = KAIWU_TRY(ctx.store.create_tenant(t));
  audit(ctx, req, created.id, "create", "tenant", created.id, created.name);
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description"}));
  auto t = KAIWU_TRY(ctx.store.get_tenant(std::string(req.param("id"))));
  if (body.has("name")) t.name = KAIWU_TRY(body.required_str("name", 128));
  if (auto d = KAIWU_TRY(body.str("description", 1024))) t.description = *d;
  auto updated = KAIWU_TRY(ctx.store.update_tenant(t));
  audit(ctx, req, t.id, "update", "tenant", t.id);
  return json_response(200, to_json(updated));
}

}  // namespace

void register_tenant_routes(http::Router& r, ApiContext& ctx) {
  const auto admin = http::Access::only({Role::kPlatformAdmin});
  const auto tenant = schema_object({{"id", "string"}, {"name", "string"}, {"description", "string"}, {"createdAt", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/tenants", .summary = "List tenants", .tag = "tenants",
         .access = admin, .query = {{"q", "string", "name contains"}, {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(tenant),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::TenantFilter f{std::string(req.query_param("q").value_or(""))};
           auto list = KAIWU_TRY(ctx.store.list_tenants(f, page));
           return list_response(list, [](const auto& t) { return to_json(t); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/tenants", .summary = "Create a tenant", .tag = "tenants",
         .access = admin, .request_schema = schema_object({{"name", "string"}, {"description", "string"}}, {"name"}),
         .response_schema = tenant, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/tenants/{id}", .summary = "Get a tenant", .tag = "tenants",
         .access = admin, .response_schema = tenant,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto t = KAIWU_TRY(ctx.store.get_tenant(std::string(req.param("id"))));
           return json_response(200, to_json(t));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/tenants/{id}", .summary = "Update a tenant", .tag = "tenants",
         .access = admin, .request_schema = schema_object({{"name", "string"}, {"description", "string"}}),
         .response_schema = tenant,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/tenants/{id}",
         .summary = "Delete an empty tenant (409 while it still owns objects)", .tag = "tenants",
         .access = admin, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           std::string id(req.param("id"));
           KAIWU_TRY_STATUS(ctx.store.delete_tenant(id));
           audit(ctx, req, id, "delete", "tenant", id);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
