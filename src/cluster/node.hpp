// One `kaiwu serve` node's link to the other nodes, over NATS core subjects (not JetStream: the
// live fan-out needs no durability) plus one JetStream key-value bucket for retained messages.
// It implements the broker's and the device gateway's cluster seams (mqtt::BrokerPeers,
// device::RemoteDevices); without it (the embedded default) neither pays anything.
//
//   kaiwu.mqtt.msg        every message published on a node (client, will, platform), once, to
//                         every other node (NoEcho: never back to itself; never a second hop)
//   kaiwu.mqtt.claim      "session (tenant, client id) came online here at t": older ones close
//   kaiwu.rpc.<device>    request/reply; subscribed by the node the device (or its gateway) is
//                         connected to, so "no responders" = offline everywhere
//   KV KAIWU_MQTT_RETAINED  key base64url(tenant \0 topic) → retained message, loaded at start
//
// Threads: forward/claimed/reachable run on the broker thread and never block (core publishes are
// buffered by libnats; KV writes go to a writer thread through a bounded queue). Received
// messages and claims are posted onto the broker thread; RPC requests run on a small pool
// (gateway.call_rpc_local blocks until the device answers).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "device/gateway.hpp"
#include "mqtt/broker.hpp"

namespace kaiwu::cluster {

struct ClusterOptions {
  std::string servers = "nats://127.0.0.1:4222";  // bus.nats_url: comma-separated
  std::string node_name;                          // bus.node_name; empty: hostname-pid
  int replicas = 1;                               // KV bucket replicas (bus.replicas)
  unsigned rpc_threads = 4;                       // concurrent RPCs served for local devices
  std::size_t max_rpc_in_flight = 256;            // beyond: resource_exhausted
  std::size_t kv_queue = 10'000;                  // retained writes waiting; beyond: dropped, counted
  std::chrono::milliseconds rpc_margin{1'000};    // waited beyond the RPC timeout for the reply
};

class ClusterNode final : public mqtt::BrokerPeers, public device::RemoteDevices {
 public:
  using Post = std::function<void(std::function<void()>)>;

  // Connects (kUnavailable when no server answers) and opens the retained bucket.
  static Result<std::unique_ptr<ClusterNode>> connect(ClusterOptions options, MetricsRegistry& metrics);
  ~ClusterNode() override;

  // Replaces the broker's retained messages with the cluster's (call before the broker's thread
  // runs), then starts receiving: messages and claims through `post` onto the broker thread, RPC
  // requests for devices here into gateway.call_rpc_local. broker and gateway must outlive stop().
  Status start(mqtt::Broker& broker, Post post, device::DeviceGateway& gateway);
  // Stops receiving and serving; waits for RPCs in progress. Idempotent; called by the destructor.
  void stop();
  const std::string& node_name() const;

  // mqtt::BrokerPeers
  void forward(const std::string& tenant, const mqtt::Publish& message, std::int64_t expires_ms,
               const std::string& origin) override;
  void claimed(const std::string& tenant, const std::string& client_id, std::int64_t since_ms) override;
  // device::RemoteDevices
  void reachable(const std::string& device_id, bool yes) override;
  Result<std::string> call_rpc(const model::Device& device, const std::string& method, const std::string& params_json,
                               std::chrono::milliseconds timeout) override;

  struct Impl;

 private:
  explicit ClusterNode(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace kaiwu::cluster
