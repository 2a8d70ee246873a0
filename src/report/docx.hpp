// A small OOXML (WordprocessingML, ECMA-376 Part 1) writer for the declaration form: headings of
// three levels, body paragraphs, tables, marked blanks, a table of contents field and page
// numbers, laid out as a Chinese official document (GB/T 9704-2012): A4; margins top 3.7 cm,
// bottom 3.5 cm, left 2.8 cm, right 2.6 cm; body 3号仿宋 (16 pt), level-1 headings 3号黑体,
// level-2 3号楷体, level-3 3号仿宋 bold.
//
// The document is built in memory and written as a ZIP package with libzip. No third-party type
// leaves docx.cpp. Not thread-safe; one Document per writer.
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::report::docx {

// A run of text. `blank` marks what the platform cannot know: written as 【待填写：text】,
// highlighted yellow, for the operator to fill in.
struct Run {
  std::string text;
  bool blank = false;
  bool bold = false;
};

enum class ParaStyle { kBody, kTitle, kSubtitle, kNote };

struct Paragraph {
  ParaStyle style = ParaStyle::kBody;
  std::vector<Run> runs;
  bool center = false;
};

struct Heading {
  int level = 1;  // 1..3
  std::string text;
};

// A table: the header row is repeated on every page; each cell is a list of runs.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::vector<Run>>> rows;
  std::vector<int> widths_pct;  // per column, summing to 100; empty: equal
};

struct Toc {};        // the table of contents: TOC \o "1-3" with entries of the headings
struct PageBreak {};  // next block on a new page
// A numbered list (decimal, from numbering.xml).
struct NumberedList {
  std::vector<std::vector<Run>> items;
};

using Block = std::variant<Paragraph, Heading, Table, Toc, PageBreak, NumberedList>;

class Document {
 public:
  void add(Block b) { blocks_.push_back(std::move(b)); }
  void heading(int level, std::string text) { blocks_.emplace_back(Heading{level, std::move(text)}); }
  void paragraph(std::vector<Run> runs, ParaStyle style = ParaStyle::kBody) {
    blocks_.emplace_back(Paragraph{style, std::move(runs), false});
  }
  void text(std::string t) { paragraph({Run{std::move(t)}}); }

  std::string title;  // docProps/core.xml dc:title

  // The parts of the package, for tests: word/document.xml etc.
  std::string document_xml() const;
  static std::string styles_xml();
  static std::string settings_xml();
  static std::string numbering_xml();
  static std::string footer_xml();

  // Writes the .docx package to path (replaced atomically: a .tmp file, then rename).
  // kIo when the file cannot be written.
  Status write(const std::filesystem::path& path) const;

 private:
  std::vector<Block> blocks_;
};

// XML character escaping for text and attribute values (&, <, >, ", ').
std::string xml_escape(std::string_view s);

// Page geometry in twentieths of a point (twips), as written in w:sectPr.
inline constexpr int kPageWidthTwips = 11906;   // A4 210 mm
inline constexpr int kPageHeightTwips = 16838;  // A4 297 mm
inline constexpr int kMarginTopTwips = 2098;    // 3.7 cm
inline constexpr int kMarginBottomTwips = 1984; // 3.5 cm
inline constexpr int kMarginLeftTwips = 1587;   // 2.8 cm
inline constexpr int kMarginRightTwips = 1474;  // 2.6 cm
inline constexpr int kBodyHalfPoints = 32;      // 3号 = 16 pt
inline constexpr int kTableHalfPoints = 24;     // 小四 = 12 pt

}  // namespace kaiwu::report::docx
