// The device API on top of the MQTT broker (ThingsBoard-compatible topics):
//   username = device access token → the device; users log in with username/password and act
//   in their tenant's topic space.
//   v1/devices/me/telemetry   → durable in the telemetry store before PUBACK
//   v1/devices/me/attributes  → client attributes in the metadata store before PUBACK
//   other v1/devices/me/…     → routed inside the tenant (RPC requests/responses, attribute
//                               requests) with "me" meaning the device itself
// ACL: a device may publish and subscribe only under v1/devices/me/ (gateways also under
// v1/gateway/); users may not impersonate devices (v1/devices/me/…) nor touch $SYS unless they
// are platform admins.
//
// Blocking work (SQLite, the WAL fsync) runs on this object's own thread pool, never on the
// broker's thread; results come back through the broker's done callback.
#pragma once

#include <memory>

#include "core/metrics.hpp"
#include "meta/store.hpp"
#include "mqtt/broker.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::device {

class DeviceGateway final : public mqtt::BrokerHooks {
 public:
  DeviceGateway(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, MetricsRegistry& metrics,
                unsigned threads = 2);
  ~DeviceGateway() override;

  std::expected<mqtt::ClientIdentity, mqtt::ReasonCode> authenticate(const mqtt::Connect& c,
                                                                     std::string_view remote) override;
  bool may_publish(const mqtt::ClientIdentity& who, std::string_view topic) override;
  bool may_subscribe(const mqtt::ClientIdentity& who, std::string_view filter) override;
  bool intercept(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                 std::function<void(mqtt::ReasonCode)> done) override;
  void on_online(const mqtt::ClientIdentity& who) override;
  void on_offline(const mqtt::ClientIdentity& who) override;

  // Finishes queued work; call before the stores close.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::device
