#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <numeric>

#include "core/ids.hpp"
#include "tsdb/encoding.hpp"
#include "tsdb/engine_impl.hpp"

namespace kaiwu::tsdb {
namespace fs = std::filesystem;

namespace {

// WAL record entries.
enum class Entry : std::uint8_t { kSample = 1, kDelete = 2 };

constexpr std::size_t kMaxKeyBytes = 256;
constexpr std::size_t kMaxStringBytes = 64 * 1024;

Status rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return ok();
  Errc code = s.IsCorruption() ? Errc::kCorruption : Errc::kIo;
  return fail(code, std::string(what) + ": " + s.ToString());
}

std::string sid_key(std::uint64_t sid) {
  std::string k;
  enc::put_be64(k, sid);
  return k;
}

std::int64_t floor_to(std::int64_t ts, std::int64_t res) {
  std::int64_t q = ts / res;
  if (ts % res != 0 && ts < 0) --q;
  return q * res;
}

}  // namespace

std::optional<Durability> parse_durability(std::string_view s) {
  if (s == "fsync") return Durability::kFsync;
  if (s == "batch") return Durability::kBatch;
  if (s == "none") return Durability::kNone;
  return std::nullopt;
}

std::size_t value_bytes(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return 24 + s->size();
  return 8;
}

ChunkData empty_like(const ChunkData& c) {
  ChunkData out;
  out.type = c.type;
  return out;
}

ChunkData sorted_unique(const ChunkData& c) {
  std::vector<std::size_t> idx(c.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return c.ts[a] < c.ts[b]; });
  ChunkData out = empty_like(c);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    // Of equal timestamps keep the last written (the last in stable order).
    if (k + 1 < idx.size() && c.ts[idx[k + 1]] == c.ts[idx[k]]) continue;
    append_value(out, c.ts[idx[k]], value_at(c, idx[k]));
  }
  return out;
}

Result<std::unique_ptr<TelemetryStore>> open_engine(const EngineOptions& options) {
  auto engine = std::make_unique<Engine>(options);
  KAIWU_TRY_STATUS(engine->open());
  return std::unique_ptr<TelemetryStore>(std::move(engine));
}

Result<std::unique_ptr<TelemetryStore>> open_engine(const std::string& dir, std::string_view durability) {
  auto d = parse_durability(durability);
  if (!d) return fail(Errc::kInvalidArgument, "storage.durability: \"" + std::string(durability) +
                                                  "\" is not one of fsync, batch, none");
  EngineOptions o;
  o.dir = dir;
  o.durability = *d;
  return open_engine(o);
}

std::string Engine::series_name(std::string_view tenant, std::string_view device, std::string_view key,
                                ValueType type) {
  std::string n;
  n.reserve(tenant.size() + device.size() + key.size() + 4);
  n.append(tenant).push_back('\0');
  n.append(device).push_back('\0');
  n.append(key).push_back('\0');
  n.push_back(static_cast<char>('0' + static_cast<int>(type)));
  return n;
}

std::string Engine::device_name(std::string_view tenant, std::string_view device) {
  std::string n(tenant);
  n.push_back('\0');
  n.append(device);
  return n;
}

Status Engine::open() {
  std::error_code ec;
  fs::create_directories(opt_.dir, ec);
  if (ec) return fail(Errc::kIo, "telemetry directory " + opt_.dir + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 3;
  options.max_total_wal_size = 64ull << 20;
  rocksdb::ColumnFamilyOptions plain;
  rocksdb::ColumnFamilyOptions compressed;  // chunks are compressed already
  compressed.compression = rocksdb::kNoCompression;
  rocksdb::ColumnFamilyOptions small;
  small.compression = rocksdb::kZSTD;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, plain}, {"index", plain},    {"chunks", compressed},
      {"rollup_1m", small},                       {"rollup_1h", small}, {"latest", plain}};
  rocksdb::DB* raw = nullptr;
  KAIWU_TRY_STATUS(rocks(rocksdb::DB::Open(options, (fs::path(opt_.dir) / "db").string(), cfs, &handles_, &raw),
                         "open telemetry store"));
  db_.reset(raw);
  index_cf_ = handles_[1];
  chunks_cf_ = handles_[2];
  r1m_cf_ = handles_[3];
  r1h_cf_ = handles_[4];
  latest_cf_ = handles_[5];
  KAIWU_TRY_STATUS(load_index());

  WalOptions wo;
  wo.dir = (fs::path(opt_.dir) / "wal").string();
  wo.sync_each = opt_.durability == Durability::kFsync;
  wo.sync_interval_ms = opt_.durability == Durability::kBatch ? opt_.batch_interval_ms : 0;
  wo.segment_bytes = opt_.wal_segment_bytes;
  wal_ = KAIWU_TRY(Wal::open(wo));
  std::uint64_t replayed = 0;
  KAIWU_TRY_STATUS(wal_->replay([&](std::uint64_t seq, std::string_view payload) {
    ++replayed;
    return apply_record(seq, payload, true);
  }));
  if (replayed) spdlog::info("telemetry: replayed {} WAL records", replayed);

  if (opt_.background) {
    flusher_ = std::thread([this] { flusher_loop(); });
    compactor_ = std::thread([this] { compactor_loop(); });
  }
  return ok();
}

Engine::~Engine() {
  {
    std::lock_guard lock(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (compactor_.joinable()) compactor_.join();
  if (db_) {
    if (auto st = flush(); !st) spdlog::error("telemetry: flush on close failed: {}", st.error().message);
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status Engine::load_index() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    std::string_view v(it->value().data(), it->value().size());
    if (k.starts_with("r:")) {
      if (v.size() == 8) retention_[std::string(k.substr(2))] = static_cast<std::int64_t>(enc::get_be64(v.data()));
      continue;
    }
    if (k == "n:") {
      if (v.size() == 8) next_sid_ = std::max(next_sid_, enc::get_be64(v.data()));
      continue;
    }
    if (!k.starts_with("s:") || v.size() != 8) continue;
    std::string name(k.substr(2));
    auto p1 = name.find('\0'), p2 = name.find('\0', p1 + 1), p3 = name.find('\0', p2 + 1);
    if (p3 == std::string::npos || p3 + 2 != name.size())
      return fail(Errc::kCorruption, "telemetry index: malformed series name");
    auto s = std::make_unique<Series>();
    s->id = enc::get_be64(v.data());
    s->tenant = name.substr(0, p1);
    s->device = name.substr(p1 + 1, p2 - p1 - 1);
    s->key = name.substr(p2 + 1, p3 - p2 - 1);
    s->type = static_cast<ValueType>(name[p3 + 1] - '0');
    s->head.type = s->flushing.type = s->type;
    next_sid_ = std::max(next_sid_, s->id + 1);
    by_id_[s->id] = s.get();
    by_device_[device_name(s->tenant, s->device)].push_back(s.get());
    by_name_[name] = std::move(s);
  }
  // Latest samples and the newest flushed timestamp of each series.
  std::unique_ptr<rocksdb::Iterator> lt(db_->NewIterator(rocksdb::ReadOptions(), latest_cf_));
  for (lt->SeekToFirst(); lt->Valid(); lt->Next()) {
    if (lt->key().size() != 8) continue;
    auto it2 = by_id_.find(enc::get_be64(lt->key().data()));
    if (it2 == by_id_.end()) continue;
    std::string_view v(lt->value().data(), lt->value().size());
    enc::Reader r(v);
    auto ts = r.varint();
    if (!ts) continue;
    std::string_view rest = v.substr(v.size() - r.remaining());
    auto value = decode_value(rest);
    if (!value) continue;
    it2->second->latest = Sample{enc::unzigzag(*ts), std::move(*value)};
  }
  for (auto& [id, s] : by_id_) {
    std::unique_ptr<rocksdb::Iterator> ci(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
    ci->SeekForPrev(enc::series_ts_key(id, std::numeric_limits<std::int64_t>::max()));
    if (ci->Valid() && ci->key().size() == 16 && enc::get_be64(ci->key().data()) == id) {
      auto info = chunk_info(std::string_view(ci->value().data(), ci->value().size()));
      if (info) s->flushed_max_ts = info->last_ts;
    }
  }
  return ok();
}

Series* Engine::by_id(std::uint64_t id) {
  std::shared_lock lock(index_mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<Series*> Engine::series_of(const std::string& tenant, const std::string& device, std::string_view key) {
  std::shared_lock lock(index_mu_);
  std::vector<Series*> out;
  auto it = by_device_.find(device_name(tenant, device));
  if (it == by_device_.end()) return out;
  for (auto* s : it->second)
    if (key.empty() || s->key == key) out.push_back(s);
  return out;
}

Result<std::vector<Series*>> Engine::resolve(std::span<const Point> points) {
  std::vector<Series*> out(points.size(), nullptr);
  std::vector<std::size_t> missing;
  {
    std::shared_lock lock(index_mu_);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      auto it = by_name_.find(series_name(p.tenant, p.device, p.key, type_of(p.value)));
      if (it != by_name_.end()) out[i] = it->second.get();
      else missing.push_back(i);
    }
  }
  if (missing.empty()) return out;
  // New series are made durable in the index before any WAL record refers to them.
  std::unique_lock lock(index_mu_);
  rocksdb::WriteBatch batch;
  std::vector<std::unique_ptr<Series>> created;
  for (auto i : missing) {
    const auto& p = points[i];
    auto name = series_name(p.tenant, p.device, p.key, type_of(p.value));
    if (auto it = by_name_.find(name); it != by_name_.end()) {
      out[i] = it->second.get();
      continue;
    }
    auto s = std::make_unique<Series>();
    s->id = next_sid_++;
    s->tenant = p.tenant;
    s->device = p.device;
    s->key = p.key;
    s->type = type_of(p.value);
    s->head.type = s->flushing.type = s->type;
    batch.Put(index_cf_, "s:" + name, sid_key(s->id));
    out[i] = s.get();
    by_id_[s->id] = s.get();
    by_device_[device_name(s->tenant, s->device)].push_back(s.get());
    by_name_[name] = std::move(s);
  }
  // Series ids are never reused: WAL records of a deleted series must not find a new one.
  batch.Put(index_cf_, "n:", sid_key(next_sid_));
  rocksdb::WriteOptions wo;
  wo.sync = opt_.durability != Durability::kNone;
  KAIWU_TRY_STATUS(rocks(db_->Write(wo, &batch), "telemetry index"));
  return out;
}

std::string Engine::encode_samples(std::span<const Point> points, const std::vector<Series*>& series) {
  std::string out;
  out.reserve(points.size() * 14);
  for (std::size_t i = 0; i < points.size(); ++i) {
    out.push_back(static_cast<char>(Entry::kSample));
    enc::put_varint(out, series[i]->id);
    enc::put_varint(out, enc::zigzag(points[i].ts));
    encode_value(out, points[i].value);
  }
  return out;
}

Status Engine::write(std::span<const Point> points) {
  if (points.empty()) return ok();
  for (const auto& p : points) {
    if (p.tenant.empty() || p.device.empty() || p.key.empty())
      return fail(Errc::kInvalidArgument, "telemetry: tenant, device and key must not be empty");
    if (p.key.size() > kMaxKeyBytes)
      return fail(Errc::kInvalidArgument, "telemetry key longer than 256 bytes: " + p.key.substr(0, 32) + "…");
    if (auto* s = std::get_if<std::string>(&p.value); s && s->size() > kMaxStringBytes)
      return fail(Errc::kInvalidArgument, "telemetry " + p.key + ": string value longer than 64 KiB");
  }
  // Back-pressure: when heads hold far more than the budget, wait for the flusher.
  for (int i = 0; i < 1000 && head_bytes_.load() > static_cast<std::int64_t>(opt_.memory_budget_bytes) * 2; ++i) {
    {
      std::lock_guard lock(bg_mu_);
      flush_wanted_ = true;
    }
    bg_cv_.notify_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto series = KAIWU_TRY(resolve(points));
  for (std::size_t i = 0; i < points.size(); ++i) {
    Series* s = series[i];
    std::lock_guard lock(s->mu);
    if (s->flushed_max_ts != std::numeric_limits<std::int64_t>::min() &&
        points[i].ts < s->flushed_max_ts - opt_.out_of_order_window_ms)
      return fail(Errc::kInvalidArgument,
                  "telemetry " + points[i].key + ": timestamp " + std::to_string(points[i].ts) +
                      " is older than the out-of-order window (" + std::to_string(opt_.out_of_order_window_ms) +
                      " ms behind stored data)");
  }
  std::string payload = encode_samples(points, series);
  bool want_flush = false;
  {
    std::shared_lock apply_lock(apply_mu_);
    auto seq = KAIWU_TRY(wal_->append(payload));
    std::int64_t now = now_ms();
    for (std::size_t i = 0; i < points.size(); ++i) {
      Series* s = series[i];
      std::lock_guard lock(s->mu);
      if (s->head.size() == 0) s->head_started_ms = now;
      apply_sample(s, seq, points[i].ts, points[i].value);
      want_flush = want_flush || s->head.size() >= opt_.head_max_samples;
    }
  }
  if (want_flush || head_bytes_.load() > static_cast<std::int64_t>(opt_.memory_budget_bytes)) {
    {
      std::lock_guard lock(bg_mu_);
      flush_wanted_ = true;
    }
    bg_cv_.notify_all();
  }
  return ok();
}

// Caller holds s->mu.
void Engine::apply_sample(Series* s, std::uint64_t seq, std::int64_t ts, Value v) {
  if (s->head_first_seq == 0 || seq < s->head_first_seq) s->head_first_seq = seq;
  std::size_t bytes = 8 + value_bytes(v);
  s->head_bytes += bytes;
  head_bytes_ += static_cast<std::int64_t>(bytes);
  if (!s->latest || ts >= s->latest->ts) s->latest = Sample{ts, v};
  append_value(s->head, ts, v);
}

Status Engine::apply_record(std::uint64_t seq, std::string_view payload, bool replaying) {
  enc::Reader r(payload);
  std::int64_t now = now_ms();
  while (!r.empty()) {
    auto tag = r.u8();
    auto sid = r.varint();
    if (!tag || !sid) return fail(Errc::kCorruption, "WAL record: truncated entry");
    Series* s = by_id(*sid);
    if (*tag == static_cast<std::uint8_t>(Entry::kSample)) {
      auto ts = r.varint();
      if (!ts) return fail(Errc::kCorruption, "WAL record: truncated sample");
      std::string_view rest = payload.substr(payload.size() - r.remaining());
      auto value = decode_value(rest);
      if (!value) return fail(Errc::kCorruption, "WAL record: bad value");
      r = enc::Reader(rest);
      if (!s || type_of(*value) != s->type) continue;  // series deleted since
      std::lock_guard lock(s->mu);
      if (s->head.size() == 0) s->head_started_ms = now;
      apply_sample(s, seq, enc::unzigzag(*ts), std::move(*value));
    } else if (*tag == static_cast<std::uint8_t>(Entry::kDelete)) {
      auto from = r.varint(), to = r.varint();
      if (!from || !to) return fail(Errc::kCorruption, "WAL record: truncated delete");
      if (s && replaying) KAIWU_TRY_STATUS(delete_series_range(s, enc::unzigzag(*from), enc::unzigzag(*to)));
    } else {
      return fail(Errc::kCorruption, "WAL record: unknown entry " + std::to_string(*tag));
    }
  }
  return ok();
}

// ---- flushing ---------------------------------------------------------------------------

void Engine::flusher_loop() {
  std::unique_lock lock(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || flush_wanted_; });
    if (stop_) break;
    flush_wanted_ = false;
    lock.unlock();
    if (auto st = flush_pass(false); !st) spdlog::error("telemetry flush: {}", st.error().message);
    lock.lock();
  }
}

Status Engine::flush() { return flush_pass(true); }

Status Engine::flush_pass(bool force) {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<Series*> all;
  {
    std::shared_lock lock(index_mu_);
    all.reserve(by_id_.size());
    for (auto& [id, s] : by_id_) all.push_back(s);
  }
  std::int64_t now = now_ms();
  bool over_budget = head_bytes_.load() > static_cast<std::int64_t>(opt_.memory_budget_bytes);
  std::vector<std::pair<std::size_t, Series*>> due;
  for (auto* s : all) {
    std::lock_guard lock(s->mu);
    if (s->head.size() == 0) continue;
    if (force || over_budget || s->head.size() >= opt_.head_max_samples ||
        now - s->head_started_ms >= static_cast<std::int64_t>(opt_.head_max_age_ms))
      due.emplace_back(s->head_bytes, s);
  }
  // Under memory pressure the biggest heads go first, until the budget holds again.
  std::sort(due.begin(), due.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (auto& [bytes, s] : due) {
    KAIWU_TRY_STATUS(flush_series(s));
    if (!force && over_budget && head_bytes_.load() < static_cast<std::int64_t>(opt_.memory_budget_bytes) / 2) {
      bool regular = false;
      {
        std::lock_guard lock(s->mu);
        regular = s->head.size() >= opt_.head_max_samples;
      }
      if (!regular) over_budget = false;
    }
  }
  if (!due.empty()) KAIWU_TRY_STATUS(checkpoint());
  return ok();
}

Status Engine::flush_series(Series* s) {
  ChunkData data;
  std::size_t bytes = 0;
  std::int64_t flushed_max;
  {
    std::lock_guard lock(s->mu);
    if (s->head.size() == 0) return ok();
    s->flushing = std::move(s->head);
    s->head = empty_like(s->flushing);
    ++s->generation;  // rollup readers retry across a flush (see aggregate_series)
    s->head_first_seq = 0;
    bytes = s->head_bytes;
    s->head_bytes = 0;
    data = sorted_unique(s->flushing);
    flushed_max = s->flushed_max_ts;
  }
  rocksdb::WriteBatch batch;
  KAIWU_TRY_STATUS(write_chunks(s, data, batch));
  // Samples newer than everything on disk extend the rollups incrementally; older ones make
  // their buckets dirty and those are recomputed from the chunks after the write.
  ChunkData fresh = empty_like(data);
  std::optional<std::pair<std::int64_t, std::int64_t>> dirty;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data.ts[i] > flushed_max) {
      append_value(fresh, data.ts[i], value_at(data, i));
    } else if (!dirty) {
      dirty = std::pair{data.ts[i], data.ts[i] + 1};
    } else {
      dirty->second = data.ts[i] + 1;
    }
  }
  if (s->type != ValueType::kString) KAIWU_TRY_STATUS(update_rollups(s, fresh, batch));
  std::optional<Sample> latest;
  {
    std::lock_guard lock(s->mu);
    latest = s->latest;
  }
  if (latest) {
    std::string v;
    enc::put_varint(v, enc::zigzag(latest->ts));
    encode_value(v, latest->value);
    batch.Put(latest_cf_, sid_key(s->id), v);
  }
  KAIWU_TRY_STATUS(rocks(db_->Write(rocksdb::WriteOptions(), &batch), "write chunks"));
  if (dirty && s->type != ValueType::kString) KAIWU_TRY_STATUS(recompute_rollups(s, dirty->first, dirty->second));
  {
    std::lock_guard lock(s->mu);
    s->flushing = empty_like(data);
    if (data.size()) s->flushed_max_ts = std::max(s->flushed_max_ts, data.ts.back());
    ++s->generation;
  }
  head_bytes_ -= static_cast<std::int64_t>(bytes);
  return ok();
}

// Writes data (sorted, unique) as chunks: samples after the newest chunk become new chunks;
// older samples are merged into the chunk that covers them.
Status Engine::write_chunks(Series* s, const ChunkData& data, rocksdb::WriteBatch& batch) {
  std::size_t i = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  while (i < data.size()) {
    // The chunk at or before data.ts[i].
    it->SeekForPrev(enc::series_ts_key(s->id, data.ts[i]));
    bool has_prev = it->Valid() && it->key().size() == 16 && enc::get_be64(it->key().data()) == s->id;
    std::string prev_key, prev_bytes;
    std::optional<ChunkInfo> prev_info;
    if (has_prev) {
      prev_key.assign(it->key().data(), it->key().size());
      prev_bytes.assign(it->value().data(), it->value().size());
      auto info = chunk_info(prev_bytes);
      if (!info) return std::unexpected(info.error());
      prev_info = *info;
    }
    // The next chunk after data.ts[i] bounds how far this group reaches.
    it->Seek(enc::series_ts_key(s->id, data.ts[i] + (data.ts[i] < std::numeric_limits<std::int64_t>::max())));
    std::int64_t next_start = std::numeric_limits<std::int64_t>::max();
    if (it->Valid() && it->key().size() == 16 && enc::get_be64(it->key().data()) == s->id)
      next_start = enc::ts_from_key(enc::get_be64(it->key().data() + 8));
    std::size_t j = i;
    while (j < data.size() && data.ts[j] < next_start) ++j;
    bool merge = prev_info && (data.ts[i] <= prev_info->last_ts || next_start != std::numeric_limits<std::int64_t>::max());
    if (!merge) {
      // Plain append: new chunks of at most head_max_samples samples.
      for (std::size_t k = i; k < j; k += opt_.head_max_samples) {
        std::size_t end = std::min(j, k + opt_.head_max_samples);
        ChunkData part = empty_like(data);
        for (std::size_t m = k; m < end; ++m) append_value(part, data.ts[m], value_at(data, m));
        auto bytes = KAIWU_TRY(encode_chunk(part));
        batch.Put(chunks_cf_, enc::series_ts_key(s->id, part.ts.front()), bytes);
      }
    } else {
      auto old = KAIWU_TRY(decode_chunk(prev_bytes));
      ChunkData merged = empty_like(data);
      std::size_t a = 0, b = i;
      while (a < old.size() || b < j) {
        if (b >= j || (a < old.size() && old.ts[a] < data.ts[b])) {
          append_value(merged, old.ts[a], value_at(old, a));
          ++a;
        } else {
          if (a < old.size() && old.ts[a] == data.ts[b]) ++a;  // the new write wins
          append_value(merged, data.ts[b], value_at(data, b));
          ++b;
        }
      }
      batch.Delete(chunks_cf_, prev_key);
      auto bytes = KAIWU_TRY(encode_chunk(merged));
      batch.Put(chunks_cf_, enc::series_ts_key(s->id, merged.ts.front()), bytes);
    }
    i = j;
  }
  return ok();
}

Status Engine::update_rollups(Series* s, const ChunkData& data, rocksdb::WriteBatch& batch) {
  // 1-hour rollups: one entry per hour.
  std::size_t i = 0;
  while (i < data.size()) {
    std::int64_t bucket = floor_to(data.ts[i], kHour);
    Partial p;
    auto key = enc::series_ts_key(s->id, bucket);
    std::string existing;
    auto st = db_->Get(rocksdb::ReadOptions(), r1h_cf_, key, &existing);
    if (st.ok()) {
      if (auto old = Partial::decode(existing)) p = std::move(*old);
    } else if (!st.IsNotFound()) {
      return rocks(st, "read rollup");
    }
    while (i < data.size() && data.ts[i] < bucket + kHour) {
      p.add(data.ts[i], value_at(data, i));
      ++i;
    }
    batch.Put(r1h_cf_, key, p.encode());
  }
  // 1-minute rollups: one block of minutes per hour.
  i = 0;
  while (i < data.size()) {
    std::int64_t hour = floor_to(data.ts[i], kHour);
    std::map<std::int64_t, Partial> minutes;
    auto key = enc::series_ts_key(s->id, hour);
    std::string existing;
    auto st = db_->Get(rocksdb::ReadOptions(), r1m_cf_, key, &existing);
    if (st.ok()) {
      minutes = KAIWU_TRY(decode_minute_block(existing));
    } else if (!st.IsNotFound()) {
      return rocks(st, "read rollup");
    }
    while (i < data.size() && data.ts[i] < hour + kHour) {
      minutes[floor_to(data.ts[i], kMinute)].add(data.ts[i], value_at(data, i));
      ++i;
    }
    batch.Put(r1m_cf_, key, encode_minute_block(minutes, s->type));
  }
  return ok();
}

Status Engine::recompute_rollups(Series* s, std::int64_t from, std::int64_t to) {
  from = std::max(from, kMinTs);
  to = std::min(to, -kMinTs);
  std::int64_t a = floor_to(from, kHour);
  std::int64_t b = floor_to(to - 1, kHour) + kHour;
  ChunkData raw = empty_like(s->head);
  KAIWU_TRY_STATUS(read_chunks(s, a, b, raw));
  rocksdb::WriteBatch batch;
  for (auto* cf : {r1m_cf_, r1h_cf_}) batch.DeleteRange(cf, enc::series_ts_key(s->id, a), enc::series_ts_key(s->id, b));
  std::size_t i = 0;
  while (i < raw.size()) {
    std::int64_t hour = floor_to(raw.ts[i], kHour);
    Partial p;
    std::map<std::int64_t, Partial> minutes;
    while (i < raw.size() && raw.ts[i] < hour + kHour) {
      Value v = value_at(raw, i);
      p.add(raw.ts[i], v);
      minutes[floor_to(raw.ts[i], kMinute)].add(raw.ts[i], v);
      ++i;
    }
    batch.Put(r1h_cf_, enc::series_ts_key(s->id, hour), p.encode());
    batch.Put(r1m_cf_, enc::series_ts_key(s->id, hour), encode_minute_block(minutes, s->type));
  }
  return rocks(db_->Write(rocksdb::WriteOptions(), &batch), "write rollups");
}

// Drops WAL segments whose samples all sit in chunks, after syncing RocksDB's own log.
Status Engine::checkpoint() {
  std::unique_lock apply_lock(apply_mu_);
  std::uint64_t min_seq = wal_->last_seq() + 1;
  {
    std::shared_lock lock(index_mu_);
    for (auto& [id, s] : by_id_) {
      std::lock_guard slock(s->mu);
      if (s->head_first_seq != 0) min_seq = std::min(min_seq, s->head_first_seq);
    }
  }
  apply_lock.unlock();
  KAIWU_TRY_STATUS(rocks(db_->FlushWAL(true), "sync telemetry store"));
  return wal_->remove_below(min_seq);
}

// ---- deletes, retention, stats -----------------------------------------------------------

// Removes [from, to) of one series from memory and disk. Caller holds flush_mu_.
Status Engine::delete_series_range(Series* s, std::int64_t from, std::int64_t to) {
  {
    std::lock_guard lock(s->mu);
    ChunkData kept = empty_like(s->head);
    for (std::size_t i = 0; i < s->head.size(); ++i)
      if (s->head.ts[i] < from || s->head.ts[i] >= to) append_value(kept, s->head.ts[i], value_at(s->head, i));
    s->head = std::move(kept);
    if (s->head.size() == 0) s->head_first_seq = 0;
  }
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  it->SeekForPrev(enc::series_ts_key(s->id, from));
  if (!it->Valid() || it->key().size() != 16 || enc::get_be64(it->key().data()) != s->id)
    it->Seek(enc::series_ts_key(s->id, from));
  for (; it->Valid() && it->key().size() == 16 && enc::get_be64(it->key().data()) == s->id; it->Next()) {
    std::int64_t start = enc::ts_from_key(enc::get_be64(it->key().data() + 8));
    if (start >= to) break;
    auto chunk = KAIWU_TRY(decode_chunk(std::string_view(it->value().data(), it->value().size())));
    if (chunk.size() && chunk.ts.back() < from) continue;
    ChunkData kept = empty_like(chunk);
    for (std::size_t i = 0; i < chunk.size(); ++i)
      if (chunk.ts[i] < from || chunk.ts[i] >= to) append_value(kept, chunk.ts[i], value_at(chunk, i));
    batch.Delete(chunks_cf_, it->key());
    if (kept.size()) batch.Put(chunks_cf_, enc::series_ts_key(s->id, kept.ts.front()), KAIWU_TRY(encode_chunk(kept)));
  }
  KAIWU_TRY_STATUS(rocks(db_->Write(rocksdb::WriteOptions(), &batch), "delete range"));
  if (s->type != ValueType::kString) KAIWU_TRY_STATUS(recompute_rollups(s, from, to));
  // The latest sample may have gone: find the newest one left.
  std::lock_guard lock(s->mu);
  ++s->generation;
  if (s->latest && s->latest->ts >= from && s->latest->ts < to) {
    s->latest.reset();
    for (std::size_t i = 0; i < s->head.size(); ++i)
      if (!s->latest || s->head.ts[i] >= s->latest->ts) s->latest = Sample{s->head.ts[i], value_at(s->head, i)};
    std::unique_ptr<rocksdb::Iterator> last(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
    last->SeekForPrev(enc::series_ts_key(s->id, std::numeric_limits<std::int64_t>::max()));
    if (last->Valid() && last->key().size() == 16 && enc::get_be64(last->key().data()) == s->id) {
      auto chunk = decode_chunk(std::string_view(last->value().data(), last->value().size()));
      if (chunk && chunk->size() && (!s->latest || chunk->ts.back() > s->latest->ts))
        s->latest = Sample{chunk->ts.back(), value_at(*chunk, chunk->size() - 1)};
    }
    if (!s->latest) db_->Delete(rocksdb::WriteOptions(), latest_cf_, sid_key(s->id));
    else {
      std::string v;
      enc::put_varint(v, enc::zigzag(s->latest->ts));
      encode_value(v, s->latest->value);
      db_->Put(rocksdb::WriteOptions(), latest_cf_, sid_key(s->id), v);
    }
  }
  return ok();
}

Status Engine::delete_range(const std::string& tenant, const std::string& device, std::span<const std::string> keys,
                            std::int64_t from, std::int64_t to) {
  if (from >= to) return fail(Errc::kInvalidArgument, "delete range: from must be before to");
  from = std::max(from, kMinTs);
  to = std::min(to, -kMinTs);
  std::vector<Series*> targets;
  if (keys.empty()) targets = series_of(tenant, device, {});
  for (const auto& k : keys) {
    auto s = series_of(tenant, device, k);
    targets.insert(targets.end(), s.begin(), s.end());
  }
  if (targets.empty()) return ok();
  std::string payload;
  for (auto* s : targets) {
    payload.push_back(static_cast<char>(Entry::kDelete));
    enc::put_varint(payload, s->id);
    enc::put_varint(payload, enc::zigzag(from));
    enc::put_varint(payload, enc::zigzag(to));
  }
  std::lock_guard flush_lock(flush_mu_);
  {
    std::shared_lock apply_lock(apply_mu_);
    KAIWU_TRY(wal_->append(payload));
  }
  for (auto* s : targets) KAIWU_TRY_STATUS(delete_series_range(s, from, to));
  return ok();
}

Status Engine::delete_device(const std::string& tenant, const std::string& device) {
  std::lock_guard flush_lock(flush_mu_);
  std::unique_lock lock(index_mu_);
  auto it = by_device_.find(device_name(tenant, device));
  if (it == by_device_.end()) return ok();
  rocksdb::WriteBatch batch;
  for (auto* s : it->second) {
    auto name = series_name(s->tenant, s->device, s->key, s->type);
    batch.Delete(index_cf_, "s:" + name);
    for (auto* cf : {chunks_cf_, r1m_cf_, r1h_cf_})
      batch.DeleteRange(cf, sid_key(s->id), sid_key(s->id + 1));
    batch.Delete(latest_cf_, sid_key(s->id));
    {
      std::lock_guard slock(s->mu);
      head_bytes_ -= static_cast<std::int64_t>(s->head_bytes);
      s->head = empty_like(s->head);
      s->head_first_seq = 0;
      s->head_bytes = 0;
      s->latest.reset();
    }
    by_id_.erase(s->id);
    auto node = by_name_.extract(name);
    if (!node.empty()) graveyard_.push_back(std::move(node.mapped()));  // readers may hold the pointer
  }
  by_device_.erase(it);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return rocks(db_->Write(wo, &batch), "delete device");
}

Status Engine::set_retention(const std::string& tenant, std::int64_t ttl_ms) {
  if (ttl_ms < 0) return fail(Errc::kInvalidArgument, "retention must not be negative");
  std::unique_lock lock(index_mu_);
  std::string v;
  enc::put_be64(v, static_cast<std::uint64_t>(ttl_ms));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  KAIWU_TRY_STATUS(rocks(db_->Put(wo, index_cf_, "r:" + tenant, v), "set retention"));
  if (ttl_ms == 0) retention_.erase(tenant);
  else retention_[tenant] = ttl_ms;
  return ok();
}

Status Engine::compact() {
  std::vector<std::pair<Series*, std::int64_t>> expired;
  std::int64_t now = now_ms();
  {
    std::shared_lock lock(index_mu_);
    for (auto& [id, s] : by_id_) {
      auto r = retention_.find(s->tenant);
      if (r != retention_.end()) expired.emplace_back(s, now - r->second);
    }
  }
  {
    std::lock_guard flush_lock(flush_mu_);
    for (auto [s, cutoff] : expired)
      KAIWU_TRY_STATUS(delete_series_range(s, kMinTs, cutoff));
  }
  for (auto* cf : handles_)
    KAIWU_TRY_STATUS(rocks(db_->CompactRange(rocksdb::CompactRangeOptions(), cf, nullptr, nullptr), "compact"));
  return ok();
}

void Engine::compactor_loop() {
  std::unique_lock lock(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(lock, std::chrono::minutes(10), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    if (auto st = compact(); !st) spdlog::error("telemetry compaction: {}", st.error().message);
    lock.lock();
  }
}

Result<StoreStats> Engine::stats() {
  StoreStats st;
  {
    std::shared_lock lock(index_mu_);
    st.series = by_id_.size();
    for (auto& [id, s] : by_id_) {
      std::lock_guard slock(s->mu);
      st.head_samples += s->head.size() + s->flushing.size();
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto info = chunk_info(std::string_view(it->value().data(), it->value().size()));
    if (!info) continue;
    ++st.chunks;
    st.samples += info->count;
    st.chunk_bytes += it->value().size();
  }
  st.samples += st.head_samples;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(opt_.dir, ec))
    if (e.is_regular_file(ec)) st.disk_bytes += e.file_size(ec);
  st.bytes_per_sample = st.samples ? static_cast<double>(st.disk_bytes) / static_cast<double>(st.samples) : 0;
  return st;
}

}  // namespace kaiwu::tsdb
