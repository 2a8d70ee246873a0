// A subscription's bounded local queue and its consumer (its own thread or tasks posted to the
// subscriber's executor): shared by InProcessBus and the fan-out subscriptions of NatsBus.
// Internal to bus/.
#pragma once

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "bus/bus.hpp"
#include "core/metrics.hpp"

namespace kaiwu::bus {

// One subscription's queue and consumer.
class LocalQueue : public std::enable_shared_from_this<LocalQueue> {
 public:
  LocalQueue(SubscribeOptions options, Handler handler, MetricsRegistry& m)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        delivered_metric_(m.counter("kaiwu_bus_delivered_total", "bus messages handled by a subscriber",
                                    {{"subscriber", options_.name}})),
        dropped_metric_(m.counter("kaiwu_bus_dropped_total", "bus messages dropped because a subscriber's queue was full",
                                  {{"subscriber", options_.name}})),
        critical_metric_(m.counter("kaiwu_bus_critical_dropped_total",
                                   "bus messages dropped for a critical subscriber (alert on this)",
                                   {{"subscriber", options_.name}})),
        queued_metric_(m.gauge("kaiwu_bus_queued", "bus messages waiting for a subscriber", {{"subscriber", options_.name}})) {}

  void start() {
    if (!options_.post) thread_ = std::thread([self = shared_from_this()] { self->run_thread(); });
  }

  bool accepts(const Message& m) const {
    return options_.wants(m.kind()) && (options_.tenant.empty() || options_.tenant == m.tenant());
  }

  void offer(const MessagePtr& m) {
    bool schedule = false;
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      if (queue_.size() >= options_.capacity) {
        drop();
        return;
      }
      queue_.push_back(m);
      queued_metric_.add(1);
      if (options_.post && !draining_) schedule = draining_ = true;
      wake = queue_.size() == 1;  // the consumer thread waits only on an empty queue
    }
    if (options_.post)
      schedule_drain(schedule);
    else if (wake)
      cv_.notify_one();
  }

  // After this returns the handler is not running and never runs again.
  void stop() {
    {
      std::unique_lock lock(mu_);
      stopped_ = true;
      queued_metric_.add(-static_cast<double>(queue_.size()));
      queue_.clear();
      cv_.notify_all();
      idle_cv_.wait(lock, [this] { return !running_handler_; });
    }
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();
      else
        thread_.join();
    }
  }

  SubscriptionStats stats() const {
    std::lock_guard lock(mu_);
    return {delivered_, dropped_, queue_.size()};
  }

 private:
  void drop() {  // mu_ held
    ++dropped_;
    dropped_metric_.inc();
    if (!options_.critical) return;
    critical_metric_.inc();
    if (dropped_ == 1 || dropped_ % 10'000 == 0)
      spdlog::error("bus: critical subscriber {} fell behind; {} messages dropped so far", options_.name, dropped_);
  }

  // Takes the next message and marks the handler running; nullptr when stopped or empty.
  MessagePtr take(std::unique_lock<std::mutex>& lock) {
    if (stopped_ || queue_.empty()) return nullptr;
    MessagePtr m = std::move(queue_.front());
    queue_.pop_front();
    queued_metric_.add(-1);
    running_handler_ = true;
    lock.unlock();
    return m;
  }

  void handle(const MessagePtr& m) {
    try {
      handler_(m);
    } catch (const std::exception& e) {
      spdlog::error("bus: subscriber {} threw: {}", options_.name, e.what());
    } catch (...) {
      spdlog::error("bus: subscriber {} threw", options_.name);
    }
    delivered_metric_.inc();
    std::lock_guard lock(mu_);
    ++delivered_;
    running_handler_ = false;
    idle_cv_.notify_all();
  }

  void run_thread() {
    while (true) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      auto m = take(lock);
      handle(m);
    }
  }

  void schedule_drain(bool schedule) {
    if (!schedule) return;
    options_.post([self = shared_from_this()] { self->drain_some(); });
  }

  // Posted mode: handle a bounded number of messages, then yield the executor.
  void drain_some() {
    for (int i = 0; i < 64; ++i) {
      std::unique_lock lock(mu_);
      auto m = take(lock);
      if (!m) {
        draining_ = false;
        return;
      }
      handle(m);
    }
    schedule_drain(true);
  }

  SubscribeOptions options_;
  Handler handler_;
  Counter& delivered_metric_;
  Counter& dropped_metric_;
  Counter& critical_metric_;
  Gauge& queued_metric_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // queue_ or stopped_ changed
  std::condition_variable idle_cv_;  // running_handler_ became false
  std::deque<MessagePtr> queue_;     // guarded by mu_
  bool stopped_ = false;             // guarded by mu_
  bool draining_ = false;            // posted mode: a drain task is scheduled; guarded by mu_
  bool running_handler_ = false;     // guarded by mu_
  std::uint64_t delivered_ = 0;      // guarded by mu_
  std::uint64_t dropped_ = 0;        // guarded by mu_
};

}  // namespace kaiwu::bus
