#include "cli/demo_park.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "model/entities.hpp"

namespace kaiwu::cli::demo_park {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kLocalOffset = 8 * kHour;  // China Standard Time: shifts are local

// How an enterprise works: its lines, loads and shifts. The first three are the original demo
// enterprises (history only); the rest are the light enterprises created here.
struct Profile {
  const char* name;
  const char* industry;
  const char* code17;  // GB 32100-2015: 9 1 320505 (Suzhou New District) + organisation code
  const char* prefix;  // device names
  double longitude, latitude;
  int lines;
  double base_kw, line_kw, idle_kw;  // always on; per running line; per idle line
  double parts_per_h;                // per running line
  double gas_base, gas_per_line;     // m³/h (0: no boiler)
  int shift_from, shift_to;          // local hours of the shift [from, to)
  bool sunday;                       // works on Sundays
  double fault_rate;                 // share of shift hours a line is down (state 3)
  bool sme;
};
constexpr Profile kProfiles[] = {
    {"苏州精工机械有限公司", "机械", "", "", 120.5716, 31.2998, 4, 10, 18, 3, 14, 0, 0, 0, 24, true, 0.04, true},
    {"苏州新区热电有限公司", "热力和燃气", "", "", 120.5283, 31.3232, 1, 25, 20, 5, 0, 0, 0, 0, 24, true, 0.02, true},
    {"苏州芯源电子有限公司", "电子", "", "", 120.5512, 31.2789, 1, 8, 6, 2, 0, 0, 0, 0, 24, true, 0.02, true},
    {"苏州东吴食品科技有限公司", "食品", "91320505MA1KW0F5A", "sp", 120.5036, 31.2641, 2, 60, 90, 15, 600, 20, 15, 6, 22,
     false, 0.03, true},
    {"苏州浒通纺织科技有限公司", "纺织", "91320505MA1KW0T6B", "fz", 120.4418, 31.3897, 4, 40, 55, 8, 40, 0, 0, 0, 24, false,
     0.05, true},
    {"苏州狮山生物医药有限公司", "医药", "91320505MA1KW0Y7C", "yy", 120.5635, 31.3071, 2, 120, 45, 10, 300, 0, 0, 8, 20,
     false, 0.02, false},
    {"苏州高新汽车零部件有限公司", "汽车", "91320505MA1KW0Q8D", "qc", 120.4871, 31.3358, 4, 150, 260, 30, 90, 60, 25, 0,
     24, false, 0.04, false},
    {"苏州浒关新型建材有限公司", "建材", "91320505MA1KW0J9E", "jc", 120.4603, 31.4012, 2, 100, 520, 40, 12, 220, 90, 0,
     24, true, 0.06, true},
};
constexpr int kFactoryProfiles = 3;

// Deterministic noise in [0, 1) from (seed, a, b): splitmix64.
double noise(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + a * 0xBF58476D1CE4E5B9ull + b * 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ull << 53);
}

// State of line `line` of profile `p` at time t: 1 running, 0 idle (off shift), 3 down.
int line_state(int p, int line, std::int64_t t) {
  const auto& pr = kProfiles[p];
  const std::int64_t local = t + kLocalOffset;
  const int hour = static_cast<int>(((local % kDay) + kDay) % kDay / kHour);
  const int weekday = static_cast<int>(((local / kDay) % 7 + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const bool in_shift = hour >= pr.shift_from && hour < pr.shift_to && (weekday != 0 || pr.sunday);
  if (!in_shift) return 0;
  if (noise(static_cast<std::uint64_t>(p), static_cast<std::uint64_t>(line), static_cast<std::uint64_t>(t / kHour)) <
      pr.fault_rate)
    return 3;
  return 1;
}

int running_lines(int p, std::int64_t t) {
  int n = 0;
  for (int i = 0; i < kProfiles[p].lines; ++i) n += line_state(p, i, t) == 1;
  return n;
}

double meter_kw(int p, std::int64_t t) {
  const auto& pr = kProfiles[p];
  const int running = running_lines(p, t);
  double kw = pr.base_kw + running * pr.line_kw + (pr.lines - running) * pr.idle_kw;
  return kw * (0.95 + 0.1 * noise(99, static_cast<std::uint64_t>(p), static_cast<std::uint64_t>(t / 60'000)));
}

double gas_m3_h(int p, std::int64_t t) {
  const auto& pr = kProfiles[p];
  if (pr.gas_base == 0) return 0;
  return pr.gas_base + running_lines(p, t) * pr.gas_per_line;
}

// Advances the counters of d over [t - dt, t) and appends its samples at t.
void advance(LightDevice& d, std::int64_t t, std::int64_t dt, std::vector<tsdb::Point>& out) {
  const double hours = static_cast<double>(dt) / kHour;
  const std::int64_t t0 = t - dt;
  switch (d.kind) {
    case Kind::kMeter: {
      const double kw = meter_kw(d.profile, t0);
      d.kwh += kw * hours;
      out.push_back({d.tenant_id, d.id, "energy_kwh", t, std::round(d.kwh * 100) / 100});
      out.push_back({d.tenant_id, d.id, "power_kw", t, std::round(kw * 10) / 10});
      break;
    }
    case Kind::kLine: {
      const int state = line_state(d.profile, d.index, t0);
      if (state == 1) d.parts += kProfiles[d.profile].parts_per_h * hours;
      out.push_back({d.tenant_id, d.id, "state_code", t, std::int64_t{line_state(d.profile, d.index, t)}});
      out.push_back({d.tenant_id, d.id, "part_count", t, static_cast<std::int64_t>(d.parts)});
      break;
    }
    case Kind::kBoiler: {
      const double flow = gas_m3_h(d.profile, t0);
      d.gas += flow * hours;
      out.push_back({d.tenant_id, d.id, "gas_total_m3", t, std::round(d.gas * 10) / 10});
      out.push_back({d.tenant_id, d.id, "gas_flow_m3_h", t, flow});
      break;
    }
  }
}

model::Device make_device(const std::string& tenant, const std::string& ent, std::string name, model::Category c) {
  model::Device d;
  d.tenant_id = tenant;
  d.enterprise_id = ent;
  d.name = std::move(name);
  d.category = c;
  d.protocol = "http";
  d.label = "demo-light";
  return d;
}

Result<std::vector<model::Enterprise>> enterprises_of(meta::MetadataStore& store, const std::string& tenant) {
  auto page = KAIWU_TRY(store.list_enterprises(meta::Scope::tenant(tenant), {}, meta::Page{1000, {}, 0}));
  return page.items;
}

}  // namespace

LightDevice factory_device(const std::string& id, const std::string& tenant_id, const std::string& enterprise_id,
                           int owner, bool is_meter, double end_kwh, int index) {
  LightDevice d;
  d.id = id;
  d.tenant_id = tenant_id;
  d.enterprise_id = enterprise_id;
  d.profile = std::clamp(owner, 0, kFactoryProfiles - 1);
  d.kind = is_meter ? Kind::kMeter : Kind::kLine;
  d.index = index % kProfiles[d.profile].lines;
  d.history_only = true;
  d.end_kwh = end_kwh;
  return d;
}

Status place_factory_enterprises(meta::MetadataStore& store, const std::string& tenant_id) {
  for (auto e : KAIWU_TRY(enterprises_of(store, tenant_id))) {
    for (int p = 0; p < kFactoryProfiles; ++p) {
      if (e.name != kProfiles[p].name || e.longitude) continue;
      e.longitude = kProfiles[p].longitude;
      e.latitude = kProfiles[p].latitude;
      KAIWU_TRY(store.update_enterprise(meta::Scope::tenant(tenant_id), e));
    }
  }
  return ok();
}

Result<Ensured> ensure(meta::MetadataStore& store, const std::string& tenant_id, const std::string& park_id) {
  auto scope = meta::Scope::tenant(tenant_id);
  auto existing = KAIWU_TRY(enterprises_of(store, tenant_id));
  Ensured out;
  for (int p = kFactoryProfiles; p < static_cast<int>(std::size(kProfiles)); ++p) {
    const auto& pr = kProfiles[p];
    std::string ent_id;
    for (const auto& e : existing)
      if (e.name == pr.name) ent_id = e.id;
    const bool fresh = ent_id.empty();
    if (fresh) {
      model::Enterprise e;
      e.tenant_id = tenant_id;
      e.park_id = park_id;
      e.name = pr.name;
      e.industry = pr.industry;
      auto check = model::credit_code_check_char(pr.code17);
      e.credit_code = std::string(pr.code17) + (check ? std::string(1, *check) : std::string());
      e.sme = pr.sme;
      e.paid = true;
      e.longitude = pr.longitude;
      e.latitude = pr.latitude;
      ent_id = KAIWU_TRY(store.create_enterprise(scope, e)).id;
      out.created_enterprises.push_back(ent_id);
    }
    auto add = [&](std::string name, model::Category c, Kind kind, int index) -> Status {
      std::string id;
      if (fresh) {
        id = KAIWU_TRY(store.create_device(scope, make_device(tenant_id, ent_id, name, c))).id;
      } else {
        meta::DeviceFilter f;
        f.q = name;
        f.enterprise_id = ent_id;
        for (const auto& d : KAIWU_TRY(store.list_devices(scope, f, meta::Page{100, {}, 0})).items)
          if (d.name == name) id = d.id;
        if (id.empty()) return ok();  // deleted by the user: not simulated
      }
      LightDevice d;
      d.id = id;
      d.tenant_id = tenant_id;
      d.enterprise_id = ent_id;
      d.profile = p;
      d.kind = kind;
      d.index = index;
      d.kwh = 20'000.0 * (p - 2);
      d.gas = 5'000.0 * (p - 2);
      out.devices.push_back(std::move(d));
      return ok();
    };
    KAIWU_TRY_STATUS(add(std::string(pr.prefix) + "-meter", model::Category::kRunning, Kind::kMeter, 0));
    for (int i = 0; i < pr.lines; ++i)
      KAIWU_TRY_STATUS(add(fmt::format("{}-line-{}", pr.prefix, i + 1), model::Category::kProcessing, Kind::kLine, i));
    if (pr.gas_base > 0)
      KAIWU_TRY_STATUS(add(std::string(pr.prefix) + "-boiler", model::Category::kRunning, Kind::kBoiler, 0));
  }
  return out;
}

Result<BackfillStats> backfill(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry,
                               std::vector<LightDevice>& devices, const std::vector<std::string>& enterprises,
                               std::int64_t now) {
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t end = now - now % kBackfillStepMs;
  const std::int64_t start = end - kBackfillDays * kDay;
  BackfillStats stats;
  std::vector<tsdb::Point> batch;
  for (auto& d : devices) {
    if (std::find(enterprises.begin(), enterprises.end(), d.enterprise_id) == enterprises.end()) continue;
    batch.clear();
    if (d.history_only) d.kwh = 0;
    for (std::int64_t t = start; t <= end; t += kBackfillStepMs) advance(d, t, kBackfillStepMs, batch);
    if (d.history_only && d.kind == Kind::kMeter && d.kwh > 0) {
      // The live meter continues at end_kwh: the history is scaled to end there.
      const double scale = std::min(1.0, d.end_kwh / d.kwh);
      for (auto& p : batch)
        if (p.key == "energy_kwh") p.value = std::round(std::get<double>(p.value) * scale * 100) / 100;
    }
    KAIWU_TRY_STATUS(telemetry.write(batch));
    stats.samples += batch.size();
  }
  // A few past alarms per light enterprise (down lines), raised and cleared in the history.
  for (const auto& d : devices) {
    if (d.history_only || d.kind != Kind::kLine || d.index != 0) continue;
    if (std::find(enterprises.begin(), enterprises.end(), d.enterprise_id) == enterprises.end()) continue;
    for (std::int64_t day = start; day < end - kDay; day += kDay) {
      if (noise(7, static_cast<std::uint64_t>(d.profile), static_cast<std::uint64_t>(day / kDay)) >= 0.15) continue;
      model::Alarm a;
      a.tenant_id = d.tenant_id;
      a.device_id = d.id;
      a.type = "LineDown";
      a.severity = model::AlarmSeverity::kMajor;
      a.last_ms = day + 10 * kHour;
      auto raised = KAIWU_TRY(store.raise_alarm(meta::Scope::tenant(d.tenant_id), a, "demo"));
      KAIWU_TRY(store.acknowledge_alarm(meta::Scope::tenant(d.tenant_id), raised.alarm.id, "demo", a.last_ms + kHour / 2));
      KAIWU_TRY(store.clear_alarm(meta::Scope::tenant(d.tenant_id), raised.alarm.id, "demo", a.last_ms + 2 * kHour));
    }
  }
  stats.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                         .count();
  return stats;
}

Status resume(tsdb::TelemetryStore& telemetry, std::vector<LightDevice>& devices) {
  for (auto& d : devices) {
    if (d.history_only) continue;
    auto latest = KAIWU_TRY(telemetry.latest(d.tenant_id, d.id, {}));
    for (const auto& l : latest) {
      double v = std::visit([](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return 0;
        else return static_cast<double>(x);
      }, l.sample.value);
      if (l.key == "energy_kwh") d.kwh = v;
      if (l.key == "part_count") d.parts = v;
      if (l.key == "gas_total_m3") d.gas = v;
    }
  }
  return ok();
}

Status step(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, std::vector<LightDevice>& devices,
            std::int64_t now) {
  std::vector<tsdb::Point> batch;
  for (auto& d : devices) {
    if (d.history_only) continue;
    advance(d, now, kLiveStepMs, batch);
    (void)store.touch_device(d.id, now);
  }
  return telemetry.write(batch);
}

}  // namespace kaiwu::cli::demo_park
