// ChainSync: a node's engine follows the enabled rule chains of a store another node writes.
#include <gtest/gtest.h>

#include <thread>

#include "meta/sqlite_store.hpp"
#include "rules/chain_sync.hpp"
#include "rules_test_util.hpp"

namespace kaiwu::rules {
namespace {

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r) << r.error().message;
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

constexpr const char* kAlarmAbove = R"({"nodes":[
  {"id":"hot","type":"threshold","params":{"key":"temp","high":%s,"hysteresis":1},"next":{"Raised":["a"]}},
  {"id":"a","type":"create_alarm","params":{"alarmType":"Hot","severity":"major"}}]})";

std::string alarm_above(int limit) {
  std::string text = kAlarmAbove;
  return text.replace(text.find("%s"), 2, std::to_string(limit));
}

class ChainSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = must(meta::SqliteStore::open(":memory:"));
    tenant = must(store->create_tenant(model::Tenant{"", "one", "", 0})).id;
  }
  model::RuleChain create(const std::string& definition, bool enabled = true) {
    model::RuleChain c;
    c.name = "hot-" + std::to_string(++chains);
    c.definition = definition;
    c.updated_by = "other-node";
    auto made = must(store->create_rule_chain(meta::Scope::tenant(tenant), c));
    if (enabled) made = must(store->set_rule_chain_enabled(meta::Scope::tenant(tenant), made.id, true));
    return made;
  }
  // Alarms one temperature raises through this node's engine.
  std::size_t alarms_for(double temp) {
    auto m = testing::telemetry("d1", ++ts, {{"temp", temp}});
    m.tenant_id = tenant;
    engine.process(m);
    std::size_t n = 0;
    for (const auto& a : actions.take()) n += a.kind == "raise_alarm";
    // Back below every limit so that the next call can raise again.
    auto low = testing::telemetry("d1", ++ts, {{"temp", -100.0}});
    low.tenant_id = tenant;
    engine.process(low);
    actions.take();
    return n;
  }

  std::unique_ptr<meta::SqliteStore> store;
  std::string tenant;
  RecordingActions actions;
  MetricsRegistry metrics;
  RuleEngine engine{actions, metrics, EngineOptions{0, 10, {}}};
  std::int64_t ts = 1000;
  int chains = 0;
};

TEST_F(ChainSyncTest, FollowsCreateUpdateDisableAndDelete) {
  ChainSync sync(*store, engine, std::chrono::milliseconds(0));
  EXPECT_EQ(must(sync.sync_once()), 0u);
  EXPECT_EQ(alarms_for(90), 0u);

  auto c = create(alarm_above(80));
  create(alarm_above(10), /*enabled=*/false);  // disabled chains stay out
  EXPECT_EQ(must(sync.sync_once()), 1u);
  EXPECT_EQ(engine.chain_count(), 1u);
  EXPECT_EQ(must(sync.sync_once()), 0u);  // nothing changed: nothing reinstalled
  EXPECT_EQ(alarms_for(90), 1u);
  EXPECT_EQ(alarms_for(70), 0u);

  c.definition = alarm_above(60);  // a new version written by another node
  must(store->update_rule_chain(meta::Scope::tenant(tenant), c));
  EXPECT_EQ(must(sync.sync_once()), 1u);
  EXPECT_EQ(alarms_for(70), 1u);

  must(store->set_rule_chain_enabled(meta::Scope::tenant(tenant), c.id, false));
  EXPECT_EQ(must(sync.sync_once()), 1u);
  EXPECT_EQ(engine.chain_count(), 0u);
  EXPECT_EQ(alarms_for(90), 0u);

  must(store->set_rule_chain_enabled(meta::Scope::tenant(tenant), c.id, true));
  EXPECT_EQ(must(sync.sync_once()), 1u);
  EXPECT_EQ(alarms_for(70), 1u);
  ASSERT_TRUE(store->delete_rule_chain(meta::Scope::tenant(tenant), c.id));
  EXPECT_EQ(must(sync.sync_once()), 1u);
  EXPECT_EQ(engine.chain_count(), 0u);
}

TEST_F(ChainSyncTest, ThreadPicksUpAChainWithinAPeriod) {
  ChainSync sync(*store, engine, std::chrono::milliseconds(20));
  create(alarm_above(80));
  for (int i = 0; i < 200 && engine.chain_count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(engine.chain_count(), 1u);
  EXPECT_EQ(alarms_for(90), 1u);
}

TEST_F(ChainSyncTest, APokeSyncsAtOnceLongBeforeThePeriod) {
  ChainSync sync(*store, engine, std::chrono::hours(1));  // the first pass runs at start
  for (int i = 0; i < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  create(alarm_above(80));
  EXPECT_EQ(engine.chain_count(), 0u);
  sync.poke();
  for (int i = 0; i < 200 && engine.chain_count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(engine.chain_count(), 1u);
}

TEST_F(ChainSyncTest, SignallingStoreSignalsEveryWriteAndNoRead) {
  int signals = 0;
  SignallingChainStore signalling(*store, [&] { ++signals; });
  const auto ts = meta::Scope::tenant(tenant);
  model::RuleChain c;
  c.name = "via-api";
  c.definition = alarm_above(80);
  c = must(signalling.create_rule_chain(ts, c));
  EXPECT_EQ(signals, 1);
  c.definition = alarm_above(60);
  must(signalling.update_rule_chain(ts, c));
  must(signalling.set_rule_chain_enabled(ts, c.id, true));
  EXPECT_EQ(signals, 3);
  must(signalling.get_rule_chain(ts, c.id, 0));
  must(signalling.list_rule_chains(ts, {}, meta::Page{}));
  must(signalling.list_rule_chain_versions(ts, c.id));
  must(signalling.list_enabled_rule_chains());
  EXPECT_EQ(signals, 3);
  EXPECT_FALSE(signalling.delete_rule_chain(meta::Scope::tenant("other"), c.id));  // refused: no signal
  EXPECT_EQ(signals, 3);
  ASSERT_TRUE(signalling.delete_rule_chain(ts, c.id));
  EXPECT_EQ(signals, 4);
}

}  // namespace
}  // namespace kaiwu::rules
