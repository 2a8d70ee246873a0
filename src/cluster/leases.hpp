// Leases in the NATS JetStream key-value bucket KAIWU_LEASES (core/leases.hpp): one key per lease
// name (base64url), value = the holder's node name. The bucket's TTL (MaxAge) is the lease time:
// an entry not rewritten within it disappears on the server, so a dead holder's leases free
// themselves. A keeper thread, every lease/3:
//   held     → kvStore_Update(key, node, last revision): renewed; a revision mismatch (someone
//              else wrote it) or an error → no longer held
//   wanted   → kvStore_Create(key, node): succeeds only when the key is absent (never written,
//              expired, or deleted) → held
//   released → kvStore_Delete (not wanted any more; all of them at stop(), so a graceful
//              shutdown hands over at once)
// held() is true only until (start of the last successful write) + lease − margin, so a node cut
// off from NATS stops before the server lets another node take the lease.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/leases.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace kaiwu::cluster {

struct LeaseOptions {
  std::string servers = "nats://127.0.0.1:4222";  // bus.nats_url
  std::string node_name;                          // bus.node_name; empty: hostname-pid
  int replicas = 1;                               // bucket replicas (bus.replicas)
  std::chrono::milliseconds lease{10'000};        // bus.lease_ms: the bucket's TTL
};

class NatsLeases final : public Leases {
 public:
  // Connects and opens (or creates) the bucket; kUnavailable when NATS does not answer.
  static Result<std::unique_ptr<NatsLeases>> connect(LeaseOptions options, MetricsRegistry& metrics);
  ~NatsLeases() override;  // releases what it holds

  void want(const std::string& user, std::vector<std::string> names) override;
  bool held(const std::string& name) const override;
  void stop();

  struct Impl;

 private:
  explicit NatsLeases(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::cluster
