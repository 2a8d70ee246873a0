#include "report/docx.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace kaiwu::report::docx {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Docx, EscapesXmlAndDropsControlCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&apos;");
}

TEST(Docx, StylesNameTheOfficialFontsAndSizes) {
  const auto s = Document::styles_xml();
  EXPECT_NE(s.find(R"(<w:rFonts w:ascii="FangSong" w:hAnsi="FangSong" w:eastAsia="仿宋")"), std::string::npos);
  EXPECT_NE(s.find(R"(w:styleId="Heading1")"), std::string::npos);
  EXPECT_NE(s.find(R"(w:eastAsia="黑体")"), std::string::npos);
  EXPECT_NE(s.find(R"(w:eastAsia="楷体")"), std::string::npos);
  EXPECT_NE(s.find(R"(<w:sz w:val="32"/>)"), std::string::npos);
  EXPECT_NE(s.find(R"(<w:outlineLvl w:val="2"/>)"), std::string::npos);
  EXPECT_NE(Document::settings_xml().find(R"(<w:updateFields w:val="true"/>)"), std::string::npos);
}

TEST(Docx, TocIsPrefilledWithEveryHeadingAndPageGeometryIsA4) {
  Document d;
  d.add(Toc{});
  d.heading(1, "二、平台");
  d.heading(2, "（一）基本信息");
  d.heading(3, "1. 设备");
  d.paragraph({docx::Run{"未知", true}});
  const auto x = d.document_xml();
  EXPECT_NE(x.find(R"(TOC \o &quot;1-3&quot; \h \z \u)"), std::string::npos);
  // One entry per heading, each in the TOC style of its level, linked to the heading's bookmark.
  EXPECT_NE(x.find(R"(<w:pStyle w:val="TOC1"/>)"), std::string::npos);
  EXPECT_NE(x.find(R"(<w:pStyle w:val="TOC2"/>)"), std::string::npos);
  EXPECT_NE(x.find(R"(<w:pStyle w:val="TOC3"/>)"), std::string::npos);
  EXPECT_NE(x.find(R"(w:anchor="_Toc00000003")"), std::string::npos);
  EXPECT_NE(x.find(R"(w:name="_Toc00000003")"), std::string::npos);
  EXPECT_NE(x.find("【待填写：未知】"), std::string::npos);
  EXPECT_NE(x.find(R"(<w:highlight w:val="yellow"/>)"), std::string::npos);
  EXPECT_NE(x.find(R"(<w:pgSz w:w="11906" w:h="16838"/>)"), std::string::npos);
  EXPECT_NE(x.find(R"(w:top="2098" w:right="1474" w:bottom="1984" w:left="1587")"), std::string::npos);
  // Field begin/end balance: TOC + three PAGEREFs.
  std::size_t begins = 0, ends = 0;
  for (auto p = x.find(R"(w:fldCharType="begin")"); p != std::string::npos; p = x.find(R"(w:fldCharType="begin")", p + 1)) ++begins;
  for (auto p = x.find(R"(w:fldCharType="end")"); p != std::string::npos; p = x.find(R"(w:fldCharType="end")", p + 1)) ++ends;
  EXPECT_EQ(begins, 4u);
  EXPECT_EQ(ends, 4u);
}

TEST(Docx, WritesAZipPackageWithEveryPart) {
  Document d;
  d.title = "t";
  d.heading(1, "标题");
  d.add(Table{{"a", "b"}, {{{docx::Run{"1"}}, {docx::Run{"2"}}}}, {}});
  const auto dir = std::filesystem::temp_directory_path() / ("kaiwu-docx-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "a.docx";
  ASSERT_TRUE(d.write(path));
  const auto bytes = slurp(path);
  ASSERT_GT(bytes.size(), 100u);
  EXPECT_EQ(bytes.substr(0, 2), "PK");
  for (const char* part : {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
                           "word/settings.xml", "word/numbering.xml", "word/footer1.xml", "word/_rels/document.xml.rels"})
    EXPECT_NE(bytes.find(part), std::string::npos) << part;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.docx.tmp"));
  auto bad = d.write(dir / "no-such-dir" / "x.docx");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kIo);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kaiwu::report::docx
