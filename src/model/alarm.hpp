// Alarms (plain values, no I/O).
//
// Lifecycle (ThingsBoard semantics):
//
//   raise ──► active ──ack──► acknowledged ──clear──► cleared
//               │                                        ▲
//               └──clear──► cleared-unacknowledged ──ack─┘
//
// Acknowledging and clearing each record who and when. An alarm is identified for
// deduplication by (tenant, device, type) among the uncleared ones: raising it again while it
// is not cleared updates that alarm (count, last trigger time, severity, details) instead of
// creating another. Each alarm carries its device's enterprise and park so it can be listed by
// enterprise or park scope (propagation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kaiwu::model {

// Most severe first.
enum class AlarmSeverity : std::uint8_t { kCritical, kMajor, kMinor, kWarning };
std::string_view alarm_severity_name(AlarmSeverity s);  // "critical", "major", "minor", "warning"
std::optional<AlarmSeverity> parse_alarm_severity(std::string_view s);

enum class AlarmStatus : std::uint8_t { kActive, kAcknowledged, kCleared, kClearedUnacknowledged };
// "active", "acknowledged", "cleared", "cleared-unacknowledged"
std::string_view alarm_status_name(AlarmStatus s);
std::optional<AlarmStatus> parse_alarm_status(std::string_view s);

struct Alarm {
  std::string id;
  std::string tenant_id;
  std::string device_id;      // the originator; empty for alarms raised on no device
  std::string enterprise_id;  // propagation: the device's enterprise (may be empty)
  std::string park_id;        // propagation: the enterprise's park (may be empty)
  std::string type;           // e.g. "HighTemperature"; deduplication key with device_id
  AlarmSeverity severity = AlarmSeverity::kWarning;
  bool acknowledged = false;
  bool cleared = false;
  std::int64_t start_ms = 0;  // first trigger
  std::int64_t last_ms = 0;   // latest trigger
  std::int64_t count = 1;     // triggers folded into this alarm
  std::int64_t ack_ms = 0;
  std::string ack_by;
  std::int64_t clear_ms = 0;
  std::string clear_by;
  std::string details_json = "{}";  // a JSON object
  std::int64_t updated_ms = 0;

  AlarmStatus status() const {
    if (cleared) return acknowledged ? AlarmStatus::kCleared : AlarmStatus::kClearedUnacknowledged;
    return acknowledged ? AlarmStatus::kAcknowledged : AlarmStatus::kActive;
  }
};

// One line of an alarm's history.
struct AlarmHistoryEntry {
  std::int64_t id = 0;
  std::string alarm_id;
  std::int64_t time_ms = 0;
  std::string action;  // created | updated | acknowledged | cleared
  std::string actor;   // username, "apikey:<prefix>", "rule:<chain>" or "system"
  AlarmSeverity severity = AlarmSeverity::kWarning;
  std::string detail;  // JSON object text
};

// A tenant's webhook for alarm notifications: every alarm change in the tenant is POSTed to url
// as JSON; when header_name is set the request carries header_name: header_value (a shared
// secret the receiver checks).
struct NotificationTarget {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string url;  // http://host[:port]/path
  std::string header_name;
  std::string header_value;
  bool enabled = true;
  std::int64_t created_ms = 0;
};

}  // namespace kaiwu::model
