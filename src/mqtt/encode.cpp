// Encoding: one body writer per packet type. Each body is written twice through wire::Writer,
// once only counting (for the Remaining Length) and once into the reserved output string.
#include <variant>

#include "mqtt/codec.hpp"
#include "mqtt/wire.hpp"

namespace kaiwu::mqtt {
namespace {

using wire::PropertyScope;
using wire::Writer;

constexpr std::string_view kProtocolName = "MQTT";  // MQTT 5.0 §3.1.2.1

std::uint8_t type_bits(PacketType type) { return static_cast<std::uint8_t>(type) << 4; }

// MQTT 5.0 reason code → MQTT 3.1.1 CONNACK return code (§3.2.2.3 Table 3.1): the inverse of
// the decoding map, other refusals as 3 (Server unavailable), the closest 3.1.1 has.
std::uint8_t v311_return_code(ReasonCode reason) {
  switch (reason) {
    case ReasonCode::kSuccess:
      return 0;
    case ReasonCode::kUnsupportedProtocolVersion:
      return 1;
    case ReasonCode::kClientIdentifierNotValid:
      return 2;
    case ReasonCode::kBadUserNameOrPassword:
    case ReasonCode::kBadAuthenticationMethod:
      return 4;
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kBanned:
      return 5;
    default:
      return 3;
  }
}

std::uint8_t code(ReasonCode reason) { return static_cast<std::uint8_t>(reason); }

// --- first byte of the fixed header (MQTT 5.0 §2.1.2-3) ---

std::uint8_t first_byte(const Connect&) { return type_bits(PacketType::kConnect); }
std::uint8_t first_byte(const Connack&) { return type_bits(PacketType::kConnack); }
std::uint8_t first_byte(const Publish& p) {
  return type_bits(PacketType::kPublish) | (p.dup ? 0x08 : 0) |
         static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.qos) << 1) | (p.retain ? 0x01 : 0);
}
template <PacketType kType>
std::uint8_t first_byte(const PublishResponse<kType>&) {
  return type_bits(kType) | (kType == PacketType::kPubrel ? 0x02 : 0);
}
std::uint8_t first_byte(const Subscribe&) { return type_bits(PacketType::kSubscribe) | 0x02; }
std::uint8_t first_byte(const Suback&) { return type_bits(PacketType::kSuback); }
std::uint8_t first_byte(const Unsubscribe&) { return type_bits(PacketType::kUnsubscribe) | 0x02; }
std::uint8_t first_byte(const Unsuback&) { return type_bits(PacketType::kUnsuback); }
std::uint8_t first_byte(const Pingreq&) { return type_bits(PacketType::kPingreq); }
std::uint8_t first_byte(const Pingresp&) { return type_bits(PacketType::kPingresp); }
std::uint8_t first_byte(const Disconnect&) { return type_bits(PacketType::kDisconnect); }
std::uint8_t first_byte(const Auth&) { return type_bits(PacketType::kAuth); }

// --- bodies: variable header and payload ---

void write_body(const Connect& c, Version v, Writer& w) {
  w.str(kProtocolName);
  w.u8(static_cast<std::uint8_t>(v));
  std::uint8_t flags = c.clean_start ? 0x02 : 0;  // §3.1.2.3 Figure 3-4
  if (c.will) {
    flags |= 0x04 | static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.will->qos) << 3);
    if (c.will->retain) flags |= 0x20;
  }
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  w.u8(flags);
  w.u16(c.keep_alive);
  if (v == Version::k5) wire::write_properties(w, c.properties, PropertyScope::kConnect);
  w.str(c.client_id);
  if (c.will) {
    if (v == Version::k5) wire::write_properties(w, c.will->properties, PropertyScope::kWill);
    w.str(c.will->topic);
    w.str(c.will->payload);
  }
  if (c.username) w.str(*c.username);
  if (c.password) w.str(*c.password);
}

void write_body(const Connack& c, Version v, Writer& w) {
  w.u8(c.session_present ? 1 : 0);
  if (v == Version::k311) {
    w.u8(v311_return_code(c.reason));
    return;
  }
  w.u8(code(c.reason));
  wire::write_properties(w, c.properties, PropertyScope::kConnack);
}

void write_body(const Publish& p, Version v, Writer& w) {
  w.str(p.topic);
  if (p.qos != QoS::k0) w.u16(p.packet_id);
  if (v == Version::k5) wire::write_properties(w, p.properties, PropertyScope::kPublish);
  w.raw(p.payload);
}

template <PacketType kType>
void write_body(const PublishResponse<kType>& p, Version v, Writer& w) {
  w.u16(p.packet_id);
  if (v == Version::k311) return;
  // §3.4.2.1: reason and Property Length may be left out when they carry nothing.
  const bool no_props = wire::no_properties(p.properties, PropertyScope::kPublishResponse);
  if (p.reason == ReasonCode::kSuccess && no_props) return;
  w.u8(code(p.reason));
  if (!no_props) wire::write_properties(w, p.properties, PropertyScope::kPublishResponse);
}

void write_body(const Subscribe& s, Version v, Writer& w) {
  w.u16(s.packet_id);
  if (v == Version::k5) wire::write_properties(w, s.properties, PropertyScope::kSubscribe);
  for (const Subscription& sub : s.subscriptions) {
    w.str(sub.filter);
    auto opts = static_cast<std::uint8_t>(sub.qos);  // §3.8.3.1 Figure 3-21
    if (v == Version::k5) {
      if (sub.no_local) opts |= 0x04;
      if (sub.retain_as_published) opts |= 0x08;
      opts |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(sub.retain_handling) << 4);
    }
    w.u8(opts);
  }
}

void write_body(const Suback& s, Version v, Writer& w) {
  w.u16(s.packet_id);
  if (v == Version::k5) wire::write_properties(w, s.properties, PropertyScope::kSuback);
  for (const ReasonCode r : s.reasons) {
    // MQTT 3.1.1 §3.9.3 knows one failure code, 0x80.
    w.u8(v == Version::k311 && code(r) >= 0x80 ? 0x80 : code(r));
  }
}

void write_body(const Unsubscribe& u, Version v, Writer& w) {
  w.u16(u.packet_id);
  if (v == Version::k5) wire::write_properties(w, u.properties, PropertyScope::kUnsubscribe);
  for (const std::string& filter : u.filters) w.str(filter);
}

void write_body(const Unsuback& u, Version v, Writer& w) {
  w.u16(u.packet_id);
  if (v == Version::k311) return;
  wire::write_properties(w, u.properties, PropertyScope::kUnsuback);
  for (const ReasonCode r : u.reasons) w.u8(code(r));
}

void write_body(const Pingreq&, Version, Writer&) {}
void write_body(const Pingresp&, Version, Writer&) {}

void write_body(const Disconnect& d, Version v, Writer& w) {
  if (v == Version::k311) return;
  // §3.14.2.1: Remaining Length 0 stands for 0x00 without properties.
  const bool no_props = wire::no_properties(d.properties, PropertyScope::kDisconnect);
  if (d.reason == ReasonCode::kNormalDisconnection && no_props) return;
  w.u8(code(d.reason));
  if (!no_props) wire::write_properties(w, d.properties, PropertyScope::kDisconnect);
}

void write_body(const Auth& a, Version, Writer& w) {
  // §3.15.2.1: the short form (Remaining Length 0) only for 0x00 without properties.
  if (a.reason == ReasonCode::kSuccess && wire::no_properties(a.properties, PropertyScope::kAuth)) {
    return;
  }
  w.u8(code(a.reason));
  wire::write_properties(w, a.properties, PropertyScope::kAuth);
}

template <typename T>
std::size_t body_size(const T& packet, Version v) {
  Writer counter;
  write_body(packet, v, counter);
  return counter.size();
}

}  // namespace

std::string encode(const Packet& packet, Version version) {
  return std::visit(
      [version](const auto& p) {
        const std::size_t body = body_size(p, version);
        const auto remaining = static_cast<std::uint32_t>(body);
        std::string out;
        out.reserve(1 + wire::vbi_size(remaining) + body);
        Writer w(&out);
        w.u8(first_byte(p));
        w.vbi(remaining);
        write_body(p, version, w);
        return out;
      },
      packet);
}

std::size_t encoded_size(const Packet& packet, Version version) {
  return std::visit(
      [version](const auto& p) {
        const std::size_t body = body_size(p, version);
        return 1 + wire::vbi_size(static_cast<std::uint32_t>(body)) + body;
      },
      packet);
}

}  // namespace kaiwu::mqtt
