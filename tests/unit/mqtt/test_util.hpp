// Helpers for the MQTT codec tests: hex <-> bytes and decoding straight from hex.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace kaiwu::mqtt::test {

inline std::vector<std::uint8_t> unhex(std::string_view hex) {
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  std::vector<std::uint8_t> out;
  std::uint8_t hi = 0;
  bool have_hi = false;
  for (const char c : hex) {
    if (c == ' ') continue;
    if (!have_hi) {
      hi = nibble(c);
      have_hi = true;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | nibble(c)));
      have_hi = false;
    }
  }
  EXPECT_FALSE(have_hi) << "odd number of hex digits in " << hex;
  return out;
}

inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

inline std::string hex(const std::vector<std::uint8_t>& bytes) {
  return hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// A std::string holding the bytes of `hex` (for building frames by concatenation).
inline std::string bytes(std::string_view hex_digits) {
  const auto v = unhex(hex_digits);
  return std::string(v.begin(), v.end());
}

inline CodecResult<Packet> decode_hex(std::string_view hex_digits, Version version) {
  const auto frame = unhex(hex_digits);
  return decode(frame, version);
}

// The packet of alternative T decoded from `hex_digits`; fails the test otherwise.
template <typename T>
T decode_as(std::string_view hex_digits, Version version) {
  const auto r = decode_hex(hex_digits, version);
  if (!r) {
    ADD_FAILURE() << "decode failed: " << r.error().message;
    return T{};
  }
  if (!std::holds_alternative<T>(*r)) {
    ADD_FAILURE() << "decoded " << packet_type_name(packet_type(*r));
    return T{};
  }
  return std::get<T>(*r);
}

}  // namespace kaiwu::mqtt::test
