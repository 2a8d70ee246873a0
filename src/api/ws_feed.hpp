// The live feed: WebSocket /api/v1/ws. Protocol (JSON text frames) in api/README.md.
//
// Authentication: ?token=<JWT or API key> on the upgrade, or a first message
// {"type":"auth","token":…}; failure closes with 4401. Every subscription is checked against the
// caller's scope (tenant; park or enterprise for narrower users), so nobody sees another
// tenant's devices or alarms.
//
// Threads: the HTTP io thread only parses frames and hands them over; authentication and
// subscription checks (the store) run on the feed's own worker thread; bus messages are fanned
// out on the feed's bus subscriber thread. Each connection's outbound queue is bounded
// (max_pending messages not yet written): a subscriber that falls behind is closed with 1008
// "too slow" and counted; ingest never waits for it.
#pragma once

#include <cstddef>
#include <memory>

#include "bus/bus.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"
#include "http/websocket.hpp"
#include "meta/store.hpp"

namespace kaiwu::device {
class DeviceGateway;
}

namespace kaiwu::api {

struct WsFeedOptions {
  std::size_t max_pending = 1000;           // outbound messages queued per connection
  std::size_t max_subscriptions = 64;       // per connection
  std::size_t max_devices = 1000;           // per subscription
  std::size_t bus_capacity = 50'000;        // the feed's queue on the bus
};

class WsFeed {
 public:
  WsFeed(bus::Bus& bus, meta::MetadataStore& store, http::Authenticator& auth, MetricsRegistry& metrics,
         WsFeedOptions options = {});
  ~WsFeed();
  WsFeed(const WsFeed&) = delete;
  WsFeed& operator=(const WsFeed&) = delete;

  // The endpoint to add to the HTTP server. The feed must outlive the server.
  http::WsEndpoint endpoint(std::string path = "/api/v1/ws");

  // Stops fan-out and closes every connection (code 1001, going away).
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kaiwu::api
