// Developer sandboxes: each verified developer gets a tenant of their own with one enterprise
// and three simulated devices (a CNC machine, an energy meter, an environment sensor; sim/
// models) whose telemetry is written through the same path as HTTP telemetry (TelemetryStore
// write, then the bus), so rules, the live feed and APPs see it like any device's.
//
// One thread steps every simulated device each interval; bounded to kMaxSandboxes sandboxes.
// Cluster mode (set_leases): every node loads every sandbox, and each sandbox is stepped only on
// the node holding its lease "sandbox|<tenant id>" (core/leases.hpp), so its devices report once.
// Thread-safety: provision/add/stop from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/bus.hpp"
#include "core/leases.hpp"
#include "core/metrics.hpp"
#include "meta/developer_store.hpp"
#include "meta/store.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::devportal {

inline constexpr std::size_t kMaxSandboxes = 500;

struct SandboxIds {
  std::string tenant_id;
  std::string enterprise_id;
  std::vector<std::string> device_ids;
};

class SandboxSimulator {
 public:
  SandboxSimulator(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, bus::Bus* bus,
                   MetricsRegistry& metrics, std::chrono::milliseconds interval);
  ~SandboxSimulator();

  // Creates the sandbox tenant ("sandbox: <email>"), its enterprise and devices. Call inside the
  // caller's store transaction; add() the result once that commits.
  Result<SandboxIds> provision(const std::string& email, const std::string& organisation);
  // Starts simulating the sandbox's devices (kResourceExhausted past kMaxSandboxes).
  Status add(const SandboxIds& ids);
  // Simulates every verified developer's sandbox (at start-up).
  Status load(meta::DeveloperStore& developers);
  void stop();
  std::size_t sandboxes() const;
  // Cluster mode: step a sandbox only while holding its lease. Set before load() and add().
  void set_leases(Leases* leases) { leases_ = leases; }

 private:
  struct Sim;
  void run();
  void tick(std::int64_t now);

  meta::MetadataStore& store_;
  tsdb::TelemetryStore& telemetry_;
  bus::Bus* bus_;
  Counter& samples_;
  Counter& errors_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<Sim>> sims_;  // guarded by mu_
  std::size_t sandbox_count_ = 0;           // guarded by mu_
  std::vector<std::string> lease_names_;    // one per sandbox; guarded by mu_
  Leases* leases_ = nullptr;
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace kaiwu::devportal
