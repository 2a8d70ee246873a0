#include "core/rate_limiter.hpp"

namespace kaiwu {

bool RateLimiter::allow(const std::string& key, std::int64_t now) {
  std::lock_guard lock(mu_);
  const std::int64_t horizon = now - window_.count();
  if (now - last_sweep_ms_ > window_.count()) {
    for (auto it = events_.begin(); it != events_.end();) {
      while (!it->second.empty() && it->second.front() <= horizon) it->second.pop_front();
      it = it->second.empty() ? events_.erase(it) : std::next(it);
    }
    last_sweep_ms_ = now;
  }
  auto& q = events_[key];
  while (!q.empty() && q.front() <= horizon) q.pop_front();
  if (q.size() >= limit_) return false;
  q.push_back(now);
  return true;
}

}  // namespace kaiwu
