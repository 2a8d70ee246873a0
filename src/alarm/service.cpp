#include "alarm/service.hpp"

namespace kaiwu::alarm {

void AlarmService::publish(bus::AlarmChange change, const model::Alarm& a) {
  bus_.publish(bus::Payload{bus::AlarmEvent{change, a}});
}

Result<meta::AlarmRaised> AlarmService::raise(const meta::Scope& s, const model::Alarm& a, const std::string& actor) {
  auto r = KAIWU_TRY(store_.raise_alarm(s, a, actor));
  publish(r.created ? bus::AlarmChange::kCreated : bus::AlarmChange::kUpdated, r.alarm);
  return r;
}

Result<model::Alarm> AlarmService::acknowledge(const meta::Scope& s, const std::string& id, const std::string& actor) {
  auto a = KAIWU_TRY(store_.acknowledge_alarm(s, id, actor, 0));
  publish(bus::AlarmChange::kAcknowledged, a);
  return a;
}

Result<model::Alarm> AlarmService::clear(const meta::Scope& s, const std::string& id, const std::string& actor) {
  auto a = KAIWU_TRY(store_.clear_alarm(s, id, actor, 0));
  publish(bus::AlarmChange::kCleared, a);
  return a;
}

Result<bool> AlarmService::clear_open(const meta::Scope& s, const std::string& device_id, const std::string& type,
                                      const std::string& actor) {
  auto open = store_.find_open_alarm(s, device_id, type);
  if (!open) {
    if (open.error().code == Errc::kNotFound) return false;
    return std::unexpected(open.error());
  }
  auto cleared = clear(s, open->id, actor);
  if (!cleared) {
    // Cleared concurrently by someone else: nothing left to clear.
    if (cleared.error().code == Errc::kFailedPrecondition) return false;
    return std::unexpected(cleared.error());
  }
  return true;
}

}  // namespace kaiwu::alarm
