// Host functions that leave the sandbox: kaiwu.files.xlsx (apps/files.hpp) and
// kaiwu.http.request (apps/http_client.hpp).
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "apps/files.hpp"
#include "apps/host_api_internal.hpp"
#include "apps/http_client.hpp"

namespace kaiwu::apps::host {
namespace {

// xlsx(name, sheets) → {id=, name=, size=}; downloaded by the same enterprise from
// GET /api/v1/apps/{appId}/files/{id}.
HostResult files_xlsx(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kFilesWrite));
  if (!ctx.hooks.files) return fail(Errc::kUnavailable, "APP files are not available in this deployment");
  auto name = KAIWU_TRY(arg_string(a, 0, "name"));
  if (a.size() < 2) return fail(Errc::kInvalidArgument, "argument 2 (sheets) must be a list of sheets");
  const FileOwner owner{ctx.scope.tenant_id, ctx.scope.enterprise_id, ctx.manifest.id};
  auto info = KAIWU_TRY(ctx.hooks.files->write_xlsx(owner, name, a[1]));
  return json::serialize(json::object{{"id", info.id}, {"name", info.name}, {"size", info.size}});
}

Result<HttpRequest> http_request_of(const Args& a) {
  if (a.empty() || !a[0].is_object())
    return fail(Errc::kInvalidArgument, "argument 1 must be a table {method=, url=, headers=, body=, timeoutMs=}");
  const auto& o = a[0].get_object();
  HttpRequest r;
  for (const auto& [k, v] : o) {
    const std::string_view key = k;
    if (key == "method" && v.is_string()) {
      r.method = std::string(v.get_string());
      std::transform(r.method.begin(), r.method.end(), r.method.begin(), [](unsigned char c) { return std::toupper(c); });
    } else if (key == "url" && v.is_string()) {
      r.url = std::string(v.get_string());
    } else if (key == "body" && v.is_string()) {
      r.body = std::string(v.get_string());
    } else if (key == "body" && (v.is_object() || v.is_array())) {  // a table: sent as JSON
      r.body = json::serialize(v);
      r.headers.emplace_back("Content-Type", "application/json");
    } else if (key == "timeoutMs" && v.is_number()) {
      r.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(v.to_number<double>()));
    } else if (key == "headers" && v.is_object()) {
      for (const auto& [name, value] : v.get_object()) {
        if (!value.is_string()) return fail(Errc::kInvalidArgument, fmt::format("header '{}' must be a string", std::string_view(name)));
        r.headers.emplace_back(std::string(name), std::string(value.get_string()));
      }
    } else if (!v.is_null()) {
      return fail(Errc::kInvalidArgument, fmt::format("'{}' is not a request field of the right type (method, url, "
                                                      "headers, body, timeoutMs)", key));
    }
  }
  if (r.url.empty()) return fail(Errc::kInvalidArgument, "url is required");
  if (r.timeout.count() < 1 || r.timeout > kMaxHttpTimeout)
    return fail(Errc::kInvalidArgument, fmt::format("timeoutMs must be 1..{}", kMaxHttpTimeout.count()));
  return r;
}

// request{method=, url=, headers=, body=, timeoutMs=} → {status=, headers=, body=}: only to the
// manifest's httpHosts, only when the operator allows outbound HTTP.
HostResult http_request_fn(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kHttpOutbound));
  if (!ctx.hooks.http_outbound)
    return fail(Errc::kPermissionDenied, "outbound HTTP is off on this platform (the operator sets apps.http_outbound = on)");
  auto request = KAIWU_TRY(http_request_of(a));
  auto response = KAIWU_TRY(http_request(request, [&](std::string_view host) { return ctx.manifest.http_host_allowed(host); }));
  json::object headers;
  for (auto& [k, v] : response.headers) headers[k] = v;  // a repeated header keeps its last value
  return json::serialize(json::object{{"status", response.status}, {"headers", std::move(headers)}, {"body", response.body}});
}

}  // namespace

std::vector<Entry> io_functions() { return {{"files.xlsx", files_xlsx}, {"http.request", http_request_fn}}; }

}  // namespace kaiwu::apps::host
