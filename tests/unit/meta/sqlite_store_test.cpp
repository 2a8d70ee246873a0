// SqliteStore: runs the conformance suite in memory and on a file, and tests what only SQLite
// has (the file, its migrations, its pragmas, its schema constraints).
#include "meta/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "meta/schema.hpp"
#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<MetadataStore> open_or_die(const std::string& path) {
  auto store = SqliteStore::open(path);
  if (!store) throw SetupFailed("open " + path + ": " + store.error().message);
  return std::move(*store);
}

// Files made by the "file" factory, removed after each test.
struct TempFiles {
  std::vector<fs::path> paths;
  std::atomic<int> counter{0};

  fs::path next() {
    const fs::path p =
        fs::temp_directory_path() /
        ("kaiwu-meta-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".db");
    paths.push_back(p);
    return p;
  }
  void remove_all() {
    for (const auto& p : paths) {
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        fs::remove(p.string() + suffix, ec);
      }
    }
    paths.clear();
  }
};

StoreFactory memory_factory() {
  return {"Memory", [] { return open_or_die(":memory:"); }, {}};
}

StoreFactory file_factory() {
  auto files = std::make_shared<TempFiles>();
  return {"File", [files] { return open_or_die(files->next().string()); },
          [files] { files->remove_all(); }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(memory_factory(), file_factory()), factory_name);

// A raw connection to look at the file behind the store's back.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw SetupFailed("raw open");
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs sql; returns "" or SQLite's error message.
  std::string exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return "";
    std::string out = message != nullptr ? message : "error";
    sqlite3_free(message);
    return out;
  }
  // The first column of every row, as text.
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw SetupFailed(sqlite3_errmsg(db_));
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kaiwu-meta-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    path_ = dir_ / "meta.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  fs::path path_;
};

TEST_F(SqliteFile, ReopenKeepsDataAndDoesNotReapplyMigrations) {
  std::string device_id;
  std::string tenant_id;
  {
    auto store = open_or_die(path_.string());
    EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
    const auto t = must(store->create_tenant(model::Tenant{"", "persisted", "kept", 0}));
    tenant_id = t.id;
    model::Enterprise e;
    e.name = "e";
    e.longitude = 120.5;
    const auto ent = must(store->create_enterprise(Scope::tenant(t.id), e));
    model::Device d;
    d.enterprise_id = ent.id;
    d.name = "lathe";
    d.category = model::Category::kProcessing;
    device_id = must(store->create_device(Scope::tenant(t.id), d)).id;
  }
  RawDb before(path_);
  const auto applied = before.column("SELECT version || ':' || applied_ms FROM schema_migrations");
  ASSERT_EQ(applied.size(), sqlite::migrations().size());

  auto store = open_or_die(path_.string());
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  const auto t = must(store->get_tenant(tenant_id));
  EXPECT_EQ(t.name, "persisted");
  EXPECT_EQ(t.description, "kept");
  const auto d = must(store->get_device(Scope::tenant(tenant_id), device_id));
  EXPECT_EQ(d.name, "lathe");
  EXPECT_EQ(d.category, model::Category::kProcessing);
  const auto ent = must(store->get_enterprise(Scope::tenant(tenant_id), d.enterprise_id));
  ASSERT_TRUE(ent.longitude.has_value());
  EXPECT_DOUBLE_EQ(*ent.longitude, 120.5);
  EXPECT_FALSE(ent.latitude.has_value());

  RawDb after(path_);
  EXPECT_EQ(after.column("SELECT version || ':' || applied_ms FROM schema_migrations"), applied);
}

TEST_F(SqliteFile, UsesWriteAheadLogAndForeignKeys) {
  auto store = open_or_die(path_.string());
  RawDb raw(path_);
  EXPECT_EQ(raw.column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  // The schema itself refuses a cross-tenant reference, whatever the caller checks.
  const auto a = must(store->create_tenant(model::Tenant{"", "a", "", 0}));
  const auto b = must(store->create_tenant(model::Tenant{"", "b", "", 0}));
  const auto ea =
      must(store->create_enterprise(Scope::tenant(a.id), model::Enterprise{.name = "ea"}));
  EXPECT_EQ(raw.exec("PRAGMA foreign_keys = ON"), "");
  const std::string err = raw.exec(
      "INSERT INTO devices (id, tenant_id, enterprise_id, name, category, access_token, "
      "created_ms) VALUES ('x', '" +
      b.id + "', '" + ea.id + "', 'x', 'other', 'tok', 1)");
  EXPECT_NE(err.find("FOREIGN KEY"), std::string::npos) << err;
}

// Every migration applied, in order, numbered 1, 2, 3, … ascending (session 17 reserved numbers
// 11–13 for three branches, so a branch may have a gap until the lead renumbers at merge).
TEST_F(SqliteFile, OpensAtTheLatestSchemaVersion) {
  auto store = open_or_die(path_.string());
  const auto migrations = sqlite::migrations();
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (i < 10) {
      EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
    }
    if (i > 0) {
      EXPECT_GT(migrations[i].version, migrations[i - 1].version);
    }
    expected.push_back(std::to_string(migrations[i].version));
  }
  EXPECT_GE(SqliteStore::latest_schema_version(), 5);
  EXPECT_EQ(SqliteStore::latest_schema_version(), migrations.back().version);
  EXPECT_EQ(store->schema_version(), migrations.back().version);
  RawDb raw(path_);
  EXPECT_EQ(raw.column("SELECT version FROM schema_migrations ORDER BY version"), expected);
}

// A file as a version-1 build left it: only migration 1 applied, with data in it.
TEST_F(SqliteFile, MigratesAVersionOneFileKeepingItsData) {
  const auto migrations = sqlite::migrations();
  ASSERT_GE(migrations.size(), 2u);
  ASSERT_EQ(migrations[0].version, 1);
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                       "applied_ms INTEGER NOT NULL)"),
              "");
    ASSERT_EQ(raw.exec(migrations[0].sql), "");
    ASSERT_EQ(raw.exec("INSERT INTO schema_migrations VALUES (1, 1700000000000);"
                       "INSERT INTO tenants (id, name, created_ms) VALUES ('t1', 'old', 1);"
                       "INSERT INTO enterprises (id, tenant_id, name, created_ms) "
                       "VALUES ('e1', 't1', 'old-ent', 2);"
                       "INSERT INTO device_profiles (id, tenant_id, name, thing_model, created_ms, "
                       "updated_ms) VALUES ('p1', 't1', 'old-profile', '{}', 2, 2);"
                       "INSERT INTO devices (id, tenant_id, enterprise_id, name, category, "
                       "access_token, created_ms) "
                       "VALUES ('d1', 't1', 'e1', 'old-meter', 'running', 'tok-old', 3);"),
              "");
    EXPECT_TRUE(
        raw.column("SELECT name FROM sqlite_master WHERE name = 'device_attributes'").empty());
  }

  auto store = open_or_die(path_.string());
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  const Scope s = Scope::tenant("t1");
  const auto d = must(store->get_device(s, "d1"));
  EXPECT_EQ(d.name, "old-meter");
  EXPECT_EQ(d.enterprise_id, "e1");
  EXPECT_EQ(d.access_token, "tok-old");
  EXPECT_EQ(d.created_ms, 3);
  EXPECT_EQ(must(store->get_tenant("t1")).name, "old");
  EXPECT_TRUE(must(store->get_attributes(s, "d1", std::nullopt, {})).empty());
  must(store->set_attributes(s, "d1", model::AttributeScope::kServer, {{"migrated", "true"}}));
  const auto attrs = must(store->get_attributes(s, "d1", std::nullopt, {}));
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs[0].value_json, "true");

  RawDb raw(path_);
  EXPECT_EQ(raw.column("SELECT version || ':' || applied_ms FROM schema_migrations "
                       "ORDER BY version")
                .front(),
            "1:1700000000000");
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM schema_migrations").front(),
            std::to_string(sqlite::migrations().size()));
  EXPECT_EQ(raw.column("PRAGMA foreign_key_check"), std::vector<std::string>{});
  // Version 3 gave old profiles provisioning, disabled.
  const auto p = must(store->get_profile(s, "p1"));
  EXPECT_EQ(p.name, "old-profile");
  EXPECT_EQ(p.provision_mode, model::ProvisionMode::kDisabled);
  EXPECT_EQ(p.provision_key, "");
}

TEST_F(SqliteFile, AttributeRowsAreTiedToTheirDevicesTenantAndCascade) {
  auto store = open_or_die(path_.string());
  const auto a = must(store->create_tenant(model::Tenant{"", "a", "", 0}));
  const auto b = must(store->create_tenant(model::Tenant{"", "b", "", 0}));
  const auto ea =
      must(store->create_enterprise(Scope::tenant(a.id), model::Enterprise{.name = "ea"}));
  model::Device in;
  in.enterprise_id = ea.id;
  in.name = "d";
  const auto d = must(store->create_device(Scope::tenant(a.id), in));
  must(store->set_attributes(Scope::tenant(a.id), d.id, model::AttributeScope::kClient,
                             {{"x", "1"}, {"y", "2"}}));

  RawDb raw(path_);
  EXPECT_EQ(raw.exec("PRAGMA foreign_keys = ON"), "");
  EXPECT_EQ(raw.column("SELECT tenant_id FROM device_attributes WHERE key = 'x'"),
            std::vector<std::string>{a.id});
  // The schema refuses an attribute filed under another tenant, or in an unknown scope.
  const std::string cross = raw.exec(
      "INSERT INTO device_attributes (tenant_id, device_id, scope, key, value_json, updated_ms) "
      "VALUES ('" +
      b.id + "', '" + d.id + "', 'client', 'z', '1', 1)");
  EXPECT_NE(cross.find("FOREIGN KEY"), std::string::npos) << cross;
  const std::string scope = raw.exec(
      "INSERT INTO device_attributes (tenant_id, device_id, scope, key, value_json, updated_ms) "
      "VALUES ('" +
      a.id + "', '" + d.id + "', 'secret', 'z', '1', 1)");
  EXPECT_NE(scope.find("CHECK"), std::string::npos) << scope;

  must(store->delete_device(Scope::tenant(a.id), d.id));
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM device_attributes"), std::vector<std::string>{"0"});
}

TEST_F(SqliteFile, RefusesADatabaseFromANewerBuild) {
  { open_or_die(path_.string()); }
  {
    RawDb raw(path_);
    const int future = SqliteStore::latest_schema_version() + 1;
    EXPECT_EQ(raw.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(future) + ", 0)"),
              "");
  }
  auto store = SqliteStore::open(path_.string());
  EXPECT_ERR(store, Errc::kFailedPrecondition, "newer");
}

TEST_F(SqliteFile, NotADatabaseIsCorruption) {
  {
    std::ofstream out(path_);
    for (int i = 0; i < 200; ++i) out << "this is not an sqlite database file\n";
  }
  auto store = SqliteStore::open(path_.string());
  EXPECT_ERR(store, Errc::kCorruption, "not a database");
}

TEST_F(SqliteFile, UnopenablePathIsIo) {
  auto store = SqliteStore::open((dir_ / "missing" / "dir" / "meta.db").string());
  EXPECT_ERR(store, Errc::kIo, "unable to open");
}

TEST(SqliteStore, ErrorsCarrySqliteMessage) {
  auto store = open_or_die(":memory:");
  must(store->create_tenant(model::Tenant{"", "dup", "", 0}));
  EXPECT_ERR(store->create_tenant(model::Tenant{"", "dup", "", 0}), Errc::kAlreadyExists,
             "UNIQUE constraint failed: tenants.name");
}

TEST(SqliteStore, MemoryStoresAreIndependent) {
  auto one = open_or_die(":memory:");
  auto two = open_or_die(":memory:");
  must(one->create_tenant(model::Tenant{"", "only-in-one", "", 0}));
  EXPECT_EQ(must(one->list_tenants({}, Page{})).items.size(), 1u);
  EXPECT_TRUE(must(two->list_tenants({}, Page{})).items.empty());
}

}  // namespace
}  // namespace kaiwu::meta::testing
