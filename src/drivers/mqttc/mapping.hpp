// The sans-I/O half of the `mqtt` driver: point addresses, JSON paths and payload → value.
//
// Point address: "<topic filter>#<JSON path>", e.g. "factory/line1/press/status#$.temperature"
// or "plc/+/data#values.speed". The filter follows MQTT 3.1.1 §4.7 (wildcards + and #; a
// trailing "/#" filter is written "a/b/##path" — the first '#' that is not the last character
// of a topic level ends the filter). An empty path ("sensors/t1" or "sensors/t1#") means the
// whole payload is the value: a plain number, true/false, or text for string points.
//
// JSON path syntax (a small subset of JSONPath): an optional leading "$" then keys separated
// by '.', each optionally followed by array indices "[n]": "$.temperature", "values.speed",
// "data[0].v", "$[2]", "m[1][0]". Keys may not contain '.', '[' or ']'.
//
// Conversion (before the point's scale/offset): numbers to the point's type (an integer type
// needs an integral number within range), strings that hold a number ("12.5") likewise, bool
// from true/false (or 0/1), string points take strings (numbers and bools as their JSON text).
// Objects, arrays, null, a missing path or a non-JSON payload give an error for that point.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "drivers/point.hpp"

namespace kaiwu::drivers::mqttc {

using PathStep = std::variant<std::string, std::size_t>;  // object key or array index
inline constexpr std::size_t kMaxPathSteps = 32;

Result<std::vector<PathStep>> parse_path(std::string_view path);

struct Address {
  std::string filter;
  std::string path;  // as written, for messages
  std::vector<PathStep> steps;
};
// kInvalidArgument naming the address when the filter or the path is invalid.
Result<Address> parse_address(std::string_view address);

// The value at `steps` in `doc`; kNotFound naming the missing step.
Result<const boost::json::value*> lookup(const boost::json::value& doc, const std::vector<PathStep>& steps);

// A JSON value → the raw value of a point of type `type` (see above).
Result<tsdb::Value> convert(const boost::json::value& v, DataType type);
// A whole non-JSON payload (empty path) → the raw value.
Result<tsdb::Value> convert_text(std::string_view text, DataType type);

// A timestamp inside a payload → ms since the epoch: a number (ms; values below 10^11 are
// taken as seconds) or an ISO 8601 / RFC 3339 string ("2026-11-26T04:30:00.250Z",
// "2026-11-26T12:30:00+08:00"; no offset means UTC).
Result<std::int64_t> parse_timestamp(const boost::json::value& v);
Result<std::int64_t> parse_iso8601(std::string_view text);

// A raw value as JSON text for write payloads ({"key":value}).
std::string json_object(std::string_view key, const tsdb::Value& value);

}  // namespace kaiwu::drivers::mqttc
