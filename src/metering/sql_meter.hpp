// The metering store: usage records appended to one table, written in batches by one background
// thread; the same SQL on two backends (meta::sql::Connection):
//  - SQLite (the embedded default): its own file <data>/metering.db;
//  - PostgreSQL (cluster mode): table `usage` in the cluster's database, so every node records
//    into one shared table and the usage queries give cluster-wide figures.
//
// record() only appends to a bounded in-memory queue (core/batch_writer.hpp: a mutex and a
// vector push); the writer thread drains it every flush_interval, when a batch fills, and at stop(). A full queue drops
// the record and counts it (kaiwu_metering_records_dropped_total); a failed batch is rolled back,
// logged and counted (kaiwu_metering_errors_total). The table is append-only: triggers refuse
// UPDATE and DELETE.
//
// Thread-safety: every method may be called from any thread. Queries flush the queue first, so
// they see every record accepted before them.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/batch_writer.hpp"
#include "core/metrics.hpp"
#include "meta/sql_connection.hpp"
#include "metering/meter.hpp"
#include "metering/usage.hpp"

namespace kaiwu::metering {

struct MeterOptions {
  std::size_t queue_capacity = 100'000;                 // records held before dropping
  std::size_t batch_max = 5'000;                        // a full batch wakes the writer early
  std::chrono::milliseconds flush_interval{250};        // at most this old before written
};

class SqlMeter final : public Meter, public UsageQueries {
 public:
  // Opens or creates the SQLite store at path (":memory:" for tests) and starts the writer.
  static Result<std::unique_ptr<SqlMeter>> open_sqlite(const std::string& path, MetricsRegistry& metrics,
                                                       MeterOptions options = {});
  // Connects to PostgreSQL (libpq conninfo; the table lives in its search_path), creates the
  // table if missing (under an advisory lock: nodes may start together) and starts the writer.
  static Result<std::unique_ptr<SqlMeter>> open_postgres(const std::string& conninfo, MetricsRegistry& metrics,
                                                         MeterOptions options = {});
  ~SqlMeter() override;
  SqlMeter(const SqlMeter&) = delete;
  SqlMeter& operator=(const SqlMeter&) = delete;

  void record(Record record) override;
  // Writes everything queued so far; the error of the batch, if any (already counted).
  Status flush();
  // Flushes and stops the writer; record() after stop() drops. Idempotent.
  void stop();

  Result<Summary> summary(const std::string& tenant_id, TimeRange range) override;
  Result<std::vector<DailyCount>> daily(const std::string& tenant_id, TimeRange range,
                                        const std::string& subject_id) override;
  Result<std::vector<Revenue>> per_call_revenue(const std::string& tenant_id, TimeRange range,
                                                const PriceOf& price) override;

 private:
  SqlMeter(meta::sql::Connection conn, MetricsRegistry& metrics, MeterOptions options);
  Status write_batch(std::vector<Record>& batch);  // the writer's sink; takes db_mu_
  Status insert_rows(const Record* first, std::size_t n);

  Counter& written_;
  Counter& dropped_;
  Counter& errors_;
  Gauge& queued_;

  std::mutex db_mu_;             // one batch or query at a time (SQLite: one connection)
  meta::sql::Connection conn_;  // guarded by db_mu_
  BatchWriter<Record> writer_;  // last: its thread stops before the members above go
};

}  // namespace kaiwu::metering
