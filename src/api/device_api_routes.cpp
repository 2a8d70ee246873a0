// Routes devices and collectors call: the ThingsBoard-compatible HTTP device API (the access
// token in the path is the credential), the Influx line protocol write endpoints (API key), and
// device attributes for users.
#include <spdlog/spdlog.h>

#include "api/common.hpp"
#include "bus/publish.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "device/provisioning.hpp"
#include "ingest/line_protocol.hpp"
#include "ingest/telemetry_json.hpp"

namespace kaiwu::api {
namespace {

using model::AttributeScope;
using model::Role;

Result<model::Device> device_by_token(ApiContext& ctx, const http::Request& req) {
  auto device = ctx.store.find_device_by_token(std::string(req.param("token")));
  if (!device) return fail(Errc::kUnauthenticated, "unknown device access token");
  (void)ctx.store.touch_device(device->id, now_ms());
  return device;
}

Status write_samples(ApiContext& ctx, const model::Device& d, std::vector<ingest::TelemetrySample> samples) {
  std::vector<tsdb::Point> points;
  points.reserve(samples.size());
  for (auto& s : samples) points.push_back({d.tenant_id, d.id, std::move(s.key), s.ts, std::move(s.value)});
  KAIWU_TRY_STATUS(ctx.telemetry.write(points));
  note_device_active(ctx, d);
  bus::publish_points(ctx.bus, points);
  return ok();
}

// {"k": json, …} → (key, JSON text) pairs.
Result<std::vector<std::pair<std::string, std::string>>> attribute_values(std::string_view body) {
  auto parsed = parse_json(body);
  if (!parsed) return fail(Errc::kInvalidArgument, "attributes: " + parsed.error().message);
  if (!parsed->is_object()) return fail(Errc::kInvalidArgument, "attributes: expected a JSON object");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : parsed->as_object()) out.emplace_back(std::string(k), json::serialize(v));
  return out;
}

std::vector<std::string> csv(std::optional<std::string_view> v) {
  std::vector<std::string> out;
  std::string_view s = v.value_or("");
  while (!s.empty()) {
    auto comma = s.find(',');
    if (comma) out.emplace_back(s.substr(0, comma));
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return out;
}

json::object attributes_json(const std::vector<model::Attribute>& attrs) {
  json::object client, shared, server;
  for (const auto& a : attrs) {
    auto v = parse_json(a.value_json);
    json::value value = v ? std::move(*v) : json::value(a.value_json);
    auto& target = a.scope == AttributeScope::kClient ? client : a.scope == AttributeScope::kShared ? shared : server;
    target[a.key] = std::move(value);
  }
  return {{"client", std::move(client)}, {"shared", std::move(shared)}, {"server", std::move(server)}};
}

// ---- HTTP device API -------------------------------------------------------------------

Result<http::Response> device_telemetry(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_by_token(ctx, req));
  auto samples = KAIWU_TRY(ingest::parse_telemetry_json(req.body, now_ms()));
  KAIWU_TRY_STATUS(write_samples(ctx, device, std::move(samples)));
  return http::Response::json(200, "");
}

// ThingsBoard device provisioning over HTTP: the outcome is in the body's "status".
Result<http::Response> device_provision(ApiContext& ctx, http::Request& req) {
  if (!ctx.login_by_address.allow(req.remote_address, now_ms()))
    return fail(Errc::kResourceExhausted, "too many provisioning attempts; try again in a minute");
  auto body = KAIWU_TRY(device::provision_device(ctx.store, req.body, "http"));
  return http::Response::json(200, std::move(body));
}

Result<http::Response> device_post_attributes(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_by_token(ctx, req));
  auto values = KAIWU_TRY(attribute_values(req.body));
  KAIWU_TRY_STATUS(ctx.store.set_attributes(meta::Scope::tenant(device.tenant_id), device.id,
                                            AttributeScope::kClient, values));
  bus::publish_attributes(ctx.bus, device.tenant_id, device.id, AttributeScope::kClient, values, now_ms());
  return http::Response::json(200, "");
}

Result<http::Response> device_get_attributes(ApiContext& ctx, http::Request& req) {
  auto device = KAIWU_TRY(device_by_token(ctx, req));
  auto scope = meta::Scope::tenant(device.tenant_id);
  auto client_keys = csv(req.query_param("clientKeys"));
  auto shared_keys = csv(req.query_param("sharedKeys"));
  bool all = client_keys.empty() && shared_keys.empty();
  json::object out;
  if (all || !client_keys.empty()) {
    auto attrs = KAIWU_TRY(ctx.store.get_attributes(scope, device.id, AttributeScope::kClient, client_keys));
    out["client"] = attributes_json(attrs)["client"];
  }
  if (all || !shared_keys.empty()) {
    auto attrs = KAIWU_TRY(ctx.store.get_attributes(scope, device.id, AttributeScope::kShared, shared_keys));
    out["shared"] = attributes_json(attrs)["shared"];
  }
  return json_response(200, out);
}

// ---- Influx line protocol ---------------------------------------------------------------

// Devices are found by name in the key's enterprise, or created (category other, protocol
// influx).
Result<model::Device> device_named(ApiContext& ctx, const http::Principal& who, const std::string& name,
                                   std::map<std::string, model::Device>& cache) {
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  meta::Scope scope = meta::Scope::tenant(who.tenant_id);
  scope.enterprise_id = who.enterprise_id;
  meta::DeviceFilter f;
  f.q = name;
  f.enterprise_id = who.enterprise_id;
  auto page = KAIWU_TRY(ctx.store.list_devices(scope, f, meta::Page{1000, {}, 0}));
  for (const auto& d : page.items)
    if (d.name == name) return cache[name] = d;
  model::Device d;
  d.tenant_id = who.tenant_id;
  d.enterprise_id = who.enterprise_id;
  d.name = name;
  d.category = model::Category::kOther;
  d.protocol = "influx";
  auto created = ctx.store.create_device(scope, d);
  if (!created && created.error().code == Errc::kAlreadyExists) {  // created concurrently
    page = KAIWU_TRY(ctx.store.list_devices(scope, f, meta::Page{1000, {}, 0}));
    for (const auto& existing : page.items)
      if (existing.name == name) return cache[name] = existing;
  }
  if (!created) return std::unexpected(created.error());
  spdlog::info("line protocol: created device {} ({})", created->name, created->id);
  bus::publish_lifecycle(ctx.bus, created->tenant_id, created->id, bus::LifecycleEvent::kCreated, now_ms());
  return cache[name] = *created;
}

Result<http::Response> influx_write(ApiContext& ctx, http::Request& req) {
  const auto& who = *req.principal;
  if (who.tenant_id.empty() || who.enterprise_id.empty())
    return fail(Errc::kPermissionDenied, "line protocol writes need an API key (or user) of an enterprise");
  auto precision = KAIWU_TRY(ingest::parse_precision(req.query_param("precision").value_or("ns")));
  auto lines = KAIWU_TRY(ingest::parse_line_protocol(req.body, precision, now_ms()));
  std::map<std::string, model::Device> cache;
  std::vector<tsdb::Point> points;
  for (auto& line : lines) {
    std::string device_name = line.measurement;
    for (const auto& [k, v] : line.tags)
      if (k == "device") device_name = v;
    auto device = KAIWU_TRY(device_named(ctx, who, device_name, cache));
    for (auto& f : line.fields) {
      std::string key = line.measurement == "telemetry" ? f.key : line.measurement + "." + f.key;
      points.push_back({device.tenant_id, device.id, std::move(key), line.ts_ms, std::move(f.value)});
    }
  }
  KAIWU_TRY_STATUS(ctx.telemetry.write(points));
  for (const auto& [name, device] : cache) note_device_active(ctx, device);
  bus::publish_points(ctx.bus, points);
  return http::Response::no_content();
}

// ---- attributes for users ----------------------------------------------------------------

Result<http::Response> get_attributes(ApiContext& ctx, http::Request& req) {
  auto scope = request_scope(req);
  std::string id(req.param("id"));
  auto keys = csv(req.query_param("keys"));
  std::optional<AttributeScope> only;
  if (auto s = req.query_param("scope")) {
    only = model::parse_attribute_scope(*s);
    if (!only) return invalid("scope", "must be client, shared or server");
  }
  auto attrs = KAIWU_TRY(ctx.store.get_attributes(scope, id, only, keys));
  return json_response(200, attributes_json(attrs));
}

Result<AttributeScope> writable_scope(const http::Request& req) {
  auto s = model::parse_attribute_scope(req.param("scope"));
  if (!s || *s == AttributeScope::kClient)
    return std::unexpected(invalid("scope", "users write shared or server attributes (client ones come from the device)").error());
  return *s;
}

Result<http::Response> post_attributes(ApiContext& ctx, http::Request& req) {
  auto attr_scope = KAIWU_TRY(writable_scope(req));
  auto scope = request_scope(req);
  std::string id(req.param("id"));
  auto device = KAIWU_TRY(ctx.store.get_device(scope, id));
  auto values = KAIWU_TRY(attribute_values(req.body));
  KAIWU_TRY_STATUS(ctx.store.set_attributes(scope, id, attr_scope, values));
  bus::publish_attributes(ctx.bus, device.tenant_id, id, attr_scope, values, now_ms());
  if (attr_scope == AttributeScope::kShared && ctx.devices) {
    // ThingsBoard shared-attribute update: the changed keys go to v1/devices/me/attributes.
    json::object changed;
    for (const auto& [k, v] : values) {
      auto parsed = parse_json(v);
      changed[k] = parsed ? std::move(*parsed) : json::value(v);
    }
    ctx.devices->notify_shared_attributes(device, json::serialize(changed));
  }
  std::string keys;
  for (const auto& [k, v] : values) keys += (keys.empty() ? "" : ",") + k;
  audit(ctx, req, device.tenant_id, "set_attributes", "device", id,
        std::string(model::attribute_scope_name(attr_scope)) + ": " + keys);
  return http::Response::no_content();
}

Result<http::Response> delete_attributes(ApiContext& ctx, http::Request& req) {
  auto attr_scope = KAIWU_TRY(writable_scope(req));
  auto scope = request_scope(req);
  std::string id(req.param("id"));
  auto device = KAIWU_TRY(ctx.store.get_device(scope, id));
  auto keys = csv(req.query_param("keys"));
  if (keys.empty()) return invalid("keys", "name the keys to delete");
  KAIWU_TRY_STATUS(ctx.store.delete_attributes(scope, id, attr_scope, keys));
  audit(ctx, req, device.tenant_id, "delete_attributes", "device", id, std::string(req.query_param("keys").value_or("")));
  return http::Response::no_content();
}

}  // namespace

void register_device_api_routes(http::Router& r, ApiContext& ctx) {
  const auto anyone = http::Access::anyone();
  const json::value payload = json::object{{"description", "{\"k\":v} | {\"ts\":ms,\"values\":{…}} | [ … ]"}};
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/{token}/telemetry",
         .summary = "Device HTTP API: telemetry, authenticated by the device access token (ThingsBoard-compatible)",
         .tag = "device-api", .access = anyone, .request_schema = payload,
         .handler = [&ctx](http::Request& req) { return device_telemetry(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/provision",
         .summary = "Device provisioning (ThingsBoard-compatible): provision key + secret of a profile → access token",
         .tag = "device-api", .access = anyone,
         .request_schema = schema_object({{"deviceName", "string"}, {"provisionDeviceKey", "string"},
                                          {"provisionDeviceSecret", "string"}, {"credentialsType", "string"},
                                          {"token", "string"}, {"category", "string"}},
                                         {"provisionDeviceKey", "provisionDeviceSecret"}),
         .response_schema = schema_object({{"status", "string"}, {"credentialsType", "string"},
                                           {"credentialsValue", "string"}, {"errorMsg", "string"}}),
         .handler = [&ctx](http::Request& req) { return device_provision(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/{token}/attributes",
         .summary = "Device HTTP API: publish client attributes", .tag = "device-api", .access = anyone,
         .request_schema = json::object{{"type", "object"}},
         .handler = [&ctx](http::Request& req) { return device_post_attributes(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/{token}/attributes",
         .summary = "Device HTTP API: read client and shared attributes", .tag = "device-api", .access = anyone,
         .query = {{"clientKeys", "string", "comma-separated"}, {"sharedKeys", "string", "comma-separated"}},
         .response_schema = schema_object({{"client", "object"}, {"shared", "object"}}),
         .handler = [&ctx](http::Request& req) { return device_get_attributes(ctx, req); }});

  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin, Role::kEnterpriseAdmin, Role::kEngineer});
  for (const char* path : {"/write", "/api/v2/write"})
    r.add({.method = http::Method::kPost, .pattern = path,
           .summary = "Influx line protocol write (API key as Bearer or Token); the device tag names the device",
           .tag = "ingest", .access = writers,
           .query = {{"precision", "string", "ns | us | ms | s | m | h (default ns)"}, {"db"}, {"bucket"}, {"org"}},
           .request_schema = json::object{{"type", "string"}, {"description", "line protocol"}},
           .success_status = 204,
           .handler = [&ctx](http::Request& req) { return influx_write(ctx, req); }});

  r.add({.method = http::Method::kGet, .pattern = "/api/v1/devices/{id}/attributes",
         .summary = "Client, shared and server attributes of a device", .tag = "attributes",
         .access = http::Access::signed_in(),
         .query = {{"scope", "string", "client | shared | server"}, {"keys", "string", "comma-separated"}},
         .response_schema = schema_object({{"client", "object"}, {"shared", "object"}, {"server", "object"}}),
         .handler = [&ctx](http::Request& req) { return get_attributes(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/devices/{id}/attributes/{scope}",
         .summary = "Set shared or server attributes (JSON object of key → value)", .tag = "attributes",
         .access = writers, .request_schema = json::object{{"type", "object"}}, .success_status = 204,
         .handler = [&ctx](http::Request& req) { return post_attributes(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/devices/{id}/attributes/{scope}",
         .summary = "Delete shared or server attributes", .tag = "attributes", .access = writers,
         .query = {{"keys", "string", "comma-separated", true}}, .success_status = 204,
         .handler = [&ctx](http::Request& req) { return delete_attributes(ctx, req); }});
}

}  // namespace kaiwu::api
