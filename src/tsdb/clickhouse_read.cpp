// Queries of the ClickHouse TelemetryStore. Every read first collapses duplicate samples of a
// (key, ts) that ClickHouse has not merged yet with argMax(…, ver): the newest write wins, as in
// the embedded engine, whether or not the background merge already ran.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "tsdb/clickhouse_impl.hpp"
#include "tsdb/store_util.hpp"

namespace kaiwu::tsdb {

namespace {

constexpr std::size_t kMaxBuckets = 100'000;  // as the embedded engine

// floor(ts / interval) * interval for negative timestamps too (ClickHouse's % keeps the sign).
// The literal is cast: 18.16 types Int64 % UInt16 as Int16 and wraps (1700000059000 % 60000
// gives 19000 there).
std::string bucket_expr(std::int64_t interval) {
  return fmt::format("ts - ((ts % toInt64({0})) + toInt64({0})) % toInt64({0})", interval);
}

std::string numeric_expr() { return "multiIf(type = 0, vf, type = 1, toFloat64(vi), type = 2, toFloat64(vb), nan)"; }

}  // namespace

Result<Value> read_value(ch::RowReader& r) {
  auto type = KAIWU_TRY(r.get<std::uint8_t>());
  auto f = KAIWU_TRY(r.get<double>());
  auto i = KAIWU_TRY(r.get<std::int64_t>());
  auto b = KAIWU_TRY(r.get<std::uint8_t>());
  auto s = KAIWU_TRY(r.get_string());
  switch (static_cast<ValueType>(type)) {
    case ValueType::kDouble: return Value(f);
    case ValueType::kInt: return Value(i);
    case ValueType::kBool: return Value(b != 0);
    case ValueType::kString: return Value(std::move(s));
  }
  return fail(Errc::kCorruption, fmt::format("clickhouse: unknown value type {}", type));
}

// A (key String, ts Int64, value tuple) row.
Result<std::pair<std::string, Sample>> read_key_sample(ch::RowReader& r) {
  auto key = KAIWU_TRY(r.get_string());
  Sample s;
  s.ts = KAIWU_TRY(r.get<std::int64_t>());
  s.value = KAIWU_TRY(read_value(r));
  return std::pair{std::move(key), std::move(s)};
}

Result<std::vector<LatestValue>> ClickHouseStore::latest(const std::string& tenant, const std::string& device,
                                                         std::span<const std::string> keys) {
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT key, argMaxMerge(s) FROM {} WHERE {} GROUP BY key ORDER BY key FORMAT RowBinary", table("latest"),
      series_filter(tenant, device, keys))));
  auto cutoff = retention_cutoff(tenant);
  std::map<std::string, Sample> best;
  ch::RowReader r(body);
  while (!r.at_end()) {
    auto [key, s] = KAIWU_TRY(read_key_sample(r));
    if (!cutoff || s.ts >= *cutoff) best.emplace(std::move(key), std::move(s));
  }
  return latest_in_key_order(std::move(best), keys);
}

Result<std::vector<std::string>> ClickHouseStore::keys(const std::string& tenant, const std::string& device) {
  auto all = KAIWU_TRY(latest(tenant, device, {}));
  std::vector<std::string> out;
  out.reserve(all.size());
  for (auto& lv : all) out.push_back(std::move(lv.key));
  return out;
}

Result<std::vector<KeySeries>> ClickHouseStore::range(const RangeQuery& q) {
  if (q.from >= q.to) return fail(Errc::kInvalidArgument, "range: from must be before to");
  std::vector<KeySeries> out;
  for (const auto& key : q.keys) out.push_back({key, {}});
  if (q.keys.empty() || q.limit == 0) return out;
  const auto limit = std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max() / 2);
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT key, ts, v FROM (SELECT key, ts, argMax({}, ver) AS v FROM {} WHERE {} AND ts >= {} AND ts < {}{} "
      "GROUP BY key, ts) ORDER BY key, ts {} LIMIT {} BY key FORMAT RowBinary",
      kValueTuple, table("samples"), series_filter(q.tenant, q.device, q.keys), q.from, q.to,
      retention_filter(q.tenant), q.order == Order::kAsc ? "ASC" : "DESC", limit)));
  std::map<std::string, std::vector<Sample>> by_key;
  ch::RowReader r(body);
  while (!r.at_end()) {
    auto [key, s] = KAIWU_TRY(read_key_sample(r));
    by_key[key].push_back(std::move(s));
  }
  for (auto& ks : out)
    if (auto it = by_key.find(ks.key); it != by_key.end()) ks.samples = it->second;
  return out;
}

Result<std::vector<KeyBuckets>> ClickHouseStore::aggregate(const AggQuery& q) {
  if (q.from >= q.to) return fail(Errc::kInvalidArgument, "aggregate: from must be before to");
  if (q.interval <= 0) return fail(Errc::kInvalidArgument, "aggregate: interval must be positive");
  if (static_cast<std::uint64_t>(q.to - q.from) / static_cast<std::uint64_t>(q.interval) > kMaxBuckets)
    return fail(Errc::kInvalidArgument, "aggregate: more than 100000 buckets; use a longer interval");
  std::vector<KeyBuckets> out;
  for (const auto& key : q.keys) out.push_back({key, {}});
  if (q.keys.empty()) return out;

  // Inner query: one row per (key, ts), newest version. Outer: the aggregate per bucket.
  // Numeric aggregates skip strings (bool counts 0/1) and omit buckets without numbers.
  std::string inner_cols, outer, having;
  switch (q.agg) {
    case Agg::kCount:
      outer = "toInt64(count())";
      break;
    case Agg::kFirst:
    case Agg::kLast:
      inner_cols = fmt::format(", argMax({}, ver) AS v", kValueTuple);
      outer = q.agg == Agg::kFirst ? "argMin(v, ts)" : "argMax(v, ts)";
      break;
    default: {
      inner_cols = fmt::format(", argMax(type, ver) AS t, argMax({}, ver) AS n", numeric_expr());
      const char* fn = q.agg == Agg::kMin ? "minIf" : q.agg == Agg::kMax ? "maxIf" : "sumIf";
      outer = fmt::format("toFloat64({}(n, t != 3))", fn);
      if (q.agg == Agg::kAvg) outer += " / countIf(t != 3)";
      having = " HAVING countIf(t != 3) > 0";
    }
  }
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT key, {} AS bucket, {} FROM (SELECT key, ts{} FROM {} WHERE {} AND ts >= {} AND ts < {}{} "
      "GROUP BY key, ts) GROUP BY key, bucket{} ORDER BY key, bucket FORMAT RowBinary",
      bucket_expr(q.interval), outer, inner_cols, table("samples"), series_filter(q.tenant, q.device, q.keys), q.from,
      q.to, retention_filter(q.tenant), having)));
  std::map<std::string, std::vector<Bucket>> by_key;
  ch::RowReader r(body);
  while (!r.at_end()) {
    auto key = KAIWU_TRY(r.get_string());
    Bucket b;
    b.ts = KAIWU_TRY(r.get<std::int64_t>());
    if (q.agg == Agg::kCount)
      b.value = KAIWU_TRY(r.get<std::int64_t>());
    else if (q.agg == Agg::kFirst || q.agg == Agg::kLast)
      b.value = KAIWU_TRY(read_value(r));
    else
      b.value = KAIWU_TRY(r.get<double>());
    by_key[key].push_back(std::move(b));
  }
  for (auto& kb : out)
    if (auto it = by_key.find(kb.key); it != by_key.end()) kb.buckets = it->second;
  return out;
}

}  // namespace kaiwu::tsdb
