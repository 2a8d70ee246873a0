// `kaiwu app pack|sign|verify`: what a developer runs before uploading an APP package.
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/package.hpp"
#include "cli/commands.hpp"
#include "core/crypto.hpp"

namespace kaiwu::cli {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kNotFound, "cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status write_file(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text << "\n";
    return ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text << "\n";
  if (!out) return fail(Errc::kIo, "cannot write " + path);
  return ok();
}

Status sign(apps::Package& p, const std::string& key_path) {
  auto key = KAIWU_TRY(read_file(key_path));
  auto checked = KAIWU_TRY(apps::check_package(p));  // never sign what the platform would refuse
  p.signature = KAIWU_TRY(apps::sign_digest(key, checked.digest));
  return ok();
}

Status run(const AppToolOptions& o) {
  if (o.action == "pack") {
    auto p = KAIWU_TRY(apps::pack_directory(o.input));
    if (!o.key.empty()) KAIWU_TRY_STATUS(sign(p, o.key));
    else KAIWU_TRY(apps::check_package(p));
    return write_file(o.output, apps::package_json(p));
  }
  auto p = KAIWU_TRY(apps::parse_package(KAIWU_TRY(read_file(o.input))));
  if (o.action == "sign") {
    KAIWU_TRY_STATUS(sign(p, o.key));
    return write_file(o.output.empty() ? o.input : o.output, apps::package_json(p));
  }
  auto checked = KAIWU_TRY(apps::check_package(std::move(p)));
  auto fingerprint = KAIWU_TRY(apps::verify_package(checked, {KAIWU_TRY(read_file(o.pubkey))}));
  std::cout << checked.manifest.id << " " << checked.manifest.version << ": signature OK (key " << fingerprint
            << ", digest " << crypto::to_hex(checked.digest) << ")\n";
  return ok();
}

}  // namespace

int run_app_tool(const AppToolOptions& options) {
  if (auto st = run(options); !st) {
    std::cerr << "kaiwu app " << options.action << ": " << st.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace kaiwu::cli
