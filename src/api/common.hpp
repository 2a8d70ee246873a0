// Helpers shared by the route files: scope resolution, audit records, role ranks.
#pragma once

#include <string>
#include <string_view>

#include "api/api.hpp"
#include "api/json_io.hpp"

namespace kaiwu::api {

// Scope of a read/update/delete: the caller's own; platform admins may name ?tenantId=.
meta::Scope request_scope(const http::Request& req);

// Scope for creating a tenant-owned object: the caller's own tenant; platform admins must name
// an existing tenant with "tenantId" in the body.
Result<meta::Scope> create_scope(ApiContext& ctx, const http::Request& req, const Body& body);

bool is_platform_admin(const http::Request& req);

// The enterprise an APP call, visit or download acts for: the caller's own; for callers without
// one, ?enterpriseId= when that enterprise is in the caller's scope (tenant admins: the tenant,
// park admins: their park). Anything else is kNotFound with `not_found_message`, the same answer
// as for an APP that does not exist, so a caller learns nothing about other enterprises.
Result<std::string> acting_enterprise(ApiContext& ctx, const http::Request& req,
                                      const std::string& not_found_message);

// True when the caller may hand out `role` (platform-admin only by platform admins; others
// roles at or below their own rank).
bool may_grant(const http::Principal& p, model::Role role);

// Appends an audit row (failures are logged, never fail the request).
void audit(ApiContext& ctx, const http::Request& req, const std::string& tenant_id,
           std::string_view action, std::string_view object_type, const std::string& object_id,
           std::string detail = {});

std::string actor_of(const http::Request& req);

// Marks a device daily-active after its telemetry was accepted (metering::DeviceActivity).
void note_device_active(ApiContext& ctx, const model::Device& d);

// Content-Disposition of a download (RFC 6266 §4.3 / RFC 8187): an ASCII fallback and the UTF-8
// name percent-encoded.
std::string content_disposition(const std::string& name);

// Records a developer portal tool use (metering Kind::kToolCall) when the caller is a developer.
void record_tool_call(ApiContext& ctx, const http::Request& req, std::string_view tool);

}  // namespace kaiwu::api
