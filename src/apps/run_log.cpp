#include "apps/run_log.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"

namespace kaiwu::apps {

RunLog::RunLog(AppStore& store, RunLogOptions options)
    : store_(store),
      writer_(BatchOptions{options.queue_capacity, options.batch_max, options.flush_interval},
              [this](std::vector<RunRecord>& batch) { return write(batch); }) {}

void RunLog::push(RunRecord run) {
  if (writer_.push(std::move(run)) > 0) return;
  const auto n = ++dropped_;
  auto last = last_drop_log_ms_.load();
  if (const auto now = now_ms(); now - last >= 1000 && last_drop_log_ms_.compare_exchange_strong(last, now))
    spdlog::warn("app run log: queue full, {} runs not logged so far", n);
}

Status RunLog::write(std::vector<RunRecord>& batch) {
  auto st = store_.append_runs(batch);
  if (!st) {
    dropped_ += batch.size();
    spdlog::error("app run log: {} runs lost: {}", batch.size(), st.error().message);
    return st;
  }
  written_ += batch.size();
  return ok();
}

}  // namespace kaiwu::apps
