// Integer sequence block: values, deltas or delta-of-deltas (whichever packs smallest), as
// frame-of-reference bit-packed blocks of 128 (the ALP / FastLanes layout) or zigzag varints,
// optionally one zstd frame. Used for int64 columns, decimal mantissas and string indices.
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

#include "tsdb/codec_internal.hpp"

namespace kaiwu::tsdb::codec_detail {
namespace {

constexpr std::uint8_t kOrderMask = 0x03;
constexpr std::uint8_t kLayoutVarint = 0x04;
constexpr std::uint8_t kZstdFlag = 0x08;
constexpr std::uint8_t kKnownFlags = kOrderMask | kLayoutVarint | kZstdFlag;
constexpr unsigned kMaxOrder = 2;
constexpr std::size_t kBlockLen = 128;
// Largest plain payload a count can need: a 10-byte varint per value, plus the head.
constexpr std::size_t kMaxPayloadPerValue = 11;

enum class Layout : std::uint8_t { kBitPacked, kVarint };

// The first values of the lower orders, then what remains after `order` differencing.
struct Residuals {
  std::vector<std::uint64_t> head;
  std::vector<std::uint64_t> rest;
};

Residuals make_residuals(std::span<const std::int64_t> values, unsigned order) {
  Residuals r;
  r.rest.assign(values.begin(), values.end());
  for (unsigned k = 0; k < order && !r.rest.empty(); ++k) {
    r.head.push_back(r.rest.front());
    for (std::size_t i = 0; i + 1 < r.rest.size(); ++i) r.rest[i] = r.rest[i + 1] - r.rest[i];
    r.rest.pop_back();
  }
  return r;
}

struct Frame {
  std::uint64_t base = 0;  // block minimum (as int64 bits)
  unsigned width = 0;      // bits per value after subtracting base
};

Frame frame_of(std::span<const std::uint64_t> block) {
  auto as_signed = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  const auto [lo, hi] = std::minmax_element(
      block.begin(), block.end(), [&](auto a, auto b) { return as_signed(a) < as_signed(b); });
  return Frame{.base = *lo, .width = static_cast<unsigned>(std::bit_width(*hi - *lo))};
}

std::size_t zz_size(std::uint64_t v) {
  return varint_size(zigzag_encode(static_cast<std::int64_t>(v)));
}

// Bit-packed block header: width in bits 0-6; bit 7 set when the base equals the previous
// block's (initially 0) and is omitted, so constant runs cost one byte per block.
constexpr std::uint8_t kSameBase = 0x80;
constexpr std::uint8_t kWidthMask = 0x7f;

template <typename F>
void for_each_block(std::span<const std::uint64_t> rest, F&& f) {
  std::uint64_t prev_base = 0;
  for (std::size_t at = 0; at < rest.size(); at += kBlockLen) {
    const auto block = rest.subspan(at, std::min(kBlockLen, rest.size() - at));
    const Frame frame = frame_of(block);
    f(block, frame, frame.base == prev_base);
    prev_base = frame.base;
  }
}

std::size_t payload_size(const Residuals& r, Layout layout) {
  std::size_t size = 0;
  for (const auto h : r.head) size += zz_size(h);
  if (layout == Layout::kVarint) {
    for (const auto v : r.rest) size += zz_size(v);
    return size;
  }
  for_each_block(r.rest, [&](std::span<const std::uint64_t> block, Frame f, bool same_base) {
    size += 1 + (same_base ? 0 : zz_size(f.base)) + (block.size() * f.width + 7) / 8;
  });
  return size;
}

void put_zz(std::string& out, std::uint64_t v) {
  put_varint(out, zigzag_encode(static_cast<std::int64_t>(v)));
}

std::string encode_payload(const Residuals& r, Layout layout) {
  std::string out;
  for (const auto h : r.head) put_zz(out, h);
  if (layout == Layout::kVarint) {
    for (const auto v : r.rest) put_zz(out, v);
    return out;
  }
  for_each_block(r.rest, [&](std::span<const std::uint64_t> block, Frame f, bool same_base) {
    out.push_back(static_cast<char>(f.width | (same_base ? kSameBase : 0)));
    if (!same_base) put_zz(out, f.base);
    BitWriter bits(out);
    for (const auto v : block) bits.write(v - f.base, f.width);
    bits.finish();
  });
  return out;
}

std::uint8_t flags_of(unsigned order, Layout layout, bool zstd) {
  return static_cast<std::uint8_t>(order | (layout == Layout::kVarint ? kLayoutVarint : 0) |
                                   (zstd ? kZstdFlag : 0));
}

struct Choice {
  std::size_t order = 0;
  std::size_t size = 0;
};

// The order giving the smallest plain payload in `layout`.
Choice best_order(const std::array<Residuals, kMaxOrder + 1>& all, Layout layout) {
  Choice best{.order = 0, .size = payload_size(all[0], layout)};
  for (std::size_t k = 1; k <= kMaxOrder; ++k) {
    const std::size_t size = payload_size(all[k], layout);
    if (size < best.size) best = Choice{.order = k, .size = size};
  }
  return best;
}

}  // namespace

std::string zstd_compress(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), kZstdLevel);
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

Result<std::string> zstd_decompress(std::string_view in, std::size_t max_size) {
  const std::size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame) || frame != in.size()) return corrupt("bad zstd frame");
  const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > max_size) {
    return corrupt("bad zstd content size");
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n) || n != out.size()) return corrupt("zstd frame does not decompress");
  return out;
}

namespace {

Result<std::vector<std::uint64_t>> decode_bit_packed(ByteReader& in, std::size_t count) {
  std::vector<std::uint64_t> out;
  out.reserve(std::min<std::size_t>(count, in.remaining() * kBlockLen));
  std::uint64_t base = 0;
  while (out.size() < count) {
    const std::size_t len = std::min(kBlockLen, count - out.size());
    const auto header = in.u8();
    if (!header) return corrupt("bit-packed block truncated");
    const unsigned width = *header & kWidthMask;
    if (width > 64) return corrupt("bad bit-packed width");
    if ((*header & kSameBase) == 0) {
      const auto zz = in.varint();
      if (!zz) return corrupt("bit-packed block truncated");
      base = static_cast<std::uint64_t>(zigzag_decode(*zz));
    }
    const auto packed = in.bytes((len * width + 7) / 8);
    if (!packed) return corrupt("bit-packed block truncated");
    BitReader bits(*packed);
    for (std::size_t i = 0; i < len; ++i) out.push_back(base + *bits.read(width));
  }
  return out;
}

Result<std::vector<std::uint64_t>> decode_varints(ByteReader& in, std::size_t count) {
  if (count > in.remaining()) return corrupt("varint block shorter than count");
  std::vector<std::uint64_t> out(count);
  for (auto& v : out) {
    const auto z = in.varint();
    if (!z) return corrupt("varint block truncated");
    v = static_cast<std::uint64_t>(zigzag_decode(*z));
  }
  return out;
}

Result<std::vector<std::int64_t>> decode_payload(std::string_view payload, std::size_t count,
                                                 unsigned order, Layout layout) {
  ByteReader in(payload);
  std::vector<std::uint64_t> head(std::min<std::size_t>(order, count));
  for (auto& h : head) {
    const auto z = in.varint();
    if (!z) return corrupt("integer block head truncated");
    h = static_cast<std::uint64_t>(zigzag_decode(*z));
  }
  const std::size_t n_rest = count - head.size();
  auto rest =
      layout == Layout::kVarint ? decode_varints(in, n_rest) : decode_bit_packed(in, n_rest);
  if (!rest) return std::unexpected(rest.error());
  if (!in.at_end()) return corrupt("trailing bytes after integer block");
  std::vector<std::uint64_t> cur = std::move(*rest);
  for (std::size_t k = head.size(); k-- > 0;) {
    // Integrate one order: prepend the head value and prefix-sum (modulo 2^64).
    cur.insert(cur.begin(), head[k]);
    for (std::size_t i = 1; i < cur.size(); ++i) cur[i] += cur[i - 1];
  }
  return std::vector<std::int64_t>(cur.begin(), cur.end());
}

}  // namespace

std::size_t int_seq_plain_size(std::span<const std::int64_t> values) {
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (unsigned k = 0; k <= kMaxOrder; ++k) {
    const Residuals r = make_residuals(values, k);
    best = std::min({best, payload_size(r, Layout::kBitPacked), payload_size(r, Layout::kVarint)});
  }
  return 1 + best;
}

void encode_int_seq(std::span<const std::int64_t> values, ZstdUse zstd, std::string& out) {
  const std::array<Residuals, kMaxOrder + 1> all = {
      make_residuals(values, 0), make_residuals(values, 1), make_residuals(values, 2)};
  const Choice packed = best_order(all, Layout::kBitPacked);
  const Choice varint = best_order(all, Layout::kVarint);
  const bool packed_wins = packed.size <= varint.size;
  const Choice& plain = packed_wins ? packed : varint;
  const Layout plain_layout = packed_wins ? Layout::kBitPacked : Layout::kVarint;

  std::string best_body = encode_payload(all[plain.order], plain_layout);
  std::uint8_t best_flags = flags_of(static_cast<unsigned>(plain.order), plain_layout, false);
  // zstd frames cost ~12 bytes of overhead; tiny payloads never gain.
  constexpr std::size_t kZstdMinPayload = 16;
  const bool try_zstd =
      zstd == ZstdUse::kAlways || (zstd == ZstdUse::kIfSmaller && plain.size >= kZstdMinPayload);
  if (try_zstd) {
    std::string best_z;
    std::uint8_t z_flags = 0;
    for (const Layout layout : {Layout::kBitPacked, Layout::kVarint}) {
      const Choice& c = layout == Layout::kBitPacked ? packed : varint;
      std::string z = zstd_compress(encode_payload(all[c.order], layout));
      if (z.empty() || (!best_z.empty() && z.size() >= best_z.size())) continue;
      best_z = std::move(z);
      z_flags = flags_of(static_cast<unsigned>(c.order), layout, true);
    }
    if (!best_z.empty() && (zstd == ZstdUse::kAlways || best_z.size() < best_body.size())) {
      best_body = std::move(best_z);
      best_flags = z_flags;
    }
  }
  out.push_back(static_cast<char>(best_flags));
  out += best_body;
}

bool int_seq_uses_zstd(std::string_view bytes) {
  return !bytes.empty() && (static_cast<std::uint8_t>(bytes[0]) & kZstdFlag) != 0;
}

Result<std::vector<std::int64_t>> decode_int_seq(std::string_view bytes, std::size_t count) {
  if (bytes.empty()) return corrupt("integer block missing");
  const auto flags = static_cast<std::uint8_t>(bytes[0]);
  const unsigned order = flags & kOrderMask;
  if ((flags & ~kKnownFlags) != 0 || order > kMaxOrder) return corrupt("bad integer block flags");
  const Layout layout = (flags & kLayoutVarint) != 0 ? Layout::kVarint : Layout::kBitPacked;
  const std::string_view body = bytes.substr(1);
  if ((flags & kZstdFlag) == 0) return decode_payload(body, count, order, layout);
  auto payload = zstd_decompress(body, 32 + count * kMaxPayloadPerValue);
  if (!payload) return std::unexpected(payload.error());
  return decode_payload(*payload, count, order, layout);
}

}  // namespace kaiwu::tsdb::codec_detail
