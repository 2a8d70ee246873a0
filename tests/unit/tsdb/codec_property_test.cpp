// Randomized round trips over every value type and codec path, and corrupted input: truncations
// at every byte, byte flips and garbage never crash; what still decodes is a valid chunk.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "tsdb/bitstream.hpp"
#include "tsdb/codec.hpp"

namespace kaiwu::tsdb {
namespace {

using codec_testing::same_chunk;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kT0 = 1'700'000'000'000;

using Rng = std::mt19937_64;

std::uint64_t below(Rng& rng, std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
bool chance(Rng& rng, unsigned percent) { return below(rng, 100) < percent; }

std::size_t random_length(Rng& rng) {
  const auto r = below(rng, 100);
  if (r < 5) return below(rng, 4);
  if (r < 70) return 1 + below(rng, 300);
  if (r < 95) return 300 + below(rng, 1200);
  return 1500 + below(rng, 3500);
}

std::int64_t random_start(Rng& rng) {
  switch (below(rng, 5)) {
    case 0:
      return kT0 + static_cast<std::int64_t>(below(rng, 1'000'000));
    case 1:
      return static_cast<std::int64_t>(rng());
    case 2:
      return kMin + static_cast<std::int64_t>(below(rng, 1000));
    case 3:
      return -static_cast<std::int64_t>(below(rng, 1'000'000'000));
    default:
      return 0;
  }
}

enum class Clock { kRegular, kJittered, kRandomGaps, kHugeGaps, kDrifting, kMostlyRegular };

// The gap before sample i (i >= 1) of a clock; kJittered is handled by random_timestamps.
std::uint64_t next_gap(Clock clock, std::int64_t step, std::size_t i, Rng& rng) {
  const auto s = static_cast<std::uint64_t>(step);
  switch (clock) {
    case Clock::kRandomGaps:
      return 1 + below(rng, std::uint64_t{1} << below(rng, 40));
    case Clock::kHugeGaps:
      return 1 + (rng() >> below(rng, 64));
    case Clock::kDrifting:
      return s + i / 100;
    case Clock::kMostlyRegular:
      return chance(rng, 95) ? s : 1 + below(rng, 100'000);
    default:
      return s;
  }
}

// Strictly increasing; stops early rather than overflow.
std::vector<std::int64_t> random_timestamps(std::size_t n, Rng& rng) {
  static constexpr std::int64_t kSteps[] = {1, 10, 100, 1000, 60'000};
  const std::int64_t step = kSteps[below(rng, 5)];
  const auto clock = static_cast<Clock>(below(rng, 6));
  const auto jitter =
      static_cast<std::int64_t>(below(rng, static_cast<std::uint64_t>(step / 2 + 1)));
  std::vector<std::int64_t> ts;
  std::int64_t t = random_start(rng);
  std::int64_t grid = t;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      std::uint64_t d = next_gap(clock, step, i, rng);
      if (clock == Clock::kJittered) {
        if (grid > kMax - 2 * step) return ts;
        grid += step;
        const std::int64_t want =
            grid + static_cast<std::int64_t>(below(rng, 2 * jitter + 1)) - jitter;
        d = want > t ? static_cast<std::uint64_t>(want) - static_cast<std::uint64_t>(t) : 1;
      }
      if (d > static_cast<std::uint64_t>(kMax) - static_cast<std::uint64_t>(t)) return ts;
      t = static_cast<std::int64_t>(static_cast<std::uint64_t>(t) + d);
    }
    ts.push_back(t);
  }
  return ts;
}

double special_double(Rng& rng) {
  switch (below(rng, 8)) {
    case 0:
      return std::bit_cast<double>(0x7ff0'0000'0000'0000ULL | below(rng, 1ULL << 52) | 1);
    case 1:
      return std::bit_cast<double>(0xfff8'0000'0000'0000ULL | below(rng, 1ULL << 51));
    case 2:
      return std::numeric_limits<double>::infinity();
    case 3:
      return -std::numeric_limits<double>::infinity();
    case 4:
      return -0.0;
    case 5:
      return std::numeric_limits<double>::denorm_min() * static_cast<double>(below(rng, 1000));
    case 6:
      return std::numeric_limits<double>::max();
    default:
      return std::bit_cast<double>(rng());
  }
}

std::vector<double> random_doubles(std::size_t n, Rng& rng) {
  std::vector<double> v(n);
  const auto style = below(rng, 7);
  const int exponent = static_cast<int>(below(rng, 7));
  const double scale = std::pow(10.0, exponent);
  std::int64_t m = static_cast<std::int64_t>(below(rng, 100'000)) - 50'000;
  double x = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(below(rng, 80)));
  for (auto& value : v) {
    switch (style) {
      case 0:  // decimal random walk
        m += static_cast<std::int64_t>(below(rng, 21)) - 10;
        value = static_cast<double>(m) / scale;
        break;
      case 1:  // float32-origin
        x += static_cast<double>(static_cast<std::int64_t>(below(rng, 2001)) - 1000) * 1e-3;
        value = static_cast<float>(x);
        break;
      case 2:
        value = std::bit_cast<double>(rng());
        break;
      case 3:
        value = static_cast<double>(m);
        break;  // constant
      case 4:   // steps
        if (chance(rng, 2)) m = static_cast<std::int64_t>(below(rng, 1000));
        value = static_cast<double>(m) / scale;
        break;
      case 5:  // full-precision smooth
        x += 0.001;
        value = std::sin(x) * 100;
        break;
      default:
        value = std::round(20 + std::sin(static_cast<double>(m++) / 500) * 1000) / scale;
    }
  }
  const unsigned special_percent = static_cast<unsigned>(below(rng, 4)) * 5;  // 0..15%
  for (auto& value : v) {
    if (chance(rng, special_percent)) value = special_double(rng);
  }
  return v;
}

std::vector<std::int64_t> random_ints(std::size_t n, Rng& rng) {
  std::vector<std::int64_t> v(n);
  const auto style = below(rng, 5);
  std::uint64_t x = rng();  // unsigned: the walks may wrap
  for (auto& value : v) {
    switch (style) {
      case 0:
        x += below(rng, 7) - 3;
        value = static_cast<std::int64_t>(x);
        break;
      case 1:
        x += below(rng, 4);
        value = static_cast<std::int64_t>(x);
        break;  // counter
      case 2:
        value = static_cast<std::int64_t>(rng());
        break;
      case 3:
        value = chance(rng, 50) ? kMin : kMax;
        break;
      default:
        value = static_cast<std::int64_t>(below(rng, 3));
    }
  }
  return v;
}

std::vector<std::uint8_t> random_bools(std::size_t n, Rng& rng) {
  std::vector<std::uint8_t> v(n);
  const unsigned flip = static_cast<unsigned>(below(rng, 60));
  std::uint8_t cur = static_cast<std::uint8_t>(below(rng, 2));
  for (auto& value : v) {
    if (chance(rng, flip)) cur ^= 1;
    value = cur;
  }
  return v;
}

std::string random_string(Rng& rng) {
  const auto kind = below(rng, 10);
  std::size_t len = kind == 0 ? 0 : kind == 1 ? 1000 + below(rng, 9000) : below(rng, 40);
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(below(rng, 256));
  return s;
}

std::vector<std::string> random_strings(std::size_t n, Rng& rng) {
  std::vector<std::string> pool(1 + below(rng, 50));
  for (auto& s : pool) s = random_string(rng);
  std::vector<std::string> v(n);
  for (auto& s : v) s = pool[below(rng, pool.size())];
  return v;
}

ChunkData random_chunk(Rng& rng) {
  ChunkData c;
  c.type = static_cast<ValueType>(below(rng, 4));
  c.ts = random_timestamps(random_length(rng), rng);
  const std::size_t n = c.ts.size();
  switch (c.type) {
    case ValueType::kDouble:
      c.f64 = random_doubles(n, rng);
      break;
    case ValueType::kInt:
      c.i64 = random_ints(n, rng);
      break;
    case ValueType::kBool:
      c.b = random_bools(n, rng);
      break;
    case ValueType::kString:
      c.str = random_strings(n, rng);
      break;
  }
  return c;
}

// The timestamp block's mode byte (0 constant, 1 buckets, 2 buckets + zstd, 3 grid), or -1 for
// chunks of fewer than two samples. Parses the header by hand: format, kinds, three varints.
int timestamp_mode(const std::string& chunk) {
  codec_detail::ByteReader in(chunk);
  in.skip(2);
  const auto count = in.varint();
  if (!count || *count < 2) return -1;
  (void)in.varint();
  (void)in.varint();
  const auto mode = in.u8();
  return mode ? *mode : -1;
}

// A decoded chunk must satisfy encode_chunk's preconditions and survive another round trip.
void expect_valid(const ChunkData& c) {
  const auto again = encode_chunk(c);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  const auto decoded = decode_chunk(*again);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_TRUE(same_chunk(*decoded, c));
}

TEST(CodecProperty, RandomChunksRoundTripExactly) {
  Rng rng(20240601);
  std::array<int, 5> codecs{};
  std::array<int, 4> ts_modes{};
  for (int i = 0; i < 2000; ++i) {
    const ChunkData c = random_chunk(rng);
    const auto encoded = encode_chunk(c);
    ASSERT_TRUE(encoded.has_value()) << "chunk " << i << ": " << encoded.error().message;
    const auto decoded = decode_chunk(*encoded);
    ASSERT_TRUE(decoded.has_value()) << "chunk " << i << ": " << decoded.error().message;
    ASSERT_TRUE(same_chunk(*decoded, c)) << "chunk " << i;
    const auto info = chunk_info(*encoded);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, c.type);
    EXPECT_EQ(info->count, c.size());
    if (!c.ts.empty()) {
      EXPECT_EQ(info->first_ts, c.ts.front());
      EXPECT_EQ(info->last_ts, c.ts.back());
    }
    if (c.type == ValueType::kDouble) ++codecs[static_cast<std::size_t>(info->double_codec)];
    const int mode = timestamp_mode(*encoded);
    if (mode >= 0) ++ts_modes.at(static_cast<std::size_t>(mode));
  }
  // The generator reaches every double codec.
  for (std::size_t k = 0; k < codecs.size(); ++k) EXPECT_GT(codecs[k], 0) << "codec " << k;
  for (std::size_t k = 0; k < ts_modes.size(); ++k) EXPECT_GT(ts_modes[k], 0) << "ts mode " << k;
  std::printf(
      "[ coverage ] double codecs raw/gorilla/decimal/decimal+zstd/shuffle: %d %d %d %d %d;"
      " timestamp modes constant/buckets/buckets+zstd/grid: %d %d %d %d\n",
      codecs[0], codecs[1], codecs[2], codecs[3], codecs[4], ts_modes[0], ts_modes[1], ts_modes[2],
      ts_modes[3]);
}

// One chunk per codec path (timestamp modes, double codecs, int layouts, bool, string).
std::vector<std::string> sample_chunks() {
  Rng rng(99);
  std::vector<ChunkData> chunks;
  auto add_doubles = [&](std::vector<std::int64_t> ts, std::vector<double> v) {
    chunks.push_back(codec_testing::double_chunk(std::move(ts), std::move(v)));
  };
  add_doubles(codec_testing::regular_ts(300, kT0, 1000),
              codec_testing::noisy_analog(300, 2, 0.05, rng));
  add_doubles(codec_testing::jittered_ts(300, kT0, 1000, 5, rng),
              codec_testing::noisy_analog(300, 1, 0.5, rng));
  std::vector<double> with_nan = codec_testing::noisy_analog(40, 2, 0.05, rng);
  with_nan[7] = std::nan("");
  with_nan[20] = -0.0;
  add_doubles(codec_testing::regular_ts(40, -7000, 100), with_nan);
  add_doubles({1, 5, 6, 100, 1000}, {1.0 / 3, 1.0 / 3 + 1e-9, 0.7, 1e300, -1e-300});
  std::vector<double> floats(200);
  for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = static_cast<float>(std::sin(0.3 * i));
  add_doubles(codec_testing::regular_ts(200, 0, 1), floats);
  std::vector<double> random_bits(20);
  for (auto& x : random_bits) x = std::bit_cast<double>(rng());
  add_doubles(random_timestamps(20, rng), random_bits);
  for (int i = 0; i < 4; ++i) chunks.push_back(random_chunk(rng));
  ChunkData ints;
  ints.type = ValueType::kInt;
  ints.ts = {kMin, -1, 0, 7, kMax};
  ints.i64 = {kMax, kMin, 0, -1, 1};
  chunks.push_back(ints);
  ChunkData bools;
  bools.type = ValueType::kBool;
  bools.ts = codec_testing::regular_ts(50, kT0, 1000);
  bools.b = random_bools(50, rng);
  chunks.push_back(bools);
  ChunkData strings;
  strings.type = ValueType::kString;
  strings.ts = codec_testing::regular_ts(30, kT0, 1000);
  strings.str = random_strings(30, rng);
  chunks.push_back(strings);
  std::vector<std::string> out;
  for (const auto& c : chunks) {
    auto e = encode_chunk(c);
    EXPECT_TRUE(e.has_value());
    if (e) out.push_back(*e);
  }
  return out;
}

TEST(CodecCorruption, EveryTruncationIsAnError) {
  for (const auto& encoded : sample_chunks()) {
    ASSERT_TRUE(decode_chunk(encoded).has_value());
    for (std::size_t len = 0; len < encoded.size(); ++len) {
      const auto r = decode_chunk(std::string_view(encoded).substr(0, len));
      ASSERT_FALSE(r.has_value()) << "prefix " << len << " of " << encoded.size();
      EXPECT_EQ(r.error().code, Errc::kCorruption);
    }
  }
}

TEST(CodecCorruption, ByteFlipsNeverCrashAndDecodeOnlyValidChunks) {
  Rng rng(4242);
  std::size_t decoded_ok = 0;
  std::size_t rejected = 0;
  for (const auto& encoded : sample_chunks()) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string bad = encoded;
      const auto flips = 1 + below(rng, 3);
      for (std::uint64_t f = 0; f < flips; ++f) {
        const auto pos = below(rng, bad.size());
        bad[pos] = static_cast<char>(chance(rng, 50) ? bad[pos] ^ (1 << below(rng, 8))
                                                     : static_cast<char>(rng()));
      }
      if (chance(rng, 10)) bad.insert(below(rng, bad.size()), 1, static_cast<char>(rng()));
      const auto r = decode_chunk(bad);
      (void)chunk_info(bad);
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::kCorruption);
        ++rejected;
        continue;
      }
      ++decoded_ok;
      expect_valid(*r);
    }
  }
  EXPECT_GT(rejected, 0u);
  std::printf("[ flips    ] %zu rejected, %zu still decoded (and re-encoded)\n", rejected,
              decoded_ok);
}

TEST(CodecCorruption, GarbageAfterAValidHeaderIsRejectedOrValid) {
  Rng rng(7);
  for (int trial = 0; trial < 20'000; ++trial) {
    std::string bad;
    bad.push_back(static_cast<char>(0xb1));
    bad.push_back(static_cast<char>(below(rng, 4) | (below(rng, 5) << 4)));
    const auto len = below(rng, 64);
    for (std::uint64_t i = 0; i < len; ++i) bad.push_back(static_cast<char>(rng()));
    if (chance(rng, 50) && bad.size() > 2) bad[2] = static_cast<char>(below(rng, 40));
    const auto r = decode_chunk(bad);
    if (r) expect_valid(*r);
  }
}

TEST(CodecCorruption, IndividualDecodersRejectGarbage) {
  Rng rng(8);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string bad(below(rng, 100), '\0');
    for (auto& c : bad) c = static_cast<char>(rng());
    const std::size_t count = below(rng, 200);
    const auto g = decode_doubles_gorilla(bad, count);
    if (g) {
      EXPECT_EQ(g->size(), count);
    }
    const auto d = decode_doubles_decimal(bad, count);
    if (d) {
      EXPECT_EQ(d->size(), count);
    }
    const auto s = decode_doubles_shuffled(bad, count);
    if (s) {
      EXPECT_EQ(s->size(), count);
    }
  }
  EXPECT_FALSE(decode_doubles_gorilla("", std::size_t{1} << 40).has_value());
  EXPECT_FALSE(decode_doubles_decimal("", std::size_t{1} << 40).has_value());
  EXPECT_FALSE(decode_doubles_shuffled("", std::size_t{1} << 40).has_value());
}

}  // namespace
}  // namespace kaiwu::tsdb
