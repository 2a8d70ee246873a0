// The 双跨 declaration export: section 二 of the application form (平台基本情况与能力指标) as a
// DOCX filled from the live indicators, plus the evidence annexes as XLSX and run-log extracts.
//
// Two stages with a seam between them:
//  - gather_declaration (declaration_sources.cpp) reads the platform's stores into a
//    DeclarationInput: the indicators JSON (report::compute_indicators' shape, see
//    /work/CONTRACT-S17.md) and the annex tables;
//  - write_declaration (this file's .cpp) turns a DeclarationInput into files in a directory.
//    It never invents a value: a figure whose value is null, and every documentary item the
//    platform cannot know (finance, patents, certifications…), is a highlighted marked blank
//    【待填写：…】 listed again at the end of the document.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "report/docx.hpp"

namespace kaiwu::report {

// One annex: an XLSX workbook with one sheet per AnnexSheet.
struct AnnexSheet {
  std::string name;                   // sheet name (≤ 31 characters)
  std::vector<std::string> columns;   // header row
  std::vector<std::vector<boost::json::value>> rows;  // cells: string, number, bool or null
};

struct Annex {
  std::string file_name;  // "附件1-设备清单.xlsx"
  std::string title;      // "附件1 设备清单" (listed in the document)
  std::vector<AnnexSheet> sheets;
};

struct DeclarationInput {
  int year = 0;
  std::string platform_name = "Kaiwu（开物）工业互联网平台";
  std::string platform_version;
  std::int64_t generated_ms = 0;
  boost::json::object indicators;  // compute_indicators' result
  std::vector<Annex> annexes;
};

struct DeclarationFile {
  std::string name;
  std::uintmax_t bytes = 0;
};

inline constexpr std::string_view kDocxName = "申报书-二-平台基本情况与能力指标.docx";
inline constexpr std::string_view kDocxContentType =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
inline constexpr std::string_view kXlsxContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// Section 二 as a document (for tests and write_declaration).
docx::Document build_section_two(const DeclarationInput& in);

// Writes the DOCX, one XLSX per annex and 附件6 指标口径 (each figure's definition and query)
// into dir (created if missing). kIo when a file cannot be written; kInvalidArgument when the
// indicators object lacks "indicators".
Result<std::vector<DeclarationFile>> write_declaration(const DeclarationInput& in, const std::filesystem::path& dir);

// Writes one workbook (libxlsxwriter): bold header row, frozen, widths from the content.
Status write_xlsx(const std::filesystem::path& path, const std::vector<AnnexSheet>& sheets);

// A figure's value as text for the document ("123", "运行设备 3；加工设备 2"); empty for null
// (a blank) and for row arrays (rendered as tables).
std::string figure_text(const boost::json::object& figure);

}  // namespace kaiwu::report
