#include "bus/messages.hpp"

namespace kaiwu::bus {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kTelemetry: return "telemetry";
    case Kind::kAttributes: return "attributes";
    case Kind::kLifecycle: return "lifecycle";
    case Kind::kAlarm: return "alarm";
  }
  return "unknown";
}

std::string_view lifecycle_name(LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::kConnected: return "connected";
    case LifecycleEvent::kDisconnected: return "disconnected";
    case LifecycleEvent::kCreated: return "created";
    case LifecycleEvent::kDeleted: return "deleted";
  }
  return "unknown";
}

std::string_view alarm_change_name(AlarmChange c) {
  switch (c) {
    case AlarmChange::kCreated: return "created";
    case AlarmChange::kUpdated: return "updated";
    case AlarmChange::kAcknowledged: return "acknowledged";
    case AlarmChange::kCleared: return "cleared";
  }
  return "unknown";
}

const std::string& Message::tenant() const {
  return std::visit(
      [](const auto& p) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, AlarmEvent>)
          return p.alarm.tenant_id;
        else
          return p.tenant;
      },
      payload);
}

}  // namespace kaiwu::bus
