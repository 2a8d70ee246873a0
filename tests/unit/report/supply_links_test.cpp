// SupplyLinkStore on both backends (SQLite in memory, PostgreSQL in a fresh schema of a
// throwaway server; skipped with the reason when PostgreSQL is not installed).
#include "report/supply_links.hpp"

#include <gtest/gtest.h>

#include "meta/pg_store.hpp"
#include "meta/sqlite_store.hpp"
#include "pg_shared.hpp"

namespace kaiwu::report {
namespace {

using meta::testing::SqlBackend;

class SupplyLinkStoreTest : public ::testing::TestWithParam<SqlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      std::string why;
      auto conninfo = meta::testing::pg_fresh_schema(&why);
      if (conninfo.empty()) GTEST_SKIP() << why;
      auto s = meta::PgStore::open(conninfo, 2);
      ASSERT_TRUE(s) << s.error().message;
      store_ = std::move(*s);
    } else {
      auto s = meta::SqliteStore::open(":memory:");
      ASSERT_TRUE(s) << s.error().message;
      store_ = std::move(*s);
    }
    links_ = std::make_unique<SupplyLinkStore>(*store_);
    t1_ = tenant("t-one");
    t2_ = tenant("t-two");
    a_ = enterprise(t1_, "甲机械", "机械");
    b_ = enterprise(t1_, "乙电子", "电子");
    c_ = enterprise(t1_, "丙热电", "热力和燃气");
    x_ = enterprise(t2_, "外租户企业", "电子");
  }
  std::string tenant(const std::string& name) {
    model::Tenant t;
    t.name = name;
    auto r = store_->create_tenant(t);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : "";
  }
  std::string enterprise(const std::string& tenant, const std::string& name, const std::string& industry) {
    model::Enterprise e;
    e.tenant_id = tenant;
    e.name = name;
    e.industry = industry;
    auto r = store_->create_enterprise(meta::Scope::tenant(tenant), e);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : "";
  }
  Result<SupplyLink> link(const std::string& tenant, const std::string& s, const std::string& c,
                          const std::string& material = "钢材") {
    return links_->create({{}, tenant, s, c, material, 0});
  }
  std::unique_ptr<meta::SqlStore> store_;
  std::unique_ptr<SupplyLinkStore> links_;
  std::string t1_, t2_, a_, b_, c_, x_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SupplyLinkStoreTest, meta::testing::both_backends(), meta::testing::backend_name);

TEST_P(SupplyLinkStoreTest, CreateGetListUpdateDelete) {
  auto l = link(t1_, a_, b_);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->id.size(), 20u);
  EXPECT_GT(l->created_ms, 0);
  auto got = links_->get(t1_, l->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->supplier_enterprise_id, a_);
  EXPECT_EQ(got->customer_enterprise_id, b_);
  EXPECT_EQ(got->material, "钢材");
  ASSERT_TRUE(link(t1_, b_, c_, ""));
  auto list = links_->list(t1_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, l->id);  // oldest first
  auto changed = links_->set_material(t1_, l->id, "铸件");
  ASSERT_TRUE(changed);
  EXPECT_EQ(links_->get(t1_, l->id)->material, "铸件");
  ASSERT_TRUE(links_->remove(t1_, l->id));
  EXPECT_EQ(links_->get(t1_, l->id).error().code, Errc::kNotFound);
  EXPECT_EQ(links_->remove(t1_, l->id).error().code, Errc::kNotFound);
  EXPECT_EQ(links_->list(t1_)->size(), 1u);
}

TEST_P(SupplyLinkStoreTest, RefusesSelfLinksAndDuplicates) {
  auto self = link(t1_, a_, a_);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, Errc::kInvalidArgument);
  EXPECT_NE(self.error().message.find("customerEnterpriseId"), std::string::npos);
  ASSERT_TRUE(link(t1_, a_, b_));
  auto dup = link(t1_, a_, b_);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists);
  EXPECT_TRUE(link(t1_, a_, b_, "铸件"));  // another material is another link
  EXPECT_TRUE(link(t1_, b_, a_));          // and the other direction too
  auto other = link(t1_, a_, c_, "铸件");
  ASSERT_TRUE(other);
  EXPECT_EQ(links_->set_material(t1_, other->id, "钢材")->material, "钢材");
  auto clash = link(t1_, a_, c_, "铸件");
  ASSERT_TRUE(clash);
  EXPECT_EQ(links_->set_material(t1_, clash->id, "钢材").error().code, Errc::kAlreadyExists);
}

TEST_P(SupplyLinkStoreTest, TenantsAreSeparate) {
  // The database refuses an end of another tenant (composite foreign key), whatever the caller checked.
  EXPECT_FALSE(link(t1_, a_, x_));
  EXPECT_FALSE(link(t2_, a_, x_));
  auto l = link(t1_, a_, b_);
  ASSERT_TRUE(l);
  EXPECT_EQ(links_->get(t2_, l->id).error().code, Errc::kNotFound);
  EXPECT_EQ(links_->remove(t2_, l->id).error().code, Errc::kNotFound);
  EXPECT_TRUE(links_->list(t2_)->empty());
  EXPECT_EQ(links_->list("")->size(), 1u);  // platform-wide
  EXPECT_TRUE(links_->get("", l->id));
}

TEST_P(SupplyLinkStoreTest, LinksGoWithTheirEnterprise) {
  ASSERT_TRUE(link(t1_, a_, b_));
  ASSERT_TRUE(link(t1_, c_, a_));
  ASSERT_TRUE(link(t1_, b_, c_));
  ASSERT_TRUE(store_->delete_enterprise(meta::Scope::tenant(t1_), a_));
  auto list = links_->list(t1_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].supplier_enterprise_id, b_);
}

TEST_P(SupplyLinkStoreTest, DemoSeedLinksTypicalIndustryPairsOnce) {
  // a 机械, b 电子, c 热力和燃气: c → a steam, c → b steam, b → a controllers.
  ASSERT_TRUE(seed_demo_supply_links(*store_, t1_));
  auto list = links_->list(t1_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(((*list)[0].supplier_enterprise_id == c_) + ((*list)[1].supplier_enterprise_id == c_), 2);
  EXPECT_EQ((*list)[0].customer_enterprise_id, a_);
  EXPECT_EQ((*list)[0].material, "蒸汽");
  EXPECT_EQ((*list)[1].customer_enterprise_id, b_);
  EXPECT_EQ((*list)[2].supplier_enterprise_id, b_);
  EXPECT_EQ((*list)[2].customer_enterprise_id, a_);
  EXPECT_EQ((*list)[2].material, "控制器");
  ASSERT_TRUE(seed_demo_supply_links(*store_, t1_));  // a second start adds nothing
  EXPECT_EQ(links_->list(t1_)->size(), 3u);
  ASSERT_TRUE(seed_demo_supply_links(*store_, t2_));  // one enterprise: no links
  EXPECT_TRUE(links_->list(t2_)->empty());
}

}  // namespace
}  // namespace kaiwu::report
