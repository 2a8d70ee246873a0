// Kaiwu's embedded time-series engine: the TelemetryStore on its own write-ahead log and
// RocksDB.
//
//   write ─► WAL (group commit: concurrent writers share one fdatasync) ─► per-series head
//   heads ─► (size 4096 / age / memory budget) ─► compressed chunk in RocksDB, key (series, start)
//         └► 1-minute and 1-hour rollups updated from the same samples
//   reads ─► memory (heads, latest) first, then chunks; memory wins on equal timestamps
//
// WAL segments are deleted once every sample in them sits in a chunk and RocksDB's own log is
// synced. After a crash the WAL is replayed into the heads; a torn record at the tail (the write
// that was in flight, never acknowledged) is cut off.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::tsdb {

enum class Durability : std::uint8_t {
  kFsync,  // write() returns after fdatasync of its WAL record (default)
  kBatch,  // write() returns after write(2); a background thread fsyncs every batch_interval_ms
  kNone,   // write() returns after write(2); the OS decides when it reaches the disk
};
std::optional<Durability> parse_durability(std::string_view s);

struct EngineOptions {
  std::string dir;
  Durability durability = Durability::kFsync;
  std::uint32_t batch_interval_ms = 100;
  std::uint32_t head_max_samples = 4096;     // a head is sealed into a chunk at this size…
  std::uint32_t head_max_age_ms = 3'600'000; // …or this long after its first sample arrived
  std::uint64_t memory_budget_bytes = 256ull << 20;  // heads beyond this are flushed early
  std::int64_t out_of_order_window_ms = 3'600'000;   // how far behind flushed data writes may go
  std::uint64_t wal_segment_bytes = 64ull << 20;
  bool background = true;  // flusher and compaction threads (tests may drive flush() by hand)
};

Result<std::unique_ptr<TelemetryStore>> open_engine(const EngineOptions& options);
Result<std::unique_ptr<TelemetryStore>> open_engine(const std::string& dir, std::string_view durability);

}  // namespace kaiwu::tsdb
