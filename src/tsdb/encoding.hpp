// Little helpers for the engine's on-disk keys and records (private to tsdb/).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace kaiwu::tsdb::enc {

inline void put_be64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (i * 8)));
}
inline std::uint64_t get_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<std::uint8_t>(p[i]);
  return v;
}
// Signed timestamps sort correctly as unsigned once the sign bit is flipped.
inline std::uint64_t ts_key(std::int64_t ts) { return static_cast<std::uint64_t>(ts) ^ (1ull << 63); }
inline std::int64_t ts_from_key(std::uint64_t k) { return static_cast<std::int64_t>(k ^ (1ull << 63)); }

inline std::string series_ts_key(std::uint64_t sid, std::int64_t ts) {
  std::string k;
  k.reserve(16);
  put_be64(k, sid);
  put_be64(k, ts_key(ts));
  return k;
}

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// A bounds-checked reader over a byte string.
class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool empty() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      auto b = static_cast<std::uint8_t>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return std::nullopt;
  }
  std::optional<std::uint8_t> u8() {
    if (p_ >= end_) return std::nullopt;
    return static_cast<std::uint8_t>(*p_++);
  }
  std::optional<std::uint64_t> fixed64() {
    if (remaining() < 8) return std::nullopt;
    std::uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  std::optional<std::string_view> bytes(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

 private:
  const char* p_;
  const char* end_;
};

inline void put_fixed64(std::string& out, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

std::uint32_t crc32c(std::string_view data);

}  // namespace kaiwu::tsdb::enc
