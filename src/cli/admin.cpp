#include <iostream>

#include "cli/commands.hpp"
#include "cli/setup.hpp"
#include "http/auth.hpp"
#include "tsdb/engine.hpp"

#include <filesystem>
#include <fmt/format.h>

namespace kaiwu::cli {

int run_create_user(const CommonOptions& options, const CreateUserOptions& o) {
  auto env = load_environment(options);
  if (!env) {
    std::cerr << "kaiwu admin: " << env.error().message << "\n";
    return 2;
  }
  auto role = model::parse_role(o.role);
  auto fail_with = [](const std::string& message) {
    std::cerr << "kaiwu admin create-user: " << message << "\n";
    return 1;
  };
  if (!role) return fail_with("--role: \"" + o.role + "\" is not a role");
  if (auto st = http::check_password_policy(o.password); !st) return fail_with(st.error().message);
  model::User u;
  u.username = o.username;
  u.display_name = o.display_name;
  u.role = *role;
  u.park_id = o.park_id;
  u.enterprise_id = o.enterprise_id;
  meta::Scope scope;
  if (*role == model::Role::kPlatformAdmin) {
    if (!o.tenant_id.empty()) return fail_with("--tenant: a platform-admin belongs to no tenant");
  } else {
    if (o.tenant_id.empty()) return fail_with("--tenant is required for role " + o.role);
    if (!env->store->get_tenant(o.tenant_id)) return fail_with("--tenant: no tenant " + o.tenant_id);
    u.tenant_id = o.tenant_id;
    scope = meta::Scope::tenant(o.tenant_id);
  }
  auto hash = http::hash_password(o.password);
  if (!hash) return fail_with(hash.error().message);
  u.password_hash = *hash;
  auto created = env->store->create_user(scope, u);
  if (!created) return fail_with(created.error().message);
  model::AuditEntry a;
  a.tenant_id = u.tenant_id;
  a.actor = "admin-cli";
  a.action = "create";
  a.object_type = "user";
  a.object_id = created->id;
  a.time_ms = created->created_ms;
  a.source = "local";
  a.detail = u.username + " as " + o.role;
  (void)env->store->append_audit(a);
  std::cout << "created user " << created->username << " (" << o.role << ") id " << created->id << "\n";
  return 0;
}

int run_tsdb_stats(const CommonOptions& options) {
  auto env = load_environment(options);
  if (!env) {
    std::cerr << "kaiwu admin: " << env.error().message << "\n";
    return 2;
  }
  tsdb::EngineOptions o;
  o.dir = (std::filesystem::path(env->config.data_dir) / "tsdb").string();
  o.background = false;
  auto store = tsdb::open_engine(o);
  if (!store) {
    std::cerr << "kaiwu admin tsdb-stats: " << store.error().message
              << " (the store can be read only while kaiwu serve is stopped)\n";
    return 1;
  }
  auto st = (*store)->stats();
  if (!st) {
    std::cerr << "kaiwu admin tsdb-stats: " << st.error().message << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "series           {}\nsamples          {}\n  in heads       {}\nchunks           {}\n"
      "chunk bytes      {}\nbytes on disk    {}\nbytes/sample     {:.3f}\n",
      st->series, st->samples, st->head_samples, st->chunks, st->chunk_bytes, st->disk_bytes, st->bytes_per_sample);
  return 0;
}

int run_print_config(const CommonOptions& options) {
  ConfigSources sources{options.config_file, kaiwu_environment(), options.sets};
  auto config = load_config(sources);
  if (!config) {
    std::cerr << "kaiwu config: " << config.error().message << "\n";
    return 2;
  }
  for (const auto& [key, value] : describe_config(*config)) std::cout << key << " = " << value << "\n";
  return 0;
}

}  // namespace kaiwu::cli
