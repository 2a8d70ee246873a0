// One device's schedule: connects its driver (with backoff), reads each group of points at its
// interval on asio timers, applies the deadband and hands the values on. Drift-free: the next
// read is due at previous + interval; ticks missed because a read overran are skipped and
// counted. Drivers that push (subscribe = true) deliver through the same deadband.
//
//   connecting ──start() ok──▶ polling ──all points fail (unavailable/timeout)──▶ disconnected
//     ▲   │ fails: backoff 1 s … 30 s                 ▲                               │
//     └───┘                                           └────── a read succeeds ◀───────┘
//
// Everything runs on the executor given at construction; counters() may be called anywhere.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "edge/config.hpp"

namespace kaiwu::edge {

struct DeviceCounters {
  bool connected = false;
  std::uint64_t polls = 0;
  std::uint64_t values = 0;        // values handed on (after the deadband)
  std::uint64_t suppressed = 0;    // values within the deadband
  std::uint64_t point_errors = 0;  // points that failed within otherwise good reads
  std::uint64_t poll_failures = 0; // reads where every point failed
  std::uint64_t missed_ticks = 0;  // ticks skipped because a read overran
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::int64_t last_success_ms = 0;
  std::string last_error;
};

class DevicePoller : public std::enable_shared_from_this<DevicePoller> {
 public:
  using Sink = std::function<void(const std::string& device, std::vector<drivers::Reading>)>;
  using StateSink = std::function<void(const std::string& device, bool connected)>;

  DevicePoller(boost::asio::any_io_executor executor, DeviceConfig config, std::unique_ptr<drivers::Driver> driver,
               Sink sink, StateSink on_state);
  ~DevicePoller();

  void start();  // spawns the loop (holds a shared_ptr to this)
  void stop();   // the loop stops the driver and ends; any thread

  // For RPC, serialised with polling. kNotFound for an unknown key.
  boost::asio::awaitable<Status> write(std::string key, tsdb::Value value);
  boost::asio::awaitable<Result<std::vector<drivers::Reading>>> read(std::vector<std::string> keys);

  DeviceCounters counters() const;
  const DeviceConfig& config() const { return config_; }
  bool stopped() const { return finished_; }

 private:
  struct Group {
    std::chrono::milliseconds interval{1000};
    std::vector<drivers::PointConfig> points;
    std::vector<std::size_t> index;  // into config_.points
    std::chrono::steady_clock::time_point next;
  };
  static boost::asio::awaitable<void> loop(std::shared_ptr<DevicePoller> self);
  boost::asio::awaitable<bool> connect();
  boost::asio::awaitable<void> poll(Group& g);
  boost::asio::awaitable<void> acquire();
  void release() { busy_ = false; }
  void deliver(std::vector<drivers::Reading> readings, const std::vector<std::size_t>& index);
  void set_connected(bool connected, const std::string& error);
  template <typename F>
  void update(F&& f) {
    std::lock_guard lock(mu_);
    f(counters_);
  }

  boost::asio::any_io_executor ex_;
  DeviceConfig config_;
  std::unique_ptr<drivers::Driver> driver_;
  Sink sink_;
  StateSink on_state_;
  std::vector<Group> groups_;
  std::vector<std::optional<tsdb::Value>> last_sent_;  // per point, for the deadband
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  bool busy_ = false;           // a driver call is in flight (executor only)
  bool reported_ = false;       // a connection state was reported (executor only)
  bool connected_ = false;      // executor only
  mutable std::mutex mu_;
  DeviceCounters counters_;  // guarded by mu_
};

}  // namespace kaiwu::edge
