// libFuzzer target: tsdb chunk decoding (src/tsdb/codec.hpp). Any input must decode to a chunk
// or to kCorruption, never crash; a decoded chunk must agree with chunk_info, re-encode, and
// decode again to the same samples (doubles compared bit for bit).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tsdb/codec.hpp"

namespace {

using kaiwu::tsdb::ChunkData;

// Decoding a header that claims millions of regular samples is legal but slow; the code paths
// are the same as for small counts, so the fuzzer skips those to keep executions fast.
constexpr std::uint32_t kMaxFuzzSamples = 1 << 16;

bool same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  }
  return true;
}

bool same_chunk(const ChunkData& a, const ChunkData& b) {
  return a.type == b.type && a.ts == b.ts && same_doubles(a.f64, b.f64) && a.i64 == b.i64 &&
         a.b == b.b && a.str == b.str;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto info = kaiwu::tsdb::chunk_info(bytes);
  if (info && info->count > kMaxFuzzSamples) return 0;
  const auto chunk = kaiwu::tsdb::decode_chunk(bytes);
  if (!chunk) {
    check(chunk.error().code == kaiwu::Errc::kCorruption);
    return 0;
  }
  check(info.has_value());
  check(info->type == chunk->type && info->count == chunk->size());
  if (chunk->size() > 0) {
    check(info->first_ts == chunk->ts.front() && info->last_ts == chunk->ts.back());
  }
  const auto again = kaiwu::tsdb::encode_chunk(*chunk);
  check(again.has_value());
  const auto round_trip = kaiwu::tsdb::decode_chunk(*again);
  check(round_trip.has_value() && same_chunk(*round_trip, *chunk));
  return 0;
}
