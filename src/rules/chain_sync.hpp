// ChainSync: keeps a RuleEngine's chains equal to the enabled chains of a RuleChainStore that
// several nodes share (cluster mode, meta.backend = postgres). A chain created, changed, enabled,
// disabled or deleted through one node's API reaches the other nodes' engines within one period,
// which matters because the bus's rules group hands a device's messages to any node.
//
// Each pass lists the enabled chains (one query) and installs those whose (version, updated_ms)
// differ from what this node last installed, and removes those no longer listed. The first pass
// installs them all. A chain that no longer compiles is logged and left out. Runs on a thread of
// its own (store calls block); the destructor stops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "core/result.hpp"
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

 private:
  void run(std::chrono::milliseconds period);

  meta::RuleChainStore& store_;
  RuleEngine& engine_;
  // (tenant, chain id) → (version, updated_ms) installed by this object.
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> installed_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kaiwu::rules
