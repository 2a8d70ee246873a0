// Internal to mqtt/: pieces shared by the per-packet decoders (decode.cpp, decode_connect.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mqtt/wire.hpp"

namespace kaiwu::mqtt::detail {

// The body of one complete frame, after its fixed header.
struct OpenFrame {
  FrameHeader header;
  wire::Reader body;
  std::uint8_t flags() const { return header.type_flags & 0x0F; }
};

// Checks that `frame` is exactly one whole frame (a header and Remaining Length bytes).
CodecResult<OpenFrame> open_frame(std::span<const std::uint8_t> frame);

// MQTT 5.0 §2.1.3: the reserved flag bits of each packet type are fixed; anything else is a
// Malformed Packet.
CodecResult<void> expect_flags(PacketType type, std::uint8_t flags, std::uint8_t expected);

// Nothing may follow the last field (the Remaining Length covers exactly the fields).
CodecResult<void> expect_end(const wire::Reader& r, PacketType type);

// A Packet Identifier, which must be non-zero (MQTT 5.0 §2.2.1 [MQTT-2.2.1-3]).
CodecResult<std::uint16_t> read_packet_id(wire::Reader& r, PacketType type);

// A short excerpt of untrusted text for an error message (≤ 64 bytes, cut on a UTF-8 boundary).
std::string quoted(std::string_view text);

std::string name_of(PacketType type);

// `r` with "<TYPE> " put before its error message: keeps field names literal (no allocation on
// the success path) while errors still name the packet.
template <typename T>
CodecResult<T> in(PacketType type, CodecResult<T>&& r) {
  if (!r) r.error().message = name_of(type) + " " + r.error().message;
  return std::move(r);
}

CodecResult<Connack> decode_connack(std::uint8_t flags, wire::Reader r, Version version);

}  // namespace kaiwu::mqtt::detail
