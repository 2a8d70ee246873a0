#include "api/common.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"

namespace kaiwu::api {

bool is_platform_admin(const http::Request& req) {
  return req.principal && req.principal->role == model::Role::kPlatformAdmin;
}

meta::Scope request_scope(const http::Request& req) {
  auto tenant = req.query_param("tenantId").value_or("");
  return http::scope_of(*req.principal, tenant);
}

Result<meta::Scope> create_scope(ApiContext& ctx, const http::Request& req, const Body& body) {
  if (!is_platform_admin(req)) return http::scope_of(*req.principal);
  auto tenant = KAIWU_TRY(body.str("tenantId", 64));
  if (!tenant || tenant->empty())
    return std::unexpected(invalid("tenantId", "is required when a platform admin creates it").error());
  auto t = ctx.store.get_tenant(*tenant);
  if (!t) return std::unexpected(invalid("tenantId", "no tenant " + *tenant).error());
  return meta::Scope::tenant(*tenant);
}

Result<std::string> acting_enterprise(ApiContext& ctx, const http::Request& req,
                                      const std::string& not_found_message) {
  const auto& p = *req.principal;
  if (p.tenant_id.empty()) return fail(Errc::kNotFound, not_found_message);  // acts for no enterprise
  if (!p.enterprise_id.empty()) return p.enterprise_id;
  std::string id(req.query_param("enterpriseId").value_or(""));
  if (id.empty() || !ctx.store.get_enterprise(http::scope_of(p, p.tenant_id), id))
    return fail(Errc::kNotFound, not_found_message);
  return id;
}

std::string content_disposition(const std::string& name) {
  std::string ascii;
  std::string encoded;
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%') ? static_cast<char>(c) : '_';
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    encoded += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded);
}

bool may_grant(const http::Principal& p, model::Role role) {
  if (p.role == model::Role::kPlatformAdmin) return true;
  if (role == model::Role::kPlatformAdmin) return false;
  return static_cast<int>(role) >= static_cast<int>(p.role);
}

std::string actor_of(const http::Request& req) {
  return req.principal ? req.principal->username : std::string("anonymous");
}

void audit(ApiContext& ctx, const http::Request& req, const std::string& tenant_id,
           std::string_view action, std::string_view object_type, const std::string& object_id,
           std::string detail) {
  model::AuditEntry e;
  e.tenant_id = tenant_id;
  e.actor = actor_of(req);
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.object_id = object_id;
  e.time_ms = now_ms();
  e.source = req.remote_address;
  e.request_id = req.request_id;
  e.detail = std::move(detail);
  if (auto st = ctx.store.append_audit(e); !st)
    spdlog::error("audit {} {} {}: {}", action, object_type, object_id, st.error().message);
}

void note_device_active(ApiContext& ctx, const model::Device& d) {
  if (!ctx.device_activity) return;
  ctx.device_activity->seen(d.tenant_id, d.id, now_ms(), [&] { return d.enterprise_id; });
}

}  // namespace kaiwu::api
