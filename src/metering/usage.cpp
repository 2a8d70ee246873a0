#include "metering/usage.hpp"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace kaiwu::metering {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

bool read_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

std::int64_t days_to_ms(std::chrono::sys_days d) {
  return static_cast<std::int64_t>(d.time_since_epoch().count()) * kDayMs;
}

}  // namespace

Result<TimeRange> month_range(std::string_view s) {
  int y = 0, m = 0;
  if (s.size() != 7 || s[4] != '-' || !read_int(s.substr(0, 4), y) || !read_int(s.substr(5, 2), m) ||
      m < 1 || m > 12 || y < 1970)
    return fail(Errc::kInvalidArgument, fmt::format("month: \"{}\" is not YYYY-MM", s));
  using namespace std::chrono;
  const year_month first{year{y}, month{static_cast<unsigned>(m)}};
  const auto next = first + months{1};
  return TimeRange{days_to_ms(sys_days{first / 1}), days_to_ms(sys_days{next / 1})};
}

Result<std::int64_t> day_start_ms(std::string_view s) {
  int y = 0, m = 0, d = 0;
  using namespace std::chrono;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && read_int(s.substr(0, 4), y) &&
      read_int(s.substr(5, 2), m) && read_int(s.substr(8, 2), d) && y >= 1970) {
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
    if (ymd.ok()) return days_to_ms(sys_days{ymd});
  }
  return fail(Errc::kInvalidArgument, fmt::format("\"{}\" is not a date YYYY-MM-DD", s));
}

std::string day_name(std::int64_t ms) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<Kind> parse_kind(std::string_view name) {
  for (Kind k : {Kind::kAppVisit, Kind::kAppCall, Kind::kModelCall, Kind::kDeveloperLogin, Kind::kToolCall,
                 Kind::kDeviceActive})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

}  // namespace kaiwu::metering
