// RunLog: the persistent log of APP runs, written behind the runtime's back on a BatchWriter
// (core/batch_writer.hpp): push() never does I/O, so a run log never blocks or fails an APP run;
// one writer thread hands the queued runs to AppStore::append_runs every flush_interval, when
// batch_max runs wait, and at stop(). A full queue drops the run (counted, logged at most once a
// second); a batch the store refuses is dropped, counted and logged.
//
// Thread-safety: every method may be called from any thread. flush() writes what was queued
// before it (readers on this node call it first, so they see their own runs).
#pragma once

#include <atomic>
#include <cstdint>

#include "apps/store.hpp"
#include "core/batch_writer.hpp"

namespace kaiwu::apps {

struct RunLogOptions {
  std::size_t queue_capacity = 10'000;
  std::size_t batch_max = 500;
  std::chrono::milliseconds flush_interval{200};
};

class RunLog {
 public:
  explicit RunLog(AppStore& store, RunLogOptions options = {});

  void push(RunRecord run);
  Status flush() { return writer_.flush(); }
  // Flushes and stops the writer; push() afterwards drops. Idempotent.
  void stop() { writer_.stop(); }

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  Status write(std::vector<RunRecord>& batch);

  AppStore& store_;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> last_drop_log_ms_{0};
  BatchWriter<RunRecord> writer_;  // last: its thread stops before the members above go
};

}  // namespace kaiwu::apps
