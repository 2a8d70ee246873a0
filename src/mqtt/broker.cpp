#include "mqtt/broker.hpp"

#include <spdlog/spdlog.h>

#include "core/crypto.hpp"
#include "mqtt/broker_impl.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::mqtt {

Broker::Impl::Impl(BrokerOptions o, BrokerHooks& h, MetricsRegistry& m, Post p, Clock c)
    : options(o),
      hooks(h),
      metrics(m),
      post(std::move(p)),
      clock(std::move(c)),
      received(m.counter("kaiwu_mqtt_messages_received_total", "PUBLISH packets received")),
      sent(m.counter("kaiwu_mqtt_messages_sent_total", "PUBLISH packets sent")),
      dropped(m.counter("kaiwu_mqtt_messages_dropped_total", "messages dropped (queue full, too large, expired)")),
      connected_gauge(m.gauge("kaiwu_mqtt_connections", "MQTT clients connected")) {
  started_ms = clock();
}

Broker::Broker(BrokerOptions options, BrokerHooks& hooks, MetricsRegistry& metrics, Post post, Clock clock)
    : impl_(std::make_unique<Impl>(options, hooks, metrics, std::move(post), std::move(clock))) {}

Broker::~Broker() { *impl_->alive = false; }

Broker::ConnId Broker::attach(std::shared_ptr<Link> link) {
  auto c = std::make_unique<Connection>();
  c->id = impl_->next_conn++;
  c->link = std::move(link);
  c->last_rx_ms = impl_->clock();
  ConnId id = c->id;
  impl_->conns.emplace(id, std::move(c));
  return id;
}

void Broker::on_bytes(ConnId id, std::span<const std::uint8_t> bytes) { impl_->on_bytes(id, bytes); }

void Broker::on_closed(ConnId id) {
  auto it = impl_->conns.find(id);
  if (it == impl_->conns.end()) return;
  if (!it->second->closing) impl_->close(*it->second, !it->second->clean_disconnect);
  impl_->conns.erase(it);  // the transport is done with it: the one place a Connection dies
}

void Broker::tick() { impl_->tick(); }

void Broker::publish(const std::string& tenant, Publish p) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(p.topic);
  m->payload = std::move(p.payload);
  m->qos = p.qos;
  m->retain = p.retain;
  m->properties = std::move(p.properties);
  impl_->route(tenant, std::move(m));
}

void Broker::set_peers(BrokerPeers* peers) { impl_->peers = peers; }

void Broker::publish_from_peer(const std::string& tenant, Publish p, std::int64_t expires_ms, std::string origin) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(p.topic);
  m->payload = std::move(p.payload);
  m->qos = p.qos;
  m->retain = p.retain;
  m->properties = std::move(p.properties);
  m->expires_ms = expires_ms;
  m->origin = std::move(origin);
  impl_->route(tenant, std::move(m), false);
}

void Broker::release_session(const std::string& tenant, const std::string& client_id, std::int64_t since_ms) {
  auto it = impl_->sessions.find(tenant + '\0' + client_id);
  if (it == impl_->sessions.end()) return;
  Session& s = *it->second;
  if (s.conn && s.online_since_ms > since_ms) return;  // ours is the newer connection: the peer's goes
  spdlog::info("mqtt: session {} taken over by another node", client_id);
  impl_->take_over(s);
  impl_->drop_session(s);  // the session lives on the other node now (its will is not sent)
}

void Broker::replace_retained(std::vector<std::pair<std::string, Publish>> retained) {
  for (auto& [tenant, space] : impl_->tenants) {
    if (!tenant.empty()) space.retained.clear();
    else std::erase_if(space.retained, [](const auto& e) { return !e.first.starts_with("$SYS/"); });
  }
  for (auto& [tenant, p] : retained) {
    if (p.payload.empty()) continue;
    auto m = std::make_shared<Message>();
    m->topic = std::move(p.topic);
    m->payload = std::move(p.payload);
    m->qos = p.qos;
    m->retain = true;
    m->properties = std::move(p.properties);
    impl_->tenants[tenant].retained[m->topic] = std::move(m);
  }
  impl_->dirty = true;
}

// MQTT 5.0 §3.1.4-3: a new connection with the same client id takes the session over; the old
// connection goes (DISCONNECT 0x8E in 5.0) without its will.
void Broker::Impl::take_over(Session& old) {
  if (!old.conn) return;
  auto oc = conns.find(old.conn);
  if (oc != conns.end()) {
    if (oc->second->version == Version::k5) {
      Disconnect d{ReasonCode::kSessionTakenOver, {}};
      d.properties.reason_string = "another connection took the session over";  // (paho 1.6 reads a
      send(*oc->second, d);  // DISCONNECT's reason code only when properties follow it)
    }
    oc->second->session = nullptr;  // keeps close() from touching the session
    oc->second->link->close();
    oc->second->closing = true;
    connected_gauge.add(-1);
    hooks.on_offline(old.who);
  }
  old.conn = 0;
  old.offline_since_ms = clock();
}

void Broker::shutdown() {
  impl_->stopping = true;
  std::vector<Connection*> all;
  for (auto& [id, c] : impl_->conns) all.push_back(c.get());
  for (auto* c : all) {
    if (c->connected && c->version == Version::k5) impl_->send(*c, Disconnect{ReasonCode::kServerShuttingDown, {}});
    c->clean_disconnect = true;  // a server shutdown is not the client's fault: no will
    c->link->close();
  }
  impl_->dirty = true;
  if (auto st = impl_->save_state(); !st) spdlog::error("mqtt: saving sessions failed: {}", st.error().message);
}

std::size_t Broker::connections() const { return impl_->conns.size(); }
std::size_t Broker::sessions() const { return impl_->sessions.size(); }

void Broker::Impl::send(Connection& c, const Packet& p) {
  if (c.closing) return;
  c.link->send(encode(p, c.version));
}

void Broker::Impl::protocol_error(Connection& c, ReasonCode reason, const std::string& why) {
  spdlog::info("mqtt {}: closing: {}", c.link->remote(), why);
  if (c.version == Version::k5 && !c.closing) {
    Disconnect d{reason, {}};
    d.properties.reason_string = why.substr(0, 200);
    send(c, d);
  }
  close(c, true);
}

void Broker::Impl::on_bytes(ConnId id, std::span<const std::uint8_t> bytes) {
  auto it = conns.find(id);
  if (it == conns.end()) return;
  Connection& c = *it->second;
  if (c.closing) return;
  c.buffer.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  c.last_rx_ms = clock();
  dirty = true;
  std::size_t off = 0;
  while (!c.closing && !c.authenticating && c.pending < options.receive_maximum) {
    auto view = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(c.buffer.data()) + off,
                                              c.buffer.size() - off);
    auto header = peek_frame(view, options.max_packet_size);
    if (!header) {
      if (!c.connected && header.error().reason == ReasonCode::kPacketTooLarge && c.version == Version::k5)
        send(c, Connack{false, ReasonCode::kPacketTooLarge, {}});
      protocol_error(c, header.error().reason, header.error().message);
      return;
    }
    if (!*header || view.size() < (*header)->frame_size()) break;
    auto frame = view.first((*header)->frame_size());
    off += frame.size();
    if (!c.connected) {
      auto connect = decode_connect(frame);
      if (!connect) {
        if (connect.error().reason == ReasonCode::kUnsupportedProtocolVersion) {
          // MQTT 3.1.1 §3.2.2.3: return code 0x01 for an unacceptable protocol level.
          c.link->send(encode(Connack{false, ReasonCode::kUnsupportedProtocolVersion, {}}, Version::k311));
        }
        protocol_error(c, connect.error().reason, connect.error().message);
        return;
      }
      on_connect(c, std::move(*connect));
      continue;
    }
    auto packet = decode(frame, c.version);
    if (!packet) {
      protocol_error(c, packet.error().reason, packet.error().message);
      return;
    }
    handle(c, std::move(*packet));
  }
  if (c.closing) return;
  if (off) c.buffer.erase(0, off);
  // An idle connection keeps no large buffer from an earlier big packet.
  if (c.buffer.empty() && c.buffer.capacity() > 4096) std::string().swap(c.buffer);
  bool pause = c.pending >= options.receive_maximum || c.authenticating;
  if (pause != c.paused) {
    c.paused = pause;
    c.link->pause_reading(pause);
  }
}

void Broker::Impl::handle(Connection& c, Packet&& packet) {
  std::visit(
      [&](auto&& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Publish>) {
          on_publish(c, std::move(p));
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          on_subscribe(c, std::move(p));
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          on_unsubscribe(c, std::move(p));
        } else if constexpr (std::is_same_v<T, Pingreq>) {
          send(c, Pingresp{});
        } else if constexpr (std::is_same_v<T, Puback>) {
          on_ack(c, PacketType::kPuback, p.packet_id);
        } else if constexpr (std::is_same_v<T, Pubrec>) {
          on_ack(c, PacketType::kPubrec, p.packet_id);
        } else if constexpr (std::is_same_v<T, Pubcomp>) {
          on_ack(c, PacketType::kPubcomp, p.packet_id);
        } else if constexpr (std::is_same_v<T, Pubrel>) {
          // MQTT 5.0 §4.3.3: release the stored packet id, answer PUBCOMP either way.
          bool known = c.session->incoming_qos2.erase(p.packet_id) > 0;
          send(c, Pubcomp{p.packet_id, known ? ReasonCode::kSuccess : ReasonCode::kPacketIdentifierNotFound, {}});
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          if (c.version == Version::k5 && p.properties.session_expiry_interval) {
            if (c.session->expiry_s == 0 && *p.properties.session_expiry_interval != 0) {
              protocol_error(c, ReasonCode::kProtocolError, "session expiry set at DISCONNECT after 0 at CONNECT");
              return;
            }
            c.session->expiry_s = std::min(*p.properties.session_expiry_interval, options.max_session_expiry_s);
          }
          // MQTT 5.0 §3.14.4: 0x04 asks for the will to be published anyway.
          c.clean_disconnect = p.reason != ReasonCode::kDisconnectWithWillMessage;
          close(c, !c.clean_disconnect);
        } else if constexpr (std::is_same_v<T, Connect>) {
          protocol_error(c, ReasonCode::kProtocolError, "second CONNECT on a connection");
        } else if constexpr (std::is_same_v<T, Auth>) {
          protocol_error(c, ReasonCode::kBadAuthenticationMethod, "enhanced authentication is not supported");
        } else {
          protocol_error(c, ReasonCode::kProtocolError,
                         std::string(packet_type_name(packet_type(Packet(p)))) + " is not sent by clients");
        }
      },
      std::move(packet));
}

void Broker::Impl::on_connect(Connection& c, Connect&& connect) {
  c.version = connect.version;
  auto refuse = [&](ReasonCode reason, const std::string& why) {
    send(c, Connack{false, reason, {}});
    spdlog::info("mqtt {}: CONNECT refused ({}): {}", c.link->remote(), reason_code_name(reason), why);
    close(c, false);
  };
  if (stopping) return refuse(ReasonCode::kServerUnavailable, "shutting down");
  bool assigned = false;
  if (connect.client_id.empty()) {
    // MQTT 3.1.1 §3.1.3.1: an empty client id requires a clean session.
    if (connect.version == Version::k311 && !connect.clean_start)
      return refuse(ReasonCode::kClientIdentifierNotValid, "empty client id without clean session");
    connect.client_id = "kaiwu-" + crypto::random_hex(8);
    assigned = true;
  }
  if (connect.will && !valid_topic_name(connect.will->topic))
    return refuse(ReasonCode::kTopicNameInvalid, "invalid will topic");
  c.authenticating = true;
  c.assigned_client_id = assigned;
  c.connect = std::move(connect);
  ConnId id = c.id;
  std::weak_ptr<bool> alive_flag = alive;
  hooks.authenticate(*c.connect, {c.link->remote(), c.link->certificate()}, [this, alive_flag, id](BrokerHooks::AuthResult who) {
    post([this, alive_flag, id, who = std::move(who)]() mutable {
      if (alive_flag.expired()) return;
      on_authenticated(id, std::move(who));
    });
  });
}

void Broker::Impl::on_authenticated(ConnId id, BrokerHooks::AuthResult who) {
  auto cit = conns.find(id);
  if (cit == conns.end()) return;  // the client left while its credentials were checked
  Connection& c = *cit->second;
  c.authenticating = false;
  if (c.closing || !c.connect) return;
  Connect connect = std::move(*c.connect);
  c.connect.reset();
  bool assigned = c.assigned_client_id;
  auto refuse = [&](ReasonCode reason, const std::string& why) {
    send(c, Connack{false, reason, {}});
    spdlog::info("mqtt {}: CONNECT refused ({}): {}", c.link->remote(), reason_code_name(reason), why);
    close(c, false);
  };
  if (stopping) return refuse(ReasonCode::kServerUnavailable, "shutting down");
  if (!who) return refuse(who.error(), "authentication failed");
  if (connect.will && !hooks.may_publish(*who, connect.will->topic))
    return refuse(ReasonCode::kNotAuthorized, "will topic not allowed");

  std::string key = who->tenant_id + '\0' + connect.client_id;
  bool present = false;
  auto it = sessions.find(key);
  if (it != sessions.end()) {
    Session& old = *it->second;
    take_over(old);
    if (old.will_due_ms) old.will_due_ms = 0;  // MQTT 5.0 §3.1.3.2: a resumed session cancels a delayed will
    if (connect.clean_start || old.who.username != who->username) {
      drop_session(old);
    } else {
      present = true;
    }
  }
  Session* s;
  if (present) {
    s = sessions[key].get();
  } else {
    auto fresh = std::make_unique<Session>();
    fresh->key = key;
    fresh->client_id = connect.client_id;
    s = fresh.get();
    sessions[key] = std::move(fresh);
    tenants[who->tenant_id];  // make sure the namespace exists
  }
  s->who = *who;
  s->version = connect.version;
  s->conn = c.id;
  s->will = connect.will;
  s->will_due_ms = 0;
  s->online_since_ms = clock();
  if (connect.version == Version::k5) {
    s->expiry_s = std::min(connect.properties.session_expiry_interval.value_or(0), options.max_session_expiry_s);
    s->client_receive_maximum = connect.properties.receive_maximum.value_or(65535);
    s->client_max_packet = connect.properties.maximum_packet_size.value_or(kMaxPacketSize);
  } else {
    s->expiry_s = connect.clean_start ? 0 : options.max_session_expiry_s;
    s->client_receive_maximum = 65535;
    s->client_max_packet = kMaxPacketSize;
  }
  c.session = s;
  c.connected = true;
  c.keep_alive_s = connect.keep_alive;

  Connack ack{present, ReasonCode::kSuccess, {}};
  if (connect.version == Version::k5) {
    auto& p = ack.properties;
    p.receive_maximum = options.receive_maximum;
    p.topic_alias_maximum = options.topic_alias_maximum;
    p.maximum_packet_size = options.max_packet_size;
    p.retain_available = true;
    p.wildcard_subscription_available = true;
    p.shared_subscription_available = true;
    p.subscription_identifier_available = true;
    if (assigned) p.assigned_client_identifier = connect.client_id;
    if (connect.properties.session_expiry_interval &&
        *connect.properties.session_expiry_interval > options.max_session_expiry_s)
      p.session_expiry_interval = options.max_session_expiry_s;
  }
  send(c, ack);
  connected_gauge.add(1);
  hooks.on_online(s->who);
  if (peers) peers->claimed(who->tenant_id, connect.client_id, s->online_since_ms);
  spdlog::debug("mqtt {}: {} connected (v{}, session {})", c.link->remote(), connect.client_id,
                static_cast<int>(connect.version), present ? "resumed" : "new");
  // Resend what was in flight (MQTT 5.0 §4.4), then what queued while offline.
  for (auto& [pid, o] : s->inflight) transmit(*s, o, true);
  pump(*s);
  // Packets the client sent right after CONNECT wait in the buffer; reading resumes too.
  on_bytes(id, {});
}

void Broker::Impl::on_publish(Connection& c, Publish&& p) {
  received.inc();
  Session& s = *c.session;
  if (c.version == Version::k5 && p.properties.topic_alias) {
    auto alias = *p.properties.topic_alias;
    if (alias == 0 || alias > options.topic_alias_maximum)
      return protocol_error(c, ReasonCode::kTopicAliasInvalid, "topic alias out of range");
    if (p.topic.empty()) {
      auto it = c.aliases.find(alias);
      if (it == c.aliases.end()) return protocol_error(c, ReasonCode::kProtocolError, "unknown topic alias");
      p.topic = it->second;
    } else {
      c.aliases[alias] = p.topic;
    }
    p.properties.topic_alias.reset();
  }
  if (p.topic.empty()) return protocol_error(c, ReasonCode::kProtocolError, "PUBLISH without a topic");
  auto ack = [&](ReasonCode reason) {
    if (p.qos == QoS::k1) send(c, Puback{p.packet_id, reason, {}});
    if (p.qos == QoS::k2) send(c, Pubrec{p.packet_id, reason, {}});
  };
  if (p.qos == QoS::k2 && s.incoming_qos2.contains(p.packet_id)) {
    return ack(ReasonCode::kSuccess);  // a resend of a message already received (MQTT 5.0 §4.3.3)
  }
  if (!hooks.may_publish(s.who, p.topic)) {
    spdlog::info("mqtt {}: publish to {} not authorised", c.link->remote(), p.topic);
    if (c.version == Version::k311 && p.qos != QoS::k0) {
      // MQTT 3.1.1 has no negative acknowledgement: close, as §5.4.2 allows for ACL failures.
      return protocol_error(c, ReasonCode::kNotAuthorized, "publish not authorised");
    }
    return ack(ReasonCode::kNotAuthorized);
  }
  if (p.qos == QoS::k2) s.incoming_qos2.insert(p.packet_id);
  std::string key = s.key;
  QoS qos = p.qos;
  std::uint16_t pid = p.packet_id;
  ConnId id = c.id;
  std::weak_ptr<bool> alive_flag = alive;
  bool taken = hooks.intercept(s.who, p, [this, alive_flag, id, key, qos, pid](ReasonCode reason) {
    post([this, alive_flag, id, key, qos, pid, reason] {
      if (alive_flag.expired()) return;
      finish_intercept(id, key, qos, pid, reason);
    });
  });
  if (taken) {
    ++c.pending;
    return;
  }
  auto m = std::make_shared<Message>();
  m->topic = to_space(s.who, p.topic);
  m->payload = std::move(p.payload);
  m->qos = p.qos;
  m->retain = p.retain;
  m->properties = std::move(p.properties);
  m->properties.subscription_identifiers.clear();
  m->origin = s.key;
  if (m->properties.message_expiry_interval)
    m->expires_ms = clock() + static_cast<std::int64_t>(*m->properties.message_expiry_interval) * 1000;
  route(s.who.tenant_id, std::move(m));
  ack(ReasonCode::kSuccess);
}

void Broker::Impl::finish_intercept(ConnId id, std::string session_key, QoS qos, std::uint16_t packet_id,
                                    ReasonCode reason) {
  auto it = conns.find(id);
  if (it == conns.end()) return;  // the client left; it will resend (QoS 1/2) on reconnect
  Connection& c = *it->second;
  if (!c.session || c.session->key != session_key) return;
  --c.pending;
  if (qos == QoS::k1) send(c, Puback{packet_id, reason, {}});
  if (qos == QoS::k2) {
    if (static_cast<std::uint8_t>(reason) >= 0x80) c.session->incoming_qos2.erase(packet_id);
    send(c, Pubrec{packet_id, reason, {}});
  }
  if (c.version == Version::k311 && static_cast<std::uint8_t>(reason) >= 0x80 && qos != QoS::k0) {
    protocol_error(c, reason, "publish rejected");
    return;
  }
  if (c.paused && c.pending < options.receive_maximum) on_bytes(id, {});  // resume reading
}

void Broker::Impl::on_subscribe(Connection& c, Subscribe&& sub) {
  Session& s = *c.session;
  Suback ack{sub.packet_id, {}, {}};
  std::uint32_t sub_id = sub.properties.subscription_identifiers.empty() ? 0 : sub.properties.subscription_identifiers[0];
  std::vector<std::pair<std::string, SubOptions>> fresh;
  for (const auto& f : sub.subscriptions) {
    if (!hooks.may_subscribe(s.who, f.filter)) {
      ack.reasons.push_back(c.version == Version::k5 ? ReasonCode::kNotAuthorized : ReasonCode::kUnspecifiedError);
      continue;
    }
    auto shared = parse_shared_filter(f.filter);
    if (shared && f.no_local) {
      return protocol_error(c, ReasonCode::kProtocolError, "No Local on a shared subscription");  // §3.8.3.1
    }
    std::string filter = shared ? "$share/" + std::string(shared->share_name) + "/" + to_space(s.who, shared->filter)
                                : to_space(s.who, f.filter);
    SubOptions o{f.qos, f.no_local, f.retain_as_published, f.retain_handling, sub_id};
    bool is_new = tenants[s.who.tenant_id].subscriptions.add(filter, s.key, o);
    s.subscriptions[filter] = o;
    ack.reasons.push_back(static_cast<ReasonCode>(static_cast<std::uint8_t>(f.qos)));
    // MQTT 5.0 §3.3.1.3: retained messages on subscribe, per Retain Handling; never for shared.
    if (!shared && (f.retain_handling == RetainHandling::kSendAtSubscribe ||
                    (f.retain_handling == RetainHandling::kSendAtSubscribeIfNew && is_new)))
      fresh.emplace_back(filter, o);
  }
  send(c, ack);
  for (auto& [filter, o] : fresh) send_retained(s, filter, o);
  pump(s);
}

void Broker::Impl::on_unsubscribe(Connection& c, Unsubscribe&& u) {
  Session& s = *c.session;
  Unsuback ack{u.packet_id, {}, {}};
  for (const auto& f : u.filters) {
    auto shared = parse_shared_filter(f);
    std::string filter = shared ? "$share/" + std::string(shared->share_name) + "/" + to_space(s.who, shared->filter)
                                : to_space(s.who, f);
    bool had = tenants[s.who.tenant_id].subscriptions.remove(filter, s.key);
    s.subscriptions.erase(filter);
    ack.reasons.push_back(had ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
  }
  send(c, ack);
}

void Broker::Impl::close(Connection& c, bool abnormal) {
  dirty = true;
  if (!c.closing) c.link->close();
  c.closing = true;
  if (Session* s = c.session) {
    c.session = nullptr;
    s->conn = 0;
    s->offline_since_ms = clock();
    connected_gauge.add(-1);
    hooks.on_offline(s->who);
    if (abnormal && s->will) {
      std::uint32_t delay = s->will->properties.will_delay_interval.value_or(0);
      if (delay == 0 || s->expiry_s == 0) publish_will(*s);
      else s->will_due_ms = clock() + static_cast<std::int64_t>(std::min(delay, s->expiry_s)) * 1000;
    }
    if (!abnormal) s->will.reset();
    if (s->expiry_s == 0 && !s->will_due_ms) drop_session(*s);
  }
}

void Broker::Impl::tick() {
  std::int64_t now = clock();
  std::vector<Connection*> expired;
  for (auto& [id, c] : conns) {
    // MQTT 5.0 §3.1.2.10: one and a half times the keep alive without a packet → close.
    if (c->connected && c->keep_alive_s && now - c->last_rx_ms > c->keep_alive_s * 1500LL) expired.push_back(c.get());
    else if (!c->connected && now - c->last_rx_ms > 30'000) expired.push_back(c.get());  // no CONNECT
  }
  for (auto* c : expired) {
    spdlog::info("mqtt {}: keep-alive timeout", c->link->remote());
    if (c->connected && c->version == Version::k5) send(*c, Disconnect{ReasonCode::kKeepAliveTimeout, {}});
    close(*c, true);
  }
  std::vector<Session*> gone;
  for (auto& [key, s] : sessions) {
    if (s->conn) {
      for (auto& [pid, o] : s->inflight)
        if (now - o.sent_ms > static_cast<std::int64_t>(options.retry_interval_s) * 1000) transmit(*s, o, true);
      continue;
    }
    if (s->will_due_ms && now >= s->will_due_ms) {
      s->will_due_ms = 0;
      publish_will(*s);
    }
    if (now - s->offline_since_ms >= static_cast<std::int64_t>(s->expiry_s) * 1000) gone.push_back(s.get());
  }
  for (auto* s : gone) {
    if (s->will_due_ms) publish_will(*s);  // MQTT 5.0 §3.1.2.5: the will goes out when the session ends
    drop_session(*s);
  }
  if (now - last_sys_ms >= 10'000) {
    last_sys_ms = now;
    publish_sys();
  }
  if (now - last_save_ms >= static_cast<std::int64_t>(options.save_interval_ms)) {
    last_save_ms = now;
    if (auto st = save_state(); !st) spdlog::error("mqtt: saving sessions failed: {}", st.error().message);
  }
}

}  // namespace kaiwu::mqtt
