#include "tsdb/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "tsdb/bitstream.hpp"

namespace kaiwu::tsdb {
namespace {

using codec_testing::jittered_ts;
using codec_testing::regular_ts;
using codec_testing::same_chunk;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, ms

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (const int x : b) out.push_back(static_cast<char>(x));
  return out;
}

ChunkData round_trip(const ChunkData& c) {
  auto encoded = encode_chunk(c);
  EXPECT_TRUE(encoded.has_value()) << encoded.error().message;
  if (!encoded) return {};
  auto decoded = decode_chunk(*encoded);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message;
  if (!decoded) return {};
  return *decoded;
}

ChunkData int_chunk(std::vector<std::int64_t> ts, std::vector<std::int64_t> v) {
  ChunkData c;
  c.type = ValueType::kInt;
  c.ts = std::move(ts);
  c.i64 = std::move(v);
  return c;
}

ChunkData bool_chunk(std::vector<std::int64_t> ts, std::vector<std::uint8_t> v) {
  ChunkData c;
  c.type = ValueType::kBool;
  c.ts = std::move(ts);
  c.b = std::move(v);
  return c;
}

ChunkData string_chunk(std::vector<std::int64_t> ts, std::vector<std::string> v) {
  ChunkData c;
  c.type = ValueType::kString;
  c.ts = std::move(ts);
  c.str = std::move(v);
  return c;
}

// --- primitives ------------------------------------------------------------------------------

TEST(CodecPrimitives, ZigZagMapsSmallMagnitudesToSmallCodes) {
  using codec_detail::zigzag_decode;
  using codec_detail::zigzag_encode;
  EXPECT_EQ(zigzag_encode(0), 0u);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  EXPECT_EQ(zigzag_encode(1), 2u);
  EXPECT_EQ(zigzag_encode(-2), 3u);
  EXPECT_EQ(zigzag_encode(kMax), 0xffff'ffff'ffff'fffeu);
  EXPECT_EQ(zigzag_encode(kMin), 0xffff'ffff'ffff'ffffu);
  for (const std::int64_t v :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{12345}, kMin, kMax}) {
    EXPECT_EQ(zigzag_decode(zigzag_encode(v)), v);
  }
}

TEST(CodecPrimitives, VarintIsLeb128AndRejectsOverlongInput) {
  std::string out;
  codec_detail::put_varint(out, 300);
  EXPECT_EQ(out, bytes({0xac, 0x02}));
  out.clear();
  codec_detail::put_varint(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(codec_detail::varint_size(std::numeric_limits<std::uint64_t>::max()), 10u);
  EXPECT_EQ(codec_detail::varint_size(127), 1u);
  EXPECT_EQ(codec_detail::varint_size(128), 2u);
  codec_detail::ByteReader max_reader(out);
  EXPECT_EQ(max_reader.varint(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(max_reader.at_end());

  const std::string overflow = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  EXPECT_EQ(codec_detail::ByteReader(overflow).varint(), std::nullopt);
  const std::string eleven(11, static_cast<char>(0x80));
  EXPECT_EQ(codec_detail::ByteReader(eleven).varint(), std::nullopt);
  EXPECT_EQ(codec_detail::ByteReader(bytes({0x80})).varint(), std::nullopt);
}

TEST(CodecPrimitives, BitsAreWrittenMostSignificantFirstAndReadBack) {
  std::string out;
  codec_detail::BitWriter w(out);
  w.write(0b101, 3);
  w.write(1, 1);
  w.write(0, 0);
  w.write(0xdead'beef'cafe'f00dULL, 64);
  w.write(0x7f, 7);
  w.finish();
  ASSERT_EQ(out.size(), 10u);  // 3 + 1 + 64 + 7 = 75 bits
  EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0b1011'1101);

  codec_detail::BitReader r(out);
  EXPECT_EQ(r.read(3), 0b101u);
  EXPECT_EQ(r.read(1), 1u);
  EXPECT_EQ(r.read(0), 0u);
  EXPECT_EQ(r.read(64), 0xdead'beef'cafe'f00dULL);
  EXPECT_EQ(r.read(7), 0x7fu);
  EXPECT_EQ(r.bits_left(), 5u);
  EXPECT_EQ(r.read(6), std::nullopt);
  EXPECT_EQ(r.bytes_used(), 10u);
}

// --- chunk format ----------------------------------------------------------------------------

TEST(ChunkCodec, GoldenIntChunk) {
  const auto c = int_chunk({1000, 2000, 3000}, {5, 6, 7});
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  // format, type int, count 3, zigzag(1000), span 2000, constant-delta timestamps,
  // integer block: plain values bit-packed (flags 0), one block of width 2 based at zigzag(5),
  // holding 0, 1, 2 as 00 01 10 (padded).
  EXPECT_EQ(*encoded,
            bytes({0xb1, 0x01, 0x03, 0xd0, 0x0f, 0xd0, 0x0f, 0x00, 0x00, 0x02, 0x0a, 0x18}));
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkCodec, GoldenBoolChunk) {
  const auto c = bool_chunk({-2, -1, 0, 1, 2}, {1, 1, 0, 0, 1});
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  // format, type bool, count 5, zigzag(-2) = 3, span 4, constant, first 1, runs 2 2 1.
  EXPECT_EQ(*encoded, bytes({0xb1, 0x02, 0x05, 0x03, 0x04, 0x00, 0x01, 0x02, 0x02, 0x01}));
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkCodec, EmptyChunkIsJustAHeader) {
  for (const auto type :
       {ValueType::kDouble, ValueType::kInt, ValueType::kBool, ValueType::kString}) {
    ChunkData c;
    c.type = type;
    const auto encoded = encode_chunk(c);
    ASSERT_TRUE(encoded.has_value());
    EXPECT_EQ(*encoded, bytes({0xb1, static_cast<int>(type), 0x00}));
    const auto decoded = decode_chunk(*encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(same_chunk(*decoded, c));
    const auto info = chunk_info(*encoded);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->count, 0u);
    EXPECT_EQ(info->type, type);
  }
}

TEST(ChunkCodec, SingleSampleOfEveryType) {
  EXPECT_TRUE(same_chunk(round_trip(codec_testing::double_chunk({kT0}, {20.5})),
                         codec_testing::double_chunk({kT0}, {20.5})));
  EXPECT_TRUE(same_chunk(round_trip(int_chunk({kMin}, {kMin})), int_chunk({kMin}, {kMin})));
  EXPECT_TRUE(same_chunk(round_trip(bool_chunk({kMax}, {1})), bool_chunk({kMax}, {1})));
  EXPECT_TRUE(same_chunk(round_trip(string_chunk({0}, {""})), string_chunk({0}, {""})));
}

TEST(ChunkCodec, ChunkInfoReadsOnlyTheHeader) {
  const auto c =
      codec_testing::double_chunk(regular_ts(100, -5000, 1000), std::vector<double>(100, 1.25));
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  // Cut right after the header: the peek still works, a full decode does not.
  const std::string header_only = encoded->substr(0, 2 + 1 + 2 + 3);
  const auto info = chunk_info(header_only);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->type, ValueType::kDouble);
  EXPECT_EQ(info->count, 100u);
  EXPECT_EQ(info->first_ts, -5000);
  EXPECT_EQ(info->last_ts, 94'000);
  EXPECT_EQ(info->double_codec, DoubleCodec::kDecimal);
  EXPECT_FALSE(decode_chunk(header_only).has_value());
}

TEST(ChunkCodec, RejectsInvalidInput) {
  auto expect_invalid = [](const ChunkData& c) {
    const auto r = encode_chunk(c);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  };
  expect_invalid(int_chunk({1, 1}, {1, 2}));  // duplicate timestamp
  expect_invalid(int_chunk({2, 1}, {1, 2}));  // decreasing
  expect_invalid(int_chunk({1, 2}, {1}));     // column too short
  auto extra = int_chunk({1}, {1});
  extra.f64 = {1.0};  // another column filled
  expect_invalid(extra);
  expect_invalid(bool_chunk({1}, {2}));  // bool not 0/1
  ChunkData bad_type;
  bad_type.type = static_cast<ValueType>(7);
  expect_invalid(bad_type);
}

TEST(ChunkCodec, RejectsMalformedHeaders) {
  auto expect_corrupt = [](const std::string& b) {
    const auto r = decode_chunk(b);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::kCorruption);
    EXPECT_FALSE(r.error().message.empty());
    EXPECT_FALSE(chunk_info(b).has_value());
  };
  expect_corrupt("");
  expect_corrupt(bytes({0xb1}));
  expect_corrupt(bytes({0xb2, 0x00, 0x00}));                    // unknown version
  expect_corrupt(bytes({0xb1, 0x04, 0x00}));                    // unknown type
  expect_corrupt(bytes({0xb1, 0x41, 0x00}));                    // unknown codec
  expect_corrupt(bytes({0xb1, 0x11, 0x00}));                    // codec on an int chunk
  expect_corrupt(bytes({0xb1, 0x00, 0x81, 0x80, 0x80, 0x08}));  // 2^24 + 1 samples
  expect_corrupt(bytes({0xb1, 0x00, 0x02, 0x00, 0x00}));        // 2 samples, span 0
  expect_corrupt(bytes({0xb1, 0x00, 0x01, 0x00, 0x05}));        // 1 sample, span 5
  // first = INT64_MAX, span 1: last would overflow.
  expect_corrupt(
      bytes({0xb1, 0x00, 0x02, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01}));
}

// --- timestamps ------------------------------------------------------------------------------

TEST(ChunkTimestamps, RegularSamplingCostsOneByte) {
  // A 1 Hz hour of a constant bool: 14 header bytes, 1 timestamp byte, 3 value bytes.
  const auto c = bool_chunk(regular_ts(3600, kT0, 1000), std::vector<std::uint8_t>(3600, 1));
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->size(), 18u);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkTimestamps, JitteredSamplingStaysCompact) {
  std::mt19937_64 rng(7);
  struct Case {
    std::int64_t step;
    std::int64_t jitter;
    double max_bits_per_sample;
  };
  // Jitter j gives delta-of-deltas within ±4j: about log2(8j + 1) bits plus a prefix.
  for (const Case k :
       {Case{1000, 2, 6.0}, Case{1000, 20, 9.0}, Case{100, 5, 7.0}, Case{1, 0, 0.04}}) {
    const auto ts = k.jitter == 0 ? regular_ts(3600, kT0, k.step)
                                  : jittered_ts(3600, kT0, k.step, k.jitter, rng);
    const auto c = bool_chunk(ts, std::vector<std::uint8_t>(3600, 0));
    const auto encoded = encode_chunk(c);
    ASSERT_TRUE(encoded.has_value());
    const double bits = 8.0 * static_cast<double>(encoded->size()) / 3600.0;
    EXPECT_LT(bits, k.max_bits_per_sample) << "step " << k.step << " jitter " << k.jitter;
    EXPECT_TRUE(same_chunk(round_trip(c), c));
  }
}

TEST(ChunkTimestamps, OccasionalLatePollsCostAlmostNothing) {
  auto ts = regular_ts(3600, kT0, 1000);
  for (std::size_t i = 100; i < ts.size(); i += 100) ts[i] += 3;  // a late poll now and then
  const auto c = bool_chunk(ts, std::vector<std::uint8_t>(3600, 1));
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_LT(encoded->size(), 100u);  // grid offsets: zero but for the late polls
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkTimestamps, ExtremesAndHugeGaps) {
  const std::vector<std::vector<std::int64_t>> cases = {
      {kMin, kMax},
      {kMin, 0, kMax},
      {kMin, kMin + 1, kMax - 1, kMax},
      {kMin, -1, 0, 1, kMax},
      {-1'000'000'000'000, -999'999'999'000, -5, 7, 1'000'000'000'000'000},
      {kMax - 3, kMax - 2, kMax - 1, kMax},
      {0, 1, 2, 3, 5, 8, 13, 21, 34, 55, kMax / 2, kMax / 2 + 1, kMax / 2 + 3},
  };
  for (const auto& ts : cases) {
    const auto c = int_chunk(ts, std::vector<std::int64_t>(ts.size(), 0));
    const auto decoded = round_trip(c);
    EXPECT_TRUE(same_chunk(decoded, c));
    const auto info = chunk_info(*encode_chunk(c));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->first_ts, ts.front());
    EXPECT_EQ(info->last_ts, ts.back());
    EXPECT_EQ(info->count, ts.size());
  }
}

// --- int, bool, string -----------------------------------------------------------------------

TEST(ChunkInts, EdgeValuesRoundTrip) {
  const std::vector<std::int64_t> v = {0,        -1,   1,    kMin,      kMax,
                                       kMin,     kMax, kMax, 0,         kMin + 1,
                                       kMax - 1, 42,   -42,  1LL << 62, -(1LL << 62)};
  const auto c = int_chunk(regular_ts(v.size(), kT0, 10), v);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkInts, CounterCostsWellUnderOneBytePerSample) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::int64_t> inc(0, 3);
  std::vector<std::int64_t> v(3600);
  std::int64_t counter = 1'234'567;
  for (auto& x : v) x = counter += inc(rng);
  const auto c = int_chunk(regular_ts(v.size(), kT0, 1000), v);
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_LT(static_cast<double>(encoded->size()) / 3600.0, 0.3);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkBools, RunsRoundTrip) {
  std::vector<std::uint8_t> alternating(1000);
  for (std::size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2;
  std::vector<std::uint8_t> runs;
  for (int r = 1; r < 300; r += 7) runs.insert(runs.end(), static_cast<std::size_t>(r), r % 2);
  for (const auto& v :
       {alternating, runs, std::vector<std::uint8_t>(5000, 1), std::vector<std::uint8_t>(1, 0)}) {
    const auto c = bool_chunk(regular_ts(v.size(), kT0, 1000), v);
    EXPECT_TRUE(same_chunk(round_trip(c), c));
  }
  const auto steady =
      encode_chunk(bool_chunk(regular_ts(5000, kT0, 1000), std::vector<std::uint8_t>(5000, 1)));
  ASSERT_TRUE(steady.has_value());
  EXPECT_LT(steady->size(), 20u);
}

TEST(ChunkStrings, EdgeValuesRoundTrip) {
  std::string binary("a\0b\xff\x80", 5);
  const std::string long_string(200'000, 'x');
  const std::vector<std::string> v = {"",          "running", "",          "stopped",
                                      "running",   binary,    long_string, "故障",
                                      long_string, "",        "running"};
  const auto c = string_chunk(regular_ts(v.size(), kT0, 1000), v);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkStrings, DictionaryKeepsRepeatedStatesSmall) {
  const std::vector<std::string> states = {"idle", "running", "alarm"};
  std::vector<std::string> v;
  for (std::size_t i = 0; i < 3600; ++i) v.push_back(states[(i / 600) % 3]);
  const auto c = string_chunk(regular_ts(v.size(), kT0, 1000), v);
  const auto encoded = encode_chunk(c);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_LT(encoded->size(), 120u);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

TEST(ChunkStrings, ManyDistinctStrings) {
  std::vector<std::string> v;
  for (int i = 0; i < 2000; ++i) v.push_back("batch-" + std::to_string(i * 7919 % 2000));
  const auto c = string_chunk(regular_ts(v.size(), kT0, 1000), v);
  EXPECT_TRUE(same_chunk(round_trip(c), c));
}

}  // namespace
}  // namespace kaiwu::tsdb
