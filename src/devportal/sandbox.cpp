#include "devportal/sandbox.hpp"

#include <spdlog/spdlog.h>

#include <variant>

#include "bus/publish.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "sim/signals.hpp"

namespace kaiwu::devportal {

// One simulated device: a sim/ model and where its samples go.
struct SandboxSimulator::Sim {
  std::string tenant_id;
  std::string device_id;
  std::variant<sim::CncModel, sim::MeterModel, sim::EnvSensorModel> model;

  sim::Values step(std::int64_t now) {
    return std::visit(
        [now](auto& m) {
          if constexpr (std::is_same_v<std::decay_t<decltype(m)>, sim::MeterModel>) {
            m.step(now, 40.0);  // a steady 40 kW load
          } else {
            m.step(now);
          }
          return m.values();
        },
        model);
  }
};

namespace {

struct DeviceSpec {
  const char* name;
  model::Category category;
  const char* protocol;
};
constexpr DeviceSpec kDevices[] = {
    {"sandbox-cnc-01", model::Category::kProcessing, "mqtt"},
    {"sandbox-meter-01", model::Category::kRunning, "mqtt"},
    {"sandbox-env-01", model::Category::kOther, "mqtt"},
};

sim::ShiftPattern always_on() {
  sim::ShiftPattern s;
  s.shifts = {{0, 24 * 60}};
  s.every_day = true;
  return s;
}

}  // namespace

SandboxSimulator::SandboxSimulator(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, bus::Bus* bus,
                                   MetricsRegistry& metrics, std::chrono::milliseconds interval)
    : store_(store),
      telemetry_(telemetry),
      bus_(bus),
      samples_(metrics.counter("kaiwu_sandbox_samples_total", "Samples written by developer sandbox devices")),
      errors_(metrics.counter("kaiwu_sandbox_errors_total", "Failed sandbox telemetry writes")),
      interval_(interval),
      thread_([this] { run(); }) {}

SandboxSimulator::~SandboxSimulator() { stop(); }

Result<SandboxIds> SandboxSimulator::provision(const std::string& email, const std::string& organisation) {
  model::Tenant t;
  t.name = "sandbox: " + email;
  t.description = "Developer sandbox" + (organisation.empty() ? std::string() : " (" + organisation + ")");
  auto tenant = KAIWU_TRY(store_.create_tenant(t));
  const auto scope = meta::Scope::tenant(tenant.id);
  model::Enterprise e;
  e.tenant_id = tenant.id;
  e.name = organisation.empty() ? "Sandbox enterprise" : organisation;
  e.industry = "机械";
  auto enterprise = KAIWU_TRY(store_.create_enterprise(scope, e));
  SandboxIds ids{tenant.id, enterprise.id, {}};
  for (const auto& spec : kDevices) {
    model::Device d;
    d.tenant_id = tenant.id;
    d.enterprise_id = enterprise.id;
    d.name = spec.name;
    d.category = spec.category;
    d.protocol = spec.protocol;
    d.label = "simulated";
    d.access_token = crypto::random_token(20);
    auto device = KAIWU_TRY(store_.create_device(scope, d));
    ids.device_ids.push_back(device.id);
  }
  return ids;
}

Status SandboxSimulator::add(const SandboxIds& ids) {
  std::lock_guard lock(mu_);
  if (sandbox_count_ >= kMaxSandboxes)
    return fail(Errc::kResourceExhausted, "the sandbox simulator is full; the devices exist but stay silent");
  const std::uint64_t seed = std::hash<std::string>{}(ids.tenant_id);
  for (std::size_t i = 0; i < ids.device_ids.size(); ++i) {
    auto sim = std::make_unique<Sim>(Sim{ids.tenant_id, ids.device_ids[i], sim::EnvSensorModel(seed + i)});
    if (i % 3 == 0) sim->model.emplace<sim::CncModel>(seed + i, always_on(), 30.0);
    if (i % 3 == 1) sim->model.emplace<sim::MeterModel>(seed + i);
    sims_.push_back(std::move(sim));
  }
  ++sandbox_count_;
  if (leases_) {
    lease_names_.push_back("sandbox|" + ids.tenant_id);
    leases_->want("sandbox", lease_names_);
  }
  return ok();
}

Status SandboxSimulator::load(meta::DeveloperStore& developers) {
  auto list = KAIWU_TRY(developers.list_verified_developers());
  for (const auto& a : list) {
    if (a.tenant_id.empty()) continue;
    meta::DeviceFilter f;
    f.enterprise_id = a.enterprise_id;
    auto devices = store_.list_devices(meta::Scope::tenant(a.tenant_id), f, meta::Page{.limit = 10});
    if (!devices) continue;  // the sandbox was deleted
    SandboxIds ids{a.tenant_id, a.enterprise_id, {}};
    for (const auto& d : devices->items)
      if (d.label == "simulated") ids.device_ids.push_back(d.id);
    KAIWU_TRY_STATUS(add(ids));
  }
  return ok();
}

std::size_t SandboxSimulator::sandboxes() const {
  std::lock_guard lock(mu_);
  return sandbox_count_;
}

void SandboxSimulator::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    tick(now_ms());
    lock.lock();
  }
}

void SandboxSimulator::tick(std::int64_t now) {
  std::vector<tsdb::Point> points;
  {
    std::lock_guard lock(mu_);
    for (auto& s : sims_) {
      if (leases_ && !leases_->held("sandbox|" + s->tenant_id)) continue;  // another node simulates it
      for (auto& [key, value] : s->step(now)) points.push_back({s->tenant_id, s->device_id, key, now, std::move(value)});
    }
  }
  if (points.empty()) return;
  if (auto st = telemetry_.write(points); !st) {
    errors_.inc();
    spdlog::warn("sandbox telemetry not written: {}", st.error().message);
    return;
  }
  samples_.inc(points.size());
  bus::publish_points(bus_, points);
}

void SandboxSimulator::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kaiwu::devportal
