// Daily-active devices (MIIT indicator 1.1): where telemetry is accepted (MQTT ingest, the HTTP
// device API, line-protocol writes) the accepting code calls seen(); the first time a device is
// seen in a UTC day one kDeviceActive record (subject_id = device id) goes to the Meter. The
// figure is the number of distinct subjects of that kind per day, so a duplicate record (after a
// restart, or when the dedupe set is full) never inflates it; the set only saves writes.
//
// Bounded: at most max_devices ids are remembered per day (beyond that every acceptance is
// recorded, still counted once by the distinct query). The set is emptied when the day changes.
// Thread-safe: any thread may call seen(); enterprise_of runs only for a first sighting, outside
// the lock (it may read the metadata store; never call seen() on an io_context thread with a
// blocking enterprise_of).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>

#include "metering/meter.hpp"

namespace kaiwu::metering {

class DeviceActivity {
 public:
  explicit DeviceActivity(Meter& meter, std::size_t max_devices = 1'000'000)
      : meter_(meter), max_devices_(max_devices) {}

  // Records kDeviceActive for device_id unless it was already recorded on now_ms's UTC day.
  // Returns true when it recorded. enterprise_of: the device's enterprise (may return "").
  bool seen(const std::string& tenant_id, const std::string& device_id, std::int64_t now_ms,
            const std::function<std::string()>& enterprise_of);

 private:
  Meter& meter_;
  const std::size_t max_devices_;
  std::mutex mu_;
  std::int64_t day_ = -1;                 // guarded by mu_: UTC day number of seen_
  std::unordered_set<std::string> seen_;  // guarded by mu_
};

}  // namespace kaiwu::metering
