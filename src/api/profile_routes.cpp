#include "api/common.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

Status apply(const Body& body, model::DeviceProfile& p, bool creating) {
  if (creating || body.has("name")) p.name = KAIWU_TRY(body.required_str("name", 128));
  if (auto v = KAIWU_TRY(body.str("description", 2048))) p.description = *v;
  if (body.has("thingModel")) {
    const auto& tm = body.object().at("thingModel");
    if (!tm.is_object()) return invalid("thingModel", "must be an object");
    p.thing_model = KAIWU_TRY(model::validate_thing_model(json::serialize(tm)));
  } else if (creating) {
    p.thing_model = KAIWU_TRY(model::validate_thing_model("{}"));
  }
  return ok();
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "thingModel", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::DeviceProfile p;
  p.tenant_id = scope.tenant_id;
  KAIWU_TRY_STATUS(apply(body, p, true));
  p.updated_ms = now_ms();
  auto created = KAIWU_TRY(ctx.store.create_profile(scope, p));
  audit(ctx, req, created.tenant_id, "create", "profile", created.id, created.name);
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "thingModel"}));
  auto scope = request_scope(req);
  auto p = KAIWU_TRY(ctx.store.get_profile(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(apply(body, p, false));
  p.updated_ms = now_ms();
  auto updated = KAIWU_TRY(ctx.store.update_profile(scope, p));
  audit(ctx, req, p.tenant_id, "update", "profile", p.id);
  return json_response(200, to_json(updated));
}

}  // namespace

void register_profile_routes(http::Router& r, ApiContext& ctx) {
  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kEnterpriseAdmin, Role::kEngineer});
  const auto profile = schema_object({{"id", "string"}, {"tenantId", "string"}, {"name", "string"},
                                      {"description", "string"}, {"thingModel", "object"},
                                      {"createdAt", "integer"}, {"updatedAt", "integer"}});
  const auto body = schema_object({{"name", "string"}, {"description", "string"}, {"thingModel", "object"},
                                   {"tenantId", "string"}}, {"name"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/profiles", .summary = "List device profiles (物模型)",
         .tag = "profiles", .access = http::Access::signed_in(),
         .query = {{"q", "string", "name contains"}, {"tenantId", "string", "platform admins: one tenant"},
                   {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(profile),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::ProfileFilter f{std::string(req.query_param("q").value_or(""))};
           auto list = KAIWU_TRY(ctx.store.list_profiles(request_scope(req), f, page));
           return list_response(list, [](const auto& p) { return to_json(p); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/profiles",
         .summary = "Create a device profile with a validated thing model", .tag = "profiles", .access = writers,
         .request_schema = body, .response_schema = profile, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/profiles/{id}", .summary = "Get a device profile",
         .tag = "profiles", .access = http::Access::signed_in(), .response_schema = profile,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto p = KAIWU_TRY(ctx.store.get_profile(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(p));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/profiles/{id}", .summary = "Update a device profile",
         .tag = "profiles", .access = writers, .request_schema = body, .response_schema = profile,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/profiles/{id}",
         .summary = "Delete a device profile (409 while devices use it)", .tag = "profiles", .access = writers,
         .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto p = KAIWU_TRY(ctx.store.get_profile(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(ctx.store.delete_profile(scope, p.id));
           audit(ctx, req, p.tenant_id, "delete", "profile", p.id, p.name);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
