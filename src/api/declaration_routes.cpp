// The 双跨 declaration export (report/declaration*.hpp), platform admins only:
//   POST /api/v1/platform/declaration {"year": Y} → 201 {id, year, asOf, files: [{name, bytes, url}]}
//   GET  /api/v1/platform/declaration/{id}/{file}  → the DOCX / XLSX file
// The newest DeclarationArchive::kKept sets are kept under <data>/declarations/.
#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "api/common.hpp"
#include "core/ids.hpp"
#include "report/declaration_sources.hpp"
#include "report/indicators.hpp"

namespace kaiwu::api {
namespace {

constexpr std::size_t kMaxFileBytes = 256u << 20;

report::DeclarationSources sources_of(ApiContext& ctx) {
  report::DeclarationSources s{ctx.store};
  s.models = ctx.models ? &ctx.models->store() : nullptr;
  s.apps = ctx.marketplace ? &ctx.marketplace->store() : nullptr;
  s.solutions = ctx.solutions;
  s.platform_version = ctx.declarations->platform_version();
  s.indicators = [&ctx, s](std::string_view day) {
    report::IndicatorSources in{ctx.store};
    in.usage = ctx.usage;
    in.apps = s.apps;
    in.models = s.models;
    in.developers = ctx.developer_accounts;
    in.solutions = ctx.solutions;
    return report::compute_indicators(in, meta::Scope::platform(), day);
  };
  return s;
}

// A path component of a download URL (RFC 3986 §2.1).
std::string url_component(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '-' || c == '_' || c == '~';
    out += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

Result<http::Response> generate(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"year"}));
  const auto year = KAIWU_TRY(body.integer("year"));
  if (!year) return invalid("year", "is required");
  const auto now = now_ms();
  auto as_of = report::declaration_as_of(static_cast<int>(std::clamp<std::int64_t>(*year, 0, 100000)), now);
  if (!as_of) return invalid("year", as_of.error().message.substr(std::string_view("year: ").size()));
  auto [id, files] = KAIWU_TRY(ctx.declarations->generate(sources_of(ctx), static_cast<int>(*year), now));
  json::array list;
  for (const auto& f : files)
    list.push_back(json::object{{"name", f.name},
                                {"bytes", f.bytes},
                                {"url", fmt::format("/api/v1/platform/declaration/{}/{}", id, url_component(f.name))}});
  audit(ctx, req, "", "create", "declaration", id, fmt::format("year {}", *year));
  return json_response(201, json::object{{"id", id}, {"year", *year}, {"asOf", *as_of}, {"files", std::move(list)}});
}

Result<http::Response> download(ApiContext& ctx, http::Request& req) {
  const std::string name(req.param("file"));
  const auto path = KAIWU_TRY(ctx.declarations->file(req.param("id"), name));
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  if (!in.good() && !in.eof()) return fail(Errc::kIo, "cannot read " + name);
  if (bytes.size() > kMaxFileBytes) return fail(Errc::kIo, name + " is too large");
  const auto type = name.ends_with(".docx") ? report::kDocxContentType : report::kXlsxContentType;
  auto resp = http::Response::text(200, std::move(bytes), std::string(type));
  resp.headers.emplace_back("Content-Disposition", content_disposition(name));
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.headers.emplace_back("Cache-Control", "private, no-store");
  return resp;
}

json::value request_schema() {
  return json::parse(R"({"type": "object", "required": ["year"], "properties": {"year": {"type": "integer"}}})");
}

json::value response_schema() {
  return json::parse(R"({"type": "object", "required": ["id", "year", "asOf", "files"], "properties": {
    "id": {"type": "string"}, "year": {"type": "integer"}, "asOf": {"type": "string"},
    "files": {"type": "array", "items": {"type": "object", "required": ["name", "bytes", "url"], "properties": {
      "name": {"type": "string"}, "bytes": {"type": "integer"}, "url": {"type": "string"}}}}}})");
}

}  // namespace

void register_declaration_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.declarations) return;
  const auto admins = http::Access::only({model::Role::kPlatformAdmin});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/platform/declaration",
         .summary = "Generate the 双跨 declaration (section 二 as DOCX, evidence annexes as XLSX) from live data",
         .tag = "platform", .access = admins,
         .request_schema = request_schema(),
         .response_schema = response_schema(),
         .success_status = 201,
         .handler = [&ctx](http::Request& req) { return generate(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/platform/declaration/{id}/{file}",
         .summary = "Download one file of a generated declaration", .tag = "platform", .access = admins,
         .response_content_type = std::string(report::kDocxContentType),
         .handler = [&ctx](http::Request& req) { return download(ctx, req); }});
}

}  // namespace kaiwu::api
