#include "sim/protocols.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "core/ids.hpp"
#include "drivers/dlt645/meter_sim.hpp"
#include "drivers/hj212/station_sim.hpp"
#include "drivers/modbus/server.hpp"

namespace kaiwu::sim {

namespace asio = boost::asio;
using drivers::DataType;
using drivers::PointConfig;

namespace {

PointConfig point(std::string key, std::string address, DataType type, double scale, std::string unit,
                  bool writable = false) {
  PointConfig p;
  p.key = std::move(key);
  p.address = std::move(address);
  p.type = type;
  p.scale = scale;
  p.unit = std::move(unit);
  p.writable = writable;
  return p;
}

double number(const tsdb::Value& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

double signal(const Values& values, std::string_view key) {
  for (const auto& [k, v] : values)
    if (k == key) return number(v);
  return 0;
}

// HJ 212-2017 Appendix B pollutant codes of a stack monitor (CEMS) and the factory's signals.
struct Pollutant {
  const char* code;
  const char* key;
  const char* unit;
};
constexpr Pollutant kPollutants[] = {
    {"a21026", "so2_mg_m3", "mg/m³"},  {"a21002", "nox_mg_m3", "mg/m³"}, {"a34013", "dust_mg_m3", "mg/m³"},
    {"a00000", "flow_m3_h", "m³/h"},   {"a19001", "o2_pct", "%"},        {"a01012", "flue_temp_c", "°C"},
};

// "idle" / "running" / "fault" (CNC) or "off" / "purge" / "firing" / "alarm" (boiler burner) as
// ASCII in hr:12-15 (8 bytes, NUL-padded).
PointConfig state_point(std::string key = "state") {
  PointConfig p = point(std::move(key), "hr:12", DataType::kString, 1, "");
  p.length = 8;
  return p;
}

}  // namespace

std::vector<PointConfig> modbus_points(DeviceKind kind) {
  if (kind == DeviceKind::kCnc)
    return {point("spindle_speed", "hr:0", DataType::kUint16, 1, "r/min"),
            point("spindle_temp", "hr:1", DataType::kInt16, 0.1, "°C"),
            point("part_count", "hr:2", DataType::kUint32, 1, ""),
            point("state_code", "hr:4", DataType::kUint16, 1, ""),
            point("spindle_load", "hr:5", DataType::kUint16, 0.1, "%"),
            point("feed_rate", "hr:6", DataType::kUint16, 1, "mm/min"),
            point("alarm_count", "hr:7", DataType::kUint32, 1, ""),
            point("power_kw", "hr:9", DataType::kUint16, 0.01, "kW"),
            point("spindle_setpoint", "hr:10", DataType::kUint16, 1, "r/min", true),
            state_point(),
            point("reject_count", "hr:16", DataType::kUint32, 1, ""),
            point("downtime_reason", "hr:18", DataType::kUint16, 1, ""),
            point("bore_diameter_mm", "hr:19", DataType::kUint16, 0.001, "mm")};
  if (kind == DeviceKind::kCompressor)
    return {point("running", "hr:0.0", DataType::kBool, 1, ""),
            point("loaded", "hr:0.1", DataType::kBool, 1, ""),
            point("pressure_mpa", "hr:2", DataType::kUint16, 0.001, "MPa"),
            point("vibration_mm_s", "hr:3", DataType::kUint16, 0.01, "mm/s"),
            point("motor_current_a", "hr:4", DataType::kUint16, 0.1, "A"),
            point("discharge_temp_c", "hr:5", DataType::kInt16, 0.1, "°C"),
            point("power_kw", "hr:6", DataType::kUint16, 0.01, "kW"),
            point("run_hours", "hr:7", DataType::kUint32, 0.01, "h"),
            point("bearing_temp_c", "hr:9", DataType::kInt16, 0.1, "°C"),
            point("vib_wave_mm_s", "hr:10", DataType::kInt16, 0.01, "mm/s"),
            point("maintenance_count", "hr:11", DataType::kUint32, 1, ""),
            point("maintenance", "hr:13", DataType::kUint16, 1, "", true)};
  if (kind == DeviceKind::kBoiler)
    return {point("burner_state_code", "hr:0", DataType::kUint16, 1, ""),
            point("steam_pressure_mpa", "hr:1", DataType::kUint16, 0.001, "MPa"),
            point("drum_level_mm", "hr:2", DataType::kInt16, 0.1, "mm"),
            point("flue_gas_temp_c", "hr:3", DataType::kInt16, 0.1, "°C"),
            point("gas_flow_m3_h", "hr:4", DataType::kUint16, 0.1, "m³/h"),
            point("steam_flow_t_h", "hr:5", DataType::kUint16, 0.001, "t/h"),
            point("efficiency_pct", "hr:6", DataType::kUint16, 0.01, "%"),
            point("gas_total_m3", "hr:7", DataType::kUint32, 0.1, "m³"),
            point("firing_rate_pct", "hr:9", DataType::kUint16, 0.1, "%"),
            state_point("burner_state"),
            point("steam_total_t", "hr:16", DataType::kUint32, 0.001, "t"),
            point("water_total_m3", "hr:18", DataType::kUint32, 0.01, "m³")};
  return {};
}

std::vector<PointConfig> dlt645_points() {
  // DL/T 645-2007 Appendix A identifiers; the driver applies the identifier's decimals, the
  // edge the current transformer ratio (the meter measures the secondary side).
  return {point("energy_kwh", "00-01-00-00", DataType::kFloat64, kMeterCtRatio, "kWh"),
          point("power_kw", "02-03-00-00", DataType::kFloat64, kMeterCtRatio, "kW"),
          point("voltage_v", "02-01-01-00", DataType::kFloat64, 1, "V"),
          point("current_a", "02-02-01-00", DataType::kFloat64, kMeterCtRatio, "A"),
          point("power_factor", "02-06-00-00", DataType::kFloat64, 1, ""),
          point("frequency_hz", "02-80-00-02", DataType::kFloat64, 1, "Hz")};
}

std::vector<PointConfig> hj212_points() {
  std::vector<PointConfig> out;
  for (const auto& p : kPollutants) out.push_back(point(p.key, std::string(p.code) + "-Rtd", DataType::kFloat64, 1, p.unit));
  return out;
}

std::string_view protocol_of(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kCnc:
    case DeviceKind::kCompressor:
    case DeviceKind::kBoiler: return "modbus-tcp";
    case DeviceKind::kMeter: return "dlt645";
    case DeviceKind::kStation: return "hj212";
    default: return "mqtt";
  }
}

std::string meter_address(int index) { return fmt::format("{:012d}", index + 1); }
std::string station_mn(int index) { return fmt::format("KAIWUSIM{:016d}", index + 1); }

struct ProtocolServers::State {
  std::shared_ptr<Factory> factory;
  asio::any_io_executor ex;
  // Modbus
  std::vector<std::unique_ptr<drivers::modbus::ModbusServer>> modbus;  // by SimDevice::modbus_server
  std::vector<std::uint16_t> modbus_ports;
  struct Unit {
    std::string device;
    std::size_t index = 0;  // into factory->devices()
    std::uint16_t server = 0;
    std::uint8_t unit = 1;
    std::shared_ptr<drivers::modbus::RegisterMap> map;
    std::vector<PointConfig> points;
  };
  std::vector<Unit> units;
  // DL/T 645
  drivers::dlt645::MeterSim meters{4};
  std::vector<std::pair<std::string, drivers::dlt645::Address>> meter_devices;
  std::unique_ptr<asio::ip::tcp::acceptor> meter_acceptor;
  std::uint16_t dlt645_port = 0;
  // HJ 212
  std::vector<std::shared_ptr<drivers::hj212::StationSim>> stations;
  std::once_flag stopped;
};

namespace {

asio::awaitable<void> serve_meters(std::shared_ptr<ProtocolServers::State> s) {
  co_await s->meters.serve(*s->meter_acceptor);
}

asio::awaitable<void> run_station(std::shared_ptr<ProtocolServers::State> s,
                                  std::shared_ptr<drivers::hj212::StationSim> station, std::string endpoint,
                                  std::string device, std::uint32_t tick_ms) {
  drivers::hj212::StationSchedule schedule;
  schedule.realtime_interval = std::chrono::milliseconds(std::max<std::uint32_t>(tick_ms, 2000));
  schedule.retry_delay = std::chrono::milliseconds(1000);
  // Named locals, not temporaries in the co_await expression (g++ 12 destroys those twice).
  drivers::hj212::Sampler sampler = [factory = s->factory, device](std::int64_t) {
    std::vector<drivers::hj212::RealtimeValue> out;
    auto values = factory->values(device);
    if (!values) return out;
    for (const auto& p : kPollutants) out.push_back({p.code, signal(*values, p.key), "N"});
    return out;
  };
  co_await station->run(endpoint, schedule, sampler);
}

Result<std::uint16_t> listen_meters(ProtocolServers::State& s, std::string_view host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return fail(Errc::kInvalidArgument, "dlt645.listen: expected host:port");
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(host_port.substr(0, colon)), ec);
  if (ec) return fail(Errc::kInvalidArgument, "dlt645.listen: bad address " + std::string(host_port));
  int port = std::atoi(std::string(host_port.substr(colon + 1)).c_str());
  if (port < 0 || port > 65535) return fail(Errc::kInvalidArgument, "dlt645.listen: bad port");
  s.meter_acceptor = std::make_unique<asio::ip::tcp::acceptor>(s.ex);
  asio::ip::tcp::endpoint ep(address, static_cast<std::uint16_t>(port));
  s.meter_acceptor->open(ep.protocol(), ec);
  if (!ec) s.meter_acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.meter_acceptor->bind(ep, ec);
  if (!ec) s.meter_acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::kUnavailable, "dlt645.listen " + std::string(host_port) + ": " + ec.message());
  return s.meter_acceptor->local_endpoint().port();
}

}  // namespace

Result<std::unique_ptr<ProtocolServers>> ProtocolServers::start(asio::any_io_executor executor,
                                                                std::shared_ptr<Factory> factory,
                                                                const SimConfig& config) {
  auto s = std::make_shared<State>();
  s->factory = factory;
  s->ex = executor;
  int meter_index = 0, station_index = 0;
  std::size_t device_index = 0;
  for (const auto& d : factory->devices()) {
    std::size_t index = device_index++;
    if (is_modbus(d.kind)) {
      if (config.modbus_listen.empty()) continue;
      State::Unit u{d.name, index, d.modbus_server, d.unit, std::make_shared<drivers::modbus::RegisterMap>(
                                drivers::modbus::RegisterMap::Sizes{16, 16, 16, 64}),
                    modbus_points(d.kind)};
      // The setpoint written by a client (FC 6/16) goes to the machine.
      std::weak_ptr<State> weak = s;
      u.map->set_write_observer([weak, name = d.name, map = std::weak_ptr(u.map), pts = u.points](
                                    drivers::modbus::Table, std::uint16_t, std::uint16_t) {
        auto st = weak.lock();
        auto m = map.lock();
        if (!st || !m) return;
        for (const auto& p : pts)
          if (p.writable)
            if (auto v = m->point_value(p)) (void)st->factory->write(name, p.key, *v);
      });
      s->units.push_back(std::move(u));
    } else if (d.kind == DeviceKind::kMeter) {
      auto a = drivers::dlt645::parse_address(meter_address(meter_index++));
      if (!a) return std::unexpected(a.error());
      if (config.dlt645_listen.empty()) continue;
      s->meters.add_meter(*a);
      s->meter_devices.emplace_back(d.name, *a);
    } else if (d.kind == DeviceKind::kStation) {
      int i = station_index++;
      if (config.hj212_connect.empty()) continue;
      drivers::hj212::StationConfig sc;
      sc.mn = station_mn(i);
      sc.pw = kStationPw;
      s->stations.push_back(std::make_shared<drivers::hj212::StationSim>(executor, sc));
    }
  }
  std::unique_ptr<ProtocolServers> out(new ProtocolServers());
  out->state_ = s;
  out->update();
  if (!s->units.empty()) {
    // Listener k serves units_per_server devices on the configured port + k (port 0: free ones).
    auto colon = config.modbus_listen.rfind(':');
    if (colon == std::string::npos) return fail(Errc::kInvalidArgument, "modbus.listen: expected host:port");
    std::string host = config.modbus_listen.substr(0, colon);
    int base = std::atoi(config.modbus_listen.c_str() + colon + 1);
    std::size_t servers = s->units.back().server + 1u;
    if (base < 0 || base + static_cast<int>(servers) - 1 > 65535)
      return fail(Errc::kInvalidArgument, "modbus.listen: bad port " + config.modbus_listen);
    std::vector<std::size_t> counts(servers, 0);
    for (std::size_t k = 0; k < servers; ++k)
      s->modbus.push_back(std::make_unique<drivers::modbus::ModbusServer>(executor, drivers::modbus::ModbusServer::Options{}));
    for (const auto& u : s->units) {
      s->modbus[u.server]->add_unit(u.unit, u.map);
      ++counts[u.server];
    }
    for (std::size_t k = 0; k < servers; ++k) {
      std::string where = host + ":" + std::to_string(base == 0 ? 0 : base + static_cast<int>(k));
      auto port = s->modbus[k]->listen(where);
      if (!port) return fail(port.error().code, "modbus.listen " + where + ": " + port.error().message);
      s->modbus_ports.push_back(*port);
      spdlog::info("sim: Modbus TCP on port {} of {} ({} units)", *port, where, counts[k]);
    }
  }
  if (!s->meter_devices.empty()) {
    s->dlt645_port = KAIWU_TRY(listen_meters(*s, config.dlt645_listen));
    asio::co_spawn(executor, serve_meters(s), asio::detached);
    spdlog::info("sim: DL/T 645 meters on port {} of {} ({} meters)", s->dlt645_port, config.dlt645_listen,
                 s->meter_devices.size());
  }
  station_index = 0;
  for (const auto& d : factory->devices()) {
    if (d.kind != DeviceKind::kStation || s->stations.empty()) continue;
    auto& station = s->stations[static_cast<std::size_t>(station_index++)];
    asio::co_spawn(executor, run_station(s, station, config.hj212_connect, d.name, config.tick_ms), asio::detached);
    spdlog::info("sim: HJ 212 station {} (MN {}) uploads to {}", d.name, station_mn(station_index - 1),
                 config.hj212_connect);
  }
  return out;
}

ProtocolServers::~ProtocolServers() { stop(); }

void ProtocolServers::update() {
  auto& s = *state_;
  for (auto& u : s.units) {
    auto values = s.factory->values_at(u.index);
    for (const auto& p : u.points)
      for (const auto& [k, v] : values)
        if (k == p.key) {
          if (auto st = u.map->set_point(p, v); !st)
            spdlog::debug("sim: {} {}: {}", u.device, p.key, st.error().message);
        }
  }
  for (const auto& [device, address] : s.meter_devices) {
    auto values = s.factory->values(device);
    if (!values) continue;
    drivers::dlt645::ThreePhase t;
    double v = signal(*values, "voltage_v"), i = signal(*values, "current_a") / kMeterCtRatio;
    t.voltage = {v, v, v};
    t.current = {i, i, i};
    t.power_factor = signal(*values, "power_factor");
    t.frequency = signal(*values, "frequency_hz");
    t.forward_energy = signal(*values, "energy_kwh") / kMeterCtRatio;
    t.clock_ms = now_ms();
    s.meters.set_three_phase(address, t);
  }
}

void ProtocolServers::stop() {
  auto s = state_;
  std::call_once(s->stopped, [s] {
    asio::post(s->ex, [s] {
      for (auto& m : s->modbus) m->stop();
      s->meters.stop();
      if (s->meter_acceptor) {
        boost::system::error_code ec;
        s->meter_acceptor->close(ec);
      }
      for (auto& st : s->stations) st->stop();
    });
  });
}

std::uint16_t ProtocolServers::modbus_port() const {
  return state_->modbus_ports.empty() ? 0 : state_->modbus_ports.front();
}
const std::vector<std::uint16_t>& ProtocolServers::modbus_ports() const { return state_->modbus_ports; }
std::uint16_t ProtocolServers::dlt645_port() const { return state_->dlt645_port; }

}  // namespace kaiwu::sim
