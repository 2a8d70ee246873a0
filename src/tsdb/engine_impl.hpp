// The engine's private class (shared by engine.cpp and engine_read.cpp; nothing else includes
// it). rocksdb types stay inside tsdb/.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tsdb/codec.hpp"
#include "tsdb/engine.hpp"
#include "tsdb/rollup.hpp"
#include "tsdb/wal.hpp"

namespace kaiwu::tsdb {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
// "Since the beginning" for deletes: far enough from INT64_MIN that bucket arithmetic cannot overflow.
constexpr std::int64_t kMinTs = -(std::int64_t{1} << 62);

struct Series {
  std::uint64_t id = 0;
  std::string tenant, device, key;
  ValueType type = ValueType::kDouble;

  std::mutex mu;
  ChunkData head;                  // unsorted; guarded by mu
  ChunkData flushing;              // being written to a chunk; visible to reads; guarded by mu
  std::uint64_t head_first_seq = 0;      // lowest WAL seq in head (0: head empty); guarded by mu
  std::int64_t head_started_ms = 0;      // wall clock when head got its first sample; guarded by mu
  std::int64_t flushed_max_ts = std::numeric_limits<std::int64_t>::min();  // guarded by mu
  std::uint64_t generation = 0;    // bumped when a flush or delete changes disk; guarded by mu
  std::optional<Sample> latest;    // guarded by mu
  std::size_t head_bytes = 0;      // guarded by mu
};

std::size_t value_bytes(const Value& v);
// Sorts by timestamp and keeps the last-written value of equal timestamps.
ChunkData sorted_unique(const ChunkData& c);
ChunkData empty_like(const ChunkData& c);

class Engine final : public TelemetryStore {
 public:
  explicit Engine(EngineOptions o) : opt_(std::move(o)) {}
  ~Engine() override;

  Status open();

  Status write(std::span<const Point> points) override;
  Result<std::vector<LatestValue>> latest(const std::string& tenant, const std::string& device,
                                          std::span<const std::string> keys) override;
  Result<std::vector<KeySeries>> range(const RangeQuery& q) override;
  Result<std::vector<KeyBuckets>> aggregate(const AggQuery& q) override;
  Result<std::vector<std::string>> keys(const std::string& tenant, const std::string& device) override;
  Status delete_range(const std::string& tenant, const std::string& device, std::span<const std::string> keys,
                      std::int64_t from, std::int64_t to) override;
  Status delete_device(const std::string& tenant, const std::string& device) override;
  Status set_retention(const std::string& tenant, std::int64_t ttl_ms) override;
  Status compact() override;
  Status flush() override;
  Result<StoreStats> stats() override;

 private:
  // Index
  static std::string series_name(std::string_view tenant, std::string_view device, std::string_view key,
                                 ValueType type);
  static std::string device_name(std::string_view tenant, std::string_view device);
  Status load_index();
  Result<std::vector<Series*>> resolve(std::span<const Point> points);
  std::vector<Series*> series_of(const std::string& tenant, const std::string& device, std::string_view key);
  Series* by_id(std::uint64_t id);

  // Write/replay
  std::string encode_samples(std::span<const Point> points, const std::vector<Series*>& series);
  Status apply_record(std::uint64_t seq, std::string_view payload, bool replaying);
  void apply_sample(Series* s, std::uint64_t seq, std::int64_t ts, Value v);

  // Flush
  void flusher_loop();
  Status flush_pass(bool force);
  Status flush_series(Series* s);
  Status write_chunks(Series* s, const ChunkData& data, rocksdb::WriteBatch& batch);
  Status update_rollups(Series* s, const ChunkData& data, rocksdb::WriteBatch& batch);
  Status recompute_rollups(Series* s, std::int64_t from, std::int64_t to);
  Status checkpoint();

  // Disk reads
  Status read_chunks(Series* s, std::int64_t from, std::int64_t to, ChunkData& out);
  Status delete_series_range(Series* s, std::int64_t from, std::int64_t to);
  Status read_rollups(Series* s, std::int64_t res, std::int64_t from, std::int64_t to,
                      std::map<std::int64_t, Partial>& out, std::int64_t interval);
  Result<ChunkData> collect(Series* s, std::int64_t from, std::int64_t to);
  Status aggregate_series(Series* s, const AggQuery& q, std::map<std::int64_t, Partial>& buckets);

  void compactor_loop();

  EngineOptions opt_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;   // "s:" + name → sid; "r:" + tenant → ttl
  rocksdb::ColumnFamilyHandle* chunks_cf_ = nullptr;  // (sid, first ts) → chunk
  rocksdb::ColumnFamilyHandle* r1m_cf_ = nullptr;     // (sid, bucket) → Partial
  rocksdb::ColumnFamilyHandle* r1h_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* latest_cf_ = nullptr;  // sid → encoded latest sample
  std::unique_ptr<Wal> wal_;

  std::shared_mutex index_mu_;
  std::unordered_map<std::string, std::unique_ptr<Series>> by_name_;     // guarded by index_mu_
  std::unordered_map<std::string, std::vector<Series*>> by_device_;      // guarded by index_mu_
  std::unordered_map<std::uint64_t, Series*> by_id_;                     // guarded by index_mu_
  std::vector<std::unique_ptr<Series>> graveyard_;                       // deleted; guarded by index_mu_
  std::map<std::string, std::int64_t> retention_;                        // guarded by index_mu_
  std::uint64_t next_sid_ = 1;                                           // guarded by index_mu_

  // Held shared from WAL append to applying in memory; exclusively by checkpoint, so a WAL
  // segment is never dropped while its samples are still on their way into a head.
  std::shared_mutex apply_mu_;
  std::mutex flush_mu_;  // one flush / delete / compaction at a time
  std::atomic<std::int64_t> head_bytes_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;          // guarded by bg_mu_
  bool flush_wanted_ = false;  // guarded by bg_mu_
  std::thread flusher_;
  std::thread compactor_;
};

}  // namespace kaiwu::tsdb
