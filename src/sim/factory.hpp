// The virtual factory: a set of simulated machines, meters, a stack monitor and sensors with
// their signal models, advanced together by step(now_ms). Thread-safe (one mutex), so protocol
// servers and in-process drivers may read it while a timer steps it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sim/signals.hpp"

namespace kaiwu::sim {

struct SimConfig {
  std::string origin = "<defaults>";
  std::uint64_t seed = 42;
  std::uint32_t tick_ms = 1000;
  bool always_on = false;  // shifts cover the whole day (demos at night)
  ShiftPattern shifts;
  int cnc = 3, compressors = 1, boilers = 1, meters = 2, stations = 1, sensors = 2, agvs = 1;
  std::string mqtt_url;                           // plain MQTT devices publish here
  std::map<std::string, std::string> mqtt_tokens; // device name → access token
  std::string modbus_listen;                      // "127.0.0.1:5020" (Modbus TCP, one unit per device)
  int modbus_units_per_server = 247;              // more devices: further listeners on port + 1, + 2 …
  std::string dlt645_listen;                      // "127.0.0.1:5021" (DL/T 645 meter bus over TCP)
  std::string hj212_connect;                      // "127.0.0.1:5022" (HJ 212 listener the stations upload to)
  std::string data_dir = "./sim-data";            // MQTT devices' forward queues
};

// Parses sim.toml; errors name the file and key.
Result<SimConfig> parse_sim_config(std::string_view text, std::string_view origin);
Result<SimConfig> load_sim_config(const std::string& path);

enum class DeviceKind : std::uint8_t { kCnc, kCompressor, kMeter, kStation, kSensor, kAgv, kBoiler };

struct SimDevice {
  std::string name;       // "cnc-01"
  DeviceKind kind;
  std::string category;   // MIIT category: processing / running / other
  int workshop = 0;       // the meter of this workshop measures the device's power
  std::uint8_t unit = 0;  // Modbus unit id when served over Modbus (1..units_per_server), else 0
  std::uint16_t modbus_server = 0;  // which Modbus listener (0: listen's port, k: port + k)
};

inline bool is_modbus(DeviceKind kind) {
  return kind == DeviceKind::kCnc || kind == DeviceKind::kCompressor || kind == DeviceKind::kBoiler;
}

class Factory {
 public:
  explicit Factory(const SimConfig& config);
  void step(std::int64_t now_ms);
  const std::vector<SimDevice>& devices() const { return devices_; }
  // kNotFound names the device or key.
  Result<Values> values(std::string_view device) const;
  Values values_at(std::size_t index) const;  // devices()[index]
  Result<tsdb::Value> value(std::string_view device, std::string_view key) const;
  // Only the CNC spindle_setpoint and a compressor's maintenance (1 = do it) are writable;
  // kPermissionDenied otherwise.
  Status write(std::string_view device, std::string_view key, const tsdb::Value& value);

 private:
  struct Slot {
    SimDevice device;
    std::size_t index;  // into the vector of its kind
  };
  const Slot* find(std::string_view device) const;
  Values values_locked(const Slot& s) const;

  mutable std::mutex mu_;
  std::vector<SimDevice> devices_;
  std::vector<Slot> slots_;
  std::vector<CncModel> cnc_;              // guarded by mu_
  std::vector<CompressorModel> compressors_;  // guarded by mu_
  std::vector<BoilerModel> boilers_;        // guarded by mu_
  std::vector<MeterModel> meters_;          // guarded by mu_
  std::vector<StationModel> stations_;      // guarded by mu_
  std::vector<EnvSensorModel> sensors_;     // guarded by mu_
  std::vector<AgvModel> agvs_;              // guarded by mu_
};

}  // namespace kaiwu::sim
