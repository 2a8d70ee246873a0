// Rule chains in the SQLite metadata store: versions, enable/disable, tenant isolation.
#include <gtest/gtest.h>

#include "meta/sqlite_store.hpp"
#include "rules/device_directory.hpp"

namespace kaiwu::meta {

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r) << r.error().message;
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

namespace {

class RuleChainStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = must(SqliteStore::open(":memory:"));
    t1 = must(store->create_tenant(model::Tenant{"", "one", "", 0})).id;
    t2 = must(store->create_tenant(model::Tenant{"", "two", "", 0})).id;
  }
  model::RuleChain chain(const std::string& name, const std::string& def = R"({"nodes":[]})") {
    model::RuleChain c;
    c.name = name;
    c.description = "d";
    c.definition = def;
    c.updated_by = "alice";
    return c;
  }
  std::unique_ptr<SqliteStore> store;
  std::string t1, t2;
};

TEST_F(RuleChainStoreTest, CreateUpdateKeepsVersions) {
  auto c = must(store->create_rule_chain(Scope::tenant(t1), chain("alarms", "v1")));
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.tenant_id, t1);
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.definition, "v1");
  EXPECT_EQ(c.updated_by, "alice");

  auto next = c;
  next.definition = "v2";
  next.name = "alarms-2";
  next.updated_by = "bob";
  auto u = must(store->update_rule_chain(Scope::tenant(t1), next));
  EXPECT_EQ(u.version, 2);
  EXPECT_EQ(u.definition, "v2");
  EXPECT_EQ(u.name, "alarms-2");
  EXPECT_EQ(u.updated_by, "bob");
  EXPECT_EQ(u.created_ms, c.created_ms);

  EXPECT_EQ(must(store->get_rule_chain(Scope::tenant(t1), c.id)).definition, "v2");
  auto old = must(store->get_rule_chain(Scope::tenant(t1), c.id, 1));
  EXPECT_EQ(old.definition, "v1");
  EXPECT_EQ(old.version, 1);
  EXPECT_EQ(old.updated_by, "alice");
  auto missing = store->get_rule_chain(Scope::tenant(t1), c.id, 3);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find("no version 3"), std::string::npos);

  auto versions = must(store->list_rule_chain_versions(Scope::tenant(t1), c.id));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, 2);
  EXPECT_EQ(versions[1].definition, "v1");
}

TEST_F(RuleChainStoreTest, EnableListAndDelete) {
  auto a = must(store->create_rule_chain(Scope::tenant(t1), chain("a")));
  auto b = must(store->create_rule_chain(Scope::tenant(t1), chain("b")));
  auto c = must(store->create_rule_chain(Scope::tenant(t2), chain("a")));  // same name, other tenant
  EXPECT_TRUE(must(store->set_rule_chain_enabled(Scope::tenant(t1), a.id, true)).enabled);
  must(store->set_rule_chain_enabled(Scope::tenant(t2), c.id, true));

  auto enabled = must(store->list_enabled_rule_chains());
  ASSERT_EQ(enabled.size(), 2u);
  auto page = must(store->list_rule_chains(Scope::tenant(t1), RuleChainFilter{"", true}, Page{}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, a.id);
  page = must(store->list_rule_chains(Scope::tenant(t1), RuleChainFilter{}, Page{1, "", 0}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.next, a.id);
  page = must(store->list_rule_chains(Scope::tenant(t1), RuleChainFilter{}, Page{1, page.next, 0}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, b.id);
  EXPECT_EQ(must(store->list_rule_chains(Scope::platform(), RuleChainFilter{"a", {}}, Page{})).items.size(), 2u);

  auto dup = store->create_rule_chain(Scope::tenant(t1), chain("a"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists);
  EXPECT_EQ(dup.error().message.rfind("rule chain name already exists in this tenant", 0), 0u)
      << dup.error().message;

  ASSERT_TRUE(store->delete_rule_chain(Scope::tenant(t1), a.id));
  EXPECT_EQ(store->get_rule_chain(Scope::tenant(t1), a.id).error().code, Errc::kNotFound);
  EXPECT_EQ(must(store->list_enabled_rule_chains()).size(), 1u);
}

TEST_F(RuleChainStoreTest, OtherTenantsSeeNothing) {
  auto a = must(store->create_rule_chain(Scope::tenant(t1), chain("a")));
  const Scope other = Scope::tenant(t2);
  EXPECT_EQ(store->get_rule_chain(other, a.id).error().code, Errc::kNotFound);
  EXPECT_EQ(store->get_rule_chain(other, a.id, 1).error().code, Errc::kNotFound);
  EXPECT_EQ(store->list_rule_chain_versions(other, a.id).error().code, Errc::kNotFound);
  auto upd = a;
  upd.definition = "evil";
  EXPECT_EQ(store->update_rule_chain(other, upd).error().code, Errc::kNotFound);
  EXPECT_EQ(store->set_rule_chain_enabled(other, a.id, true).error().code, Errc::kNotFound);
  EXPECT_EQ(store->delete_rule_chain(other, a.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(must(store->list_rule_chains(other, {}, Page{})).items.empty());
  // A create naming another tenant than the scope's is refused.
  auto cross = chain("x");
  cross.tenant_id = t1;
  EXPECT_EQ(store->create_rule_chain(other, cross).error().code, Errc::kNotFound);
  EXPECT_EQ(must(store->get_rule_chain(Scope::tenant(t1), a.id)).definition, R"({"nodes":[]})");
}

}  // namespace
}  // namespace kaiwu::meta

namespace kaiwu::rules {
namespace {

TEST(DeviceDirectory, FillsNameAndProfileWithinTheTenantOnly) {
  auto store = meta::must(meta::SqliteStore::open(":memory:"));
  const auto t1 = meta::must(store->create_tenant(model::Tenant{"", "one", "", 0})).id;
  const auto t2 = meta::must(store->create_tenant(model::Tenant{"", "two", "", 0})).id;
  const meta::Scope s = meta::Scope::tenant(t1);
  const auto ent = meta::must(store->create_enterprise(s, model::Enterprise{.name = "e"}));
  model::DeviceProfile p;
  p.name = "boilers";
  p.thing_model = "{}";
  const auto prof = meta::must(store->create_profile(s, p));
  model::Device d;
  d.enterprise_id = ent.id;
  d.profile_id = prof.id;
  d.name = "boiler-1";
  const auto dev = meta::must(store->create_device(s, d));

  DeviceDirectory dir(*store, 2, std::chrono::hours(1));
  Message m;
  m.tenant_id = t1;
  m.device_id = dev.id;
  ASSERT_TRUE(dir.resolve(m));
  EXPECT_EQ(m.device_name, "boiler-1");
  EXPECT_EQ(m.profile_id, prof.id);
  Message foreign = m;
  foreign.tenant_id = t2;
  foreign.device_name.clear();
  EXPECT_FALSE(dir.resolve(foreign));
  EXPECT_TRUE(foreign.device_name.empty());
  Message unknown = m;
  unknown.device_id = "nope";
  EXPECT_FALSE(dir.resolve(unknown));
  // Served from the cache while it is fresh: a rename shows only after the ttl.
  auto renamed = dev;
  renamed.name = "boiler-renamed";
  meta::must(store->update_device(s, renamed));
  Message again;
  again.tenant_id = t1;
  again.device_id = dev.id;
  ASSERT_TRUE(dir.resolve(again));
  EXPECT_EQ(again.device_name, "boiler-1");
  DeviceDirectory fresh(*store, 2, std::chrono::milliseconds(0));
  ASSERT_TRUE(fresh.resolve(again));
  EXPECT_EQ(again.device_name, "boiler-renamed");
}

}  // namespace
}  // namespace kaiwu::rules
