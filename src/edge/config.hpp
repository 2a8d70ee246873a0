// The edge configuration (DESIGN.md "Edge configuration"): where to send data ([uplink]) and
// which devices to read ([[device]] with [[device.point]]). Parsing is pure (no I/O but reading
// the file); errors name the file, the device and the key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/driver.hpp"

namespace kaiwu::edge {

struct UplinkConfig {
  std::string url;  // mqtt://host:port or mqtts://host:port
  std::string host;
  std::uint16_t port = 1883;
  bool tls = false;
  std::string token;  // the gateway device's access token (MQTT username)
  std::string buffer_dir = "./edge-data";
  std::uint64_t buffer_max_mb = 1024;
  std::uint32_t keepalive_s = 30;
  std::uint32_t max_inflight = 32;  // unacknowledged PUBLISHes
  std::string ca_file;              // mqtts: trust anchors (default: the system's)
  bool insecure = false;            // mqtts: skip certificate verification (test benches only)
  std::string client_id;            // default: "kaiwu-edge-" + first 8 characters of the token
  // Not in the file: a direct device (the simulator) publishes its records elsewhere.
  std::string record_topic = "v1/gateway/telemetry";
  std::string rpc_topic = "v1/gateway/rpc";  // empty: no RPC subscription
  std::vector<std::string> subscriptions;     // more topic filters (the edge: its shared attributes)
};

struct DeviceConfig {
  std::string driver;  // "modbus-tcp", … (drivers/registry.hpp)
  drivers::DeviceSettings settings;
  std::uint32_t interval_ms = 1000;
  std::string category = "other";  // running | processing | mobile | other
  bool subscribe = false;          // push delivery for drivers that can_subscribe
  std::vector<drivers::PointConfig> points;

  bool operator==(const DeviceConfig&) const = default;
};

struct EdgeConfig {
  std::string origin;  // file name (or "<text>") for messages
  UplinkConfig uplink;
  std::string log_level = "info";
  std::vector<DeviceConfig> devices;
};

// Parses TOML text. `sets` ("uplink.token=abc", "log.level=debug") override keys of the
// top-level tables before validation. kInvalidArgument messages read like
// "edge.toml: device \"cnc-01\" point \"speed\": type: unknown data type \"uint17\"".
Result<EdgeConfig> parse_edge_config(std::string_view text, std::string_view origin,
                                     const std::vector<std::string>& sets = {});
// Reads and parses a file.
Result<EdgeConfig> load_edge_config(const std::string& path, const std::vector<std::string>& sets = {});

// Remote configuration: the gateway device's shared attribute `edgeConfig` (README.md), a JSON
// document {"version": n, "devices": [ {<the keys of a [[device]] table>, "points": [ {<the keys
// of a [[device.point]] table>} ]} ]}. Pure; errors read like those of parse_edge_config with
// `origin` ("edgeConfig v3") in place of the file name.
struct RemoteConfig {
  std::optional<std::int64_t> version;
  std::vector<DeviceConfig> devices;
};
Result<RemoteConfig> parse_remote_config(std::string_view json_text, std::string_view origin = "edgeConfig");

// How the edge finds a driver by name (drivers::make_driver in production; tests and the demo
// add their own).
using DriverLookup =
    std::function<Result<std::unique_ptr<drivers::Driver>>(std::string_view, drivers::asio::any_io_executor)>;

// Checks every device's points with its driver's validate() (no I/O).
Status validate_devices(const EdgeConfig& config, const DriverLookup& lookup,
                        drivers::asio::any_io_executor executor);

// "mqtt://host:port" / "mqtts://host:port" into the uplink's host, port and tls.
Status parse_uplink_url(UplinkConfig& uplink);

}  // namespace kaiwu::edge
