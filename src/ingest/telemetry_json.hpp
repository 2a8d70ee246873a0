// Parses telemetry payloads in the ThingsBoard device API forms, used by MQTT, HTTP and the REST
// API alike:
//   {"temp": 21.5, "running": true}                      → all at the receive time
//   {"ts": 1700000000000, "values": {"temp": 21.5}}
//   [{"ts": …, "values": {…}}, {"temp": 1}, …]
// Numbers without fraction or exponent become int64, other numbers double; booleans and
// strings keep their type; nested objects and arrays are stored as their JSON text. null is
// rejected, as are non-integer or negative timestamps. Errors name the offending item.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::ingest {

struct TelemetrySample {
  std::int64_t ts = 0;
  std::string key;
  tsdb::Value value;
};

inline constexpr std::size_t kMaxSamplesPerPayload = 100'000;

Result<std::vector<TelemetrySample>> parse_telemetry_json(std::string_view payload, std::int64_t now_ms);

}  // namespace kaiwu::ingest
