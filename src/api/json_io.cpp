#include "api/json_io.hpp"

#include <cmath>

#include <charconv>

#include "core/json_parse.hpp"

namespace kaiwu::api {

std::unexpected<Error> invalid(std::string_view field, std::string_view why) {
  return fail(Errc::kInvalidArgument, std::string(field) + ": " + std::string(why));
}

Result<Body> Body::parse(std::string_view text, std::initializer_list<std::string_view> allowed) {
  if (text.empty()) return fail(Errc::kInvalidArgument, "request body: expected a JSON object");
  auto parsed = parse_json(text);
  if (!parsed) return fail(Errc::kInvalidArgument, "request body: " + parsed.error().message);
  json::value v = std::move(*parsed);
  if (!v.is_object()) return fail(Errc::kInvalidArgument, "request body: expected a JSON object");
  Body b;
  b.obj_ = std::move(v.as_object());
  for (const auto& [key, value] : b.obj_) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) return std::unexpected(invalid(key, "unknown field").error());
  }
  return b;
}

Result<std::optional<std::string>> Body::str(std::string_view key, std::size_t max_len) const {
  auto* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return std::unexpected(invalid(key, "must be a string").error());
  const auto& s = v->as_string();
  if (s.size() > max_len)
    return std::unexpected(invalid(key, "longer than " + std::to_string(max_len) + " bytes").error());
  return std::optional<std::string>(std::string(s));
}

Result<std::string> Body::required_str(std::string_view key, std::size_t max_len) const {
  auto v = KAIWU_TRY(str(key, max_len));
  if (!v || v->empty()) return std::unexpected(invalid(key, "is required").error());
  return *v;
}

Result<std::optional<bool>> Body::boolean(std::string_view key) const {
  auto* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return std::unexpected(invalid(key, "must be true or false").error());
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<double>> Body::number(std::string_view key) const {
  auto* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<double>{};
  if (!v->is_number()) return std::unexpected(invalid(key, "must be a number").error());
  return std::optional<double>(v->to_number<double>());
}

Result<std::optional<std::int64_t>> Body::integer(std::string_view key) const {
  auto* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  boost::system::error_code ec;
  auto n = v->is_number() ? v->to_number<std::int64_t>(ec) : 0;
  if (!v->is_number() || ec) return std::unexpected(invalid(key, "must be an integer").error());
  return std::optional<std::int64_t>(n);
}

namespace {
Result<std::size_t> size_param(const http::Request& req, std::string_view name, std::size_t min,
                               std::size_t max, std::size_t fallback) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  std::size_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size() || out < min || out > max)
    return std::unexpected(invalid(name, "must be an integer in " + std::to_string(min) + ".." +
                                             std::to_string(max)).error());
  return out;
}

json::value opt_string(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value opt_time(std::int64_t ms) { return ms ? json::value(ms) : json::value(nullptr); }
}  // namespace

Result<meta::Page> page_params(const http::Request& req) {
  meta::Page p;
  p.limit = KAIWU_TRY(size_param(req, "limit", 1, 1000, 100));
  p.offset = KAIWU_TRY(size_param(req, "offset", 0, 1'000'000'000, 0));
  if (auto c = req.query_param("cursor")) p.cursor = std::string(*c);
  return p;
}

Result<std::optional<bool>> bool_param(const http::Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v) return std::optional<bool>{};
  if (*v == "true" || *v == "1") return std::optional<bool>(true);
  if (*v == "false" || *v == "0") return std::optional<bool>(false);
  return std::unexpected(invalid(name, "must be true or false").error());
}

json::object to_json(const model::Tenant& t) {
  return {{"id", t.id}, {"name", t.name}, {"description", t.description}, {"createdAt", t.created_ms}};
}

json::object to_json(const model::Park& p) {
  return {{"id", p.id},         {"tenantId", p.tenant_id}, {"name", p.name},
          {"region", p.region}, {"level", p.level},        {"address", p.address},
          {"createdAt", p.created_ms}};
}

json::object to_json(const model::Enterprise& e) {
  json::object o{{"id", e.id},
                 {"tenantId", e.tenant_id},
                 {"parkId", opt_string(e.park_id)},
                 {"name", e.name},
                 {"creditCode", e.credit_code},
                 {"industry", e.industry},
                 {"sme", e.sme},
                 {"paid", e.paid},
                 {"address", e.address},
                 {"createdAt", e.created_ms}};
  o["longitude"] = e.longitude ? json::value(*e.longitude) : json::value(nullptr);
  o["latitude"] = e.latitude ? json::value(*e.latitude) : json::value(nullptr);
  return o;
}

json::object to_json(const model::User& u) {
  return {{"id", u.id},
          {"tenantId", opt_string(u.tenant_id)},
          {"parkId", opt_string(u.park_id)},
          {"enterpriseId", opt_string(u.enterprise_id)},
          {"username", u.username},
          {"displayName", u.display_name},
          {"role", model::role_name(u.role)},
          {"disabled", u.disabled},
          {"createdAt", u.created_ms},
          {"lastLoginAt", opt_time(u.last_login_ms)}};
}

json::object to_json(const model::ApiKey& k) {
  return {{"id", k.id},
          {"tenantId", k.tenant_id},
          {"enterpriseId", opt_string(k.enterprise_id)},
          {"userId", k.user_id},
          {"name", k.name},
          {"role", model::role_name(k.role)},
          {"prefix", k.prefix},
          {"createdAt", k.created_ms},
          {"lastUsedAt", opt_time(k.last_used_ms)},
          {"expiresAt", opt_time(k.expires_ms)}};
}

json::object to_json(const model::DeviceProfile& p, bool with_secret) {
  boost::system::error_code ec;
  json::value tm = json::parse(p.thing_model, ec);
  if (ec) tm = json::object{};
  json::object provision{{"mode", model::provision_mode_name(p.provision_mode)}};
  if (p.provision_mode != model::ProvisionMode::kDisabled) {
    provision["key"] = p.provision_key;
    provision["enterpriseId"] = p.provision_enterprise_id;
    if (with_secret) provision["secret"] = p.provision_secret;
  }
  return {{"id", p.id},
          {"tenantId", p.tenant_id},
          {"name", p.name},
          {"description", p.description},
          {"thingModel", std::move(tm)},
          {"provision", std::move(provision)},
          {"createdAt", p.created_ms},
          {"updatedAt", p.updated_ms}};
}

json::object to_json(const model::Device& d, bool with_token) {
  json::object o{{"id", d.id},
                 {"tenantId", d.tenant_id},
                 {"enterpriseId", d.enterprise_id},
                 {"profileId", opt_string(d.profile_id)},
                 {"name", d.name},
                 {"category", model::category_name(d.category)},
                 {"protocol", d.protocol},
                 {"isGateway", d.is_gateway},
                 {"gatewayId", opt_string(d.gateway_id)},
                 {"label", d.label},
                 {"certFingerprint", opt_string(d.cert_fingerprint)},
                 {"createdAt", d.created_ms},
                 {"lastSeenAt", opt_time(d.last_seen_ms)}};
  if (with_token) o["accessToken"] = d.access_token;
  return o;
}

json::object to_json(const model::AuditEntry& a) {
  return {{"id", a.id},
          {"tenantId", opt_string(a.tenant_id)},
          {"actor", a.actor},
          {"action", a.action},
          {"objectType", a.object_type},
          {"objectId", a.object_id},
          {"time", a.time_ms},
          {"source", a.source},
          {"requestId", a.request_id},
          {"detail", a.detail}};
}

http::Response json_response(unsigned status, const json::value& v) {
  return http::Response::json(status, json::serialize(v));
}

json::value schema_object(std::initializer_list<std::pair<std::string_view, std::string_view>> props,
                          std::initializer_list<std::string_view> required) {
  json::object properties;
  for (const auto& [name, type] : props) properties[name] = json::object{{"type", type}};
  json::object o{{"type", "object"}, {"properties", std::move(properties)}};
  if (required.size()) {
    json::array req;
    for (auto r : required) req.push_back(json::value(r));
    o["required"] = std::move(req);
  }
  return o;
}

json::value schema_list(const json::value& item) {
  json::object items{{"type", "array"}, {"items", item}};
  json::object next{{"type", "string"}, {"nullable", true}};
  json::object props{{"items", std::move(items)}, {"next", std::move(next)}};
  return json::object{{"type", "object"}, {"properties", std::move(props)}};
}

json::value telemetry_value_json(const tsdb::Value& v) {
  switch (tsdb::type_of(v)) {
    case tsdb::ValueType::kDouble: {
      double d = std::get<double>(v);
      return std::isfinite(d) ? json::value(d) : json::value(nullptr);
    }
    case tsdb::ValueType::kInt: return std::get<std::int64_t>(v);
    case tsdb::ValueType::kBool: return std::get<bool>(v);
    case tsdb::ValueType::kString: return json::value(std::get<std::string>(v));
  }
  return nullptr;
}

}  // namespace kaiwu::api
