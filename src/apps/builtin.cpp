#include "apps/builtin.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "apps/package.hpp"
#include "core/crypto.hpp"

namespace kaiwu::apps {
namespace fs = std::filesystem;

namespace {

// Keeps what check_package allows: manifest.json, the code file and ui/….
Result<std::pair<Package, Manifest>> pack_builtin(const fs::path& dir) {
  auto p = KAIWU_TRY(pack_directory(dir.string()));
  auto m = p.files.find("manifest.json");
  if (m == p.files.end()) return fail(Errc::kInvalidArgument, "no manifest.json");
  auto manifest = KAIWU_TRY(parse_manifest(m->second));
  std::erase_if(p.files, [&](const auto& f) {
    return f.first != "manifest.json" && f.first != manifest.code && !f.first.starts_with("ui/");
  });
  return std::pair{std::move(p), std::move(manifest)};
}

Status install_one(Marketplace& market, const fs::path& dir, const std::string& key, BuiltinReport& report) {
  auto [package, m] = KAIWU_TRY(pack_builtin(dir));
  const std::string digest = canonical_digest(package);
  report.ids.push_back(m.id);
  // An installed version is compared by digest only: no signing or checking on every start.
  if (auto existing = market.store().get_version(m.id, m.version)) {
    if (existing->digest_hex != crypto::to_hex(digest))
      spdlog::warn("built-in APP {} {}: {} changed but keeps version {}; bump the version to install it", m.id,
                   m.version, dir.string(), m.version);
    return ok();
  }
  package.signature = KAIWU_TRY(sign_digest(key, digest));
  KAIWU_TRY(check_package(package));
  KAIWU_TRY(market.upload(package_json(package), ""));
  if (m.publisher == kPlatformPublisher)
    KAIWU_TRY(market.review(m.id, m.version, true, "built-in APP of the platform", "platform"));
  else
    spdlog::warn("built-in APP {} {}: publisher '{}' is not the platform's; left pending review", m.id, m.version,
                 m.publisher);
  report.added.push_back(m.id + "@" + m.version);
  spdlog::info("built-in APP {} {} installed from {}", m.id, m.version, dir.string());
  return ok();
}

}  // namespace

Result<std::string> load_or_create_platform_key(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return fail(Errc::kIo, "cannot read " + path.string());
    KAIWU_TRY(public_key_of(text.str()));  // a clear error for a damaged key file
    return text.str();
  }
  auto pem = KAIWU_TRY(generate_private_key());
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << pem;
    if (!out) return fail(Errc::kIo, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, path, ec);
  if (ec) return fail(Errc::kIo, fmt::format("cannot create {}: {}", path.string(), ec.message()));
  spdlog::info("created the platform's APP signing key {}", path.string());
  return pem;
}

fs::path resolve_builtin_dir(const std::string& configured) {
  if (!configured.empty()) return fs::path(configured);
  std::error_code ec;
#ifdef KAIWU_SOURCE_DIR
  const fs::path source = fs::path(KAIWU_SOURCE_DIR) / "apps" / "builtin";
  if (fs::is_directory(source, ec)) return source;
#endif
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return exe.parent_path().parent_path() / "share" / "kaiwu" / "apps" / "builtin";
}

BuiltinReport install_builtins(Marketplace& market, const fs::path& dir, const std::string& private_key_pem) {
  BuiltinReport report;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return report;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    if (auto st = install_one(market, d, private_key_pem, report); !st) {
      report.problems.push_back(fmt::format("{}: {}", d.string(), st.error().message));
      spdlog::error("built-in APP {}: {}", d.string(), st.error().message);
    }
  }
  return report;
}

}  // namespace kaiwu::apps
