// Decoding of the connection handshake (CONNECT, CONNACK) and the helpers all decoders share.
#include <optional>

#include "mqtt/decode_util.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::mqtt {

using wire::malformed;
using wire::protocol_error;
using wire::Reader;

namespace detail {

std::string name_of(PacketType type) { return std::string(packet_type_name(type)); }

CodecResult<OpenFrame> open_frame(std::span<const std::uint8_t> frame) {
  const auto header = KAIWU_TRY(peek_frame(frame));
  if (!header) return malformed("frame truncated: fixed header incomplete");
  if (frame.size() != header->frame_size()) {
    return malformed("frame is " + std::to_string(frame.size()) + " bytes but its header says " +
                     std::to_string(header->frame_size()));
  }
  return OpenFrame{*header, Reader(frame.subspan(header->header_bytes))};
}

CodecResult<void> expect_flags(PacketType type, std::uint8_t flags, std::uint8_t expected) {
  if (flags == expected) return {};
  return malformed(name_of(type) + ": fixed header flags are " + wire::hex_byte(flags) +
                   ", must be " + wire::hex_byte(expected) + " (MQTT 5.0 §2.1.3)");
}

CodecResult<void> expect_end(const Reader& r, PacketType type) {
  if (r.empty()) return {};
  return malformed(name_of(type) + ": " + std::to_string(r.remaining()) +
                   " unexpected bytes after the last field");
}

CodecResult<std::uint16_t> read_packet_id(Reader& r, PacketType type) {
  const std::uint16_t id = KAIWU_TRY(in(type, r.u16("Packet Identifier")));
  if (id == 0) return protocol_error(name_of(type) + ": Packet Identifier is 0");
  return id;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(text.substr(0, cut)) + "…'";
}

// MQTT 3.1.1 §3.2.2.3 Table 3.1 return codes as MQTT 5.0 reason codes.
std::optional<ReasonCode> from_v311_return_code(std::uint8_t code) {
  switch (code) {
    case 0:
      return ReasonCode::kSuccess;
    case 1:
      return ReasonCode::kUnsupportedProtocolVersion;
    case 2:
      return ReasonCode::kClientIdentifierNotValid;
    case 3:
      return ReasonCode::kServerUnavailable;
    case 4:
      return ReasonCode::kBadUserNameOrPassword;
    case 5:
      return ReasonCode::kNotAuthorized;
    default:
      return std::nullopt;
  }
}

CodecResult<Connack> decode_connack(std::uint8_t flags, Reader r, Version version) {
  KAIWU_TRY_STATUS(expect_flags(PacketType::kConnack, flags, 0));
  const std::uint8_t ack = KAIWU_TRY(r.u8("CONNACK Acknowledge Flags"));
  if ((ack & 0xFE) != 0) {  // §3.2.2.1: bits 7-1 reserved [MQTT-3.2.2-1]
    return malformed("CONNACK: reserved Acknowledge Flags bits set (" + wire::hex_byte(ack) + ")");
  }
  Connack out;
  out.session_present = (ack & 1) != 0;
  const std::uint8_t code = KAIWU_TRY(r.u8("CONNACK reason code"));
  if (version == Version::k311) {
    const auto reason = from_v311_return_code(code);
    if (!reason) return protocol_error("CONNACK: unknown return code " + wire::hex_byte(code));
    out.reason = *reason;
  } else {
    out.reason = static_cast<ReasonCode>(code);
    if (!reason_code_allowed(PacketType::kConnack, out.reason)) {
      return protocol_error("CONNACK: reason code " + wire::hex_byte(code) + " is not allowed");
    }
    out.properties = KAIWU_TRY(wire::decode_properties(r, wire::PropertyScope::kConnack));
  }
  KAIWU_TRY_STATUS(expect_end(r, PacketType::kConnack));
  // MQTT 3.1.1 [MQTT-3.2.2-4], MQTT 5.0 [MQTT-3.2.2-6]: no session with a refusal.
  if (out.session_present && out.reason != ReasonCode::kSuccess) {
    return protocol_error("CONNACK: Session Present with a non-zero reason code");
  }
  return out;
}

}  // namespace detail

namespace {

constexpr std::string_view kProtocolName = "MQTT";  // MQTT 5.0 §3.1.2.1

// Connect Flags, MQTT 5.0 §3.1.2.3 Figure 3-4.
constexpr std::uint8_t kFlagReserved = 0x01;
constexpr std::uint8_t kFlagCleanStart = 0x02;
constexpr std::uint8_t kFlagWill = 0x04;
constexpr std::uint8_t kFlagWillRetain = 0x20;
constexpr std::uint8_t kFlagPassword = 0x40;
constexpr std::uint8_t kFlagUserName = 0x80;
constexpr int kWillQoSShift = 3;

CodecResult<Version> read_protocol(Reader& r) {
  const std::string name = KAIWU_TRY(r.utf8("CONNECT Protocol Name"));
  const std::uint8_t level = KAIWU_TRY(r.u8("CONNECT Protocol Level"));
  // §3.1.2.1-2: a server may answer an unknown protocol with 0x84 and close.
  if (name != kProtocolName) {
    return wire::fail(ReasonCode::kUnsupportedProtocolVersion,
                      "CONNECT: unsupported Protocol Name " + detail::quoted(name) + " level " +
                          std::to_string(level));
  }
  if (level != static_cast<std::uint8_t>(Version::k311) &&
      level != static_cast<std::uint8_t>(Version::k5)) {
    return wire::fail(ReasonCode::kUnsupportedProtocolVersion,
                      "CONNECT: unsupported Protocol Level " + std::to_string(level));
  }
  return static_cast<Version>(level);
}

CodecResult<void> check_connect_flags(std::uint8_t flags, Version version) {
  if ((flags & kFlagReserved) != 0) {  // [MQTT-3.1.2-3]
    return malformed("CONNECT: reserved Connect Flags bit 0 is set");
  }
  const int will_qos = (flags >> kWillQoSShift) & 0x03;
  if ((flags & kFlagWill) == 0) {
    if (will_qos != 0 || (flags & kFlagWillRetain) != 0) {  // [MQTT-3.1.2-11], [MQTT-3.1.2-13]
      return malformed("CONNECT: Will QoS or Will Retain set without the Will Flag");
    }
  } else if (will_qos == 3) {  // §3.1.2.6
    return malformed("CONNECT: Will QoS 3");
  }
  // MQTT 3.1.1 [MQTT-3.1.2-22]: no password without a user name (5.0 allows it, §3.1.2.9).
  if (version == Version::k311 && (flags & kFlagPassword) != 0 && (flags & kFlagUserName) == 0) {
    return malformed("CONNECT: Password Flag set without the User Name Flag");
  }
  return {};
}

CodecResult<Will> read_will(Reader& r, std::uint8_t flags, Version version) {
  Will will;
  will.qos = static_cast<QoS>((flags >> kWillQoSShift) & 0x03);
  will.retain = (flags & kFlagWillRetain) != 0;
  if (version == Version::k5) {
    will.properties = KAIWU_TRY(wire::decode_properties(r, wire::PropertyScope::kWill));
  }
  will.topic = KAIWU_TRY(r.utf8("CONNECT Will Topic"));
  if (!valid_topic_name(will.topic)) {  // [MQTT-3.1.3-11], §4.7.3
    return wire::fail(
        ReasonCode::kTopicNameInvalid,
        "CONNECT: Will Topic " + detail::quoted(will.topic) + " is not a valid Topic Name");
  }
  will.payload = KAIWU_TRY(r.binary("CONNECT Will Payload"));
  return will;
}

}  // namespace

CodecResult<Connect> decode_connect(std::span<const std::uint8_t> frame) {
  auto f = KAIWU_TRY(detail::open_frame(frame));
  if (f.header.type() != PacketType::kConnect) {
    return protocol_error("expected CONNECT, got packet type " +
                          std::to_string(static_cast<int>(f.header.type())));
  }
  KAIWU_TRY_STATUS(detail::expect_flags(PacketType::kConnect, f.flags(), 0));
  Reader& r = f.body;
  Connect out;
  out.version = KAIWU_TRY(read_protocol(r));
  const std::uint8_t flags = KAIWU_TRY(r.u8("CONNECT Connect Flags"));
  KAIWU_TRY_STATUS(check_connect_flags(flags, out.version));
  out.clean_start = (flags & kFlagCleanStart) != 0;
  out.keep_alive = KAIWU_TRY(r.u16("CONNECT Keep Alive"));
  if (out.version == Version::k5) {
    out.properties = KAIWU_TRY(wire::decode_properties(r, wire::PropertyScope::kConnect));
  }
  // Payload order is fixed: §3.1.3.
  out.client_id = KAIWU_TRY(r.utf8("CONNECT Client Identifier"));
  if ((flags & kFlagWill) != 0) out.will = KAIWU_TRY(read_will(r, flags, out.version));
  if ((flags & kFlagUserName) != 0) out.username = KAIWU_TRY(r.utf8("CONNECT User Name"));
  if ((flags & kFlagPassword) != 0) out.password = KAIWU_TRY(r.binary("CONNECT Password"));
  KAIWU_TRY_STATUS(detail::expect_end(r, PacketType::kConnect));
  return out;
}

}  // namespace kaiwu::mqtt
