// PlatformActions: the Actions the running server uses. Telemetry goes to the TelemetryStore,
// attributes come from the MetadataStore (in the message's tenant only), webhooks go out over
// plain HTTP/1.1 with retries (webhook.hpp); MQTT, RPC and alarms go through the functions cli/
// supplies (the broker, the device gateway, the alarm service), so rules/ names none of them.
// A function left empty makes that action fail with kUnavailable.
//
// Every method blocks (disk, network): call from the rule engine's workers only. Thread-safe.
#pragma once

#include <atomic>
#include <functional>

#include "meta/store.hpp"
#include "rules/actions.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::rules {

struct PlatformHooks {
  // Publishes into the tenant's MQTT topic space (v1/devices/<id>/… reaches that device's
  // v1/devices/me/…).
  std::function<Status(const MqttPublishRequest&)> publish;
  // Two-way RPC: the device's response or kUnavailable/kTimeout.
  std::function<Result<std::string>(const RpcRequest&)> call_rpc;
  std::function<Status(const AlarmRequest&)> raise_alarm;
  std::function<Status(const AlarmRequest&)> clear_alarm;
};

class PlatformActions final : public Actions {
 public:
  PlatformActions(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, PlatformHooks hooks);

  Status write_telemetry(const std::string& tenant, const std::string& device, std::int64_t ts,
                         const std::map<std::string, Value>& values) override;
  Status raise_alarm(const AlarmRequest& a) override;
  Status clear_alarm(const AlarmRequest& a) override;
  // One-way: publishes {"method","params"} on v1/devices/<id>/rpc/request/<n> (QoS 1).
  Result<std::string> send_rpc(const RpcRequest& r) override;
  Status publish_mqtt(const MqttPublishRequest& p) override;
  Status post_webhook(const WebhookRequest& w) override;
  void log(LogLevel level, const std::string& text) override;
  Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string& tenant, const std::string& device, const std::string& scope,
      const std::vector<std::string>& keys) override;

 private:
  meta::MetadataStore& store_;
  tsdb::TelemetryStore& telemetry_;
  PlatformHooks hooks_;
  std::atomic<std::uint64_t> next_rpc_{1};
};

// Attribute reads from the metadata store, scoped to the tenant (for the dry-run).
AttributeReader store_attribute_reader(meta::MetadataStore& store);

}  // namespace kaiwu::rules
