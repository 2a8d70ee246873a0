// The publish/subscribe seam between ingest, rules, alarms, APPs and the WebSocket feed.
// Embedded implementation: InProcessBus (bus/in_process.hpp); cluster implementation: NatsBus
// (bus/nats_bus.hpp, NATS JetStream, subjects kaiwu.<tenant>.<kind>.<device>.<partition>).
//
// Contract:
// - publish() never blocks and never fails the caller: each subscriber has its own bounded
//   queue; a message that does not fit is dropped for that subscriber and counted. Telemetry is
//   durable before it is published, so a dropped message loses a notification, not data.
// - Per subscriber, messages are delivered one at a time in publish order (per publishing
//   thread), on the subscriber's own thread or on the executor it supplied.
// - Handlers must not throw; an exception is caught, logged and counted as delivered.
// - Destroying a Subscription stops delivery: after its destructor returns the handler is not
//   running and will not run again. Do not destroy it from inside its own handler.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>

#include "bus/messages.hpp"

namespace kaiwu::bus {

using Handler = std::function<void(const MessagePtr&)>;
// Runs a task on some executor (e.g. an asio strand): `[ex](auto task){ asio::post(ex, task); }`.
using Post = std::function<void(std::function<void()>)>;

struct SubscribeOptions {
  std::string name;                 // for metrics and logs: "rules", "ws-feed", "alarm-webhooks"
  std::bitset<kKindCount> kinds;    // which kinds to receive; none set → all
  std::string tenant;               // empty: every tenant
  std::size_t capacity = 10'000;    // queued (not yet handled) messages before dropping
  // A critical subscriber (rules, alarms) still never blocks publish, but each drop is logged
  // as an error and counted in kaiwu_bus_critical_dropped_total so operators alert on it.
  bool critical = false;
  // Empty: the subscription runs its own consumer thread. Otherwise handlers run via post.
  Post post;
  // Empty: fan-out, every subscription receives every matching message (ws-feed: per node).
  // Non-empty: a consumer group shared by every node of a cluster (rules, alarm webhooks): on
  // NatsBus each message goes to one member, is acknowledged after its handler returns, is
  // redelivered to another member if a node dies first, and stays in order per device; the
  // backlog waits in the stream (no local queue, `capacity` unused). InProcessBus has one member
  // per process and delivers to groups like to fan-out subscriptions.
  std::string group;

  SubscribeOptions& only(std::initializer_list<Kind> ks) {
    for (auto k : ks) kinds.set(static_cast<std::size_t>(k));
    return *this;
  }
  bool wants(Kind k) const { return kinds.none() || kinds.test(static_cast<std::size_t>(k)); }
};

struct SubscriptionStats {
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;
  std::size_t queued = 0;
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual SubscriptionStats stats() const = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;

  // Any thread. Never blocks (beyond a short internal lock).
  virtual void publish(MessagePtr message) = 0;
  void publish(Payload payload) { publish(std::make_shared<const Message>(Message{std::move(payload)})); }

  // Any thread. The handler runs until the returned Subscription is destroyed.
  virtual std::unique_ptr<Subscription> subscribe(SubscribeOptions options, Handler handler) = 0;
};

}  // namespace kaiwu::bus
