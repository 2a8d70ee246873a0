#include "report/park_routes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "api/common.hpp"
#include "core/ids.hpp"
#include "report/paging.hpp"
#include "metering/usage.hpp"
#include "report/factors.hpp"

namespace kaiwu::report {
namespace {

namespace json = boost::json;
using model::Role;

constexpr std::int64_t kConnectedWithinMs = kDayMs;
constexpr int kDefaultDays = 30;
constexpr int kMaxDays = 90;
constexpr std::size_t kRankRows = 10;
constexpr int kMaxPages = 100;

double round6(double x) { return std::round(x * 1e6) / 1e6; }

std::int64_t today_ms() {
  std::int64_t now = now_ms();
  return now - now % kDayMs;
}

Result<int> days_param(const http::Request& req) {
  auto v = req.query_param("days");
  if (!v) return kDefaultDays;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > kMaxDays)
    return std::unexpected(api::invalid("days", "must be an integer from 1 to 90").error());
  return n;
}

// Sums of a set of EnterpriseDay rows (one day of many enterprises, or many days of one).
struct Sum {
  double kwh = 0, gas = 0, steam = 0, water = 0, co2 = 0, tce = 0, output = 0;
  double run_h = 0, observed_h = 0;  // processing machines: Σ running and observed hours
  int machines = 0, running = 0, alarms = 0;
  void add(const EnterpriseDay& d) {
    kwh += d.electricity_kwh;
    gas += d.gas_m3;
    steam += d.steam_t;
    water += d.water_m3;
    co2 += d.co2_t;
    tce += d.tce;
    output += d.output;
    run_h += d.operating_rate * d.observed_machine_h;
    observed_h += d.observed_machine_h;
    machines += d.machines;
    running += d.machines_running;
    alarms += d.alarms_raised;
  }
  // Time-weighted operating rate of all the machines summed; null without state data.
  json::value rate() const { return observed_h > 0 ? json::value(round6(run_h / observed_h)) : json::value(nullptr); }
  json::object to_json() const {
    return {{"electricityKwh", round6(kwh)}, {"gasM3", round6(gas)}, {"steamT", round6(steam)},
            {"waterM3", round6(water)}, {"co2T", round6(co2)}, {"tce", round6(tce)}, {"output", round6(output)},
            {"operatingRate", rate()}, {"alarmsRaised", alarms}};
  }
};

json::array trend_of(const std::vector<EnterpriseDay>& rows, std::int64_t from, int days) {
  std::vector<Sum> per(static_cast<std::size_t>(days));
  for (const auto& d : rows) per[static_cast<std::size_t>((d.day_ms - from) / kDayMs)].add(d);
  json::array out;
  for (int i = 0; i < days; ++i) {
    auto o = per[static_cast<std::size_t>(i)].to_json();
    const std::int64_t day = from + i * kDayMs;
    o["day"] = metering::day_name(day);
    o["dayMs"] = day;
    o["machines"] = per[static_cast<std::size_t>(i)].machines;
    o["machinesRunning"] = per[static_cast<std::size_t>(i)].running;
    out.push_back(std::move(o));
  }
  return out;
}

json::object severity_counts(const meta::AlarmCounts& c) {
  json::object o;
  for (auto s : {model::AlarmSeverity::kCritical, model::AlarmSeverity::kMajor, model::AlarmSeverity::kMinor,
                 model::AlarmSeverity::kWarning})
    o[model::alarm_severity_name(s)] = c.by_severity[static_cast<int>(s)];
  return o;
}

Result<meta::AlarmCounts> active_alarms(api::ApiContext& ctx, const meta::Scope& scope, std::string park,
                                        std::string enterprise) {
  meta::AlarmFilter f;
  f.statuses = {model::AlarmStatus::kActive, model::AlarmStatus::kAcknowledged};
  f.park_id = std::move(park);
  f.enterprise_id = std::move(enterprise);
  return ctx.store.count_alarms(scope, f);
}

struct DeviceCounts {
  int total = 0, connected = 0, online = 0;
  json::object by_category{{"running", 0}, {"processing", 0}, {"mobile", 0}, {"other", 0}};
};

Result<DeviceCounts> device_counts(api::ApiContext& ctx, const meta::Scope& scope, const std::string& enterprise) {
  meta::DeviceFilter f;
  f.enterprise_id = enterprise;
  auto list = KAIWU_TRY(all_pages<model::Device>([&](const meta::Page& p) { return ctx.store.list_devices(scope, f, p); }, kMaxPages));
  DeviceCounts c;
  const std::int64_t now = now_ms();
  for (const auto& d : list) {
    ++c.total;
    auto& n = c.by_category[model::category_name(d.category)];
    n = n.as_int64() + 1;
    if (d.last_seen_ms && now - d.last_seen_ms < kConnectedWithinMs) ++c.connected;
    if (ctx.devices && ctx.devices->is_online(d.id)) ++c.online;
  }
  return c;
}

// Subscriptions per enterprise of one tenant (empty without the APP platform).
Result<std::map<std::string, std::vector<apps::Subscription>>> subscriptions(api::ApiContext& ctx,
                                                                             const std::string& tenant) {
  std::map<std::string, std::vector<apps::Subscription>> out;
  if (!ctx.marketplace) return out;
  for (auto& s : KAIWU_TRY(ctx.marketplace->store().list_subscriptions("", tenant)))
    out[s.enterprise_id].push_back(std::move(s));
  return out;
}

json::array ranking(std::vector<json::object> rows, const char* field) {
  std::erase_if(rows, [field](const json::object& o) { return o.at(field).is_null(); });
  std::stable_sort(rows.begin(), rows.end(), [field](const json::object& a, const json::object& b) {
    return a.at(field).to_number<double>() > b.at(field).to_number<double>();
  });
  json::array out;
  for (std::size_t i = 0; i < rows.size() && i < kRankRows; ++i)
    out.push_back(json::object{{"rank", i + 1}, {"enterpriseId", rows[i].at("id")}, {"name", rows[i].at("name")},
                               {"industry", rows[i].at("industry")}, {"value", rows[i].at(field)}});
  return out;
}

Result<http::Response> dashboard(api::ApiContext& ctx, ParkMetrics& metrics, http::Request& req) {
  const int days = KAIWU_TRY(days_param(req));
  auto scope = api::request_scope(req);
  auto park = KAIWU_TRY(ctx.store.get_park(scope, std::string(req.param("parkId"))));  // 404 outside
  meta::EnterpriseFilter ef;
  ef.park_id = park.id;
  auto enterprises = KAIWU_TRY(all_pages<model::Enterprise>(
      [&](const meta::Page& p) { return ctx.store.list_enterprises(scope, ef, p); }, kMaxPages));
  std::vector<std::string> ids;
  for (const auto& e : enterprises) ids.push_back(e.id);
  const std::int64_t to = today_ms(), from = to - (days - 1) * kDayMs;
  auto rows = KAIWU_TRY(metrics.days(scope, ids, from, to));
  auto subs = KAIWU_TRY(subscriptions(ctx, park.tenant_id));
  Sum total;
  std::map<std::string, Sum> per_enterprise, today_of;
  for (const auto& d : rows) {
    total.add(d);
    per_enterprise[d.enterprise_id].add(d);
    if (d.day_ms == to) today_of[d.enterprise_id].add(d);
  }
  json::array list;
  std::vector<json::object> rank_rows;
  DeviceCounts park_devices;
  for (const auto& e : enterprises) {
    auto dc = KAIWU_TRY(device_counts(ctx, scope, e.id));
    park_devices.total += dc.total;
    park_devices.connected += dc.connected;
    park_devices.online += dc.online;
    auto alarms = KAIWU_TRY(active_alarms(ctx, scope, "", e.id));
    auto o = per_enterprise[e.id].to_json();
    o["id"] = e.id;
    o["name"] = e.name;
    o["industry"] = e.industry;
    o["sme"] = e.sme;
    o["longitude"] = e.longitude ? json::value(*e.longitude) : json::value(nullptr);
    o["latitude"] = e.latitude ? json::value(*e.latitude) : json::value(nullptr);
    o["devices"] = dc.total;
    o["devicesConnected"] = dc.connected;
    o["devicesOnline"] = dc.online;
    o["connectedShare"] = dc.total ? json::value(round6(double(dc.connected) / dc.total)) : json::value(nullptr);
    o["subscribedApps"] = subs[e.id].size();
    o["alarmsActive"] = alarms.total;
    o["operatingRateToday"] = today_of[e.id].rate();
    o["co2PerOutputKg"] = per_enterprise[e.id].output > 0
                              ? json::value(round6(per_enterprise[e.id].co2 * 1000 / per_enterprise[e.id].output))
                              : json::value(nullptr);
    rank_rows.push_back(o);
    list.push_back(std::move(o));
  }
  auto park_alarms = KAIWU_TRY(active_alarms(ctx, scope, park.id, ""));
  auto totals = total.to_json();
  totals["enterprises"] = enterprises.size();
  totals["devices"] = park_devices.total;
  totals["devicesConnected"] = park_devices.connected;
  totals["devicesOnline"] = park_devices.online;
  json::object out{
      {"park", api::to_json(park)},
      {"from", metering::day_name(from)},
      {"to", metering::day_name(to)},
      {"days", days},
      {"generatedMs", now_ms()},
      {"totals", std::move(totals)},
      {"alarmsActive", json::object{{"total", park_alarms.total}, {"bySeverity", severity_counts(park_alarms)}}},
      {"trend", trend_of(rows, from, days)},
      {"enterprises", std::move(list)},
      {"rankings", json::object{{"electricityKwh", ranking(rank_rows, "electricityKwh")},
                                {"co2T", ranking(rank_rows, "co2T")},
                                {"operatingRate", ranking(rank_rows, "operatingRate")},
                                {"output", ranking(rank_rows, "output")},
                                {"alarmsActive", ranking(rank_rows, "alarmsActive")}}},
      {"factors", json::object{{"co2KgPerKwh", kCo2KgPerKwh}, {"co2KgPerGasM3", kCo2KgPerGasM3},
                               {"kgcePerKwh", kKgcePerKwh}, {"kgcePerGasM3", kKgcePerGasM3}}}};
  return api::json_response(200, out);
}

// A tag of the profile with the rule that set it (shown to the user next to the tag).
struct TagRule {
  const char* code;
  const char* zh;
  const char* en;
  const char* rule_zh;
  const char* rule_en;
};
constexpr TagRule kEnergyIntensive{"energy_intensive", "高耗能", "Energy-intensive",
                                   "综合能耗（折标煤）按所选期间年化 ≥ 1000 tce/年", "energy use annualised over the period ≥ 1000 tce/year"};
constexpr TagRule kBusy{"high_utilisation", "开工饱满", "Fully utilised",
                        "加工设备期间开工率（按时间加权）≥ 80%", "time-weighted operating rate of processing machines ≥ 80 %"};
constexpr TagRule kIdle{"low_utilisation", "开工不足", "Under-utilised",
                        "加工设备期间开工率（按时间加权）< 50%", "time-weighted operating rate of processing machines < 50 %"};
constexpr TagRule kDigital{"digital_leader", "数字化标杆", "Digital leader",
                           "设备 24 小时内接入率 ≥ 80% 且订阅工业 APP ≥ 3 个", "≥ 80 % of devices connected within 24 h and ≥ 3 APPs subscribed"};
constexpr TagRule kAlarmProne{"alarm_prone", "告警频发", "Alarm-prone",
                              "期间新告警数 ≥ 天数 / 3（平均每 3 天至少 1 条）", "alarms raised in the period ≥ days / 3"};
constexpr TagRule kSme{"sme", "中小企业", "SME", "企业登记为中小企业", "registered as an SME"};
constexpr TagRule kNoEnergyData{"no_energy_data", "能耗未接入", "No energy data",
                                "期间无电、气、汽、水计量数据", "no electricity, gas, steam or water readings in the period"};

json::object tag(const TagRule& t, json::value value) {
  return {{"code", t.code}, {"zh", t.zh}, {"en", t.en}, {"ruleZh", t.rule_zh}, {"ruleEn", t.rule_en},
          {"value", std::move(value)}};
}

json::array tags_of(const model::Enterprise& e, const Sum& s, int days, const DeviceCounts& dc, std::size_t apps) {
  json::array out;
  const double annual_tce = s.tce * 365.0 / days;
  if (annual_tce >= 1000) out.push_back(tag(kEnergyIntensive, round6(annual_tce)));
  if (s.observed_h > 0) {
    const double rate = s.run_h / s.observed_h;
    if (rate >= 0.8) out.push_back(tag(kBusy, round6(rate)));
    if (rate < 0.5) out.push_back(tag(kIdle, round6(rate)));
  }
  if (dc.total > 0 && double(dc.connected) / dc.total >= 0.8 && apps >= 3)
    out.push_back(tag(kDigital, round6(double(dc.connected) / dc.total)));
  if (s.alarms * 3 >= days && s.alarms > 0) out.push_back(tag(kAlarmProne, s.alarms));
  if (e.sme) out.push_back(tag(kSme, true));
  if (s.kwh == 0 && s.gas == 0 && s.steam == 0 && s.water == 0) out.push_back(tag(kNoEnergyData, nullptr));
  return out;
}

json::array apps_of(api::ApiContext& ctx, const std::vector<apps::Subscription>& subs) {
  json::array out;
  for (const auto& s : subs) {
    json::object o{{"appId", s.app_id}, {"plan", s.plan_id}, {"calls", s.calls}, {"since", s.created_ms},
                   {"nameZh", s.app_id}, {"nameEn", s.app_id}, {"domain", nullptr}};
    if (auto pkg = ctx.marketplace->load_listed(s.app_id)) {
      o["nameZh"] = pkg->manifest.name_zh;
      o["nameEn"] = pkg->manifest.name_en;
      o["domain"] = apps::domain_name(pkg->manifest.domain);
    }
    out.push_back(std::move(o));
  }
  return out;
}

Result<http::Response> profile(api::ApiContext& ctx, ParkMetrics& metrics, http::Request& req) {
  const int days = KAIWU_TRY(days_param(req));
  auto scope = api::request_scope(req);
  auto e = KAIWU_TRY(ctx.store.get_enterprise(scope, std::string(req.param("id"))));  // 404 outside
  const std::int64_t to = today_ms(), from = to - (days - 1) * kDayMs;
  auto rows = KAIWU_TRY(metrics.days(scope, {e.id}, from, to));
  Sum total;
  for (const auto& d : rows) total.add(d);
  auto dc = KAIWU_TRY(device_counts(ctx, scope, e.id));
  auto subs = KAIWU_TRY(subscriptions(ctx, e.tenant_id));
  const auto& mine = subs[e.id];
  json::value calls_month = nullptr;
  if (ctx.usage) {
    auto month = KAIWU_TRY(metering::month_range(metering::day_name(to).substr(0, 7)));
    auto summary = KAIWU_TRY(ctx.usage->summary(e.tenant_id, month));
    std::int64_t n = 0;
    for (const auto& [id, count] : summary.calls_by_enterprise)
      if (id == e.id) n += count;
    calls_month = n;
  }
  auto alarms = KAIWU_TRY(active_alarms(ctx, scope, "", e.id));
  json::value park = nullptr;
  if (!e.park_id.empty())
    if (auto p = ctx.store.get_park(scope, e.park_id)) park = json::object{{"id", p->id}, {"name", p->name}};
  auto totals = total.to_json();
  totals["annualisedTce"] = round6(total.tce * 365.0 / days);
  json::object out{
      {"enterprise", api::to_json(e)},
      {"park", std::move(park)},
      {"from", metering::day_name(from)},
      {"to", metering::day_name(to)},
      {"days", days},
      {"scale", json::object{{"sme", e.sme}, {"devices", dc.total}}},
      {"devices", json::object{{"total", dc.total}, {"connected", dc.connected}, {"online", dc.online},
                               {"byCategory", dc.by_category}}},
      {"totals", std::move(totals)},
      {"trend", trend_of(rows, from, days)},
      {"apps", ctx.marketplace ? apps_of(ctx, mine) : json::array()},
      {"appCallsThisMonth", calls_month},
      {"alarmsActive", json::object{{"total", alarms.total}, {"bySeverity", severity_counts(alarms)}}},
      {"tags", tags_of(e, total, days, dc, mine.size())}};
  return api::json_response(200, out);
}

}  // namespace

void register_park_analytics_routes(http::Router& r, api::ApiContext& ctx, ParkMetrics& metrics) {
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/parks/{parkId}/dashboard",
         .summary = "Park dashboard: energy, carbon, operating rate, output, alarms and digitalisation of its "
                    "enterprises (daily trends, rankings)",
         .tag = "parks", .access = http::Access::only({Role::kPlatformAdmin, Role::kTenantAdmin, Role::kParkAdmin}),
         .query = {{"days", "integer", "days up to today (UTC), 1..90, default 30"},
                   {"tenantId", "string", "platform admins: the park's tenant"}},
         .response_schema = json::object{{"type", "object"}},
         .handler = [&ctx, &metrics](http::Request& req) { return dashboard(ctx, metrics, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/enterprises/{id}/profile",
         .summary = "Enterprise profile (企业画像): industry, scale, devices, energy and carbon trend, operating "
                    "rate, APPs used, alarms, derived tags",
         .tag = "enterprises", .access = http::Access::signed_in(),
         .query = {{"days", "integer", "days up to today (UTC), 1..90, default 30"},
                   {"tenantId", "string", "platform admins: the enterprise's tenant"}},
         .response_schema = json::object{{"type", "object"}},
         .handler = [&ctx, &metrics](http::Request& req) { return profile(ctx, metrics, req); }});
}

}  // namespace kaiwu::report
