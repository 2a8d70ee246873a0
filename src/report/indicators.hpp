// The MIIT 双跨 capability figures (shared/MIIT-INDICATORS.md) computed from the platform's own
// data: the metadata database (devices, enterprises, parks, developer accounts, the APP
// marketplace, the model catalogue, the solution catalogue) and the metering records. No tsdb:
// `kaiwu report declaration` computes the same figures from the database files while a server
// runs.
//
// Output (GET /api/v1/platform/indicators, the declaration's section 二, the console page):
//   {asOf, month, generatedMs, tenantId, indicators: [{id, nameZh, nameEn, figures: [
//     {id, nameZh, nameEn, unit, value, labels?, definitionZh, definitionEn, query, source}]}]}
// value: number | string | bool | object {key: number} | array of rows | null. source "live"
// (computed here; null when its source is not given) or "documentary" (always null: the
// operator fills it in). Figure ids are stable (H4's export and the console rely on them).
//
// Scope: Scope::platform() counts the whole platform; a tenant scope counts that tenant's
// devices, enterprises, parks, usage, subscriptions and the models it can use; the APP and
// solution catalogues are platform-wide (a tenant sees the APPs its enterprises subscribe to).
// Errors: kInvalidArgument for a bad as_of_day; store errors as they come.
// Thread-safe as its sources; blocks on the databases (call from a worker thread).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "meta/store.hpp"

namespace kaiwu::apps { class AppStore; }
namespace kaiwu::meta { class ModelStore; class DeveloperStore; }
namespace kaiwu::metering { class UsageQueries; }

namespace kaiwu::report {

class SolutionStore;

struct IndicatorSources {
  meta::MetadataStore& store;
  metering::UsageQueries* usage = nullptr;     // daily-active devices, monthly-active APPs, calls, revenue
  apps::AppStore* apps = nullptr;              // the marketplace's records (Marketplace::store())
  meta::ModelStore* models = nullptr;          // the model catalogue (ModelService::store())
  meta::DeveloperStore* developers = nullptr;  // developer accounts
  SolutionStore* solutions = nullptr;          // the solution catalogue
  std::int64_t now_ms = 0;                     // generatedMs (0: the clock)
};

// as_of_day "YYYY-MM-DD" (UTC): the day of the daily figures; its month gives the monthly ones.
Result<boost::json::object> compute_indicators(const IndicatorSources& sources, const meta::Scope& scope,
                                               std::string_view as_of_day);

}  // namespace kaiwu::report
