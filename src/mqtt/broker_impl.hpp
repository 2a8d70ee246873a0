// Private state of the broker (broker.cpp, broker_session.cpp).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "mqtt/broker.hpp"
#include "mqtt/subscriptions.hpp"

namespace kaiwu::mqtt {

// An application message as routed inside one tenant's topic space.
struct Message {
  std::string topic;  // tenant-space topic ("me" already rewritten)
  std::string payload;
  QoS qos = QoS::k0;
  bool retain = false;
  Properties properties;      // the properties that travel with a message (MQTT 5.0 §3.3.2.3)
  std::int64_t expires_ms = 0;  // 0: never
  std::string origin;         // session key of the publisher, for No Local
};
using MessagePtr = std::shared_ptr<const Message>;

struct Outgoing {
  std::uint16_t packet_id = 0;
  MessagePtr message;
  QoS qos = QoS::k0;
  bool retain = false;
  std::uint32_t subscription_id = 0;
  bool released = false;  // QoS 2: PUBREC received, PUBREL sent
  std::int64_t sent_ms = 0;
};

struct Session {
  std::string key;  // tenant + '\0' + client id
  std::string client_id;
  ClientIdentity who;
  Version version = Version::k311;
  Broker::ConnId conn = 0;  // 0: offline
  std::map<std::string, SubOptions> subscriptions;  // tenant-space filter → options
  std::map<std::uint16_t, Outgoing> inflight;
  std::deque<Outgoing> queued;
  std::set<std::uint16_t> incoming_qos2;  // received, PUBREC sent, awaiting PUBREL
  std::uint16_t next_packet_id = 1;
  std::uint32_t expiry_s = 0;
  std::int64_t offline_since_ms = 0;
  std::int64_t online_since_ms = 0;
  std::uint16_t client_receive_maximum = 65535;
  std::uint32_t client_max_packet = kMaxPacketSize;
  std::optional<Will> will;
  std::int64_t will_due_ms = 0;  // a delayed will waiting (0: none)
};

struct Connection {
  Broker::ConnId id = 0;
  std::shared_ptr<Link> link;
  std::string buffer;
  bool connected = false;
  bool closing = false;
  bool clean_disconnect = false;
  Version version = Version::k311;
  Session* session = nullptr;
  std::int64_t last_rx_ms = 0;
  std::uint16_t keep_alive_s = 0;
  std::unordered_map<std::uint16_t, std::string> aliases;  // inbound topic aliases (5.0)
  int pending = 0;  // intercepted publishes awaiting done()
  bool authenticating = false;  // CONNECT handed to the auth hook, awaiting its answer
  std::optional<Connect> connect;  // the CONNECT being authenticated
  bool assigned_client_id = false;
  bool paused = false;
};

struct TenantSpace {
  SubscriptionTree subscriptions;
  std::map<std::string, MessagePtr> retained;
};

struct Broker::Impl {
  BrokerOptions options;
  BrokerHooks& hooks;
  BrokerPeers* peers = nullptr;
  MetricsRegistry& metrics;
  Post post;
  Clock clock;
  std::int64_t started_ms = 0;
  bool stopping = false;
  ConnId next_conn = 1;
  std::unordered_map<ConnId, std::unique_ptr<Connection>> conns;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions;
  std::unordered_map<std::string, TenantSpace> tenants;
  std::unordered_map<std::string, std::size_t> round_robin;  // shared group cursor
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::int64_t last_sys_ms = 0;
  std::int64_t last_save_ms = 0;
  bool dirty = false;  // durable state changed since the last snapshot

  Counter& received;
  Counter& sent;
  Counter& dropped;
  Gauge& connected_gauge;

  Impl(BrokerOptions o, BrokerHooks& h, MetricsRegistry& m, Post p, Clock c);

  // broker.cpp
  void on_bytes(ConnId id, std::span<const std::uint8_t> bytes);
  void handle(Connection& c, Packet&& packet);
  void on_connect(Connection& c, Connect&& connect);
  void on_authenticated(ConnId id, BrokerHooks::AuthResult who);
  void on_publish(Connection& c, Publish&& publish);
  void on_subscribe(Connection& c, Subscribe&& s);
  void on_unsubscribe(Connection& c, Unsubscribe&& u);
  void finish_intercept(ConnId id, std::string session_key, QoS qos, std::uint16_t packet_id, ReasonCode reason);
  void protocol_error(Connection& c, ReasonCode reason, const std::string& why);
  void send(Connection& c, const Packet& p);
  void close(Connection& c, bool abnormal);
  void tick();

  // broker_session.cpp: routing and delivery
  std::string to_space(const ClientIdentity& who, std::string_view topic) const;
  std::string from_space(const Session& s, std::string_view topic) const;
  // forward: hand the message to the other nodes (BrokerPeers) too.
  void route(const std::string& tenant, MessagePtr m, bool forward = true);
  void take_over(Session& old);  // closes the session's live connection (0x8E, no will)
  void deliver(Session& s, MessagePtr m, const SubOptions& options);
  void pump(Session& s);
  void transmit(Session& s, Outgoing& o, bool dup);
  void send_retained(Session& s, const std::string& filter, const SubOptions& options);
  void publish_will(Session& s);
  void drop_session(Session& s);
  void on_ack(Connection& c, PacketType type, std::uint16_t packet_id);
  void publish_sys();

  // broker_state.cpp
  std::string snapshot() const;
  Status restore(std::string_view bytes);
  Status save_state();
};

}  // namespace kaiwu::mqtt
