// Value types of the telemetry store. A series is (tenant, device, key, value type); a key that
// receives values of several types is several series, merged by timestamp when read.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace kaiwu::tsdb {

enum class ValueType : std::uint8_t { kDouble = 0, kInt = 1, kBool = 2, kString = 3 };

// Index order matches ValueType.
using Value = std::variant<double, std::int64_t, bool, std::string>;

inline ValueType type_of(const Value& v) { return static_cast<ValueType>(v.index()); }

struct Sample {
  std::int64_t ts = 0;  // milliseconds since the Unix epoch
  Value value;
};

// One sample addressed by its series name, as written by ingest.
struct Point {
  std::string tenant;
  std::string device;
  std::string key;
  std::int64_t ts = 0;
  Value value;
};

}  // namespace kaiwu::tsdb
