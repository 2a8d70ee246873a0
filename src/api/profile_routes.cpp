#include "api/common.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

constexpr std::initializer_list<Role> kProfileWriters{Role::kTenantAdmin, Role::kEnterpriseAdmin, Role::kEngineer};

bool may_edit_profiles(const http::Request& req) {
  if (!req.principal) return false;
  if (req.principal->role == Role::kPlatformAdmin) return true;
  for (Role r : kProfileWriters)
    if (req.principal->role == r) return true;
  return false;
}

// "provision": {"mode", "enterpriseId", "key"?, "secret"?}: a key and a secret are generated
// when enabling without them.
Status apply_provision(const json::value& v, model::DeviceProfile& p) {
  if (!v.is_object()) return invalid("provision", "must be an object");
  const auto& o = v.as_object();
  for (const auto& [k, _] : o)
    if (k != "mode" && k != "enterpriseId" && k != "key" && k != "secret")
      return invalid("provision", "unknown field '" + std::string(k) + "' (mode, enterpriseId, key, secret)");
  auto text = [&o](std::string_view k) -> Result<std::optional<std::string>> {
    auto it = o.find(k);
    if (it == o.end()) return std::optional<std::string>{};
    if (!it->value().is_string()) return invalid("provision." + std::string(k), "must be a string");
    std::string s(it->value().as_string());
    if (s.size() > 128) return invalid("provision." + std::string(k), "must be at most 128 characters");
    return std::optional<std::string>(std::move(s));
  };
  if (auto mode = KAIWU_TRY(text("mode"))) {
    auto parsed = model::parse_provision_mode(*mode);
    if (!parsed) return invalid("provision.mode", "must be disabled, allow-create or check-pre-provisioned");
    p.provision_mode = *parsed;
  }
  if (auto e = KAIWU_TRY(text("enterpriseId"))) p.provision_enterprise_id = *e;
  if (auto k = KAIWU_TRY(text("key"))) p.provision_key = *k;
  if (auto s = KAIWU_TRY(text("secret"))) p.provision_secret = *s;
  if (p.provision_mode == model::ProvisionMode::kDisabled) return ok();
  for (auto [field, value] : {std::pair{"provision.key", &p.provision_key}, std::pair{"provision.secret", &p.provision_secret}}) {
    if (value->empty()) *value = crypto::random_token(15);
    else if (value->size() < 8) return invalid(field, "must be at least 8 characters");
  }
  if (p.provision_enterprise_id.empty()) return invalid("provision.enterpriseId", "names the enterprise of provisioned devices");
  return ok();
}

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
  if (body.has("provision")) KAIWU_TRY_STATUS(apply_provision(body.object().at("provision"), p));
  return ok();
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "thingModel", "provision", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::DeviceProfile p;
  p.tenant_id = scope.tenant_id;
  KAIWU_TRY_STATUS(apply(body, p, true));
  p.updated_ms = now_ms();
  auto created = KAIWU_TRY(ctx.store.create_profile(scope, p));
  audit(ctx, req, created.tenant_id, "create", "profile", created.id, created.name);
  return json_response(201, to_json(created, true));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "thingModel", "provision"}));
  auto scope = request_scope(req);
  auto p = KAIWU_TRY(ctx.store.get_profile(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(apply(body, p, false));
  p.updated_ms = now_ms();
  auto updated = KAIWU_TRY(ctx.store.update_profile(scope, p));
  audit(ctx, req, p.tenant_id, "update", "profile", p.id);
  return json_response(200, to_json(updated, true));
}

}  // namespace

void register_profile_routes(http::Router& r, ApiContext& ctx) {
  const auto writers = http::Access::only(kProfileWriters);
  const auto profile = schema_object({{"id", "string"}, {"tenantId", "string"}, {"name", "string"},
                                      {"description", "string"}, {"thingModel", "object"}, {"provision", "object"},
                                      {"createdAt", "integer"}, {"updatedAt", "integer"}});
  const auto body = schema_object({{"name", "string"}, {"description", "string"}, {"thingModel", "object"},
                                   {"provision", "object"}, {"tenantId", "string"}}, {"name"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/profiles", .summary = "List device profiles (物模型)",
         .tag = "profiles", .access = http::Access::signed_in(),
         .query = {{"q", "string", "name contains"}, {"tenantId", "string", "platform admins: one tenant"},
                   {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(profile),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::ProfileFilter f{std::string(req.query_param("q").value_or(""))};
           auto list = KAIWU_TRY(ctx.store.list_profiles(request_scope(req), f, page));
           const bool secrets = may_edit_profiles(req);
           return list_response(list, [secrets](const auto& p) { return to_json(p, secrets); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/profiles",
         .summary = "Create a device profile with a validated thing model", .tag = "profiles", .access = writers,
         .request_schema = body, .response_schema = profile, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/profiles/{id}", .summary = "Get a device profile",
         .tag = "profiles", .access = http::Access::signed_in(), .response_schema = profile,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto p = KAIWU_TRY(ctx.store.get_profile(request_scope(req), std::string(req.param("id"))));
           return json_response(200, to_json(p, may_edit_profiles(req)));
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
