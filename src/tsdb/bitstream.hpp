// Private to the tsdb chunk codecs (codec*.cpp): zig-zag, LEB128 varints, an MSB-first bit
// writer/reader and a bounds-checked byte reader. Readers never read past their input: every
// read returns std::nullopt instead. No allocation beyond the caller's output string.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace kaiwu::tsdb::codec_detail {

constexpr std::uint64_t zigzag_encode(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

constexpr std::int64_t zigzag_decode(std::uint64_t z) {
  return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

// LEB128: 7 bits per byte, least significant group first; at most 10 bytes.
constexpr std::size_t kMaxVarintBytes = 10;

constexpr std::size_t varint_size(std::uint64_t v) {
  return v == 0 ? 1 : (static_cast<std::size_t>(std::bit_width(v)) + 6) / 7;
}

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_u64le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// Bounds-checked cursor over a byte string.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  std::string_view rest() const { return data_.substr(pos_); }

  std::optional<std::uint8_t> u8() {
    if (at_end()) return std::nullopt;
    return static_cast<std::uint8_t>(data_[pos_++]);
  }

  // Rejects encodings longer than 10 bytes or overflowing 64 bits.
  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
      if (at_end()) return std::nullopt;
      const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
      if (i == kMaxVarintBytes - 1 && byte > 1) return std::nullopt;
      v |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return v;
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> u64le() {
    if (remaining() < 8) return std::nullopt;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }

  std::optional<std::string_view> bytes(std::uint64_t n) {
    if (n > remaining()) return std::nullopt;
    auto out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

  // Precondition: n <= remaining().
  void skip(std::size_t n) { pos_ += n; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

// Appends bits most significant first to `out`; finish() pads the last byte with zeros.
class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}

  // Writes the low `nbits` (0..64) bits of `value`.
  void write(std::uint64_t value, unsigned nbits) {
    if (nbits > 32) {
      write32(value >> 32, nbits - 32);
      write32(value & 0xffff'ffffu, 32);
      return;
    }
    write32(value, nbits);
  }

  void finish() {
    if (pending_ == 0) return;
    out_.push_back(static_cast<char>(acc_ << (8 - pending_)));
    acc_ = 0;
    pending_ = 0;
  }

 private:
  void write32(std::uint64_t value, unsigned nbits) {
    if (nbits == 0) return;
    acc_ = (acc_ << nbits) | (value & ((std::uint64_t{1} << nbits) - 1));
    pending_ += nbits;
    while (pending_ >= 8) {
      pending_ -= 8;
      out_.push_back(static_cast<char>(acc_ >> pending_));
    }
    acc_ &= (std::uint64_t{1} << pending_) - 1;
  }

  std::string& out_;
  std::uint64_t acc_ = 0;  // the `pending_` (< 8) bits not yet flushed
  unsigned pending_ = 0;
};

// Reads bits most significant first; never past the end of its input.
class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  std::size_t bits_left() const { return data_.size() * 8 - pos_; }
  // Bytes touched so far, counting a partly read last byte (its padding).
  std::size_t bytes_used() const { return (pos_ + 7) / 8; }

  // Reads `nbits` (0..64) bits.
  std::optional<std::uint64_t> read(unsigned nbits) {
    if (nbits > bits_left()) return std::nullopt;
    std::uint64_t v = 0;
    while (nbits > 0) {
      const unsigned avail = 8 - static_cast<unsigned>(pos_ & 7);
      const unsigned take = avail < nbits ? avail : nbits;
      const auto byte = static_cast<std::uint8_t>(data_[pos_ >> 3]);
      v = (v << take) | ((byte >> (avail - take)) & ((1u << take) - 1));
      pos_ += take;
      nbits -= take;
    }
    return v;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;  // in bits
};

}  // namespace kaiwu::tsdb::codec_detail
