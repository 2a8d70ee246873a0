// The wire form of a bus::Message between nodes (NATS message bodies). Sans-I/O.
//
// Layout, version 1 (all integers little-endian or LEB128 varints):
//   u8 version (= kCodecVersion) · u8 kind (bus::Kind) · payload
//   str   = varint length · bytes          i64 = zig-zag varint          f64 = 8 bytes (IEEE 754)
//   telemetry:  str tenant · str device · varint n · n × (str key · i64 ts · u8 tag · value)
//               tag 0 f64 · 1 i64 · 2 u8 (0|1) · 3 str   (the order of bus::Value)
//   attributes: str tenant · str device · u8 scope · str values_json · i64 ts
//   lifecycle:  str tenant · str device · u8 event · i64 ts
//   alarm:      u8 change · str id · str tenant · str device · str enterprise · str park · str type ·
//               u8 severity · u8 flags (1 acknowledged, 2 cleared) · i64 start · i64 last · i64 count ·
//               i64 ack_ms · str ack_by · i64 clear_ms · str clear_by · str details_json · i64 updated
// A decoder rejects an unknown version, an out-of-range enum, a truncated field or trailing bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bus/messages.hpp"
#include "core/result.hpp"

namespace kaiwu::bus {

inline constexpr std::uint8_t kCodecVersion = 1;

std::string encode_message(const Message& m);

// Errc::kInvalidArgument naming what is wrong and where.
Result<Message> decode_message(std::span<const std::byte> bytes);

}  // namespace kaiwu::bus
