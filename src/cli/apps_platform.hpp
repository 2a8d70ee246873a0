// The APP platform as `kaiwu serve` wires it: the built-in APPs installed (apps/builtin.hpp), the marketplace store, the run log and APP
// storage in the metadata database (SQLite or PostgreSQL), the runtime fed by the bus and a 250 ms schedule timer, the REST routes. APP calls
// and visits are recorded in the platform's metering store. APPs reach the platform's services
// through the runtime hooks: alarms, device RPC, APP storage and the model service.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>

#include "alarm/service.hpp"
#include "api/api.hpp"
#include "apps/kv_store.hpp"
#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "apps/sql_app_store.hpp"
#include "bus/bus.hpp"
#include "core/config.hpp"
#include "device/gateway.hpp"
#include "metering/meter.hpp"
#include "models/runtime.hpp"

namespace kaiwu::cli {

class AppPlatform {
 public:
  // nullptr (logged) when the metadata store is not an SQL one; an error when apps.trusted_keys
  // names a file that cannot be read or holds no key.
  static Result<std::unique_ptr<AppPlatform>> start(const Config& config, meta::MetadataStore& store,
                                                    tsdb::TelemetryStore& telemetry, bus::Bus& bus,
                                                    alarm::AlarmService& alarms, device::DeviceGateway& gateway,
                                                    metering::Meter& meter, models::ModelService* models,
                                                    Leases* leases = nullptr);
  ~AppPlatform();

  // Adds the /api/v1/apps routes (ctx gets the marketplace and runtime; ctx.meter must be set).
  void register_routes(http::Router& router, api::ApiContext& ctx);
  // Fires schedule triggers from a timer on io (only reads memory and queues).
  void start_schedule(boost::asio::io_context& io);
  void stop();

  apps::Marketplace& marketplace() { return *marketplace_; }
  // The built-in APPs found at start (installed now or on an earlier start).
  const std::vector<std::string>& builtin_ids() const { return builtin_ids_; }

 private:
  AppPlatform() = default;

  std::unique_ptr<apps::SqlAppStore> store_;
  std::unique_ptr<apps::KvStore> kv_;
  std::unique_ptr<apps::AppFiles> files_;
  std::unique_ptr<apps::AppRuntime> runtime_;
  std::unique_ptr<apps::Marketplace> marketplace_;
  std::vector<std::string> builtin_ids_;
};

}  // namespace kaiwu::cli
