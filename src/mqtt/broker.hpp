// The MQTT 3.1.1 / 5.0 broker core, sans I/O: transports hand it bytes and closes, it hands
// them bytes to send. All calls must come from one thread (the MQTT io_context); hooks that
// finish work elsewhere come back through the `post` function given at construction.
//
// Namespaces: every tenant has its own topic space, subscriptions, retained messages and
// sessions, so tenants can never see each other's messages. A device's "v1/devices/me/…" is
// rewritten to "v1/devices/<device id>/…" inside its tenant, so the platform can address it.
//
// Session state machine (per tenant + client id):
//   CONNECT ─► (auth) ─► online ─► DISCONNECT/close ─► offline (kept while its expiry lasts;
//   messages for its subscriptions queue up, bounded) ─► resumed by CONNECT with clean start 0
//   or dropped on expiry / clean start 1.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics.hpp"
#include "mqtt/codec.hpp"

namespace kaiwu::mqtt {

struct ClientIdentity {
  std::string tenant_id;  // the topic namespace ("" = platform)
  std::string username;
  std::string device_id;  // non-empty for devices
  bool is_device = false;
  bool is_gateway = false;
};

// Policy and integration points, implemented by device/.
class BrokerHooks {
 public:
  virtual ~BrokerHooks() = default;
  // CONNECT credentials → identity, or the reason code to refuse with (0x86, 0x87, 0x8A…).
  // Asynchronous so that slow checks (argon2, database) never stall the broker: call done from
  // any thread, exactly once. The connection reads nothing more until it is called.
  using AuthResult = std::expected<ClientIdentity, ReasonCode>;
  struct Peer {
    std::string remote;       // "address:port"
    std::string certificate;  // client certificate fingerprint (Link::certificate), or empty
  };
  virtual void authenticate(const Connect& c, Peer peer, std::function<void(AuthResult)> done) = 0;
  // ACL on topic names/filters as the client wrote them (before "me" rewriting).
  virtual bool may_publish(const ClientIdentity& who, std::string_view topic) = 0;
  virtual bool may_subscribe(const ClientIdentity& who, std::string_view filter) = 0;
  // Every authorised PUBLISH from a client. Return true to take it over: the broker then acks
  // (QoS 1/2) only when done(reason) is called — e.g. after telemetry is durable — and does not
  // route it. done may be called from any thread. Return false to route it normally.
  virtual bool intercept(const ClientIdentity& who, const Publish& p, std::function<void(ReasonCode)> done) = 0;
  virtual void on_online(const ClientIdentity&) {}
  virtual void on_offline(const ClientIdentity&) {}
};

// The cluster seam (implemented by cluster/, over NATS core subjects): how a broker hands its
// traffic to the other nodes. Null (the embedded default) costs nothing. Called on the broker
// thread; must not block.
class BrokerPeers {
 public:
  virtual ~BrokerPeers() = default;
  // A message a client, a will or the platform published on THIS node (never one that came from
  // a peer, nor $SYS): deliver it on the other nodes too. `expires_ms` 0 = never; `origin` is the
  // publishing session's key (tenant + '\0' + client id), for No Local.
  virtual void forward(const std::string& tenant, const Publish& message, std::int64_t expires_ms,
                       const std::string& origin) = 0;
  // A session (tenant, client id) came online here at `since_ms`: the other nodes close theirs.
  virtual void claimed(const std::string& tenant, const std::string& client_id, std::int64_t since_ms) = 0;
};

// One connection as the broker sees it.
class Link {
 public:
  virtual ~Link() = default;
  virtual void send(std::string bytes) = 0;
  virtual void close() = 0;  // after flushing what was sent
  virtual void pause_reading(bool paused) = 0;
  virtual std::string remote() const = 0;
  // SHA-256 fingerprint (hex) of the client certificate presented over TLS; empty otherwise.
  virtual std::string certificate() const { return {}; }
};

struct BrokerOptions {
  std::uint32_t max_packet_size = 1 << 20;
  std::uint16_t receive_maximum = 64;       // QoS 1/2 publishes a client may have unacknowledged
  std::uint16_t topic_alias_maximum = 32;
  std::uint32_t max_session_expiry_s = 7 * 86400;
  std::size_t max_queued_per_session = 1000;
  std::size_t max_retained_per_tenant = 100'000;
  std::uint32_t retry_interval_s = 20;      // resend unacknowledged QoS 1/2 (DUP) while online
  // Where persistent sessions and retained messages are kept across restarts ("" = memory
  // only). Written every save_interval_ms when something changed, and at shutdown.
  std::string state_path;
  std::uint32_t save_interval_ms = 1000;
};

class Broker {
 public:
  using ConnId = std::uint64_t;
  using Clock = std::function<std::int64_t()>;  // milliseconds
  using Post = std::function<void(std::function<void()>)>;

  Broker(BrokerOptions options, BrokerHooks& hooks, MetricsRegistry& metrics, Post post, Clock clock);
  ~Broker();

  ConnId attach(std::shared_ptr<Link> link);
  void on_bytes(ConnId id, std::span<const std::uint8_t> bytes);
  // The transport closed (peer gone, error, timeout). Sends the will unless DISCONNECT was clean.
  void on_closed(ConnId id);
  // Once a second: keep-alive, delayed wills, session expiry, retransmission, $SYS.
  void tick();

  // Publishes on behalf of the platform into a tenant's topic space (RPC requests, shared
  // attribute updates, rule republish).
  void publish(const std::string& tenant, Publish msg);

  // Cluster mode (see BrokerPeers); set before accepting connections.
  void set_peers(BrokerPeers* peers);
  // A message another node forwarded: delivered to the matching sessions here (and kept if
  // retained), never forwarded again.
  void publish_from_peer(const std::string& tenant, Publish msg, std::int64_t expires_ms, std::string origin);
  // Another node took over session (tenant, client id) at since_ms: a connection here that came
  // online no later is closed (DISCONNECT 0x8E in 5.0, no will) and the session is dropped.
  void release_session(const std::string& tenant, const std::string& client_id, std::int64_t since_ms);
  // Replaces the retained messages (all tenants, $SYS aside) with the cluster's copy; an empty
  // payload is skipped. Call before accepting connections.
  void replace_retained(std::vector<std::pair<std::string, Publish>> retained);

  // Stops accepting work: every connection gets DISCONNECT 0x8B (5.0) and is closed, and the
  // durable state is saved.
  void shutdown();

  // Restores sessions and retained messages saved by an earlier run (call before accepting).
  Status load_state();
  // Writes the durable state now if it changed (tick() does this periodically).
  Status save_state();

  std::size_t connections() const;
  std::size_t sessions() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::mqtt
