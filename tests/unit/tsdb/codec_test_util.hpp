// Helpers shared by the chunk codec tests: bit-exact comparison and signal generators.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tsdb/codec.hpp"

namespace kaiwu::tsdb::codec_testing {

inline std::vector<std::uint64_t> bits_of(std::span<const double> values) {
  std::vector<std::uint64_t> out;
  out.reserve(values.size());
  for (const double v : values) out.push_back(std::bit_cast<std::uint64_t>(v));
  return out;
}

// Equal column by column; doubles compared by their bits (NaN payloads, -0.0).
inline ::testing::AssertionResult same_chunk(const ChunkData& a, const ChunkData& b) {
  if (a.type != b.type) return ::testing::AssertionFailure() << "type differs";
  if (a.ts != b.ts) return ::testing::AssertionFailure() << "timestamps differ";
  if (bits_of(a.f64) != bits_of(b.f64)) return ::testing::AssertionFailure() << "doubles differ";
  if (a.i64 != b.i64) return ::testing::AssertionFailure() << "ints differ";
  if (a.b != b.b) return ::testing::AssertionFailure() << "bools differ";
  if (a.str != b.str) return ::testing::AssertionFailure() << "strings differ";
  return ::testing::AssertionSuccess();
}

inline std::vector<std::int64_t> regular_ts(std::size_t n, std::int64_t start, std::int64_t step) {
  std::vector<std::int64_t> ts(n);
  for (std::size_t i = 0; i < n; ++i) ts[i] = start + static_cast<std::int64_t>(i) * step;
  return ts;
}

// Sampling every `step` ms with uniform jitter in [-jitter, jitter] (jitter < step / 2).
inline std::vector<std::int64_t> jittered_ts(std::size_t n, std::int64_t start, std::int64_t step,
                                             std::int64_t jitter, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> j(-jitter, jitter);
  std::vector<std::int64_t> ts(n);
  for (std::size_t i = 0; i < n; ++i) ts[i] = start + static_cast<std::int64_t>(i) * step + j(rng);
  return ts;
}

inline ChunkData double_chunk(std::vector<std::int64_t> ts, std::vector<double> values) {
  ChunkData c;
  c.type = ValueType::kDouble;
  c.ts = std::move(ts);
  c.f64 = std::move(values);
  return c;
}

// A slowly varying analog value (20 ± 2 over an hour) with gaussian noise, rounded to
// `decimals` as a PLC or gateway reports it: round(x * 10^d) / 10^d.
inline std::vector<double> noisy_analog(std::size_t n, int decimals, double noise,
                                        std::mt19937_64& rng) {
  std::normal_distribution<double> gauss(0.0, noise);
  const double scale = std::pow(10.0, decimals);
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x =
        20.0 + 2.0 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / 3600.0) + gauss(rng);
    out[i] = std::round(x * scale) / scale;
  }
  return out;
}

}  // namespace kaiwu::tsdb::codec_testing
