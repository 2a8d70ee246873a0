// Sans-I/O MQTT 3.1.1 / 5.0 codec: bytes in, packet values out, and back. No sockets, clocks,
// logs or session state here; the broker and clients keep those and call these functions from
// any thread (everything is pure and reentrant).
//
// Reading a stream:
//   1. peek_frame(buffered, max_packet_size) until it yields a FrameHeader
//      (nullopt = need more bytes; an error = close the connection, see CodecError::reason);
//   2. once header_bytes + remaining_length bytes are buffered, decode that frame:
//      decode_connect() for the first packet of a connection (it learns the Version from the
//      Protocol Level), decode(frame, version) for every later one.
//
// Decoding treats its input as hostile: it never reads out of bounds, never allocates more
// than a small multiple of the frame size, and rejects everything MQTT 3.1.1 / 5.0 call a
// Malformed Packet or a Protocol Error that can be seen in one packet (reserved flag bits,
// QoS 3, packet id 0, bad UTF-8 or U+0000, repeated or misplaced properties, out-of-range
// property values, wildcards in a Topic Name, invalid Topic Filters, empty SUBSCRIBE, …).
// Checks that need session state (Topic Alias Maximum, Receive Maximum, packet ids in flight,
// a second CONNECT, direction of a packet) are the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "mqtt/packets.hpp"

namespace kaiwu::mqtt {

// Why bytes were rejected, and the reason code to answer with: in MQTT 5.0 a CONNACK (for the
// first packet) or DISCONNECT carrying `reason`; in 3.1.1 the connection is simply closed
// (or, for kUnsupportedProtocolVersion, a CONNACK with return code 0x01 is sent first).
struct CodecError {
  ReasonCode reason = ReasonCode::kMalformedPacket;
  std::string message;  // names the packet and the offending field

  // kPayloadTooLarge for kPacketTooLarge, kInvalidArgument for everything else.
  Errc errc() const;
  // As a Kaiwu Error: errc() and "<message> (MQTT reason 0x81 Malformed Packet)".
  Error to_error() const;
};

template <typename T>
using CodecResult = std::expected<T, CodecError>;

// Largest Remaining Length a Variable Byte Integer can carry (MQTT 5.0 §1.5.5, §2.1.4).
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;
// Largest whole packet: 1 type byte + 4 length bytes + kMaxRemainingLength.
inline constexpr std::uint32_t kMaxPacketSize = kMaxRemainingLength + 5;

struct FrameHeader {
  std::uint8_t type_flags = 0;  // byte 1 of the fixed header (MQTT 5.0 §2.1.1)
  std::uint32_t remaining_length = 0;
  std::size_t header_bytes = 0;  // 2..5

  PacketType type() const { return static_cast<PacketType>(type_flags >> 4); }
  std::size_t frame_size() const { return header_bytes + remaining_length; }
};

// Reads the fixed header at the start of `buffer` (which may hold more than one frame).
// Returns nullopt while the header is incomplete. Errors: packet type 0 (reserved), a Remaining
// Length longer than 4 bytes or not minimally encoded (kMalformedPacket, MQTT 5.0 §1.5.5), or a
// whole packet larger than `max_packet_size` bytes (kPacketTooLarge, MQTT 5.0 §3.1.2.11.4) —
// reported as soon as the header is complete, before the body arrives.
CodecResult<std::optional<FrameHeader>> peek_frame(std::span<const std::uint8_t> buffer,
                                                   std::uint32_t max_packet_size = kMaxPacketSize);

// Decodes exactly one complete frame (fixed header included, nothing after it) sent by a peer
// speaking `version`. A CONNECT is decoded with the version of its own Protocol Level.
CodecResult<Packet> decode(std::span<const std::uint8_t> frame, Version version);

// Decodes a CONNECT frame whatever its version; Connect::version tells which one it was.
// A Protocol Name other than "MQTT" or a Protocol Level other than 4 or 5 (e.g. MQTT 3.1's
// "MQIsdp"/3) fails with kUnsupportedProtocolVersion (MQTT 5.0 §3.1.2.1-2).
CodecResult<Connect> decode_connect(std::span<const std::uint8_t> frame);

// Wire bytes of `packet` as `version` defines it. Preconditions (programmer errors, not checked
// at run time): strings and binary fields at most 65'535 bytes, UTF-8 fields valid, packet ids
// non-zero where required, at least one subscription / filter / reason where required, whole
// packet within kMaxPacketSize. Fields the version cannot carry are left out: in 3.1.1 all
// properties, acknowledgement reason codes and AUTH's body; in 5.0 any property not allowed in
// that packet type. The shortest form is chosen where the spec allows one (e.g. PUBACK with
// reason 0x00 and no properties has Remaining Length 2, MQTT 5.0 §3.4.2.1).
std::string encode(const Packet& packet, Version version);
// encode(packet, version).size() without building the string.
std::size_t encoded_size(const Packet& packet, Version version);

// Well-formed UTF-8 without U+0000, as MQTT requires of every UTF-8 Encoded String
// (MQTT 5.0 §1.5.4, MQTT 3.1.1 §1.5.3). Also usable for payloads with Payload Format 1.
bool valid_utf8(std::string_view text);

// Views the bytes of a std::string (as returned by encode) for decode / peek_frame.
inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace kaiwu::mqtt
