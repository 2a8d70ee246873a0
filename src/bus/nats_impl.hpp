// NatsBus internals shared by nats_bus.cpp (connection, streams, publish) and
// nats_subscriptions.cpp. Internal to bus/.
#pragma once

#include <nats/nats.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bus/nats_bus.hpp"
#include "bus/subjects.hpp"

namespace kaiwu::bus {

// Connection events arrive on libnats' callback thread, possibly after the bus is gone: they
// reach the metrics only while `alive`, and the closed event (always the last) frees this.
struct ConnEvents {
  std::mutex mu;
  bool alive = true;  // guarded by mu
  Gauge* connected;
  Counter* reconnects;
};

struct NatsBus::Impl {
  Impl(NatsBusOptions o, MetricsRegistry& m);
  ~Impl();

  NatsBusOptions options;
  MetricsRegistry& metrics;
  ConnEvents* events = nullptr;    // freed by libnats' closed callback
  std::mutex ack_mu;               // held by publish-ack callbacks; ~Impl takes it to wait them out
  bool closing = false;            // guarded by ack_mu
  natsConnection* conn = nullptr;  // set once by connect
  jsCtx* js = nullptr;             // set once by connect
  std::string id_prefix;  // "<node>-<random per connect>-": ids stay unique across restarts
  std::atomic<std::uint64_t> next_id{0};
  std::atomic<std::int64_t> inflight{0};
  std::array<Counter*, kKindCount> published{};
  Counter& publish_dropped;
  Counter& publish_failed;
  Gauge& publish_pending;
  Counter& reconnects;
  Gauge& connected;
};

// The (stream, kind) pairs a subscription reads: one consumer each, as a consumer's filter must
// lie within one of its stream's subjects.
std::vector<std::pair<const StreamSpec*, Kind>> stream_plan(const SubscribeOptions& options);

std::string nats_error(natsStatus s, const char* what);

std::unique_ptr<Subscription> subscribe_fanout(std::shared_ptr<NatsBus::Impl> impl, SubscribeOptions options,
                                               Handler handler);
std::unique_ptr<Subscription> subscribe_group(std::shared_ptr<NatsBus::Impl> impl, SubscribeOptions options,
                                              Handler handler);

}  // namespace kaiwu::bus
