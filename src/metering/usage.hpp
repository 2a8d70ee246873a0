// Aggregates over the usage records: the figures MIIT's form asks for (monthly-active APPs, daily
// calls, active developers, calls per enterprise, per-call revenue). Read side of metering/; the
// write side is Meter (meter.hpp).
//
// Scoping: tenant_id empty means platform-wide (platform admins only; api/ decides); otherwise
// only that tenant's records count. Ranges are [from_ms, to_ms) in UTC.
// Queries see every record accepted by record() before the call (implementations flush first).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "metering/meter.hpp"

namespace kaiwu::metering {

struct TimeRange {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

// "2026-11" -> [2026-11-01T00:00Z, 2026-12-01T00:00Z). kInvalidArgument otherwise.
Result<TimeRange> month_range(std::string_view yyyy_mm);
// "2026-11-26" -> start of that UTC day in ms. kInvalidArgument otherwise.
Result<std::int64_t> day_start_ms(std::string_view yyyy_mm_dd);
// Start of a UTC day (ms since epoch) as "YYYY-MM-DD".
std::string day_name(std::int64_t ms);
std::optional<Kind> parse_kind(std::string_view name);

struct Summary {
  std::int64_t app_visits = 0;
  std::int64_t app_calls = 0;
  std::int64_t model_calls = 0;
  std::int64_t developer_logins = 0;
  std::int64_t tool_calls = 0;
  std::int64_t failed_calls = 0;        // APP and model calls with ok = false
  std::int64_t active_apps = 0;         // APPs with at least one visit or call
  std::int64_t active_models = 0;       // models called at least once
  std::int64_t active_developers = 0;   // developers who logged in AND used a tool
  std::vector<std::pair<std::string, std::int64_t>> calls_by_enterprise;  // APP + model calls
};

struct DailyCount {
  std::int64_t day_ms = 0;  // start of the UTC day
  Kind kind = Kind::kAppCall;
  std::string subject_id;
  std::int64_t count = 0;
  std::int64_t failed = 0;
};

struct Revenue {
  std::string subject_id;
  std::int64_t calls = 0;        // successful APP and model calls
  std::int64_t price_minor = 0;  // per call, in the currency's minor unit (fen)
  std::int64_t revenue_minor = 0;
};

// Price per call of a subject in minor units; nullopt: not a per-call subject (left out).
using PriceOf = std::function<std::optional<std::int64_t>(const std::string& subject_id)>;

class UsageQueries {
 public:
  virtual ~UsageQueries() = default;
  virtual Result<Summary> summary(const std::string& tenant_id, TimeRange range) = 0;
  // Counts per UTC day, kind and subject; subject_id empty: every subject.
  virtual Result<std::vector<DailyCount>> daily(const std::string& tenant_id, TimeRange range,
                                                const std::string& subject_id) = 0;
  // The per-call revenue hook: successful calls × the price the caller supplies.
  virtual Result<std::vector<Revenue>> per_call_revenue(const std::string& tenant_id,
                                                        TimeRange range, const PriceOf& price) = 0;
};

}  // namespace kaiwu::metering
