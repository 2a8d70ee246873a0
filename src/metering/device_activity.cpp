#include "metering/device_activity.hpp"

namespace kaiwu::metering {

bool DeviceActivity::seen(const std::string& tenant_id, const std::string& device_id, std::int64_t now_ms,
                          const std::function<std::string()>& enterprise_of) {
  constexpr std::int64_t kDayMs = 86'400'000;
  const std::int64_t day = now_ms / kDayMs;
  {
    std::lock_guard lock(mu_);
    if (day != day_) {
      seen_.clear();
      day_ = day;
    }
    if (seen_.contains(device_id)) return false;
    if (seen_.size() < max_devices_) seen_.insert(device_id);
  }
  Record r;
  r.kind = Kind::kDeviceActive;
  r.tenant_id = tenant_id;
  r.enterprise_id = enterprise_of ? enterprise_of() : std::string();
  r.subject_id = device_id;
  r.actor_id = device_id;
  r.ts_ms = now_ms;
  meter_.record(std::move(r));
  return true;
}

}  // namespace kaiwu::metering
