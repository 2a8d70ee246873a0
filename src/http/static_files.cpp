#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace kaiwu::http {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

bool is_api_path(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Response file_response(std::string body, std::string_view type, std::string_view cache) {
  Response r;
  r.status = 200;
  r.content_type = std::string(type);
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", std::string(cache));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// The console's pages: scripts and data only from this origin (Ant Design injects its styles,
// hence 'unsafe-inline' for styles only), and no framing by other sites.
void add_page_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                         "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
                         "object-src 'none'; base-uri 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
}

// The file's precompressed sibling (<file>.gz, written by the console's build) when the client
// accepts gzip: RFC 9110 §12.5.3 — "gzip" (or "x-gzip", or "*") listed without q=0.
bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    };
    coding = trim(coding);
    params = trim(params);
    std::string lower(coding);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "gzip" && lower != "x-gzip" && lower != "*") continue;
    // q=0, q=0.0, q=0.00… mean "not acceptable".
    if (params.starts_with("q=") || params.starts_with("Q=")) {
      std::string_view q = params.substr(2);
      if (!q.empty() && q.find_first_not_of("0.") == std::string_view::npos) continue;
    }
    return true;
  }
  return false;
}

// Reads <file>.gz instead when the client takes gzip and the build left one; either way tells
// caches that the body depends on Accept-Encoding when a compressed variant exists.
std::optional<Response> compressed_or_plain(const Request& req, const fs::path& file, std::string_view type,
                                            std::string_view cache) {
  std::error_code ec;
  fs::path gz = file;
  gz += ".gz";
  const bool has_gz = fs::is_regular_file(gz, ec);
  if (has_gz && accepts_gzip(req.header("Accept-Encoding"))) {
    if (auto body = read_file(gz)) {
      auto r = file_response(std::move(*body), type, cache);
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.headers.emplace_back("Vary", "Accept-Encoding");
      return r;
    }
  }
  auto body = read_file(file);
  if (!body) return std::nullopt;
  auto r = file_response(std::move(*body), type, cache);
  if (has_gz) r.headers.emplace_back("Vary", "Accept-Encoding");
  return r;
}

}  // namespace

std::string_view content_type_for(std::string_view ext) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  }};
  for (const auto& [e, type] : kTypes)
    if (e == ext) return type;
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root) : root_(std::move(root)) {}

std::optional<fs::path> StaticFiles::resolve(std::string_view path) const {
  fs::path rel;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    i = j + 1;
    if (seg.empty()) continue;
    if (seg == "." || seg == ".." || seg.find('\\') != std::string_view::npos ||
        seg.find('\0') != std::string_view::npos)
      return std::nullopt;
    rel /= fs::path(std::string(seg));
  }
  return root_ / rel;
}

// Whether an existing file really lies inside the root: a symlink in the tree must not lead out
// of it. Only existing paths are canonicalised (a client route such as /devices/<id> is not a
// file and never reaches here), and an unexpected filesystem error is logged, not guessed at.
bool StaticFiles::inside_root(const fs::path& file) const {
  std::error_code ec;
  fs::path root = fs::canonical(root_, ec);
  fs::path full = ec ? fs::path() : fs::canonical(file, ec);
  if (ec) {
    spdlog::warn("console: cannot resolve {}: {}", file.string(), ec.message());
    return false;
  }
  auto [r, f] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
  return r == root.end();
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
  if (req.method != Method::kGet && req.method != Method::kHead) return std::nullopt;
  if (is_api_path(req.path)) return std::nullopt;
  // Each refusal says which rule refused (and the log has it): a 404 for a console route is a bug.
  auto not_found = [&req](std::string_view why) {
    spdlog::info("console: {} → 404 ({})", req.path, why);
    return Response::json(404, fmt::format(R"x({{"error":{{"code":"not_found","message":"no such file ({})"}}}})x", why));
  };
  auto full = resolve(req.path);
  if (!full) return not_found("bad path segment");
  std::error_code ec;
  if (fs::is_regular_file(*full, ec)) {
    if (!inside_root(*full)) return not_found("outside the console root");
    bool hashed = req.path.starts_with("/assets/");
    auto r = compressed_or_plain(req, *full, content_type_for(full->extension().string()),
                                 hashed ? kImmutable : kRevalidate);
    if (!r) return not_found("unreadable");
    if (full->extension() == ".html") add_page_headers(*r);
    return r;
  }
  // A missing file with an extension is a broken link, not a console route.
  // (A view of req.path, not of a substr() temporary: a dangling view here made client routes with
  // long ids 404 at random once the freed heap block was reused.)
  std::string_view path = req.path;
  std::string_view last = path.substr(path.rfind('/') + 1);
  if (last.find('.') != std::string_view::npos || path.starts_with("/assets/")) return not_found("missing file");
  if (auto r = compressed_or_plain(req, root_ / "index.html", "text/html; charset=utf-8", kRevalidate)) {
    add_page_headers(*r);
    return r;
  }
  return Response::text(404, "The Kaiwu web console is not built: no index.html in " + root_.string() +
                                   ".\nRun `make build` (or `npm ci && npm run build` in web/), or set "
                                   "http.web_root.\n");
}

fs::path resolve_web_root(const std::string& configured) {
  if (!configured.empty()) return fs::path(configured);
  std::error_code ec;
  std::vector<fs::path> candidates;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "web" / "dist");
  candidates.push_back(fs::current_path(ec) / "web" / "dist");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c / "index.html", ec)) return c;
  return candidates.front();
}

}  // namespace kaiwu::http
