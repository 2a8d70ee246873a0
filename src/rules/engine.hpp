// RuleEngine: runs every enabled chain of a message's tenant on each message, on its own worker
// threads (each with its own Lua sandbox), never on the caller's thread.
//
// Queues: one bounded queue per worker; a device always maps to the same worker, so its
// messages are processed in order and per-device node state sees them in order. submit() never
// blocks: when the queue is full the message is dropped and counted
// (kaiwu_rules_dropped_total). tick() queues a timer pass (offline detection) on worker 0.
//
// Metrics: kaiwu_rules_messages_total, kaiwu_rules_dropped_total, kaiwu_rules_node_failures_total,
// kaiwu_rules_queued (gauge), kaiwu_rules_chains (gauge).
//
// Thread-safe. Chains are swapped atomically (set_chain/remove_chain) while workers run: a
// message in flight finishes on the chain it started with.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "rules/actions.hpp"
#include "rules/chain.hpp"
#include "rules/message.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu::rules {

struct EngineOptions {
  unsigned workers = 2;                 // 0: submit() runs inline (tests, benchmarks)
  std::size_t queue_capacity = 10'000;  // per worker
  SandboxLimits limits;
  // Runs on the worker before the chains (e.g. DeviceDirectory::resolve filling the device name
  // and profile); false drops the message.
  std::function<bool(Message&)> prepare;
};

class RuleEngine {
 public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch

  RuleEngine(Actions& actions, MetricsRegistry& metrics, EngineOptions options = {}, Clock clock = {});
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  // Installs (or replaces) an enabled chain of a tenant; nullptr removes it.
  void set_chain(const std::string& tenant, const std::string& chain_id, std::shared_ptr<Chain> chain);
  void remove_chain(const std::string& tenant, const std::string& chain_id);
  std::size_t chain_count() const;

  // Queues msg for its tenant's chains. False when the queue was full (dropped, counted) or the
  // engine is stopped.
  bool submit(Message msg);
  // Queues a timer pass over every chain (offline detection).
  void tick();

  // Runs msg (or a timer pass) through the tenant's chains on the calling thread.
  void process(const Message& msg);
  void process_tick();

  // Finishes queued work and joins the workers. Later submits are dropped.
  void stop();

  struct Stats {
    std::uint64_t processed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t failures = 0;
    std::size_t queued = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::rules
