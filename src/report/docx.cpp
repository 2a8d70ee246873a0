#include "report/docx.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace kaiwu::report::docx {
namespace {

constexpr std::string_view kW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr std::string_view kR = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr int kTextWidthTwips = kPageWidthTwips - kMarginLeftTwips - kMarginRightTwips;

// Font faces: the East Asian face names the official fonts (what a Chinese Word shows), the
// ASCII/hAnsi face their Windows Latin names, so a reader without them falls back sensibly.
struct Face {
  std::string_view east_asia;
  std::string_view latin;
};
constexpr Face kFangSong{"仿宋", "FangSong"};
constexpr Face kHeiTi{"黑体", "SimHei"};
constexpr Face kKaiTi{"楷体", "KaiTi"};
constexpr Face kXiaoBiaoSong{"方正小标宋简体", "SimSun"};  // GB/T 9704-2012 §7.3.3 title face
constexpr Face kSongTi{"宋体", "SimSun"};                  // GB/T 9704-2012 §7.5 page numbers

std::string fonts(Face f) {
  return fmt::format(R"(<w:rFonts w:ascii="{1}" w:hAnsi="{1}" w:eastAsia="{0}" w:cs="{1}"/>)", f.east_asia,
                     f.latin);
}

std::string size(int half_points) { return fmt::format(R"(<w:sz w:val="{0}"/><w:szCs w:val="{0}"/>)", half_points); }

// One paragraph style. `ppr`/`rpr` are the inner XML of w:pPr / w:rPr.
std::string style(std::string_view id, std::string_view name, std::string_view ppr, std::string_view rpr,
                  bool is_default = false) {
  return fmt::format(
      R"(<w:style w:type="paragraph" w:styleId="{}"{}><w:name w:val="{}"/><w:basedOn w:val="Normal"/><w:qFormat/>)"
      R"(<w:pPr>{}</w:pPr><w:rPr>{}</w:rPr></w:style>)",
      id, is_default ? R"( w:default="1")" : "", name, ppr, rpr);
}

std::string run_xml(const Run& r) {
  std::string rpr;
  if (r.bold) rpr += "<w:b/><w:bCs/>";
  if (r.blank) rpr += R"(<w:highlight w:val="yellow"/>)";
  const std::string text = r.blank ? "【待填写：" + r.text + "】" : r.text;
  return fmt::format(R"(<w:r>{}<w:t xml:space="preserve">{}</w:t></w:r>)",
                     rpr.empty() ? "" : "<w:rPr>" + rpr + "</w:rPr>", xml_escape(text));
}

std::string runs_xml(const std::vector<Run>& runs) {
  std::string out;
  for (const auto& r : runs) out += run_xml(r);
  return out;
}

std::string_view para_style_id(ParaStyle s) {
  switch (s) {
    case ParaStyle::kTitle: return "Title";
    case ParaStyle::kSubtitle: return "Subtitle";
    case ParaStyle::kNote: return "Note";
    case ParaStyle::kBody: break;
  }
  return "Normal";
}

std::string bookmark_name(std::size_t n) { return fmt::format("_Toc{:08d}", n + 1); }

std::string field_run(std::string_view type) {
  return fmt::format(R"(<w:r><w:fldChar w:fldCharType="{}"/></w:r>)", type);
}
std::string instr_run(std::string_view code) {
  return fmt::format(R"(<w:r><w:instrText xml:space="preserve"> {} </w:instrText></w:r>)", xml_escape(code));
}

// The TOC field (ECMA-376 Part 1 §17.16.5.68): \o "1-3" the three heading levels, \h hyperlinks,
// \z \u as Word writes them. Its result is pre-filled with one entry per heading (a hyperlink to
// the heading's bookmark and a PAGEREF without a cached number), so the contents are there before
// anyone updates the field; settings.xml asks Word to update fields (and fill the page numbers) on open.
std::string toc_xml(const std::vector<const Heading*>& headings) {
  std::string out = R"(<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr>)" + run_xml(Run{"目　录"}) + "</w:p>";
  const std::string tabs =
      fmt::format(R"(<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{}"/></w:tabs>)", kTextWidthTwips);
  if (headings.empty()) {
    return out + "<w:p>" + field_run("begin") + instr_run(R"(TOC \o "1-3" \h \z \u)") + field_run("separate") +
           field_run("end") + "</w:p>";
  }
  for (std::size_t i = 0; i < headings.size(); ++i) {
    const auto& h = *headings[i];
    std::string p = fmt::format(R"(<w:p><w:pPr><w:pStyle w:val="TOC{}"/>{}</w:pPr>)", h.level, tabs);
    if (i == 0) p += field_run("begin") + instr_run(R"(TOC \o "1-3" \h \z \u)") + field_run("separate");
    p += fmt::format(R"(<w:hyperlink w:anchor="{}" w:history="1">)", bookmark_name(i));
    p += run_xml(Run{h.text}) + R"(<w:r><w:tab/></w:r>)";
    p += field_run("begin") + instr_run("PAGEREF " + bookmark_name(i) + " \\h") + field_run("separate");
    p += field_run("end") + "</w:hyperlink>";  // no cached page number: none is invented
    if (i + 1 == headings.size()) p += field_run("end");
    out += p + "</w:p>";
  }
  return out;
}

std::string table_xml(const Table& t) {
  const std::size_t cols = t.header.size();
  std::string out = fmt::format(
      R"(<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{}" w:type="dxa"/><w:jc w:val="center"/>)"
      R"(<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/>)"
      R"(<w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/>)"
      R"(<w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/>)"
      R"(<w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/>)"
      R"(<w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/>)"
      R"(<w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tblBorders>)"
      R"(<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1"/></w:tblPr><w:tblGrid>)",
      kTextWidthTwips);
  std::vector<int> widths;
  for (std::size_t c = 0; c < cols; ++c) {
    const int pct = t.widths_pct.size() == cols ? t.widths_pct[c] : static_cast<int>(100 / std::max<std::size_t>(cols, 1));
    widths.push_back(kTextWidthTwips * pct / 100);
    out += fmt::format(R"(<w:gridCol w:w="{}"/>)", widths.back());
  }
  out += "</w:tblGrid>";
  auto cell = [&](std::size_t c, const std::string& content, bool header) {
    return fmt::format(R"(<w:tc><w:tcPr><w:tcW w:w="{}" w:type="dxa"/>{}<w:vAlign w:val="center"/></w:tcPr>)"
                       R"(<w:p><w:pPr><w:pStyle w:val="TableText"/>{}</w:pPr>{}</w:p></w:tc>)",
                       widths[c], header ? R"(<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>)" : "",
                       header ? R"(<w:jc w:val="center"/>)" : "", content);
  };
  out += R"(<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>)";
  for (std::size_t c = 0; c < cols; ++c) out += cell(c, run_xml(Run{t.header[c], false, true}), true);
  out += "</w:tr>";
  for (const auto& row : t.rows) {
    out += R"(<w:tr><w:trPr><w:cantSplit/></w:trPr>)";
    for (std::size_t c = 0; c < cols; ++c) out += cell(c, c < row.size() ? runs_xml(row[c]) : "", false);
    out += "</w:tr>";
  }
  // A table may not end the body or touch the next table: Word wants a paragraph after it.
  return out + R"(</w:tbl><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr></w:p>)";
}

std::string list_xml(const NumberedList& l) {
  std::string out;
  for (const auto& item : l.items)
    out += R"(<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr><w:ind w:firstLineChars="0" w:firstLine="0" w:left="1080" w:hanging="440"/></w:pPr>)" +
           runs_xml(item) + "</w:p>";
  return out;
}

std::string sect_pr() {
  return fmt::format(
      R"(<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter1"/>)"
      R"(<w:pgSz w:w="{}" w:h="{}"/>)"
      R"(<w:pgMar w:top="{}" w:right="{}" w:bottom="{}" w:left="{}" w:header="851" w:footer="992" w:gutter="0"/>)"
      R"(<w:pgNumType w:start="1"/><w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="579"/></w:sectPr>)",
      kPageWidthTwips, kPageHeightTwips, kMarginTopTwips, kMarginRightTwips, kMarginBottomTwips, kMarginLeftTwips);
}

constexpr std::string_view kXmlDecl = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)";

}  // namespace

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 §2.2: control characters other than tab, LF and CR are not allowed.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

std::string Document::document_xml() const {
  std::vector<const Heading*> headings;
  for (const auto& b : blocks_)
    if (const auto* h = std::get_if<Heading>(&b)) headings.push_back(h);
  std::string body;
  std::size_t heading_no = 0;
  for (const auto& b : blocks_) {
    if (const auto* p = std::get_if<Paragraph>(&b)) {
      body += fmt::format(R"(<w:p><w:pPr><w:pStyle w:val="{}"/>{}</w:pPr>{}</w:p>)", para_style_id(p->style),
                          p->center ? R"(<w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/>)" : "",
                          runs_xml(p->runs));
    } else if (const auto* h = std::get_if<Heading>(&b)) {
      const int level = std::clamp(h->level, 1, 3);
      body += fmt::format(
          R"(<w:p><w:pPr><w:pStyle w:val="Heading{0}"/></w:pPr><w:bookmarkStart w:id="{1}" w:name="{2}"/>{3}<w:bookmarkEnd w:id="{1}"/></w:p>)",
          level, heading_no, bookmark_name(heading_no), run_xml(Run{h->text}));
      ++heading_no;
    } else if (const auto* t = std::get_if<Table>(&b)) {
      body += table_xml(*t);
    } else if (std::holds_alternative<Toc>(b)) {
      body += toc_xml(headings);
    } else if (std::holds_alternative<PageBreak>(b)) {
      body += R"(<w:p><w:r><w:br w:type="page"/></w:r></w:p>)";
    } else if (const auto* l = std::get_if<NumberedList>(&b)) {
      body += list_xml(*l);
    }
  }
  return fmt::format(R"({}<w:document xmlns:w="{}" xmlns:r="{}"><w:body>{}{}</w:body></w:document>)", kXmlDecl, kW,
                     kR, body, sect_pr());
}

std::string Document::styles_xml() {
  const std::string body_rpr = fonts(kFangSong) + size(kBodyHalfPoints);
  // GB/T 9704-2012 §5.2.2: 22 lines of 28 characters; a fixed 28 pt line pitch is the usual way.
  const std::string body_ppr =
      R"(<w:spacing w:before="0" w:after="0" w:line="560" w:lineRule="exact"/><w:ind w:firstLineChars="200" w:firstLine="640"/><w:jc w:val="both"/>)";
  const std::string heading_ppr = R"(<w:keepNext/><w:keepLines/><w:spacing w:before="0" w:after="0" w:line="560" w:lineRule="exact"/>)";
  std::string s = fmt::format(
      R"({}<w:styles xmlns:w="{}"><w:docDefaults><w:rPrDefault><w:rPr>{}<w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>)"
      R"(<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>)",
      kXmlDecl, kW, body_rpr);
  s += fmt::format(
      R"(<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:pPr>{}</w:pPr><w:rPr>{}</w:rPr></w:style>)",
      body_ppr, body_rpr);
  for (int level = 1; level <= 3; ++level) {
    const Face face = level == 1 ? kHeiTi : level == 2 ? kKaiTi : kFangSong;
    const std::string bold = level == 3 ? "<w:b/><w:bCs/>" : "";
    s += style(fmt::format("Heading{}", level), fmt::format("heading {}", level),
               heading_ppr + fmt::format(R"(<w:outlineLvl w:val="{}"/>)", level - 1), fonts(face) + bold + size(kBodyHalfPoints));
  }
  const std::string center = R"(<w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/>)";
  s += style("Title", "Title", center + R"(<w:spacing w:before="240" w:after="240" w:line="700" w:lineRule="exact"/>)",
             fonts(kXiaoBiaoSong) + size(44));  // 2号
  s += style("Subtitle", "Subtitle", center, fonts(kKaiTi) + size(kBodyHalfPoints));
  s += style("Note", "Note", R"(<w:ind w:firstLineChars="0" w:firstLine="0"/><w:spacing w:line="360" w:lineRule="auto"/>)",
             fonts(kFangSong) + size(kTableHalfPoints));
  s += style("TableText", "Table Text", R"(<w:ind w:firstLineChars="0" w:firstLine="0"/><w:spacing w:line="300" w:lineRule="auto"/>)",
             fonts(kFangSong) + size(kTableHalfPoints));
  s += style("TOCHeading", "TOC Heading", center + R"(<w:spacing w:after="240"/>)", fonts(kHeiTi) + size(kBodyHalfPoints));
  for (int level = 1; level <= 3; ++level)
    s += style(fmt::format("TOC{}", level), fmt::format("toc {}", level),
               fmt::format(R"(<w:ind w:firstLineChars="0" w:firstLine="0" w:left="{}"/><w:spacing w:line="480" w:lineRule="exact"/>)",
                           (level - 1) * 640),
               fonts(kFangSong) + size(kBodyHalfPoints));
  s += style("Footer", "footer", center, fonts(kSongTi) + size(28));  // 4号 page numbers
  s += R"(<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblCellMar>)"
       R"(<w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>)";
  return s + "</w:styles>";
}

std::string Document::settings_xml() {
  return fmt::format(
      R"({}<w:settings xmlns:w="{}"><w:updateFields w:val="true"/><w:defaultTabStop w:val="420"/>)"
      R"(<w:characterSpacingControl w:val="compressPunctuation"/><w:compat>)"
      R"(<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>)"
      R"(</w:compat></w:settings>)",
      kXmlDecl, kW);
}

std::string Document::numbering_xml() {
  return fmt::format(
      R"({}<w:numbering xmlns:w="{}"><w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/>)"
      R"(<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>)"
      R"(<w:pPr><w:ind w:left="1080" w:hanging="440"/></w:pPr></w:lvl></w:abstractNum>)"
      R"(<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>)",
      kXmlDecl, kW);
}

std::string Document::footer_xml() {
  // GB/T 9704-2012 §7.5: the page number as "— n —" in 4号 SimSun below the text.
  return fmt::format(
      R"({}<w:ftr xmlns:w="{}" xmlns:r="{}"><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>)"
      R"(<w:r><w:t xml:space="preserve">— </w:t></w:r>{}{}{}<w:r><w:t>1</w:t></w:r>{}<w:r><w:t xml:space="preserve"> —</w:t></w:r></w:p></w:ftr>)",
      kXmlDecl, kW, kR, field_run("begin"), instr_run("PAGE"), field_run("separate"), field_run("end"));
}

Status Document::write(const std::filesystem::path& path) const {
  const std::string content_types = fmt::format(
      R"({}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
      R"(<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>)"
      R"(<Default Extension="xml" ContentType="application/xml"/>)"
      R"(<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>)"
      R"(<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>)"
      R"(<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>)"
      R"(<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>)"
      R"(<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>)"
      R"(<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>)"
      R"(</Types>)",
      kXmlDecl);
  const std::string root_rels = fmt::format(
      R"({}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>)"
      R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>)"
      R"(</Relationships>)",
      kXmlDecl);
  const std::string doc_rels = fmt::format(
      R"({}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>)"
      R"(<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>)"
      R"(<Relationship Id="rIdNumbering" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>)"
      R"(<Relationship Id="rIdFooter1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>)"
      R"(</Relationships>)",
      kXmlDecl);
  const std::string core = fmt::format(
      R"({}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" )"
      R"(xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>Kaiwu</dc:creator></cp:coreProperties>)",
      kXmlDecl, xml_escape(title));
  const std::array<std::pair<const char*, std::string>, 8> parts{{
      {"[Content_Types].xml", content_types},
      {"_rels/.rels", root_rels},
      {"docProps/core.xml", core},
      {"word/_rels/document.xml.rels", doc_rels},
      {"word/document.xml", document_xml()},
      {"word/styles.xml", styles_xml()},
      {"word/settings.xml", settings_xml()},
      {"word/numbering.xml", numbering_xml()},
  }};
  const std::string footer = footer_xml();

  auto tmp = path;
  tmp += ".tmp";
  int err = 0;
  zip_t* za = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    auto st = fail(Errc::kIo, fmt::format("{}: {}", tmp.string(), zip_error_strerror(&ze)));
    zip_error_fini(&ze);
    return st;
  }
  auto add = [&](const char* name, const std::string& data) -> bool {
    zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
    if (!src) return false;
    if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
      zip_source_free(src);
      return false;
    }
    return true;
  };
  bool ok_all = true;
  for (const auto& [name, data] : parts) ok_all = ok_all && add(name, data);
  ok_all = ok_all && add("word/footer1.xml", footer);
  if (!ok_all) {
    auto st = fail(Errc::kIo, fmt::format("{}: {}", tmp.string(), zip_strerror(za)));
    zip_discard(za);
    return st;
  }
  // The buffers above must outlive zip_close: it reads them only now.
  if (zip_close(za) != 0) {
    auto st = fail(Errc::kIo, fmt::format("{}: {}", tmp.string(), zip_strerror(za)));
    zip_discard(za);
    return st;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::kIo, fmt::format("{}: {}", path.string(), ec.message()));
  return ok();
}

}  // namespace kaiwu::report::docx
