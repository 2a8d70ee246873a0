// Timestamp block: a constant delta (nothing per sample), else the smaller of
//  - delta-of-deltas in prefix-coded buckets whose widths are chosen per chunk (Gorilla §4.1.1
//    with widths fitted to the data, so 1 s, 100 ms and 1 ms sampling all fit), zstd'd when
//    that is smaller (long runs of '0' on a mostly regular clock), and
//  - offsets from a regular grid (a regular clock read with jitter: the offsets carry the
//    jitter once, delta-of-deltas twice).
#include <algorithm>
#include <array>
#include <bit>
#include <limits>

#include "tsdb/codec_internal.hpp"

namespace kaiwu::tsdb::codec_detail {
namespace {

constexpr std::uint8_t kTsConstant = 0x00;
constexpr std::uint8_t kTsBuckets = 0x01;
constexpr std::uint8_t kTsBucketsZstd = 0x02;
constexpr std::uint8_t kTsGrid = 0x03;
constexpr std::size_t kZstdMinBits = 32;  // bytes of bucket bits worth trying zstd on
constexpr unsigned kBuckets = 4;          // plus the 64-bit escape bucket
constexpr unsigned kEscapeBits = 64;
constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

using Widths = std::array<std::uint8_t, kBuckets>;

constexpr std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Prefix of bucket k: k ones then a zero ('0', '10', '110', '1110'); the escape is '1111'.
constexpr unsigned prefix_bits(unsigned k) { return k < kBuckets ? k + 1 : kBuckets; }
constexpr std::uint64_t prefix_code(unsigned k) {
  return k < kBuckets ? ((std::uint64_t{1} << k) - 1) << 1 : (std::uint64_t{1} << kBuckets) - 1;
}

// Minimises sum over z of prefix_bits(k) + width_k, where k is the first bucket whose width
// holds bit_width(z): a dynamic programme over the distinct bit widths present.
Widths choose_widths(const std::array<std::uint64_t, 65>& hist) {
  std::array<unsigned, 65> present{};
  std::array<std::uint64_t, 66> cum{};  // cum[j]: values whose width is among present[0..j)
  unsigned p = 0;
  for (unsigned b = 0; b <= 64; ++b) {
    if (hist[b] == 0) continue;
    present[p] = b;
    cum[p + 1] = cum[p] + hist[b];
    ++p;
  }
  constexpr std::uint64_t kInf = std::numeric_limits<std::uint64_t>::max();
  std::array<std::array<std::uint64_t, 66>, kBuckets + 1> cost{};
  std::array<std::array<unsigned, 66>, kBuckets + 1> from{};
  for (auto& row : cost) row.fill(kInf);
  cost[0][0] = 0;
  for (unsigned k = 0; k < kBuckets; ++k) {
    for (unsigned end = 0; end <= p; ++end) {
      cost[k + 1][end] = cost[k][end];  // bucket k left empty
      from[k + 1][end] = end;
      for (unsigned start = 0; start < end; ++start) {
        if (cost[k][start] == kInf) continue;
        const std::uint64_t c =
            cost[k][start] + (cum[end] - cum[start]) * (prefix_bits(k) + present[end - 1]);
        if (c < cost[k + 1][end]) {
          cost[k + 1][end] = c;
          from[k + 1][end] = start;
        }
      }
    }
  }
  unsigned best_end = 0;
  std::uint64_t best = kInf;
  for (unsigned end = 0; end <= p; ++end) {
    if (cost[kBuckets][end] == kInf) continue;
    const std::uint64_t c =
        cost[kBuckets][end] + (cum[p] - cum[end]) * (prefix_bits(kBuckets) + kEscapeBits);
    if (c < best) {
      best = c;
      best_end = end;
    }
  }
  std::array<unsigned, kBuckets + 1> ends{};  // ends[k]: bucket k-1 covers [ends[k-1], ends[k])
  ends[kBuckets] = best_end;
  for (unsigned k = kBuckets; k > 0; --k) ends[k - 1] = from[k][ends[k]];
  Widths widths{};
  for (unsigned k = 0; k < kBuckets; ++k) {
    const bool empty = ends[k + 1] == ends[k];
    const unsigned previous = k == 0 ? 0 : widths[k - 1];
    widths[k] = static_cast<std::uint8_t>(empty ? previous : present[ends[k + 1] - 1]);
  }
  return widths;
}

unsigned bucket_of(std::uint64_t z, const Widths& widths) {
  const auto width = static_cast<unsigned>(std::bit_width(z));
  for (unsigned k = 0; k < kBuckets; ++k) {
    if (width <= widths[k]) return k;
  }
  return kBuckets;
}

// True when ts + delta stays a valid, larger int64.
bool can_advance(std::uint64_t ts, std::uint64_t delta) {
  return delta != 0 && delta <= kInt64Max - ts;
}

// Delta-of-delta buckets for samples 2..count-1; first delta and last timestamp are known.
Result<std::vector<std::int64_t>> decode_buckets(BitReader& bits, const Widths& widths,
                                                 std::size_t count, std::int64_t first,
                                                 std::uint64_t first_delta, std::int64_t last) {
  if (count - 2 > bits.bits_left()) return corrupt("timestamp block shorter than count");
  std::vector<std::int64_t> ts;
  ts.reserve(count);
  ts.push_back(first);
  std::uint64_t cur = u64(first);
  std::uint64_t delta = first_delta;
  if (!can_advance(cur, delta)) return corrupt("timestamps not increasing");
  cur += delta;
  ts.push_back(static_cast<std::int64_t>(cur));
  for (std::size_t i = 2; i < count; ++i) {
    unsigned k = 0;
    while (k < kBuckets) {
      const auto bit = bits.read(1);
      if (!bit) return corrupt("timestamp block truncated");
      if (*bit == 0) break;
      ++k;
    }
    const auto z = bits.read(k < kBuckets ? widths[k] : kEscapeBits);
    if (!z) return corrupt("timestamp block truncated");
    delta += static_cast<std::uint64_t>(zigzag_decode(*z));
    if (!can_advance(cur, delta)) return corrupt("timestamps not increasing");
    cur += delta;
    ts.push_back(static_cast<std::int64_t>(cur));
  }
  if (cur != u64(last)) return corrupt("last timestamp does not match header");
  return ts;
}

std::string encode_buckets(std::span<const std::int64_t> ts) {
  const std::size_t n = ts.size();
  auto delta = [&](std::size_t i) { return u64(ts[i]) - u64(ts[i - 1]); };
  auto dod = [&](std::size_t i) {
    return zigzag_encode(static_cast<std::int64_t>(delta(i) - delta(i - 1)));
  };
  std::array<std::uint64_t, 65> hist{};
  for (std::size_t i = 2; i < n; ++i) ++hist[std::bit_width(dod(i))];
  const Widths widths = choose_widths(hist);

  std::string packed;
  BitWriter bits(packed);
  for (std::size_t i = 2; i < n; ++i) {
    const std::uint64_t z = dod(i);
    const unsigned k = bucket_of(z, widths);
    bits.write(prefix_code(k), prefix_bits(k));
    bits.write(z, k < kBuckets ? widths[k] : kEscapeBits);
  }
  bits.finish();
  std::string compressed;
  if (packed.size() >= kZstdMinBits) compressed = zstd_compress(packed);
  const bool use_zstd =
      !compressed.empty() && varint_size(compressed.size()) + compressed.size() < packed.size();

  std::string out;
  out.push_back(static_cast<char>(use_zstd ? kTsBucketsZstd : kTsBuckets));
  for (const std::uint8_t w : widths) out.push_back(static_cast<char>(w));
  put_varint(out, delta(1));
  if (use_zstd) {
    put_varint(out, compressed.size());
    out += compressed;
  } else {
    out += packed;
  }
  return out;
}

// Offsets of ts[1..] from the grid ts[0] + i * period, period the median delta.
std::string encode_grid(std::span<const std::int64_t> ts) {
  const std::size_t n = ts.size();
  std::vector<std::uint64_t> deltas(n - 1);
  for (std::size_t i = 1; i < n; ++i) deltas[i - 1] = u64(ts[i]) - u64(ts[i - 1]);
  const auto mid = deltas.begin() + static_cast<std::ptrdiff_t>(deltas.size() / 2);
  std::nth_element(deltas.begin(), mid, deltas.end());
  const std::uint64_t period = *mid;
  std::vector<std::int64_t> offsets(n - 1);
  for (std::size_t i = 1; i < n; ++i) {
    offsets[i - 1] = static_cast<std::int64_t>(u64(ts[i]) - u64(ts[0]) - i * period);
  }
  std::string block;
  encode_int_seq(offsets, ZstdUse::kIfSmaller, block);
  std::string out;
  out.push_back(static_cast<char>(kTsGrid));
  put_varint(out, period);
  put_varint(out, block.size());
  out += block;
  return out;
}

Result<std::vector<std::int64_t>> decode_grid(ByteReader& in, std::size_t count, std::int64_t first,
                                              std::int64_t last) {
  const auto period = in.varint();
  const auto len = in.varint();
  if (!period || !len) return corrupt("timestamp grid truncated");
  const auto block = in.bytes(*len);
  if (!block) return corrupt("timestamp grid truncated");
  const auto offsets = KAIWU_TRY(decode_int_seq(*block, count - 1));
  std::vector<std::int64_t> ts(count);
  ts[0] = first;
  for (std::size_t i = 1; i < count; ++i) {
    ts[i] = static_cast<std::int64_t>(u64(first) + i * *period + u64(offsets[i - 1]));
    if (ts[i] <= ts[i - 1]) return corrupt("timestamps not increasing");
  }
  if (ts.back() != last) return corrupt("last timestamp does not match header");
  return ts;
}

Result<std::vector<std::int64_t>> decode_constant(std::size_t count, std::int64_t first,
                                                  std::int64_t last) {
  const std::uint64_t span = u64(last) - u64(first);
  const std::uint64_t steps = count - 1;
  if (span % steps != 0 || span / steps == 0) return corrupt("timestamp span not regular");
  const std::uint64_t delta = span / steps;
  std::vector<std::int64_t> ts(count);
  for (std::size_t i = 0; i < count; ++i) {
    ts[i] = static_cast<std::int64_t>(u64(first) + i * delta);
  }
  return ts;
}

Result<std::vector<std::int64_t>> decode_bucket_block(ByteReader& in, bool zstd, std::size_t count,
                                                      std::int64_t first, std::int64_t last) {
  Widths widths{};
  for (auto& w : widths) {
    const auto b = in.u8();
    if (!b || *b > 64) return corrupt("bad timestamp bucket width");
    w = *b;
  }
  const auto first_delta = in.varint();
  if (!first_delta) return corrupt("timestamp first delta truncated");
  if (!zstd) {
    BitReader bits(in.rest());
    auto out = decode_buckets(bits, widths, count, first, *first_delta, last);
    if (out) in.skip(bits.bytes_used());
    return out;
  }
  const auto len = in.varint();
  if (!len) return corrupt("timestamp block truncated");
  const auto frame = in.bytes(*len);
  if (!frame) return corrupt("timestamp block truncated");
  const std::size_t max_bits = (count - 2) * (prefix_bits(kBuckets) + kEscapeBits);
  const std::string packed = KAIWU_TRY(zstd_decompress(*frame, max_bits / 8 + 1));
  BitReader bits(packed);
  auto out = decode_buckets(bits, widths, count, first, *first_delta, last);
  if (out && bits.bytes_used() != packed.size()) return corrupt("trailing timestamp bits");
  return out;
}

}  // namespace

void encode_timestamps(std::span<const std::int64_t> ts, std::string& out) {
  const std::size_t n = ts.size();
  if (n < 2) return;
  bool constant = true;
  const std::uint64_t first_delta = u64(ts[1]) - u64(ts[0]);
  for (std::size_t i = 2; i < n && constant; ++i) {
    constant = u64(ts[i]) - u64(ts[i - 1]) == first_delta;
  }
  if (constant) {
    out.push_back(static_cast<char>(kTsConstant));
    return;
  }
  std::string buckets = encode_buckets(ts);
  std::string grid = encode_grid(ts);
  out += grid.size() < buckets.size() ? grid : buckets;
}

Result<std::vector<std::int64_t>> decode_timestamps(ByteReader& in, std::size_t count,
                                                    std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> ts;
  if (count == 0) return ts;
  if (count == 1) {
    ts.push_back(first);
    return ts;
  }
  const auto mode = in.u8();
  if (!mode) return corrupt("timestamp block missing");
  switch (*mode) {
    case kTsConstant:
      return decode_constant(count, first, last);
    case kTsBuckets:
      return decode_bucket_block(in, false, count, first, last);
    case kTsBucketsZstd:
      return decode_bucket_block(in, true, count, first, last);
    case kTsGrid:
      return decode_grid(in, count, first, last);
    default:
      return corrupt("unknown timestamp mode");
  }
}

}  // namespace kaiwu::tsdb::codec_detail
