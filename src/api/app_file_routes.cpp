// GET /api/v1/apps/{appId}/files/{fileId}: a file an APP wrote (kaiwu.files.xlsx) for the
// caller's enterprise. The same rule as function calls: the API key's or user's own enterprise,
// or for tenant-wide callers the one named by ?enterpriseId=, subscribed to the APP; anything
// else (another enterprise's file included) is "not found".
#include <fmt/format.h>

#include "api/common.hpp"

namespace kaiwu::api {
namespace {

Result<http::Response> download(ApiContext& ctx, http::Request& req) {
  const std::string app(req.param("appId"));
  const std::string enterprise = KAIWU_TRY(acting_enterprise(ctx, req, "app " + app + " not found"));
  KAIWU_TRY_STATUS(ctx.app_runtime->check_subscribed(app, req.principal->tenant_id, enterprise));
  auto file = KAIWU_TRY(ctx.app_files->read(apps::FileOwner{req.principal->tenant_id, enterprise, app},
                                            std::string(req.param("fileId"))));
  auto resp = http::Response::text(200, std::move(file.bytes), std::string(apps::kXlsxContentType));
  resp.headers.emplace_back("Content-Disposition", content_disposition(file.info.name));
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.headers.emplace_back("Cache-Control", "private, no-store");
  return resp;
}

}  // namespace

void register_app_file_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.app_files || !ctx.app_runtime) return;
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/apps/{appId}/files/{fileId}",
         .summary = "Download a file an APP wrote for the caller's enterprise (XLSX)", .tag = "apps",
         .access = http::Access::signed_in(),
         .query = {{"enterpriseId", "string", "tenant-wide callers: the enterprise to act for"}},
         .response_content_type = std::string(apps::kXlsxContentType),
         .handler = [&ctx](http::Request& req) { return download(ctx, req); }});
}

}  // namespace kaiwu::api
