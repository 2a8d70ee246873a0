// libFuzzer target for the telemetry JSON decoder (src/ingest/telemetry_json.hpp) and the strict
// JSON parser under it (src/core/json_parse.hpp). Any input must parse or be rejected with
// kInvalidArgument and a message, never crash. An accepted payload must respect the documented
// limits: every key 1..256 bytes, at most kMaxSamplesPerPayload samples, no negative timestamp,
// and samples without "ts" carry the receive time. parse_telemetry_json accepts only what
// parse_json accepts and nothing with a number beyond the double range (parse_json reads those
// as ±Inf, which Boost serializes as the non-JSON "Infinity"); every other value parse_json
// accepts must serialize and parse back to the same text.
//
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_telemetry_json -max_total_time=60 /tmp/tj-corpus tests/fuzz/corpus/telemetry_json
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/json_parse.hpp"
#include "ingest/telemetry_json.hpp"
#include "fuzz_check.hpp"

namespace {

bool all_finite(const boost::json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (!all_finite(e)) return false;
  }
  if (v.is_object()) {
    for (const auto& [k, e] : v.get_object())
      if (!all_finite(e)) return false;
  }
  return true;
}

// Receive time handed to the decoder; samples without "ts" must carry exactly this.
constexpr std::int64_t kNow = 1'700'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);

  const auto json = kaiwu::parse_json(payload);
  if (!json) {
    FUZZ_CHECK(json.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(!json.error().message.empty());
  } else if (all_finite(*json)) {
    // Boost.JSON's serializer output must be valid JSON that reads back to an equal value
    // (numbers compared as values; serialize writes doubles with enough digits to round-trip).
    const std::string text = boost::json::serialize(*json);
    const auto again = kaiwu::parse_json(text);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(boost::json::serialize(*again) == text);
  }

  const auto samples = kaiwu::ingest::parse_telemetry_json(payload, kNow);
  if (!samples) {
    FUZZ_CHECK(samples.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(!samples.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(json.has_value() && all_finite(*json));
  FUZZ_CHECK(samples->size() <= kaiwu::ingest::kMaxSamplesPerPayload);
  for (const auto& s : *samples) {
    FUZZ_CHECK(!s.key.empty());
    FUZZ_CHECK(s.key.size() <= 256);
    FUZZ_CHECK(s.ts >= 0);
    if (const auto* d = std::get_if<double>(&s.value)) FUZZ_CHECK(std::isfinite(*d));
  }
  // The object form without "ts" stamps every value with the receive time.
  if (json->is_object() && !json->as_object().contains("ts")) {
    for (const auto& s : *samples) FUZZ_CHECK(s.ts == kNow);
  }
  return 0;
}
