// The management REST API (/api/v1/…) and system endpoints (/healthz, /readyz, /metrics,
// /api/v1/openapi.json). Each register_* adds its routes to the router; handlers get their
// dependencies from the ApiContext and act only within the caller's Scope.
#pragma once

#include <functional>

#include "alarm/service.hpp"
#include "apps/files.hpp"
#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "bus/bus.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "device/gateway.hpp"
#include "devportal/developers.hpp"
#include "http/auth.hpp"
#include "http/router.hpp"
#include "meta/store.hpp"
#include "metering/device_activity.hpp"
#include "metering/meter.hpp"
#include "metering/usage.hpp"
#include "models/runtime.hpp"
#include "report/declaration_sources.hpp"
#include "report/solutions.hpp"
#include "rules/engine.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::api {

struct ApiContext {
  meta::MetadataStore& store;
  tsdb::TelemetryStore& telemetry;
  const http::Jwt& jwt;
  MetricsRegistry& metrics;
  const Config& config;
  http::RateLimiter& login_by_address;
  http::RateLimiter& login_by_username;
  std::function<bool()> ready;  // readiness for /readyz
  const http::Router* router = nullptr;  // for the OpenAPI document
  device::DeviceGateway* devices = nullptr;  // RPC and online state (null without MQTT)
  meta::RuleChainStore* rule_chains = nullptr;  // rule chain routes are registered only with it
  rules::RuleEngine* rule_engine = nullptr;     // kept in step with enabled chains (may be null)
  bus::Bus* bus = nullptr;                   // durable telemetry, attribute and device events
  alarm::AlarmService* alarms = nullptr;     // null: no alarm routes
  apps::Marketplace* marketplace = nullptr;  // APP routes are registered only with it
  apps::AppRuntime* app_runtime = nullptr;   // runs APP functions (with marketplace)
  apps::AppFiles* app_files = nullptr;       // files APPs wrote (kaiwu.files.xlsx); null: no download route
  models::ModelService* models = nullptr;    // null: no model routes
  metering::Meter* meter = nullptr;          // usage records (APP visits, developer logins, tool calls); may be null
  metering::UsageQueries* usage = nullptr;   // null: no /api/v1/metering routes
  devportal::DeveloperService* developers = nullptr;  // null: no /api/v1/developers routes
  metering::DeviceActivity* device_activity = nullptr;  // accepted telemetry marks devices daily-active
  meta::DeveloperStore* developer_accounts = nullptr;   // for the developer figures of the indicators
  report::SolutionStore* solutions = nullptr;           // null: no /api/v1/solutions routes
  report::DeclarationArchive* declarations = nullptr;   // null: no /api/v1/platform/declaration routes
};

void register_system_routes(http::Router& r, ApiContext& ctx);
void register_auth_routes(http::Router& r, ApiContext& ctx);
void register_tenant_routes(http::Router& r, ApiContext& ctx);
void register_park_routes(http::Router& r, ApiContext& ctx);
void register_enterprise_routes(http::Router& r, ApiContext& ctx);
void register_user_routes(http::Router& r, ApiContext& ctx);
void register_apikey_routes(http::Router& r, ApiContext& ctx);
void register_profile_routes(http::Router& r, ApiContext& ctx);
void register_device_routes(http::Router& r, ApiContext& ctx);
void register_audit_routes(http::Router& r, ApiContext& ctx);
void register_telemetry_routes(http::Router& r, ApiContext& ctx);
void register_device_api_routes(http::Router& r, ApiContext& ctx);
void register_alarm_routes(http::Router& r, ApiContext& ctx);
// Documents /api/v1/ws (served by WsFeed) in the route table; a plain GET answers 426.
void register_feed_route(http::Router& r);
void register_overview_routes(http::Router& r, ApiContext& ctx);  // GET /api/v1/overview
// /api/v1/rulechains (needs ctx.rule_chains; not part of register_all, cli/ adds it).
void register_rulechain_routes(http::Router& r, ApiContext& ctx);
// /api/v1/models (needs ctx.models; not part of register_all, cli/ adds it).
void register_model_routes(http::Router& r, ApiContext& ctx);

// /api/v1/apps… (needs ctx.marketplace, ctx.app_runtime and ctx.meter; cli/ adds it):
// marketplace (packages, publisher keys, review, listing, subscriptions, ratings) and
// invocation (functions, visits, run logs, UI assets).
void register_app_routes(http::Router& r, ApiContext& ctx);
void register_app_invoke_routes(http::Router& r, ApiContext& ctx);
// GET /api/v1/apps/{appId}/files/{fileId} (needs ctx.app_files and ctx.app_runtime).
void register_app_file_routes(http::Router& r, ApiContext& ctx);

// /api/v1/developers/… (register, verify, resend, me, sandbox devices, docs); needs ctx.developers.
void register_developer_routes(http::Router& r, ApiContext& ctx);
// /api/v1/metering/summary and /daily; needs ctx.usage.
void register_metering_routes(http::Router& r, ApiContext& ctx);

// GET /api/v1/platform/indicators (needs ctx.usage) and /api/v1/solutions (needs ctx.solutions).
void register_indicator_routes(http::Router& r, ApiContext& ctx);
void register_solution_routes(http::Router& r, ApiContext& ctx);
// POST /api/v1/platform/declaration and its downloads (needs ctx.declarations; cli/ adds it).
void register_declaration_routes(http::Router& r, ApiContext& ctx);

// All of the above.
void register_all(http::Router& r, ApiContext& ctx);

}  // namespace kaiwu::api
