// BatchWriter<T>: a bounded in-memory queue drained in batches by one writer thread, for
// append-only records that must never block or fail their producer (usage records, APP run
// logs). push() is a mutex and a vector push; the thread hands the queue to the sink every
// interval, when batch_max items wait, on flush() and at stop(). A full (or stopped) queue drops
// the item: push() says so and the owner counts it. The sink's errors are the owner's to log
// and count (the batch is not retried).
//
// Thread-safety: every method may be called from any thread. flush() returns after everything
// queued before it went to the sink; batches reach the sink one at a time, in queue order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace kaiwu {

struct BatchOptions {
  std::size_t capacity = 10'000;             // items held before dropping
  std::size_t batch_max = 500;               // a full batch wakes the writer early
  std::chrono::milliseconds interval{250};   // at most this old before written
};

template <typename T>
class BatchWriter {
 public:
  using Sink = std::function<Status(std::vector<T>& batch)>;

  BatchWriter(BatchOptions options, Sink sink) : options_(options), sink_(std::move(sink)) {
    queue_.reserve(options_.batch_max);
    writer_ = std::thread([this] { run(); });
  }
  ~BatchWriter() { stop(); }
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // The queue's length after the push, or 0 when the item was dropped (full or stopped).
  std::size_t push(T item) {
    std::size_t size = 0;
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_ || queue_.size() >= options_.capacity) return 0;
      queue_.push_back(std::move(item));
      size = queue_.size();
    }
    if (size == options_.batch_max) wake_.notify_one();
    return size;
  }

  // Hands everything queued so far to the sink; its error, if any.
  Status flush() {
    std::lock_guard write_lock(write_mu_);  // taken first: batches reach the sink in queue order
    std::vector<T> batch;
    {
      std::lock_guard lock(queue_mu_);
      batch.swap(queue_);
      queue_.reserve(options_.batch_max);
    }
    if (batch.empty()) return ok();
    return sink_(batch);
  }

  // Flushes and stops the writer; push() afterwards drops. Idempotent.
  void stop() {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_ && !writer_.joinable()) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    (void)flush();
  }

 private:
  void run() {
    std::unique_lock lock(queue_mu_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.interval, [this] { return stopping_ || queue_.size() >= options_.batch_max; });
      lock.unlock();
      (void)flush();
      lock.lock();
    }
  }

  const BatchOptions options_;
  const Sink sink_;
  std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<T> queue_;  // guarded by queue_mu_
  bool stopping_ = false;  // guarded by queue_mu_
  std::mutex write_mu_;
  std::thread writer_;
};

}  // namespace kaiwu
