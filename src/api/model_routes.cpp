// /api/v1/models: the industrial model catalogue (models/) — list, counts by MIIT type, get,
// versions, upload and new versions with manifest validation, deprecation — and invocation on
// inline inputs or a device's stored series, with optional write-back of outputs as derived
// telemetry. Invocation accepts JWTs and API keys (external systems: ERP, MES, other platforms).
#include <spdlog/spdlog.h>

#include <cmath>

#include "api/common.hpp"
#include "core/ids.hpp"
#include "models/runtime.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

constexpr std::size_t kDefaultSeriesLimit = 100'000;

models::ModelService& service(ApiContext& ctx) { return *ctx.models; }

// The tenant whose catalogue the caller acts in: its own; platform admins "" (public) unless
// they name ?tenantId= (or "tenantId" in a body).
std::string tenant_of(const http::Request& req, const std::string& body_tenant = {}) {
  if (is_platform_admin(req) && !body_tenant.empty()) return body_tenant;
  return request_scope(req).tenant_id;
}

models::Caller caller_of(const http::Request& req, std::string tenant) {
  return models::Caller{std::move(tenant), req.principal->enterprise_id, actor_of(req)};
}

Result<std::string> version_param(const http::Request& req) {
  auto v = req.query_param("version");
  if (!v) return std::string();
  if (!models::parse_semver(*v)) return invalid("version", "must be a semantic version like 1.2.0");
  return std::string(*v);
}

json::object counts_json(const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  json::object by_type, labels;
  std::int64_t total = 0;
  for (const auto& [type, n] : counts) {
    by_type[type] = n;
    total += n;
    if (auto t = models::parse_model_type(type)) labels[type] = models::model_type_label_zh(*t);
  }
  return json::object{{"total", total}, {"byType", std::move(by_type)}, {"labels", std::move(labels)}};
}

Result<http::Response> list(ApiContext& ctx, http::Request& req) {
  auto page = KAIWU_TRY(page_params(req));
  meta::ModelQuery q;
  q.tenant_id = tenant_of(req);
  q.all_tenants = false;
  q.public_only = q.tenant_id.empty();
  if (auto type = req.query_param("type")) {
    if (!models::parse_model_type(*type))
      return invalid("type", "must be one of research_simulation, business_process, mechanism, data_algorithm");
    q.type = std::string(*type);
  }
  q.q = std::string(req.query_param("q").value_or(""));
  q.include_deprecated = KAIWU_TRY(bool_param(req, "deprecated")).value_or(false);
  if (auto pub = KAIWU_TRY(bool_param(req, "public"))) {
    if (*pub) q.public_only = true;
    else if (!q.tenant_id.empty()) q.include_public = false;
  }
  auto list = KAIWU_TRY(service(ctx).store().list_models(q, page));
  return list_response(list, [](const auto& r) { return models::record_to_json(r); });
}

Result<http::Response> counts(ApiContext& ctx, http::Request& req) {
  meta::ModelQuery q;
  q.tenant_id = tenant_of(req);
  // The platform's MIIT figure: every tenant's models and the public ones.
  q.all_tenants = q.tenant_id.empty();
  auto c = KAIWU_TRY(service(ctx).store().count_models_by_type(q));
  return json_response(200, counts_json(c));
}

Result<http::Response> publish(ApiContext& ctx, http::Request& req, const std::string& path_id) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"manifest", "tenantId"}));
  if (!body.has("manifest")) return invalid("manifest", "is required");
  const auto& manifest = body.object().at("manifest");
  if (!path_id.empty()) {
    auto* id = manifest.is_object() ? manifest.get_object().if_contains("id") : nullptr;
    if (!id || !id->is_string() || id->get_string() != path_id)
      return invalid("manifest.id", "must be the model id of the path (" + path_id + ")");
  }
  const auto named = KAIWU_TRY(body.str("tenantId", 64));
  const std::string tenant = tenant_of(req, named.value_or(""));
  if (!tenant.empty()) KAIWU_TRY(ctx.store.get_tenant(tenant));
  if (!path_id.empty()) KAIWU_TRY(service(ctx).store().get_model(tenant, path_id, ""));  // 404 before publishing
  auto created = KAIWU_TRY(service(ctx).publish(caller_of(req, tenant), manifest));
  audit(ctx, req, tenant, path_id.empty() ? "create" : "version", "model", created.id, created.version);
  return json_response(201, models::record_to_json(created));
}

Result<http::Response> validate(http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"manifest"}));
  if (!body.has("manifest")) return invalid("manifest", "is required");
  std::vector<std::string> problems;
  (void)models::parse_manifest(body.object().at("manifest"), &problems);
  json::array errors;
  for (auto& p : problems) {
    const auto colon = p.find(": ");
    errors.push_back(json::object{{"pointer", p.substr(0, colon)}, {"message", p.substr(colon + 2)}});
  }
  return json_response(200, json::object{{"valid", problems.empty()}, {"errors", std::move(errors)}});
}

Result<http::Response> deprecate(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body),
                                    {"version", "deprecated"}));
  const std::string id(req.param("id"));
  const std::string tenant = tenant_of(req);
  const auto record = KAIWU_TRY(service(ctx).store().get_model(tenant, id, ""));
  if (record.tenant_id != tenant) return fail(Errc::kPermissionDenied, "public models are deprecated by the platform");
  const std::string version = KAIWU_TRY(body.str("version", 64)).value_or("");
  const bool deprecated = KAIWU_TRY(body.boolean("deprecated")).value_or(true);
  KAIWU_TRY_STATUS(service(ctx).store().set_model_deprecated(tenant, id, version, deprecated));
  audit(ctx, req, tenant, deprecated ? "deprecate" : "undeprecate", "model", id, version);
  const auto updated = KAIWU_TRY(service(ctx).store().get_model(tenant, id, ""));
  return json_response(200, models::record_to_json(updated));
}

// ---- Invocation -------------------------------------------------------------------------------

Result<std::int64_t> int_field(const json::object& o, std::string_view key, std::string_view where) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_int64()) return invalid(fmt::format("{}.{}", where, key), "must be an integer");
  return v->get_int64();
}

// {"series": {"deviceId", "key", "from", "to", "agg", "interval", "limit"}} → the values, read in
// the caller's scope (another enterprise's or tenant's device is 404).
Result<std::vector<double>> read_series(ApiContext& ctx, const http::Request& req, const json::value& binding,
                                        const std::string& where) {
  if (!binding.is_object()) return invalid(where, "must be an object {deviceId, key, from, to, agg, interval}");
  const auto& b = binding.get_object();
  for (const auto& [k, _] : b) {
    static constexpr std::string_view kKnown[] = {"deviceId", "key", "from", "to", "agg", "interval", "limit"};
    if (std::ranges::find(kKnown, std::string_view(k)) == std::end(kKnown))
      return invalid(fmt::format("{}.{}", where, std::string_view(k)), "unknown field");
  }
  auto* dev = b.if_contains("deviceId");
  auto* key = b.if_contains("key");
  if (!dev || !dev->is_string()) return invalid(where + ".deviceId", "is required");
  if (!key || !key->is_string() || key->get_string().empty()) return invalid(where + ".key", "is required");
  const std::int64_t from = KAIWU_TRY(int_field(b, "from", where));
  const std::int64_t to = KAIWU_TRY(int_field(b, "to", where));
  if (from >= to) return invalid(where + ".from", "must be before to");
  const auto device = KAIWU_TRY(ctx.store.get_device(request_scope(req), std::string(dev->get_string())));
  std::vector<double> out;
  auto numeric = [&](const tsdb::Value& v) -> Status {
    if (auto* d = std::get_if<double>(&v)) out.push_back(*d);
    else if (auto* i = std::get_if<std::int64_t>(&v)) out.push_back(static_cast<double>(*i));
    else if (auto* bo = std::get_if<bool>(&v)) out.push_back(*bo ? 1 : 0);
    else return invalid(where, fmt::format("{} of device {} holds strings, not numbers", std::string_view(key->get_string()), device.id));
    return ok();
  };
  const std::vector<std::string> keys{std::string(key->get_string())};
  if (auto* agg_v = b.if_contains("agg"); agg_v && !(agg_v->is_string() && agg_v->get_string() == "none")) {
    auto agg = agg_v->is_string() ? tsdb::parse_agg(agg_v->get_string()) : std::nullopt;
    if (!agg) return invalid(where + ".agg", "must be one of min, max, avg, sum, count, first, last, none");
    std::int64_t interval = 60'000;
    if (b.contains("interval")) interval = KAIWU_TRY(int_field(b, "interval", where));
    if (interval <= 0) return invalid(where + ".interval", "must be a positive number of milliseconds");
    if ((to - from) / interval > static_cast<std::int64_t>(models::kMaxSeriesValues))
      return invalid(where + ".interval", "too many buckets (at most 1000000)");
    auto r = KAIWU_TRY(ctx.telemetry.aggregate(tsdb::AggQuery{device.tenant_id, device.id, keys, from, to, interval, *agg}));
    for (const auto& kb : r)
      for (const auto& bucket : kb.buckets) KAIWU_TRY_STATUS(numeric(bucket.value));
    return out;
  }
  std::int64_t limit = static_cast<std::int64_t>(kDefaultSeriesLimit);
  if (b.contains("limit")) limit = KAIWU_TRY(int_field(b, "limit", where));
  if (limit < 1 || limit > static_cast<std::int64_t>(models::kMaxSeriesValues))
    return invalid(where + ".limit", "must be 1..1000000");
  tsdb::RangeQuery q{device.tenant_id, device.id, keys, from, to, static_cast<std::size_t>(limit), tsdb::Order::kAsc};
  auto r = KAIWU_TRY(ctx.telemetry.range(q));
  for (const auto& ks : r)
    for (const auto& s : ks.samples) KAIWU_TRY_STATUS(numeric(s.value));
  return out;
}

Result<models::Values> read_values(ApiContext& ctx, const http::Request& req, const json::value* v,
                                   std::string_view what, bool allow_series) {
  models::Values out;
  if (!v) return out;
  if (!v->is_object()) return invalid(what, "must be an object of named values");
  for (const auto& [k, x] : v->get_object()) {
    const std::string where = fmt::format("{}.{}", what, std::string_view(k));
    if (allow_series && x.is_object() && x.get_object().contains("series")) {
      if (x.get_object().size() != 1) return invalid(where, "a series binding has only the field series");
      auto values = KAIWU_TRY(read_series(ctx, req, x.get_object().at("series"), where + ".series"));
      out.emplace(std::string(k), models::Value{std::move(values)});
      continue;
    }
    auto value = KAIWU_TRY(models::value_from_json(x, where));
    out.emplace(std::string(k), std::move(value));
  }
  return out;
}

// {"deviceId", "outputs": ["a", …] | {"a": "key", …}, "ts"} → points written as derived
// telemetry of the device, like a rule chain's write_telemetry.
Result<std::size_t> write_back(ApiContext& ctx, const http::Request& req, const json::value& spec,
                               const models::Values& outputs) {
  if (req.principal->role == Role::kViewer) return fail(Errc::kPermissionDenied, "viewers cannot write telemetry");
  if (!spec.is_object()) return invalid("writeBack", "must be an object {deviceId, outputs, ts}");
  const auto& o = spec.get_object();
  auto* dev = o.if_contains("deviceId");
  if (!dev || !dev->is_string()) return invalid("writeBack.deviceId", "is required");
  const auto device = KAIWU_TRY(ctx.store.get_device(request_scope(req), std::string(dev->get_string())));
  std::int64_t ts = now_ms();
  if (o.contains("ts")) ts = KAIWU_TRY(int_field(o, "ts", "writeBack"));
  std::vector<std::pair<std::string, std::string>> mapping;  // output → key
  auto* outs = o.if_contains("outputs");
  if (outs && outs->is_array()) {
    for (const auto& n : outs->get_array()) {
      if (!n.is_string()) return invalid("writeBack.outputs", "must name outputs");
      mapping.emplace_back(n.get_string(), n.get_string());
    }
  } else if (outs && outs->is_object()) {
    for (const auto& [name, key] : outs->get_object()) {
      if (!key.is_string() || key.get_string().empty() || key.get_string().size() > 128)
        return invalid(fmt::format("writeBack.outputs.{}", std::string_view(name)), "must be a telemetry key");
      mapping.emplace_back(name, key.get_string());
    }
  } else {
    return invalid("writeBack.outputs", "must be an array of output names or an object output → key");
  }
  if (mapping.empty()) return invalid("writeBack.outputs", "must name at least one output");
  std::vector<tsdb::Point> points;
  for (const auto& [name, key] : mapping) {
    auto it = outputs.find(name);
    if (it == outputs.end()) return invalid("writeBack.outputs." + name, "not an output of this model");
    tsdb::Value v;
    if (auto* d = std::get_if<double>(&it->second)) v = *d;
    else if (auto* b = std::get_if<bool>(&it->second)) v = *b;
    else if (auto* s = std::get_if<std::string>(&it->second)) v = *s;
    else return invalid("writeBack.outputs." + name, "is a series; only numbers, strings and booleans are written back");
    points.push_back(tsdb::Point{device.tenant_id, device.id, key, ts, std::move(v)});
  }
  KAIWU_TRY_STATUS(ctx.telemetry.write(points));
  return points.size();
}

http::Response model_failed(const Error& e) {
  json::object body{{"error", json::object{{"code", "model_error"}, {"message", e.message}}}};
  return json_response(422, body);
}

Result<http::Response> invoke(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"version", "inputs", "parameters", "writeBack"}));
  const std::string id(req.param("id"));
  const std::string tenant = tenant_of(req);
  const std::string version = KAIWU_TRY(body.str("version", 64)).value_or("");
  const auto record = KAIWU_TRY(service(ctx).store().get_model(tenant, id, version));
  auto inputs = KAIWU_TRY(read_values(ctx, req, body.object().if_contains("inputs"), "inputs", true));
  auto params = KAIWU_TRY(read_values(ctx, req, body.object().if_contains("parameters"), "parameters", false));
  auto result = service(ctx).invoke(caller_of(req, tenant), record, inputs, params);
  if (!result) {
    if (result.error().kind == models::InvokeError::Kind::kModel) return model_failed(result.error().error);
    return std::unexpected(result.error().error);
  }
  json::object outputs;
  for (const auto& [k, v] : result->outputs) outputs[k] = models::value_to_json(v);
  json::object out{{"modelId", record.id},
                   {"version", record.version},
                   {"outputs", std::move(outputs)},
                   {"durationMs", static_cast<double>(result->duration_us) / 1000.0}};
  if (auto* wb = body.object().if_contains("writeBack")) out["writtenBack"] = KAIWU_TRY(write_back(ctx, req, *wb, result->outputs));
  return json_response(200, out);
}

}  // namespace

void register_model_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.models) return;
  const auto publishers = http::Access::only({Role::kTenantAdmin, Role::kEngineer, Role::kDeveloper});
  const auto record = schema_object({{"id", "string"}, {"version", "string"}, {"public", "boolean"},
                                     {"tenantId", "string"}, {"type", "string"}, {"typeLabel", "string"},
                                     {"name", "object"}, {"deprecated", "boolean"}, {"createdBy", "string"},
                                     {"createdAt", "integer"}, {"manifest", "object"}});
  const auto upload = schema_object({{"manifest", "object"}, {"tenantId", "string"}}, {"manifest"});
  const auto tenant_param = http::ParamDoc{"tenantId", "string", "platform admins: the tenant"};
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/models",
         .summary = "List models visible to the caller (latest version of each; own and public)", .tag = "models",
         .access = http::Access::signed_in(),
         .query = {{"type", "string", "research_simulation | business_process | mechanism | data_algorithm"},
                   {"q", "string", "id or name contains"}, {"deprecated", "boolean", "include deprecated models"},
                   {"public", "boolean", "true: public only; false: own only"}, tenant_param, {"limit", "integer"},
                   {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(record),
         .handler = [&ctx](http::Request& req) { return list(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/models/counts",
         .summary = "Number of models by MIIT type (platform admins: the whole platform)", .tag = "models",
         .access = http::Access::signed_in(), .query = {tenant_param},
         .response_schema = schema_object({{"total", "integer"}, {"byType", "object"}, {"labels", "object"}}),
         .handler = [&ctx](http::Request& req) { return counts(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/models",
         .summary = "Upload a model package (version 1 of a new model; platform admins without tenantId publish a "
                    "public model); 400 names every problem by JSON pointer",
         .tag = "models", .access = publishers, .request_schema = upload, .response_schema = record,
         .success_status = 201, .handler = [&ctx](http::Request& req) { return publish(ctx, req, {}); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/models/validate",
         .summary = "Validate a manifest: {valid, errors[{pointer, message}]}", .tag = "models",
         .access = http::Access::signed_in(), .request_schema = schema_object({{"manifest", "object"}}, {"manifest"}),
         .response_schema = schema_object({{"valid", "boolean"}, {"errors", "array"}}),
         .handler = [](http::Request& req) { return validate(req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/models/{id}",
         .summary = "Get a model (the latest version, or ?version=)", .tag = "models",
         .access = http::Access::signed_in(), .query = {{"version", "string", "a semantic version"}, tenant_param},
         .response_schema = record,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto v = KAIWU_TRY(version_param(req));
           auto m = KAIWU_TRY(service(ctx).store().get_model(tenant_of(req), std::string(req.param("id")), v));
           return json_response(200, models::record_to_json(m));
         }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/models/{id}/versions",
         .summary = "Every version of a model, newest first", .tag = "models", .access = http::Access::signed_in(),
         .query = {tenant_param}, .response_schema = schema_object({{"items", "array"}}),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto all = KAIWU_TRY(service(ctx).store().list_model_versions(tenant_of(req), std::string(req.param("id"))));
           json::array items;
           for (const auto& m : all) items.push_back(models::record_to_json(m));
           return json_response(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/models/{id}/versions",
         .summary = "Publish a new version (semver greater than every stored one, same type)", .tag = "models",
         .access = publishers, .request_schema = upload, .response_schema = record, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return publish(ctx, req, std::string(req.param("id"))); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/models/{id}/deprecate",
         .summary = "Deprecate a model (every version, or {version}); {deprecated:false} undoes it", .tag = "models",
         .access = publishers, .query = {tenant_param},
         .request_schema = schema_object({{"version", "string"}, {"deprecated", "boolean"}}),
         .response_schema = record, .handler = [&ctx](http::Request& req) { return deprecate(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/models/{id}/invoke",
         .summary = "Invoke a model (JWT or API key): inputs inline or {series:{deviceId,key,from,to,agg,interval}}; "
                    "400 names a bad input, 422 when the model fails (Lua error or limit)",
         .tag = "models", .access = http::Access::signed_in(), .query = {tenant_param},
         .request_schema = schema_object({{"version", "string"}, {"inputs", "object"}, {"parameters", "object"},
                                          {"writeBack", "object"}}),
         .response_schema = schema_object({{"modelId", "string"}, {"version", "string"}, {"outputs", "object"},
                                           {"durationMs", "number"}, {"writtenBack", "integer"}}),
         .handler = [&ctx](http::Request& req) { return invoke(ctx, req); }});
}

}  // namespace kaiwu::api
