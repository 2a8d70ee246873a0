// ParkMetrics: daily figures per enterprise (energy, carbon, operating rate, output, alarms)
// computed from the telemetry store and the metadata store, for the park dashboard, enterprise
// profiles and the economic indices. Method: src/report/README.md; factors: report/factors.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::report {

inline constexpr std::int64_t kDayMs = 86'400'000;

// One enterprise on one UTC day.
struct EnterpriseDay {
  std::string enterprise_id;
  std::int64_t day_ms = 0;  // UTC midnight starting the day
  double electricity_kwh = 0, gas_m3 = 0, steam_t = 0, water_m3 = 0;
  double co2_t = 0;  // tonnes CO2 (factors.hpp)
  double tce = 0;    // tonnes of standard coal equivalent (factors.hpp)
  double output = 0;  // parts made (part_count counter increase over all devices)
  int machines = 0;          // processing-category devices of the enterprise
  int machines_running = 0;  // of those, how many ran (state_code 1) at some time of the day
  double operating_rate = 0;  // 0..1: running time / observed time of the processing machines
  int alarms_raised = 0;      // alarms of the enterprise whose first trigger fell in the day
  // Added after the first version (trailing, so existing code is unaffected): Σ observed hours of
  // the processing machines, the weight to combine operating rates over days or enterprises
  // (Σ operating_rate × observed_machine_h / Σ observed_machine_h); 0: no state data that day.
  double observed_machine_h = 0;
};

// Thread-safe; calls block on the stores (never call on an io_context thread).
class ParkMetrics {
 public:
  ParkMetrics(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry,
              std::function<std::int64_t()> clock = {}, std::int64_t cache_ttl_ms = 30'000);

  // Figures of each enterprise for each UTC day from from_day_ms to to_day_ms, BOTH INCLUSIVE
  // (timestamps are floored to their UTC midnight); ordered by enterprise (as given), then day.
  // At most 400 days. An enterprise outside the scope: kNotFound; from > to or too long a
  // range: kInvalidArgument. Results are cached for cache_ttl_ms per (enterprise, range).
  Result<std::vector<EnterpriseDay>> days(const meta::Scope& scope, const std::vector<std::string>& enterprise_ids,
                                          std::int64_t from_day_ms, std::int64_t to_day_ms);

  static constexpr int kMaxDays = 400;

 private:
  Result<std::vector<EnterpriseDay>> compute(const model::Enterprise& e, std::int64_t from, std::int64_t to);

  meta::MetadataStore& store_;
  tsdb::TelemetryStore& telemetry_;
  std::function<std::int64_t()> clock_;
  std::int64_t ttl_ms_;
  struct Cached {
    std::int64_t at_ms = 0;
    std::vector<EnterpriseDay> days;
  };
  std::mutex mu_;
  std::map<std::tuple<std::string, std::int64_t, std::int64_t>, Cached> cache_;  // guarded by mu_
};

}  // namespace kaiwu::report
