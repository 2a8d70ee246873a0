#include "api/common.hpp"
#include "bus/publish.hpp"
#include "core/ids.hpp"
#include "core/crypto.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

bool sees_tokens(const http::Principal& p) { return p.role != Role::kViewer && p.role != Role::kDeveloper; }

// The device as JSON plus its live connection state (MQTT), when the broker runs.
json::object device_json(ApiContext& ctx, const model::Device& d, bool with_token) {
  auto o = to_json(d, with_token);
  o["online"] = ctx.devices && ctx.devices->is_online(d.id);
  return o;
}

Status apply(ApiContext& ctx, const meta::Scope& scope, const http::Principal& who, const Body& body,
             model::Device& d, bool creating) {
  if (creating || body.has("name")) d.name = KAIWU_TRY(body.required_str("name", 128));
  if (creating) {
    d.enterprise_id = who.enterprise_id.empty() ? KAIWU_TRY(body.required_str("enterpriseId", 64)) : who.enterprise_id;
    if (!ctx.store.get_enterprise(scope, d.enterprise_id)) return invalid("enterpriseId", "no enterprise " + d.enterprise_id);
  } else if (body.has("enterpriseId")) {
    return invalid("enterpriseId", "cannot be changed; delete and recreate the device");
  }
  if (creating || body.has("category")) {
    auto c = KAIWU_TRY(body.required_str("category", 32));
    auto cat = model::parse_category(c);
    if (!cat) return invalid("category", "\"" + c + "\" is not one of running, processing, mobile, other");
    d.category = *cat;
  }
  if (creating || body.has("protocol")) {
    d.protocol = KAIWU_TRY(body.str("protocol", 32)).value_or("mqtt");
    if (d.protocol.empty()) d.protocol = "mqtt";
    if (!model::is_protocol(d.protocol)) return invalid("protocol", "\"" + d.protocol + "\" is not a known protocol");
  }
  if (body.has("profileId")) {
    d.profile_id = KAIWU_TRY(body.str("profileId", 64)).value_or("");
    if (!d.profile_id.empty() && !ctx.store.get_profile(scope, d.profile_id))
      return invalid("profileId", "no profile " + d.profile_id);
  }
  if (auto v = KAIWU_TRY(body.boolean("isGateway"))) d.is_gateway = *v;
  if (body.has("gatewayId")) {
    d.gateway_id = KAIWU_TRY(body.str("gatewayId", 64)).value_or("");
    if (!d.gateway_id.empty()) {
      auto gw = ctx.store.get_device(scope, d.gateway_id);
      if (!gw || !gw->is_gateway) return invalid("gatewayId", "no gateway device " + d.gateway_id);
      if (gw->id == d.id) return invalid("gatewayId", "a device cannot be its own gateway");
    }
  }
  if (auto v = KAIWU_TRY(body.str("label", 256))) d.label = *v;
  if (auto v = KAIWU_TRY(body.str("accessToken", 64))) {
    KAIWU_TRY_STATUS(model::check_access_token(*v));
    d.access_token = *v;
  } else if (creating) {
    d.access_token = crypto::random_token(15);
  }
  // X.509 authentication: the device's certificate (PEM); "" removes it.
  if (auto pem = KAIWU_TRY(body.str("certificatePem", 16384))) {
    if (pem->empty()) {
      d.cert_fingerprint.clear();
    } else {
      auto fingerprint = crypto::certificate_fingerprint(*pem);
      if (!fingerprint) return invalid("certificatePem", "is not a PEM-encoded X.509 certificate");
      d.cert_fingerprint = *fingerprint;
    }
  }
  return ok();
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {
    "name", "enterpriseId", "category", "protocol", "profileId", "isGateway", "gatewayId", "label", "accessToken",
    "certificatePem", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  if (!req.principal->enterprise_id.empty()) scope.enterprise_id = req.principal->enterprise_id;
  model::Device d;
  d.tenant_id = scope.tenant_id;
  KAIWU_TRY_STATUS(apply(ctx, scope, *req.principal, body, d, true));
  auto created = KAIWU_TRY(ctx.store.create_device(scope, d));
  audit(ctx, req, created.tenant_id, "create", "device", created.id, created.name);
  bus::publish_lifecycle(ctx.bus, created.tenant_id, created.id, bus::LifecycleEvent::kCreated, now_ms());
  return json_response(201, device_json(ctx, created, true));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "enterpriseId", "category", "protocol", "profileId",
                                               "isGateway", "gatewayId", "label", "accessToken", "certificatePem"}));
  auto scope = request_scope(req);
  auto d = KAIWU_TRY(ctx.store.get_device(scope, std::string(req.param("id"))));
  KAIWU_TRY_STATUS(apply(ctx, scope, *req.principal, body, d, false));
  auto updated = KAIWU_TRY(ctx.store.update_device(scope, d));
  audit(ctx, req, d.tenant_id, "update", "device", d.id, body.has("accessToken") ? "accessToken changed" : "");
  return json_response(200, device_json(ctx, updated, true));
}

Result<http::Response> list(ApiContext& ctx, http::Request& req) {
  auto page = KAIWU_TRY(page_params(req));
  meta::DeviceFilter f;
  f.q = req.query_param("q").value_or("");
  f.enterprise_id = req.query_param("enterpriseId").value_or("");
  f.profile_id = req.query_param("profileId").value_or("");
  f.protocol = req.query_param("protocol").value_or("");
  f.gateway_id = req.query_param("gatewayId").value_or("");
  if (auto c = req.query_param("category")) {
    f.category = model::parse_category(*c);
    if (!f.category) return invalid("category", "\"" + std::string(*c) + "\" is not one of running, processing, mobile, other");
  }
  auto devices = KAIWU_TRY(ctx.store.list_devices(request_scope(req), f, page));
  bool tokens = sees_tokens(*req.principal);
  return list_response(devices, [&ctx, tokens](const auto& d) { return device_json(ctx, d, tokens); });
}

Result<http::Response> rpc(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"method", "params", "timeoutMs"}));
  auto method = KAIWU_TRY(body.required_str("method", 256));
  auto timeout = KAIWU_TRY(body.integer("timeoutMs")).value_or(10'000);
  if (timeout < 100 || timeout > 120'000) return invalid("timeoutMs", "must be in 100..120000");
  std::string params = body.has("params") ? json::serialize(body.object().at("params")) : "null";
  auto d = KAIWU_TRY(ctx.store.get_device(request_scope(req), std::string(req.param("id"))));
  if (!ctx.devices) return fail(Errc::kUnavailable, "MQTT is not running");
  audit(ctx, req, d.tenant_id, "rpc", "device", d.id, method);
  auto reply = KAIWU_TRY(ctx.devices->call_rpc(d, method, params, std::chrono::milliseconds(timeout)));
  // The device's answer is passed through: JSON as JSON, anything else as a string.
  auto parsed = parse_json(reply);
  return json_response(200, parsed ? std::move(*parsed) : json::value(reply));
}

}  // namespace

void register_device_routes(http::Router& r, ApiContext& ctx) {
  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin, Role::kEngineer});
  const auto device = schema_object({{"id", "string"}, {"tenantId", "string"}, {"enterpriseId", "string"},
                                     {"profileId", "string"}, {"name", "string"}, {"category", "string"},
                                     {"protocol", "string"}, {"isGateway", "boolean"}, {"gatewayId", "string"},
                                     {"label", "string"}, {"accessToken", "string"}, {"certFingerprint", "string"},
                                     {"createdAt", "integer"}, {"lastSeenAt", "integer"}, {"online", "boolean"}});
  const auto body = schema_object({{"name", "string"}, {"enterpriseId", "string"}, {"category", "string"},
                                   {"protocol", "string"}, {"profileId", "string"}, {"isGateway", "boolean"},
                                   {"gatewayId", "string"}, {"label", "string"}, {"accessToken", "string"},
                                   {"certificatePem", "string"}, {"tenantId", "string"}},
                                  {"name", "enterpriseId", "category"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices", .summary = "List devices", .tag = "devices",
         .access = http::Access::signed_in(),
         .query = {{"q", "string", "name contains"}, {"enterpriseId"}, {"profileId"}, {"protocol"}, {"gatewayId"},
                   {"category", "string", "running | processing | mobile | other"},
                   {"tenantId", "string", "platform admins: one tenant"}, {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(device),
         .handler = [&ctx](http::Request& req) { return list(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/devices",
         .summary = "Create a device; the response carries its access token", .tag = "devices", .access = writers,
         .request_schema = body, .response_schema = device, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices/{id}", .summary = "Get a device", .tag = "devices",
         .access = http::Access::signed_in(), .response_schema = device,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto d = KAIWU_TRY(ctx.store.get_device(request_scope(req), std::string(req.param("id"))));
           return json_response(200, device_json(ctx, d, sees_tokens(*req.principal)));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/devices/{id}", .summary = "Update a device",
         .tag = "devices", .access = writers, .request_schema = body, .response_schema = device,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/devices/{id}/token",
         .summary = "Replace a device's access token with a new random one", .tag = "devices", .access = writers,
         .response_schema = device,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto d = KAIWU_TRY(ctx.store.get_device(scope, std::string(req.param("id"))));
           d.access_token = crypto::random_token(15);
           auto updated = KAIWU_TRY(ctx.store.update_device(scope, d));
           audit(ctx, req, d.tenant_id, "rotate_token", "device", d.id);
           return json_response(200, device_json(ctx, updated, true));
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/devices/{id}/rpc",
         .summary = "Two-way RPC: sends {method, params} to the device over MQTT and returns its answer "
                    "(503 when it is not connected, 504 when it does not answer in time)",
         .tag = "devices", .access = writers,
         .request_schema = schema_object({{"method", "string"}, {"params", "object"}, {"timeoutMs", "integer"}}, {"method"}),
         .response_schema = json::object{{"description", "the device's response"}},
         .handler = [&ctx](http::Request& req) { return rpc(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/devices/{id}", .summary = "Delete a device",
         .tag = "devices", .access = writers, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto d = KAIWU_TRY(ctx.store.get_device(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(ctx.store.delete_device(scope, d.id));
           KAIWU_TRY_STATUS(ctx.telemetry.delete_device(d.tenant_id, d.id));
           audit(ctx, req, d.tenant_id, "delete", "device", d.id, d.name);
           bus::publish_lifecycle(ctx.bus, d.tenant_id, d.id, bus::LifecycleEvent::kDeleted, now_ms());
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
