// Routing and delivery: from a published message to the sessions whose subscriptions match,
// through QoS flows, receive maximum, offline queues and retained messages.
#include <spdlog/spdlog.h>

#include "mqtt/broker_impl.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::mqtt {

namespace {
constexpr std::string_view kMe = "v1/devices/me";
constexpr std::string_view kGateway = "v1/gateway";  // a gateway's own topics

// topic is `prefix` itself or below it.
bool at_or_below(std::string_view topic, std::string_view prefix) {
  return topic.starts_with(prefix) && (topic.size() == prefix.size() || topic[prefix.size()] == '/');
}
}  // namespace

// A device's v1/devices/me/… is v1/devices/<id>/… in its tenant's space, and a gateway's
// v1/gateway/… is v1/gateways/<id>/…, so that each gateway has its own RPC and attribute topics.
std::string Broker::Impl::to_space(const ClientIdentity& who, std::string_view topic) const {
  if (who.is_device && at_or_below(topic, kMe))
    return "v1/devices/" + who.device_id + std::string(topic.substr(kMe.size()));
  if (who.is_gateway && at_or_below(topic, kGateway))
    return "v1/gateways/" + who.device_id + std::string(topic.substr(kGateway.size()));
  return std::string(topic);
}

std::string Broker::Impl::from_space(const Session& s, std::string_view topic) const {
  if (!s.who.is_device) return std::string(topic);
  std::string own = "v1/devices/" + s.who.device_id;
  if (at_or_below(topic, own)) return std::string(kMe) + std::string(topic.substr(own.size()));
  if (s.who.is_gateway) {
    std::string gw = "v1/gateways/" + s.who.device_id;
    if (at_or_below(topic, gw)) return std::string(kGateway) + std::string(topic.substr(gw.size()));
  }
  return std::string(topic);
}

void Broker::Impl::route(const std::string& tenant, MessagePtr m, bool forward) {
  dirty = true;
  if (forward && peers) {
    Publish p;
    p.topic = m->topic;
    p.payload = m->payload;
    p.qos = m->qos;
    p.retain = m->retain;
    p.packet_id = m->qos == QoS::k0 ? 0 : 1;  // a frame needs one; the peer assigns its own
    p.properties = m->properties;
    peers->forward(tenant, p, m->expires_ms, m->origin);
  }
  auto& space = tenants[tenant];
  if (m->retain) {
    // MQTT 5.0 §3.3.1.3: an empty retained message clears the topic.
    if (m->payload.empty()) space.retained.erase(m->topic);
    else if (space.retained.size() < options.max_retained_per_tenant || space.retained.contains(m->topic))
      space.retained[m->topic] = m;
    else dropped.inc();
  }
  // Several matching subscriptions of one session deliver once, at the highest QoS.
  std::map<std::string, SubOptions> targets;
  auto visit = [&](const std::string& key, const SubOptions& o) {
    if (o.no_local && key == m->origin) return;
    auto [it, inserted] = targets.emplace(key, o);
    if (!inserted && o.qos > it->second.qos) it->second = o;
  };
  auto pick = [&](const std::map<std::string, SubOptions>& members) -> const std::string* {
    // Round robin over the group, preferring sessions that are online.
    std::vector<const std::string*> online, all;
    for (const auto& [key, o] : members) {
      all.push_back(&key);
      auto s = sessions.find(key);
      if (s != sessions.end() && s->second->conn) online.push_back(&key);
    }
    auto& pool = online.empty() ? all : online;
    if (pool.empty()) return nullptr;
    std::size_t& cursor = round_robin[tenant + '\0' + *pool.front()];
    return pool[cursor++ % pool.size()];
  };
  space.subscriptions.match(m->topic, visit, pick);
  for (auto& [key, o] : targets) {
    auto it = sessions.find(key);
    if (it != sessions.end()) deliver(*it->second, m, o);
  }
}

void Broker::Impl::deliver(Session& s, MessagePtr m, const SubOptions& options_) {
  Outgoing o;
  o.message = std::move(m);
  o.qos = std::min(o.message->qos, options_.qos);
  o.retain = options_.retain_as_published && o.message->retain;
  o.subscription_id = options_.subscription_id;
  if (o.qos == QoS::k0 && !s.conn) return;  // QoS 0 is not kept for offline sessions
  if (s.queued.size() >= options.max_queued_per_session) {
    dropped.inc();
    return;
  }
  s.queued.push_back(std::move(o));
  pump(s);
}

// Moves queued messages into flight while the client's receive maximum allows.
void Broker::Impl::pump(Session& s) {
  if (!s.conn) return;
  while (!s.queued.empty()) {
    Outgoing& next = s.queued.front();
    if (next.qos != QoS::k0) {
      if (s.inflight.size() >= s.client_receive_maximum) return;
      std::uint16_t pid = s.next_packet_id;
      for (int tries = 0; s.inflight.contains(pid) && tries < 65535; ++tries) pid = pid == 65535 ? 1 : pid + 1;
      s.next_packet_id = pid == 65535 ? 1 : pid + 1;
      next.packet_id = pid;
      auto [it, ok] = s.inflight.emplace(pid, std::move(next));
      s.queued.pop_front();
      transmit(s, it->second, false);
    } else {
      Outgoing o = std::move(next);
      s.queued.pop_front();
      transmit(s, o, false);
    }
  }
}

void Broker::Impl::transmit(Session& s, Outgoing& o, bool dup) {
  auto c = conns.find(s.conn);
  if (c == conns.end() || c->second->closing) return;
  std::int64_t now = clock();
  o.sent_ms = now;
  if (o.released) {  // QoS 2 after PUBREC: resend PUBREL, not the message (MQTT 5.0 §4.4)
    send(*c->second, Pubrel{o.packet_id, ReasonCode::kSuccess, {}});
    return;
  }
  const Message& m = *o.message;
  Publish p;
  if (m.expires_ms) {
    if (now >= m.expires_ms) {  // MQTT 5.0 §3.3.2.3.3: expired messages are not delivered
      dropped.inc();
      if (o.qos != QoS::k0) s.inflight.erase(o.packet_id);
      return;
    }
    p.properties.message_expiry_interval = static_cast<std::uint32_t>((m.expires_ms - now + 999) / 1000);
  }
  p.dup = dup && o.qos != QoS::k0;
  p.qos = o.qos;
  p.retain = o.retain;
  p.topic = from_space(s, m.topic);
  p.packet_id = o.packet_id;
  p.payload = m.payload;
  p.properties.payload_format_indicator = m.properties.payload_format_indicator;
  p.properties.content_type = m.properties.content_type;
  p.properties.response_topic = m.properties.response_topic;
  p.properties.correlation_data = m.properties.correlation_data;
  p.properties.user_properties = m.properties.user_properties;
  if (o.subscription_id) p.properties.subscription_identifiers.push_back(o.subscription_id);
  auto bytes = encode(p, s.version);
  if (bytes.size() > s.client_max_packet) {  // MQTT 5.0 §3.1.2.11.4: discard, as if delivered
    dropped.inc();
    if (o.qos != QoS::k0) s.inflight.erase(o.packet_id);
    return;
  }
  sent.inc();
  c->second->link->send(std::move(bytes));
}

void Broker::Impl::on_ack(Connection& c, PacketType type, std::uint16_t packet_id) {
  Session& s = *c.session;
  auto it = s.inflight.find(packet_id);
  if (it == s.inflight.end()) {
    if (type == PacketType::kPubrec) send(c, Pubrel{packet_id, ReasonCode::kPacketIdentifierNotFound, {}});
    return;
  }
  Outgoing& o = it->second;
  if (type == PacketType::kPuback && o.qos == QoS::k1) {
    s.inflight.erase(it);
  } else if (type == PacketType::kPubrec && o.qos == QoS::k2) {
    o.released = true;
    send(c, Pubrel{packet_id, ReasonCode::kSuccess, {}});
  } else if (type == PacketType::kPubcomp && o.qos == QoS::k2 && o.released) {
    s.inflight.erase(it);
  } else {
    return protocol_error(c, ReasonCode::kProtocolError, "acknowledgement does not match the QoS flow");
  }
  pump(s);
}

void Broker::Impl::send_retained(Session& s, const std::string& filter, const SubOptions& o) {
  auto& space = tenants[s.who.tenant_id];
  for (const auto& [topic, m] : space.retained) {
    if (!topic_matches(filter, topic)) continue;
    Outgoing out;
    out.message = m;
    out.qos = std::min(m->qos, o.qos);
    out.retain = true;  // MQTT 5.0 §3.3.1.3: retained on subscribe keep RETAIN set
    out.subscription_id = o.subscription_id;
    s.queued.push_back(std::move(out));
  }
}

void Broker::Impl::publish_will(Session& s) {
  if (!s.will) return;
  auto m = std::make_shared<Message>();
  m->topic = to_space(s.who, s.will->topic);
  m->payload = s.will->payload;
  m->qos = s.will->qos;
  m->retain = s.will->retain;
  m->properties = s.will->properties;
  m->properties.will_delay_interval.reset();
  m->origin = s.key;
  if (m->properties.message_expiry_interval)
    m->expires_ms = clock() + static_cast<std::int64_t>(*m->properties.message_expiry_interval) * 1000;
  s.will.reset();
  route(s.who.tenant_id, std::move(m));
}

void Broker::Impl::drop_session(Session& s) {
  dirty = true;
  auto& space = tenants[s.who.tenant_id];
  for (const auto& [filter, o] : s.subscriptions) space.subscriptions.remove(filter, s.key);
  sessions.erase(s.key);  // s is gone after this line
}

void Broker::Impl::publish_sys() {
  auto sys = [&](const std::string& topic, std::string value) {
    auto m = std::make_shared<Message>();
    m->topic = "$SYS/broker/" + topic;
    m->payload = std::move(value);
    m->retain = true;
    route("", std::move(m), false);  // per node: not forwarded
  };
  std::size_t subs = 0, retained = 0;
  for (auto& [t, space] : tenants) {
    subs += space.subscriptions.size();
    retained += space.retained.size();
  }
  std::size_t online = 0;
  for (auto& [k, s] : sessions) online += s->conn ? 1 : 0;
  sys("uptime", std::to_string((clock() - started_ms) / 1000) + " seconds");
  sys("clients/connected", std::to_string(online));
  sys("clients/total", std::to_string(sessions.size()));
  sys("messages/received", std::to_string(received.value()));
  sys("messages/sent", std::to_string(sent.value()));
  sys("messages/dropped", std::to_string(dropped.value()));
  sys("subscriptions/count", std::to_string(subs));
  sys("retained messages/count", std::to_string(retained));
}

}  // namespace kaiwu::mqtt
