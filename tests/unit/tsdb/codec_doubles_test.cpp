// Double codecs: exact bits for every value, the choice between Gorilla / decimal / raw, and the
// bytes per sample reached on typical plant signals (printed as "[ figure ]" lines).
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "tsdb/codec.hpp"

namespace kaiwu::tsdb {
namespace {

using codec_testing::bits_of;
using codec_testing::double_chunk;
using codec_testing::regular_ts;
using codec_testing::same_chunk;

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr double kInf = std::numeric_limits<double>::infinity();

double nan_with_payload(std::uint64_t payload, bool negative) {
  return std::bit_cast<double>((negative ? 0xfff0'0000'0000'0000ULL : 0x7ff0'0000'0000'0000ULL) |
                               (payload & 0x000f'ffff'ffff'ffffULL));
}

// Every awkward double: NaNs with payloads (quiet and signalling), ±Inf, ±0, denormals, extremes.
std::vector<double> edge_values() {
  return {0.0,
          -0.0,
          kInf,
          -kInf,
          std::numeric_limits<double>::quiet_NaN(),
          nan_with_payload(1, false),                     // signalling NaN
          nan_with_payload(0x8'0000'dead'beefULL, true),  // negative quiet NaN with payload
          nan_with_payload(0xf'ffff'ffff'ffffULL, false),
          std::numeric_limits<double>::denorm_min(),
          -std::numeric_limits<double>::denorm_min(),
          DBL_MIN / 3,
          DBL_MIN,
          -DBL_MIN,
          DBL_MAX,
          -DBL_MAX,
          DBL_EPSILON,
          1.0,
          -1.0,
          0.1 + 0.2,
          9007199254740991.0,  // 2^53 - 1: largest decimal mantissa
          9007199254740992.0,  // 2^53: an exception
          1e-15,
          123456.789,
          std::numbers::pi};
}

std::vector<double> decode_or_die(const Result<std::vector<double>>& r) {
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r ? *r : std::vector<double>{};
}

DoubleCodec codec_of(const std::string& chunk) {
  const auto info = chunk_info(chunk);
  EXPECT_TRUE(info.has_value());
  return info ? info->double_codec : DoubleCodec::kRaw;
}

const char* codec_name(DoubleCodec c) {
  switch (c) {
    case DoubleCodec::kRaw:
      return "raw";
    case DoubleCodec::kGorilla:
      return "gorilla";
    case DoubleCodec::kDecimal:
      return "decimal";
    case DoubleCodec::kDecimalZstd:
      return "decimal+zstd";
    case DoubleCodec::kShuffleZstd:
      return "shuffle+zstd";
  }
  return "?";
}

struct Figure {
  double bytes_per_sample = 0;
  DoubleCodec codec = DoubleCodec::kRaw;
};

// Encodes, checks the round trip bit for bit and reports the size.
Figure measure(const char* name, const ChunkData& c) {
  const auto encoded = encode_chunk(c);
  EXPECT_TRUE(encoded.has_value());
  if (!encoded) return {};
  const auto decoded = decode_chunk(*encoded);
  EXPECT_TRUE(decoded.has_value());
  if (decoded) {
    EXPECT_TRUE(same_chunk(*decoded, c)) << name;
  }
  const Figure f{static_cast<double>(encoded->size()) / static_cast<double>(c.size()),
                 codec_of(*encoded)};
  std::printf("[ figure   ] %-44s %6zu samples %8zu bytes %6.3f B/sample  %s\n", name, c.size(),
              encoded->size(), f.bytes_per_sample, codec_name(f.codec));
  ::testing::Test::RecordProperty(name, std::to_string(f.bytes_per_sample));
  return f;
}

// --- each codec on its own -------------------------------------------------------------------

TEST(GorillaCodec, GoldenBits) {
  // 1.0 raw, then XOR(1.0, 1.0) = 0 -> '0'.
  EXPECT_EQ(encode_doubles_gorilla(std::vector<double>{1.0, 1.0}),
            std::string("\x3f\xf0\x00\x00\x00\x00\x00\x00\x00", 9));
  // XOR(1.0, 2.0) = 0x7ff0000000000000: '11', 1 leading zero (00001), 11 meaningful bits
  // (001011), then 11111111111 -> 1100 0010 0101 1111 1111 1111.
  EXPECT_EQ(encode_doubles_gorilla(std::vector<double>{1.0, 2.0}),
            std::string("\x3f\xf0\x00\x00\x00\x00\x00\x00\xc2\x5f\xff", 11));
  // XOR(2.0, 4.0) = 0x0010000000000000 fits that window: '10' + 00000000001 (11 bits).
  EXPECT_EQ(encode_doubles_gorilla(std::vector<double>{1.0, 2.0, 4.0}),
            std::string("\x3f\xf0\x00\x00\x00\x00\x00\x00\xc2\x5f\xff\x80\x08", 13));
  EXPECT_TRUE(encode_doubles_gorilla({}).empty());
}

TEST(GorillaCodec, EdgeValuesRoundTripBitExact) {
  auto values = edge_values();
  // Reversed and repeated, so every window transition is exercised.
  values.insert(values.end(), values.rbegin(), values.rend());
  values.insert(values.end(), values.begin(), values.end());
  const auto decoded =
      decode_or_die(decode_doubles_gorilla(encode_doubles_gorilla(values), values.size()));
  EXPECT_EQ(bits_of(decoded), bits_of(values));
}

TEST(GorillaCodec, RejectsBadInput) {
  const auto encoded = encode_doubles_gorilla(std::vector<double>{1.0, 2.0, 3.0});
  EXPECT_FALSE(decode_doubles_gorilla(encoded, 30).has_value());  // too few bits
  EXPECT_FALSE(decode_doubles_gorilla(encoded, 2).has_value());   // trailing bytes
  EXPECT_FALSE(decode_doubles_gorilla(encoded.substr(0, 7), 1).has_value());
  // '10' before any window was set.
  EXPECT_FALSE(decode_doubles_gorilla(std::string(8, '\0') + "\x80", 2).has_value());
  // '11', 31 leading zeros and 40 meaningful bits: over 64.
  EXPECT_FALSE(
      decode_doubles_gorilla(std::string(8, '\0') + std::string("\xff\x40\0\0\0\0\0\0", 8), 2)
          .has_value());
}

TEST(DecimalCodec, PicksTheSmallestExponent) {
  auto exponent_of = [](std::vector<double> v) {
    const auto encoded = encode_doubles_decimal(v, false);
    EXPECT_FALSE(encoded.empty());
    const auto decoded = decode_or_die(decode_doubles_decimal(encoded, v.size()));
    EXPECT_EQ(bits_of(decoded), bits_of(v));
    return encoded.empty() ? -1 : static_cast<int>(encoded[0]);
  };
  EXPECT_EQ(exponent_of({3.0, 4.0, -7.0, 0.0}), 0);
  EXPECT_EQ(exponent_of({20.1, 20.2, 20.0}), 1);
  EXPECT_EQ(exponent_of({20.12, 20.13, 20.1}), 2);
  EXPECT_EQ(exponent_of({1.5, 2.25, 0.125}), 3);
  EXPECT_EQ(exponent_of({1e-15, 2e-15}), 15);
  EXPECT_EQ(exponent_of({9007199254740991.0, -9007199254740991.0}), 0);
  EXPECT_EQ(exponent_of({0.001, 1234567.891}), 3);
}

TEST(DecimalCodec, KeepsExceptionsBitExact) {
  // 90 decimal values and 10 exceptions (NaN payloads, ±Inf, -0.0, denormal, 0.1 + 0.2, 2^53).
  std::vector<double> v;
  for (int i = 0; i < 90; ++i) v.push_back(static_cast<double>(2000 + i % 7) / 100);
  const std::vector<double> exceptions = {nan_with_payload(0x1234, false),
                                          nan_with_payload(7, true),
                                          kInf,
                                          -kInf,
                                          -0.0,
                                          std::numeric_limits<double>::denorm_min(),
                                          0.1 + 0.2,
                                          9007199254740992.0,
                                          DBL_MAX,
                                          1.0 / 3};
  for (std::size_t i = 0; i < exceptions.size(); ++i)
    v.insert(v.begin() + 9 * i + 4, exceptions[i]);
  ASSERT_EQ(v.size(), 100u);
  for (const bool zstd : {false, true}) {
    const auto encoded = encode_doubles_decimal(v, zstd);
    ASSERT_FALSE(encoded.empty());
    EXPECT_EQ(encoded[0], 2);  // the exponent of the regular values
    const auto decoded = decode_or_die(decode_doubles_decimal(encoded, v.size()));
    EXPECT_EQ(bits_of(decoded), bits_of(v));
  }
  // One more exception is over 10%: decimal coding does not apply.
  v.push_back(std::numbers::sqrt2);
  EXPECT_TRUE(encode_doubles_decimal(v, false).empty());
}

TEST(DecimalCodec, NotApplicableToRealDoublesOrSpecials) {
  // pi = 3.141592653589793 is exactly 3141592653589793 / 10^15; 1/3 and 0.1 + 0.2 need 17 digits.
  EXPECT_FALSE(encode_doubles_decimal(std::vector<double>{std::numbers::pi}, false).empty());
  EXPECT_TRUE(encode_doubles_decimal(std::vector<double>{1.0 / 3}, false).empty());
  EXPECT_TRUE(encode_doubles_decimal(std::vector<double>{0.1 + 0.2}, false).empty());
  EXPECT_TRUE(encode_doubles_decimal(std::vector<double>{-0.0}, false).empty());
  EXPECT_TRUE(encode_doubles_decimal(std::vector<double>{std::nan("")}, true).empty());
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> noise(1000);
  for (auto& x : noise) x = u(rng);
  EXPECT_TRUE(encode_doubles_decimal(noise, false).empty());
}

TEST(DecimalCodec, RejectsBadInput) {
  const std::vector<double> v = {1.5, 2.5, std::nan(""), 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5};
  const auto encoded = encode_doubles_decimal(v, false);
  ASSERT_FALSE(encoded.empty());
  EXPECT_TRUE(decode_doubles_decimal(encoded, v.size()).has_value());
  EXPECT_FALSE(decode_doubles_decimal(encoded, v.size() + 1).has_value());
  EXPECT_FALSE(decode_doubles_decimal(encoded, 0).has_value());
  EXPECT_FALSE(decode_doubles_decimal(encoded + "x", v.size()).has_value());
  std::string bad_exponent = encoded;
  bad_exponent[0] = 16;
  EXPECT_FALSE(decode_doubles_decimal(bad_exponent, v.size()).has_value());
  std::string bad_position = encoded;
  bad_position[2] = 10;  // the exception's position: past the end
  EXPECT_FALSE(decode_doubles_decimal(bad_position, v.size()).has_value());
}

TEST(DoubleChunk, EdgeValuesRoundTripInEveryCodec) {
  const auto values = edge_values();
  const auto c = double_chunk(regular_ts(values.size(), kT0, 1000), values);
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  const auto decoded = decode_chunk(*encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_chunk(*decoded, c));
  EXPECT_EQ(
      bits_of(decode_or_die(decode_doubles_gorilla(encode_doubles_gorilla(values), values.size()))),
      bits_of(values));
}

// --- which codec wins ------------------------------------------------------------------------

TEST(DoubleChunk, DecimalWinsOnPlantData) {
  std::mt19937_64 rng(42);
  const auto c =
      double_chunk(regular_ts(3600, kT0, 1000), codec_testing::noisy_analog(3600, 2, 0.05, rng));
  const Figure f = measure("1 Hz, 2 decimals, noise sd 0.05, 1 h", c);
  EXPECT_TRUE(f.codec == DoubleCodec::kDecimal || f.codec == DoubleCodec::kDecimalZstd);
  EXPECT_LT(f.bytes_per_sample, 1.5);
}

TEST(DoubleChunk, GorillaWinsOnShortChunksOfRealDoubles) {
  // A few non-decimal values (17 significant digits) close to each other: XOR keeps a narrow
  // window, raw needs 8 bytes each and a zstd frame cannot pay for its own header.
  std::vector<double> v;
  for (int i = 0; i < 6; ++i) v.push_back(1.0 / 3 + i * 1e-9);
  const auto c = double_chunk(regular_ts(v.size(), kT0, 1000), v);
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(codec_of(*encoded), DoubleCodec::kGorilla);
  EXPECT_LT(encoded->size(), 8 * v.size());
  const auto decoded = decode_chunk(*encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_chunk(*decoded, c));
}

TEST(DoubleChunk, RawWhenNothingCompresses) {
  std::mt19937_64 rng(9);
  std::vector<double> v(500);
  for (auto& x : v) x = std::bit_cast<double>(rng());
  const auto c = double_chunk(regular_ts(v.size(), kT0, 1000), v);
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(codec_of(*encoded), DoubleCodec::kRaw);
  EXPECT_LE(encoded->size(), 8 * v.size() + 20);
  const auto decoded = decode_chunk(*encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(same_chunk(*decoded, c));
}

// --- bytes per sample on typical signals -----------------------------------------------------

TEST(DoubleSignals, AnalogValuesAt1Hz) {
  std::mt19937_64 rng(11);
  const auto ts = regular_ts(3600, kT0, 1000);
  EXPECT_LT(measure("1 Hz analog, 1 decimal (register x 0.1)",
                    double_chunk(ts, codec_testing::noisy_analog(3600, 1, 0.05, rng)))
                .bytes_per_sample,
            1.0);
  EXPECT_LT(measure("1 Hz analog, 2 decimals, noise sd 0.05",
                    double_chunk(ts, codec_testing::noisy_analog(3600, 2, 0.05, rng)))
                .bytes_per_sample,
            1.5);
  EXPECT_LT(measure("1 Hz analog, 3 decimals, noise sd 0.005",
                    double_chunk(ts, codec_testing::noisy_analog(3600, 3, 0.005, rng)))
                .bytes_per_sample,
            1.5);
  const auto jittered = codec_testing::jittered_ts(3600, kT0, 1000, 3, rng);
  EXPECT_LT(measure("1 Hz analog, 2 decimals, +-3 ms jitter",
                    double_chunk(jittered, codec_testing::noisy_analog(3600, 2, 0.05, rng)))
                .bytes_per_sample,
            2.2);
}

TEST(DoubleSignals, CounterAndStep) {
  std::mt19937_64 rng(12);
  const auto ts = regular_ts(3600, kT0, 1000);
  // Energy meter in kWh with 2 decimals: grows 0..3 hundredths per second.
  std::uniform_int_distribution<std::int64_t> inc(0, 3);
  std::vector<double> counter(3600);
  std::int64_t hundredths = 1'234'567'89;
  for (auto& v : counter) v = static_cast<double>(hundredths += inc(rng)) / 100;
  EXPECT_LT(measure("1 Hz energy counter, 2 decimals", double_chunk(ts, counter)).bytes_per_sample,
            0.5);
  // A setpoint stepping between a few levels every 10 minutes.
  const std::vector<double> levels = {55.5, 60.0, 72.5, 60.0, 40.25, 55.5};
  std::vector<double> step(3600);
  for (std::size_t i = 0; i < step.size(); ++i) step[i] = levels[i / 600];
  EXPECT_LT(measure("1 Hz setpoint, 6 steps", double_chunk(ts, step)).bytes_per_sample, 0.05);
}

TEST(DoubleSignals, VibrationAt1kHzFromFloat32) {
  // An accelerometer (g) sampled at 1 kHz, delivered as float32: not decimal. Gorilla reaches
  // ~4.6 B/sample here; the float32 byte planes under zstd ~3.2.
  std::mt19937_64 rng(13);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<double> v(10'000);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double t = static_cast<double>(i) / 1000.0;
    v[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 50 * t) +
                              0.2 * std::sin(2 * std::numbers::pi * 120 * t) + noise(rng));
  }
  const Figure f = measure("1 kHz vibration, float32 values, 10 s",
                           double_chunk(regular_ts(v.size(), kT0, 1), v));
  EXPECT_EQ(f.codec, DoubleCodec::kShuffleZstd);
  EXPECT_LT(f.bytes_per_sample, 3.5);
}

}  // namespace
}  // namespace kaiwu::tsdb
