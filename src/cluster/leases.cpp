#include "cluster/leases.hpp"

#include <fmt/format.h>
#include <nats/nats.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/nats_servers.hpp"
#include "core/crypto.hpp"

namespace kaiwu::cluster {
namespace {

constexpr const char* kBucket = "KAIWU_LEASES";
using Clock = std::chrono::steady_clock;

std::unexpected<Error> nats_fail(natsStatus s, std::string_view what) {
  const char* detail = nats_GetLastError(nullptr);
  return fail(Errc::kUnavailable, fmt::format("leases: NATS {}: {}{}{}", what, natsStatus_GetText(s),
                                              detail && *detail ? ": " : "", detail ? detail : ""));
}

}  // namespace

struct NatsLeases::Impl {
  struct Lease {
    std::uint64_t revision = 0;       // of our last write; 0 = not held
    Clock::time_point valid_until{};  // held() until then
  };

  Impl(LeaseOptions o, MetricsRegistry& m)
      : options(std::move(o)),
        held_gauge(m.gauge("kaiwu_cluster_leases_held", "leases (APP schedules, sandboxes) this node holds")),
        takeovers(m.counter("kaiwu_cluster_lease_acquired_total", "leases this node acquired")) {}

  LeaseOptions options;
  natsConnection* conn = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  Gauge& held_gauge;
  Counter& takeovers;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::vector<std::string>> wanted;  // user → names; guarded by mu
  std::map<std::string, Lease> leases;                     // name → state; guarded by mu
  bool stopping = false;                                   // guarded by mu
  bool dirty = false;                                      // wanted changed; guarded by mu
  std::thread keeper;

  std::chrono::milliseconds margin() const { return std::max(options.lease / 5, std::chrono::milliseconds(200)); }
  void loop();
  void pass();
  void release_all();
};

void NatsLeases::Impl::pass() {
  std::set<std::string> want_now;
  std::map<std::string, Lease> current;
  {
    std::lock_guard lock(mu);
    for (const auto& [user, names] : wanted) want_now.insert(names.begin(), names.end());
    current = leases;
    dirty = false;
  }
  std::map<std::string, Lease> next;
  for (const auto& [name, lease] : current) {
    if (lease.revision == 0 || want_now.contains(name)) continue;
    kvStore_Delete(kv, crypto::base64url_encode(name).c_str());  // released: free at once
  }
  const auto& node = options.node_name;
  for (const auto& name : want_now) {
    const auto key = crypto::base64url_encode(name);
    const auto started = Clock::now();
    Lease l;
    auto it = current.find(name);
    std::uint64_t rev = 0;
    if (it != current.end() && it->second.revision != 0 && started < it->second.valid_until) {
      if (kvStore_Update(&rev, kv, key.c_str(), node.data(), static_cast<int>(node.size()), it->second.revision) ==
          NATS_OK)
        l = Lease{rev, started + options.lease - margin()};
      else
        spdlog::warn("leases: lost '{}' (renewal refused)", name);
    } else if (kvStore_Create(&rev, kv, key.c_str(), node.data(), static_cast<int>(node.size())) == NATS_OK) {
      l = Lease{rev, started + options.lease - margin()};
      takeovers.inc();
      spdlog::info("leases: {} acquired '{}'", node, name);
    }
    next.emplace(name, l);
  }
  std::size_t held = 0;
  for (const auto& [name, l] : next) held += l.revision != 0;
  held_gauge.set(static_cast<double>(held));
  std::lock_guard lock(mu);
  leases = std::move(next);
}

void NatsLeases::Impl::loop() {
  std::unique_lock lock(mu);
  while (!stopping) {
    lock.unlock();
    pass();
    lock.lock();
    cv.wait_for(lock, options.lease / 3, [&] { return stopping || dirty; });
  }
}

void NatsLeases::Impl::release_all() {
  std::map<std::string, Lease> held;
  {
    std::lock_guard lock(mu);
    held.swap(leases);
  }
  for (const auto& [name, l] : held)
    if (l.revision != 0) kvStore_Delete(kv, crypto::base64url_encode(name).c_str());
  held_gauge.set(0);
}

Result<std::unique_ptr<NatsLeases>> NatsLeases::connect(LeaseOptions options, MetricsRegistry& metrics) {
  if (options.node_name.empty()) {
    char host[128] = {};
    gethostname(host, sizeof host - 1);
    options.node_name = fmt::format("{}-{}", host, getpid());
  }
  auto impl = std::make_unique<Impl>(std::move(options), metrics);
  auto& o = impl->options;
  natsOptions* no = nullptr;
  natsStatus s = natsOptions_Create(&no);
  if (s == NATS_OK) s = set_nats_servers(no, o.servers);
  if (s == NATS_OK) s = natsOptions_SetName(no, (o.node_name + "-leases").c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(no, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(no, 100);
  if (s == NATS_OK) s = natsOptions_SetTimeout(no, 2'000);
  if (s == NATS_OK) s = natsConnection_Connect(&impl->conn, no);
  natsOptions_Destroy(no);
  if (s != NATS_OK) return nats_fail(s, "connect to " + o.servers);
  auto leases = std::unique_ptr<NatsLeases>(new NatsLeases(std::move(impl)));
  auto& i = *leases->impl_;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 2'000;
  s = natsConnection_JetStream(&i.js, i.conn, &jo);
  if (s != NATS_OK) return nats_fail(s, "JetStream context");
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = kBucket;
  cfg.History = 1;
  cfg.Replicas = o.replicas;
  cfg.StorageType = js_FileStorage;
  cfg.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(o.lease).count();  // the stream's MaxAge
  // A fresh JetStream cluster elects its meta leader for a few seconds: retry until then.
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while ((s = js_KeyValue(&i.kv, i.js, kBucket)) != NATS_OK && (s = js_CreateKeyValue(&i.kv, i.js, &cfg)) != NATS_OK) {
    if (Clock::now() > deadline) return nats_fail(s, fmt::format("key-value bucket {}", kBucket));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // The bucket decides: created earlier with another bus.lease_ms, its TTL is the lease time.
  kvStatus* status = nullptr;
  if (kvStore_Status(&status, i.kv) == NATS_OK) {
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(kvStatus_TTL(status)));
    kvStatus_Destroy(status);
    if (ttl.count() > 0 && ttl != o.lease) {
      spdlog::warn("leases: bucket {} has a TTL of {} ms (bus.lease_ms = {}): using the bucket's", kBucket,
                   ttl.count(), o.lease.count());
      o.lease = ttl;
    }
  }
  i.keeper = std::thread([&i] { i.loop(); });
  spdlog::info("leases: node {} in bucket {} ({} ms)", o.node_name, kBucket, o.lease.count());
  return leases;
}

NatsLeases::NatsLeases(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NatsLeases::~NatsLeases() {
  stop();
  kvStore_Destroy(impl_->kv);
  jsCtx_Destroy(impl_->js);
  natsConnection_Destroy(impl_->conn);
}

void NatsLeases::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->keeper.joinable()) impl_->keeper.join();
  if (impl_->kv) impl_->release_all();
}

void NatsLeases::want(const std::string& user, std::vector<std::string> names) {
  {
    std::lock_guard lock(impl_->mu);
    auto& slot = impl_->wanted[user];
    if (slot == names) return;
    slot = std::move(names);
    impl_->dirty = true;
  }
  impl_->cv.notify_all();
}

bool NatsLeases::held(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->leases.find(name);
  return it != impl_->leases.end() && it->second.revision != 0 && Clock::now() < it->second.valid_until;
}

}  // namespace kaiwu::cluster
