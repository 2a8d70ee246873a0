// WakeLoop: a thread that runs `pass` every `period` and at once when poked. For "something
// changed elsewhere, look again" work whose trigger must not block (a NATS signal handler pokes;
// the pass may read the database). Pokes during a pass coalesce into one more pass. The
// destructor stops the thread after the pass in progress.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kaiwu {

class WakeLoop {
 public:
  WakeLoop(std::chrono::milliseconds period, std::function<void()> pass)
      : pass_(std::move(pass)), thread_([this, period] { run(period); }) {}
  ~WakeLoop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  WakeLoop(const WakeLoop&) = delete;
  WakeLoop& operator=(const WakeLoop&) = delete;

  // Runs a pass now (or right after the one in progress). Never blocks.
  void poke() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    cv_.notify_all();
  }

 private:
  void run(std::chrono::milliseconds period) {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      pass_();
      lock.lock();
      cv_.wait_for(lock, period, [this] { return stop_ || poked_; });
      poked_ = false;
    }
  }

  std::function<void()> pass_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poked_ = false;  // guarded by mu_
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace kaiwu
