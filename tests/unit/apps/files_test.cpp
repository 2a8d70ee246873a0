// AppFiles: XLSX written per owner, read back only by that owner, newest 100 kept, clear errors
// for bad sheets. (The integration test opens the bytes with openpyxl.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>

#include "apps/files.hpp"
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
    files = std::make_unique<AppFiles>(root);
  }
  void TearDown() override { std::filesystem::remove_all(root); }

  std::string error_of(const std::string& sheets_json, const std::string& name = "r") {
    auto r = files->write_xlsx(owner, name, json::parse(sheets_json));
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  }

  std::filesystem::path root;
  std::unique_ptr<AppFiles> files;
  FileOwner owner{"t1", "e1", "kaiwu-energy"};
};

TEST_F(FilesTest, WritesAnXlsxOnlyItsOwnerReads) {
  auto info = must(files->write_xlsx(owner, "report", json::parse(R"([{"name": "S", "columns": ["a"], "rows": [[1], {"2": "x"}]}])")));
  EXPECT_EQ(info.name, "report.xlsx");
  auto content = must(files->read(owner, info.id));
  EXPECT_EQ(static_cast<std::int64_t>(content.bytes.size()), info.size);
  EXPECT_EQ(content.bytes.substr(0, 2), "PK");  // a ZIP container
  EXPECT_EQ(content.info.name, "report.xlsx");
  EXPECT_EQ(files->read(FileOwner{"t1", "e2", "kaiwu-energy"}, info.id).error().code, Errc::kNotFound);
  EXPECT_EQ(files->read(FileOwner{"t1", "e1", "kaiwu-oee"}, info.id).error().code, Errc::kNotFound);
  EXPECT_EQ(files->read(owner, "../" + info.id).error().code, Errc::kNotFound);
}

TEST_F(FilesTest, KeepsTheNewestHundred) {
  std::vector<std::string> ids;
  for (int i = 0; i < 102; ++i)
    ids.push_back(must(files->write_xlsx(owner, "r", json::parse(R"([{"name": "S", "rows": [[1]]}])"))).id);
  EXPECT_FALSE(files->read(owner, ids[0]));
  EXPECT_FALSE(files->read(owner, ids[1]));
  EXPECT_TRUE(files->read(owner, ids[2]));
  EXPECT_TRUE(files->read(owner, ids[101]));
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(root / "t1" / "e1" / "kaiwu-energy"))
    n += e.path().extension() == ".xlsx";
  EXPECT_EQ(n, 100u);
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
