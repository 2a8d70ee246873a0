// The edge gateway: device pollers → forward queue (disk) → uplink (MQTT gateway API), and
// platform RPCs → the device's driver. Owns one sync thread (group fdatasync of the queue every
// 100 ms); everything else runs on the executor it is given.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/fwd.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <map>
#include <thread>
#include <vector>

#include "edge/config.hpp"
#include "edge/forward_queue.hpp"
#include "edge/poller.hpp"
#include "edge/uplink.hpp"

namespace kaiwu::edge {

struct EdgeStats {
  UplinkStats uplink;
  QueueStats queue;
  std::vector<std::pair<std::string, DeviceCounters>> devices;
  std::uint64_t records = 0;  // telemetry records appended to the queue
  std::uint64_t append_failures = 0;
  std::optional<std::int64_t> remote_version;  // the edgeConfig in effect (none: the file's devices)
  std::uint64_t remote_applied = 0;            // edgeConfig documents applied
  std::uint64_t remote_rejected = 0;           // edgeConfig documents refused (the running config stayed)
};

// Where a good edgeConfig is kept (inside the buffer directory) so a restart without the
// platform runs the last good configuration.
inline constexpr const char* kRemoteConfigFile = "edge-config.json";
inline constexpr const char* kRemoteConfigKey = "edgeConfig";
inline constexpr const char* kRemoteStatusKey = "edgeConfigStatus";

class Edge {
 public:
  // Opens the queue in config.uplink.buffer_dir, creates each device's driver with `lookup` and
  // validates its points. A saved edgeConfig (kRemoteConfigFile) replaces the file's devices.
  // Nothing runs until start().
  static Result<std::unique_ptr<Edge>> create(boost::asio::any_io_executor executor, EdgeConfig config,
                                              DriverLookup lookup);
  ~Edge();

  void start();
  // Stops pollers (their drivers drain) and the uplink; the queue keeps unsent data. Any thread.
  void stop();

  EdgeStats stats() const;
  // One line for the periodic log.
  std::string summary() const;

 private:
  Edge() = default;
  void on_readings(const std::string& device, std::vector<drivers::Reading> readings);
  void on_state(const std::string& device, bool connected);
  void on_rpc(std::string payload);
  std::vector<std::pair<std::string, std::string>> session_events();
  void sync_loop();
  void report_health();  // device counters as client attributes, every 30 s
  std::shared_ptr<DevicePoller> make_poller(const DeviceConfig& d, std::unique_ptr<drivers::Driver> driver);
  // Remote configuration (remote.cpp): the gateway's shared attribute edgeConfig.
  void load_saved_remote();
  void on_message(const std::string& topic, const std::string& payload);
  void on_remote_config(const boost::json::value& doc);
  Status apply_devices(std::vector<DeviceConfig> devices);
  void report_remote_status(const std::optional<std::int64_t>& version, bool ok, const std::string& error);

  boost::asio::any_io_executor ex_;
  EdgeConfig config_;  // devices: mutated on ex_ under mu_ (remote configuration)
  DriverLookup lookup_;
  std::unique_ptr<ForwardQueue> queue_;
  std::unique_ptr<Uplink> uplink_;
  std::vector<std::shared_ptr<DevicePoller>> pollers_;
  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;  // guarded by sync_mu_
  mutable std::mutex mu_;
  std::map<std::string, bool> connected_;  // guarded by mu_
  std::uint64_t records_ = 0;              // guarded by mu_
  std::uint64_t append_failures_ = 0;      // guarded by mu_
  std::optional<std::int64_t> remote_version_;  // guarded by mu_
  std::string remote_text_;                // the edgeConfig in effect, serialised (ex_ only)
  std::uint64_t remote_applied_ = 0;       // guarded by mu_
  std::uint64_t remote_rejected_ = 0;      // guarded by mu_
  std::uint64_t attribute_request_ = 0;    // ex_ only
  std::shared_ptr<boost::asio::steady_timer> health_timer_;
  bool started_ = false;
};

}  // namespace kaiwu::edge
