#include "apps/run_log.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"

namespace kaiwu::apps {

RunLog::RunLog(AppStore& store, RunLogOptions options) : store_(store), options_(options) {
  writer_ = std::thread([this] { run_writer(); });
}

RunLog::~RunLog() { stop(); }

void RunLog::push(RunRecord run) {
  bool wake = false;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      const auto n = ++dropped_;
      if (const auto now = now_ms(); now - last_drop_log_ms_ >= 1000) {
        last_drop_log_ms_ = now;
        spdlog::warn("app run log: queue full, {} runs not logged so far", n);
      }
      return;
    }
    queue_.push_back(std::move(run));
    wake = queue_.size() == options_.batch_max;
  }
  if (wake) wake_.notify_one();
}

void RunLog::run_writer() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval, [this] { return stopping_ || queue_.size() >= options_.batch_max; });
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

Status RunLog::flush() {
  std::lock_guard write_lock(write_mu_);  // taken first: batches reach the store in queue order
  std::vector<RunRecord> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return ok();
  auto st = store_.append_runs(batch);
  if (!st) {
    dropped_ += batch.size();
    spdlog::error("app run log: {} runs lost: {}", batch.size(), st.error().message);
    return st;
  }
  written_ += batch.size();
  return ok();
}

void RunLog::stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  (void)flush();
}

}  // namespace kaiwu::apps
