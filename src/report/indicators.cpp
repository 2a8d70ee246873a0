#include "report/indicators.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "apps/manifest.hpp"
#include "apps/store.hpp"
#include "core/ids.hpp"
#include "meta/developer_store.hpp"
#include "meta/model_store.hpp"
#include "metering/usage.hpp"
#include "model/entities.hpp"
#include "models/manifest.hpp"
#include "report/solutions.hpp"

namespace kaiwu::report {
namespace json = boost::json;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::size_t kPageSize = 1000;

// Protocols a device can reach the platform through today, each with a decoder, broker or driver
// in src/ (mqtt/, api/ device API and line protocol, drivers/{modbus,opcua,dlt645,hj212}).
constexpr std::string_view kImplementedProtocols[] = {"mqtt",  "http",   "influx", "modbus-tcp",
                                                      "modbus-rtu", "opcua", "dlt645", "hj212"};
// Industries of the form that are not industry in the statistical sense (工业: mining,
// manufacturing, electricity/heat/gas/water supply).
constexpr std::string_view kNonIndustrial[] = {"建筑业", "农业", "服务业"};

constexpr std::string_view kDomainEn[] = {
    "Safety production", "Energy saving and emission reduction", "Quality control",
    "Supply chain management", "R&D and design", "Production and manufacturing",
    "Operations management", "Warehousing and logistics", "Operation and maintenance services"};

struct Figure {
  std::string_view id, name_zh, name_en, unit;
  json::value value;
  std::string_view definition_zh, definition_en;
  std::string query;
  json::object labels = {};
  bool documentary = false;
};

json::object figure_json(Figure f) {
  json::object o{{"id", f.id},           {"nameZh", f.name_zh}, {"nameEn", f.name_en},
                 {"unit", f.unit},       {"value", f.documentary ? json::value(nullptr) : std::move(f.value)},
                 {"definitionZh", f.definition_zh}, {"definitionEn", f.definition_en},
                 {"query", f.query},     {"source", f.documentary ? "documentary" : "live"}};
  if (!f.labels.empty()) o["labels"] = std::move(f.labels);
  return o;
}

json::object indicator(std::string_view id, std::string_view zh, std::string_view en, std::vector<Figure> figs) {
  json::array out;
  for (auto& f : figs) out.push_back(figure_json(std::move(f)));
  return json::object{{"id", id}, {"nameZh", zh}, {"nameEn", en}, {"figures", std::move(out)}};
}

json::object label(std::string_view zh, std::string_view en) { return json::object{{"zh", zh}, {"en", en}}; }

// "WHERE tenant_id = '<t>'" for a tenant scope, "" for the platform: the query text shown.
std::string where_tenant(const meta::Scope& s, std::string_view column = "tenant_id", bool and_ = false) {
  if (s.is_platform()) return "";
  return fmt::format(" {} {} = '{}'", and_ ? "AND" : "WHERE", column, s.tenant_id);
}

template <typename T, typename List, typename Visit>
Status for_each_page(List&& list, Visit&& visit) {
  meta::Page page;
  page.limit = kPageSize;
  while (true) {
    meta::PageOf<T> batch = KAIWU_TRY(list(page));
    for (const auto& item : batch.items) visit(item);
    if (batch.next.empty() || batch.items.empty()) return ok();
    page.cursor = batch.next;
  }
}

void bump(json::object& o, std::string_view key, std::int64_t by = 1) {
  auto& v = o[key];
  v = (v.is_int64() ? v.as_int64() : 0) + by;
}

struct Context {
  const IndicatorSources& src;
  const meta::Scope& scope;
  std::string tenant;  // "" = platform
  std::int64_t day_ms = 0;
  metering::TimeRange day{}, month{};
  std::string month_name;
  std::optional<metering::Summary> usage_month;  // set when src.usage
};

// ---- 1.1 devices and protocols --------------------------------------------------------------

Result<std::vector<json::object>> device_indicators(Context& c) {
  json::object by_category{{"running", 0}, {"processing", 0}, {"mobile", 0}, {"other", 0}};
  json::object by_protocol;
  for (auto p : kImplementedProtocols) by_protocol[p] = 0;
  std::int64_t total = 0, connected = 0;
  KAIWU_TRY_STATUS(for_each_page<model::Device>(
      [&](const meta::Page& p) { return c.src.store.list_devices(c.scope, meta::DeviceFilter{}, p); },
      [&](const model::Device& d) {
        ++total;
        bump(by_category, model::category_name(d.category));
        if (by_protocol.contains(d.protocol)) bump(by_protocol, d.protocol);
        if (d.last_seen_ms > 0) ++connected;
      }));
  json::value daily_active = nullptr;
  if (c.src.usage) {
    auto rows = KAIWU_TRY(c.src.usage->daily(c.tenant, c.day, ""));
    daily_active = static_cast<std::int64_t>(
        std::count_if(rows.begin(), rows.end(), [](const auto& r) { return r.kind == metering::Kind::kDeviceActive; }));
  }
  json::object category_labels;
  for (auto cat : {model::Category::kRunning, model::Category::kProcessing, model::Category::kMobile,
                   model::Category::kOther}) {
    static constexpr std::string_view kEn[] = {"Running equipment", "Processing equipment", "Mobile equipment", "Other"};
    category_labels[model::category_name(cat)] =
        label(model::category_label_zh(cat), kEn[static_cast<std::size_t>(cat)]);
  }
  const auto wt = where_tenant(c.scope);
  std::vector<Figure> figs;
  figs.push_back({"devices.total", "工业设备接入数量", "Industrial devices", "台/套", total,
                  "平台设备台账中登记的全部设备（含网关及网关下设备）。",
                  "Every device registered in the platform's device registry (gateways and devices behind them included).",
                  "SELECT count(*) FROM devices" + wt});
  figs.push_back({"devices.byCategory", "按设备类型", "By device kind", "台/套", std::move(by_category),
                  "按申报书的四类统计：运行设备、加工设备、行走设备、其它（设备的 category 字段）。",
                  "Devices by the form's four kinds: running, processing, mobile, other (the device's category).",
                  "SELECT category, count(*) FROM devices" + wt + " GROUP BY category", std::move(category_labels)});
  figs.push_back({"devices.connected", "已连接设备数量", "Connected devices", "台/套", connected,
                  "至少向平台上报过一次数据或上线过一次的设备（last_seen_ms > 0）。",
                  "Devices that have connected or sent data to the platform at least once (last_seen_ms > 0).",
                  "SELECT count(*) FROM devices WHERE last_seen_ms > 0" + where_tenant(c.scope, "tenant_id", true)});
  figs.push_back({"devices.dailyActive", "日活设备数量", "Daily-active devices", "台/套", std::move(daily_active),
                  "统计日（UTC）内平台接收过其遥测数据的不同设备数（MQTT、HTTP 设备接口、行协议写入；每台设备每天记一次 device_active 计量记录）。",
                  "Distinct devices whose telemetry the platform accepted on the as-of UTC day (MQTT, HTTP device API, "
                  "line protocol; one device_active metering record per device and day).",
                  fmt::format("SELECT count(DISTINCT subject_id) FROM usage WHERE kind = 'device_active' AND ts_ms >= {} "
                              "AND ts_ms < {}{}",
                              c.day.from_ms, c.day.to_ms, where_tenant(c.scope, "tenant_id", true))});
  std::vector<json::object> out;
  out.push_back(indicator("1.1", "工业设备数量", "Industrial devices", std::move(figs)));
  std::vector<Figure> proto;
  proto.push_back({"protocols.count", "支持的工业协议数量", "Industrial protocols supported", "种",
                   static_cast<std::int64_t>(std::size(kImplementedProtocols)),
                   "设备可直接接入平台的协议数：源代码中有解码器、代理或驱动的协议（MQTT、HTTP、InfluxDB 行协议、Modbus TCP/RTU、OPC UA、DL/T 645、HJ 212）。",
                   "Protocols a device can connect through, each with a decoder, broker or driver in the source tree "
                   "(MQTT, HTTP, Influx line protocol, Modbus TCP/RTU, OPC UA, DL/T 645, HJ 212).",
                   "count of the protocols implemented in src/mqtt, src/api (device API, line protocol), src/drivers"});
  proto.push_back({"protocols.list", "各协议接入设备数", "Devices per protocol", "台/套", std::move(by_protocol),
                   "每种已实现协议下登记的设备数（设备的 protocol 字段）。",
                   "Devices registered with each implemented protocol (the device's protocol).",
                   "SELECT protocol, count(*) FROM devices" + wt + " GROUP BY protocol"});
  // Protocols share 1.1 with the devices: the form asks for both under 工业设备数量.
  auto& figures = out[0]["figures"].as_array();
  for (auto& f : proto) figures.push_back(figure_json(std::move(f)));
  return out;
}

// ---- 1.2 models -------------------------------------------------------------------------------

Result<json::object> model_indicator(Context& c) {
  json::value total = nullptr, by_type = nullptr;
  json::object labels;
  for (auto t : models::kAllModelTypes) {
    static constexpr std::string_view kEn[] = {"R&D simulation", "Business process", "Industry mechanism",
                                               "Data algorithm"};
    labels[models::model_type_name(t)] = label(models::model_type_label_zh(t), kEn[static_cast<std::size_t>(t)]);
  }
  if (c.src.models) {
    meta::ModelQuery q;
    if (c.scope.is_platform()) q.all_tenants = true;
    else q.tenant_id = c.tenant;
    auto counts = KAIWU_TRY(c.src.models->count_models_by_type(q));
    json::object o;
    std::int64_t n = 0;
    for (const auto& [type, count] : counts) {
      o[type] = count;
      n += count;
    }
    total = n;
    by_type = std::move(o);
  }
  const std::string scope_text =
      c.scope.is_platform() ? "" : fmt::format(" WHERE tenant_id = '{}' OR tenant_id IS NULL", c.tenant);
  std::vector<Figure> figs;
  figs.push_back({"models.total", "工业模型数量", "Industrial models", "个", std::move(total),
                  "模型目录中的模型（按模型计，不按版本计；不含已弃用模型）。租户视角：该租户自有模型和平台公共模型。",
                  "Models of the catalogue (models, not versions; deprecated ones left out). For a tenant: its own "
                  "models and the platform's public ones.",
                  "SELECT count(DISTINCT (tenant_id, id)) FROM models" + scope_text});
  figs.push_back({"models.byType", "按模型类型", "By model type", "个", std::move(by_type),
                  "按申报书的四类统计：研发仿真、业务流程、行业机理、数据算法（以最新版本的类型为准）。",
                  "Models by the form's four types: R&D simulation, business process, industry mechanism, data "
                  "algorithm (the type of the latest version).",
                  "SELECT type, count(*) FROM (latest version of each model" + scope_text + ") GROUP BY type",
                  std::move(labels)});
  return indicator("1.2", "工业模型数量", "Industrial models", std::move(figs));
}

// ---- 1.3 APPs and 2.3 killer APPs -------------------------------------------------------------

struct AppFacts {
  std::string id, name_zh, name_en;
  apps::Domain domain = apps::Domain::kOperations;
  apps::Origin origin = apps::Origin::kSelfBuilt;
  apps::Form form = apps::Form::kBuiltOnPlatform;
  bool cross_platform = false;           // an http trigger: invocable from other platforms
  std::map<std::string, double> plans;   // per_call plan id → price (CNY per call)
  std::map<std::string, double> monthly; // monthly plan id → price (CNY per month)
  std::int64_t subscribers = 0;
  std::vector<apps::Subscription> subscriptions;  // in scope
};

Result<std::vector<AppFacts>> app_facts(Context& c) {
  auto listed = KAIWU_TRY(c.src.apps->list_apps(true));
  auto subs = KAIWU_TRY(c.src.apps->list_subscriptions("", c.tenant));
  std::vector<AppFacts> out;
  for (const auto& a : listed) {
    AppFacts f;
    f.id = a.id;
    for (const auto& s : subs)
      if (s.app_id == a.id) f.subscriptions.push_back(s);
    f.subscribers = static_cast<std::int64_t>(f.subscriptions.size());
    if (!c.scope.is_platform() && f.subscribers == 0) continue;  // a tenant counts the APPs it uses
    auto version = KAIWU_TRY(c.src.apps->get_version(a.id, a.listed_version));
    auto m = apps::parse_manifest(version.manifest_text);
    if (!m) continue;  // a listed version always parsed at upload; skip one that no longer does
    f.name_zh = m->name_zh;
    f.name_en = m->name_en;
    f.domain = m->domain;
    f.origin = m->origin;
    f.form = m->form;
    for (const auto& t : m->triggers)
      if (t.type == apps::TriggerType::kHttp) f.cross_platform = true;
    for (const auto& p : m->plans) {
      if (p.type == apps::PlanType::kPerCall) f.plans[p.id] = p.price;
      if (p.type == apps::PlanType::kMonthly) f.monthly[p.id] = p.price;
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::int64_t fen(double cny) { return static_cast<std::int64_t>(std::llround(cny * 100)); }

// Revenue of each APP in the month, in fen: monthly fees of subscriptions on monthly plans that
// existed before the month ended, plus successful calls × the per-call price when a subscriber
// in scope is on a per-call plan.
Result<std::map<std::string, std::int64_t>> app_revenue(Context& c, const std::vector<AppFacts>& facts) {
  std::map<std::string, std::int64_t> out;
  std::map<std::string, std::int64_t> per_call_price;
  for (const auto& f : facts) {
    auto& r = out[f.id];
    for (const auto& s : f.subscriptions) {
      if (auto m = f.monthly.find(s.plan_id); m != f.monthly.end() && s.created_ms < c.month.to_ms) r += fen(m->second);
      if (auto p = f.plans.find(s.plan_id); p != f.plans.end()) per_call_price[f.id] = fen(p->second);
    }
  }
  if (c.src.usage && !per_call_price.empty()) {
    auto rows = KAIWU_TRY(c.src.usage->per_call_revenue(
        c.tenant, c.month, [&](const std::string& subject) -> std::optional<std::int64_t> {
          auto it = per_call_price.find(subject);
          if (it == per_call_price.end()) return std::nullopt;
          return it->second;
        }));
    for (const auto& r : rows) out[r.subject_id] += r.revenue_minor;
  }
  return out;
}

Result<std::vector<json::object>> app_indicators(Context& c, std::int64_t& revenue_total, bool& revenue_known) {
  json::value total = nullptr, by_domain = nullptr, self_built = nullptr, partner = nullptr, built = nullptr,
              cloudified = nullptr, monthly_active = nullptr, top5 = nullptr;
  json::object domain_labels;
  for (std::size_t i = 0; i < std::size(kDomainEn); ++i) {
    auto d = static_cast<apps::Domain>(i);
    domain_labels[apps::domain_name(d)] = label(apps::domain_label_zh(d), kDomainEn[i]);
  }
  if (c.usage_month) monthly_active = c.usage_month->active_apps;
  if (c.src.apps) {
    auto facts = KAIWU_TRY(app_facts(c));
    json::object domains;
    for (std::size_t i = 0; i < std::size(kDomainEn); ++i) domains[apps::domain_name(static_cast<apps::Domain>(i))] = 0;
    std::int64_t n_self = 0, n_partner = 0, n_built = 0, n_cloud = 0;
    for (const auto& f : facts) {
      bump(domains, apps::domain_name(f.domain));
      (f.origin == apps::Origin::kSelfBuilt ? n_self : n_partner) += 1;
      (f.form == apps::Form::kBuiltOnPlatform ? n_built : n_cloud) += 1;
    }
    total = static_cast<std::int64_t>(facts.size());
    by_domain = std::move(domains);
    self_built = n_self;
    partner = n_partner;
    built = n_built;
    cloudified = n_cloud;
    auto revenue = KAIWU_TRY(app_revenue(c, facts));
    revenue_known = true;
    for (const auto& [id, r] : revenue) revenue_total += r;
    std::map<std::string, std::int64_t> daily_calls;
    if (c.src.usage) {
      for (const auto& r : KAIWU_TRY(c.src.usage->daily(c.tenant, c.day, "")))
        if (r.kind == metering::Kind::kAppCall) daily_calls[r.subject_id] += r.count;
    }
    std::vector<const AppFacts*> ranked;
    for (const auto& f : facts) ranked.push_back(&f);
    std::sort(ranked.begin(), ranked.end(), [&](const AppFacts* a, const AppFacts* b) {
      if (a->subscribers != b->subscribers) return a->subscribers > b->subscribers;
      if (daily_calls[a->id] != daily_calls[b->id]) return daily_calls[a->id] > daily_calls[b->id];
      return a->id < b->id;
    });
    json::array rows;
    for (std::size_t i = 0; i < ranked.size() && i < 5; ++i) {
      const auto& f = *ranked[i];
      rows.push_back(json::object{{"appId", f.id},
                                  {"nameZh", f.name_zh},
                                  {"nameEn", f.name_en},
                                  {"domain", apps::domain_name(f.domain)},
                                  {"subscribers", f.subscribers},
                                  {"dailyCalls", c.src.usage ? json::value(daily_calls[f.id]) : json::value(nullptr)},
                                  {"monthlyRevenueMinor", revenue[f.id]},
                                  {"crossPlatformInvocation", f.cross_platform}});
    }
    top5 = std::move(rows);
  }
  const std::string app_set = c.scope.is_platform()
                                  ? "apps WHERE listed_version != ''"
                                  : fmt::format("apps WHERE listed_version != '' AND id IN (SELECT app_id FROM "
                                                "app_subscriptions WHERE tenant_id = '{}')",
                                                c.tenant);
  const std::string manifest_of = "manifest of the listed version (app_versions.manifest)";
  std::vector<Figure> figs;
  figs.push_back({"apps.total", "工业APP数量", "Industrial APPs", "个", std::move(total),
                  "APP 市场中已上架（有审核通过的版本）的 APP。租户视角：该租户企业订阅的已上架 APP。",
                  "APPs listed in the marketplace (an approved version). For a tenant: the listed APPs its "
                  "enterprises subscribe to.",
                  "SELECT count(*) FROM " + app_set});
  figs.push_back({"apps.byDomain", "按应用领域", "By domain", "个", std::move(by_domain),
                  "按申报书的 9 个领域统计（清单 manifest 的 domain 字段）。",
                  "Listed APPs by the form's nine domains (the manifest's domain).",
                  "SELECT domain, count(*) FROM " + app_set + " GROUP BY domain of the " + manifest_of,
                  std::move(domain_labels)});
  figs.push_back({"apps.selfBuilt", "自主开发APP", "Self-built APPs", "个", std::move(self_built),
                  "清单 origin 为 self_built 的已上架 APP。", "Listed APPs whose manifest origin is self_built.",
                  "SELECT count(*) FROM " + app_set + " AND origin = 'self_built' (" + manifest_of + ")"});
  figs.push_back({"apps.partner", "合作伙伴APP", "Partner APPs", "个", std::move(partner),
                  "清单 origin 为 partner 的已上架 APP（第三方开发者或合作伙伴发布）。",
                  "Listed APPs whose manifest origin is partner (published by third parties).",
                  "SELECT count(*) FROM " + app_set + " AND origin = 'partner' (" + manifest_of + ")"});
  figs.push_back({"apps.builtOnPlatform", "基于平台开发APP", "Built on the platform", "个", std::move(built),
                  "清单 form 为 built_on_platform 的已上架 APP。", "Listed APPs whose manifest form is built_on_platform.",
                  "SELECT count(*) FROM " + app_set + " AND form = 'built_on_platform' (" + manifest_of + ")"});
  figs.push_back({"apps.cloudified", "传统软件云化APP", "Cloudified legacy software", "个", std::move(cloudified),
                  "清单 form 为 cloudified_legacy 的已上架 APP。", "Listed APPs whose manifest form is cloudified_legacy.",
                  "SELECT count(*) FROM " + app_set + " AND form = 'cloudified_legacy' (" + manifest_of + ")"});
  figs.push_back({"apps.monthlyActive", "月活APP数量", "Monthly-active APPs", "个", std::move(monthly_active),
                  "统计月（UTC）内被访问或调用过的不同 APP 数（计量记录 app_visit / app_call）。",
                  "Distinct APPs visited or invoked in the as-of UTC month (metering records app_visit / app_call).",
                  fmt::format("SELECT count(DISTINCT subject_id) FROM usage WHERE kind IN ('app_visit', 'app_call') "
                              "AND ts_ms >= {} AND ts_ms < {}{}",
                              c.month.from_ms, c.month.to_ms, where_tenant(c.scope, "tenant_id", true))});
  std::vector<Figure> killer;
  killer.push_back({"killerApps.top5", "自研杀手锏APP（订阅数前5）", "Killer APPs (top 5 by subscribers)", "",
                    std::move(top5),
                    "订阅企业数最多的 5 个已上架 APP，含订阅数、统计日调用次数、统计月收入（分）和是否支持跨平台调用（有 HTTP 开放调用触发器）。",
                    "The five listed APPs with the most subscribing enterprises: subscribers, calls on the as-of day, "
                    "revenue of the month (fen) and cross-platform invocation (an http trigger: open invocation API).",
                    "SELECT app_id, count(*) FROM app_subscriptions" + where_tenant(c.scope) +
                        " GROUP BY app_id ORDER BY 2 DESC LIMIT 5; calls: usage kind 'app_call' of the day"});
  std::vector<json::object> out;
  out.push_back(indicator("1.3", "工业APP数量", "Industrial APPs", std::move(figs)));
  out.push_back(indicator("2.3", "自研杀手锏APP", "Self-developed killer APPs", std::move(killer)));
  return out;
}

// ---- 1.4 enterprises, 3.4 SMEs ----------------------------------------------------------------

struct EnterpriseCounts {
  std::int64_t total = 0, industrial = 0, paying = 0, sme = 0;
};

Result<EnterpriseCounts> count_enterprises(Context& c) {
  EnterpriseCounts n;
  KAIWU_TRY_STATUS(for_each_page<model::Enterprise>(
      [&](const meta::Page& p) { return c.src.store.list_enterprises(c.scope, meta::EnterpriseFilter{}, p); },
      [&](const model::Enterprise& e) {
        ++n.total;
        const bool non_industrial = std::find(std::begin(kNonIndustrial), std::end(kNonIndustrial),
                                              std::string_view(e.industry)) != std::end(kNonIndustrial);
        if (model::is_industry(e.industry) && !non_industrial) ++n.industrial;
        if (e.paid) ++n.paying;
        if (e.sme) ++n.sme;
      }));
  return n;
}

json::object enterprise_indicator(Context& c, const EnterpriseCounts& n) {
  const auto wt = where_tenant(c.scope);
  const auto and_t = where_tenant(c.scope, "tenant_id", true);
  std::vector<Figure> figs;
  figs.push_back({"enterprises.total", "服务企业数量", "Enterprises served", "家", n.total,
                  "平台上登记的企业。", "Enterprises registered on the platform.",
                  "SELECT count(*) FROM enterprises" + wt});
  figs.push_back({"enterprises.industrial", "服务工业企业数量", "Industrial enterprises", "家", n.industrial,
                  "行业为申报书 22 个行业之一、且不属于建筑业、农业、服务业的企业（统计意义上的工业：采矿、制造、电力热力燃气）。",
                  "Enterprises whose industry is one of the form's 22 other than construction, agriculture and "
                  "services (industry in the statistical sense: mining, manufacturing, utilities).",
                  "SELECT count(*) FROM enterprises WHERE industry != '' AND industry NOT IN ('建筑业', '农业', "
                  "'服务业')" + and_t});
  figs.push_back({"enterprises.paying", "付费企业数量", "Paying enterprises", "家", n.paying,
                  "标记为付费客户的企业（企业的 paid 标志）。", "Enterprises flagged as paying customers (paid).",
                  "SELECT count(*) FROM enterprises WHERE paid = 1" + and_t});
  return indicator("1.4", "服务工业企业数量", "Industrial enterprises served", std::move(figs));
}

json::object sme_indicator(Context& c, const EnterpriseCounts& n) {
  std::vector<Figure> figs;
  figs.push_back({"smes.total", "服务中小企业数量", "SMEs served", "家", n.sme,
                  "标记为中小企业的企业（企业的 sme 标志）。", "Enterprises flagged as SMEs (sme).",
                  "SELECT count(*) FROM enterprises WHERE sme = 1" + where_tenant(c.scope, "tenant_id", true)});
  figs.push_back({"smes.contractAmount", "中小企业服务合同额", "SME contract amount", "万元", nullptr,
                  "由运营方根据合同填写。", "Filled in by the operator from the contracts.", "documentary", {}, true});
  return indicator("3.4", "中小企业服务", "SME services", std::move(figs));
}

// ---- 1.5 developers ---------------------------------------------------------------------------

Result<json::object> developer_indicator(Context& c) {
  json::value registered = nullptr, active = nullptr;
  if (c.src.developers) {
    auto all = KAIWU_TRY(c.src.developers->list_verified_developers());
    registered = static_cast<std::int64_t>(std::count_if(
        all.begin(), all.end(), [&](const auto& d) { return c.scope.is_platform() || d.tenant_id == c.tenant; }));
  }
  if (c.usage_month) active = c.usage_month->active_developers;
  std::vector<Figure> figs;
  figs.push_back({"developers.registered", "注册开发者数量", "Registered developers", "人", std::move(registered),
                  "通过邮箱验证完成注册的第三方开发者账号。", "Third-party developer accounts that completed e-mail verification.",
                  "SELECT count(*) FROM developer_accounts WHERE verified = 1" + where_tenant(c.scope, "tenant_id", true)});
  figs.push_back({"developers.active", "活跃开发者数量", "Active developers", "人", std::move(active),
                  "统计月内既登录过、又使用过开发工具或环境（上传、校验、沙箱、日志、API 密钥）的开发者。",
                  "Developers who logged in AND used a portal tool or environment (upload, validate, sandbox, logs, "
                  "API key) in the as-of month.",
                  fmt::format("SELECT count(*) FROM (SELECT subject_id FROM usage WHERE kind = 'developer_login' AND "
                              "ts_ms >= {0} AND ts_ms < {1}{2} INTERSECT SELECT subject_id FROM usage WHERE kind = "
                              "'tool_call' AND ts_ms >= {0} AND ts_ms < {1}{2})",
                              c.month.from_ms, c.month.to_ms, where_tenant(c.scope, "tenant_id", true))});
  return indicator("1.5", "平台开发者数量", "Platform developers", std::move(figs));
}

// ---- 2.1 documentary ----------------------------------------------------------------------------

json::object technology_indicator() {
  std::vector<Figure> figs;
  figs.push_back({"tech.patents", "发明专利数量", "Invention patents", "件", nullptr, "由运营方填写。",
                  "Filled in by the operator.", "documentary", {}, true});
  figs.push_back({"tech.copyrights", "软件著作权数量", "Software copyrights", "件", nullptr, "由运营方填写。",
                  "Filled in by the operator.", "documentary", {}, true});
  return indicator("2.1", "技术创新能力", "Technical innovation", std::move(figs));
}

// ---- 3.1 solutions ------------------------------------------------------------------------------

Result<json::object> solution_indicator(Context& c) {
  json::value total = nullptr, industries = nullptr, domains = nullptr, techs = nullptr, cases = nullptr;
  json::object industry_labels, domain_labels, tech_labels;
  if (c.src.solutions) {
    auto all = KAIWU_TRY(c.src.solutions->list());
    json::object by_industry, by_domain, by_tech;
    std::int64_t n_cases = 0;
    for (const auto& s : all) {
      for (const auto& i : s.industries) bump(by_industry, i);
      for (const auto& d : s.domains) bump(by_domain, d);
      for (const auto& t : s.technologies) bump(by_tech, t);
      n_cases += s.cases;
    }
    for (const auto& [k, v] : by_industry) industry_labels[k] = label(k, k);
    for (const auto& [k, v] : by_domain)
      if (auto d = apps::parse_domain(k)) domain_labels[k] = label(apps::domain_label_zh(*d), kDomainEn[static_cast<std::size_t>(*d)]);
    for (const auto& [k, v] : by_tech) tech_labels[k] = label(technology_label_zh(k), technology_label_zh(k));
    total = static_cast<std::int64_t>(all.size());
    industries = std::move(by_industry);
    domains = std::move(by_domain);
    techs = std::move(by_tech);
    cases = n_cases;
  }
  std::vector<Figure> figs;
  figs.push_back({"solutions.total", "解决方案数量", "Solutions", "个", std::move(total),
                  "解决方案目录中的方案（行业 × 领域的 APP、模型和设备模板组合）。",
                  "Solutions of the catalogue (bundles of APPs, models and device profiles for industries × domains).",
                  "SELECT count(*) FROM solutions"});
  figs.push_back({"solutions.industries", "覆盖行业", "Industries covered", "个", std::move(industries),
                  "至少一个解决方案覆盖的申报书行业及各自的方案数；覆盖行业数即键的个数。",
                  "The form's industries covered by at least one solution, with the number of solutions each; the "
                  "number covered is the number of keys.",
                  "SELECT member, count(*) FROM solution_members WHERE kind = 'industry' GROUP BY member",
                  std::move(industry_labels)});
  figs.push_back({"solutions.domains", "覆盖领域", "Domains covered", "个", std::move(domains),
                  "至少一个解决方案覆盖的 APP 领域（9 个之中）及各自的方案数。",
                  "APP domains (of the nine) covered by at least one solution, with the number of solutions each.",
                  "SELECT member, count(*) FROM solution_members WHERE kind = 'domain' GROUP BY member",
                  std::move(domain_labels)});
  figs.push_back({"solutions.technologies", "融合新技术", "New technologies used", "个", std::move(techs),
                  "解决方案所用的新一代信息技术（5G、大数据、人工智能、数字孪生、区块链、AR/VR）及方案数。",
                  "New IT the solutions use (5G, big data, AI, digital twin, blockchain, AR/VR), with solutions each.",
                  "SELECT member, count(*) FROM solution_members WHERE kind = 'technology' GROUP BY member",
                  std::move(tech_labels)});
  figs.push_back({"solutions.cases", "有效解决方案案例数", "Solution cases", "个", std::move(cases),
                  "各解决方案登记的有效应用案例数之和。", "Sum of the effective cases recorded for each solution.",
                  "SELECT sum(cases) FROM solutions"});
  return indicator("3.1", "解决方案供给", "Solution supply", std::move(figs));
}

// ---- 3.2 parks ----------------------------------------------------------------------------------

Result<json::object> park_indicator(Context& c) {
  json::object by_level{{"national", 0}, {"provincial", 0}, {"municipal", 0}, {"other", 0}};
  std::int64_t total = 0;
  KAIWU_TRY_STATUS(for_each_page<model::Park>(
      [&](const meta::Page& p) { return c.src.store.list_parks(c.scope, meta::ParkFilter{}, p); },
      [&](const model::Park& p) {
        ++total;
        bump(by_level, model::is_park_level(p.level) ? std::string_view(p.level) : std::string_view("other"));
      }));
  json::object labels{{"national", label("国家级示范园区", "National demonstration")},
                      {"provincial", label("省级示范园区", "Provincial demonstration")},
                      {"municipal", label("市级园区", "Municipal")},
                      {"other", label("其它", "Other")}};
  std::vector<Figure> figs;
  figs.push_back({"parks.total", "赋能园区数量", "Parks served", "个", total, "平台上登记的园区。",
                  "Parks registered on the platform.", "SELECT count(*) FROM parks" + where_tenant(c.scope)});
  figs.push_back({"parks.byLevel", "按园区级别", "By park level", "个", std::move(by_level),
                  "按园区级别（国家级、省级示范园区、市级、其它）统计。",
                  "Parks by level (national and provincial demonstration parks, municipal, other).",
                  "SELECT level, count(*) FROM parks" + where_tenant(c.scope) + " GROUP BY level", std::move(labels)});
  return indicator("3.2", "赋能园区", "Parks enabled", std::move(figs));
}

// ---- 3.3 and 5.1 --------------------------------------------------------------------------------

json::object cases_indicator() {
  std::vector<Figure> figs;
  figs.push_back({"cases.ministry", "部级、省级典型案例数", "Ministry and provincial cases", "个", nullptr,
                  "由运营方填写（入选部级、省级试点示范的案例）。", "Filled in by the operator (cases selected by "
                  "ministries and provinces).", "documentary", {}, true});
  return indicator("3.3", "赋能行业和领域", "Industries and domains enabled", std::move(figs));
}

json::object revenue_indicator(Context& c, json::value revenue) {
  std::vector<Figure> figs;
  figs.push_back({"revenue.month", "平台月收入（APP）", "Platform revenue of the month (APPs)", "分",
                  std::move(revenue),
                  "统计月的 APP 收入：按月计费订阅的月费，加上按次计费订阅的成功调用次数 × 单价（单位：分）。",
                  "APP revenue of the as-of month: monthly fees of subscriptions on monthly plans plus successful calls "
                  "× the per-call price for subscriptions on per-call plans (in fen).",
                  fmt::format("monthly plans: sum(price) over app_subscriptions{}; per-call: SELECT subject_id, "
                              "count(*) FROM usage WHERE kind IN ('app_call', 'model_call') AND ok = 1 AND ts_ms >= {} "
                              "AND ts_ms < {} GROUP BY subject_id, × price",
                              where_tenant(c.scope), c.month.from_ms, c.month.to_ms)});
  figs.push_back({"revenue.financing", "融资情况", "Financing", "万元", nullptr, "由运营方根据财务报表填写。",
                  "Filled in by the operator from the financial statements.", "documentary", {}, true});
  return indicator("5.1", "盈利和融资", "Revenue and financing", std::move(figs));
}

}  // namespace

Result<json::object> compute_indicators(const IndicatorSources& sources, const meta::Scope& scope,
                                        std::string_view as_of_day) {
  const auto day_ms = metering::day_start_ms(as_of_day);
  if (!day_ms) return fail(Errc::kInvalidArgument, "asOf: " + day_ms.error().message);
  Context c{sources, scope, scope.tenant_id};
  c.day_ms = *day_ms;
  c.day = {*day_ms, *day_ms + kDayMs};
  c.month_name = std::string(as_of_day.substr(0, 7));
  c.month = KAIWU_TRY(metering::month_range(c.month_name));
  if (sources.usage) c.usage_month = KAIWU_TRY(sources.usage->summary(c.tenant, c.month));

  json::array indicators;
  for (auto& o : KAIWU_TRY(device_indicators(c))) indicators.push_back(std::move(o));
  indicators.push_back(KAIWU_TRY(model_indicator(c)));
  std::int64_t revenue = 0;
  bool revenue_known = false;
  auto app_parts = KAIWU_TRY(app_indicators(c, revenue, revenue_known));
  indicators.push_back(std::move(app_parts[0]));
  const auto enterprises = KAIWU_TRY(count_enterprises(c));
  indicators.push_back(enterprise_indicator(c, enterprises));
  indicators.push_back(KAIWU_TRY(developer_indicator(c)));
  indicators.push_back(technology_indicator());
  indicators.push_back(std::move(app_parts[1]));
  indicators.push_back(KAIWU_TRY(solution_indicator(c)));
  indicators.push_back(KAIWU_TRY(park_indicator(c)));
  indicators.push_back(cases_indicator());
  indicators.push_back(sme_indicator(c, enterprises));
  indicators.push_back(revenue_indicator(c, revenue_known ? json::value(revenue) : json::value(nullptr)));
  return json::object{{"asOf", as_of_day},
                      {"month", c.month_name},
                      {"generatedMs", sources.now_ms ? sources.now_ms : now_ms()},
                      {"tenantId", scope.tenant_id},
                      {"indicators", std::move(indicators)}};
}

}  // namespace kaiwu::report
