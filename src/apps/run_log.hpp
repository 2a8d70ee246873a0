// RunLog: the persistent log of APP runs, written behind the runtime's back. push() only appends
// to a bounded in-memory queue (a mutex and a vector push; never I/O), so a run log never blocks
// or fails an APP run; one writer thread hands the queue to AppStore::append_runs every
// flush_interval, when batch_max runs wait, and at stop(). A full queue drops the run (counted,
// logged once per second at most); a batch the store refuses is dropped, counted and logged.
//
// Thread-safety: every method may be called from any thread. flush() writes what was queued
// before it (readers on this node call it first, so they see their own runs).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "apps/store.hpp"

namespace kaiwu::apps {

struct RunLogOptions {
  std::size_t queue_capacity = 10'000;
  std::size_t batch_max = 500;
  std::chrono::milliseconds flush_interval{200};
};

class RunLog {
 public:
  RunLog(AppStore& store, RunLogOptions options = {});
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void push(RunRecord run);
  Status flush();
  // Flushes and stops the writer; push() afterwards drops. Idempotent.
  void stop();

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  void run_writer();

  AppStore& store_;
  const RunLogOptions options_;
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};

  std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<RunRecord> queue_;  // guarded by queue_mu_
  bool stopping_ = false;         // guarded by queue_mu_
  std::int64_t last_drop_log_ms_ = 0;  // guarded by queue_mu_

  std::mutex write_mu_;  // one batch at a time, in queue order
  std::thread writer_;
};

}  // namespace kaiwu::apps
