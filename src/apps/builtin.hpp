// Built-in APPs (apps/builtin/<dir>/ in the source tree, share/kaiwu/apps/builtin installed):
// on every start each directory is packed (manifest.json, its code, ui/…; README.md and other
// files stay out), signed with the platform's own Ed25519 key and uploaded through the same
// verify path as any package. Versions of the platform publisher `kaiwu` are approved by the
// platform and so listed. Idempotent: an id+version already stored is skipped (a changed
// directory needs a new version); a new version is added and becomes the listed one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/marketplace.hpp"

namespace kaiwu::apps {

inline constexpr std::string_view kPlatformPublisher = "kaiwu";

// The platform's signing key (PEM private) at path, created (0600) on the first start.
Result<std::string> load_or_create_platform_key(const std::filesystem::path& path);

// configured (apps.builtin_dir) when set; else the source tree's apps/builtin when it exists
// (compiled in), else <exe dir>/../share/kaiwu/apps/builtin.
std::filesystem::path resolve_builtin_dir(const std::string& configured);

struct BuiltinReport {
  std::vector<std::string> ids;       // every built-in APP found (installed now or before)
  std::vector<std::string> added;     // "id@version" uploaded by this call
  std::vector<std::string> problems;  // directories that could not be installed, with why
};

// Installs every directory under dir (missing dir: nothing to do). A directory that fails is
// reported and skipped; the others still install.
BuiltinReport install_builtins(Marketplace& market, const std::filesystem::path& dir, const std::string& private_key_pem);

}  // namespace kaiwu::apps
