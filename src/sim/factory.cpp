#include "sim/factory.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>

#include <fstream>
#include <sstream>

namespace kaiwu::sim {
namespace {

std::string numbered(std::string_view prefix, int i) { return fmt::format("{}-{:02}", prefix, i + 1); }

std::unexpected<Error> bad(std::string_view origin, std::string_view key, std::string_view why) {
  return fail(Errc::kInvalidArgument, fmt::format("{}: {}: {}", origin, key, why));
}

Status read_int(const toml::table& t, std::string_view origin, std::string_view prefix, std::string_view key,
                int& out, int lo, int hi) {
  const auto* n = t.get(key);
  if (!n) return ok();
  auto v = n->value<std::int64_t>();
  if (!n->is_integer() || *v < lo || *v > hi)
    return bad(origin, fmt::format("{}{}", prefix, key), fmt::format("must be an integer in {}..{}", lo, hi));
  out = static_cast<int>(*v);
  return ok();
}

}  // namespace

Result<SimConfig> parse_sim_config(std::string_view text, std::string_view origin) {
  SimConfig c;
  c.origin = std::string(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return fail(Errc::kInvalidArgument, fmt::format("{}:{}:{}: {}", origin, e.source().begin.line,
                                                    e.source().begin.column, std::string(e.description())));
  }
  for (const auto& [k, v] : root) {
    std::string_view key = k.str();
    if (key == "seed") {
      if (!v.is_integer()) return bad(origin, key, "must be an integer");
      c.seed = static_cast<std::uint64_t>(*v.value<std::int64_t>());
    } else if (key == "tick_ms") {
      int tick = 0;
      KAIWU_TRY_STATUS(read_int(root, origin, "", key, tick, 10, 3'600'000));
      c.tick_ms = static_cast<std::uint32_t>(tick);
    } else if (key == "utc_offset_h") {
      KAIWU_TRY_STATUS(read_int(root, origin, "", key, c.shifts.utc_offset_h, -12, 14));
    } else if (key == "shifts") {
      auto s = v.value<std::string>();
      if (!s || (*s != "always" && *s != "default")) return bad(origin, key, "must be \"default\" or \"always\"");
      c.always_on = *s == "always";
    } else if (key == "data_dir") {
      if (!v.is_string()) return bad(origin, key, "must be a string");
      c.data_dir = *v.value<std::string>();
    } else if (key == "devices" && v.is_table()) {
      const auto& t = *v.as_table();
      for (const auto& [dk, dv] : t) {
        std::string_view name = dk.str();
        int* field = name == "cnc" ? &c.cnc : name == "compressors" ? &c.compressors : name == "boilers" ? &c.boilers
                   : name == "meters" ? &c.meters
                   : name == "stations" ? &c.stations : name == "sensors" ? &c.sensors : name == "agvs" ? &c.agvs : nullptr;
        if (!field) return bad(origin, fmt::format("devices.{}", name), "unknown key (cnc, compressors, boilers, meters, stations, sensors, agvs)");
        KAIWU_TRY_STATUS(read_int(t, origin, "devices.", name, *field, 0, 20000));
      }
    } else if (key == "mqtt" && v.is_table()) {
      const auto& t = *v.as_table();
      for (const auto& [mk, mv] : t) {
        if (mk.str() == "url" && mv.is_string()) {
          c.mqtt_url = *mv.value<std::string>();
        } else if (mk.str() == "tokens" && mv.is_table()) {
          for (const auto& [dev, tok] : *mv.as_table()) {
            if (!tok.is_string()) return bad(origin, fmt::format("mqtt.tokens.{}", dev.str()), "must be a string");
            c.mqtt_tokens[std::string(dev.str())] = *tok.value<std::string>();
          }
        } else {
          return bad(origin, fmt::format("mqtt.{}", mk.str()), "unknown key or wrong type (url, [mqtt.tokens])");
        }
      }
    } else if ((key == "modbus" || key == "dlt645" || key == "hj212") && v.is_table()) {
      std::string_view want = key == "hj212" ? "connect" : "listen";
      std::string& field = key == "modbus" ? c.modbus_listen : key == "dlt645" ? c.dlt645_listen : c.hj212_connect;
      for (const auto& [mk, mv] : *v.as_table()) {
        if (key == "modbus" && mk.str() == "units_per_server") {
          KAIWU_TRY_STATUS(read_int(*v.as_table(), origin, "modbus.", "units_per_server", c.modbus_units_per_server, 1, 247));
          continue;
        }
        if (mk.str() != want || !mv.is_string())
          return bad(origin, fmt::format("{}.{}", key, mk.str()), fmt::format("unknown key ({}, a \"host:port\" string)", want));
        field = *mv.value<std::string>();
      }
    } else {
      return bad(origin, key, "unknown key");
    }
  }
  if (c.always_on) {
    c.shifts.shifts = {{0, 24 * 60}};
    c.shifts.every_day = true;
  }
  return c;
}

Result<SimConfig> load_sim_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kInvalidArgument, path + ": cannot read the simulator configuration");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_sim_config(ss.str(), path);
}

Factory::Factory(const SimConfig& c) {
  ShiftPattern shifts = c.shifts;
  int workshops = std::max(1, c.meters);
  std::uint64_t seed = c.seed * 1'000'003;
  int modbus = 0;  // Modbus devices so far: listener modbus / per, unit modbus % per + 1
  const int per = std::clamp(c.modbus_units_per_server, 1, 247);
  auto add = [&](std::string name, DeviceKind kind, std::string category, int workshop, std::size_t index) {
    SimDevice d{std::move(name), kind, std::move(category), workshop};
    if (is_modbus(kind)) {
      d.unit = static_cast<std::uint8_t>(modbus % per + 1);
      d.modbus_server = static_cast<std::uint16_t>(modbus / per);
      ++modbus;
    }
    devices_.push_back(d);
    slots_.push_back({d, index});
  };
  for (int i = 0; i < c.cnc; ++i) {
    cnc_.emplace_back(seed + 100 + i, shifts, 40 + 5 * (i % 4));
    add(numbered("cnc", i), DeviceKind::kCnc, "processing", i % workshops, i);
  }
  for (int i = 0; i < c.compressors; ++i) {
    compressors_.emplace_back(seed + 200 + i, shifts);
    add(numbered("compressor", i), DeviceKind::kCompressor, "running", i % workshops, i);
  }
  for (int i = 0; i < c.boilers; ++i) {
    boilers_.emplace_back(seed + 700 + i, shifts);
    add(numbered("boiler", i), DeviceKind::kBoiler, "running", i % workshops, i);
  }
  for (int i = 0; i < c.meters; ++i) {
    meters_.emplace_back(seed + 300 + i, 12'000 + 1'500 * i);
    add(numbered("meter", i), DeviceKind::kMeter, "running", i, i);
  }
  for (int i = 0; i < c.stations; ++i) {
    stations_.emplace_back(seed + 400 + i, shifts);
    add(numbered("stack-monitor", i), DeviceKind::kStation, "running", 0, i);
  }
  for (int i = 0; i < c.sensors; ++i) {
    sensors_.emplace_back(seed + 500 + i);
    add(numbered("th-sensor", i), DeviceKind::kSensor, "other", i % workshops, i);
  }
  for (int i = 0; i < c.agvs; ++i) {
    agvs_.emplace_back(seed + 600 + i, shifts);
    add(numbered("agv", i), DeviceKind::kAgv, "mobile", i % workshops, i);
  }
}

void Factory::step(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<double> load(meters_.size(), 3.0);  // lighting and auxiliaries per workshop
  for (const auto& s : slots_) {
    double kw = 0;
    if (s.device.kind == DeviceKind::kCnc) {
      cnc_[s.index].step(now_ms);
      kw = cnc_[s.index].power_kw();
    } else if (s.device.kind == DeviceKind::kCompressor) {
      compressors_[s.index].step(now_ms);
      kw = compressors_[s.index].power_kw();
    } else if (s.device.kind == DeviceKind::kBoiler) {
      boilers_[s.index].step(now_ms);
      kw = boilers_[s.index].power_kw();
    } else if (s.device.kind == DeviceKind::kStation) {
      stations_[s.index].step(now_ms);
    } else if (s.device.kind == DeviceKind::kSensor) {
      sensors_[s.index].step(now_ms);
    } else if (s.device.kind == DeviceKind::kAgv) {
      agvs_[s.index].step(now_ms);
    }
    if (!load.empty() && (s.device.kind == DeviceKind::kCnc || s.device.kind == DeviceKind::kCompressor ||
                          s.device.kind == DeviceKind::kBoiler))
      load[static_cast<std::size_t>(s.device.workshop) % load.size()] += kw;
  }
  for (std::size_t i = 0; i < meters_.size(); ++i) meters_[i].step(now_ms, load[i]);
}

const Factory::Slot* Factory::find(std::string_view device) const {
  for (const auto& s : slots_)
    if (s.device.name == device) return &s;
  return nullptr;
}

Values Factory::values_locked(const Slot& s) const {
  switch (s.device.kind) {
    case DeviceKind::kCnc: return cnc_[s.index].values();
    case DeviceKind::kCompressor: return compressors_[s.index].values();
    case DeviceKind::kMeter: return meters_[s.index].values();
    case DeviceKind::kStation: return stations_[s.index].values();
    case DeviceKind::kSensor: return sensors_[s.index].values();
    case DeviceKind::kAgv: return agvs_[s.index].values();
    case DeviceKind::kBoiler: return boilers_[s.index].values();
  }
  return {};
}

Result<Values> Factory::values(std::string_view device) const {
  const auto* s = find(device);
  if (!s) return fail(Errc::kNotFound, fmt::format("no simulated device \"{}\"", device));
  std::lock_guard lock(mu_);
  return values_locked(*s);
}

Values Factory::values_at(std::size_t index) const {
  std::lock_guard lock(mu_);
  return index < slots_.size() ? values_locked(slots_[index]) : Values{};
}

Result<tsdb::Value> Factory::value(std::string_view device, std::string_view key) const {
  auto all = KAIWU_TRY(values(device));
  for (auto& [k, v] : all)
    if (k == key) return std::move(v);
  return fail(Errc::kNotFound, fmt::format("simulated device \"{}\" has no signal \"{}\"", device, key));
}

Status Factory::write(std::string_view device, std::string_view key, const tsdb::Value& value) {
  const auto* s = find(device);
  if (!s) return fail(Errc::kNotFound, fmt::format("no simulated device \"{}\"", device));
  if (s->device.kind == DeviceKind::kCompressor && key == "maintenance") {
    // Writing 1 performs a maintenance (bearing replaced); 0 is the idle value the map holds.
    const auto* i = std::get_if<std::int64_t>(&value);
    const auto* d = std::get_if<double>(&value);
    double v = i ? static_cast<double>(*i) : d ? *d : -1;
    if (v != 0 && v != 1) return fail(Errc::kInvalidArgument, "maintenance: write 1 to perform a maintenance");
    std::lock_guard lock(mu_);
    if (v == 1) compressors_[s->index].maintain();
    return ok();
  }
  if (s->device.kind != DeviceKind::kCnc || key != "spindle_setpoint")
    return fail(Errc::kPermissionDenied, fmt::format("{}.{} is read-only", device, key));
  double rpm = std::holds_alternative<double>(value) ? std::get<double>(value)
             : std::holds_alternative<std::int64_t>(value) ? static_cast<double>(std::get<std::int64_t>(value)) : -1;
  if (rpm < 0 || rpm > 24'000) return fail(Errc::kInvalidArgument, "spindle_setpoint must be 0..24000 r/min");
  std::lock_guard lock(mu_);
  cnc_[s->index].set_speed_setpoint(rpm);
  return ok();
}

}  // namespace kaiwu::sim
