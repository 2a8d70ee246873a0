#include "report/solutions.hpp"

#include <gtest/gtest.h>

#include "core/json_parse.hpp"
#include "meta/pg_store.hpp"
#include "meta/sqlite_store.hpp"
#include "pg_shared.hpp"

namespace kaiwu::report {
namespace {

using meta::testing::backend_name;
using meta::testing::both_backends;
using meta::testing::SqlBackend;

boost::json::object obj(std::string_view text) { return parse_json(text)->as_object(); }

class SolutionStoreTest : public ::testing::TestWithParam<SqlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      std::string why;
      auto conninfo = meta::testing::pg_fresh_schema(&why);
      if (conninfo.empty()) GTEST_SKIP() << why;
      auto s = meta::PgStore::open(conninfo, 2);
      ASSERT_TRUE(s) << s.error().message;
      db_ = std::move(*s);
    } else {
      auto s = meta::SqliteStore::open(":memory:");
      ASSERT_TRUE(s) << s.error().message;
      db_ = std::move(*s);
    }
    store_ = std::make_unique<SqlSolutionStore>(*db_);
  }
  Solution sample(std::string id) {
    Solution s;
    s.id = std::move(id);
    s.name_zh = "机加工";
    s.name_en = "Machining";
    s.industries = {"机械", "汽车"};
    s.domains = {"production", "maintenance"};
    s.app_ids = {"kaiwu-pdm", "kaiwu-oee"};
    s.model_ids = {"kaiwu.spectrum.fft"};
    s.technologies = {"ai"};
    s.cases = 3;
    return s;
  }
  std::unique_ptr<meta::SqlStore> db_;
  std::unique_ptr<SqlSolutionStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SolutionStoreTest, both_backends(), backend_name);

TEST_P(SolutionStoreTest, CreateGetListUpdateDelete) {
  auto a = store_->create(sample("b-machining"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_GT(a->created_ms, 0);
  ASSERT_TRUE(store_->create(sample("a-second")));
  EXPECT_EQ(store_->create(sample("a-second")).error().code, Errc::kAlreadyExists);
  auto got = store_->get("b-machining");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->industries, (std::vector<std::string>{"机械", "汽车"}));
  EXPECT_EQ(got->app_ids, (std::vector<std::string>{"kaiwu-pdm", "kaiwu-oee"}));  // order kept
  EXPECT_EQ(got->model_ids, (std::vector<std::string>{"kaiwu.spectrum.fft"}));
  EXPECT_EQ(got->technologies, (std::vector<std::string>{"ai"}));
  EXPECT_EQ(got->cases, 3);
  auto all = store_->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "a-second");
  EXPECT_EQ((*all)[1].domains, (std::vector<std::string>{"production", "maintenance"}));

  auto changed = *got;
  changed.domains = {"quality"};
  changed.app_ids.clear();
  changed.cases = 5;
  ASSERT_TRUE(store_->update(changed));
  got = store_->get("b-machining");
  EXPECT_EQ(got->domains, (std::vector<std::string>{"quality"}));
  EXPECT_TRUE(got->app_ids.empty());
  EXPECT_EQ(got->cases, 5);
  EXPECT_EQ(got->created_ms, a->created_ms);

  ASSERT_TRUE(store_->remove("b-machining"));
  EXPECT_EQ(store_->get("b-machining").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->remove("b-machining").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->update(changed).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->list()->size(), 1u);
}

TEST(SolutionJsonTest, ErrorsNameTheField) {
  Solution s;
  auto ok_body = obj(R"({"nameZh":"甲","nameEn":"A","industries":["机械"],"domains":["quality"],"cases":2,
                          "technologies":["5g","ai"]})");
  ASSERT_TRUE(solution_from_json(ok_body, s, true));
  EXPECT_EQ(s.technologies, (std::vector<std::string>{"5g", "ai"}));
  auto message = [](std::string_view text, bool creating = true) {
    Solution x;
    auto st = solution_from_json(obj(text), x, creating);
    return st ? std::string() : st.error().message;
  };
  EXPECT_EQ(message(R"({"nameEn":"A","industries":["机械"],"domains":["quality"]})"), "nameZh: is required");
  EXPECT_EQ(message(R"({"nameZh":"甲","nameEn":"A","industries":["机械","钢铁"],"domains":["quality"]})"),
            "industries[1]: \"钢铁\" is not one of the form's 22 industries");
  EXPECT_EQ(message(R"({"nameZh":"甲","nameEn":"A","industries":["机械"],"domains":["energy"]})"),
            "domains[0]: \"energy\" is not one of the nine APP domains");
  EXPECT_EQ(message(R"({"technologies":["quantum"]})", false),
            "technologies[0]: \"quantum\" is not one of 5g, bigdata, ai, digitaltwin, blockchain, arvr");
  EXPECT_EQ(message(R"({"appIds":["a","a"]})", false), "appIds[1]: \"a\" is listed twice");
  EXPECT_EQ(message(R"({"cases":-1})", false), "cases: must be between 0 and 1000000");
  EXPECT_EQ(message(R"({"colour":"red"})", false), "colour: unknown field");
  EXPECT_EQ(message(R"({"id":"x"})", false), "id: cannot be changed");
  EXPECT_EQ(message(R"({"nameZh":"甲","nameEn":"A","industries":["机械"]})"), "domains: name at least one APP domain");
}

TEST(SolutionJsonTest, ReferencesMustExist) {
  struct Known final : ReferenceChecker {
    bool app_exists(const std::string& id) override { return id == "kaiwu-oee"; }
    bool model_exists(const std::string& id) override { return id == "kaiwu.spc.chart"; }
    bool profile_exists(const std::string&) override { return false; }
  } known;
  Solution s;
  s.app_ids = {"kaiwu-oee", "kaiwu-nope"};
  EXPECT_EQ(check_references(s, known).error().message, "appIds[1]: no APP kaiwu-nope");
  s.app_ids = {"kaiwu-oee"};
  s.model_ids = {"kaiwu.spc.chart", "x"};
  EXPECT_EQ(check_references(s, known).error().message, "modelIds[1]: no model x");
  s.model_ids.pop_back();
  EXPECT_TRUE(check_references(s, known));
  s.profile_ids = {"p1"};
  EXPECT_EQ(check_references(s, known).error().message, "profileIds[0]: no device profile p1");
}

}  // namespace
}  // namespace kaiwu::report
