// The APP key-value store (kv_store.hpp) on PostgreSQL: the same statements as on SQLite (the
// host_data_test covers that path) against a throwaway server, with migration 10's PG twin.
// Skips with the reason when no PostgreSQL binaries are installed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "../meta/pg_server.hpp"
#include "apps/kv_store.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;

TEST(KvStorePostgres, SameBehaviourAsSqlite) {
  std::string why;
  auto server = meta::testing::PgServer::start(&why);
  if (!server) GTEST_SKIP() << "PostgreSQL not available: " << why;
  const auto conninfo = server->conninfo();
  auto store = must(meta::PgStore::open(conninfo, 2));  // migrates, app_kv included
  const auto tenant = must(store->create_tenant(model::Tenant{"", "t", "", 0})).id;
  const auto ts = meta::Scope::tenant(tenant);
  const auto ent_a = must(store->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
  const auto ent_b = must(store->create_enterprise(ts, model::Enterprise{.name = "b"})).id;
  auto db = must(meta::pg::Db::open(conninfo, 2));
  auto kv = make_sql_kv_store([&db](const std::function<Status(meta::sql::Db&)>& fn) {
    return db->transaction([&] { return fn(*db); });
  });
  const KvNamespace a{tenant, ent_a, "energy"};
  const KvNamespace b{tenant, ent_b, "energy"};
  ASSERT_TRUE(kv->put(a, "tariff/peak", "1.2"));
  ASSERT_TRUE(kv->put(a, "tariff/valley", "0.35"));
  ASSERT_TRUE(kv->put(a, "能耗/一月", R"({"kwh":12})"));
  ASSERT_TRUE(kv->put(a, "tariff/peak", "1.25"));  // replaces
  EXPECT_EQ(must(kv->get(a, "tariff/peak")), std::optional<std::string>("1.25"));
  EXPECT_EQ(must(kv->get(b, "tariff/peak")), std::nullopt);
  auto listed = must(kv->list(a, "tariff/", 10));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "tariff/peak");
  EXPECT_EQ(listed[1].key, "tariff/valley");
  auto unicode = must(kv->list(a, "能耗/", 10));
  ASSERT_EQ(unicode.size(), 1u);
  EXPECT_EQ(unicode[0].value_json, R"({"kwh":12})");
  EXPECT_EQ(must(kv->list(a, "", 2)).size(), 2u);
  EXPECT_TRUE(must(kv->list(b, "", 10)).empty());
  EXPECT_TRUE(must(kv->remove(a, "tariff/valley")));
  EXPECT_FALSE(must(kv->remove(a, "tariff/valley")));
  EXPECT_EQ(kv->put(a, std::string(201, 'k'), "1").error().code, Errc::kInvalidArgument);
  // The quota: 10,000 keys (filled in one transaction), then a clear refusal.
  ASSERT_TRUE(db->transaction([&]() -> Status {
    for (int i = 2; i < 10'000; ++i)
      KAIWU_TRY(db->run(meta::sql::Query("INSERT INTO app_kv VALUES (?, ?, ?, ?, '1', 0)",
                                         {tenant, ent_a, std::string("energy"), fmt::format("k{:05}", i)})));
    return ok();
  }));
  auto full = kv->put(a, "one-more", "1");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::kResourceExhausted);
  EXPECT_TRUE(kv->put(a, "tariff/peak", "1.3"));  // replacing still works
  EXPECT_TRUE(kv->put(b, "one-more", "1"));
  // The data goes with its enterprise.
  ASSERT_TRUE(store->delete_enterprise(ts, ent_b));
  EXPECT_EQ(must(db->scalar(meta::sql::Query("SELECT COUNT(*) FROM app_kv WHERE enterprise_id = ?", {ent_b}))), 0);
}

}  // namespace
}  // namespace kaiwu::apps
