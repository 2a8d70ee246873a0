// Host functions over the platform's data services: kaiwu.now, kaiwu.telemetry.aggregate,
// kaiwu.store.* (apps/kv_store.hpp) and kaiwu.models.invoke (models::ModelService, metered).
#include <boost/json.hpp>
#include <fmt/format.h>

#include "apps/host_api_internal.hpp"
#include "apps/kv_store.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "models/runtime.hpp"

namespace kaiwu::apps::host {
namespace {

constexpr std::int64_t kMaxAggBuckets = 10'000;  // per key and call
constexpr std::size_t kDefaultListLimit = 1000;

HostResult now(RunContext&, const Args&) { return std::to_string(now_ms()); }

// aggregate(deviceId, keys, from, to, intervalMs, agg) → {key = {{ts=, value=}, ...}}.
HostResult telemetry_aggregate(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kTelemetryRead));
  auto d = KAIWU_TRY(device(ctx, a));
  tsdb::AggQuery q;
  q.tenant = d.tenant_id;
  q.device = d.id;
  q.keys = KAIWU_TRY(arg_keys(a, 1));
  if (q.keys.empty()) return fail(Errc::kInvalidArgument, "argument 2 (keys) must name at least one key");
  q.from = KAIWU_TRY(arg_int(a, 2, "from ms", 0));
  q.to = KAIWU_TRY(arg_int(a, 3, "to ms", now_ms() + 1));
  q.interval = KAIWU_TRY(arg_int(a, 4, "interval ms", 60'000));
  if (q.to <= q.from) return fail(Errc::kInvalidArgument, "argument 4 (to ms) must be after argument 3 (from ms)");
  if (q.interval <= 0) return fail(Errc::kInvalidArgument, "argument 5 (interval ms) must be positive");
  if ((q.to - q.from) / q.interval >= kMaxAggBuckets)
    return fail(Errc::kInvalidArgument,
                fmt::format("at most {} buckets per call: widen the interval or shorten the range", kMaxAggBuckets));
  const std::string agg = a.size() > 5 && a[5].is_string() ? std::string(a[5].get_string()) : std::string("avg");
  auto parsed = tsdb::parse_agg(agg);
  if (!parsed) return fail(Errc::kInvalidArgument, "argument 6 (agg) must be one of min max avg sum count first last");
  q.agg = *parsed;
  auto result = KAIWU_TRY(ctx.telemetry.aggregate(q));
  json::object out;
  for (const auto& kb : result) {
    json::array buckets;
    for (const auto& b : kb.buckets) buckets.push_back(json::object{{"ts", b.ts}, {"value", to_json(b.value)}});
    out[kb.key] = std::move(buckets);
  }
  return json::serialize(out);
}

Result<KvStore*> kv(RunContext& ctx) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kStorage));
  if (!ctx.hooks.kv) return fail(Errc::kUnavailable, "APP storage is not available in this deployment");
  return ctx.hooks.kv;
}

KvNamespace ns_of(const RunContext& ctx) { return KvNamespace{ctx.scope.tenant_id, ctx.scope.enterprise_id, ctx.manifest.id}; }

HostResult store_get(RunContext& ctx, const Args& a) {
  auto* store = KAIWU_TRY(kv(ctx));
  auto key = KAIWU_TRY(arg_string(a, 0, "key"));
  auto value = KAIWU_TRY(store->get(ns_of(ctx), key));
  return value ? *value : std::string("null");
}

HostResult store_put(RunContext& ctx, const Args& a) {
  auto* store = KAIWU_TRY(kv(ctx));
  auto key = KAIWU_TRY(arg_string(a, 0, "key"));
  if (a.size() < 2 || a[1].is_null())
    return fail(Errc::kInvalidArgument, "argument 2 (value) is nil: use kaiwu.store.delete to remove a key");
  KAIWU_TRY_STATUS(store->put(ns_of(ctx), key, json::serialize(a[1])));
  return std::string("true");
}

HostResult store_delete(RunContext& ctx, const Args& a) {
  auto* store = KAIWU_TRY(kv(ctx));
  auto key = KAIWU_TRY(arg_string(a, 0, "key"));
  return KAIWU_TRY(store->remove(ns_of(ctx), key)) ? std::string("true") : std::string("false");
}

HostResult store_list(RunContext& ctx, const Args& a) {
  auto* store = KAIWU_TRY(kv(ctx));
  std::string prefix;
  if (!a.empty() && !a[0].is_null()) {
    if (!a[0].is_string()) return fail(Errc::kInvalidArgument, "argument 1 (prefix) must be a string");
    prefix = std::string(a[0].get_string());
  }
  const auto limit = KAIWU_TRY(arg_int(a, 1, "limit", kDefaultListLimit));
  if (limit < 1 || limit > static_cast<std::int64_t>(kMaxKvList))
    return fail(Errc::kInvalidArgument, fmt::format("argument 2 (limit) must be 1..{}", kMaxKvList));
  auto entries = KAIWU_TRY(store->list(ns_of(ctx), prefix, static_cast<std::size_t>(limit)));
  json::array out;
  for (auto& e : entries) {
    auto v = parse_json(e.value_json);
    out.push_back(json::object{{"key", e.key}, {"value", v ? std::move(*v) : json::value(e.value_json)}});
  }
  return json::serialize(out);
}

Result<models::Values> model_values(const Args& a, std::size_t i, std::string_view what) {
  models::Values out;
  if (i >= a.size() || a[i].is_null()) return out;
  if (a[i].is_object()) {
    for (const auto& [k, v] : a[i].get_object())
      out.emplace(std::string(k), KAIWU_TRY(models::value_from_json(v, fmt::format("{}.{}", what, std::string_view(k)))));
    return out;
  }
  if (a[i].is_array() && a[i].get_array().empty()) return out;  // {} from an empty Lua table
  return fail(Errc::kInvalidArgument, fmt::format("argument {} ({}) must be a table of named values", i + 1, what));
}

// invoke(modelId, inputs, params?) → the outputs, as POST /api/v1/models/{id}/invoke with inline
// inputs: the tenant's own model or a public one, metered for the enterprise as a model call.
HostResult models_invoke(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kModelsInvoke));
  if (!ctx.hooks.models) return fail(Errc::kUnavailable, "industrial models are not available in this deployment");
  auto id = KAIWU_TRY(arg_string(a, 0, "model id"));
  auto inputs = KAIWU_TRY(model_values(a, 1, "inputs"));
  auto params = KAIWU_TRY(model_values(a, 2, "parameters"));
  auto record = KAIWU_TRY(ctx.hooks.models->store().get_model(ctx.scope.tenant_id, id, ""));
  const models::Caller caller{ctx.scope.tenant_id, ctx.scope.enterprise_id, "app:" + ctx.manifest.id};
  auto result = ctx.hooks.models->invoke(caller, record, inputs, params);
  if (!result) {
    auto e = result.error().error;
    return fail(e.code, fmt::format("model {}: {}", id, e.message));
  }
  json::object out;
  for (const auto& [k, v] : result->outputs) out[k] = models::value_to_json(v);
  return json::serialize(out);
}

}  // namespace

std::vector<Entry> data_functions() {
  return {{"now", now},
          {"telemetry.aggregate", telemetry_aggregate},
          {"store.get", store_get},
          {"store.put", store_put},
          {"store.delete", store_delete},
          {"store.list", store_list},
          {"models.invoke", models_invoke}};
}

}  // namespace kaiwu::apps::host
