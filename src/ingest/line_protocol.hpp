// InfluxDB line protocol (v1/v2 write API), so Telegraf and similar collectors can push:
//   measurement[,tag=value…] field=value[,field=value…] [timestamp]
// Escapes per the InfluxDB reference: "\," "\ " "\=" in names and tags, "\"" "\\" in string
// fields. Field values: floats, integers with an "i" suffix, unsigned with "u", booleans
// (t, T, true, True, TRUE, f, …) and double-quoted strings. Timestamps in the given precision
// (ns default), converted to milliseconds; lines without one get the receive time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::ingest {

struct LineField {
  std::string key;
  tsdb::Value value;
};

struct Line {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<LineField> fields;
  std::int64_t ts_ms = 0;
};

enum class Precision : std::uint8_t { kNs, kUs, kMs, kS, kM, kH };
// "ns", "n", "us", "u", "ms", "s", "m", "h" (v1 and v2 spellings).
Result<Precision> parse_precision(std::string_view s);

// Parses a whole body; the error names the line number and what is wrong. Empty lines and
// comment lines (#…) are skipped.
Result<std::vector<Line>> parse_line_protocol(std::string_view body, Precision precision, std::int64_t now_ms);

}  // namespace kaiwu::ingest
