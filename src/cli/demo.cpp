// `kaiwu demo`: the platform, the virtual factory and two embedded edge gateways in one process,
// pre-provisioned on the first start (tenant, park, three enterprises, users, profiles,
// gateways, direct MQTT devices), so a newcomer sees live data within seconds. The edges read
// the factory over the real protocols on 127.0.0.1 (free ports): machines over Modbus TCP,
// meters over DL/T 645 (TCP), the stack monitor uploads over HJ 212 to an edge's listener.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/platform.hpp"
#include "edge/edge.hpp"
#include "http/auth.hpp"
#include "model/entities.hpp"
#include "drivers/registry.hpp"
#include "sim/protocols.hpp"
#include "sim/simulator.hpp"

namespace kaiwu::cli {
namespace {

namespace asio = boost::asio;

constexpr const char* kTenant = "开物示范租户 Kaiwu Demo";
constexpr const char* kDemoPassword = "kaiwu-demo-2024";
constexpr const char* kAdminPassword = "kaiwu-admin-2024";

struct DemoEnterprise {
  const char* name;
  const char* industry;
  const char* code17;  // first 17 characters of the unified social credit code
  const char* gateway;  // its edge gateway device ("" : none)
};
// Codes: 9 (enterprise) 1 (company), 320505 (Suzhou New District), organisation code, check char.
constexpr DemoEnterprise kEnterprises[] = {
    {"苏州精工机械有限公司", "机械", "91320505MA1KW0P1X", "jinggong-edge-gw"},
    {"苏州新区热电有限公司", "热力和燃气", "91320505MA1KW0R2A", "redian-edge-gw"},
    {"苏州芯源电子有限公司", "电子", "91320505MA1KW0E3C", ""},
};

struct DemoSetup {
  std::string tenant_id;
  std::vector<std::string> enterprise_ids;         // every demo enterprise
  std::vector<std::string> gateway_tokens;         // per enterprise with a gateway
  std::map<std::string, std::string> mqtt_tokens;  // direct MQTT devices
};

std::string full_code(const char* first17) {
  auto check = model::credit_code_check_char(first17);
  return std::string(first17) + (check ? std::string(1, *check) : std::string());
}

// Which enterprise a simulated device belongs to, and whether it is a direct MQTT device.
int owner_of(const sim::SimDevice& d) {
  if (d.kind == sim::DeviceKind::kStation || d.kind == sim::DeviceKind::kBoiler || d.name == "meter-02") return 1;
  if (d.kind == sim::DeviceKind::kSensor) return 2;
  return 0;
}
bool is_direct(const sim::SimDevice& d) { return d.kind == sim::DeviceKind::kSensor || d.kind == sim::DeviceKind::kAgv; }

sim::SimConfig demo_sim_config(const std::string& data_dir) {
  sim::SimConfig c;
  c.origin = "demo";
  c.seed = 2024;
  c.always_on = true;
  c.shifts.shifts = {{0, 24 * 60}};
  c.shifts.every_day = true;
  c.data_dir = (std::filesystem::path(data_dir) / "demo-sim").string();
  return c;
}

std::string thing_model_of(const sim::Values& values) {
  boost::json::array props;
  for (const auto& [k, v] : values) {
    const char* type = std::holds_alternative<double>(v) ? "double"
                     : std::holds_alternative<std::int64_t>(v) ? "int"
                     : std::holds_alternative<bool>(v) ? "bool" : "string";
    props.push_back(boost::json::object{{"identifier", k}, {"name", k}, {"type", type},
                                        {"access", k == "spindle_setpoint" ? "rw" : "r"}});
  }
  return boost::json::serialize(boost::json::object{{"properties", props}});
}

Result<std::string> device_token(meta::MetadataStore& store, const std::string& tenant, const std::string& name) {
  meta::DeviceFilter f;
  f.q = name;
  auto page = KAIWU_TRY(store.list_devices(meta::Scope::tenant(tenant), f, meta::Page{100, {}, 0}));
  for (const auto& d : page.items)
    if (d.name == name) return d.access_token;
  return fail(Errc::kNotFound, "demo device " + name + " is missing");
}

Status create_user(meta::MetadataStore& store, const std::string& tenant, const std::string& enterprise,
                   const std::string& username, const std::string& display, model::Role role) {
  model::User u;
  u.tenant_id = tenant;
  u.enterprise_id = enterprise;
  u.username = username;
  u.display_name = display;
  u.role = role;
  u.password_hash = KAIWU_TRY(http::hash_password(kDemoPassword));
  KAIWU_TRY(store.create_user(meta::Scope::tenant(tenant), u));
  return ok();
}

Status provision_first_time(meta::MetadataStore& store, const sim::Factory& factory, const std::string& tenant_id) {
  auto scope = meta::Scope::tenant(tenant_id);
  model::Park park;
  park.tenant_id = tenant_id;
  park.name = "苏州高新区智能制造产业园";
  park.region = "江苏省苏州市";
  park.level = "national";
  park = KAIWU_TRY(store.create_park(scope, park));
  std::vector<std::string> enterprise_ids;
  for (const auto& e : kEnterprises) {
    model::Enterprise x;
    x.tenant_id = tenant_id;
    x.park_id = park.id;
    x.name = e.name;
    x.industry = e.industry;
    x.credit_code = full_code(e.code17);
    x.sme = true;
    x.paid = true;
    enterprise_ids.push_back(KAIWU_TRY(store.create_enterprise(scope, x)).id);
  }
  KAIWU_TRY_STATUS(create_user(store, tenant_id, "", "demo-admin", "示范租户管理员", model::Role::kTenantAdmin));
  KAIWU_TRY_STATUS(create_user(store, tenant_id, enterprise_ids[0], "demo-engineer", "精工设备工程师", model::Role::kEngineer));
  KAIWU_TRY_STATUS(create_user(store, tenant_id, enterprise_ids[1], "demo-viewer", "热电只读用户", model::Role::kViewer));
  // One profile per kind of simulated device, from its signals.
  std::map<sim::DeviceKind, std::string> profiles;
  for (const auto& d : factory.devices()) {
    if (profiles.contains(d.kind)) continue;
    model::DeviceProfile p;
    p.tenant_id = tenant_id;
    p.name = d.name.substr(0, d.name.rfind('-'));
    p.description = "Kaiwu virtual factory: " + p.name;
    p.thing_model = thing_model_of(*factory.values(d.name));
    profiles[d.kind] = KAIWU_TRY(store.create_profile(scope, p)).id;
  }
  std::map<std::size_t, std::string> gateway_of;  // enterprise index → gateway device id
  for (std::size_t i = 0; i < std::size(kEnterprises); ++i) {
    if (!*kEnterprises[i].gateway) continue;
    model::Device g;
    g.tenant_id = tenant_id;
    g.enterprise_id = enterprise_ids[i];
    g.name = kEnterprises[i].gateway;
    g.category = model::Category::kOther;
    g.protocol = "mqtt";
    g.is_gateway = true;
    gateway_of[i] = KAIWU_TRY(store.create_device(scope, g)).id;
  }
  // Devices behind gateways are created by the gateway API on first connect; pre-create them
  // here with their profiles so the console shows them at once.
  for (const auto& d : factory.devices()) {
    model::Device x;
    x.tenant_id = tenant_id;
    x.enterprise_id = enterprise_ids[owner_of(d)];
    x.name = d.name;
    x.category = *model::parse_category(d.category);
    x.protocol = std::string(sim::protocol_of(d.kind));
    x.profile_id = profiles[d.kind];
    if (!is_direct(d)) x.gateway_id = gateway_of[static_cast<std::size_t>(owner_of(d))];
    KAIWU_TRY(store.create_device(scope, x));
  }
  return ok();
}

// Data directories from before the edges spoke the real protocols show protocol "sim": every demo
// device gets the protocol the demo serves it with.
Status upgrade_protocols(meta::MetadataStore& store, const sim::Factory& factory, const std::string& tenant) {
  auto scope = meta::Scope::tenant(tenant);
  for (const auto& d : factory.devices()) {
    meta::DeviceFilter f;
    f.q = d.name;
    auto page = KAIWU_TRY(store.list_devices(scope, f, meta::Page{100, {}, 0}));
    for (auto x : page.items) {
      if (x.name != d.name || x.protocol == sim::protocol_of(d.kind)) continue;
      x.protocol = std::string(sim::protocol_of(d.kind));
      KAIWU_TRY(store.update_device(scope, x));
    }
  }
  return ok();
}

// Where each demo device stands: server attributes `workshop` ("W1", "W2", …: the workshop whose
// meter measures it; meter-NN is workshop NN's own meter) and `line` ("W1-L1", …: machines of a
// workshop alternate between two lines). The built-in APPs group by them. Upserted on every start.
Status tag_locations(meta::MetadataStore& store, const sim::Factory& factory, const std::string& tenant) {
  auto scope = meta::Scope::tenant(tenant);
  std::map<int, int> seen;  // workshop → devices so far
  for (const auto& d : factory.devices()) {
    meta::DeviceFilter f;
    f.q = d.name;
    auto page = KAIWU_TRY(store.list_devices(scope, f, meta::Page{100, {}, 0}));
    for (const auto& x : page.items) {
      if (x.name != d.name) continue;
      const int w = d.workshop + 1;
      const int line = seen[w]++ % 2 + 1;
      KAIWU_TRY_STATUS(store.set_attributes(scope, x.id, model::AttributeScope::kServer,
                                            {{"workshop", fmt::format("\"W{}\"", w)},
                                             {"line", fmt::format("\"W{}-L{}\"", w, line)}}));
    }
  }
  return ok();
}

Result<DemoSetup> provision(meta::MetadataStore& store, const sim::Factory& factory) {
  meta::TenantFilter tf;
  tf.q = "Kaiwu Demo";
  auto tenants = KAIWU_TRY(store.list_tenants(tf, meta::Page{10, {}, 0}));
  std::string tenant_id;
  for (const auto& t : tenants.items)
    if (t.name == kTenant) tenant_id = t.id;
  bool fresh = tenant_id.empty();
  if (fresh) {
    model::Tenant t;
    t.name = kTenant;
    t.description = "Pre-provisioned by kaiwu demo";
    tenant_id = KAIWU_TRY(store.create_tenant(t)).id;
    KAIWU_TRY_STATUS(provision_first_time(store, factory, tenant_id));
  } else {
    KAIWU_TRY_STATUS(upgrade_protocols(store, factory, tenant_id));
  }
  KAIWU_TRY_STATUS(tag_locations(store, factory, tenant_id));
  DemoSetup setup;
  setup.tenant_id = tenant_id;
  auto enterprises = KAIWU_TRY(store.list_enterprises(meta::Scope::tenant(tenant_id), {}, meta::Page{100, {}, 0}));
  for (const auto& e : enterprises.items) setup.enterprise_ids.push_back(e.id);
  for (const auto& e : kEnterprises)
    if (*e.gateway) setup.gateway_tokens.push_back(KAIWU_TRY(device_token(store, tenant_id, e.gateway)));
  for (const auto& d : factory.devices())
    if (is_direct(d)) setup.mqtt_tokens[d.name] = KAIWU_TRY(device_token(store, tenant_id, d.name));
  if (fresh) spdlog::info("demo: provisioned tenant \"{}\"", kTenant);
  return setup;
}

// Every demo enterprise uses every built-in APP (plan free); existing subscriptions stay.
Status subscribe_builtins(apps::Marketplace& market, const DemoSetup& setup, const std::vector<std::string>& ids) {
  std::size_t added = 0;
  for (const auto& app : ids) {
    for (const auto& ent : setup.enterprise_ids) {
      auto s = market.subscribe(app, setup.tenant_id, ent, "free", "demo");
      if (s) ++added;
      else if (s.error().code != Errc::kAlreadyExists)
        spdlog::error("demo: subscribing enterprise {} to {}: {}", ent, app, s.error().message);
    }
  }
  if (added) spdlog::info("demo: {} subscriptions to the {} built-in APPs", added, ids.size());
  return ok();
}

// Solutions (MIIT 3.1) bundling what the platform really ships: the built-in APPs and the public
// models they invoke, for the demo enterprises' industries. Cases are left at 0: the operator
// records real deployments. Existing ids are kept (a restart changes nothing).
Status seed_solutions(report::SolutionStore& store) {
  struct Seed {
    const char* id;
    const char* zh;
    const char* en;
    const char* dzh;
    const char* den;
    std::vector<std::string> industries, domains, apps, models, technologies;
  };
  const Seed seeds[] = {
      {"machining-oee-pdm", "机加工设备综合效率与预测性维护", "Machining OEE and predictive maintenance",
       "开机率、OEE 统计与振动特征、频谱、趋势外推的预测性维护。",
       "Operating rate and OEE with vibration features, spectrum and trend extrapolation for predictive maintenance.",
       {"机械", "汽车"}, {"production", "maintenance"}, {"kaiwu-oee", "kaiwu-pdm"},
       {"kaiwu.vibration.features", "kaiwu.spectrum.fft", "kaiwu.stats.descriptive", "kaiwu.anomaly.ewma",
        "kaiwu.regression.linear"},
       {"bigdata", "ai"}},
      {"energy-carbon-safety", "园区能源双碳与安全生产", "Energy, carbon and safety for parks and utilities",
       "分项能耗、碳排放核算与安全生产告警。", "Energy by meter, carbon accounting and safety alarms.",
       {"热力和燃气", "电力"}, {"energy_carbon", "safety"}, {"kaiwu-energy", "kaiwu-safety"}, {}, {"bigdata"}},
      {"electronics-spc", "电子制造统计过程控制", "Statistical process control for electronics",
       "控制图与判异规则的质量管控。", "Quality control with control charts and run rules.",
       {"电子"}, {"quality"}, {"kaiwu-spc"}, {"kaiwu.spc.chart"}, {"bigdata"}},
  };
  std::size_t added = 0;
  for (const auto& seed : seeds) {
    if (store.get(seed.id)) continue;
    report::Solution s;
    s.id = seed.id;
    s.name_zh = seed.zh;
    s.name_en = seed.en;
    s.description_zh = seed.dzh;
    s.description_en = seed.den;
    s.industries = seed.industries;
    s.domains = seed.domains;
    s.app_ids = seed.apps;
    s.model_ids = seed.models;
    s.technologies = seed.technologies;
    s.created_by = "demo";
    if (auto c = store.create(s); !c) return std::unexpected(c.error());
    ++added;
  }
  if (added) spdlog::info("demo: {} solutions in the catalogue", added);
  return ok();
}

// Where the edges find the factory's protocol servers.
struct Endpoints {
  std::uint16_t modbus = 0, dlt645 = 0, hj212 = 0;
};

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// A free loopback port for the HJ 212 listener (the edge binds it; the station retries until then).
std::uint16_t free_port(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

edge::EdgeConfig gateway_config(const sim::Factory& factory, std::size_t enterprise, const std::string& url,
                                const std::string& token, const std::string& buffer_dir, const Endpoints& ports) {
  edge::EdgeConfig c;
  c.origin = "demo";
  c.uplink.url = url;
  (void)edge::parse_uplink_url(c.uplink);
  c.uplink.token = token;
  c.uplink.client_id = std::string("kaiwu-demo-") + kEnterprises[enterprise].gateway;
  c.uplink.buffer_dir = buffer_dir;
  c.uplink.buffer_max_mb = 256;
  int meter = 0, station = 0;
  for (const auto& d : factory.devices()) {
    int meter_index = d.kind == sim::DeviceKind::kMeter ? meter++ : -1;
    int station_index = d.kind == sim::DeviceKind::kStation ? station++ : -1;
    if (is_direct(d) || owner_of(d) != static_cast<int>(enterprise)) continue;
    edge::DeviceConfig dc;
    dc.settings.name = d.name;
    dc.category = d.category;
    dc.interval_ms = 1000;
    if (sim::is_modbus(d.kind)) {
      dc.driver = "modbus-tcp";
      dc.settings.endpoint = loopback(ports.modbus);
      dc.settings.options["unit"] = std::to_string(d.unit);
      dc.points = sim::modbus_points(d.kind);
    } else if (d.kind == sim::DeviceKind::kMeter) {
      dc.driver = "dlt645";
      dc.settings.endpoint = loopback(ports.dlt645);
      dc.settings.options["meter_address"] = sim::meter_address(meter_index);
      dc.interval_ms = 5000;
      dc.points = sim::dlt645_points();
    } else if (d.kind == sim::DeviceKind::kStation) {
      dc.driver = "hj212";
      dc.settings.endpoint = loopback(ports.hj212);
      dc.settings.options["mn"] = sim::station_mn(station_index);
      dc.settings.options["pw"] = sim::kStationPw;
      dc.interval_ms = 2000;
      dc.points = sim::hj212_points();
    } else {
      continue;
    }
    c.devices.push_back(std::move(dc));
  }
  return c;
}

// The simulator and the edges run on one io_context thread of their own.
struct DemoRuntime {
  asio::io_context io{1};
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<sim::ProtocolServers> servers;
  std::vector<std::unique_ptr<edge::Edge>> edges;
  std::thread thread;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

  void stop() {
    if (!thread.joinable()) return;
    for (auto& e : edges) e->stop();
    if (sim) sim->stop();
    if (servers) servers->stop();
    auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(300));
    t->async_wait([this, t](boost::system::error_code) { io.stop(); });
    work.reset();
    thread.join();
  }
};

void print_banner(const Config& config) {
  std::string host = config.http.address == "0.0.0.0" ? "localhost" : config.http.address;
  std::cout << "\n  Kaiwu demo is running: http://" << host << ":" << config.http.port << "\n"
            << "  tenant admin : demo-admin    / " << kDemoPassword << "\n"
            << "  engineer     : demo-engineer / " << kDemoPassword << "  (" << kEnterprises[0].name << ")\n"
            << "  viewer       : demo-viewer   / " << kDemoPassword << "  (" << kEnterprises[1].name << ")\n"
            << "  platform admin: admin (password from KAIWU_ADMIN_PASSWORD, default " << kAdminPassword
            << " in the demo)\n\n"
            << std::flush;
}

}  // namespace

int run_demo(const CommonOptions& options) {
  if (!std::getenv("KAIWU_ADMIN_PASSWORD")) ::setenv("KAIWU_ADMIN_PASSWORD", kAdminPassword, 0);
  auto runtime = std::make_shared<DemoRuntime>();
  auto factory_config = demo_sim_config(options.data_dir);
  auto setup = std::make_shared<DemoSetup>();
  PlatformHooks hooks;
  hooks.before_listen = [setup, factory_config](const Config&, meta::MetadataStore& store) -> Status {
    sim::Factory factory(factory_config);
    *setup = KAIWU_TRY(provision(store, factory));
    return ok();
  };
  hooks.on_apps = [setup](apps::Marketplace& market, const std::vector<std::string>& builtin_ids) -> Status {
    return subscribe_builtins(market, *setup, builtin_ids);
  };
  hooks.on_solutions = [](report::SolutionStore& store) { return seed_solutions(store); };
  hooks.on_started = [runtime, setup, factory_config](const Config& config) {
    std::string host = config.mqtt.address == "0.0.0.0" ? "127.0.0.1" : config.mqtt.address;
    std::string url = "mqtt://" + host + ":" + std::to_string(config.mqtt.port);
    auto sc = factory_config;
    sc.mqtt_url = url;
    sc.mqtt_tokens = setup->mqtt_tokens;
    auto sim = sim::Simulator::create(runtime->io.get_executor(), sc);
    if (!sim) {
      spdlog::error("demo: simulator: {}", sim.error().message);
      return;
    }
    runtime->sim = std::move(*sim);
    auto factory = runtime->sim->factory();
    Endpoints ports;
    ports.hj212 = free_port(runtime->io);
    sc.modbus_listen = loopback(0);
    sc.dlt645_listen = loopback(0);
    sc.hj212_connect = loopback(ports.hj212);
    auto servers = sim::ProtocolServers::start(runtime->io.get_executor(), factory, sc);
    if (!servers) {
      spdlog::error("demo: protocol servers: {}", servers.error().message);
      return;
    }
    runtime->servers = std::move(*servers);
    runtime->sim->set_on_tick([p = runtime->servers.get()] { p->update(); });
    ports.modbus = runtime->servers->modbus_port();
    ports.dlt645 = runtime->servers->dlt645_port();
    edge::DriverLookup lookup = [](std::string_view name, asio::any_io_executor ex) {
      return drivers::make_driver(name, ex);
    };
    std::size_t g = 0;
    for (std::size_t i = 0; i < std::size(kEnterprises); ++i) {
      if (!*kEnterprises[i].gateway) continue;
      auto buffer = (std::filesystem::path(config.data_dir) / "demo-edge" / kEnterprises[i].gateway).string();
      auto e = edge::Edge::create(runtime->io.get_executor(),
                                  gateway_config(*factory, i, url, setup->gateway_tokens[g++], buffer, ports), lookup);
      if (!e) {
        spdlog::error("demo: edge {}: {}", kEnterprises[i].gateway, e.error().message);
        continue;
      }
      runtime->edges.push_back(std::move(*e));
    }
    runtime->sim->start();
    for (auto& e : runtime->edges) e->start();
    runtime->work.emplace(runtime->io.get_executor());
    runtime->thread = std::thread([runtime] { runtime->io.run(); });
    print_banner(config);
  };
  hooks.on_stopping = [runtime] { runtime->stop(); };
  int rc = run_platform(options, hooks);
  runtime->stop();
  return rc;
}

}  // namespace kaiwu::cli
