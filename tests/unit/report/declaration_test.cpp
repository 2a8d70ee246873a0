#include "report/declaration.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/json_parse.hpp"

namespace kaiwu::report {
namespace {
namespace json = boost::json;

json::object fixture() {
  std::ifstream in(std::string(KAIWU_REPORT_FIXTURES) + "/indicators.json");
  std::string text{std::istreambuf_iterator<char>(in), {}};
  auto v = parse_json(text);
  EXPECT_TRUE(v) << text.size();
  return v ? v->as_object() : json::object{};
}

DeclarationInput input() {
  DeclarationInput in;
  in.year = 2026;
  in.platform_version = "0.1.0";
  in.generated_ms = 1'795'651'200'000;
  in.indicators = fixture();
  in.annexes.push_back(Annex{"附件1-设备清单.xlsx", "附件1 设备清单",
                             {AnnexSheet{"设备清单", {"序号", "设备名称"}, {{json::value(1), json::value("CNC-1")}}}}});
  return in;
}

TEST(Declaration, FillsSectionTwoFromTheIndicators) {
  const auto x = build_section_two(input()).document_xml();
  EXPECT_NE(x.find("2026年跨行业跨领域工业互联网平台申报书"), std::string::npos);
  EXPECT_NE(x.find("二、平台基本情况与能力指标"), std::string::npos);
  EXPECT_NE(x.find("（二）平台资源管理水平"), std::string::npos);
  EXPECT_NE(x.find("1. 工业设备数量"), std::string::npos);
  EXPECT_NE(x.find("123 台/套"), std::string::npos);
  EXPECT_NE(x.find("运行设备 70；加工设备 40；行走设备 8；其它 5"), std::string::npos);
  EXPECT_NE(x.find("97 台/套"), std::string::npos);  // 97.0 shown as an integer
  EXPECT_NE(x.find("2026-11-26"), std::string::npos);
  // The killer-APP rows become a table; revenue in fen is shown in yuan.
  EXPECT_NE(x.find("能耗管理"), std::string::npos);
  EXPECT_NE(x.find("1234.56"), std::string::npos);
  EXPECT_NE(x.find("订阅企业数"), std::string::npos);
}

TEST(Declaration, UnknownValuesAreMarkedBlanksNeverInvented) {
  const auto x = build_section_two(input()).document_xml();
  EXPECT_NE(x.find("【待填写：融资情况（万元）】"), std::string::npos);
  EXPECT_NE(x.find("1234.56 元"), std::string::npos);  // fen shown as yuan
  EXPECT_NE(x.find("【待填写：平台上一年度营业收入（万元）】"), std::string::npos);
  EXPECT_NE(x.find("【待填写：申报单位全称】"), std::string::npos);
  // An indicator without any figure in the JSON (1.2 here) gets a blank, not a zero.
  const auto models = x.find("2. 工业模型数量");
  ASSERT_NE(models, std::string::npos);
  EXPECT_NE(x.find("【待填写：工业模型数量情况说明】", models), std::string::npos);
  EXPECT_EQ(x.find("2. 工业模型数量</w:t></w:r><w:bookmarkEnd w:id=\"7\"/></w:p><w:tbl>"), std::string::npos);
}

TEST(Declaration, FigureTextUsesLabels) {
  json::object f{{"value", json::object{{"a", 1}, {"b", 2.5}}}, {"labels", json::object{{"a", json::object{{"zh", "甲"}}}}}};
  EXPECT_EQ(figure_text(f), "甲 1；b 2.50");
  EXPECT_EQ(figure_text(json::object{{"value", true}}), "是");
  EXPECT_EQ(figure_text(json::object{{"value", nullptr}}), "");
}

TEST(Declaration, WritesTheDocumentAndEveryAnnex) {
  const auto dir = std::filesystem::temp_directory_path() / ("kaiwu-decl-" + std::to_string(::getpid()));
  auto files = write_declaration(input(), dir);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].name, std::string(kDocxName));
  EXPECT_EQ((*files)[1].name, "附件1-设备清单.xlsx");
  EXPECT_EQ((*files)[2].name, "附件6-指标口径与查询.xlsx");
  for (const auto& f : *files) {
    EXPECT_GT(f.bytes, 1000u) << f.name;
    EXPECT_EQ(std::filesystem::file_size(dir / f.name), f.bytes);
  }
  std::filesystem::remove_all(dir);
}

TEST(Declaration, RejectsIndicatorsWithoutTheList) {
  auto in = input();
  in.indicators = json::object{{"asOf", "2026-11-26"}};
  auto r = write_declaration(in, std::filesystem::temp_directory_path() / "kaiwu-decl-never");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace kaiwu::report
