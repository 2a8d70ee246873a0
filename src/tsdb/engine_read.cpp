// The engine's read path: latest values from memory; ranges and aggregates from memory and
// chunks, with rollups for long ranges.
#include <rocksdb/iterator.h>

#include <algorithm>
#include <set>
#include <thread>

#include "tsdb/encoding.hpp"
#include "tsdb/engine_impl.hpp"
#include "tsdb/store_util.hpp"

namespace kaiwu::tsdb {
namespace {

constexpr std::size_t kMaxBuckets = 100'000;

std::int64_t floor_to(std::int64_t ts, std::int64_t res) {
  std::int64_t q = ts / res;
  if (ts % res != 0 && ts < 0) --q;
  return q * res;
}
std::int64_t ceil_to(std::int64_t ts, std::int64_t res) {
  std::int64_t f = floor_to(ts, res);
  return f == ts ? f : f + res;
}

bool same_series(const rocksdb::Iterator& it, std::uint64_t sid) {
  return it.Valid() && it.key().size() == 16 && enc::get_be64(it.key().data()) == sid;
}

// Copies the samples of c in [from, to) to out (same type).
void copy_range(const ChunkData& c, std::int64_t from, std::int64_t to, ChunkData& out) {
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.ts[i] >= from && c.ts[i] < to) append_value(out, c.ts[i], value_at(c, i));
}

}  // namespace

Status Engine::read_chunks(Series* s, std::int64_t from, std::int64_t to, ChunkData& out) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  it->SeekForPrev(enc::series_ts_key(s->id, from));
  if (!same_series(*it, s->id)) it->Seek(enc::series_ts_key(s->id, from));
  for (; same_series(*it, s->id); it->Next()) {
    std::int64_t start = enc::ts_from_key(enc::get_be64(it->key().data() + 8));
    if (start >= to) break;
    std::string_view bytes(it->value().data(), it->value().size());
    auto info = KAIWU_TRY(chunk_info(bytes));
    if (info.last_ts < from) continue;
    auto chunk = KAIWU_TRY(decode_chunk(bytes));
    if (chunk.type != s->type) return fail(Errc::kCorruption, "chunk of series " + s->key + " has the wrong type");
    copy_range(chunk, from, to, out);
  }
  if (!it->status().ok()) return fail(Errc::kIo, "read chunks: " + it->status().ToString());
  return ok();
}

Result<ChunkData> Engine::collect(Series* s, std::int64_t from, std::int64_t to) {
  // Memory before disk: a flush that completes in between leaves the samples on disk, so
  // nothing is missed; duplicates are resolved in favour of memory (the newer write).
  ChunkData mem = empty_like(s->head);
  {
    std::lock_guard lock(s->mu);
    copy_range(s->flushing, from, to, mem);
    copy_range(s->head, from, to, mem);
  }
  mem = sorted_unique(mem);
  ChunkData disk = empty_like(mem);
  KAIWU_TRY_STATUS(read_chunks(s, from, to, disk));
  if (mem.size() == 0) return disk;
  if (disk.size() == 0) return mem;
  ChunkData out = empty_like(mem);
  std::size_t a = 0, b = 0;
  while (a < disk.size() || b < mem.size()) {
    if (b >= mem.size() || (a < disk.size() && disk.ts[a] < mem.ts[b])) {
      append_value(out, disk.ts[a], value_at(disk, a));
      ++a;
    } else {
      if (a < disk.size() && disk.ts[a] == mem.ts[b]) ++a;
      append_value(out, mem.ts[b], value_at(mem, b));
      ++b;
    }
  }
  return out;
}

Result<std::vector<LatestValue>> Engine::latest(const std::string& tenant, const std::string& device,
                                                std::span<const std::string> keys) {
  std::map<std::string, Sample> best;
  for (auto* s : series_of(tenant, device, {})) {
    if (!keys.empty() && std::find(keys.begin(), keys.end(), s->key) == keys.end()) continue;
    std::lock_guard lock(s->mu);
    if (!s->latest) continue;
    auto it = best.find(s->key);
    if (it == best.end() || s->latest->ts > it->second.ts) best[s->key] = *s->latest;
  }
  return latest_in_key_order(std::move(best), keys);
}

Result<std::vector<std::string>> Engine::keys(const std::string& tenant, const std::string& device) {
  std::set<std::string> names;
  for (auto* s : series_of(tenant, device, {})) names.insert(s->key);
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<KeySeries>> Engine::range(const RangeQuery& q) {
  if (q.from >= q.to) return fail(Errc::kInvalidArgument, "range: from must be before to");
  std::vector<KeySeries> out;
  for (const auto& key : q.keys) {
    KeySeries ks{key, {}};
    for (auto* s : series_of(q.tenant, q.device, key)) {
      auto data = KAIWU_TRY(collect(s, q.from, q.to));
      for (std::size_t i = 0; i < data.size(); ++i) ks.samples.push_back({data.ts[i], value_at(data, i)});
    }
    std::stable_sort(ks.samples.begin(), ks.samples.end(), [](auto& a, auto& b) { return a.ts < b.ts; });
    if (q.order == Order::kDesc) std::reverse(ks.samples.begin(), ks.samples.end());
    if (ks.samples.size() > q.limit) ks.samples.resize(q.limit);
    out.push_back(std::move(ks));
  }
  return out;
}

Status Engine::read_rollups(Series* s, std::int64_t res, std::int64_t from, std::int64_t to,
                            std::map<std::int64_t, Partial>& out, std::int64_t interval) {
  auto* cf = res == kHour ? r1h_cf_ : r1m_cf_;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
  // Minute rollups are stored in blocks keyed by their hour.
  for (it->Seek(enc::series_ts_key(s->id, floor_to(from, kHour))); same_series(*it, s->id); it->Next()) {
    std::int64_t key_ts = enc::ts_from_key(enc::get_be64(it->key().data() + 8));
    if (key_ts >= to) break;
    std::string_view value(it->value().data(), it->value().size());
    if (res == kHour) {
      if (key_ts < from) continue;
      auto p = Partial::decode(value);
      if (!p) return fail(Errc::kCorruption, "rollup of series " + s->key + " is damaged");
      out[floor_to(key_ts, interval)].merge(*p);
      continue;
    }
    auto minutes = KAIWU_TRY(decode_minute_block(value));
    for (auto& [bucket, p] : minutes)
      if (bucket >= from && bucket < to) out[floor_to(bucket, interval)].merge(p);
  }
  if (!it->status().ok()) return fail(Errc::kIo, "read rollups: " + it->status().ToString());
  return ok();
}

Status Engine::aggregate_series(Series* s, const AggQuery& q, std::map<std::int64_t, Partial>& buckets) {
  auto add_raw = [&](std::int64_t from, std::int64_t to) -> Status {
    if (from >= to) return ok();
    auto data = KAIWU_TRY(collect(s, from, to));
    for (std::size_t i = 0; i < data.size(); ++i) buckets[floor_to(data.ts[i], q.interval)].add(data.ts[i], value_at(data, i));
    return ok();
  };
  std::int64_t res = 0;
  if (s->type != ValueType::kString) {
    if (q.interval % kHour == 0 && q.to - q.from >= 7 * 24 * kHour) res = kHour;
    else if (q.interval % kMinute == 0 && q.to - q.from >= 6 * kHour) res = kMinute;
  }
  std::int64_t a = res ? ceil_to(q.from, res) : 0, b = res ? floor_to(q.to, res) : 0;
  if (!res || a >= b) return add_raw(q.from, q.to);

  for (int attempt = 0; attempt < 50; ++attempt) {
    ChunkData mem = empty_like(s->head);
    std::uint64_t gen;
    bool overlaps_disk = false;
    bool flushing = false;
    {
      std::lock_guard lock(s->mu);
      gen = s->generation;
      flushing = s->flushing.size() > 0;
      copy_range(s->head, a, b, mem);
      for (auto ts : mem.ts) overlaps_disk = overlaps_disk || ts <= s->flushed_max_ts;
    }
    if (flushing) {  // its rollups may or may not be written yet
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    // Rewrites of flushed timestamps are in memory and on disk at once: rollups would count
    // both, so such a series is aggregated from raw samples.
    if (overlaps_disk) return add_raw(q.from, q.to);
    std::map<std::int64_t, Partial> part;
    KAIWU_TRY_STATUS(read_rollups(s, res, a, b, part, q.interval));
    {
      std::lock_guard lock(s->mu);
      if (s->generation != gen) continue;  // a flush moved samples meanwhile: read again
    }
    mem = sorted_unique(mem);
    for (std::size_t i = 0; i < mem.size(); ++i) part[floor_to(mem.ts[i], q.interval)].add(mem.ts[i], value_at(mem, i));
    for (auto& [ts, p] : part) buckets[ts].merge(p);
    KAIWU_TRY_STATUS(add_raw(q.from, a));
    return add_raw(b, q.to);
  }
  return add_raw(q.from, q.to);
}

Result<std::vector<KeyBuckets>> Engine::aggregate(const AggQuery& q) {
  if (q.from >= q.to) return fail(Errc::kInvalidArgument, "aggregate: from must be before to");
  if (q.interval <= 0) return fail(Errc::kInvalidArgument, "aggregate: interval must be positive");
  if (static_cast<std::uint64_t>(q.to - q.from) / static_cast<std::uint64_t>(q.interval) > kMaxBuckets)
    return fail(Errc::kInvalidArgument, "aggregate: more than 100000 buckets; use a longer interval");
  std::vector<KeyBuckets> out;
  for (const auto& key : q.keys) {
    std::map<std::int64_t, Partial> buckets;
    for (auto* s : series_of(q.tenant, q.device, key)) KAIWU_TRY_STATUS(aggregate_series(s, q, buckets));
    KeyBuckets kb{key, {}};
    for (auto& [ts, p] : buckets)
      if (auto v = p.result(q.agg)) kb.buckets.push_back({ts, std::move(*v)});
    out.push_back(std::move(kb));
  }
  return out;
}

std::vector<LatestValue> latest_in_key_order(std::map<std::string, Sample> best, std::span<const std::string> keys) {
  std::vector<LatestValue> out;
  if (keys.empty()) {
    for (auto& [k, v] : best) out.push_back({k, std::move(v)});
  } else {
    for (const auto& k : keys)
      if (auto it = best.find(k); it != best.end()) out.push_back({k, it->second});
  }
  return out;
}

std::optional<Agg> parse_agg(std::string_view s) {
  for (auto a : {Agg::kMin, Agg::kMax, Agg::kAvg, Agg::kSum, Agg::kCount, Agg::kFirst, Agg::kLast})
    if (agg_name(a) == s) return a;
  return std::nullopt;
}

std::string_view agg_name(Agg a) {
  switch (a) {
    case Agg::kMin: return "min";
    case Agg::kMax: return "max";
    case Agg::kAvg: return "avg";
    case Agg::kSum: return "sum";
    case Agg::kCount: return "count";
    case Agg::kFirst: return "first";
    case Agg::kLast: return "last";
  }
  return "avg";
}

}  // namespace kaiwu::tsdb
