// ChainSync: keeps a RuleEngine's chains equal to the enabled chains of a RuleChainStore that
// several nodes share (cluster mode, meta.backend = postgres). A chain created, changed, enabled,
// disabled or deleted through one node's API reaches the other nodes' engines within one period,
// which matters because the bus's rules group hands a device's messages to any node.
// The node that changed a chain signals the others (cluster/signals.hpp, subject
// kaiwu.signal.rulechains), whose poke() runs a pass at once; the period is only the safety net
// for a lost signal (NATS core is at most once) and is long (30 s in kaiwu serve).
//
// Each pass lists the enabled chains (one query) and installs those whose (version, updated_ms)
// differ from what this node last installed, and removes those no longer listed. The first pass
// installs them all. A chain that no longer compiles is logged and left out. Runs on a thread of
// its own (store calls block); the destructor stops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "core/result.hpp"
#include "core/wake_loop.hpp"
#include "meta/store.hpp"
#include "rules/engine.hpp"

namespace kaiwu::rules {

class ChainSync {
 public:
  // period 0: no thread; call sync_once() yourself (tests).
  ChainSync(meta::RuleChainStore& store, RuleEngine& engine, std::chrono::milliseconds period);
  ~ChainSync();
  ChainSync(const ChainSync&) = delete;
  ChainSync& operator=(const ChainSync&) = delete;

  // One pass; returns how many chains it installed or removed.
  Result<std::size_t> sync_once();
  // Runs a pass on the thread now (another node changed a chain). Never blocks.
  void poke();

 private:
  meta::RuleChainStore& store_;
  RuleEngine& engine_;
  // (tenant, chain id) → (version, updated_ms) installed by this object.
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> installed_;
  std::unique_ptr<WakeLoop> loop_;  // last: stopped before the members its passes use
};

// The store as this node's API writes it: every successful create, update, enable/disable or
// delete calls `changed` (kaiwu serve: the signal to the other nodes). Reads pass through.
class SignallingChainStore final : public meta::RuleChainStore {
 public:
  SignallingChainStore(meta::RuleChainStore& inner, std::function<void()> changed)
      : inner_(inner), changed_(std::move(changed)) {}
  Result<model::RuleChain> create_rule_chain(const meta::Scope& s, const model::RuleChain& c) override;
  Result<model::RuleChain> get_rule_chain(const meta::Scope& s, const std::string& id, std::int64_t version) override;
  Result<meta::PageOf<model::RuleChain>> list_rule_chains(const meta::Scope& s, const meta::RuleChainFilter& f,
                                                          const meta::Page& p) override;
  Result<std::vector<model::RuleChain>> list_rule_chain_versions(const meta::Scope& s, const std::string& id) override;
  Result<model::RuleChain> update_rule_chain(const meta::Scope& s, const model::RuleChain& c) override;
  Result<model::RuleChain> set_rule_chain_enabled(const meta::Scope& s, const std::string& id, bool enabled) override;
  Status delete_rule_chain(const meta::Scope& s, const std::string& id) override;
  Result<std::vector<model::RuleChain>> list_enabled_rule_chains() override;

 private:
  template <typename R>
  R signal_if_ok(R r) {
    if (r) changed_();
    return r;
  }
  meta::RuleChainStore& inner_;
  std::function<void()> changed_;
};

}  // namespace kaiwu::rules
