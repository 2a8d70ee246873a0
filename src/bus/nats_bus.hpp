// The cluster Bus on NATS JetStream (libnats). Subjects and streams: bus/subjects.hpp.
//
// Publish: encode (bus/codec.hpp) and js_PublishMsgAsync with a message id
// (<node>-<random per connection>-<n>, n counting publishes from 1; the stream's 2-minute
// duplicate window drops a resend). Never blocks: at most `publish_window`
// publishes await their stream ack; beyond that a message is dropped, counted and logged. A
// publish not acked within `publish_timeout_ms` (server gone, no stream leader) is counted as
// failed and not retried, so the stream keeps per-device publish order.
//
// Fan-out subscription (no group): one ordered consumer per wanted kind (ephemeral, DeliverNew,
// flow control, recreated by libnats after a gap) feeding the subscription's bounded local queue
// (bus/local_queue.hpp), exactly like InProcessBus from there on.
//
// Group subscription: one durable pull consumer per (stream, partition), named
// <group>-<stream>-<partition>, MaxAckPending 1, explicit ack after the handler returns, AckWait
// `ack_wait_ms`. Every node's subscription of the group binds the same consumers, so any node
// handles any device; one unacked message per partition means a device's messages are handled
// one at a time in stream order, and an unacked one (its node died) is redelivered, to any node,
// before the next. Handlers of one subscription still run one at a time (a mutex), and a
// redelivery of a message this subscription already acked is acked and skipped.
//
// Metrics: kaiwu_bus_published_total{kind}, kaiwu_bus_publish_dropped_total,
// kaiwu_bus_publish_failed_total, kaiwu_bus_publish_pending, kaiwu_bus_delivered_total{subscriber},
// kaiwu_bus_dropped_total{subscriber}, kaiwu_bus_redelivered_total{subscriber},
// kaiwu_bus_consumer_pending{subscriber}, kaiwu_bus_nats_reconnects_total, kaiwu_bus_nats_connected.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bus/bus.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace kaiwu::bus {

struct NatsBusOptions {
  std::string servers = "nats://127.0.0.1:4222";  // comma-separated URLs
  bool randomize_servers = true;                  // false: try them in the given order
  std::string node_name;                          // connection name and message-id prefix; empty: hostname-pid
  int replicas = 1;                               // stream replicas (3 in a 3-server cluster)
  unsigned partitions = 8;                        // same on every node
  std::int64_t telemetry_max_age_ms = 3'600'000;  // retention limits per stream (age, bytes)
  std::int64_t events_max_age_ms = 24 * 3'600'000LL;
  std::int64_t alarms_max_age_ms = 7 * 24 * 3'600'000LL;
  std::int64_t stream_max_bytes = 1LL << 30;
  std::size_t publish_window = 8192;
  std::int64_t publish_timeout_ms = 5'000;
  std::int64_t ack_wait_ms = 10'000;
  std::int64_t fetch_wait_ms = 500;  // one pull request's wait; bounds unsubscribe latency
  // Called on a libnats thread for every publish outcome (message id, acked by the stream).
  // Not called for publishes still unacked when the bus is destroyed.
  std::function<void(std::string_view id, bool acked)> on_publish_result;
};

class NatsBus final : public Bus {
 public:
  // Connects (failing with Errc::kUnavailable when no server answers) and creates or updates
  // the streams. Reconnects forever afterwards.
  static Result<std::unique_ptr<NatsBus>> connect(NatsBusOptions options, MetricsRegistry& metrics);
  // Waits up to publish_timeout_ms for pending publishes. Subscriptions may outlive the bus.
  ~NatsBus() override;

  void publish(MessagePtr message) override;
  using Bus::publish;
  std::unique_ptr<Subscription> subscribe(SubscribeOptions options, Handler handler) override;

  struct Impl;

 private:
  explicit NatsBus(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace kaiwu::bus
