#include "mqtt/wire.hpp"

#include <cassert>

namespace kaiwu::mqtt {

bool valid_utf8(std::string_view text) {
  // RFC 3629 §4 byte sequences; U+0000 is excluded by MQTT 5.0 §1.5.4 [MQTT-1.5.4-2] and
  // surrogates (ED A0..BF) by [MQTT-1.5.4-1].
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return p[i] >= lo && p[i] <= hi;
  };
  while (p < end) {
    const unsigned char c = *p;
    const auto left = static_cast<std::size_t>(end - p);
    if (c >= 0x01 && c <= 0x7F) {
      p += 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (left < 2 || !cont(1)) return false;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
      const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
      if (left < 3 || !cont(1, lo, hi) || !cont(2)) return false;
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
      const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
      if (left < 4 || !cont(1, lo, hi) || !cont(2) || !cont(3)) return false;
      p += 4;
    } else {
      return false;  // U+0000, stray continuation byte, C0/C1 overlong lead, or > U+10FFFF
    }
  }
  return true;
}

Errc CodecError::errc() const {
  return reason == ReasonCode::kPacketTooLarge ? Errc::kPayloadTooLarge : Errc::kInvalidArgument;
}

Error CodecError::to_error() const {
  return Error{errc(), message + " (MQTT reason " +
                           wire::hex_byte(static_cast<std::uint8_t>(reason)) + " " +
                           std::string(reason_code_name(reason)) + ")"};
}

namespace wire {

std::string hex_byte(std::uint8_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string{'0', 'x', kDigits[value >> 4], kDigits[value & 0x0F]};
}

std::size_t vbi_size(std::uint32_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

VbiParse parse_vbi(std::span<const std::uint8_t> bytes) {
  VbiParse out;
  for (std::size_t i = 0; i < kMaxVbiBytes; ++i) {
    if (i >= bytes.size()) return out;  // kNeedMore
    const std::uint8_t b = bytes[i];
    out.value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      out.bytes = i + 1;
      out.status = (i > 0 && b == 0) ? VbiStatus::kNotMinimal : VbiStatus::kOk;
      return out;
    }
  }
  out.status = VbiStatus::kTooLong;
  return out;
}

std::span<const std::uint8_t> Reader::take(std::size_t n) {
  auto s = bytes_.subspan(pos_, n);
  pos_ += n;
  return s;
}

CodecResult<std::span<const std::uint8_t>> Reader::need(std::size_t n, std::string_view field) {
  if (n > remaining()) {
    return malformed(std::string(field) + ": needs " + std::to_string(n) + " bytes, " +
                     std::to_string(remaining()) + " left");
  }
  return take(n);
}

CodecResult<std::uint8_t> Reader::u8(std::string_view field) {
  auto b = KAIWU_TRY(need(1, field));
  return b[0];
}

CodecResult<std::uint16_t> Reader::u16(std::string_view field) {
  auto b = KAIWU_TRY(need(2, field));
  return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

CodecResult<std::uint32_t> Reader::u32(std::string_view field) {
  auto b = KAIWU_TRY(need(4, field));
  return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
         static_cast<std::uint32_t>(b[2]) << 8 | static_cast<std::uint32_t>(b[3]);
}

CodecResult<std::uint32_t> Reader::vbi(std::string_view field) {
  const VbiParse v = parse_vbi(bytes_.subspan(pos_));
  switch (v.status) {
    case VbiStatus::kOk:
      pos_ += v.bytes;
      return v.value;
    case VbiStatus::kNeedMore:
      return malformed(std::string(field) + ": Variable Byte Integer truncated");
    case VbiStatus::kTooLong:
      return malformed(std::string(field) + ": Variable Byte Integer longer than 4 bytes");
    case VbiStatus::kNotMinimal:
      return malformed(std::string(field) + ": Variable Byte Integer not minimally encoded");
  }
  return malformed(std::string(field) + ": Variable Byte Integer invalid");
}

CodecResult<std::string> Reader::utf8(std::string_view field) {
  const std::uint16_t len = KAIWU_TRY(u16(field));
  auto b = KAIWU_TRY(need(len, field));
  const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  if (!valid_utf8(s)) {
    return malformed(std::string(field) + ": not well-formed UTF-8 or contains U+0000");
  }
  return std::string(s);
}

CodecResult<std::string> Reader::binary(std::string_view field) {
  const std::uint16_t len = KAIWU_TRY(u16(field));
  auto b = KAIWU_TRY(need(len, field));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

CodecResult<Reader> Reader::sub(std::size_t n, std::string_view field) {
  auto b = KAIWU_TRY(need(n, field));
  return Reader(b);
}

std::string Reader::rest() {
  auto b = take(remaining());
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

void Writer::u8(std::uint8_t v) {
  if (out_) out_->push_back(static_cast<char>(v));
  size_ += 1;
}

void Writer::u16(std::uint16_t v) {
  u8(static_cast<std::uint8_t>(v >> 8));
  u8(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}

void Writer::vbi(std::uint32_t v) {
  assert(v <= kMaxRemainingLength);
  do {
    std::uint8_t b = v & 0x7F;
    v >>= 7;
    if (v > 0) b |= 0x80;
    u8(b);
  } while (v > 0);
}

void Writer::str(std::string_view s) {
  assert(s.size() <= 65'535);
  u16(static_cast<std::uint16_t>(s.size()));
  raw(s);
}

void Writer::raw(std::string_view s) {
  if (out_) out_->append(s);
  size_ += s.size();
}

}  // namespace wire
}  // namespace kaiwu::mqtt
