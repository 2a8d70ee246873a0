#include "rules/chain_sync.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "rules/chain.hpp"

namespace kaiwu::rules {

ChainSync::ChainSync(meta::RuleChainStore& store, RuleEngine& engine, std::chrono::milliseconds period)
    : store_(store), engine_(engine) {
  if (period.count() > 0)
    loop_ = std::make_unique<WakeLoop>(period, [this] {
      if (auto done = sync_once(); !done) spdlog::warn("rule chain sync: {}", done.error().message);
    });
}

ChainSync::~ChainSync() = default;

void ChainSync::poke() {
  if (loop_) loop_->poke();
}

Result<std::size_t> ChainSync::sync_once() {
  auto enabled = KAIWU_TRY(store_.list_enabled_rule_chains());
  std::size_t changes = 0;
  std::set<std::pair<std::string, std::string>> listed;
  for (const auto& c : enabled) {
    auto key = std::make_pair(c.tenant_id, c.id);
    listed.insert(key);
    auto stamp = std::make_pair(c.version, c.updated_ms);
    auto it = installed_.find(key);
    if (it != installed_.end() && it->second == stamp) continue;
    auto compiled = compile_chain(c.definition);
    if (!compiled) {
      spdlog::error("rule chain {} ({}) v{} does not compile: {}", c.id, c.name, c.version,
                    compiled.error().message);
      engine_.remove_chain(c.tenant_id, c.id);
    } else {
      engine_.set_chain(c.tenant_id, c.id, std::move(*compiled));
    }
    installed_[key] = stamp;
    ++changes;
  }
  for (auto it = installed_.begin(); it != installed_.end();) {
    if (listed.contains(it->first)) {
      ++it;
      continue;
    }
    engine_.remove_chain(it->first.first, it->first.second);
    it = installed_.erase(it);
    ++changes;
  }
  return changes;
}

Result<model::RuleChain> SignallingChainStore::create_rule_chain(const meta::Scope& s, const model::RuleChain& c) {
  return signal_if_ok(inner_.create_rule_chain(s, c));
}
Result<model::RuleChain> SignallingChainStore::get_rule_chain(const meta::Scope& s, const std::string& id,
                                                              std::int64_t version) {
  return inner_.get_rule_chain(s, id, version);
}
Result<meta::PageOf<model::RuleChain>> SignallingChainStore::list_rule_chains(const meta::Scope& s,
                                                                              const meta::RuleChainFilter& f,
                                                                              const meta::Page& p) {
  return inner_.list_rule_chains(s, f, p);
}
Result<std::vector<model::RuleChain>> SignallingChainStore::list_rule_chain_versions(const meta::Scope& s,
                                                                                     const std::string& id) {
  return inner_.list_rule_chain_versions(s, id);
}
Result<model::RuleChain> SignallingChainStore::update_rule_chain(const meta::Scope& s, const model::RuleChain& c) {
  return signal_if_ok(inner_.update_rule_chain(s, c));
}
Result<model::RuleChain> SignallingChainStore::set_rule_chain_enabled(const meta::Scope& s, const std::string& id,
                                                                      bool enabled) {
  return signal_if_ok(inner_.set_rule_chain_enabled(s, id, enabled));
}
Status SignallingChainStore::delete_rule_chain(const meta::Scope& s, const std::string& id) {
  return signal_if_ok(inner_.delete_rule_chain(s, id));
}
Result<std::vector<model::RuleChain>> SignallingChainStore::list_enabled_rule_chains() {
  return inner_.list_enabled_rule_chains();
}

}  // namespace kaiwu::rules
