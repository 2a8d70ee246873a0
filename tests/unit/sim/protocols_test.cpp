// The virtual factory over its protocols, read by the production drivers: every Modbus and
// DL/T 645 point equals the factory's value for a fixed seed and time, a Modbus write reaches
// the machine, and the stack monitor's HJ 212 uploads arrive at the hj212 listener.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <cmath>

#include "drivers/hj212/driver.hpp"
#include "drivers/registry.hpp"
#include "sim/protocols.hpp"

namespace kaiwu::sim {
namespace {

namespace asio = boost::asio;
constexpr std::int64_t kMondayTen = 1704643200000 + 10 * 3'600'000;  // 2024-01-08 10:00 UTC+8

template <typename T>
asio::awaitable<void> into(asio::awaitable<T> a, std::optional<T>* out) {
  *out = co_await std::move(a);
}
asio::awaitable<void> into_void(asio::awaitable<void> a, bool* done) {
  co_await std::move(a);
  *done = true;
}

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> a) {
  std::optional<T> out;
  asio::co_spawn(io, into(std::move(a), &out), asio::detached);
  while (!out && io.run_one_for(std::chrono::seconds(5))) {
  }
  EXPECT_TRUE(out.has_value());
  return std::move(*out);
}
void run(asio::io_context& io, asio::awaitable<void> a) {
  bool done = false;
  asio::co_spawn(io, into_void(std::move(a), &done), asio::detached);
  while (!done && io.run_one_for(std::chrono::seconds(5))) {
  }
  EXPECT_TRUE(done);
}

double number(const tsdb::Value& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return NAN;
}

void expect_same(const std::string& device, const Values& truth, const std::vector<drivers::Reading>& readings) {
  ASSERT_FALSE(readings.empty());
  for (const auto& r : readings) {
    ASSERT_TRUE(r.value.has_value()) << device << " " << r.key << ": " << r.value.error().message;
    bool found = false;
    for (const auto& [k, v] : truth) {
      if (k != r.key) continue;
      found = true;
      if (auto* s = std::get_if<std::string>(&v)) {
        EXPECT_EQ(std::get<std::string>(*r.value), *s) << device << " " << k;
      } else {
        // Meters show secondary values (CT ratio): their primary resolution is ratio × 0.01.
        bool ct = k == "energy_kwh" || k == "current_a";
        double want = number(v), got = number(*r.value);
        double tolerance = ct ? kMeterCtRatio * 0.005 + 1e-9 : 1e-9 * std::max(1.0, std::abs(want));
        EXPECT_NEAR(got, want, tolerance) << device << " " << k;
      }
    }
    EXPECT_TRUE(found) << device << " " << r.key;
  }
}

struct SimProtocols : ::testing::Test {
  asio::io_context io{1};
  SimConfig config;
  std::shared_ptr<Factory> factory;
  void SetUp() override {
    config.seed = 42;
    config.modbus_listen = "127.0.0.1:0";
    config.dlt645_listen = "127.0.0.1:0";
    factory = std::make_shared<Factory>(config);
    for (std::int64_t t = kMondayTen - 600'000; t <= kMondayTen; t += 1000) factory->step(t);
  }
  std::unique_ptr<drivers::Driver> started(std::string_view name, drivers::DeviceSettings s,
                                           const std::vector<drivers::PointConfig>& points) {
    auto d = drivers::make_driver(name, io.get_executor());
    EXPECT_TRUE(d.has_value());
    EXPECT_TRUE((*d)->validate(s, points).has_value());
    auto st = run(io, (*d)->start(s));
    EXPECT_TRUE(st.has_value()) << st.error().message;
    return std::move(*d);
  }
};

TEST_F(SimProtocols, ModbusAndDlt645ReadExactlyTheFactorysValues) {
  auto servers = ProtocolServers::start(io.get_executor(), factory, config);
  ASSERT_TRUE(servers.has_value()) << servers.error().message;
  ASSERT_NE((*servers)->modbus_port(), 0);
  ASSERT_NE((*servers)->dlt645_port(), 0);
  int meter = 0, modbus_devices = 0;
  bool some_running = false;
  for (const auto& d : factory->devices()) {
    drivers::DeviceSettings s;
    s.name = d.name;
    auto truth = *factory->values(d.name);
    if (is_modbus(d.kind)) {  // CNC, compressor, boiler
      s.endpoint = "127.0.0.1:" + std::to_string((*servers)->modbus_port());
      s.options["unit"] = std::to_string(d.unit);
      auto points = modbus_points(d.kind);
      auto driver = started("modbus-tcp", s, points);
      expect_same(d.name, truth, run(io, driver->read(points)));
      ++modbus_devices;
      if (d.kind == DeviceKind::kCnc && std::get<std::string>(*factory->value(d.name, "state")) == "running") {
        some_running = true;
        EXPECT_GT(number(*factory->value(d.name, "spindle_speed")), 1000);
      }
      if (d.kind == DeviceKind::kCnc) {  // FC 6 on hr:10 sets the machine's setpoint
        auto st = run(io, driver->write(points[8], tsdb::Value{6500.0}));
        ASSERT_TRUE(st.has_value()) << st.error().message;
        EXPECT_EQ(number(*factory->value(d.name, "spindle_setpoint")), 6500);
      }
      run(io, driver->stop());
    } else if (d.kind == DeviceKind::kMeter) {
      s.endpoint = "127.0.0.1:" + std::to_string((*servers)->dlt645_port());
      s.options["meter_address"] = meter_address(meter++);
      auto points = dlt645_points();
      auto driver = started("dlt645", s, points);
      auto readings = run(io, driver->read(points));
      // Energy, voltage, current and frequency are exact; power is recomputed by the meter
      // from its (secondary) V·I·cos φ, so it agrees to the meter's resolution.
      for (auto& r : readings)
        if (r.key == "power_kw") {
          ASSERT_TRUE(r.value.has_value()) << r.value.error().message;
          EXPECT_NEAR(number(*r.value), number(*factory->value(d.name, "power_kw")), 0.05);
          r.value = *factory->value(d.name, "power_kw");
        } else if (r.key == "power_factor") {
          r.value = *factory->value(d.name, "power_factor");
          ASSERT_TRUE(r.value.has_value());
        }
      expect_same(d.name, truth, readings);
      EXPECT_GT(number(*factory->value(d.name, "energy_kwh")), 10000);
      run(io, driver->stop());
    }
  }
  EXPECT_EQ(modbus_devices, config.cnc + config.compressors + config.boilers);
  EXPECT_EQ(meter, config.meters);
  EXPECT_TRUE(some_running);  // a Monday at 10:00 is a working hour
  (*servers)->stop();
  io.run_for(std::chrono::milliseconds(50));
}

TEST(SimScale, ThousandsOfModbusDevicesOverSeveralListeners) {
  asio::io_context io{1};
  SimConfig config;
  config.cnc = 1200;
  config.compressors = 200;
  config.boilers = 100;
  config.modbus_listen = "127.0.0.1:0";
  config.modbus_units_per_server = 200;
  auto factory = std::make_shared<Factory>(config);
  for (std::int64_t t = kMondayTen - 60'000; t <= kMondayTen; t += 1000) factory->step(t);
  std::vector<const SimDevice*> modbus;
  for (const auto& d : factory->devices())
    if (is_modbus(d.kind)) modbus.push_back(&d);
  ASSERT_EQ(modbus.size(), 1500u);
  EXPECT_EQ(modbus[0]->unit, 1);
  EXPECT_EQ(modbus[199]->unit, 200);
  EXPECT_EQ(modbus[200]->unit, 1);
  EXPECT_EQ(modbus[200]->modbus_server, 1);
  EXPECT_EQ(modbus.back()->modbus_server, 7);
  EXPECT_EQ(modbus.back()->unit, 100);
  auto servers = ProtocolServers::start(io.get_executor(), factory, config);
  ASSERT_TRUE(servers) << servers.error().message;
  ASSERT_EQ((*servers)->modbus_ports().size(), 8u);
  // A device on every listener reads back exactly the factory's values.
  for (std::size_t i : {std::size_t{0}, std::size_t{450}, std::size_t{1250}, std::size_t{1499}}) {
    const auto& d = *modbus[i];
    drivers::DeviceSettings s;
    s.name = d.name;
    s.endpoint = "127.0.0.1:" + std::to_string((*servers)->modbus_ports()[d.modbus_server]);
    s.options["unit"] = std::to_string(d.unit);
    auto points = modbus_points(d.kind);
    auto driver = drivers::make_driver("modbus-tcp", io.get_executor());
    ASSERT_TRUE(driver);
    auto st = run(io, (*driver)->start(s));
    ASSERT_TRUE(st.has_value()) << st.error().message;
    expect_same(d.name, *factory->values(d.name), run(io, (*driver)->read(points)));
    run(io, (*driver)->stop());
  }
  (*servers)->stop();
  io.run_for(std::chrono::milliseconds(50));
}

TEST_F(SimProtocols, StackMonitorUploadsOverHj212) {
  drivers::DeviceSettings s;
  s.name = "stack-monitor-01";
  s.endpoint = "127.0.0.1:0";
  s.options["mn"] = station_mn(0);
  s.options["pw"] = kStationPw;
  auto points = hj212_points();
  auto listener = std::make_unique<drivers::hj212::Hj212Driver>(io.get_executor());
  ASSERT_TRUE(listener->validate(s, points).has_value());
  ASSERT_TRUE(run(io, listener->start(s)).has_value());
  config.modbus_listen.clear();
  config.dlt645_listen.clear();
  config.hj212_connect = "127.0.0.1:" + std::to_string(listener->port());
  auto servers = ProtocolServers::start(io.get_executor(), factory, config);
  ASSERT_TRUE(servers.has_value()) << servers.error().message;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (listener->stats().packets == 0 && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  ASSERT_GE(listener->stats().packets, 1u);
  EXPECT_EQ(listener->stats().rejected, 0u);
  expect_same(s.name, *factory->values(s.name), run(io, listener->read(points)));
  (*servers)->stop();
  run(io, listener->stop());
  io.run_for(std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace kaiwu::sim
