// PgStore: runs the conformance suite against a real PostgreSQL server that this binary starts
// (pg_server.hpp), each test in a fresh schema, and tests what only PostgreSQL has (concurrent
// migration by several nodes, the pool under many threads, SQLSTATE mapping, reconnection).
// Skips with the reason when no PostgreSQL binaries are installed.
#include "meta/pg_store.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "meta/pg_db.hpp"
#include "meta/pg_schema.hpp"
#include "pg_server.hpp"
#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

// The server shared by every test of this binary (started once, stopped at exit).
class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { server_ = PgServer::start(&why_); }
  void TearDown() override { server_.reset(); }

  static PgEnvironment* instance;
  PgServer* server() const { return server_.get(); }
  const std::string& why() const { return why_; }

 private:
  std::unique_ptr<PgServer> server_;
  std::string why_;
};
PgEnvironment* PgEnvironment::instance = nullptr;

const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(
    PgEnvironment::instance = new PgEnvironment());  // NOLINT: gtest owns it

std::string unavailable() {
  if (PgEnvironment::instance->server() != nullptr) return {};
  return "PostgreSQL not available: " + PgEnvironment::instance->why();
}

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

// Runs statements as the superuser on the test server; throws on failure.
void admin(const std::string& sql) {
  PGconn* c = PQconnectdb(PgEnvironment::instance->server()->conninfo().c_str());
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const bool good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  const std::string err = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!good) throw SetupFailed(sql + ": " + err);
}

// A fresh schema (named, or kt_<n>); the conninfo of the test server with it as search_path.
std::string fresh_schema(std::string name = {}) {
  static std::atomic<int> counter{0};
  if (name.empty()) name = "kt_" + std::to_string(counter++);
  admin("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name);
  return PgEnvironment::instance->server()->conninfo() + " options='-c search_path=" + name + "'";
}

std::unique_ptr<PgStore> open_or_die(const std::string& conninfo, std::size_t pool = 4) {
  auto store = PgStore::open(conninfo, pool);
  if (!store) throw SetupFailed("open: " + store.error().message);
  return std::move(*store);
}

// Conformance tests share one migrated schema, emptied before each test (much faster than
// migrating a fresh schema each time; the PgStoreTest cases below migrate fresh ones).
StoreFactory postgres_factory() {
  auto conninfo = std::make_shared<std::string>();
  return {"Postgres",
          [conninfo]() -> std::unique_ptr<MetadataStore> {
            if (conninfo->empty()) {
              *conninfo = fresh_schema("conformance");
            } else {
              // DELETE beats TRUNCATE on tiny tables; replica role skips the FK triggers.
              admin(
                  "SET session_replication_role = replica; DO $$ DECLARE t text; BEGIN "
                  "FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'conformance' "
                  "AND tablename <> 'schema_migrations' LOOP "
                  "EXECUTE format('DELETE FROM conformance.%I', t); END LOOP; END $$");
            }
            return open_or_die(*conninfo);
          },
          {},
          unavailable};
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(postgres_factory()),
                         factory_name);

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = unavailable(); !why.empty()) GTEST_SKIP() << why;
    conninfo_ = fresh_schema();
  }
  std::string conninfo_;
};

TEST(PgPlaceholders, NumbersOutsideQuotesOnly) {
  EXPECT_EQ(pg::number_placeholders("SELECT ? WHERE a = ? AND b LIKE ? ESCAPE '\\'"),
            "SELECT $1 WHERE a = $2 AND b LIKE $3 ESCAPE '\\'");
  EXPECT_EQ(pg::number_placeholders("SELECT '?' , ?"), "SELECT '?' , $1");
}

TEST_F(PgStoreTest, NodesStartingTogetherMigrateOnce) {
  constexpr int kNodes = 4;
  std::vector<std::thread> nodes;
  std::vector<int> versions(kNodes, -1);
  std::vector<std::string> errors(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&, i] {
      auto s = PgStore::open(conninfo_, 2);
      if (s) {
        versions[i] = (*s)->schema_version();
      } else {
        errors[i] = s.error().message;
      }
    });
  }
  for (auto& t : nodes) t.join();
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(versions[i], PgStore::latest_schema_version()) << errors[i];
  }
  auto store = open_or_die(conninfo_);
  auto db = pg::Db::open(conninfo_);
  ASSERT_TRUE(db);
  auto rows = (*db)->scalar(sql::Query("SELECT COUNT(*) FROM schema_migrations"));
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_F(PgStoreTest, ReopenKeepsDataAndVersion) {
  std::string tenant_id;
  {
    auto store = open_or_die(conninfo_);
    model::Tenant t;
    t.name = "acme";
    tenant_id = must(store->create_tenant(t)).id;
  }
  auto store = open_or_die(conninfo_);
  EXPECT_EQ(store->schema_version(), PgStore::latest_schema_version());
  EXPECT_EQ(must(store->get_tenant(tenant_id)).name, "acme");
}

TEST_F(PgStoreTest, NewerSchemaIsRefused) {
  { auto store = open_or_die(conninfo_); }
  auto db = pg::Db::open(conninfo_);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->run(sql::Query("INSERT INTO schema_migrations VALUES (?, 0)",
                                    {std::int64_t{PgStore::latest_schema_version() + 1}})));
  auto store = PgStore::open(conninfo_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kFailedPrecondition);
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

TEST_F(PgStoreTest, UnreachableServerIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto store = PgStore::open("host=127.0.0.1 port=1 user=postgres connect_timeout=2");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kUnavailable);
  EXPECT_NE(store.error().message.find("cannot connect"), std::string::npos);
}

TEST_F(PgStoreTest, ManyThreadsShareThePool) {
  auto store = open_or_die(conninfo_, 3);
  model::Tenant t;
  t.name = "pool";
  t = must(store->create_tenant(t));
  const Scope s = Scope::tenant(t.id);
  model::Enterprise e;
  e.tenant_id = t.id;
  e.name = "works";
  e = must(store->create_enterprise(s, e));

  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        model::Device d;
        d.tenant_id = t.id;
        d.enterprise_id = e.id;
        d.name = "d-" + std::to_string(i) + "-" + std::to_string(j);
        d.category = model::Category::kOther;
        // Half of them inside a transaction that also reads back.
        auto create_and_read = [&]() -> Status {
          auto created = store->create_device(s, d);
          if (!created) return std::unexpected(created.error());
          auto again = store->get_device(s, created->id);
          if (!again) return std::unexpected(again.error());
          return ok();
        };
        const Status st = j % 2 == 0 ? create_and_read() : store->transaction(create_and_read);
        if (!st) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  DeviceFilter f;
  f.enterprise_id = e.id;
  std::size_t total = 0;
  Page p;
  p.limit = 50;
  while (true) {
    auto page = must(store->list_devices(s, f, p));
    total += page.items.size();
    if (page.next.empty()) break;
    p.cursor = page.next;
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(PgStoreTest, FailedStatementLeavesTheTransactionUsable) {
  auto store = open_or_die(conninfo_);
  model::Tenant a;
  a.name = "first";
  must(store->create_tenant(a));
  model::Tenant dup = a;
  model::Tenant b;
  b.name = "second";
  auto st = store->transaction([&]() -> Status {
    auto again = store->create_tenant(dup);
    EXPECT_FALSE(again);
    if (again) return ok();
    EXPECT_EQ(again.error().code, Errc::kAlreadyExists);
    EXPECT_NE(again.error().message.find("tenant name already exists"), std::string::npos)
        << again.error().message;
    auto second = store->create_tenant(b);
    if (!second) return std::unexpected(second.error());
    return ok();
  });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(must(store->list_tenants({}, {})).items.size(), 2u);
}

// Two nodes raising the same alarm at once: one creates it, the other folds into it.
TEST_F(PgStoreTest, ConcurrentRaisesOfOneAlarmFoldIntoIt) {
  auto node_a = open_or_die(conninfo_);
  auto node_b = open_or_die(conninfo_);
  model::Tenant t;
  t.name = "alarming";
  t = must(node_a->create_tenant(t));
  const Scope s = Scope::tenant(t.id);
  constexpr int kRounds = 10;
  constexpr int kPerNode = 5;
  std::atomic<int> failures{0};
  for (int round = 0; round < kRounds; ++round) {
    model::Alarm a;
    a.tenant_id = t.id;
    a.type = "Race" + std::to_string(round);
    a.severity = model::AlarmSeverity::kMajor;
    std::vector<std::thread> threads;
    for (PgStore* node : {node_a.get(), node_b.get()}) {
      threads.emplace_back([&, node] {
        for (int i = 0; i < kPerNode; ++i) {
          if (!node->raise_alarm(s, a, "test")) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    auto open = must(node_a->find_open_alarm(s, "", a.type));
    EXPECT_EQ(open.count, 2 * kPerNode) << a.type;
  }
  EXPECT_EQ(failures.load(), 0);
}

// The server restarts under a running store: at most the first call fails, kUnavailable, and
// the store reconnects by itself with the data intact (other tests open their own connections).
TEST_F(PgStoreTest, ReconnectsAfterServerRestart) {
  auto store = open_or_die(conninfo_, 4);
  model::Tenant t;
  t.name = "durable";
  t = must(store->create_tenant(t));
  // Fill the pool with idle connections.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { (void)store->list_tenants({}, {}); });
  for (auto& th : threads) th.join();

  std::string why;
  ASSERT_TRUE(PgEnvironment::instance->server()->restart(&why)) << why;
  int failures = 0;
  Result<model::Tenant> got = fail(Errc::kInternal, "not tried");
  for (int attempt = 0; attempt < 3 && !got; ++attempt) {
    got = store->get_tenant(t.id);
    if (!got) {
      ++failures;
      EXPECT_EQ(got.error().code, Errc::kUnavailable) << got.error().message;
    }
  }
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->name, "durable");
  EXPECT_LE(failures, 1);
}

TEST_F(PgStoreTest, TextWithNulIsInvalid) {
  auto store = open_or_die(conninfo_);
  model::Tenant t;
  t.name = std::string("a\0b", 3);
  auto r = store->create_tenant(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace kaiwu::meta::testing
