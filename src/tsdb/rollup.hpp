// Partial aggregates: associative summaries of a set of samples (count, sum, min, max, first,
// last), used for the 1-minute / 1-hour rollups and for merging rollups with raw samples.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tsdb/store.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::tsdb {

struct Partial {
  std::uint64_t count = 0;
  std::uint64_t numeric = 0;  // samples that entered sum/min/max
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::int64_t first_ts = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
  Value first;
  Value last;

  void add(std::int64_t ts, const Value& v);
  void merge(const Partial& other);
  // The requested aggregate; nullopt when it has no meaning here (e.g. avg of strings).
  std::optional<Value> result(Agg agg) const;

  std::string encode() const;
  static std::optional<Partial> decode(std::string_view bytes);
};

// The 1-minute partials of one series in one hour, stored as one value: columns (count, sum,
// min, max, first/last offsets and values) each encoded with the chunk codec, so a minute costs
// a few bytes instead of a RocksDB entry of its own. Keys of `buckets` are minute starts.
std::string encode_minute_block(const std::map<std::int64_t, Partial>& buckets, ValueType type);
Result<std::map<std::int64_t, Partial>> decode_minute_block(std::string_view bytes);

// Numeric view of a value (bool as 0/1); nullopt for strings.
std::optional<double> as_number(const Value& v);

void encode_value(std::string& out, const Value& v);  // type byte + payload
std::optional<Value> decode_value(std::string_view& in);

}  // namespace kaiwu::tsdb
