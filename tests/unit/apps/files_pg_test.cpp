// APP files (files.hpp) on PostgreSQL: migration 13's twin, the same statements as on SQLite
// (files_test.cpp), against a throwaway server. Skips with the reason when no PostgreSQL binaries
// are installed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>

#include "../meta/pg_server.hpp"
#include "apps/files.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;

TEST(FilesPostgres, StoredReadBackPrunedAndDeletedWithTheEnterprise) {
  std::string why;
  auto server = meta::testing::PgServer::start(&why);
  if (!server) GTEST_SKIP() << "PostgreSQL not available: " << why;
  const auto conninfo = server->conninfo();
  auto store = must(meta::PgStore::open(conninfo, 2));  // migrates, app_files included
  const auto tenant = must(store->create_tenant(model::Tenant{"", "t", "", 0})).id;
  const auto ts = meta::Scope::tenant(tenant);
  const auto ent = must(store->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
  auto db = must(meta::pg::Db::open(conninfo, 2));
  const auto scratch = std::filesystem::temp_directory_path() / ("kaiwu-files-pg-" + std::to_string(::getpid()));
  AppFiles files([&db](const std::function<Status(meta::sql::Db&)>& fn) { return db->transaction([&] { return fn(*db); }); },
                 scratch);
  const FileOwner owner{tenant, ent, "kaiwu-energy"};
  const auto sheets = boost::json::parse(R"([{"name": "能耗", "columns": ["a"], "rows": [[1.5], ["文字"]]}])");
  auto first = must(files.write_xlsx(owner, "报表", sheets));
  auto content = must(files.read(owner, first.id));
  EXPECT_EQ(content.info.name, "报表.xlsx");
  EXPECT_EQ(static_cast<std::int64_t>(content.bytes.size()), first.size);
  EXPECT_EQ(content.bytes.substr(0, 2), "PK");  // binary bytes survive the text column
  EXPECT_EQ(content.bytes.find('\0') != std::string::npos, true);
  EXPECT_EQ(files.read(FileOwner{tenant, ent, "kaiwu-oee"}, first.id).error().code, Errc::kNotFound);
  for (std::size_t i = 0; i < kFilesKept; ++i) must(files.write_xlsx(owner, "r", sheets));
  EXPECT_EQ(files.read(owner, first.id).error().code, Errc::kNotFound);  // the 101st write pruned it
  auto count = [&] {
    return must(db->scalar(meta::sql::Query("SELECT COUNT(*) FROM app_files WHERE enterprise_id = ?", {ent})));
  };
  EXPECT_EQ(count(), static_cast<std::int64_t>(kFilesKept));
  ASSERT_TRUE(store->delete_enterprise(ts, ent));
  EXPECT_EQ(count(), 0);
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace kaiwu::apps
