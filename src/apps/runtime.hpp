// AppRuntime: runs APP functions for the enterprises that subscribed, in the rules Lua sandbox,
// with only the host API their manifest's permissions allow, on only that enterprise's data.
//
// Threads: `workers` threads, each with its own rules::Sandbox, take runs from one bounded queue
// (full → kResourceExhausted). invoke() blocks its caller until the run ends (HTTP handler
// pool, never an io_context thread); submit() never blocks. tick() only reads memory and
// queues: the serve loop calls it from an asio timer. Bus messages are handled on the
// subscription's own thread (device lookups may block there).
//
// Every run, whatever started it: a run record in the persistent run log (run_log.hpp, written in
// batches off the run's thread; retention in store.hpp), a metering::Record of kind kAppCall, and
// on a per_call plan one counted call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/manifest.hpp"
#include "apps/run_log.hpp"
#include "apps/store.hpp"
#include "bus/bus.hpp"
#include "core/leases.hpp"
#include "meta/store.hpp"
#include "metering/meter.hpp"
#include "model/alarm.hpp"
#include "rules/sandbox.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::models {
class ModelService;
}

namespace kaiwu::apps {

class AppFiles;
struct CheckedPackage;
class KvStore;

// Side effects and services that belong to other modules; empty functions and null pointers make
// those host calls fail with kUnavailable.
struct RuntimeHooks {
  std::function<Status(const meta::Scope&, const model::Alarm&)> raise_alarm;
  std::function<Result<std::string>(const model::Device&, const std::string& method, const std::string& params_json,
                                    std::chrono::milliseconds timeout)>
      call_rpc;
  KvStore* kv = nullptr;                    // kaiwu.store.*
  models::ModelService* models = nullptr;  // kaiwu.models.invoke (metered as model calls)
  AppFiles* files = nullptr;               // kaiwu.files.xlsx
  bool http_outbound = false;              // kaiwu.http.request allowed at all (apps.http_outbound)
  // Cluster mode: a schedule trigger fires only on the node holding the lease of its (APP,
  // enterprise) (core/leases.hpp); null = every schedule fires here (embedded mode).
  Leases* leases = nullptr;
};

struct RuntimeOptions {
  rules::SandboxLimits limits{.instructions = 20'000'000,
                              .memory_bytes = 16u << 20,
                              .wall_time = std::chrono::milliseconds(2000)};
  std::size_t workers = 2;
  std::size_t queue_capacity = 1024;
  RunLogOptions run_log;
  std::size_t log_lines_per_run = 50;  // kaiwu.log lines kept per run
};

struct Invocation {
  std::string app_id;
  std::string function;
  std::string input_json = "{}";
  std::string tenant_id;
  std::string enterprise_id;
  std::string trigger = "http";  // http | schedule | telemetry | alarm
  std::string actor;             // user, API key, or "trigger:<kind>"
};

struct RunResult {
  RunRecord record;
  std::string result_json;  // the function's return value (when record.ok)
};

class AppRuntime {
 public:
  AppRuntime(meta::MetadataStore& meta, tsdb::TelemetryStore& telemetry, AppStore& store, metering::Meter& meter,
             RuntimeHooks hooks, RuntimeOptions options = {});
  ~AppRuntime();
  AppRuntime(const AppRuntime&) = delete;
  AppRuntime& operator=(const AppRuntime&) = delete;

  // Runs a function for a subscribed enterprise and waits for it. kNotFound "app X not found"
  // when the enterprise has no subscription (so other tenants learn nothing), kNotFound for an
  // unknown function. A run that fails is a RunResult with record.ok false, except a host call
  // refused for a missing permission: kPermissionDenied with the script's message.
  Result<RunResult> invoke(const Invocation& inv);
  // From the runtime's verified, cached view (no database read): kNotFound "app X not found"
  // unless the enterprise of that tenant subscribed to a listed APP; with fn, also unless an
  // http trigger names fn ("app X has no HTTP-callable function 'fn'").
  Status check_subscribed(const std::string& app_id, const std::string& tenant_id, const std::string& enterprise_id,
                          const std::string& http_fn = {}) const;
  // Queues a run (triggers). False when the queue is full (the run is dropped and counted).
  bool submit(Invocation inv);

  // Re-reads subscriptions and listed versions (after subscribe, unsubscribe, review), checks
  // each listed package once (content, and the signature with the verifier when one is set) and
  // caches the result: invocations use that view and never re-read or re-check a package.
  Status reload();
  // Checks a package's signature (Marketplace::verify); set before the first reload.
  void set_verifier(std::function<Result<std::string>(const CheckedPackage&)> verifier);
  // Queues every schedule trigger that is due at now_ms (with hooks.leases: only those of the
  // (APP, enterprise) leases held here; the others only advance).
  void tick(std::int64_t now_ms);
  // Starts feeding telemetry and alarm triggers from the bus (until stop()).
  void attach(bus::Bus& bus);
  // Stops the bus feed, lets queued runs finish, joins the workers.
  void stop();

  // The run log, newest first (this node's queued runs are written first). Blocks on the store.
  Result<RunPage> runs(const RunQuery& q);
  std::uint64_t dropped() const;

  struct Active;  // a subscription with its APP's manifest and code (runtime.cpp)
  struct Job;

 private:
  void work();
  void execute(rules::Sandbox& sandbox, Job& job);
  Result<RunResult> run_now(rules::Sandbox& sandbox, const Invocation& inv);
  std::shared_ptr<const Active> find_active(const std::string& app_id, const std::string& enterprise_id) const;
  void on_message(const bus::MessagePtr& m);

  meta::MetadataStore& meta_;
  tsdb::TelemetryStore& telemetry_;
  AppStore& store_;
  metering::Meter& meter_;
  RuntimeHooks hooks_;
  RuntimeOptions options_;
  std::function<Result<std::string>(const CheckedPackage&)> verifier_;  // set before use; guarded by reload_mu_

  std::mutex reload_mu_;  // one reload at a time, so an older view never replaces a newer one
  mutable std::mutex active_mu_;
  std::vector<std::shared_ptr<const Active>> active_;  // guarded by active_mu_
  std::map<std::string, std::int64_t> next_due_;       // "app|enterprise|trigger" → ms; guarded by active_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by queue_mu_
  bool stopping_ = false;                   // guarded by queue_mu_
  std::uint64_t dropped_ = 0;               // guarded by queue_mu_
  std::vector<std::thread> workers_;

  RunLog run_log_;

  std::unique_ptr<bus::Subscription> feed_;
  bus::Bus* bus_ = nullptr;  // set by attach(): APP telemetry writes are published on it

  // One telemetry.write of an APP (one device), published on the bus as one message; the APP's
  // own telemetry triggers skip that message.
  void publish_own(std::vector<tsdb::Point>& points, const std::string& app_id);
  std::mutex own_mu_;
  std::map<std::string, std::string> own_writes_;  // message fingerprint → writing APP; guarded by own_mu_
  std::deque<std::string> own_order_;              // oldest first, bounded; guarded by own_mu_
};

}  // namespace kaiwu::apps
