#include "api/common.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Status apply(ApiContext& ctx, const meta::Scope& scope, const http::Principal& who, const Body& body,
             model::Enterprise& e, bool creating) {
  if (creating || body.has("name")) e.name = KAIWU_TRY(body.required_str("name", 128));
  if (auto v = KAIWU_TRY(body.str("creditCode", 18 + 8))) {
    if (!v->empty()) KAIWU_TRY_STATUS(model::validate_credit_code(*v));
    e.credit_code = *v;
  }
  if (creating || body.has("industry")) {
    e.industry = KAIWU_TRY(body.required_str("industry", 64));
    if (!model::is_industry(e.industry))
      return invalid("industry", "\"" + e.industry + "\" is not one of the 22 MIIT industries (e.g. 机械, 电子, 电力)");
  }
  if (auto v = KAIWU_TRY(body.boolean("sme"))) e.sme = *v;
  if (body.has("paid") || body.has("parkId")) {
    if (who.role == Role::kEnterpriseAdmin)
      return fail(Errc::kPermissionDenied, "an enterprise admin may not change paid or parkId");
  }
  if (auto v = KAIWU_TRY(body.boolean("paid"))) e.paid = *v;
  if (auto v = KAIWU_TRY(body.str("address", 256))) e.address = *v;
  if (body.has("longitude")) e.longitude = KAIWU_TRY(body.number("longitude"));
  if (body.has("latitude")) e.latitude = KAIWU_TRY(body.number("latitude"));
  if (e.longitude && (*e.longitude < -180 || *e.longitude > 180)) return invalid("longitude", "must be in -180..180");
  if (e.latitude && (*e.latitude < -90 || *e.latitude > 90)) return invalid("latitude", "must be in -90..90");
  if (body.has("parkId")) e.park_id = KAIWU_TRY(body.str("parkId", 64)).value_or("");
  if (who.role == Role::kParkAdmin) {
    if (!e.park_id.empty() && e.park_id != who.park_id)
      return invalid("parkId", "a park admin manages only their own park");
    e.park_id = who.park_id;
  }
  if (!e.park_id.empty() && !ctx.store.get_park(scope, e.park_id))
    return invalid("parkId", "no park " + e.park_id);
  return ok();
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {
    "name", "creditCode", "industry", "sme", "paid", "address", "longitude", "latitude", "parkId", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::Enterprise e;
  e.tenant_id = scope.tenant_id;
  KAIWU_TRY_STATUS(apply(ctx, scope, *req.principal, body, e, true));
  auto created = KAIWU_TRY(ctx.store.create_enterprise(scope, e));
  audit(ctx, req, created.tenant_id, "create", "enterprise", created.id, created.name);
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "creditCode", "industry", "sme", "paid", "address",
                                               "longitude", "latitude", "parkId"}));
  auto scope = request_scope(req);
  auto e = KAIWU_TRY(ctx.store.get_enterprise(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(apply(ctx, scope, *req.principal, body, e, false));
  auto updated = KAIWU_TRY(ctx.store.update_enterprise(scope, e));
  audit(ctx, req, e.tenant_id, "update", "enterprise", e.id);
  return json_response(200, to_json(updated));
}

}  // namespace

void register_enterprise_routes(http::Router& r, ApiContext& ctx) {
  const auto enterprise = schema_object({{"id", "string"}, {"tenantId", "string"}, {"parkId", "string"},
                                         {"name", "string"}, {"creditCode", "string"}, {"industry", "string"},
                                         {"sme", "boolean"}, {"paid", "boolean"}, {"address", "string"},
                                         {"longitude", "number"}, {"latitude", "number"}, {"createdAt", "integer"}});
  const auto body = schema_object({{"name", "string"}, {"creditCode", "string"}, {"industry", "string"},
                                   {"sme", "boolean"}, {"paid", "boolean"}, {"address", "string"},
                                   {"longitude", "number"}, {"latitude", "number"}, {"parkId", "string"},
                                   {"tenantId", "string"}}, {"name", "industry"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/enterprises", .summary = "List enterprises (企业)",
         .tag = "enterprises", .access = http::Access::signed_in(),
         .query = {{"q", "string", "name contains"}, {"parkId"}, {"industry"}, {"sme", "boolean"}, {"paid", "boolean"},
                   {"tenantId", "string", "platform admins: one tenant"}, {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(enterprise),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::EnterpriseFilter f;
           f.q = req.query_param("q").value_or("");
           f.park_id = req.query_param("parkId").value_or("");
           f.industry = req.query_param("industry").value_or("");
           f.sme = KAIWU_TRY(bool_param(req, "sme"));
           f.paid = KAIWU_TRY(bool_param(req, "paid"));
           auto list = KAIWU_TRY(ctx.store.list_enterprises(request_scope(req), f, page));
           return list_response(list, [](const auto& e) { return to_json(e); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/enterprises", .summary = "Create an enterprise",
         .tag = "enterprises", .access = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin}),
         .request_schema = body, .response_schema = enterprise, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/enterprises/{id}", .summary = "Get an enterprise",
         .tag = "enterprises", .access = http::Access::signed_in(), .response_schema = enterprise,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto e = KAIWU_TRY(ctx.store.get_enterprise(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(e));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/enterprises/{id}", .summary = "Update an enterprise",
         .tag = "enterprises",
         .access = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin}),
         .request_schema = body, .response_schema = enterprise,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/enterprises/{id}",
         .summary = "Delete an enterprise (409 while devices or users belong to it)", .tag = "enterprises",
         .access = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin}), .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto e = KAIWU_TRY(ctx.store.get_enterprise(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(ctx.store.delete_enterprise(scope, e.id));
           audit(ctx, req, e.tenant_id, "delete", "enterprise", e.id, e.name);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
