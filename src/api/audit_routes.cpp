#include <charconv>

#include "api/common.hpp"

namespace kaiwu::api {
namespace {

Result<std::int64_t> time_param(const http::Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v) return 0;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size() || out < 0)
    return std::unexpected(invalid(name, "must be milliseconds since the epoch").error());
  return out;
}

}  // namespace

void register_audit_routes(http::Router& r, ApiContext& ctx) {
  const auto entry = schema_object({{"id", "integer"}, {"tenantId", "string"}, {"actor", "string"},
                                    {"action", "string"}, {"objectType", "string"}, {"objectId", "string"},
                                    {"time", "integer"}, {"source", "string"}, {"requestId", "string"},
                                    {"detail", "string"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/audit", .summary = "The audit log, newest first",
         .tag = "audit", .access = http::Access::only({model::Role::kTenantAdmin}),
         .query = {{"actor"}, {"action"}, {"objectType"}, {"objectId"}, {"from", "integer", "ms since epoch"},
                   {"to", "integer", "ms since epoch"}, {"tenantId", "string", "platform admins: one tenant"},
                   {"limit", "integer"}, {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(entry),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::AuditFilter f;
           f.actor = req.query_param("actor").value_or("");
           f.action = req.query_param("action").value_or("");
           f.object_type = req.query_param("objectType").value_or("");
           f.object_id = req.query_param("objectId").value_or("");
           f.from_ms = KAIWU_TRY(time_param(req, "from"));
           f.to_ms = KAIWU_TRY(time_param(req, "to"));
           auto list = KAIWU_TRY(ctx.store.list_audit(request_scope(req), f, page));
           return list_response(list, [](const auto& a) { return to_json(a); });
         }});
}

}  // namespace kaiwu::api
