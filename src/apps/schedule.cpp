#include "apps/schedule.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <limits>
#include <vector>

namespace kaiwu::apps {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kYearMinutes = 366LL * 24 * 60;

int number(std::string_view s) {
  int v = -1;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::vector<std::string_view> fields_of(std::string_view cron) {
  std::vector<std::string_view> out;
  while (!cron.empty()) {
    const auto sp = cron.find(' ');
    if (sp != 0) out.push_back(cron.substr(0, sp));
    if (sp == std::string_view::npos) break;
    cron.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

bool cron_field_matches(std::string_view field, int value) {
  if (field == "*") return true;
  if (field.starts_with("*/")) {
    const int step = number(field.substr(2));
    return step > 0 && value % step == 0;
  }
  while (!field.empty()) {
    const auto comma = field.find(',');
    const auto part = field.substr(0, comma);
    const auto dash = part.find('-');
    if (dash == std::string_view::npos) {
      if (number(part) == value) return true;
    } else if (value >= number(part.substr(0, dash)) && value <= number(part.substr(dash + 1))) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  return false;
}

std::int64_t next_fire(const Trigger& t, std::int64_t now_ms) {
  if (t.cron.empty()) return now_ms + std::max<std::int64_t>(t.interval_ms, 1000);
  const auto f = fields_of(t.cron);
  if (f.size() != 5) return std::numeric_limits<std::int64_t>::max();
  std::int64_t minute = now_ms / kMinuteMs + 1;
  for (std::int64_t i = 0; i < kYearMinutes; ++i, ++minute) {
    const std::time_t secs = static_cast<std::time_t>(minute * 60);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    if (cron_field_matches(f[0], tm.tm_min) && cron_field_matches(f[1], tm.tm_hour) &&
        cron_field_matches(f[2], tm.tm_mday) && cron_field_matches(f[3], tm.tm_mon + 1) &&
        cron_field_matches(f[4], tm.tm_wday))
      return minute * kMinuteMs;
  }
  return std::numeric_limits<std::int64_t>::max();
}

}  // namespace kaiwu::apps
