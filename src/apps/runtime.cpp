#include "apps/runtime.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <future>

#include "apps/host_api.hpp"
#include "apps/package.hpp"
#include "apps/schedule.hpp"
#include "bus/publish.hpp"
#include "core/ids.hpp"

namespace kaiwu::apps {
namespace json = boost::json;

struct AppRuntime::Active {
  Subscription sub;
  std::string version;
  Manifest manifest;
  std::string code;
  PlanType plan_type = PlanType::kFree;
};

struct AppRuntime::Job {
  Invocation inv;
  std::optional<std::promise<Result<RunResult>>> done;  // set for invoke(), empty for triggers
};

namespace {

std::string key_of(const std::string& app, const std::string& enterprise) { return app + "|" + enterprise; }

// The lease a schedule trigger of (app, enterprise) needs in cluster mode.
std::string schedule_lease(const std::string& app, const std::string& enterprise) {
  return "app-schedule|" + key_of(app, enterprise);
}

constexpr const char* kLeaseUser = "apps";

json::value sample_json(const bus::Value& v) {
  return std::visit([](const auto& x) { return json::value(x); }, v);
}

bool telemetry_matches(const Trigger& t, const std::string& profile, const bus::Telemetry& tm) {
  if (!t.profile_id.empty() && t.profile_id != profile) return false;
  if (t.keys.empty()) return true;
  return std::any_of(tm.samples.begin(), tm.samples.end(), [&](const bus::Sample& s) {
    return std::find(t.keys.begin(), t.keys.end(), s.key) != t.keys.end();
  });
}

bool alarm_matches(const Trigger& t, const model::Alarm& a) {
  if (!t.alarm_type.empty() && t.alarm_type != a.type) return false;
  if (t.min_severity.empty()) return true;
  auto min = model::parse_alarm_severity(t.min_severity);
  return min && static_cast<int>(a.severity) <= static_cast<int>(*min);  // kCritical is 0
}

}  // namespace

AppRuntime::AppRuntime(meta::MetadataStore& meta, tsdb::TelemetryStore& telemetry, AppStore& store,
                       metering::Meter& meter, RuntimeHooks hooks, RuntimeOptions options)
    : meta_(meta), telemetry_(telemetry), store_(store), meter_(meter), hooks_(std::move(hooks)),
      options_(options), run_log_(store, options_.run_log) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.workers); ++i) workers_.emplace_back([this] { work(); });
}

AppRuntime::~AppRuntime() { stop(); }

void AppRuntime::stop() {
  feed_.reset();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  run_log_.stop();  // the last runs reach the store
}

void AppRuntime::work() {
  rules::Sandbox sandbox(options_.limits);
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    execute(sandbox, *job);
  }
}

void AppRuntime::execute(rules::Sandbox& sandbox, Job& job) {
  auto result = run_now(sandbox, job.inv);
  if (job.done) job.done->set_value(std::move(result));
  else if (!result) spdlog::warn("app {} ({}) for enterprise {}: {}", job.inv.app_id, job.inv.trigger,
                                 job.inv.enterprise_id, result.error().message);
}

Result<RunResult> AppRuntime::run_now(rules::Sandbox& sandbox, const Invocation& inv) {
  auto active = find_active(inv.app_id, inv.enterprise_id);
  if (!active || active->sub.tenant_id != inv.tenant_id) return fail(Errc::kNotFound, fmt::format("app {} not found", inv.app_id));
  RunContext ctx{active->manifest, meta::Scope{inv.tenant_id, {}, inv.enterprise_id}, meta_, telemetry_, hooks_,
                 options_.log_lines_per_run, {}, {}};
  const auto host = make_host_api(ctx);
  const json::object context{{"appId", inv.app_id},       {"version", active->version}, {"tenantId", inv.tenant_id},
                             {"enterpriseId", inv.enterprise_id}, {"trigger", inv.trigger},  {"function", inv.function}};
  RunResult out;
  RunRecord& r = out.record;
  r.id = new_id();
  r.app_id = inv.app_id;
  r.version = active->version;
  r.tenant_id = inv.tenant_id;
  r.enterprise_id = inv.enterprise_id;
  r.function = inv.function;
  r.trigger = inv.trigger;
  r.actor = inv.actor;
  r.start_ms = now_ms();
  const auto started = std::chrono::steady_clock::now();
  auto result = sandbox.run_function("app:" + inv.app_id + "@" + active->version, active->code, inv.function,
                                     inv.input_json, json::serialize(context), host);
  r.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  r.ok = result.has_value();
  if (result) out.result_json = std::move(*result);
  else r.error = result.error().message;
  r.log = std::move(ctx.log);
  for (auto& points : ctx.written) publish_own(points, inv.app_id);
  run_log_.push(r);
  meter_.record(metering::Record{.kind = metering::Kind::kAppCall, .tenant_id = r.tenant_id,
                                 .enterprise_id = r.enterprise_id, .subject_id = r.app_id, .actor_id = r.actor,
                                 .function = r.function, .ok = r.ok, .ts_ms = r.start_ms,
                                 .duration_us = r.duration_us});
  if (active->plan_type == PlanType::kPerCall) {
    if (auto n = store_.count_call(inv.app_id, inv.enterprise_id); !n)
      spdlog::error("app {}: cannot count a call for enterprise {}: {}", inv.app_id, inv.enterprise_id, n.error().message);
  }
  if (!result && !ctx.denied.empty()) return fail(Errc::kPermissionDenied, result.error().message);
  return out;
}

Result<RunResult> AppRuntime::invoke(const Invocation& inv) {
  auto active = find_active(inv.app_id, inv.enterprise_id);
  if (!active || active->sub.tenant_id != inv.tenant_id) return fail(Errc::kNotFound, fmt::format("app {} not found", inv.app_id));
  if (!active->manifest.function(inv.function))
    return fail(Errc::kNotFound, fmt::format("app {} has no function '{}'", inv.app_id, inv.function));
  auto job = std::make_shared<Job>();
  job->inv = inv;
  job->done.emplace();
  auto future = job->done->get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return fail(Errc::kUnavailable, "the APP runtime is stopping");
    if (queue_.size() >= options_.queue_capacity) {
      ++dropped_;
      return fail(Errc::kResourceExhausted, "the APP runtime is busy; try again");
    }
    queue_.push_back(job);
  }
  queue_cv_.notify_one();
  return future.get();  // every queued job runs, also while stopping
}

Status AppRuntime::check_subscribed(const std::string& app_id, const std::string& tenant_id,
                                    const std::string& enterprise_id, const std::string& http_fn) const {
  auto active = find_active(app_id, enterprise_id);
  if (!active || active->sub.tenant_id != tenant_id) return fail(Errc::kNotFound, fmt::format("app {} not found", app_id));
  if (!http_fn.empty() && !active->manifest.http_callable(http_fn))
    return fail(Errc::kNotFound, fmt::format("app {} has no HTTP-callable function '{}'", app_id, http_fn));
  return ok();
}

bool AppRuntime::submit(Invocation inv) {
  auto job = std::make_shared<Job>();
  job->inv = std::move(inv);
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(job));
  }
  queue_cv_.notify_one();
  return true;
}

std::uint64_t AppRuntime::dropped() const {
  std::lock_guard lock(const_cast<std::mutex&>(queue_mu_));
  return dropped_;
}

void AppRuntime::set_verifier(std::function<Result<std::string>(const CheckedPackage&)> verifier) {
  std::lock_guard reloading(reload_mu_);
  verifier_ = std::move(verifier);
}

Status AppRuntime::reload() {
  std::lock_guard reloading(reload_mu_);
  auto subs = KAIWU_TRY(store_.list_subscriptions("", ""));
  std::map<std::string, std::shared_ptr<const Active>> by_version;  // "app@version" → parsed package
  std::vector<std::shared_ptr<const Active>> next;
  for (const auto& s : subs) {
    auto app = store_.get_app(s.app_id);
    if (!app || app->listed_version.empty()) continue;
    const std::string vkey = s.app_id + "@" + app->listed_version;
    auto& parsed = by_version[vkey];
    if (!parsed) {
      auto version = KAIWU_TRY(store_.get_version(s.app_id, app->listed_version));
      auto package = parse_package(version.package_text);
      auto checked = package ? check_package(std::move(*package)) : std::unexpected(package.error());
      if (checked && verifier_) {
        if (auto verified = verifier_(*checked); !verified) checked = std::unexpected(verified.error());
      }
      if (!checked) {
        spdlog::error("app {} version {} no longer loads: {}", s.app_id, app->listed_version, checked.error().message);
        continue;
      }
      auto a = std::make_shared<Active>();
      a->version = app->listed_version;
      a->code = checked->code();
      a->manifest = std::move(checked->manifest);
      parsed = a;
    }
    auto a = std::make_shared<Active>(*parsed);
    a->sub = s;
    for (const auto& p : a->manifest.plans)
      if (p.id == s.plan_id) a->plan_type = p.type;
    next.push_back(std::move(a));
  }
  if (hooks_.leases) {
    std::vector<std::string> names;
    for (const auto& a : next)
      if (std::any_of(a->manifest.triggers.begin(), a->manifest.triggers.end(),
                      [](const Trigger& t) { return t.type == TriggerType::kSchedule; }))
        names.push_back(schedule_lease(a->sub.app_id, a->sub.enterprise_id));
    hooks_.leases->want(kLeaseUser, std::move(names));
  }
  std::lock_guard lock(active_mu_);
  active_ = std::move(next);
  std::erase_if(next_due_, [&](const auto& entry) {  // schedules of subscriptions that ended
    return std::none_of(active_.begin(), active_.end(), [&](const auto& a) {
      return entry.first.starts_with(key_of(a->sub.app_id, a->sub.enterprise_id) + "|" + a->version + "|");
    });
  });
  return ok();
}

std::shared_ptr<const AppRuntime::Active> AppRuntime::find_active(const std::string& app_id,
                                                                  const std::string& enterprise_id) const {
  std::lock_guard lock(active_mu_);
  for (const auto& a : active_)
    if (a->sub.app_id == app_id && a->sub.enterprise_id == enterprise_id) return a;
  return nullptr;
}

void AppRuntime::tick(std::int64_t now) {
  std::vector<Invocation> due;
  {
    std::lock_guard lock(active_mu_);
    for (const auto& a : active_) {
      const bool here = !hooks_.leases || hooks_.leases->held(schedule_lease(a->sub.app_id, a->sub.enterprise_id));
      for (std::size_t i = 0; i < a->manifest.triggers.size(); ++i) {
        const auto& t = a->manifest.triggers[i];
        if (t.type != TriggerType::kSchedule) continue;
        const std::string k = fmt::format("{}|{}|{}|{}", key_of(a->sub.app_id, a->sub.enterprise_id), a->version, i, t.cron);
        auto [it, inserted] = next_due_.try_emplace(k, next_fire(t, now));
        if (inserted || now < it->second) continue;
        it->second = next_fire(t, now);
        if (!here) continue;  // another node holds this schedule's lease
        due.push_back(Invocation{a->sub.app_id, t.function,
                                 json::serialize(json::object{{"ts", now}, {"scheduled", true}}), a->sub.tenant_id,
                                 a->sub.enterprise_id, "schedule", "trigger:schedule"});
      }
    }
  }
  for (auto& inv : due) submit(std::move(inv));
}

namespace {

constexpr std::size_t kOwnWritesKept = 10'000;

// Identifies one published Telemetry message (a write of one device) on its way back.
template <typename Sample>
std::string write_fingerprint(const std::string& tenant, const std::string& device, const std::vector<Sample>& samples) {
  return fmt::format("{}|{}|{}|{}|{}", tenant, device, samples.size(), samples.front().key, samples.front().ts);
}

}  // namespace

void AppRuntime::publish_own(std::vector<tsdb::Point>& points, const std::string& app_id) {
  if (!bus_ || points.empty()) return;
  {
    std::vector<bus::Sample> samples;
    for (const auto& p : points) samples.push_back(bus::Sample{p.key, p.ts, {}});
    std::lock_guard lock(own_mu_);
    const auto fp = write_fingerprint(points.front().tenant, points.front().device, samples);
    if (own_writes_.insert_or_assign(fp, app_id).second) own_order_.push_back(fp);
    while (own_order_.size() > kOwnWritesKept) {
      own_writes_.erase(own_order_.front());
      own_order_.pop_front();
    }
  }
  bus::publish_points(bus_, points);
}

void AppRuntime::attach(bus::Bus& bus) {
  bus_ = &bus;
  bus::SubscribeOptions o;
  o.name = "apps";
  o.only({bus::Kind::kTelemetry, bus::Kind::kAlarm});
  o.capacity = 10'000;
  feed_ = bus.subscribe(std::move(o), [this](const bus::MessagePtr& m) { on_message(m); });
}

void AppRuntime::on_message(const bus::MessagePtr& m) {
  std::vector<std::shared_ptr<const Active>> in_tenant;
  {
    std::lock_guard lock(active_mu_);
    for (const auto& a : active_) {
      if (a->sub.tenant_id != m->tenant()) continue;
      const auto wanted = m->kind() == bus::Kind::kTelemetry ? TriggerType::kTelemetry : TriggerType::kAlarm;
      if (std::any_of(a->manifest.triggers.begin(), a->manifest.triggers.end(),
                      [&](const Trigger& t) { return t.type == wanted; }))
        in_tenant.push_back(a);
    }
  }
  if (in_tenant.empty()) return;
  if (const auto* tm = std::get_if<bus::Telemetry>(&m->payload)) {
    std::string writer;  // the APP whose own write this is: its triggers skip it
    if (!tm->samples.empty()) {
      std::lock_guard lock(own_mu_);
      auto it = own_writes_.find(write_fingerprint(tm->tenant, tm->device, tm->samples));
      if (it != own_writes_.end()) {
        writer = it->second;
        own_writes_.erase(it);
      }
    }
    auto device = meta_.get_device(meta::Scope::tenant(tm->tenant), tm->device);
    if (!device) return;
    json::object values;
    std::int64_t ts = 0;
    for (const auto& s : tm->samples) {
      values[s.key] = sample_json(s.value);
      ts = std::max(ts, s.ts);
    }
    const std::string input = json::serialize(json::object{
        {"deviceId", device->id}, {"deviceName", device->name}, {"profileId", device->profile_id}, {"ts", ts},
        {"values", std::move(values)}});
    for (const auto& a : in_tenant) {
      if (a->sub.enterprise_id != device->enterprise_id || a->sub.app_id == writer) continue;
      for (const auto& t : a->manifest.triggers) {
        if (t.type == TriggerType::kTelemetry && telemetry_matches(t, device->profile_id, *tm))
          submit(Invocation{a->sub.app_id, t.function, input, a->sub.tenant_id, a->sub.enterprise_id, "telemetry",
                            "trigger:telemetry"});
      }
    }
  } else if (const auto* ev = std::get_if<bus::AlarmEvent>(&m->payload)) {
    if (ev->change != bus::AlarmChange::kCreated) return;
    const auto& al = ev->alarm;
    const std::string input = json::serialize(json::object{
        {"alarmId", al.id}, {"deviceId", al.device_id}, {"type", al.type},
        {"severity", model::alarm_severity_name(al.severity)}, {"ts", al.start_ms}});
    for (const auto& a : in_tenant) {
      if (a->sub.enterprise_id != al.enterprise_id) continue;
      for (const auto& t : a->manifest.triggers) {
        if (t.type == TriggerType::kAlarm && alarm_matches(t, al))
          submit(Invocation{a->sub.app_id, t.function, input, a->sub.tenant_id, a->sub.enterprise_id, "alarm",
                            "trigger:alarm"});
      }
    }
  }
}

Result<RunPage> AppRuntime::runs(const RunQuery& q) {
  (void)run_log_.flush();  // a failed batch is already logged; show what the store has
  return store_.list_runs(q);
}

}  // namespace kaiwu::apps
