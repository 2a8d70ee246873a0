// Writes the seed corpus of fuzz_chunk: small encoded chunks covering every codec path.
//   make_chunk_corpus tests/fuzz/corpus/chunk
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tsdb/codec.hpp"

namespace {

using kaiwu::tsdb::ChunkData;
using kaiwu::tsdb::ValueType;

constexpr std::int64_t kT0 = 1'700'000'000'000;

std::vector<std::int64_t> regular(std::size_t n, std::int64_t start, std::int64_t step) {
  std::vector<std::int64_t> ts(n);
  for (std::size_t i = 0; i < n; ++i) ts[i] = start + static_cast<std::int64_t>(i) * step;
  return ts;
}

std::vector<std::int64_t> jittered(std::size_t n, std::mt19937_64& rng) {
  auto ts = regular(n, kT0, 1000);
  for (auto& t : ts) t += static_cast<std::int64_t>(rng() % 7) - 3;
  return ts;
}

ChunkData doubles(std::vector<std::int64_t> ts, std::vector<double> v) {
  ChunkData c;
  c.type = ValueType::kDouble;
  c.ts = std::move(ts);
  c.f64 = std::move(v);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(1);
  std::vector<std::pair<std::string, ChunkData>> chunks;

  chunks.emplace_back("empty", doubles({}, {}));
  std::vector<double> analog(60);
  for (std::size_t i = 0; i < analog.size(); ++i) {
    analog[i] = std::round((20 + std::sin(i / 10.0) + (rng() % 100) / 1000.0) * 100) / 100;
  }
  chunks.emplace_back("double_decimal", doubles(regular(60, kT0, 1000), analog));
  std::vector<double> long_analog(400);
  for (std::size_t i = 0; i < long_analog.size(); ++i) {
    long_analog[i] = std::round((20 + std::sin(i / 60.0) + (rng() % 100) / 1000.0) * 10) / 10;
  }
  chunks.emplace_back("double_decimal_zstd", doubles(regular(400, kT0, 1000), long_analog));
  auto with_specials = analog;
  with_specials[3] = std::nan("");
  with_specials[9] = -0.0;
  with_specials[30] = std::numeric_limits<double>::infinity();
  chunks.emplace_back("double_exceptions", doubles(jittered(60, rng), with_specials));
  std::vector<double> real;
  for (int i = 0; i < 6; ++i) real.push_back(1.0 / 3 + i * 1e-9);
  chunks.emplace_back("double_gorilla", doubles({-5, 0, 3, 1000, 1001, 99999}, real));
  std::vector<double> floats(100);
  for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = static_cast<float>(std::sin(0.3 * i));
  chunks.emplace_back("double_shuffle", doubles(regular(100, 0, 1), floats));
  std::vector<double> random_bits(8);
  for (auto& x : random_bits) x = std::bit_cast<double>(rng());
  chunks.emplace_back("double_raw", doubles(regular(8, -100, 7), random_bits));

  ChunkData counter;
  counter.type = ValueType::kInt;
  counter.ts = jittered(80, rng);
  std::int64_t total = 1000;
  for (std::size_t i = 0; i < counter.ts.size(); ++i) counter.i64.push_back(total += rng() % 4);
  chunks.emplace_back("int_counter", counter);
  ChunkData extremes;
  extremes.type = ValueType::kInt;
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  extremes.ts = {kMin, kMin + 1, -1, 0, 5, 1'000'000'000'000, kMax};
  extremes.i64 = {kMax, kMin, 0, -1, 1, kMax, kMin};
  chunks.emplace_back("int_extremes", extremes);

  ChunkData bools;
  bools.type = ValueType::kBool;
  bools.ts = regular(40, kT0, 1000);
  for (std::size_t i = 0; i < bools.ts.size(); ++i) bools.b.push_back((i / 7) % 2);
  chunks.emplace_back("bool_runs", bools);
  ChunkData strings;
  strings.type = ValueType::kString;
  strings.ts = regular(30, kT0, 60'000);
  const std::vector<std::string> states = {"idle", "running", "", "alarm: over temperature"};
  for (std::size_t i = 0; i < strings.ts.size(); ++i) strings.str.push_back(states[(i / 4) % 4]);
  chunks.emplace_back("string_states", strings);

  for (const auto& [name, chunk] : chunks) {
    const auto bytes = kaiwu::tsdb::encode_chunk(chunk);
    if (!bytes) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), bytes.error().message.c_str());
      return 1;
    }
    const auto info = kaiwu::tsdb::chunk_info(*bytes);
    if (!info) return 1;
    std::ofstream(dir / (name + ".bin"), std::ios::binary) << *bytes;
    std::printf("%-22s %4zu bytes  double codec %d\n", name.c_str(), bytes->size(),
                static_cast<int>(info->double_codec));
  }
  return 0;
}
