#include "report/economy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

namespace kaiwu::report {
namespace json = boost::json;

namespace {

constexpr std::size_t kDefaultBaseDays = 7;

json::value number_or_null(std::optional<double> v, int decimals = 4) {
  if (!v || !std::isfinite(*v)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(*v * scale) / scale;
}

// Machine-time-weighted operating rate of a set of days: Σ rate·machines / Σ machines.
struct RateSum {
  double weighted = 0;
  double machines = 0;
  void add(const DayFigures& d) {
    if (d.machines <= 0) return;
    weighted += d.operating_rate * d.machines;
    machines += d.machines;
  }
  std::optional<double> value() const {
    if (machines <= 0) return std::nullopt;
    return weighted / machines;
  }
};

json::object method_json(const Method& m) { return {{"zh", m.zh}, {"en", m.en}}; }

}  // namespace

Result<std::int64_t> parse_day(std::string_view text, std::string_view field) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  std::string s(text);
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return fail(Errc::kInvalidArgument, fmt::format("{}: \"{}\" is not a day YYYY-MM-DD", field, text));
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok() || y < 1970)
    return fail(Errc::kInvalidArgument, fmt::format("{}: \"{}\" is not a calendar day", field, text));
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::sys_days{ymd}.time_since_epoch())
      .count();
}

std::string format_day(std::int64_t day_ms) {
  const std::chrono::sys_days days{std::chrono::days{day_ms / kDayMs}};
  const std::chrono::year_month_day ymd{days};
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::int64_t day_of(std::int64_t ms) { return ms - ((ms % kDayMs) + kDayMs) % kDayMs; }

bool has_data(const DayFigures& d) { return d.electricity_kwh > 0 || d.output > 0 || d.machines > 0; }

// ---- Industry map ----

json::object industry_map(const std::vector<model::Enterprise>& enterprises, const std::vector<DayFigures>& days,
                          const MapExtras& extras, std::int64_t from_day_ms, std::int64_t to_day_ms) {
  struct Totals {
    double kwh = 0, output = 0;
    std::int64_t alarms = 0, devices = 0, count = 0;
    RateSum rate;
  };
  std::map<std::string, Totals> per_enterprise;
  for (const auto& d : days) {
    if (d.day_ms < from_day_ms || d.day_ms > to_day_ms) continue;
    auto& t = per_enterprise[d.enterprise_id];
    t.kwh += d.electricity_kwh;
    t.output += d.output;
    t.alarms += d.alarms_raised;
    t.rate.add(d);
  }
  std::map<std::string, Totals> per_industry;
  json::array rows;
  for (const auto& e : enterprises) {
    const auto& t = per_enterprise[e.id];
    const auto dev = extras.devices.contains(e.id) ? extras.devices.at(e.id) : 0;
    json::object row{{"id", e.id}, {"name", e.name}, {"industry", e.industry}, {"parkId", e.park_id},
                     {"sme", e.sme}, {"address", e.address}, {"devices", dev},
                     {"electricityKwh", number_or_null(t.kwh, 3)}, {"output", number_or_null(t.output, 3)},
                     {"operatingRate", number_or_null(t.rate.value())}, {"alarms", t.alarms}};
    row["parkName"] = extras.park_names.contains(e.park_id) ? extras.park_names.at(e.park_id) : "";
    row["longitude"] = e.longitude ? json::value(*e.longitude) : json::value(nullptr);
    row["latitude"] = e.latitude ? json::value(*e.latitude) : json::value(nullptr);
    rows.push_back(std::move(row));
    auto& i = per_industry[e.industry];
    i.count += 1;
    i.devices += dev;
    i.kwh += t.kwh;
    i.output += t.output;
    i.alarms += t.alarms;
    i.rate.weighted += t.rate.weighted;
    i.rate.machines += t.rate.machines;
  }
  std::vector<std::pair<std::string, Totals>> sorted(per_industry.begin(), per_industry.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  json::array by_industry;
  for (const auto& [industry, t] : sorted)
    by_industry.push_back(json::object{{"industry", industry}, {"enterprises", t.count}, {"devices", t.devices},
                                       {"electricityKwh", number_or_null(t.kwh, 3)},
                                       {"output", number_or_null(t.output, 3)},
                                       {"operatingRate", number_or_null(t.rate.value())}, {"alarms", t.alarms}});
  return {{"from", format_day(from_day_ms)},
          {"to", format_day(to_day_ms)},
          {"enterprises", std::move(rows)},
          {"byIndustry", std::move(by_industry)},
          {"method",
           method_json({"电量与产出为期间内各日之和；开工率为期间内加工设备运行时间占比（按设备数加权）；告警为期间内新产生的告警数。",
                        "Electricity and output are sums over the period's days; the operating rate is the share "
                        "of processing-machine time running (weighted by machine count); alarms are those raised "
                        "in the period."})}};
}

// ---- Indices ----

std::pair<std::int64_t, std::int64_t> index_window(const IndexRequest& r) {
  if (!r.base) return {r.from_day_ms, r.to_day_ms};
  return {std::min(r.from_day_ms, r.base->first), std::max(r.to_day_ms, r.base->second)};
}

namespace {

// One group's (an industry's or the total's) daily sums.
struct GroupDay {
  double kwh = 0, output = 0;
  bool data = false;
  RateSum rate;
};
using GroupDays = std::map<std::int64_t, GroupDay>;

struct IndexDef {
  std::string_view id, name_zh, name_en, unit;
  Method (*method)();
  std::optional<double> (*value)(const GroupDay&);
};

std::optional<double> rate_value(const GroupDay& g) { return g.rate.value(); }
std::optional<double> kwh_value(const GroupDay& g) { return g.data ? std::optional(g.kwh) : std::nullopt; }
std::optional<double> output_value(const GroupDay& g) { return g.data ? std::optional(g.output) : std::nullopt; }

const IndexDef kIndices[] = {
    {"operatingRate", "开工率指数", "Operating-rate index", "", operating_rate_method, rate_value},
    {"electricity", "工业用电活跃指数", "Electricity-based industrial activity index", "kWh", electricity_method,
     kwh_value},
    {"output", "产出指数", "Output index", "", output_method, output_value},
};

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Monday 00:00 UTC of the week holding the day (1970-01-01 was a Thursday).
std::int64_t week_of(std::int64_t day_ms) {
  const std::int64_t n = day_ms / kDayMs;
  return (n - ((n + 3) % 7 + 7) % 7) * kDayMs;
}

json::object series(const std::string& group, const GroupDays& days, const IndexDef& def,
                    const std::vector<std::int64_t>& base_days, const IndexRequest& r) {
  std::vector<double> base_values;
  for (auto b : base_days)
    if (auto it = days.find(b); it != days.end())
      if (auto v = def.value(it->second)) base_values.push_back(*v);
  const auto base = mean(base_values);
  std::map<std::int64_t, std::vector<double>> by_period;
  for (auto d = r.from_day_ms; d <= r.to_day_ms; d += kDayMs) {
    auto& bucket = by_period[r.period == Period::kWeek ? week_of(d) : d];
    if (auto it = days.find(d); it != days.end())
      if (auto v = def.value(it->second)) bucket.push_back(*v);
  }
  json::array points;
  for (const auto& [start, values] : by_period) {
    const auto v = mean(values);
    std::optional<double> index;
    if (v && base && *base > 0) index = *v / *base * 100.0;
    points.push_back(json::object{{"period", format_day(start)}, {"value", number_or_null(v)},
                                  {"index", number_or_null(index, 2)}, {"days", static_cast<std::int64_t>(values.size())}});
  }
  return {{"group", group}, {"baseValue", number_or_null(base)}, {"points", std::move(points)}};
}

}  // namespace

Result<json::object> indices(const std::vector<model::Enterprise>& enterprises, const std::vector<DayFigures>& days,
                             const IndexRequest& r) {
  if (r.from_day_ms > r.to_day_ms) return fail(Errc::kInvalidArgument, "from: must not be after to");
  std::map<std::string, std::string> industry_of;
  for (const auto& e : enterprises) industry_of[e.id] = e.industry;
  GroupDays total;
  std::map<std::string, GroupDays> groups;  // by industry
  const auto [lo, hi] = index_window(r);
  for (const auto& d : days) {
    auto it = industry_of.find(d.enterprise_id);
    if (it == industry_of.end() || d.day_ms < lo || d.day_ms > hi) continue;
    for (GroupDays* g : {&total, &groups[it->second]}) {
      auto& gd = (*g)[d.day_ms];
      gd.kwh += d.electricity_kwh;
      gd.output += d.output;
      gd.data = gd.data || has_data(d);
      gd.rate.add(d);
    }
  }
  std::vector<std::int64_t> base_days;
  bool default_base = !r.base;
  if (r.base) {
    if (r.base->first > r.base->second) return fail(Errc::kInvalidArgument, "base: the start is after the end");
    for (auto d = r.base->first; d <= r.base->second; d += kDayMs) base_days.push_back(d);
  } else {
    for (const auto& [day, g] : total)
      if (g.data && day >= r.from_day_ms && day <= r.to_day_ms && base_days.size() < kDefaultBaseDays)
        base_days.push_back(day);
    if (base_days.empty())
      return fail(Errc::kFailedPrecondition,
                  fmt::format("no day with data between {} and {}: no base period; name one with base=",
                              format_day(r.from_day_ms), format_day(r.to_day_ms)));
  }
  json::array out;
  for (const auto& def : kIndices) {
    json::array list{series("total", total, def, base_days, r)};
    for (const auto& [group, gdays] : groups) list.push_back(series(group, gdays, def, base_days, r));
    const auto m = def.method();
    out.push_back(json::object{{"id", def.id}, {"nameZh", def.name_zh}, {"nameEn", def.name_en},
                               {"unit", def.unit}, {"methodZh", m.zh}, {"methodEn", m.en},
                               {"series", std::move(list)}});
  }
  json::array base_list;
  for (auto d : base_days) base_list.push_back(json::string(format_day(d)));
  return json::object{{"from", format_day(r.from_day_ms)},
                      {"to", format_day(r.to_day_ms)},
                      {"period", r.period == Period::kWeek ? "week" : "day"},
                      {"base", json::object{{"from", base_days.empty() ? "" : format_day(base_days.front())},
                                            {"to", base_days.empty() ? "" : format_day(base_days.back())},
                                            {"days", std::move(base_list)},
                                            {"default", default_base}}},
                      {"indices", std::move(out)}};
}

// ---- Supply chain ----

std::string_view status_name(OperatingStatus s) {
  switch (s) {
    case OperatingStatus::kRunning: return "running";
    case OperatingStatus::kSlowed: return "slowed";
    case OperatingStatus::kStopped: return "stopped";
    case OperatingStatus::kUnknown: return "unknown";
  }
  return "unknown";
}

OperatingStatus operating_status(std::optional<double> today, std::optional<double> base) {
  if (!today || !base || *base <= 0) return OperatingStatus::kUnknown;
  const double ratio = *today / *base;
  if (ratio >= 0.8) return OperatingStatus::kRunning;
  if (ratio >= 0.2) return OperatingStatus::kSlowed;
  return OperatingStatus::kStopped;
}

json::object supply_chain(const SupplyChainInput& in) {
  std::map<std::string, std::vector<const DayFigures*>> history;
  for (const auto& d : in.history)
    if (d.machines > 0 && d.day_ms < in.today_ms) history[d.enterprise_id].push_back(&d);
  std::map<std::string, OperatingStatus> status;
  std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> rates;  // today, base
  for (const auto& e : in.enterprises) {
    auto& h = history[e.id];
    std::sort(h.begin(), h.end(), [](auto* a, auto* b) { return a->day_ms < b->day_ms; });
    RateSum base;
    for (std::size_t i = 0; i < h.size() && i < kDefaultBaseDays; ++i) base.add(*h[i]);
    RateSum today;
    for (const auto& d : in.today)
      if (d.enterprise_id == e.id && d.day_ms == in.today_ms) today.add(d);
    rates[e.id] = {today.value(), base.value()};
    status[e.id] = operating_status(today.value(), base.value());
  }
  std::map<std::string, std::vector<std::string>> stopped_suppliers;
  json::array edges;
  for (const auto& l : in.links) {
    if (!status.contains(l.supplier_enterprise_id) || !status.contains(l.customer_enterprise_id)) continue;
    const auto s = status[l.supplier_enterprise_id];
    if (s == OperatingStatus::kStopped) stopped_suppliers[l.customer_enterprise_id].push_back(l.supplier_enterprise_id);
    edges.push_back(json::object{{"id", l.id}, {"source", l.supplier_enterprise_id},
                                 {"target", l.customer_enterprise_id}, {"material", l.material},
                                 {"supplierStatus", status_name(s)}});
  }
  std::map<std::string, std::int64_t> counts{{"running", 0}, {"slowed", 0}, {"stopped", 0}, {"unknown", 0}};
  std::int64_t at_risk = 0;
  json::array nodes;
  for (const auto& e : in.enterprises) {
    const auto s = status[e.id];
    counts[std::string(status_name(s))] += 1;
    json::array because;
    for (const auto& id : stopped_suppliers[e.id]) because.push_back(json::string(id));
    const bool risk = !because.empty();
    at_risk += risk ? 1 : 0;
    nodes.push_back(json::object{{"id", e.id}, {"name", e.name}, {"industry", e.industry}, {"parkId", e.park_id},
                                 {"status", status_name(s)}, {"todayRate", number_or_null(rates[e.id].first)},
                                 {"baseRate", number_or_null(rates[e.id].second)}, {"atRisk", risk},
                                 {"stoppedSuppliers", std::move(because)}});
  }
  json::object summary;
  for (const auto& [k, v] : counts) summary[k] = v;
  summary["atRisk"] = at_risk;
  return {{"day", format_day(in.today_ms)}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)},
          {"summary", std::move(summary)}, {"method", method_json(status_method())}};
}

// ---- Methods ----

Method operating_rate_method() {
  return {"开工率指数 = 报告期开工率 ÷ 基期开工率 × 100。开工率为加工类设备（category=processing）运行状态"
          "（state_code = 1）的时间占比，按设备数加权汇总到行业与全部企业；基期开工率为基期内各日开工率的算术平均，"
          "按周统计时取周内各日开工率的平均。",
          "Operating-rate index = operating rate of the period ÷ operating rate of the base period × 100. The "
          "operating rate is the time share of processing machines (category processing) in the running state "
          "(state_code = 1), aggregated over an industry or all enterprises weighted by machine count; the base "
          "value is the mean of the base days' rates; a week's value is the mean of its days."};
}

Method electricity_method() {
  return {"工业用电活跃指数 = 报告期日均用电量 ÷ 基期日均用电量 × 100。日用电量为各企业电能表累计读数"
          "（energy_kwh）当日末值减首值（计数器归零已处理）之和；基期日均为基期内有数据各日之平均。",
          "Electricity-based industrial activity index = mean daily electricity of the period ÷ mean daily "
          "electricity of the base period × 100. Daily electricity is the sum over enterprises of each meter's "
          "energy_kwh counter (last − first reading of the day, counter resets handled); the base is the mean "
          "over the base days with data."};
}

Method output_method() {
  return {"产出指数 = 报告期日均产出 ÷ 基期日均产出 × 100。产出以加工设备产量计数器（part_count）当日增量之和"
          "作为代理指标。",
          "Output index = mean daily output of the period ÷ mean daily output of the base period × 100. Output "
          "is proxied by the daily increase of the machines' part counters (part_count)."};
}

Method status_method() {
  return {"运行状态：今日开工率与该企业基期开工率（有设备数据的最早 7 天的平均）之比，≥ 80% 为正常运行，"
          "20%–80% 为减产，低于 20% 为停产；今日无设备数据或基期开工率为 0 时为未知。客户企业的任一供应商停产时，"
          "该客户标记为“有风险”。",
          "Operating status: today's operating rate against the enterprise's base rate (the mean of its first 7 "
          "days with machine data): at least 80 % running, 20–80 % slowed, below 20 % stopped; unknown without "
          "machine data today or with a base rate of 0. A customer is flagged \"at risk\" when any of its "
          "suppliers has stopped."};
}

}  // namespace kaiwu::report
