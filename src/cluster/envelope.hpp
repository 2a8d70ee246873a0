// What nodes send each other about MQTT over NATS core subjects, sans I/O. Versioned binary:
//   forward  (kaiwu.mqtt.msg):   u8 1 | node | tenant | origin | u32 expires_hi | u32 expires_lo | PUBLISH
//   claim    (kaiwu.mqtt.claim): u8 2 | node | tenant | client id | u32 since_hi | u32 since_lo
//   retained (KV value):         u8 3 | tenant | u32 expires_hi | u32 expires_lo | PUBLISH
// Strings are MQTT Binary Data (2-byte length, MQTT 5.0 §1.5.6); PUBLISH is the message as an
// MQTT 5.0 PUBLISH frame (§3.3) to the end, so its properties travel unchanged.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"
#include "mqtt/packets.hpp"

namespace kaiwu::cluster {

struct Forwarded {
  std::string node;    // the publishing node (for logs; NoEcho keeps a node from its own)
  std::string tenant;  // topic namespace
  std::string origin;  // publishing session key, for No Local
  std::int64_t expires_ms = 0;
  mqtt::Publish message;
};

struct Claim {
  std::string node;
  std::string tenant;
  std::string client_id;
  std::int64_t since_ms = 0;
};

struct RetainedEntry {
  std::string tenant;
  std::int64_t expires_ms = 0;
  mqtt::Publish message;
};

std::string encode(const Forwarded& f);
std::string encode(const Claim& c);
std::string encode(const RetainedEntry& r);

// Each fails with kInvalidArgument on anything malformed (wrong tag, truncated, bad PUBLISH).
Result<Forwarded> decode_forwarded(std::span<const std::uint8_t> bytes);
Result<Claim> decode_claim(std::span<const std::uint8_t> bytes);
Result<RetainedEntry> decode_retained(std::span<const std::uint8_t> bytes);

}  // namespace kaiwu::cluster
