// The built web console (web/dist) served at "/": files by path, index.html for every other
// GET outside /api/ so client-side routes survive a reload (SPA fallback). Plain Kaiwu types
// only; the router calls it when no API route matches.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace kaiwu::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // A response for GET/HEAD of a console path; nullopt for other methods and for /api/… paths
  // (those keep the API's JSON 404). Never reads outside the root: paths with "..", "\" or NUL
  // segments are 404, as are symlinks leading out of it. Hashed files under /assets/ are cached
  // for a year; everything else must be revalidated. A file with a precompressed sibling
  // (<file>.gz, written by the console's build) is sent as that sibling with Content-Encoding:
  // gzip to clients whose Accept-Encoding takes gzip; both variants carry Vary: Accept-Encoding.
  std::optional<Response> serve(const Request& req) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::optional<std::filesystem::path> resolve(std::string_view path) const;  // root / path, lexically
  bool inside_root(const std::filesystem::path& file) const;
  std::filesystem::path root_;
};

// "text/html; charset=utf-8" for ".html", …; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view extension);

// http.web_root when set; else the first of <dir of the executable>/../web/dist and
// ./web/dist that has an index.html (so `make run` from the repository and build/kaiwu in tests
// both find the console); else the first candidate (serve() then explains it is not built).
std::filesystem::path resolve_web_root(const std::string& configured);

}  // namespace kaiwu::http
