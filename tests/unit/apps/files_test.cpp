// AppFiles: XLSX written per owner into the metadata database (SQLite here; files_pg_test.cpp the
// PostgreSQL twin), read back only by that owner, newest 100 kept, nothing left on disk, the rows
// go with their enterprise, clear errors for bad sheets. (The integration tests open the bytes
// with openpyxl, test_cluster_pair.py from another node.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>

#include "apps/files.hpp"
#include "meta/sqlite_db.hpp"
#include "meta/sqlite_store.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;
namespace json = boost::json;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = std::filesystem::temp_directory_path() / ("kaiwu-files-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    store = must(meta::SqliteStore::open((root / "meta.db").string()));
    const auto tenant = must(store->create_tenant(model::Tenant{"", "t", "", 0})).id;
    const auto ts = meta::Scope::tenant(tenant);
    owner = FileOwner{tenant, must(store->create_enterprise(ts, model::Enterprise{.name = "a"})).id, "kaiwu-energy"};
    other = must(store->create_enterprise(ts, model::Enterprise{.name = "b"})).id;
    files = std::make_unique<AppFiles>(
        [this](const std::function<Status(meta::sql::Db&)>& fn) {
          return store->with_connection([&](meta::sqlite::Db& db) { return fn(db); });
        },
        root / "scratch");
  }
  std::int64_t rows(const std::string& enterprise) {
    std::int64_t n = -1;
    EXPECT_TRUE(store->with_connection([&](meta::sqlite::Db& db) -> Status {
      n = KAIWU_TRY(db.scalar(meta::sql::Query("SELECT COUNT(*) FROM app_files WHERE enterprise_id = ?", {enterprise})));
      return ok();
    }));
    return n;
  }
  void TearDown() override { std::filesystem::remove_all(root); }

  std::string error_of(const std::string& sheets_json, const std::string& name = "r") {
    auto r = files->write_xlsx(owner, name, json::parse(sheets_json));
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  }

  std::filesystem::path root;
  std::unique_ptr<meta::SqliteStore> store;
  std::unique_ptr<AppFiles> files;
  FileOwner owner;
  std::string other;  // a second enterprise of the tenant
};

TEST_F(FilesTest, WritesAnXlsxOnlyItsOwnerReads) {
  auto info = must(files->write_xlsx(owner, "report", json::parse(R"([{"name": "S", "columns": ["a"], "rows": [[1], {"2": "x"}]}])")));
  EXPECT_EQ(info.name, "report.xlsx");
  auto content = must(files->read(owner, info.id));
  EXPECT_EQ(static_cast<std::int64_t>(content.bytes.size()), info.size);
  EXPECT_EQ(content.bytes.substr(0, 2), "PK");  // a ZIP container
  EXPECT_EQ(content.info.name, "report.xlsx");
  EXPECT_EQ(files->read(FileOwner{owner.tenant_id, other, "kaiwu-energy"}, info.id).error().code, Errc::kNotFound);
  EXPECT_EQ(files->read(FileOwner{owner.tenant_id, owner.enterprise_id, "kaiwu-oee"}, info.id).error().code,
            Errc::kNotFound);
  EXPECT_EQ(files->read(FileOwner{"t2", owner.enterprise_id, "kaiwu-energy"}, info.id).error().code, Errc::kNotFound);
  EXPECT_EQ(files->read(owner, "../" + info.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(root / "scratch"));  // the workbook went to the database
  // The files are the enterprise's: they go with it.
  ASSERT_TRUE(store->delete_enterprise(meta::Scope::tenant(owner.tenant_id), owner.enterprise_id));
  EXPECT_EQ(rows(owner.enterprise_id), 0);
}

TEST_F(FilesTest, KeepsTheNewestHundred) {
  std::vector<std::string> ids;
  for (int i = 0; i < 102; ++i)
    ids.push_back(must(files->write_xlsx(owner, "r", json::parse(R"([{"name": "S", "rows": [[1]]}])"))).id);
  EXPECT_FALSE(files->read(owner, ids[0]));
  EXPECT_FALSE(files->read(owner, ids[1]));
  EXPECT_TRUE(files->read(owner, ids[2]));
  EXPECT_TRUE(files->read(owner, ids[101]));
  EXPECT_EQ(rows(owner.enterprise_id), 100);
}

TEST_F(FilesTest, RefusesAWorkbookOverTheSizeLimit) {
  AppFiles small([this](const std::function<Status(meta::sql::Db&)>& fn) {
    return store->with_connection([&](meta::sqlite::Db& db) { return fn(db); });
  }, root / "scratch", 8 * 1024);
  json::array lines;
  for (int r = 0; r < 2'000; ++r) lines.emplace_back(json::array{r * 1.000001, r * 7.123457, "row " + std::to_string(r)});
  json::array sheets{json::object{{"name", "S"}, {"rows", std::move(lines)}}};
  auto r = small.write_xlsx(owner, "big", sheets);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kResourceExhausted) << r.error().message;
  EXPECT_NE(r.error().message.find("at most 8192 bytes per file"), std::string::npos) << r.error().message;
  EXPECT_EQ(rows(owner.enterprise_id), 0);
  EXPECT_TRUE(std::filesystem::is_empty(root / "scratch"));
  EXPECT_TRUE(small.write_xlsx(owner, "small", json::parse(R"([{"name": "S", "rows": [[1]]}])")));
}

TEST_F(FilesTest, BadSheetsAreClearErrors) {
  EXPECT_NE(error_of("[]").find("at least one sheet"), std::string::npos);
  EXPECT_NE(error_of(R"([{"name": "a/b"}])").find("sheets[1].name must be 1..31 characters"), std::string::npos);
  EXPECT_NE(error_of(R"([{"name": "A"}, {"name": "a"}])").find("sheets[2].name 'a' is used twice"), std::string::npos);
  EXPECT_NE(error_of(R"([{"name": "A", "rows": "x"}])").find("sheets[1].rows must be a list"), std::string::npos);
  EXPECT_NE(error_of(R"([{"name": "A", "colour": 1}])").find("sheets[1].colour: unknown field"), std::string::npos);
  EXPECT_NE(error_of(R"([{"name": "A"}])", "a/b").find("must not contain /"), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::apps
