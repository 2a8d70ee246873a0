// Chunk codecs (sans-I/O): a chunk is the samples of one series in a time range, encoded into
// one self-describing byte string. Lossless always: every value decodes bit-identical (NaN
// payloads, -0.0 and ±Inf included).
//
//   timestamps: delta-of-delta, zig-zag, bit-packed (Gorilla §4.1.1 idea with byte-friendly
//               buckets) — regular sampling costs nothing per sample (one constant delta);
//               a jittered clock is kept as offsets from its grid when that is smaller;
//   double:     the smallest of
//                 - Gorilla XOR (baseline, Pelkonen et al. 2015 §4.1.2),
//                 - decimal: every value equals m / 10^e for one exponent e ≤ 15 and integer
//                   mantissas (VictoriaMetrics / ALP idea); mantissas delta-coded, zig-zag and
//                   bit-packed, then zstd when that is smaller,
//                 - byte-shuffled bits + zstd: the raw bits (as float32 when every value is
//                   exactly one), transposed byte plane by byte plane (Blosc's shuffle),
//                   optionally XORed with the previous value first, in one zstd frame — for
//                   real-valued sensor data such as float32 vibration samples,
//                 - raw 8-byte bits (fallback);
//               values not exactly decimal are kept as exception slots with their exact bits;
//   int64:      delta (or none, or delta-of-delta), zig-zag, bit-packed per 128 or varints
//               (+ zstd when smaller);
//   bool:       run-length;
//   string:     dictionary of distinct strings + indices coded like int64.
//
// decode_chunk validates everything and returns kCorruption (never crashes) on bad bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::tsdb {

// Column-oriented samples of one type. ts is strictly increasing; exactly the column of `type`
// has ts.size() entries.
struct ChunkData {
  ValueType type = ValueType::kDouble;
  std::vector<std::int64_t> ts;
  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::uint8_t> b;  // 0 / 1
  std::vector<std::string> str;

  std::size_t size() const { return ts.size(); }
};

// Appends one sample to the column of c's type (the value must have that type).
void append_value(ChunkData& c, std::int64_t ts, const Value& v);
// Sample i of c's value column as a Value.
Value value_at(const ChunkData& c, std::size_t i);

// Which encoding the value column used (for stats and benchmarks).
enum class DoubleCodec : std::uint8_t {
  kRaw = 0,
  kGorilla = 1,
  kDecimal = 2,
  kDecimalZstd = 3,
  kShuffleZstd = 4,
};

// Encodes a chunk (precondition: ts strictly increasing, columns sized right, bools 0/1, at most
// 2^24 samples and 256 MiB of strings; violations are kInvalidArgument). The encoding of doubles
// is chosen per chunk: whichever is smallest.
Result<std::string> encode_chunk(const ChunkData& chunk);
Result<ChunkData> decode_chunk(std::string_view bytes);

// Cheap header peek: sample count, first and last timestamp, value type, double codec used.
struct ChunkInfo {
  ValueType type = ValueType::kDouble;
  std::uint32_t count = 0;
  std::int64_t first_ts = 0;
  std::int64_t last_ts = 0;
  DoubleCodec double_codec = DoubleCodec::kRaw;
};
Result<ChunkInfo> chunk_info(std::string_view bytes);

// The individual double codecs, for tests and benchmarks (encode_chunk picks among them).
std::string encode_doubles_gorilla(std::span<const double> values);
Result<std::vector<double>> decode_doubles_gorilla(std::string_view bytes, std::size_t count);
// Empty string when the values are not suited (decimal coding not applicable at all).
std::string encode_doubles_decimal(std::span<const double> values, bool zstd);
Result<std::vector<double>> decode_doubles_decimal(std::string_view bytes, std::size_t count);
std::string encode_doubles_shuffled(std::span<const double> values);
Result<std::vector<double>> decode_doubles_shuffled(std::string_view bytes, std::size_t count);

}  // namespace kaiwu::tsdb
