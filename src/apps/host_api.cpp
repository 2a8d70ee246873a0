#include "apps/host_api.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "apps/host_api_internal.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::apps {
namespace host {
namespace {

constexpr std::size_t kMaxLogLineBytes = 512;
constexpr std::size_t kMaxDevices = 1000;
constexpr std::size_t kMaxRangeSamples = 10'000;
constexpr std::size_t kMaxWriteKeys = 256;

json::object device_json(const model::Device& d) {
  return json::object{{"id", d.id},           {"name", d.name},          {"profileId", d.profile_id},
                      {"category", model::category_name(d.category)}, {"protocol", d.protocol},
                      {"label", d.label},      {"lastSeen", d.last_seen_ms}};
}

HostResult log_line(RunContext& ctx, const Args& a) {
  std::string line;
  for (const auto& v : a) {
    if (!line.empty()) line += ' ';
    line += v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  }
  if (line.size() > kMaxLogLineBytes) line.resize(kMaxLogLineBytes);
  if (ctx.log.size() < ctx.max_log_lines) ctx.log.push_back(std::move(line));
  return std::string("null");
}

HostResult devices_list(RunContext& ctx, const Args&) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kDevicesRead));
  meta::Page page;
  page.limit = kMaxDevices;
  auto devices = KAIWU_TRY(ctx.meta.list_devices(ctx.scope, {}, page));
  json::array out;
  for (const auto& d : devices.items) out.push_back(device_json(d));
  return json::serialize(out);
}

HostResult devices_get(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kDevicesRead));
  return json::serialize(device_json(KAIWU_TRY(device(ctx, a))));
}

HostResult telemetry_latest(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kTelemetryRead));
  auto d = KAIWU_TRY(device(ctx, a));
  auto keys = KAIWU_TRY(arg_keys(a, 1));
  auto latest = KAIWU_TRY(ctx.telemetry.latest(d.tenant_id, d.id, keys));
  json::object out;
  for (const auto& l : latest) out[l.key] = json::object{{"ts", l.sample.ts}, {"value", to_json(l.sample.value)}};
  return json::serialize(out);
}

HostResult telemetry_range(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kTelemetryRead));
  auto d = KAIWU_TRY(device(ctx, a));
  tsdb::RangeQuery q;
  q.tenant = d.tenant_id;
  q.device = d.id;
  q.keys = KAIWU_TRY(arg_keys(a, 1));
  q.from = KAIWU_TRY(arg_int(a, 2, "from ms", 0));
  q.to = KAIWU_TRY(arg_int(a, 3, "to ms", now_ms() + 1));
  const auto limit = KAIWU_TRY(arg_int(a, 4, "limit", 1000));
  q.limit = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 1, kMaxRangeSamples));
  auto series = KAIWU_TRY(ctx.telemetry.range(q));
  json::object out;
  for (const auto& s : series) {
    json::array samples;
    for (const auto& sample : s.samples) samples.push_back(json::object{{"ts", sample.ts}, {"value", to_json(sample.value)}});
    out[s.key] = std::move(samples);
  }
  return json::serialize(out);
}

HostResult telemetry_write(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kTelemetryWrite));
  auto d = KAIWU_TRY(device(ctx, a));
  if (a.size() < 2 || !a[1].is_object() || a[1].get_object().empty())
    return fail(Errc::kInvalidArgument, "argument 2 (values) must be a table {key = value}");
  const auto ts = KAIWU_TRY(arg_int(a, 2, "ts ms", now_ms()));
  if (a[1].get_object().size() > kMaxWriteKeys) return fail(Errc::kInvalidArgument, "at most 256 keys per write");
  std::vector<tsdb::Point> points;
  for (const auto& [k, v] : a[1].get_object()) {
    tsdb::Point p{d.tenant_id, d.id, std::string(k), ts, {}};
    if (v.is_int64()) p.value = v.get_int64();
    else if (v.is_double()) p.value = v.get_double();
    else if (v.is_bool()) p.value = v.get_bool();
    else if (v.is_string()) p.value = std::string(v.get_string());
    else return fail(Errc::kInvalidArgument, fmt::format("value of '{}' must be a number, boolean or string", std::string_view(k)));
    points.push_back(std::move(p));
  }
  KAIWU_TRY_STATUS(ctx.telemetry.write(points));
  return json::serialize(json::object{{"written", points.size()}, {"ts", ts}});
}

HostResult attributes_get(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kAttributesRead));
  auto d = KAIWU_TRY(device(ctx, a));
  auto attrs = KAIWU_TRY(ctx.meta.get_attributes(ctx.scope, d.id, std::nullopt, {}));
  json::object out{{"client", json::object{}}, {"shared", json::object{}}, {"server", json::object{}}};
  for (const auto& at : attrs) {
    auto v = parse_json(at.value_json);
    out[model::attribute_scope_name(at.scope)].as_object()[at.key] = v ? *v : json::value(at.value_json);
  }
  return json::serialize(out);
}

HostResult alarms_list(RunContext& ctx, const Args&) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kAlarmsRead));
  meta::AlarmFilter f;
  f.statuses = {model::AlarmStatus::kActive, model::AlarmStatus::kAcknowledged};
  meta::Page page;
  page.limit = kMaxDevices;
  auto alarms = KAIWU_TRY(ctx.meta.list_alarms(ctx.scope, f, page));
  json::array out;
  for (const auto& al : alarms.items) {
    out.push_back(json::object{{"id", al.id}, {"deviceId", al.device_id}, {"type", al.type},
                               {"severity", model::alarm_severity_name(al.severity)}, {"startTs", al.start_ms},
                               {"count", al.count}});
  }
  return json::serialize(out);
}

HostResult alarms_raise(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kAlarmsWrite));
  if (!ctx.hooks.raise_alarm) return fail(Errc::kUnavailable, "alarms are not available in this deployment");
  auto d = KAIWU_TRY(device(ctx, a));
  model::Alarm al;
  al.tenant_id = d.tenant_id;
  al.device_id = d.id;
  al.type = KAIWU_TRY(arg_string(a, 1, "alarm type"));
  auto sev = model::parse_alarm_severity(KAIWU_TRY(arg_string(a, 2, "severity")));
  if (!sev) return fail(Errc::kInvalidArgument, "argument 3 (severity) must be critical, major, minor or warning");
  al.severity = *sev;
  if (a.size() > 3 && !a[3].is_null()) al.details_json = json::serialize(a[3]);
  al.start_ms = al.last_ms = now_ms();
  KAIWU_TRY_STATUS(ctx.hooks.raise_alarm(meta::Scope::tenant(d.tenant_id), al));
  return std::string("true");
}

HostResult rpc_call(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kRpcCall));
  if (!ctx.hooks.call_rpc) return fail(Errc::kUnavailable, "device RPC is not available in this deployment");
  auto d = KAIWU_TRY(device(ctx, a));
  auto method = KAIWU_TRY(arg_string(a, 1, "method"));
  const std::string params = a.size() > 2 ? json::serialize(a[2]) : "{}";
  const auto timeout = KAIWU_TRY(arg_int(a, 3, "timeout ms", 1000));
  auto reply = KAIWU_TRY(ctx.hooks.call_rpc(d, method, params, std::chrono::milliseconds(std::clamp<std::int64_t>(timeout, 1, 1000))));
  return parse_json(reply) ? reply : json::serialize(json::value(reply));
}

}  // namespace
}  // namespace host

rules::HostApi make_host_api(RunContext& ctx) {
  using namespace host;  // NOLINT: the host functions and their helpers
  std::vector<Entry> table = {
      {"log", log_line},
      {"devices.list", devices_list},
      {"devices.get", devices_get},
      {"telemetry.latest", telemetry_latest},
      {"telemetry.range", telemetry_range},
      {"telemetry.write", telemetry_write},
      {"attributes.get", attributes_get},
      {"alarms.list", alarms_list},
      {"alarms.raise", alarms_raise},
      {"rpc.call", rpc_call},
  };
  for (const auto& e : data_functions()) table.push_back(e);
  for (const auto& e : io_functions()) table.push_back(e);
  rules::HostApi api;
  for (const auto& [name, fn] : table) {
    api.emplace(name, [&ctx, fn](std::string_view args_json) -> HostResult {
      auto args = KAIWU_TRY(parse_json(args_json));
      if (!args.is_array()) return fail(Errc::kInternal, "host arguments are not a list");
      return fn(ctx, args.get_array());
    });
  }
  return api;
}

}  // namespace kaiwu::apps
