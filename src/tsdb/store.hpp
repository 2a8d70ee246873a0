// TelemetryStore: where every sample from every machine is kept. The embedded implementation
// is Kaiwu's own engine on RocksDB (engine.hpp); the ClickHouse one (clickhouse.hpp) sits beside
// it and passes the same conformance suite (tests/unit/tsdb/store_conformance_test.cpp), with
// the differences listed in README.md (no out-of-order window, server-side durability).
//
// Contract:
//  - write() returns only once its samples are durable under the configured durability
//    (fsync: on disk; batch: written and fsync'd within batch_interval; none: in the OS cache).
//  - Duplicate timestamps in a series: the last write wins. Samples older than the series'
//    flushed data by more than the out-of-order window are rejected (kInvalidArgument) and
//    nothing of that batch is written (embedded engine; ClickHouse has no window).
//  - Reads see every write that returned.
//  - A key may receive values of several types; reads merge them by timestamp.
// Thread-safe: any thread may call any method. Calls may block on disk: never call from an
// io_context thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::tsdb {

enum class Agg : std::uint8_t { kMin, kMax, kAvg, kSum, kCount, kFirst, kLast };
std::optional<Agg> parse_agg(std::string_view s);  // "min", "max", "avg", …
std::string_view agg_name(Agg a);

enum class Order : std::uint8_t { kAsc, kDesc };

struct RangeQuery {
  std::string tenant;
  std::string device;
  std::vector<std::string> keys;
  std::int64_t from = 0;  // inclusive, ms
  std::int64_t to = 0;    // exclusive, ms
  std::size_t limit = 10'000;  // per key
  Order order = Order::kAsc;
};

struct AggQuery {
  std::string tenant;
  std::string device;
  std::vector<std::string> keys;
  std::int64_t from = 0;       // inclusive; buckets are aligned to multiples of interval
  std::int64_t to = 0;         // exclusive
  std::int64_t interval = 60'000;
  Agg agg = Agg::kAvg;
};

// One aggregated bucket. Numeric aggregates of numeric series (bool counts as 0/1); count,
// first and last work on every type (value of first/last keeps its type).
struct Bucket {
  std::int64_t ts = 0;  // bucket start
  Value value;
};

struct KeySeries {
  std::string key;
  std::vector<Sample> samples;
};

struct KeyBuckets {
  std::string key;
  std::vector<Bucket> buckets;
};

struct LatestValue {
  std::string key;
  Sample sample;
};

struct StoreStats {
  std::uint64_t series = 0;
  std::uint64_t samples = 0;        // stored in chunks + heads
  std::uint64_t head_samples = 0;
  std::uint64_t chunks = 0;
  std::uint64_t disk_bytes = 0;     // RocksDB files + WAL
  std::uint64_t chunk_bytes = 0;    // encoded chunk payloads
  double bytes_per_sample = 0;      // disk_bytes / samples
};

class TelemetryStore {
 public:
  virtual ~TelemetryStore() = default;

  // Appends samples of any series; durable on return (see contract).
  virtual Status write(std::span<const Point> points) = 0;

  // The latest sample of each key (all keys of the device when keys is empty). Served from
  // memory.
  virtual Result<std::vector<LatestValue>> latest(const std::string& tenant, const std::string& device,
                                                  std::span<const std::string> keys) = 0;

  // Raw samples of each key in [from, to), at most limit per key, in the given order.
  virtual Result<std::vector<KeySeries>> range(const RangeQuery& q) = 0;

  // Aggregates over fixed intervals; empty buckets are omitted. Long ranges use the 1-minute
  // and 1-hour rollups automatically when the interval allows.
  virtual Result<std::vector<KeyBuckets>> aggregate(const AggQuery& q) = 0;

  // Keys the device has data for, sorted.
  virtual Result<std::vector<std::string>> keys(const std::string& tenant, const std::string& device) = 0;

  // Deletes samples of the keys (all keys when empty) in [from, to).
  virtual Status delete_range(const std::string& tenant, const std::string& device,
                              std::span<const std::string> keys, std::int64_t from, std::int64_t to) = 0;
  // Deletes every series of a device.
  virtual Status delete_device(const std::string& tenant, const std::string& device) = 0;

  // Retention: samples of the tenant older than now - ttl are dropped by the background
  // compaction (0 = keep forever).
  virtual Status set_retention(const std::string& tenant, std::int64_t ttl_ms) = 0;
  // Applies retention and compacts now (also runs periodically).
  virtual Status compact() = 0;

  // Flushes every head into chunks (for shutdown, tests and benchmarks).
  virtual Status flush() = 0;

  virtual Result<StoreStats> stats() = 0;
};

}  // namespace kaiwu::tsdb
