#include "api/common.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Status apply(const Body& body, model::Park& p, bool creating) {
  if (creating || body.has("name")) p.name = KAIWU_TRY(body.required_str("name", 128));
  if (auto v = KAIWU_TRY(body.str("region", 128))) p.region = *v;
  if (auto v = KAIWU_TRY(body.str("address", 256))) p.address = *v;
  if (auto v = KAIWU_TRY(body.str("level", 32))) p.level = *v;
  if (p.level.empty()) p.level = "other";
  if (!model::is_park_level(p.level))
    return invalid("level", "\"" + p.level + "\" is not one of national, provincial, municipal, other");
  return ok();
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "region", "level", "address", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::Park p;
  p.tenant_id = scope.tenant_id;
  KAIWU_TRY_STATUS(apply(body, p, true));
  auto created = KAIWU_TRY(ctx.store.create_park(scope, p));
  audit(ctx, req, created.tenant_id, "create", "park", created.id, created.name);
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "region", "level", "address"}));
  auto scope = request_scope(req);
  auto p = KAIWU_TRY(ctx.store.get_park(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(apply(body, p, false));
  auto updated = KAIWU_TRY(ctx.store.update_park(scope, p));
  audit(ctx, req, p.tenant_id, "update", "park", p.id);
  return json_response(200, to_json(updated));
}

}  // namespace

void register_park_routes(http::Router& r, ApiContext& ctx) {
  const auto writers = http::Access::only({Role::kTenantAdmin});
  const auto park = schema_object({{"id", "string"}, {"tenantId", "string"}, {"name", "string"}, {"region", "string"},
                                   {"level", "string"}, {"address", "string"}, {"createdAt", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/parks", .summary = "List parks (园区)", .tag = "parks",
         .access = http::Access::signed_in(),
         .query = {{"q", "string", "name contains"}, {"level"}, {"tenantId", "string", "platform admins: one tenant"},
                   {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(park),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::ParkFilter f{std::string(req.query_param("q").value_or("")),
                              std::string(req.query_param("level").value_or(""))};
           auto list = KAIWU_TRY(ctx.store.list_parks(request_scope(req), f, page));
           return list_response(list, [](const auto& p) { return to_json(p); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/parks", .summary = "Create a park", .tag = "parks",
         .access = writers,
         .request_schema = schema_object({{"name", "string"}, {"region", "string"}, {"level", "string"},
                                          {"address", "string"}, {"tenantId", "string"}}, {"name"}),
         .response_schema = park, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/parks/{id}", .summary = "Get a park", .tag = "parks",
         .access = http::Access::signed_in(), .response_schema = park,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto p = KAIWU_TRY(ctx.store.get_park(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(p));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/parks/{id}", .summary = "Update a park", .tag = "parks",
         .access = writers,
         .request_schema = schema_object({{"name", "string"}, {"region", "string"}, {"level", "string"}, {"address", "string"}}),
         .response_schema = park,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/parks/{id}",
         .summary = "Delete a park (409 while enterprises belong to it)", .tag = "parks",
         .access = writers, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto p = KAIWU_TRY(ctx.store.get_park(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(ctx.store.delete_park(scope, p.id));
           audit(ctx, req, p.tenant_id, "delete", "park", p.id, p.name);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
