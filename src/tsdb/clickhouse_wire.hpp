// Sans-I/O pieces of the ClickHouse store: SQL string literals and the RowBinary format
// (ClickHouse docs, "Formats › RowBinary": little-endian fixed-width numbers, strings as a
// LEB128 length then the bytes, tuples as their elements in order).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/result.hpp"

namespace kaiwu::tsdb::ch {

static_assert(std::endian::native == std::endian::little, "RowBinary is little-endian; so is every target we build");

// A single-quoted SQL string literal with backslash escapes (ClickHouse "Syntax › String").
std::string quote(std::string_view s);

class RowWriter {
 public:
  explicit RowWriter(std::string& out) : out_(out) {}
  template <typename T>
    requires std::is_arithmetic_v<T>
  void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void put_string(std::string_view s) {
    std::uint64_t n = s.size();
    do {
      auto byte = static_cast<std::uint8_t>(n & 0x7f);
      n >>= 7;
      if (n) byte |= 0x80;
      out_.push_back(static_cast<char>(byte));
    } while (n);
    out_.append(s);
  }

 private:
  std::string& out_;
};

// Reads a RowBinary result; every read fails with kCorruption past the end.
class RowReader {
 public:
  explicit RowReader(std::string_view data) : data_(data) {}
  bool at_end() const { return pos_ >= data_.size(); }
  template <typename T>
    requires std::is_arithmetic_v<T>
  Result<T> get() {
    if (data_.size() - pos_ < sizeof(T)) return truncated();
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string> get_string() {
    std::uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      if (pos_ >= data_.size() || shift > 63) return truncated();
      auto byte = static_cast<std::uint8_t>(data_[pos_++]);
      n |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (data_.size() - pos_ < n) return truncated();
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  static std::unexpected<Error> truncated() { return fail(Errc::kCorruption, "clickhouse: truncated RowBinary result"); }
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace kaiwu::tsdb::ch
