#include "report/economy_routes.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "api/common.hpp"
#include "core/ids.hpp"
#include "report/economy_scope.hpp"

namespace kaiwu::report {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxEnterprises = 5000;
constexpr std::int64_t kMaxRangeDays = 366;
constexpr std::int64_t kMapDays = 30;      // the industry map's figures: the last 30 days, today included
constexpr std::int64_t kHistoryDays = 35;  // the supply chain's base rates come from these days before today

std::int64_t today_ms() { return day_of(now_ms()); }

// ?parkId= checked against the scope (404 for a park the caller cannot see).
Result<std::string> park_param(api::ApiContext& ctx, const http::Request& req, const meta::Scope& scope) {
  std::string park(req.query_param("parkId").value_or(""));
  if (!park.empty()) KAIWU_TRY(ctx.store.get_park(scope, park));
  return park;
}

std::vector<std::string> ids_of(const std::vector<model::Enterprise>& es) {
  std::vector<std::string> ids;
  ids.reserve(es.size());
  for (const auto& e : es) ids.push_back(e.id);
  return ids;
}

Result<std::vector<DayFigures>> fetch(const DaysSource& days, const meta::Scope& scope,
                                      const std::vector<model::Enterprise>& es, std::int64_t from, std::int64_t to) {
  if (!days) return fail(Errc::kUnavailable, "daily figures are not available on this server (no telemetry metrics)");
  if (es.empty()) return std::vector<DayFigures>{};
  return days(scope, ids_of(es), from, to);
}

Result<MapExtras> map_extras(api::ApiContext& ctx, const meta::Scope& scope) {
  MapExtras x;
  meta::Page page{1000, {}, 0};
  for (;;) {
    auto devices = KAIWU_TRY(ctx.store.list_devices(scope, {}, page));
    for (const auto& d : devices.items) x.devices[d.enterprise_id] += 1;
    if (devices.next.empty()) break;
    page.cursor = devices.next;
  }
  auto parks = KAIWU_TRY(ctx.store.list_parks(scope, {}, meta::Page{1000, {}, 0}));
  for (const auto& p : parks.items) x.park_names[p.id] = p.name;
  return x;
}

Result<http::Response> industry_map_route(api::ApiContext& ctx, const DaysSource& days, http::Request& req) {
  auto scope = api::request_scope(req);
  auto park = KAIWU_TRY(park_param(ctx, req, scope));
  auto es = KAIWU_TRY(enterprises_in(ctx, scope, park));
  const auto to = today_ms(), from = to - (kMapDays - 1) * kDayMs;
  auto figures = KAIWU_TRY(fetch(days, scope, es, from, to));
  auto out = industry_map(es, figures, KAIWU_TRY(map_extras(ctx, scope)), from, to);
  out["parkId"] = park;
  return api::json_response(200, out);
}

Result<IndexRequest> index_request(const http::Request& req) {
  IndexRequest r;
  const auto yesterday = today_ms() - kDayMs;
  r.to_day_ms = yesterday;
  if (auto v = req.query_param("to")) r.to_day_ms = KAIWU_TRY(parse_day(*v, "to"));
  r.from_day_ms = r.to_day_ms - 29 * kDayMs;
  if (auto v = req.query_param("from")) r.from_day_ms = KAIWU_TRY(parse_day(*v, "from"));
  if (r.from_day_ms > r.to_day_ms) return api::invalid("from", "must not be after to");
  if ((r.to_day_ms - r.from_day_ms) / kDayMs >= kMaxRangeDays) return api::invalid("from", "the range is at most 366 days");
  if (auto v = req.query_param("base"); v && !v->empty()) {
    const auto slash = v->find('/');
    if (slash == std::string_view::npos) return api::invalid("base", "must be FROM/TO, e.g. 2026-10-01/2026-10-07");
    auto b0 = KAIWU_TRY(parse_day(v->substr(0, slash), "base"));
    auto b1 = KAIWU_TRY(parse_day(v->substr(slash + 1), "base"));
    if (b0 > b1) return api::invalid("base", "the start is after the end");
    if ((b1 - b0) / kDayMs >= kMaxRangeDays) return api::invalid("base", "the base period is at most 366 days");
    r.base = std::pair{b0, b1};
  }
  const std::string period(req.query_param("period").value_or("day"));
  if (period == "week") {
    r.period = Period::kWeek;
  } else if (period != "day") {
    return api::invalid("period", "must be day or week");
  }
  return r;
}

Result<http::Response> indices_route(api::ApiContext& ctx, const DaysSource& days, http::Request& req) {
  auto scope = api::request_scope(req);
  auto park = KAIWU_TRY(park_param(ctx, req, scope));
  auto r = KAIWU_TRY(index_request(req));
  auto es = KAIWU_TRY(enterprises_in(ctx, scope, park));
  const auto [from, to] = index_window(r);
  auto figures = KAIWU_TRY(fetch(days, scope, es, from, to));
  auto out = KAIWU_TRY(indices(es, figures, r));
  out["parkId"] = park;
  return api::json_response(200, out);
}

Result<http::Response> supply_chain_route(api::ApiContext& ctx, SupplyLinkStore& links, const DaysSource& days,
                                          http::Request& req) {
  auto scope = api::request_scope(req);
  auto park = KAIWU_TRY(park_param(ctx, req, scope));
  SupplyChainInput in;
  in.enterprises = KAIWU_TRY(enterprises_in(ctx, scope, park));
  std::set<std::string> nodes;
  for (const auto& e : in.enterprises) nodes.insert(e.id);
  // Links leaving the park bring their other end along when the caller may see it.
  for (auto& l : KAIWU_TRY(links.list(scope.tenant_id))) {
    const bool s = nodes.contains(l.supplier_enterprise_id), c = nodes.contains(l.customer_enterprise_id);
    if (!s && !c) continue;
    const auto& other = s ? l.customer_enterprise_id : l.supplier_enterprise_id;
    if (!nodes.contains(other)) {
      auto e = ctx.store.get_enterprise(scope, other);
      if (!e) continue;
      nodes.insert(e->id);
      in.enterprises.push_back(std::move(*e));
    }
    in.links.push_back(std::move(l));
  }
  in.today_ms = today_ms();
  in.history = KAIWU_TRY(fetch(days, scope, in.enterprises, in.today_ms - kHistoryDays * kDayMs, in.today_ms - kDayMs));
  in.today = KAIWU_TRY(fetch(days, scope, in.enterprises, in.today_ms, in.today_ms));
  auto out = supply_chain(in);
  out["parkId"] = park;
  return api::json_response(200, out);
}

}  // namespace

Result<std::vector<model::Enterprise>> enterprises_in(api::ApiContext& ctx, const meta::Scope& scope,
                                                      const std::string& park_id) {
  meta::EnterpriseFilter f;
  f.park_id = park_id;
  std::vector<model::Enterprise> out;
  meta::Page page{1000, {}, 0};
  while (out.size() < kMaxEnterprises) {
    auto list = KAIWU_TRY(ctx.store.list_enterprises(scope, f, page));
    for (auto& e : list.items) out.push_back(std::move(e));
    if (list.next.empty()) break;
    page.cursor = list.next;
  }
  return out;
}

Result<std::map<std::string, std::string>> enterprise_names(api::ApiContext& ctx, const meta::Scope& scope) {
  std::map<std::string, std::string> names;
  for (const auto& e : KAIWU_TRY(enterprises_in(ctx, scope))) names[e.id] = e.name;
  return names;
}

void register_economy_routes(http::Router& r, api::ApiContext& ctx, SupplyLinkStore& links, DaysSource days) {
  register_supply_link_routes(r, ctx, links);
  auto source = std::make_shared<const DaysSource>(std::move(days));
  const std::vector<http::ParamDoc> park = {{"parkId", "string", "one park (default: every enterprise in scope)"},
                                           {"tenantId", "string", "platform admins: one tenant"}};
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/analysis/industry-map",
         .summary = "Industry map (产业地图): enterprises by industry and location with 30-day key figures",
         .tag = "analysis", .access = http::Access::signed_in(), .query = park,
         .response_schema = api::schema_object({{"parkId", "string"}, {"from", "string"}, {"to", "string"},
                                                {"enterprises", "array"}, {"byIndustry", "array"},
                                                {"method", "object"}}),
         .handler = [&ctx, source](http::Request& req) { return industry_map_route(ctx, *source, req); }});
  auto index_params = park;
  index_params.push_back({"from", "string", "first day YYYY-MM-DD (default: 29 days before to)"});
  index_params.push_back({"to", "string", "last day YYYY-MM-DD (default: yesterday, UTC)"});
  index_params.push_back({"base", "string", "base period FROM/TO (default: the first 7 days with data)"});
  index_params.push_back({"period", "string", "day | week"});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/analysis/indices",
         .summary = "Characteristic indices (特色指数) against a base period = 100, per industry and total",
         .tag = "analysis", .access = http::Access::signed_in(), .query = index_params,
         .response_schema = api::schema_object({{"parkId", "string"}, {"from", "string"}, {"to", "string"},
                                                {"period", "string"}, {"base", "object"}, {"indices", "array"}}),
         .handler = [&ctx, source](http::Request& req) { return indices_route(ctx, *source, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/analysis/supply-chain",
         .summary = "Supply-chain view (供应链监测): enterprises with operating status, links, customers at risk",
         .tag = "analysis", .access = http::Access::signed_in(), .query = park,
         .response_schema = api::schema_object({{"parkId", "string"}, {"day", "string"}, {"nodes", "array"},
                                                {"edges", "array"}, {"summary", "object"}, {"method", "object"}}),
         .handler = [&ctx, &links, source](http::Request& req) {
           return supply_chain_route(ctx, links, *source, req);
         }});
}

}  // namespace kaiwu::report
