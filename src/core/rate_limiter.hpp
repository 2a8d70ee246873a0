// Sliding-window rate limiting, used for logins (HTTP) and connection attempts (MQTT).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kaiwu {

// Sliding-window limiter: at most `limit` events per key within `window`. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(std::size_t limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {}
  // Records an attempt; false when the key is over its limit (the attempt is not recorded).
  bool allow(const std::string& key, std::int64_t now_ms);

 private:
  std::size_t limit_;
  std::chrono::milliseconds window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::int64_t>> events_;  // guarded by mu_
  std::int64_t last_sweep_ms_ = 0;                                    // guarded by mu_
};

}  // namespace kaiwu
