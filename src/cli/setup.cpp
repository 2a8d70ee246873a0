#include "cli/setup.hpp"

#include <filesystem>

#include "core/log.hpp"
#include "meta/pg_store.hpp"
#include "meta/sqlite_store.hpp"

namespace kaiwu::cli {

Result<Environment> load_environment(const CommonOptions& options) {
  ConfigSources sources{options.config_file, kaiwu_environment(), options.sets};
  Environment env;
  env.config = KAIWU_TRY(load_config(sources));
  env.config.data_dir = options.data_dir;
  KAIWU_TRY_STATUS(log::setup(env.config.log));
  std::error_code ec;
  std::filesystem::create_directories(env.config.data_dir, ec);
  if (ec) return fail(Errc::kIo, "data directory " + env.config.data_dir + ": " + ec.message());
  if (env.config.meta.backend == "postgres") {
    auto store = meta::PgStore::open(env.config.meta.postgres_url);
    if (!store) {
      return fail(store.error().code,
                  "metadata store (meta.backend = postgres): " + store.error().message);
    }
    env.store = std::move(*store);
    return env;
  }
  auto path = (std::filesystem::path(env.config.data_dir) / "meta.db").string();
  auto store = KAIWU_TRY(meta::SqliteStore::open(path));
  env.store = std::move(store);
  return env;
}

}  // namespace kaiwu::cli
