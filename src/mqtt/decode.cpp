// Frame splitting and decoding of every packet after CONNECT / CONNACK; one function per type.
#include "mqtt/decode_util.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::mqtt {

using detail::expect_end;
using detail::expect_flags;
using detail::name_of;
using detail::read_packet_id;
using wire::malformed;
using wire::PropertyScope;
using wire::protocol_error;
using wire::Reader;

namespace {

// Fixed header flags of PUBREL, SUBSCRIBE, UNSUBSCRIBE (MQTT 5.0 §2.1.3 Table 2-2).
constexpr std::uint8_t kFlags0010 = 0x02;

// PUBLISH fixed header flags, MQTT 5.0 §3.3.1.
constexpr std::uint8_t kPublishDup = 0x08;
constexpr std::uint8_t kPublishRetain = 0x01;

// Subscription Options, MQTT 5.0 §3.8.3.1 Figure 3-21.
constexpr std::uint8_t kOptQoS = 0x03;
constexpr std::uint8_t kOptNoLocal = 0x04;
constexpr std::uint8_t kOptRetainAsPublished = 0x08;
constexpr int kOptRetainHandlingShift = 4;
constexpr std::uint8_t kOptReserved5 = 0xC0;    // MQTT 5.0 [MQTT-3.8.3-5]
constexpr std::uint8_t kOptReserved311 = 0xFC;  // MQTT 3.1.1 [MQTT-3.8.3-4]

CodecResult<Publish> decode_publish(std::uint8_t flags, Reader r, Version version) {
  Publish out;
  out.dup = (flags & kPublishDup) != 0;
  out.retain = (flags & kPublishRetain) != 0;
  const int qos = (flags >> 1) & 0x03;
  if (qos == 3) return malformed("PUBLISH: QoS 3");  // [MQTT-3.3.1-4]
  out.qos = static_cast<QoS>(qos);
  if (out.dup && out.qos == QoS::k0)
    return malformed("PUBLISH: DUP set on QoS 0");  // [MQTT-3.3.1-2]
  out.topic = KAIWU_TRY(r.utf8("PUBLISH Topic Name"));
  if (out.qos != QoS::k0) out.packet_id = KAIWU_TRY(read_packet_id(r, PacketType::kPublish));
  if (version == Version::k5) {
    out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kPublish));
  }
  if (out.topic.empty()) {
    // §3.3.2.1: 5.0 allows an empty Topic Name only together with a Topic Alias (§3.3.2.3.4).
    if (version == Version::k5 && !out.properties.topic_alias) {
      return protocol_error("PUBLISH: empty Topic Name without a Topic Alias");
    }
    if (version == Version::k311) {  // MQTT 3.1.1 [MQTT-4.7.3-1]
      return wire::fail(ReasonCode::kTopicNameInvalid, "PUBLISH: empty Topic Name");
    }
  } else if (out.topic.find_first_of("+#") != std::string::npos) {  // [MQTT-3.3.2-2]
    return wire::fail(ReasonCode::kTopicNameInvalid,
                      "PUBLISH: Topic Name " + detail::quoted(out.topic) + " contains a wildcard");
  }
  out.payload = r.rest();
  return out;
}

template <typename T>
CodecResult<T> decode_publish_response(std::uint8_t flags, Reader r, Version version) {
  constexpr PacketType kType = T::kPacketType;
  KAIWU_TRY_STATUS(expect_flags(kType, flags, kType == PacketType::kPubrel ? kFlags0010 : 0));
  T out;
  out.packet_id = KAIWU_TRY(read_packet_id(r, kType));
  // MQTT 5.0 §3.4.2.1: Remaining Length 2 means reason 0x00 and no properties; below 4 there is
  // no Property Length. MQTT 3.1.1 has only the packet id.
  if (version == Version::k5 && !r.empty()) {
    const std::uint8_t code = KAIWU_TRY(detail::in(kType, r.u8("reason code")));
    out.reason = static_cast<ReasonCode>(code);
    if (!reason_code_allowed(kType, out.reason)) {
      return protocol_error(name_of(kType) + ": reason code " + wire::hex_byte(code) +
                            " is not allowed");
    }
    if (!r.empty()) {
      out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kPublishResponse));
    }
  }
  KAIWU_TRY_STATUS(expect_end(r, kType));
  return out;
}

CodecResult<Subscription> read_subscription(Reader& r, Version version) {
  Subscription s;
  s.filter = KAIWU_TRY(r.utf8("SUBSCRIBE Topic Filter"));
  const std::uint8_t opts = KAIWU_TRY(r.u8("SUBSCRIBE Subscription Options"));
  const std::uint8_t reserved = version == Version::k5 ? kOptReserved5 : kOptReserved311;
  if ((opts & reserved) != 0) {
    return malformed("SUBSCRIBE: reserved Subscription Options bits set (" + wire::hex_byte(opts) +
                     ")");
  }
  if ((opts & kOptQoS) == 3) return malformed("SUBSCRIBE: QoS 3");  // §3.8.3.1
  s.qos = static_cast<QoS>(opts & kOptQoS);
  s.no_local = (opts & kOptNoLocal) != 0;
  s.retain_as_published = (opts & kOptRetainAsPublished) != 0;
  const int retain_handling = (opts >> kOptRetainHandlingShift) & 0x03;
  if (retain_handling == 3) return protocol_error("SUBSCRIBE: Retain Handling 3");  // §3.8.3.1
  s.retain_handling = static_cast<RetainHandling>(retain_handling);
  if (!valid_topic_filter(s.filter)) {  // §4.7.1, §4.8.2
    return wire::fail(ReasonCode::kTopicFilterInvalid,
                      "SUBSCRIBE: Topic Filter " + detail::quoted(s.filter) + " is not valid");
  }
  if (s.no_local && parse_shared_filter(s.filter)) {  // [MQTT-3.8.3-4]
    return protocol_error("SUBSCRIBE: No Local set on Shared Subscription " +
                          detail::quoted(s.filter));
  }
  return s;
}

CodecResult<Subscribe> decode_subscribe(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kSubscribe, flags, kFlags0010));  // [MQTT-3.8.1-1]
  Subscribe out;
  out.packet_id = KAIWU_TRY(read_packet_id(r, PacketType::kSubscribe));
  if (version == Version::k5) {
    out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kSubscribe));
  }
  while (!r.empty()) out.subscriptions.push_back(KAIWU_TRY(read_subscription(r, version)));
  if (out.subscriptions.empty()) {  // [MQTT-3.8.3-2]
    return protocol_error("SUBSCRIBE: no Topic Filter");
  }
  return out;
}

// SUBACK / UNSUBACK payload: one reason code per filter, at least one.
CodecResult<std::vector<ReasonCode>> read_reason_list(Reader& r, PacketType type, Version version) {
  std::vector<ReasonCode> reasons;
  reasons.reserve(r.remaining());
  while (!r.empty()) {
    const std::uint8_t code = KAIWU_TRY(detail::in(type, r.u8("reason code")));
    const auto reason = static_cast<ReasonCode>(code);
    // MQTT 3.1.1 §3.9.3: SUBACK return codes are 0x00-0x02 and 0x80 (Failure).
    const bool ok = version == Version::k311 ? (code <= 0x02 || code == 0x80)
                                             : reason_code_allowed(type, reason);
    if (!ok) {
      return protocol_error(name_of(type) + ": reason code " + wire::hex_byte(code) +
                            " is not allowed");
    }
    reasons.push_back(reason);
  }
  if (reasons.empty()) return protocol_error(name_of(type) + ": no reason code");
  return reasons;
}

CodecResult<Suback> decode_suback(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kSuback, flags, 0));
  Suback out;
  out.packet_id = KAIWU_TRY(read_packet_id(r, PacketType::kSuback));
  if (version == Version::k5) {
    out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kSuback));
  }
  out.reasons = KAIWU_TRY(read_reason_list(r, PacketType::kSuback, version));
  return out;
}

CodecResult<Unsubscribe> decode_unsubscribe(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kUnsubscribe, flags, kFlags0010));  // [MQTT-3.10.1-1]
  Unsubscribe out;
  out.packet_id = KAIWU_TRY(read_packet_id(r, PacketType::kUnsubscribe));
  if (version == Version::k5) {
    out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kUnsubscribe));
  }
  while (!r.empty()) {
    std::string filter = KAIWU_TRY(r.utf8("UNSUBSCRIBE Topic Filter"));
    if (!valid_topic_filter(filter)) {
      return wire::fail(ReasonCode::kTopicFilterInvalid,
                        "UNSUBSCRIBE: Topic Filter " + detail::quoted(filter) + " is not valid");
    }
    out.filters.push_back(std::move(filter));
  }
  if (out.filters.empty())
    return protocol_error("UNSUBSCRIBE: no Topic Filter");  // [MQTT-3.10.3-2]
  return out;
}

CodecResult<Unsuback> decode_unsuback(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kUnsuback, flags, 0));
  Unsuback out;
  out.packet_id = KAIWU_TRY(read_packet_id(r, PacketType::kUnsuback));
  if (version == Version::k5) {  // MQTT 3.1.1 §3.11: packet id only
    out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kUnsuback));
    out.reasons = KAIWU_TRY(read_reason_list(r, PacketType::kUnsuback, version));
  }
  KAIWU_TRY_STATUS(expect_end(r, PacketType::kUnsuback));
  return out;
}

template <typename T>
CodecResult<T> decode_empty(PacketType type, std::uint8_t flags, const Reader& r) {
  KAIWU_TRY_STATUS(expect_flags(type, flags, 0));
  KAIWU_TRY_STATUS(expect_end(r, type));  // §3.12.2, §3.13.2: no variable header
  return T{};
}

CodecResult<Disconnect> decode_disconnect(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kDisconnect, flags, 0));
  Disconnect out;
  // MQTT 5.0 §3.14.2.1: Remaining Length 0 means 0x00; below 2 there is no Property Length.
  if (version == Version::k5 && !r.empty()) {
    const std::uint8_t code = KAIWU_TRY(r.u8("DISCONNECT reason code"));
    out.reason = static_cast<ReasonCode>(code);
    if (!reason_code_allowed(PacketType::kDisconnect, out.reason)) {
      return protocol_error("DISCONNECT: reason code " + wire::hex_byte(code) + " is not allowed");
    }
    if (!r.empty()) {
      out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kDisconnect));
    }
  }
  KAIWU_TRY_STATUS(expect_end(r, PacketType::kDisconnect));
  return out;
}

CodecResult<Auth> decode_auth(std::uint8_t flags, Reader r, Version version) {
  if (version == Version::k311) return malformed("packet type 15 (AUTH) is reserved in MQTT 3.1.1");
  KAIWU_TRY_STATUS(expect_flags(PacketType::kAuth, flags, 0));  // [MQTT-3.15.1-1]
  Auth out;
  // §3.15.2.1: reason and properties are omitted together (Remaining Length 0) or both present.
  if (r.empty()) return out;
  const std::uint8_t code = KAIWU_TRY(r.u8("AUTH reason code"));
  out.reason = static_cast<ReasonCode>(code);
  if (!reason_code_allowed(PacketType::kAuth, out.reason)) {  // [MQTT-3.15.2-1]
    return protocol_error("AUTH: reason code " + wire::hex_byte(code) + " is not allowed");
  }
  out.properties = KAIWU_TRY(wire::decode_properties(r, PropertyScope::kAuth));
  KAIWU_TRY_STATUS(expect_end(r, PacketType::kAuth));
  // §3.15.2.2.2: omitting the Authentication Method is a Protocol Error (the short form above
  // is the exception the spec itself defines).
  const bool short_form = out.reason == ReasonCode::kSuccess && out.properties == Properties{};
  if (!short_form && !out.properties.authentication_method) {
    return protocol_error("AUTH: no Authentication Method");
  }
  return out;
}

template <typename T>
CodecResult<Packet> as_packet(CodecResult<T>&& r) {
  if (!r) return std::unexpected(std::move(r.error()));
  return Packet(std::move(*r));
}

}  // namespace

CodecResult<std::optional<FrameHeader>> peek_frame(std::span<const std::uint8_t> buffer,
                                                   std::uint32_t max_packet_size) {
  if (buffer.empty()) return std::nullopt;
  const std::uint8_t first = buffer[0];
  if ((first >> 4) == 0) return malformed("packet type 0 is reserved");  // §2.1.2
  const wire::VbiParse v = wire::parse_vbi(buffer.subspan(1));
  switch (v.status) {
    case wire::VbiStatus::kNeedMore:
      return std::nullopt;
    case wire::VbiStatus::kTooLong:
      return malformed("Remaining Length longer than 4 bytes");
    case wire::VbiStatus::kNotMinimal:  // [MQTT-1.5.5-1]
      return malformed("Remaining Length not minimally encoded");
    case wire::VbiStatus::kOk:
      break;
  }
  FrameHeader h{first, v.value, 1 + v.bytes};
  if (h.frame_size() > max_packet_size) {  // §3.1.2.11.4: the limit counts the whole packet
    return wire::fail(ReasonCode::kPacketTooLarge, name_of(h.type()) + " of " +
                                                       std::to_string(h.frame_size()) +
                                                       " bytes exceeds the Maximum Packet Size " +
                                                       std::to_string(max_packet_size));
  }
  return h;
}

CodecResult<Packet> decode(std::span<const std::uint8_t> frame, Version version) {
  auto f = KAIWU_TRY(detail::open_frame(frame));
  const std::uint8_t flags = f.flags();
  Reader& r = f.body;
  switch (f.header.type()) {
    case PacketType::kConnect:
      return as_packet(decode_connect(frame));
    case PacketType::kConnack:
      return as_packet(detail::decode_connack(flags, r, version));
    case PacketType::kPublish:
      return as_packet(decode_publish(flags, r, version));
    case PacketType::kPuback:
      return as_packet(decode_publish_response<Puback>(flags, r, version));
    case PacketType::kPubrec:
      return as_packet(decode_publish_response<Pubrec>(flags, r, version));
    case PacketType::kPubrel:
      return as_packet(decode_publish_response<Pubrel>(flags, r, version));
    case PacketType::kPubcomp:
      return as_packet(decode_publish_response<Pubcomp>(flags, r, version));
    case PacketType::kSubscribe:
      return as_packet(decode_subscribe(flags, r, version));
    case PacketType::kSuback:
      return as_packet(decode_suback(flags, r, version));
    case PacketType::kUnsubscribe:
      return as_packet(decode_unsubscribe(flags, r, version));
    case PacketType::kUnsuback:
      return as_packet(decode_unsuback(flags, r, version));
    case PacketType::kPingreq:
      return as_packet(decode_empty<Pingreq>(PacketType::kPingreq, flags, r));
    case PacketType::kPingresp:
      return as_packet(decode_empty<Pingresp>(PacketType::kPingresp, flags, r));
    case PacketType::kDisconnect:
      return as_packet(decode_disconnect(flags, r, version));
    case PacketType::kAuth:
      return as_packet(decode_auth(flags, r, version));
  }
  return malformed("packet type 0 is reserved");
}

}  // namespace kaiwu::mqtt
