// Actions: every side effect a rule chain can have, and the one read it needs (device
// attributes), behind a narrow interface. cli/ wires the platform implementation
// (platform_actions.hpp) to the stores, the broker and the alarm service; tests and the dry-run
// use RecordingActions, which executes nothing.
//
// Called from the engine's worker threads (never an io_context thread); implementations may
// block (disk, RPC round trip, webhook retries) and must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

struct AlarmRequest {
  std::string tenant_id;
  std::string device_id;
  std::string type;
  std::string severity;      // critical | major | minor | warning
  std::string details_json;  // a JSON object
  std::string origin;        // "rule:<chain id>"
  std::int64_t ts = 0;
};

struct RpcRequest {
  std::string tenant_id;
  std::string device_id;
  std::string method;
  std::string params_json;  // any JSON value
  bool oneway = true;       // publish and do not wait for the response
  std::chrono::milliseconds timeout{5000};
};

struct MqttPublishRequest {
  std::string tenant_id;
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

struct WebhookRequest {
  std::string url;     // http://host[:port]/path
  std::string method;  // POST | PUT
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // JSON
  int retries = 3;     // attempts after the first
  std::chrono::milliseconds backoff{500};   // doubled after each failed attempt
  std::chrono::milliseconds timeout{5000};  // per attempt
};

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

class Actions {
 public:
  virtual ~Actions() = default;

  // Writes derived telemetry of one device at ts.
  virtual Status write_telemetry(const std::string& tenant, const std::string& device,
                                 std::int64_t ts, const std::map<std::string, Value>& values) = 0;
  virtual Status raise_alarm(const AlarmRequest& a) = 0;
  // Clears the uncleared alarm of that type on the device; ok when there is none.
  virtual Status clear_alarm(const AlarmRequest& a) = 0;
  // The device's response (two-way) or "" (one-way).
  virtual Result<std::string> send_rpc(const RpcRequest& r) = 0;
  virtual Status publish_mqtt(const MqttPublishRequest& p) = 0;
  virtual Status post_webhook(const WebhookRequest& w) = 0;
  virtual void log(LogLevel level, const std::string& text) = 0;

  // Reads: attributes of one attribute scope ("client", "shared", "server") as key → JSON text
  // (all keys when keys is empty). kNotFound when the device is not in the tenant.
  virtual Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string& tenant, const std::string& device, const std::string& scope,
      const std::vector<std::string>& keys) = 0;
};

// One recorded side effect: kind ("write_telemetry", "raise_alarm", …) and its arguments as a
// JSON object text.
struct RecordedAction {
  std::string kind;
  std::string detail_json;
};

// Reads one attribute scope of a device, as Actions::get_attributes.
using AttributeReader = std::function<Result<std::vector<std::pair<std::string, std::string>>>(
    const std::string& tenant, const std::string& device, const std::string& scope,
    const std::vector<std::string>& keys)>;

// Records every side effect and executes none. Attribute reads go to `reads` when given (the
// dry-run reads real attributes), else return none. Thread-safe.
class RecordingActions final : public Actions {
 public:
  explicit RecordingActions(AttributeReader reads = {}) : reads_(std::move(reads)) {}

  Status write_telemetry(const std::string& tenant, const std::string& device, std::int64_t ts,
                         const std::map<std::string, Value>& values) override;
  Status raise_alarm(const AlarmRequest& a) override;
  Status clear_alarm(const AlarmRequest& a) override;
  Result<std::string> send_rpc(const RpcRequest& r) override;
  Status publish_mqtt(const MqttPublishRequest& p) override;
  Status post_webhook(const WebhookRequest& w) override;
  void log(LogLevel level, const std::string& text) override;
  Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string& tenant, const std::string& device, const std::string& scope,
      const std::vector<std::string>& keys) override;

  std::vector<RecordedAction> take();
  std::vector<RecordedAction> snapshot() const;
  // Makes the next calls of `kind` fail with err (for tests of Failure relations).
  void fail_next(std::string kind, Error err);

 private:
  Status record(std::string kind, std::string detail);

  AttributeReader reads_;
  mutable std::mutex mu_;
  std::vector<RecordedAction> recorded_;  // guarded by mu_
  std::map<std::string, Error> failing_;  // guarded by mu_
};

std::string_view log_level_name(LogLevel l);

}  // namespace kaiwu::rules
