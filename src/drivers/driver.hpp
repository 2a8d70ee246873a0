// The southbound driver seam (STYLE.md "Seams"): one interface for every field protocol.
// The host (edge/) owns schedules and timers; a driver starts no threads or timers of its own
// except to wait for its own responses, and never blocks its executor.
//
// Lifecycle:   constructed(executor) → start(settings) → read/write/subscribe … → stop()
// start() fails with kUnavailable when the device cannot be reached; the host retries later
// (read/write after a lost connection reconnect by themselves and report kUnavailable until
// the device answers again). Every coroutine runs on the executor given at construction.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "drivers/point.hpp"

namespace kaiwu::drivers {

namespace asio = boost::asio;

struct DriverInfo {
  std::string name;         // "modbus-tcp", as in the edge configuration's `driver =`
  std::string version;      // of the driver implementation
  std::string description;  // one line, English
  std::string settings_schema;  // JSON Schema of DeviceSettings::options, for the console
  bool can_subscribe = false;   // pushes values itself (OPC UA monitored items, HJ 212, MQTT)
};

struct DeviceSettings {
  std::string name;      // device name on the platform
  std::string endpoint;  // "host:port", "tcp://host:port", "/dev/ttyUSB0?baud=9600&parity=E"
  std::map<std::string, std::string, std::less<>> options;  // unit, security, meter_address, mn …
  std::chrono::milliseconds timeout{1000};  // per request
  int retries = 1;                          // further attempts after a timeout

  bool operator==(const DeviceSettings&) const = default;
};

// One value read from the device, already converted to engineering units.
struct Reading {
  std::string key;
  std::int64_t ts = 0;  // ms since the epoch: device time when the protocol carries it, else now
  Result<tsdb::Value> value;  // an error for this point only (exception code, bad quality…)
};

using ReadingSink = std::function<void(std::vector<Reading>)>;

struct Health {
  bool connected = false;
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;  // error responses and malformed frames
  std::uint64_t timeouts = 0;
  std::uint64_t reconnects = 0;
  std::int64_t last_success_ms = 0;
  std::string last_error;
};

class Driver {
 public:
  virtual ~Driver() = default;

  virtual const DriverInfo& info() const = 0;

  // Checks addresses, types and options without I/O; kInvalidArgument names the bad point.
  virtual Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const = 0;

  // Connects (or, for listeners, starts listening).
  virtual asio::awaitable<Status> start(DeviceSettings settings) = 0;

  // Reads a group of points, batching requests where the protocol allows. One Reading per
  // point, in order. `points` must stay alive until the coroutine completes.
  virtual asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) = 0;

  // Writes one engineering value (converted with to_raw); kPermissionDenied if not writable.
  virtual asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) = 0;

  // Push delivery for drivers with can_subscribe: `sink` is called on the driver's executor.
  virtual asio::awaitable<Status> subscribe(std::span<const PointConfig> points, ReadingSink sink) {
    (void)points;
    (void)sink;
    co_return fail(Errc::kFailedPrecondition, info().name + " does not support subscriptions");
  }

  // Finishes in-flight requests, then closes the connection. Idempotent.
  virtual asio::awaitable<void> stop() = 0;

  virtual Health health() const = 0;
};

using DriverFactory = std::function<std::unique_ptr<Driver>(asio::any_io_executor)>;

}  // namespace kaiwu::drivers
