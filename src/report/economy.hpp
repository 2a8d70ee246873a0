// Economic-operation analysis (经济运行分析) over per-enterprise daily figures: the industry map,
// characteristic indices against a base period and the supply-chain view with operating status.
//
// Everything here is a pure function of enterprises, daily figures and supply links, so it is
// tested on hand-made data; the routes (economy_routes.cpp) gather the inputs within the
// caller's scope. Daily figures come through DaysSource: in the server, report::ParkMetrics::days
// (economy_days.cpp adapts its EnterpriseDay rows). Methods are written in README.md and returned
// with every figure (method_*), so a reader of the JSON knows how each number was made.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"
#include "model/entities.hpp"
#include "report/park_metrics.hpp"
#include "report/supply_links.hpp"

namespace kaiwu::report {

// The figures of one enterprise on one UTC day that the analysis uses.
struct DayFigures {
  std::string enterprise_id;
  std::int64_t day_ms = 0;      // 00:00 UTC of the day
  double electricity_kwh = 0;   // consumed that day
  double output = 0;            // output proxy (parts produced)
  int machines = 0;             // processing machines reporting
  double operating_rate = 0;    // 0..1, time-weighted share of machine time running
  int alarms_raised = 0;
};

// Daily figures for the enterprises in [from_day_ms, to_day_ms] (both day starts, inclusive).
using DaysSource = std::function<Result<std::vector<DayFigures>>(
    const meta::Scope&, const std::vector<std::string>& enterprise_ids, std::int64_t from_day_ms,
    std::int64_t to_day_ms)>;

// ParkMetrics::days as a DaysSource (economy_days.cpp); metrics must outlive it. ParkMetrics
// counts every processing machine of an enterprise, reporting or not; a day has machine data
// here (machines > 0) only when some machine reported its state (observed_machine_h > 0), so a
// day before any telemetry is no data, while a plant whose machines all stood still is rate 0.
DaysSource days_from(ParkMetrics& metrics);
DayFigures figures_of(const EnterpriseDay& d);

// "YYYY-MM-DD" ↔ the day's start in ms since the epoch (UTC). kInvalidArgument naming `field`.
Result<std::int64_t> parse_day(std::string_view text, std::string_view field);
std::string format_day(std::int64_t day_ms);
std::int64_t day_of(std::int64_t ms);

// A day had data for an enterprise when it consumed electricity, produced, or had machines.
bool has_data(const DayFigures& d);

// ---- Industry map ----
struct MapExtras {
  std::map<std::string, std::int64_t> devices;  // enterprise id → registered devices
  std::map<std::string, std::string> park_names;  // park id → name
};
boost::json::object industry_map(const std::vector<model::Enterprise>& enterprises,
                                 const std::vector<DayFigures>& days, const MapExtras& extras,
                                 std::int64_t from_day_ms, std::int64_t to_day_ms);

// ---- Indices ----
enum class Period { kDay, kWeek };
struct IndexRequest {
  std::int64_t from_day_ms = 0;
  std::int64_t to_day_ms = 0;
  std::optional<std::pair<std::int64_t, std::int64_t>> base;  // nullopt: the first 7 days with data
  Period period = Period::kDay;
};
// The days of `days` to fetch for a request: from..to plus the base period when it lies outside.
std::pair<std::int64_t, std::int64_t> index_window(const IndexRequest& r);
// kFailedPrecondition when no base can be found (no day with data).
Result<boost::json::object> indices(const std::vector<model::Enterprise>& enterprises,
                                    const std::vector<DayFigures>& days, const IndexRequest& r);

// ---- Supply chain ----
enum class OperatingStatus { kRunning, kSlowed, kStopped, kUnknown };
std::string_view status_name(OperatingStatus s);
// today's operating rate against the base rate (the mean over the enterprise's base days):
// ≥ 80 % running, ≥ 20 % slowed, below stopped; no machines today or a base of 0: unknown.
OperatingStatus operating_status(std::optional<double> today, std::optional<double> base);

struct SupplyChainInput {
  std::vector<model::Enterprise> enterprises;  // every node (scope-checked by the caller)
  std::vector<SupplyLink> links;               // only links between those enterprises are drawn
  std::vector<DayFigures> history;             // figures of the base window (before today)
  std::vector<DayFigures> today;               // figures of today
  std::int64_t today_ms = 0;
};
boost::json::object supply_chain(const SupplyChainInput& in);

// Method texts (zh, en) returned with the figures and written in README.md.
struct Method {
  std::string_view zh;
  std::string_view en;
};
Method operating_rate_method();
Method electricity_method();
Method output_method();
Method status_method();

}  // namespace kaiwu::report
