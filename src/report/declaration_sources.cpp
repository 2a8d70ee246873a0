#include "report/declaration_sources.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>

#include "apps/manifest.hpp"
#include "apps/store.hpp"
#include "core/ids.hpp"
#include "meta/model_store.hpp"
#include "models/manifest.hpp"
#include "report/solutions.hpp"

namespace kaiwu::report {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

std::string day_of(std::int64_t ms) {
  if (ms <= 0) return "";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string time_of(std::int64_t ms) {
  if (ms <= 0) return "";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

int year_of(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

// Milliseconds of 1 January 00:00 UTC of a year.
std::int64_t year_start_ms(int year) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mday = 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Every page of a paged listing, at most kMaxAnnexRows items.
template <typename T, typename Fn>
Result<std::vector<T>> all_pages(Fn&& list) {
  std::vector<T> out;
  meta::Page page;
  page.limit = 1000;
  while (out.size() < kMaxAnnexRows) {
    auto p = KAIWU_TRY(list(page));
    for (auto& item : p.items) out.push_back(std::move(item));
    if (p.next.empty()) break;
    page.cursor = p.next;
  }
  if (out.size() > kMaxAnnexRows) out.resize(kMaxAnnexRows);
  return out;
}

json::value str(std::string s) { return json::value(std::move(s)); }

struct Names {
  std::map<std::string, std::string> tenants, parks, enterprises;
  std::string of(const std::map<std::string, std::string>& m, const std::string& id) const {
    auto it = m.find(id);
    return it == m.end() ? id : it->second;
  }
};

Result<Annex> devices_annex(meta::MetadataStore& store, const Names& names) {
  auto devices = KAIWU_TRY(all_pages<model::Device>(
      [&](const meta::Page& p) { return store.list_devices(meta::Scope::platform(), {}, p); }));
  AnnexSheet s{"设备清单",
               {"序号", "设备ID", "设备名称", "设备类别", "接入协议", "网关设备", "经由网关", "所属租户", "所属企业",
                "接入时间", "最近在线时间"},
               {}};
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    s.rows.push_back({json::value(i + 1), str(d.id), str(d.name), str(std::string(model::category_label_zh(d.category))),
                      str(d.protocol), str(d.is_gateway ? "是" : "否"), str(d.gateway_id),
                      str(names.of(names.tenants, d.tenant_id)), str(names.of(names.enterprises, d.enterprise_id)),
                      str(time_of(d.created_ms)), str(time_of(d.last_seen_ms))});
  }
  return Annex{"附件1-设备清单.xlsx", "附件1 设备清单", {std::move(s)}};
}

Result<Annex> models_annex(meta::ModelStore* models, const Names& names) {
  AnnexSheet s{"模型清单", {"序号", "模型ID", "版本", "模型类型", "中文名称", "英文名称", "归属", "发布者", "发布时间"}, {}};
  if (models) {
    meta::ModelQuery q;
    q.all_tenants = true;
    auto list = KAIWU_TRY(all_pages<meta::ModelRecord>([&](const meta::Page& p) { return models->list_models(q, p); }));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& m = list[i];
      const auto type = models::parse_model_type(m.type);
      s.rows.push_back({json::value(i + 1), str(m.id), str(m.version),
                        str(type ? std::string(models::model_type_label_zh(*type)) : m.type), str(m.name_zh),
                        str(m.name_en), str(m.tenant_id.empty() ? "平台公共模型" : names.of(names.tenants, m.tenant_id)),
                        str(m.created_by), str(time_of(m.created_ms))});
    }
  }
  return Annex{"附件2-模型清单.xlsx", "附件2 模型清单", {std::move(s)}};
}

Result<std::vector<apps::AppSummary>> listed_apps(apps::AppStore* apps) {
  if (!apps) return std::vector<apps::AppSummary>{};
  return apps->list_apps(true);
}

Result<Annex> apps_annex(apps::AppStore* apps, const std::vector<apps::AppSummary>& list) {
  AnnexSheet s{"APP清单",
               {"序号", "APP ID", "中文名称", "英文名称", "应用领域", "来源", "形态", "发布者", "上架版本", "订阅企业数",
                "评分", "创建时间"},
               {}};
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& a = list[i];
    std::string name_zh, name_en, domain, origin, form;
    if (auto v = apps->get_version(a.id, a.listed_version); v) {
      if (auto m = apps::parse_manifest(v->manifest_text); m) {
        name_zh = m->name_zh;
        name_en = m->name_en;
        domain = std::string(apps::domain_label_zh(m->domain));
        origin = m->origin == apps::Origin::kSelfBuilt ? "自研" : "合作伙伴";
        form = m->form == apps::Form::kBuiltOnPlatform ? "平台原生开发" : "传统软件云化";
      }
    }
    s.rows.push_back({json::value(i + 1), str(a.id), str(name_zh), str(name_en), str(domain), str(origin), str(form),
                      str(a.publisher), str(a.listed_version), json::value(a.subscribers),
                      a.rating_count > 0 ? json::value(a.rating_average) : json::value(nullptr), str(time_of(a.created_ms))});
  }
  return Annex{"附件3-APP清单.xlsx", "附件3 APP清单", {std::move(s)}};
}

Annex enterprises_annex(const std::vector<model::Enterprise>& list, const Names& names) {
  AnnexSheet s{"服务企业清单",
               {"序号", "企业名称", "统一社会信用代码", "所属行业", "所在园区", "所属租户", "中小企业", "付费企业", "地址",
                "入驻时间"},
               {}};
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    s.rows.push_back({json::value(i + 1), str(e.name), str(e.credit_code), str(e.industry),
                      str(e.park_id.empty() ? "" : names.of(names.parks, e.park_id)),
                      str(names.of(names.tenants, e.tenant_id)), str(e.sme ? "是" : "否"), str(e.paid ? "是" : "否"),
                      str(e.address), str(day_of(e.created_ms))});
  }
  return Annex{"附件4-服务企业清单.xlsx", "附件4 服务企业清单", {std::move(s)}};
}

std::string joined(const std::vector<std::string>& items, const std::function<std::string(const std::string&)>& label) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : "、") + label(i);
  return out;
}

Result<Annex> solutions_annex(SolutionStore* solutions) {
  AnnexSheet s{"解决方案清单",
               {"序号", "方案ID", "方案名称", "英文名称", "覆盖行业", "覆盖领域", "APP", "模型", "设备模型", "融合技术",
                "有效案例数"},
               {}};
  if (solutions) {
    auto list = KAIWU_TRY(solutions->list());
    const auto same = [](const std::string& x) { return x; };
    const auto domain = [](const std::string& code) {
      auto d = apps::parse_domain(code);
      return d ? std::string(apps::domain_label_zh(*d)) : code;
    };
    const auto tech = [](const std::string& code) { return std::string(technology_label_zh(code)); };
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& x = list[i];
      s.rows.push_back({json::value(i + 1), str(x.id), str(x.name_zh), str(x.name_en), str(joined(x.industries, same)),
                        str(joined(x.domains, domain)), str(joined(x.app_ids, same)), str(joined(x.model_ids, same)),
                        str(joined(x.profile_ids, same)), str(joined(x.technologies, tech)), json::value(x.cases)});
    }
  }
  return Annex{"附件5-解决方案清单.xlsx", "附件5 解决方案清单", {std::move(s)}};
}

// APP run logs of the year (newest kMaxRunsPerApp per APP) and the audit log of the year.
Result<Annex> logs_annex(meta::MetadataStore& store, apps::AppStore* apps, const std::vector<apps::AppSummary>& list,
                         int year, const Names& names) {
  const std::int64_t from = year_start_ms(year);
  const std::int64_t to = year_start_ms(year + 1);
  AnnexSheet runs{"APP运行日志", {"APP ID", "版本", "企业", "函数", "触发方式", "开始时间(UTC)", "耗时(ms)", "结果", "错误"}, {}};
  for (const auto& a : apps ? list : std::vector<apps::AppSummary>{}) {
    apps::RunQuery q;
    q.app_id = a.id;
    q.since_ms = from;
    q.limit = 100;
    std::size_t taken = 0;
    while (taken < kMaxRunsPerApp) {
      auto page = KAIWU_TRY(apps->list_runs(q));
      for (const auto& r : page.items) {
        if (r.start_ms >= to) continue;
        runs.rows.push_back({str(r.app_id), str(r.version), str(names.of(names.enterprises, r.enterprise_id)),
                             str(r.function), str(r.trigger), str(time_of(r.start_ms)),
                             json::value(static_cast<double>(r.duration_us) / 1000.0), str(r.ok ? "成功" : "失败"),
                             str(r.error)});
        ++taken;
      }
      if (page.next.empty()) break;
      q.cursor = page.next;
    }
  }
  meta::AuditFilter f;
  f.from_ms = from;
  f.to_ms = to;
  auto audit = KAIWU_TRY(all_pages<model::AuditEntry>(
      [&](const meta::Page& p) { return store.list_audit(meta::Scope::platform(), f, p); }));
  if (audit.size() > kMaxAuditRows) audit.resize(kMaxAuditRows);
  AnnexSheet log{"审计日志", {"序号", "时间(UTC)", "租户", "操作者", "操作", "对象类型", "对象ID", "来源", "说明"}, {}};
  for (std::size_t i = 0; i < audit.size(); ++i) {
    const auto& e = audit[i];
    log.rows.push_back({json::value(i + 1), str(time_of(e.time_ms)), str(names.of(names.tenants, e.tenant_id)),
                        str(e.actor), str(e.action), str(e.object_type), str(e.object_id), str(e.source), str(e.detail)});
  }
  return Annex{"附件7-运行日志摘录.xlsx", "附件7 运行日志摘录", {std::move(runs), std::move(log)}};
}

}  // namespace

Result<std::string> declaration_as_of(int year, std::int64_t now_ms) {
  const int current = year_of(now_ms);
  if (year < 2000 || year > current)
    return fail(Errc::kInvalidArgument, fmt::format("year: must be 2000..{}", current));
  if (year == current) return day_of(now_ms / kDayMs * kDayMs);
  return fmt::format("{:04}-12-31", year);
}

Result<DeclarationInput> gather_declaration(const DeclarationSources& src, int year, std::int64_t now_ms) {
  const auto as_of = KAIWU_TRY(declaration_as_of(year, now_ms));
  if (!src.indicators) return fail(Errc::kFailedPrecondition, "declaration: no indicator source");
  DeclarationInput in;
  in.year = year;
  in.generated_ms = now_ms;
  in.platform_version = src.platform_version;
  in.indicators = KAIWU_TRY(src.indicators(as_of));

  Names names;
  const auto scope = meta::Scope::platform();
  for (auto& t : KAIWU_TRY(all_pages<model::Tenant>([&](const meta::Page& p) { return src.store.list_tenants({}, p); })))
    names.tenants[t.id] = t.name;
  for (auto& p : KAIWU_TRY(all_pages<model::Park>([&](const meta::Page& pg) { return src.store.list_parks(scope, {}, pg); })))
    names.parks[p.id] = p.name;
  auto enterprises = KAIWU_TRY(all_pages<model::Enterprise>(
      [&](const meta::Page& p) { return src.store.list_enterprises(scope, {}, p); }));
  for (const auto& e : enterprises) names.enterprises[e.id] = e.name;

  in.annexes.push_back(KAIWU_TRY(devices_annex(src.store, names)));
  in.annexes.push_back(KAIWU_TRY(models_annex(src.models, names)));
  const auto apps = KAIWU_TRY(listed_apps(src.apps));
  in.annexes.push_back(KAIWU_TRY(apps_annex(src.apps, apps)));
  in.annexes.push_back(enterprises_annex(enterprises, names));
  in.annexes.push_back(KAIWU_TRY(solutions_annex(src.solutions)));
  in.annexes.push_back(KAIWU_TRY(logs_annex(src.store, src.apps, apps, year, names)));
  return in;
}

Result<std::pair<std::string, std::vector<DeclarationFile>>> DeclarationArchive::generate(
    const DeclarationSources& sources, int year, std::int64_t now_ms) {
  auto input = KAIWU_TRY(gather_declaration(sources, year, now_ms));
  std::lock_guard lock(mu_);
  const std::string id = new_id();
  auto files = write_declaration(input, dir_ / id);
  if (!files) {
    std::error_code ec;
    fs::remove_all(dir_ / id, ec);
    return std::unexpected(files.error());
  }
  prune();
  return std::pair{id, std::move(*files)};
}

Result<fs::path> DeclarationArchive::file(std::string_view id, std::string_view name) const {
  const bool safe_id = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!safe_id) return fail(Errc::kNotFound, "declaration not found");
  std::error_code ec;
  for (fs::directory_iterator it(dir_ / std::string(id), ec), end; !ec && it != end; it.increment(ec)) {
    const auto fname = it->path().filename().string();
    if (fname == name && !fname.ends_with(".tmp") && it->is_regular_file(ec)) return it->path();
  }
  return fail(Errc::kNotFound, "declaration file not found");
}

void DeclarationArchive::prune() {
  std::vector<fs::path> sets;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) sets.push_back(it->path());
  if (sets.size() <= kKept) return;
  std::sort(sets.begin(), sets.end());  // ids sort by creation time
  for (std::size_t i = 0; i + kKept < sets.size(); ++i) fs::remove_all(sets[i], ec);
}

}  // namespace kaiwu::report
