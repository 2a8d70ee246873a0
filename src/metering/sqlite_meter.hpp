// The embedded metering store: usage records appended to their own SQLite file
// (<data>/metering.db), written in batches by one background thread.
//
// record() only appends to a bounded in-memory queue (a mutex and a vector push); the writer
// thread drains it every flush_interval, when a batch fills, and at stop(). A full queue drops
// the record and counts it (kaiwu_metering_records_dropped_total); a failed batch is rolled back,
// logged and counted (kaiwu_metering_errors_total). The table is append-only: triggers refuse
// UPDATE and DELETE.
//
// Thread-safety: every method may be called from any thread. Queries flush the queue first, so
// they see every record accepted before them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "metering/meter.hpp"
#include "metering/usage.hpp"

namespace kaiwu::meta::sqlite {
class Db;
}

namespace kaiwu::metering {

struct MeterOptions {
  std::size_t queue_capacity = 100'000;                 // records held before dropping
  std::size_t batch_max = 5'000;                        // a full batch wakes the writer early
  std::chrono::milliseconds flush_interval{250};        // at most this old before written
};

class SqliteMeter final : public Meter, public UsageQueries {
 public:
  // Opens or creates the store at path (":memory:" for tests) and starts the writer thread.
  static Result<std::unique_ptr<SqliteMeter>> open(const std::string& path, MetricsRegistry& metrics,
                                                   MeterOptions options = {});
  ~SqliteMeter() override;
  SqliteMeter(const SqliteMeter&) = delete;
  SqliteMeter& operator=(const SqliteMeter&) = delete;

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
  SqliteMeter(std::unique_ptr<meta::sqlite::Db> db, MetricsRegistry& metrics, MeterOptions options);
  void run_writer();
  Status write_batch(std::vector<Record>& batch);  // caller holds db_mu_

  MeterOptions options_;
  Counter& written_;
  Counter& dropped_;
  Counter& errors_;
  Gauge& queued_;

  std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<Record> queue_;  // guarded by queue_mu_
  bool stopping_ = false;      // guarded by queue_mu_

  std::mutex db_mu_;
  std::unique_ptr<meta::sqlite::Db> db_;  // guarded by db_mu_
  std::thread writer_;
};

}  // namespace kaiwu::metering
