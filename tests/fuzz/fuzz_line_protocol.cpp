// libFuzzer target for the InfluxDB line protocol decoder (src/ingest/line_protocol.hpp). Any
// body must parse or be rejected with kInvalidArgument and a message naming the line, never
// crash. An accepted body must yield well-formed lines: a non-empty measurement, non-empty tag
// keys and values, at least one field, non-empty field keys, and no more lines than the body has.
// The same body is also read with the other precisions, whose scaling must not overflow.
//
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_line_protocol -max_total_time=60 /tmp/lp-corpus tests/fuzz/corpus/line_protocol
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ingest/line_protocol.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto lines = kaiwu::ingest::parse_line_protocol(body, kaiwu::ingest::Precision::kNs, kNow);
  if (!lines) {
    FUZZ_CHECK(lines.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(lines.error().message.starts_with("line "));
    return 0;
  }
  const auto input_lines = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
  FUZZ_CHECK(lines->size() <= input_lines);
  for (const auto& line : *lines) {
    FUZZ_CHECK(!line.measurement.empty());
    for (const auto& [k, v] : line.tags) FUZZ_CHECK(!k.empty() && !v.empty());
    FUZZ_CHECK(!line.fields.empty());
    for (const auto& f : line.fields) FUZZ_CHECK(!f.key.empty());
  }

  // Other precisions scale the same timestamps; they must not crash or overflow either.
  static constexpr kaiwu::ingest::Precision kOthers[] = {
      kaiwu::ingest::Precision::kUs, kaiwu::ingest::Precision::kMs, kaiwu::ingest::Precision::kS,
      kaiwu::ingest::Precision::kM, kaiwu::ingest::Precision::kH};
  for (const auto p : kOthers) {
    const auto other = kaiwu::ingest::parse_line_protocol(body, p, kNow);
    if (other) FUZZ_CHECK(other->size() == lines->size());
  }
  return 0;
}
