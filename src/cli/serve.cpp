#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "alarm/service.hpp"
#include "alarm/webhook.hpp"
#include "api/api.hpp"
#include "api/ws_feed.hpp"
#include "bus/in_process.hpp"
#include "cli/apps_platform.hpp"
#include "bus/nats_bus.hpp"
#include "cluster/leases.hpp"
#include "cluster/node.hpp"
#include "cluster/signals.hpp"
#include "core/wake_loop.hpp"
#include "cli/commands.hpp"
#include "cli/platform.hpp"
#include "report/park_routes.hpp"
#include "cli/setup.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "http/auth.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "meta/model_store.hpp"
#include "meta/sql_store.hpp"
#include "report/economy_routes.hpp"
#include "metering/meter.hpp"
#include "models/runtime.hpp"
#include "device/gateway.hpp"
#include "devportal/developers.hpp"
#include "devportal/mailer.hpp"
#include "devportal/sandbox.hpp"
#include "metering/sql_meter.hpp"
#include "report/solutions.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/server.hpp"
#include "mqtt/ws_bridge.hpp"
#include "rules/bus_feed.hpp"
#include "rules/chain_sync.hpp"
#include "rules/device_directory.hpp"
#include "rules/engine.hpp"
#include "rules/platform_actions.hpp"
#include "tsdb/clickhouse.hpp"
#include "tsdb/engine.hpp"

#include <thread>

namespace kaiwu::cli {
namespace {

namespace asio = boost::asio;

// First start on an empty store: the platform admin "admin" with KAIWU_ADMIN_PASSWORD, or a
// generated password printed once.
Status ensure_admin(meta::MetadataStore& store) {
  auto count = KAIWU_TRY(store.count_users());
  if (count > 0) return ok();
  const char* env = std::getenv("KAIWU_ADMIN_PASSWORD");
  std::string password = env && *env ? env : crypto::random_token(12);
  KAIWU_TRY_STATUS(http::check_password_policy(password));
  model::User admin;
  admin.username = "admin";
  admin.display_name = "Platform administrator";
  admin.role = model::Role::kPlatformAdmin;
  admin.password_hash = KAIWU_TRY(http::hash_password(password));
  auto created = store.create_user(meta::Scope::platform(), admin);
  // Cluster nodes sharing one PostgreSQL database may start together: one of them creates it.
  if (!created && created.error().code == Errc::kAlreadyExists) return ok();
  if (!created) return std::unexpected(created.error());
  if (env && *env) {
    spdlog::info("created platform admin 'admin' with the password from KAIWU_ADMIN_PASSWORD");
  } else {
    std::cout << "\n  Created the platform administrator.\n  username: admin\n  password: " << password
              << "\n  (shown only this once; set KAIWU_ADMIN_PASSWORD before the first start to choose it)\n\n"
              << std::flush;
  }
  return ok();
}

void drain_then_stop(asio::io_context& io, http::Server& server, std::shared_ptr<asio::steady_timer> timer,
                     std::chrono::steady_clock::time_point deadline) {
  if (server.in_flight() == 0 || std::chrono::steady_clock::now() >= deadline) {
    spdlog::info("stopped ({} requests still in flight)", server.in_flight());
    io.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait([&io, &server, timer, deadline](boost::system::error_code) {
    drain_then_stop(io, server, timer, deadline);
  });
}

// Loads every enabled rule chain into the engine; a chain that no longer compiles is logged and
// skipped.
void load_rule_chains(meta::RuleChainStore& chains, rules::RuleEngine& engine) {
  auto enabled = chains.list_enabled_rule_chains();
  if (!enabled) {
    spdlog::error("cannot load rule chains: {}", enabled.error().message);
    return;
  }
  for (const auto& c : *enabled) {
    auto compiled = rules::compile_chain(c.definition);
    if (!compiled) {
      spdlog::error("rule chain {} ({}) v{} does not compile: {}", c.id, c.name, c.version, compiled.error().message);
      continue;
    }
    engine.set_chain(c.tenant_id, c.id, std::move(*compiled));
  }
  spdlog::info("rule engine: {} enabled chains", engine.chain_count());
}

// Once a second: the rule engine's timer pass (offline detection).
void tick_rules(rules::RuleEngine& engine, std::shared_ptr<asio::steady_timer> timer) {
  timer->expires_after(std::chrono::seconds(1));
  timer->async_wait([&engine, timer](boost::system::error_code ec) {
    if (ec) return;
    engine.tick();
    tick_rules(engine, timer);
  });
}

// The TelemetryStore chosen by tsdb.backend.
Result<std::unique_ptr<tsdb::TelemetryStore>> open_telemetry(const Config& config) {
  if (config.tsdb.backend == "clickhouse") {
    spdlog::info("telemetry in ClickHouse at {} (database {})", config.tsdb.clickhouse_url,
                 config.tsdb.clickhouse_database);
    return tsdb::open_clickhouse({.url = config.tsdb.clickhouse_url, .database = config.tsdb.clickhouse_database});
  }
  return tsdb::open_engine((std::filesystem::path(config.data_dir) / "tsdb").string(), config.storage.durability);
}

}  // namespace

// The configured event bus: in-process (default) or NATS JetStream (bus.backend = nats).
Result<std::unique_ptr<bus::Bus>> make_bus(const BusConfig& config, MetricsRegistry& metrics) {
  if (config.backend != "nats") return std::make_unique<bus::InProcessBus>(metrics);
  bus::NatsBusOptions o;
  o.servers = config.nats_url;
  o.replicas = static_cast<int>(config.replicas);
  o.node_name = config.node_name;
  auto nats = KAIWU_TRY(bus::NatsBus::connect(std::move(o), metrics));
  return std::unique_ptr<bus::Bus>(std::move(nats));
}

// The link to the other nodes (cluster/node.hpp) when the bus is NATS and bus.cross_node is on;
// null otherwise (each node's broker alone).
Result<std::unique_ptr<cluster::ClusterNode>> join_cluster(const BusConfig& config, MetricsRegistry& metrics) {
  if (config.backend != "nats" || config.cross_node != "on") return std::unique_ptr<cluster::ClusterNode>();
  cluster::ClusterOptions o;
  o.servers = config.nats_url;
  o.node_name = config.node_name;
  o.replicas = static_cast<int>(config.replicas);
  return cluster::ClusterNode::connect(std::move(o), metrics);
}

int run_serve(const CommonOptions& options) { return run_platform(options, {}); }

int run_platform(const CommonOptions& options, const PlatformHooks& hooks) {
  auto env = load_environment(options);
  if (!env) {
    std::cerr << "kaiwu serve: " << env.error().message << "\n";
    return 2;
  }
  auto& [config, store] = *env;
  if (auto st = ensure_admin(*store); !st) {
    spdlog::critical("cannot create the first admin: {}", st.error().message);
    return 1;
  }
  if (hooks.before_listen) {
    if (auto st = hooks.before_listen(config, *store); !st) {
      spdlog::critical("{}", st.error().message);
      return 1;
    }
  }
  auto secret = http::load_or_create_secret(config.auth.jwt_key_file.empty()
                                                ? (std::filesystem::path(config.data_dir) / "jwt.key").string()
                                                : config.auth.jwt_key_file);
  if (!secret) {
    spdlog::critical("{}", secret.error().message);
    return 1;
  }

  auto telemetry = open_telemetry(config);
  if (!telemetry) {
    spdlog::critical("{}", telemetry.error().message);
    return 1;
  }
  if (hooks.with_telemetry) {
    if (auto st = hooks.with_telemetry(config, *store, **telemetry); !st) {
      spdlog::critical("{}", st.error().message);
      return 1;
    }
  }

  MetricsRegistry metrics;
  http::Jwt jwt(*secret);
  http::StoreAuthenticator authenticator(*store, jwt);
  http::RateLimiter by_address(config.auth.login_attempts_per_minute * 3, std::chrono::minutes(1));
  http::RateLimiter by_username(config.auth.login_attempts_per_minute, std::chrono::minutes(1));
  http::Router router;
  router.set_authenticator(&authenticator);
  // The event bus: durable telemetry, attribute and device events, alarms. Publishers and
  // subscribers below are all destroyed before it.
  auto bus_owner = make_bus(config.bus, metrics);
  if (!bus_owner) {
    spdlog::critical("{}", bus_owner.error().message);
    return 1;
  }
  bus::Bus& event_bus = **bus_owner;
  // Cluster mode: APP schedules and developer sandboxes run on one node each (cluster/leases.hpp).
  std::unique_ptr<cluster::NatsLeases> leases;
  if (config.bus.backend == "nats") {
    auto l = cluster::NatsLeases::connect({.servers = config.bus.nats_url,
                                           .node_name = config.bus.node_name,
                                           .replicas = static_cast<int>(config.bus.replicas),
                                           .lease = std::chrono::milliseconds(config.bus.lease_ms)},
                                          metrics);
    if (!l) {
      spdlog::critical("{}", l.error().message);
      return 1;
    }
    leases = std::move(*l);
  }
  alarm::AlarmService alarms(*store, event_bus);
  alarm::WebhookNotifier webhooks(*store, event_bus, metrics);
  api::ApiContext ctx{*store, **telemetry, jwt, metrics, config, by_address, by_username, [] { return true; }, &router};
  ctx.bus = &event_bus;
  ctx.alarms = &alarms;

  // Metering: THE usage store of the platform (<data>/metering.db; with meta.backend = postgres
  // the shared `usage` table of the cluster's database, so the figures are cluster-wide).
  // Everything that records usage gets `meter` from here: the developer portal below, and the
  // models/ and apps/ routes; the MIIT figures read `usage`.
  auto metering_store =
      config.meta.backend == "postgres"
          ? metering::SqlMeter::open_postgres(config.meta.postgres_url, metrics)
          : metering::SqlMeter::open_sqlite((std::filesystem::path(config.data_dir) / "metering.db").string(),
                                            metrics);
  if (!metering_store) {
    spdlog::critical("metering: {}", metering_store.error().message);
    return 1;
  }
  metering::Meter& meter = **metering_store;
  ctx.meter = &meter;
  ctx.usage = metering_store->get();
  metering::DeviceActivity device_activity(meter);  // daily-active devices (MIIT 1.1); outlives the gateway
  // The solution catalogue (MIIT 3.1) on the metadata database's connection (migration 11).
  std::unique_ptr<report::SqlSolutionStore> solutions;
  if (auto* sql = dynamic_cast<meta::SqlStore*>(store.get())) {
    solutions = std::make_unique<report::SqlSolutionStore>(*sql);
    ctx.solutions = solutions.get();
  }

  // Developer portal: self-registration by e-mail, sandbox tenants with simulated devices.
  auto mailer = devportal::make_mailer(config);
  devportal::MailQueue mail_queue(*mailer, metrics);
  devportal::SandboxSimulator sandboxes(*store, **telemetry, &event_bus, metrics,
                                        std::chrono::milliseconds(config.portal.sandbox_interval_ms));
  sandboxes.set_leases(leases.get());
  std::unique_ptr<devportal::DeveloperService> developers;
  if (auto* accounts = dynamic_cast<meta::DeveloperStore*>(store.get())) {
    if (auto st = sandboxes.load(*accounts); !st) spdlog::error("developer sandboxes: {}", st.error().message);
    developers = std::make_unique<devportal::DeveloperService>(
        *store, *accounts, mail_queue, sandboxes,
        devportal::PortalOptions{config.portal.public_url, std::int64_t{config.portal.token_ttl_s} * 1000,
                                 std::int64_t{config.portal.resend_interval_s} * 1000});
    ctx.developers = developers.get();
    ctx.developer_accounts = accounts;
    spdlog::info("developer portal: {} sandboxes, mail via {}", sandboxes.sandboxes(),
                 config.smtp.url.empty() ? "outbox.log" : config.smtp.url);
  }
  api::register_all(router, ctx);
  // The web console (web/dist) at "/", for every path no API route takes.
  auto console = std::make_shared<http::StaticFiles>(http::resolve_web_root(config.http.web_root));
  spdlog::info("web console from {}", console->root().string());
  router.set_fallback([console](const http::Request& req) { return console->serve(req); });

  // MQTT: the broker and its connections live on their own io_context thread.
  asio::io_context mqtt_io(1);
  device::DeviceGateway gateway(*store, **telemetry, metrics);
  mqtt::BrokerOptions broker_options;
  broker_options.max_packet_size = config.mqtt.max_packet_bytes;
  broker_options.state_path = (std::filesystem::path(config.data_dir) / "mqtt-sessions.bin").string();
  mqtt::Broker broker(
      broker_options, gateway, metrics,
      [&mqtt_io](std::function<void()> fn) { asio::post(mqtt_io, std::move(fn)); }, [] { return now_ms(); });
  gateway.set_publisher([&mqtt_io, &broker](const std::string& tenant, mqtt::Publish message) {
    asio::post(mqtt_io, [&broker, tenant, message = std::move(message)]() mutable {
      broker.publish(tenant, std::move(message));
    });
  });
  ctx.devices = &gateway;
  gateway.set_bus(&event_bus);
  gateway.set_activity(&device_activity);
  ctx.device_activity = &device_activity;
  // Cluster mode: MQTT messages, retained messages, session takeover and device RPC cross nodes.
  auto peers = join_cluster(config.bus, metrics);
  if (!peers) {
    spdlog::critical("{}", peers.error().message);
    return 1;
  }
  if (*peers) {
    broker.set_peers(peers->get());
    gateway.set_remote(peers->get());
  }

  // Rules: side effects through the broker, the gateway, the alarm service and the stores; Lua
  // on the engine's own workers, fed from the bus.
  rules::PlatformHooks rule_hooks;
  rule_hooks.publish = [&mqtt_io, &broker](const rules::MqttPublishRequest& p) -> Status {
    mqtt::Publish m;
    m.qos = p.qos > 0 ? mqtt::QoS::k1 : mqtt::QoS::k0;
    m.retain = p.retain;
    m.topic = p.topic;
    m.payload = p.payload;
    asio::post(mqtt_io, [&broker, tenant = p.tenant_id, m = std::move(m)]() mutable {
      broker.publish(tenant, std::move(m));
    });
    return ok();
  };
  rule_hooks.call_rpc = [&gateway, &meta_store = *store](const rules::RpcRequest& r) -> Result<std::string> {
    auto device = KAIWU_TRY(meta_store.get_device(meta::Scope::tenant(r.tenant_id), r.device_id));
    return gateway.call_rpc(device, r.method, r.params_json, r.timeout);
  };
  rule_hooks.raise_alarm = [&alarms](const rules::AlarmRequest& r) -> Status {
    model::Alarm a;
    a.tenant_id = r.tenant_id;
    a.device_id = r.device_id;
    a.type = r.type;
    auto severity = model::parse_alarm_severity(r.severity);
    if (!severity) return fail(Errc::kInvalidArgument, "unknown alarm severity '" + r.severity + "'");
    a.severity = *severity;
    if (!r.details_json.empty()) a.details_json = r.details_json;
    a.start_ms = a.last_ms = r.ts;
    KAIWU_TRY(alarms.raise(meta::Scope::tenant(r.tenant_id), a, r.origin));
    return ok();
  };
  rule_hooks.clear_alarm = [&alarms](const rules::AlarmRequest& r) -> Status {
    KAIWU_TRY(alarms.clear_open(meta::Scope::tenant(r.tenant_id), r.device_id, r.type, r.origin));
    return ok();
  };
  rules::PlatformActions rule_actions(*store, **telemetry, std::move(rule_hooks));
  rules::DeviceDirectory rule_devices(*store);
  rules::EngineOptions rule_options;
  rule_options.prepare = [&rule_devices](rules::Message& m) { return rule_devices.resolve(m); };
  rules::RuleEngine rule_engine(rule_actions, metrics, rule_options);
  // With a shared metadata store other nodes change chains too: follow them (rules/chain_sync.hpp).
  // A change made here is signalled to the other nodes at once (cluster/signals.hpp); their
  // 30 s poll only catches a lost signal.
  std::unique_ptr<rules::ChainSync> chain_sync;
  std::unique_ptr<cluster::Signals> node_signals;
  std::unique_ptr<rules::SignallingChainStore> signalling;
  if (auto* chains = dynamic_cast<meta::RuleChainStore*>(store.get())) {
    load_rule_chains(*chains, rule_engine);
    if (config.meta.backend == "postgres")
      chain_sync = std::make_unique<rules::ChainSync>(*chains, rule_engine, std::chrono::seconds(30));
    if (chain_sync && config.bus.backend == "nats") {
      auto s = cluster::Signals::connect(config.bus.nats_url, config.bus.node_name, metrics);
      if (!s) {
        spdlog::critical("{}", s.error().message);
        return 1;
      }
      node_signals = std::move(*s);
      if (auto st = node_signals->subscribe("rulechains", [sync = chain_sync.get()] { sync->poke(); }); !st) {
        spdlog::critical("{}", st.error().message);
        return 1;
      }
      // The local sync is poked too: it must know every enabled chain (also those this node's API
      // installed) to remove it when another node disables or deletes it.
      signalling = std::make_unique<rules::SignallingChainStore>(
          *chains, [s = node_signals.get(), sync = chain_sync.get()] {
            s->raise("rulechains");
            sync->poke();
          });
    }
    ctx.rule_chains = signalling ? static_cast<meta::RuleChainStore*>(signalling.get()) : chains;
    ctx.rule_engine = &rule_engine;
    api::register_rulechain_routes(router, ctx);
  }
  // Industrial models: the catalogue in the metadata database (SQLite file or the cluster's
  // PostgreSQL), built-ins seeded as public models (idempotent: nodes may start together).
  auto model_store = config.meta.backend == "postgres"
                         ? meta::open_pg_model_store(config.meta.postgres_url)
                         : meta::open_sqlite_model_store((std::filesystem::path(config.data_dir) / "meta.db").string());
  if (!model_store) {
    spdlog::critical("model catalogue: {}", model_store.error().message);
    return 1;
  }
  auto model_service = std::make_unique<models::ModelService>(**model_store, meter);
  if (auto st = model_service->seed_builtins(); !st) spdlog::error("models: {}", st.error().message);
  ctx.models = model_service.get();
  api::register_model_routes(router, ctx);
  // Park analytics (report/): dashboards and enterprise profiles from telemetry + metadata.
  report::ParkMetrics park_metrics(*store, **telemetry);
  report::register_park_analytics_routes(router, ctx, park_metrics);
  // Economic-operation analysis (report/) on the same metrics; supply links live in the SQL store.
  std::unique_ptr<report::SupplyLinkStore> supply_links;
  if (auto* sql = dynamic_cast<meta::SqlStore*>(store.get())) {
    supply_links = std::make_unique<report::SupplyLinkStore>(*sql);
    report::register_economy_routes(router, ctx, *supply_links, report::days_from(park_metrics));
  }
  auto rule_feed = rules::feed_from_bus(event_bus, rule_engine);
  auto app_platform = AppPlatform::start(config, *store, **telemetry, event_bus, alarms, gateway, meter,
                                         model_service.get(), leases.get());
  if (!app_platform) {
    spdlog::critical("{}", app_platform.error().message);
    return 1;
  }
  // In a cluster a subscription, unsubscription or review made through one node reaches the
  // others' APP runtimes at once (signal "apps"); a pass a minute catches a lost signal.
  std::unique_ptr<WakeLoop> apps_sync;
  if (*app_platform && node_signals) {
    auto& market = (*app_platform)->marketplace();
    apps_sync = std::make_unique<WakeLoop>(std::chrono::minutes(1), [&market] { market.reload_runtime(); });
    if (auto st = node_signals->subscribe("apps", [loop = apps_sync.get()] { loop->poke(); }); !st) {
      spdlog::critical("{}", st.error().message);
      return 1;
    }
    market.set_on_change([s = node_signals.get()] { s->raise("apps"); });
  }
  if (*app_platform) {
    (*app_platform)->register_routes(router, ctx);
    if (hooks.on_apps) {
      if (auto st = hooks.on_apps((*app_platform)->marketplace(), (*app_platform)->builtin_ids()); !st)
        spdlog::error("{}", st.error().message);
    }
  }
  // The 双跨 declaration export (report/declaration*): generated sets under <data>/declarations.
  report::DeclarationArchive declarations(std::filesystem::path(config.data_dir) / "declarations", kVersion);
  ctx.declarations = &declarations;
  api::register_declaration_routes(router, ctx);
  if (hooks.on_solutions && solutions) {
    if (auto st = hooks.on_solutions(*solutions); !st) spdlog::error("{}", st.error().message);
  }
  if (auto st = broker.load_state(); !st) {
    spdlog::critical("{} (move {} away to start without the saved MQTT sessions)", st.error().message,
                     broker_options.state_path);
    return 1;
  }
  if (*peers) {
    auto post = [&mqtt_io](std::function<void()> fn) { asio::post(mqtt_io, std::move(fn)); };
    if (auto st = (*peers)->start(broker, post, gateway); !st) {
      spdlog::critical("{}", st.error().message);
      return 1;
    }
  }
  mqtt::Server mqtt_server(
      mqtt_io,
      // MQTTS uses the platform's certificate (http.cert / http.key) on mqtt.tls_port.
      mqtt::ServerOptions{config.mqtt.address, config.mqtt.port, 16u << 20, config.mqtt.connects_per_minute_per_address,
                          config.mqtt.tls_port, config.http.cert, config.http.key, config.mqtt.client_ca},
      broker);
  if (auto st = mqtt_server.start(); !st) {
    spdlog::critical("{}", st.error().message);
    return 1;
  }
  auto mqtt_work = asio::make_work_guard(mqtt_io);
  std::thread mqtt_thread([&mqtt_io] { mqtt_io.run(); });

  api::WsFeed feed(event_bus, *store, authenticator, metrics);  // stopped before io goes away
  asio::io_context io(1);
  http::Server server(io, config.http, router, metrics);
  server.add_websocket(feed.endpoint("/api/v1/ws"));
  server.add_websocket(mqtt::websocket_endpoint(
      broker, [&mqtt_io](std::function<void()> fn) { asio::post(mqtt_io, std::move(fn)); }, "/mqtt",
      config.mqtt.max_packet_bytes + 16));
  if (auto st = server.start(); !st) {
    spdlog::critical("{}", st.error().message);
    mqtt_io.stop();
    mqtt_thread.join();
    return 1;
  }
  tick_rules(rule_engine, std::make_shared<asio::steady_timer>(io));
  if (*app_platform) (*app_platform)->start_schedule(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: shutting down gracefully", signo);
    if (hooks.on_stopping) hooks.on_stopping();
    server.stop();
    asio::post(mqtt_io, [&] { mqtt_server.stop(); });
    drain_then_stop(io, server, std::make_shared<asio::steady_timer>(io),
                    std::chrono::steady_clock::now() + std::chrono::seconds(10));
  });
  spdlog::info("kaiwu {} serving, data in {}", kVersion, config.data_dir);
  if (hooks.on_started) hooks.on_started(config);
  io.run();
  feed.stop();
  if (*peers) (*peers)->stop();  // no more peer traffic into the broker, RPCs served here end
  // Let the broker flush its DISCONNECTs, then finish device writes before the stores close.
  mqtt_work.reset();
  asio::post(mqtt_io, [&] {
    auto t = std::make_shared<asio::steady_timer>(mqtt_io, std::chrono::milliseconds(200));
    t->async_wait([&mqtt_io, t](boost::system::error_code) { mqtt_io.stop(); });
  });
  mqtt_thread.join();
  node_signals.reset();  // no more pokes (waits for running handlers)
  apps_sync.reset();     // its passes use the marketplace
  app_platform->reset();
  rule_feed.reset();
  chain_sync.reset();
  rule_engine.stop();
  gateway.stop();
  webhooks.stop();
  sandboxes.stop();
  mail_queue.stop();
  (*metering_store)->stop();  // the last usage records reach the file
  return 0;
}

}  // namespace kaiwu::cli
