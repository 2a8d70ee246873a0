// TelemetryStore on a ClickHouse server (tested against Debian bookworm's 18.16), over its HTTP
// interface with RowBinary in both directions (doubles keep their exact bits).
//
//   write ─► bounded buffer ─► flusher thread: one INSERT … FORMAT RowBinary per batch (when
//            batch_max_rows are waiting or min_insert_interval_ms after the previous insert)
//         ─► write() returns once ClickHouse acknowledged the INSERT that carried its rows
//   samples  ReplacingMergeTree(ver) PARTITION BY (tenant, 30-day period) ORDER BY
//            (tenant, device, key, ts); reads pick argMax(…, ver) per (key, ts), so duplicates
//            not merged yet never show (no FINAL needed)
//   latest   AggregatingMergeTree fed by a materialized view: argMaxState(sample, (ts, ver))
//   retention per tenant: reads hide samples older than now - ttl at once; compact() drops the
//            tenant's partitions that lie wholly before that (18.16 has no TTL clause)
//
// Differences from the embedded engine (documented in README.md): no out-of-order window (any
// timestamp is accepted); a key keeps one value per timestamp whatever its type (last write
// wins across types); deletes are ClickHouse mutations, waited for before returning;
// durability is ClickHouse's (the part is written, not fsync'd, unless the server is
// replicated); stats().samples counts rows before background merges drop duplicates.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::tsdb {

struct ClickHouseOptions {
  std::string url = "http://127.0.0.1:8123";  // the server's HTTP interface
  std::string database = "kaiwu";            // created with the tables when missing
  std::size_t batch_max_rows = 100'000;       // one INSERT carries at most this many rows…
  std::uint32_t min_insert_interval_ms = 10;  // …and inserts start at most this often
  std::size_t buffer_max_rows = 1'000'000;    // writers wait while this many rows are queued
  std::size_t connections = 4;                // HTTP keep-alive connections for reads
  std::chrono::milliseconds timeout{30'000};  // per HTTP exchange
  std::chrono::milliseconds mutation_timeout{120'000};  // deletes wait this long for their mutation
};

// Connects, creates the database and tables when missing, and starts the flusher.
// kUnavailable when the server cannot be reached; kInvalidArgument for a bad url or database.
Result<std::unique_ptr<TelemetryStore>> open_clickhouse(const ClickHouseOptions& options);

}  // namespace kaiwu::tsdb
