#include "cli/apps_platform.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/builtin.hpp"
#include "apps/package.hpp"
#include "core/ids.hpp"
#include "meta/sql_store.hpp"

namespace kaiwu::cli {
namespace {

namespace asio = boost::asio;

Result<std::vector<std::string>> trusted_keys(const std::string& path) {
  if (path.empty()) return std::vector<std::string>{};
  std::ifstream in(path);
  if (!in) return fail(Errc::kInvalidArgument, "apps.trusted_keys: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto keys = apps::split_pem_keys(text.str());
  if (keys.empty()) return fail(Errc::kInvalidArgument, "apps.trusted_keys: " + path + " holds no PEM public key");
  for (const auto& k : keys) {
    if (auto fp = apps::public_key_fingerprint(k); !fp)
      return fail(Errc::kInvalidArgument, "apps.trusted_keys: " + fp.error().message);
  }
  return keys;
}

void tick(apps::AppRuntime& runtime, std::shared_ptr<asio::steady_timer> timer) {
  timer->expires_after(std::chrono::milliseconds(250));
  timer->async_wait([&runtime, timer](boost::system::error_code ec) {
    if (ec) return;
    runtime.tick(now_ms());
    tick(runtime, timer);
  });
}

}  // namespace

Result<std::unique_ptr<AppPlatform>> AppPlatform::start(const Config& config, meta::MetadataStore& store,
                                                        tsdb::TelemetryStore& telemetry, bus::Bus& bus,
                                                        alarm::AlarmService& alarms, device::DeviceGateway& gateway,
                                                        metering::Meter& meter, models::ModelService* models,
                                                        Leases* leases) {
  auto* sql = dynamic_cast<meta::SqlStore*>(&store);
  if (!sql) {
    spdlog::warn("APP marketplace needs an SQL metadata store; APP routes are off");
    return std::unique_ptr<AppPlatform>();
  }
  auto keys = KAIWU_TRY(trusted_keys(config.apps.trusted_keys));
  // The platform's own key signs the built-in APPs; its public half is trusted like apps.trusted_keys.
  const auto platform_key =
      KAIWU_TRY(apps::load_or_create_platform_key(std::filesystem::path(config.data_dir) / "apps-platform.key"));
  keys.push_back(KAIWU_TRY(apps::public_key_of(platform_key)));
  std::unique_ptr<AppPlatform> p(new AppPlatform());
  p->store_ = std::make_unique<apps::SqlAppStore>(*sql);
  const apps::WithDb with_db = [sql](const std::function<Status(meta::sql::Db&)>& fn) { return sql->with_db(fn); };
  p->kv_ = apps::make_sql_kv_store(with_db);
  apps::RuntimeHooks hooks;
  hooks.kv = p->kv_.get();
  hooks.models = models;
  // APP files live in the metadata database (any node serves them); the data dir only holds the
  // workbook while it is written.
  p->files_ = std::make_unique<apps::AppFiles>(with_db, std::filesystem::path(config.data_dir) / "apps" / "scratch");
  hooks.files = p->files_.get();
  hooks.http_outbound = config.apps.http_outbound == "on";
  hooks.leases = leases;
  hooks.raise_alarm = [&alarms](const meta::Scope& s, const model::Alarm& a) -> Status {
    KAIWU_TRY(alarms.raise(s, a, "app"));
    return ok();
  };
  hooks.call_rpc = [&gateway](const model::Device& d, const std::string& method, const std::string& params,
                              std::chrono::milliseconds timeout) { return gateway.call_rpc(d, method, params, timeout); };
  p->runtime_ = std::make_unique<apps::AppRuntime>(store, telemetry, *p->store_, meter, std::move(hooks));
  p->marketplace_ = std::make_unique<apps::Marketplace>(*p->store_, p->runtime_.get(), std::move(keys));
  KAIWU_TRY_STATUS(p->runtime_->reload());
  const auto builtin_dir = apps::resolve_builtin_dir(config.apps.builtin_dir);
  auto report = apps::install_builtins(*p->marketplace_, builtin_dir, platform_key);
  spdlog::info("built-in APPs in {}: {} found, {} added, {} failed", builtin_dir.string(), report.ids.size(),
               report.added.size(), report.problems.size());
  p->builtin_ids_ = std::move(report.ids);
  p->runtime_->attach(bus);
  spdlog::info("APP runtime: {} platform-trusted publisher keys", p->marketplace_->platform_key_count());
  return p;
}

AppPlatform::~AppPlatform() { stop(); }

void AppPlatform::register_routes(http::Router& router, api::ApiContext& ctx) {
  ctx.marketplace = marketplace_.get();
  ctx.app_runtime = runtime_.get();
  ctx.app_files = files_.get();
  api::register_app_routes(router, ctx);
  api::register_app_invoke_routes(router, ctx);
  api::register_app_file_routes(router, ctx);
}

void AppPlatform::start_schedule(asio::io_context& io) { tick(*runtime_, std::make_shared<asio::steady_timer>(io)); }

void AppPlatform::stop() {
  if (runtime_) runtime_->stop();
}

}  // namespace kaiwu::cli
