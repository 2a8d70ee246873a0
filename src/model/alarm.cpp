#include "model/alarm.hpp"

#include <array>
#include <utility>

namespace kaiwu::model {

namespace {
constexpr std::array<std::pair<AlarmSeverity, std::string_view>, 4> kSeverities{{
    {AlarmSeverity::kCritical, "critical"},
    {AlarmSeverity::kMajor, "major"},
    {AlarmSeverity::kMinor, "minor"},
    {AlarmSeverity::kWarning, "warning"},
}};
constexpr std::array<std::pair<AlarmStatus, std::string_view>, 4> kStatuses{{
    {AlarmStatus::kActive, "active"},
    {AlarmStatus::kAcknowledged, "acknowledged"},
    {AlarmStatus::kCleared, "cleared"},
    {AlarmStatus::kClearedUnacknowledged, "cleared-unacknowledged"},
}};
}  // namespace

std::string_view alarm_severity_name(AlarmSeverity s) {
  for (const auto& [v, name] : kSeverities)
    if (v == s) return name;
  return "warning";
}

std::optional<AlarmSeverity> parse_alarm_severity(std::string_view s) {
  for (const auto& [v, name] : kSeverities)
    if (name == s) return v;
  return std::nullopt;
}

std::string_view alarm_status_name(AlarmStatus s) {
  for (const auto& [v, name] : kStatuses)
    if (v == s) return name;
  return "active";
}

std::optional<AlarmStatus> parse_alarm_status(std::string_view s) {
  for (const auto& [v, name] : kStatuses)
    if (name == s) return v;
  return std::nullopt;
}

}  // namespace kaiwu::model
