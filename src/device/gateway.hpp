// The device API on top of the MQTT broker (ThingsBoard-compatible topics):
//   username = device access token → the device; over MQTTS a client certificate registered to a
//   device (its SHA-256 fingerprint) identifies that device instead; users log in with
//   username/password and act in their tenant's topic space.
//   v1/devices/me/telemetry   → durable in the telemetry store before PUBACK
//   v1/devices/me/attributes  → client attributes in the metadata store before PUBACK
//   v1/devices/me/attributes/request/<n> → answered on …/attributes/response/<n> with
//                               {"client":{…},"shared":{…}} (clientKeys/sharedKeys select)
//   v1/devices/me/rpc/request/<n> → client-side RPC, answered on …/rpc/response/<n>:
//                               getCurrentTime → {"time":ms}, else {"error":"unsupported method"}
//   v1/devices/me/rpc/response/<n> → completes a server-side RPC (call_rpc)
//   other v1/devices/me/…     → routed inside the tenant with "me" meaning the device itself
// Gateways (is_gateway) also: v1/gateway/connect|disconnect|telemetry|attributes, naming the
// devices behind them, which are found by name in the gateway's enterprise or created there
// (protocol mqtt, gateway_id = the gateway); gateway telemetry is durable before PUBACK too.
// v1/gateway/attributes/request is answered on v1/gateway/attributes/response; server-side
// RPC and shared attributes for devices behind a gateway arrive on v1/gateway/rpc and
// v1/gateway/attributes. Each gateway's v1/gateway/… is its own (v1/gateways/<id>/… inside the
// tenant). Username "provision" (no password) connects for device provisioning only
// (/provision/request → /provision/response, see provisioning.hpp).
// Shared attributes set on the platform are pushed to v1/devices/me/attributes.
// ACL: a device may publish and subscribe only under v1/devices/me/ (gateways also under
// v1/gateway/); users may not impersonate devices (v1/devices/me/…) nor touch $SYS unless they
// are platform admins.
//
// Blocking work (SQLite, the WAL fsync) runs on this object's own thread pool, never on the
// broker's thread; results come back through the broker's done callback.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bus/bus.hpp"
#include "core/metrics.hpp"
#include "meta/store.hpp"
#include "metering/device_activity.hpp"
#include "mqtt/broker.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::device {

// The cluster seam for devices (implemented by cluster/ over NATS): devices connected to other
// nodes. Null (the embedded default): every device is local.
class RemoteDevices {
 public:
  virtual ~RemoteDevices() = default;
  // A device (or gateway) got its first connection on this node (true) or lost its last (false).
  // Called on the broker thread; must not block.
  virtual void reachable(const std::string& device_id, bool yes) = 0;
  // Server-side RPC to a device that is not connected here: the same contract and errors as
  // DeviceGateway::call_rpc (kUnavailable when no node has it, kTimeout when it does not answer).
  virtual Result<std::string> call_rpc(const model::Device& device, const std::string& method,
                                       const std::string& params_json, std::chrono::milliseconds timeout) = 0;
};

class DeviceGateway final : public mqtt::BrokerHooks {
 public:
  DeviceGateway(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, MetricsRegistry& metrics,
                unsigned threads = 2);
  ~DeviceGateway() override;

  void authenticate(const mqtt::Connect& c, Peer peer, std::function<void(AuthResult)> done) override;
  bool may_publish(const mqtt::ClientIdentity& who, std::string_view topic) override;
  bool may_subscribe(const mqtt::ClientIdentity& who, std::string_view filter) override;
  bool intercept(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                 std::function<void(mqtt::ReasonCode)> done) override;
  void on_online(const mqtt::ClientIdentity& who) override;
  void on_offline(const mqtt::ClientIdentity& who) override;

  // Finishes queued work; call before the stores close.
  void stop();

  // Where durable telemetry, client attribute writes, devices created behind gateways and
  // online/offline changes are published (null: nowhere). Set before the broker starts.
  void set_bus(bus::Bus* bus);
  // Where accepted telemetry marks its devices daily-active (null: nowhere). Set before the
  // broker starts.
  void set_activity(metering::DeviceActivity* activity);

  // How the gateway publishes into the broker (posts onto the broker's thread).
  using Publisher = std::function<void(const std::string& tenant, mqtt::Publish message)>;
  void set_publisher(Publisher publisher);

  // Server-side RPC (ThingsBoard two-way RPC): publishes {"method","params"} to the device's
  // v1/devices/me/rpc/request/<n> and waits for its v1/devices/me/rpc/response/<n>.
  // Errors: kUnavailable when the device is not connected, kTimeout when it does not answer
  // within timeout. Blocks the calling thread (an HTTP pool thread), never the broker's.
  // A device behind a gateway gets {"device": name, "data": {"id","method","params"}} on its
  // gateway's v1/gateway/rpc and answers with {"device","id","data"} on v1/gateway/rpc.
  // With a RemoteDevices set, a device not connected here is called through it.
  Result<std::string> call_rpc(const model::Device& device, const std::string& method,
                               const std::string& params_json, std::chrono::milliseconds timeout);
  // The same, to a device connected to this node only (what a peer's call lands on).
  Result<std::string> call_rpc_local(const model::Device& device, const std::string& method,
                                     const std::string& params_json, std::chrono::milliseconds timeout);
  // Cluster mode: where calls to devices on other nodes go; set before the broker starts.
  void set_remote(RemoteDevices* remote);
  // Connected over MQTT itself, or behind a connected gateway that reported it connected.
  bool is_online(const std::string& device_id) const;

  // Pushes changed shared attributes (a JSON object, key → value) to the device's
  // v1/devices/me/attributes (ThingsBoard shared-attribute update), or for a device behind a
  // gateway as {"device": name, "data": {…}} to the gateway's v1/gateway/attributes.
  // No-op without MQTT.
  void notify_shared_attributes(const model::Device& device, const std::string& json_object_text);

  struct Impl;

 private:
  bool intercept_gateway(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                         std::function<void(mqtt::ReasonCode)> done);

  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::device
