#include "report/park_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/ids.hpp"
#include "report/paging.hpp"
#include "report/factors.hpp"

namespace kaiwu::report {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kStateHoldMs = kHourMs;  // a machine state older than this is no data
constexpr std::int64_t kLookBackMs = 400 * kDayMs;  // how far back the reading before a range is sought
constexpr int kMaxAlarmPages = 50;
constexpr std::size_t kMaxCacheEntries = 4096;

std::int64_t floor_day(std::int64_t ms) {
  std::int64_t r = ms % kDayMs;
  return r < 0 ? ms - r - kDayMs : ms - r;
}

std::optional<double> number_of(const tsdb::Value& v) {
  if (auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? std::optional<double>(*d) : std::nullopt;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

// Consumption between two readings of a cumulative counter, as the energy APP's counter_delta: a
// drop is a reset (the new reading counts from zero); a drop within 1e-9 of the reading is noise.
double counter_delta(double prev, double v) {
  if (v >= prev) return v - prev;
  if (prev - v <= 1e-9 * std::max(1.0, std::abs(prev))) return 0;
  return v;
}

bool dropped(double prev, double low) { return low < prev - 1e-9 * std::max(1.0, std::abs(prev)); }

struct Ctx {
  tsdb::TelemetryStore& tsdb;
  std::string tenant;
  std::int64_t from = 0, end = 0, now = 0;  // [from, end): the days asked; now: the clock
  std::size_t ndays = 0;
  std::size_t day_of(std::int64_t ts) const { return static_cast<std::size_t>((ts - from) / kDayMs); }
};

// The last numeric reading of a key before `before` (within kLookBackMs), if any.
Result<std::optional<tsdb::Sample>> reading_before(const Ctx& c, const std::string& device, const std::string& key,
                                                   std::int64_t before, std::int64_t look_back) {
  tsdb::RangeQuery q{c.tenant, device, {key}, before - look_back, before, 1, tsdb::Order::kDesc};
  auto got = KAIWU_TRY(c.tsdb.range(q));
  for (const auto& ks : got)
    for (const auto& s : ks.samples)
      if (number_of(s.value)) return std::optional<tsdb::Sample>(s);
  return std::optional<tsdb::Sample>();
}

std::map<std::int64_t, double> buckets_of(const std::vector<tsdb::KeyBuckets>& got) {
  std::map<std::int64_t, double> out;
  for (const auto& kb : got)
    for (const auto& b : kb.buckets)
      if (auto v = number_of(b.value)) out[b.ts] = *v;
  return out;
}

// Adds a counter's increase per day to `into`: hour by hour as the energy APP does (hourly last
// and min; the raw samples only of an hour whose counter went down); the increase between two
// readings counts on the day of the later one; the first reading ever counts from itself.
Status add_counter(const Ctx& c, const std::string& device, const std::string& key, std::vector<double>& into) {
  std::optional<double> prev;
  if (auto before = KAIWU_TRY(reading_before(c, device, key, c.from, kLookBackMs))) prev = number_of(before->value);
  auto lasts = buckets_of(KAIWU_TRY(c.tsdb.aggregate({c.tenant, device, {key}, c.from, c.end, kHourMs, tsdb::Agg::kLast})));
  if (lasts.empty()) return ok();
  auto mins = buckets_of(KAIWU_TRY(c.tsdb.aggregate({c.tenant, device, {key}, c.from, c.end, kHourMs, tsdb::Agg::kMin})));
  for (const auto& [b, last] : lasts) {
    double low = mins.contains(b) ? mins[b] : last;
    double q = 0;
    if (!prev) {
      q = last - low;
    } else if (dropped(*prev, low)) {
      tsdb::RangeQuery rq{c.tenant, device, {key}, b, b + kHourMs, 100'000, tsdb::Order::kAsc};
      auto raw = KAIWU_TRY(c.tsdb.range(rq));
      double p = *prev;
      for (const auto& ks : raw)
        for (const auto& s : ks.samples)
          if (auto v = number_of(s.value)) {
            q += counter_delta(p, *v);
            p = *v;
          }
    } else {
      q = counter_delta(*prev, last);
    }
    prev = last;
    into[c.day_of(b)] += q;
  }
  return ok();
}

// Running and observed time per day of one machine: each minute's last state holds until the
// next minute with data, at most kStateHoldMs, never past now.
Status add_machine(const Ctx& c, const std::string& device, std::vector<double>& run_ms, std::vector<double>& seen_ms) {
  std::vector<std::pair<std::int64_t, double>> states;
  if (auto before = KAIWU_TRY(reading_before(c, device, kKeyState, c.from, kStateHoldMs)))
    states.emplace_back(before->ts, *number_of(before->value));
  auto minutes = buckets_of(KAIWU_TRY(c.tsdb.aggregate({c.tenant, device, {kKeyState}, c.from, c.end, kMinuteMs, tsdb::Agg::kLast})));
  for (const auto& [ts, v] : minutes) states.emplace_back(ts, v);
  const std::int64_t stop = std::min(c.end, c.now);
  for (std::size_t i = 0; i < states.size(); ++i) {
    std::int64_t a = std::max(states[i].first, c.from);
    std::int64_t b = states[i].first + kStateHoldMs;
    if (i + 1 < states.size()) b = std::min(b, states[i + 1].first);
    b = std::min(b, stop);
    const bool running = states[i].second == kStateRunning;
    while (a < b) {  // split at UTC midnights
      std::size_t d = c.day_of(a);
      std::int64_t piece_end = std::min(b, c.from + static_cast<std::int64_t>(d + 1) * kDayMs);
      seen_ms[d] += static_cast<double>(piece_end - a);
      if (running) run_ms[d] += static_cast<double>(piece_end - a);
      a = piece_end;
    }
  }
  return ok();
}

}  // namespace

ParkMetrics::ParkMetrics(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry,
                         std::function<std::int64_t()> clock, std::int64_t cache_ttl_ms)
    : store_(store), telemetry_(telemetry), clock_(clock ? std::move(clock) : [] { return now_ms(); }),
      ttl_ms_(cache_ttl_ms) {}

Result<std::vector<EnterpriseDay>> ParkMetrics::days(const meta::Scope& scope,
                                                     const std::vector<std::string>& enterprise_ids,
                                                     std::int64_t from_day_ms, std::int64_t to_day_ms) {
  const std::int64_t from = floor_day(from_day_ms), to = floor_day(to_day_ms);
  if (from > to) return fail(Errc::kInvalidArgument, "the first day is after the last day");
  if ((to - from) / kDayMs + 1 > kMaxDays)
    return fail(Errc::kInvalidArgument, "at most " + std::to_string(kMaxDays) + " days at once");
  std::vector<EnterpriseDay> out;
  for (const auto& id : enterprise_ids) {
    auto e = KAIWU_TRY(store_.get_enterprise(scope, id));  // kNotFound outside the scope
    const auto key = std::make_tuple(e.id, from, to);
    const std::int64_t now = clock_();
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && now - it->second.at_ms < ttl_ms_) {
        out.insert(out.end(), it->second.days.begin(), it->second.days.end());
        continue;
      }
    }
    auto computed = KAIWU_TRY(compute(e, from, to));
    out.insert(out.end(), computed.begin(), computed.end());
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[key] = Cached{now, std::move(computed)};
  }
  return out;
}

Result<std::vector<EnterpriseDay>> ParkMetrics::compute(const model::Enterprise& e, std::int64_t from,
                                                        std::int64_t to) {
  Ctx c{telemetry_, e.tenant_id, from, to + kDayMs, clock_(), static_cast<std::size_t>((to - from) / kDayMs + 1)};
  const auto tenant = meta::Scope::tenant(e.tenant_id);
  meta::DeviceFilter df;
  df.enterprise_id = e.id;
  auto devices = KAIWU_TRY(all_pages<model::Device>(
      [&](const meta::Page& p) { return store_.list_devices(tenant, df, p); }, 100));
  std::vector<double> kwh(c.ndays), gas(c.ndays), steam(c.ndays), water(c.ndays), parts(c.ndays);
  std::vector<double> run(c.ndays), seen(c.ndays);
  std::vector<int> ran(c.ndays);
  int machines = 0;
  const std::pair<const char*, std::vector<double>*> counters[] = {
      {kKeyElectricity, &kwh}, {kKeyGas, &gas}, {kKeySteam, &steam}, {kKeyWater, &water}, {kKeyParts, &parts}};
  for (const auto& d : devices) {
    auto keys = KAIWU_TRY(telemetry_.keys(e.tenant_id, d.id));
    auto has = [&keys](const char* k) { return std::binary_search(keys.begin(), keys.end(), std::string(k)); };
    for (const auto& [key, into] : counters)
      if (has(key)) KAIWU_TRY_STATUS(add_counter(c, d.id, key, *into));
    if (d.category != model::Category::kProcessing) continue;
    ++machines;
    if (!has(kKeyState)) continue;
    std::vector<double> r(c.ndays), s(c.ndays);
    KAIWU_TRY_STATUS(add_machine(c, d.id, r, s));
    for (std::size_t i = 0; i < c.ndays; ++i) {
      run[i] += r[i];
      seen[i] += s[i];
      if (r[i] > 0) ++ran[i];
    }
  }
  std::vector<int> alarms(c.ndays);
  meta::AlarmFilter af;
  af.enterprise_id = e.id;
  auto list = KAIWU_TRY(all_pages<model::Alarm>(
      [&](const meta::Page& p) { return store_.list_alarms(tenant, af, p); }, kMaxAlarmPages));
  for (const auto& a : list)
    if (a.start_ms >= c.from && a.start_ms < c.end) ++alarms[c.day_of(a.start_ms)];
  std::vector<EnterpriseDay> out(c.ndays);
  for (std::size_t i = 0; i < c.ndays; ++i) {
    auto& x = out[i];
    x.enterprise_id = e.id;
    x.day_ms = from + static_cast<std::int64_t>(i) * kDayMs;
    x.electricity_kwh = kwh[i];
    x.gas_m3 = gas[i];
    x.steam_t = steam[i];
    x.water_m3 = water[i];
    x.co2_t = (kwh[i] * kCo2KgPerKwh + gas[i] * kCo2KgPerGasM3 + steam[i] * kCo2KgPerSteamT +
               water[i] * kCo2KgPerWaterM3) / 1000;
    x.tce = (kwh[i] * kKgcePerKwh + gas[i] * kKgcePerGasM3 + steam[i] * kKgcePerSteamT +
             water[i] * kKgcePerWaterM3) / 1000;
    x.output = parts[i];
    x.machines = machines;
    x.machines_running = ran[i];
    x.operating_rate = seen[i] > 0 ? run[i] / seen[i] : 0;
    x.alarms_raised = alarms[i];
    x.observed_machine_h = seen[i] / 3'600'000.0;
  }
  return out;
}

}  // namespace kaiwu::report
