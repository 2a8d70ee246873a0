// `kaiwu report declaration --year Y --out DIR`: the 双跨 declaration from the data directory's
// databases, the same files as POST /api/v1/platform/declaration. Reads only (SQLite WAL), so it
// works while `kaiwu serve` runs on the same data directory.
#include <filesystem>
#include <iostream>

#include "apps/sql_app_store.hpp"
#include "cli/commands.hpp"
#include "cli/setup.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "meta/developer_store.hpp"
#include "meta/model_store.hpp"
#include "meta/sql_store.hpp"
#include "metering/sql_meter.hpp"
#include "report/declaration_sources.hpp"
#include "report/indicators.hpp"
#include "report/solutions.hpp"

namespace kaiwu::cli {

int run_report_declaration(const CommonOptions& options, const ReportOptions& r) {
  auto fail_with = [](const std::string& message, int code) {
    std::cerr << "kaiwu report declaration: " << message << "\n";
    return code;
  };
  auto env = load_environment(options);
  if (!env) return fail_with(env.error().message, 2);
  const auto& config = env->config;
  const bool pg = config.meta.backend == "postgres";
  const auto meta_db = (std::filesystem::path(config.data_dir) / "meta.db").string();
  auto models = pg ? meta::open_pg_model_store(config.meta.postgres_url, 1) : meta::open_sqlite_model_store(meta_db);
  if (!models) return fail_with("model catalogue: " + models.error().message, 1);
  MetricsRegistry metrics;
  auto usage = pg ? metering::SqlMeter::open_postgres(config.meta.postgres_url, metrics)
                  : metering::SqlMeter::open_sqlite(
                        (std::filesystem::path(config.data_dir) / "metering.db").string(), metrics);
  if (!usage) return fail_with("metering: " + usage.error().message, 1);
  auto* sql = dynamic_cast<meta::SqlStore*>(env->store.get());
  std::unique_ptr<apps::SqlAppStore> app_store;
  std::unique_ptr<report::SqlSolutionStore> solutions;
  if (sql) {
    app_store = std::make_unique<apps::SqlAppStore>(*sql);
    solutions = std::make_unique<report::SqlSolutionStore>(*sql);
  }
  report::DeclarationSources sources{*env->store};
  sources.models = models->get();
  sources.apps = app_store.get();
  sources.solutions = solutions.get();
  sources.platform_version = kVersion;
  sources.indicators = [&](std::string_view day) {
    report::IndicatorSources in{*env->store};
    in.usage = usage->get();
    in.apps = app_store.get();
    in.models = models->get();
    in.developers = dynamic_cast<meta::DeveloperStore*>(env->store.get());
    in.solutions = solutions.get();
    return report::compute_indicators(in, meta::Scope::platform(), day);
  };
  auto input = report::gather_declaration(sources, r.year, now_ms());
  (*usage)->stop();
  if (!input) return fail_with(input.error().message, input.error().code == Errc::kInvalidArgument ? 2 : 1);
  auto files = report::write_declaration(*input, r.out);
  if (!files) return fail_with(files.error().message, 1);
  for (const auto& f : *files)
    std::cout << (std::filesystem::path(r.out) / f.name).string() << "\t" << f.bytes << "\n";
  return 0;
}

}  // namespace kaiwu::cli
