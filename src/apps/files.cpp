#include "apps/files.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::apps {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxNameBytes = 120;
constexpr std::size_t kMaxCellChars = 32'767;  // Excel's limit for one cell
constexpr double kMinWidth = 8;
constexpr double kMaxWidth = 60;

// Ids become path components: only [A-Za-z0-9_-].
bool safe_component(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Result<std::string> download_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes)
    return fail(Errc::kInvalidArgument, fmt::format("argument 1 (name) must be 1..{} bytes", kMaxNameBytes));
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"')
      return fail(Errc::kInvalidArgument, "argument 1 (name) must not contain / \\ \" or control characters");
  }
  return name.ends_with(".xlsx") ? name : name + ".xlsx";
}

// Display width of a cell's text: CJK and other wide characters count two.
double text_width(std::string_view s) {
  double w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += n >= 3 ? 2 : 1;
    i += n;
  }
  return w;
}

std::string cell_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  return json::serialize(v);
}

// A JSON array, {} (an empty Lua table) or an object with keys "1".."n" (a Lua table with holes)
// as a vector of (0-based index, value).
Result<std::vector<std::pair<std::size_t, const json::value*>>> elements(const json::value& v, const std::string& where,
                                                                         std::size_t max) {
  std::vector<std::pair<std::size_t, const json::value*>> out;
  if (v.is_array()) {
    if (v.get_array().size() > max) return fail(Errc::kInvalidArgument, fmt::format("{}: more than {} entries", where, max));
    for (std::size_t i = 0; i < v.get_array().size(); ++i) out.emplace_back(i, &v.get_array()[i]);
    return out;
  }
  if (!v.is_object()) return fail(Errc::kInvalidArgument, fmt::format("{} must be a list", where));
  for (const auto& [k, x] : v.get_object()) {
    std::size_t idx = 0;
    const auto key = std::string_view(k);
    auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), idx);
    if (ec != std::errc() || p != key.data() + key.size() || idx < 1 || idx > max)
      return fail(Errc::kInvalidArgument, fmt::format("{} must be a list (found key '{}')", where, key));
    out.emplace_back(idx - 1, &x);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

struct Sheet {
  std::string name;
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::pair<std::size_t, const json::value*>>> rows;
};

Result<std::vector<Sheet>> parse_sheets(const json::value& v) {
  std::vector<Sheet> out;
  auto list = KAIWU_TRY(elements(v, "argument 2 (sheets)", kMaxSheets));
  if (list.empty()) return fail(Errc::kInvalidArgument, "argument 2 (sheets) must hold at least one sheet");
  std::size_t cells = 0;
  for (const auto& [i, s] : list) {
    const std::string at = fmt::format("sheets[{}]", i + 1);
    if (!s->is_object()) return fail(Errc::kInvalidArgument, at + " must be a table {name=, columns=, rows=}");
    const auto& o = s->get_object();
    for (const auto& [k, _] : o) {
      if (k != "name" && k != "columns" && k != "rows" && k != "title")
        return fail(Errc::kInvalidArgument, fmt::format("{}.{}: unknown field (name, columns, rows, title)", at, std::string_view(k)));
    }
    Sheet sheet;
    const auto* name = o.if_contains("name");
    if (!name || !name->is_string()) return fail(Errc::kInvalidArgument, at + ".name must be a string");
    sheet.name = std::string(name->get_string());
    // Excel: 1..31 characters, none of []:*?/\ and unique (case-insensitively).
    std::size_t chars = 0;
    for (unsigned char c : sheet.name) chars += (c & 0xC0) != 0x80;
    if (chars < 1 || chars > 31 || sheet.name.find_first_of("[]:*?/\\") != std::string::npos)
      return fail(Errc::kInvalidArgument, at + ".name must be 1..31 characters without []:*?/\\");
    for (const auto& other : out) {
      if (std::equal(other.name.begin(), other.name.end(), sheet.name.begin(), sheet.name.end(),
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }))
        return fail(Errc::kInvalidArgument, fmt::format("{}.name '{}' is used twice", at, sheet.name));
    }
    if (const auto* t = o.if_contains("title"); t && !t->is_null()) {
      if (!t->is_string()) return fail(Errc::kInvalidArgument, at + ".title must be a string");
      sheet.title = std::string(t->get_string());
    }
    if (const auto* c = o.if_contains("columns")) {
      for (const auto& [ci, col] : KAIWU_TRY(elements(*c, at + ".columns", kMaxSheetColumns))) {
        if (!col->is_string()) return fail(Errc::kInvalidArgument, fmt::format("{}.columns[{}] must be a string", at, ci + 1));
        sheet.columns.resize(ci + 1);
        sheet.columns[ci] = std::string(col->get_string());
      }
    }
    if (const auto* r = o.if_contains("rows")) {
      for (const auto& [ri, row] : KAIWU_TRY(elements(*r, at + ".rows", kMaxSheetRows))) {
        auto cols = KAIWU_TRY(elements(*row, fmt::format("{}.rows[{}]", at, ri + 1), kMaxSheetColumns));
        cells += cols.size();
        if (cells > kMaxCells) return fail(Errc::kInvalidArgument, fmt::format("more than {} cells in one workbook", kMaxCells));
        sheet.rows.resize(ri + 1);
        sheet.rows[ri] = std::move(cols);
      }
    }
    out.push_back(std::move(sheet));
  }
  return out;
}

Status lxw(lxw_error e, std::string_view what) {
  if (e == LXW_NO_ERROR) return ok();
  return fail(e == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED ? Errc::kInvalidArgument : Errc::kIo,
              fmt::format("{}: {}", what, lxw_strerror(e)));
}

Status write_sheet(lxw_workbook* wb, lxw_worksheet* ws, const Sheet& s, lxw_format* bold) {
  std::vector<double> widths(s.columns.size(), 0);
  auto widen = [&](std::size_t col, double w) {
    if (widths.size() <= col) widths.resize(col + 1, 0);
    widths[col] = std::max(widths[col], w);
  };
  lxw_row_t row = 0;
  if (!s.title.empty()) {
    KAIWU_TRY_STATUS(lxw(worksheet_write_string(ws, row++, 0, s.title.c_str(), bold), s.name + " title"));
  }
  if (!s.columns.empty()) {
    for (std::size_t c = 0; c < s.columns.size(); ++c) {
      KAIWU_TRY_STATUS(lxw(worksheet_write_string(ws, row, static_cast<lxw_col_t>(c), s.columns[c].c_str(), bold),
                           fmt::format("{} column {}", s.name, c + 1)));
      widen(c, text_width(s.columns[c]));
    }
    ++row;
  }
  for (std::size_t r = 0; r < s.rows.size(); ++r, ++row) {
    for (const auto& [c, v] : s.rows[r]) {
      const auto col = static_cast<lxw_col_t>(c);
      const std::string where = fmt::format("{} row {} column {}", s.name, r + 1, c + 1);
      lxw_error e = LXW_NO_ERROR;
      if (v->is_null()) continue;
      if (v->is_int64() || v->is_uint64() || v->is_double()) {
        const double d = v->to_number<double>();
        e = worksheet_write_number(ws, row, col, d, nullptr);
        widen(c, static_cast<double>(fmt::format("{}", d).size()));
      } else if (v->is_bool()) {
        e = worksheet_write_boolean(ws, row, col, v->get_bool() ? 1 : 0, nullptr);
        widen(c, 5);
      } else {
        const std::string text = cell_text(*v);
        if (text.size() > kMaxCellChars * 4 || text_width(text) > kMaxCellChars)
          return fail(Errc::kInvalidArgument, where + ": text longer than 32767 characters");
        e = worksheet_write_string(ws, row, col, text.c_str(), nullptr);
        widen(c, text_width(text));
      }
      KAIWU_TRY_STATUS(lxw(e, where));
    }
  }
  for (std::size_t c = 0; c < widths.size(); ++c)
    worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                         std::clamp(widths[c] + 2, kMinWidth, kMaxWidth), nullptr);
  (void)wb;
  return ok();
}

Status write_workbook(const fs::path& path, const std::vector<Sheet>& sheets) {
  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb) return fail(Errc::kIo, "cannot create " + path.string());
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  Status st = ok();
  for (const auto& s : sheets) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, s.name.c_str());
    if (!ws) {
      st = fail(Errc::kInvalidArgument, fmt::format("sheet name '{}' is not accepted", s.name));
      break;
    }
    st = write_sheet(wb, ws, s, bold);
    if (!st) break;
  }
  const lxw_error closed = workbook_close(wb);  // frees wb, writes the file
  if (!st) return st;
  return lxw(closed, "writing " + path.filename().string());
}

Result<std::string> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, "cannot read " + path.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

constexpr std::string_view kOwner = "tenant_id = ? AND enterprise_id = ? AND app_id = ?";

std::vector<meta::sql::Value> owner_params(const FileOwner& o) { return {o.tenant_id, o.enterprise_id, o.app_id}; }

}  // namespace

Result<FileInfo> AppFiles::write_xlsx(const FileOwner& owner, const std::string& name, const json::value& sheets) {
  if (!safe_component(owner.tenant_id) || !safe_component(owner.enterprise_id) || !safe_component(owner.app_id))
    return fail(Errc::kInvalidArgument, "files need a tenant, an enterprise and an APP");
  FileInfo info;
  info.name = KAIWU_TRY(download_name(name));
  const auto parsed = KAIWU_TRY(parse_sheets(sheets));
  info.id = new_id();
  info.created_ms = now_ms();
  std::error_code ec;
  fs::create_directories(scratch_, ec);
  if (ec) return fail(Errc::kIo, fmt::format("cannot create {}: {}", scratch_.string(), ec.message()));
  const auto tmp = scratch_ / (info.id + ".xlsx.tmp");
  auto written = write_workbook(tmp, parsed);
  auto bytes = written ? slurp(tmp) : Result<std::string>(std::unexpected(written.error()));
  fs::remove(tmp, ec);
  if (!bytes) return std::unexpected(bytes.error());
  info.size = static_cast<std::int64_t>(bytes->size());
  if (info.size > max_bytes_)
    return fail(Errc::kResourceExhausted,
                fmt::format("{} would be {} bytes; at most {} bytes per file", info.name, info.size, max_bytes_));
  const auto encoded = crypto::base64url_encode(*bytes);
  KAIWU_TRY_STATUS(with_db_([&](meta::sql::Db& db) -> Status {
    KAIWU_TRY(db.run(meta::sql::Query("INSERT INTO app_files (id, tenant_id, enterprise_id, app_id, name, size, "
                                      "created_ms, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                      {info.id, owner.tenant_id, owner.enterprise_id, owner.app_id, info.name,
                                       info.size, info.created_ms, encoded})));
    // Retention: the newest kFilesKept of this owner (ids sort by creation time).
    meta::sql::Query prune("DELETE FROM app_files");
    prune.where(kOwner, owner_params(owner));
    meta::sql::Query newest("SELECT id FROM app_files");
    newest.where(kOwner, owner_params(owner)).tail(" ORDER BY id DESC LIMIT ?", {std::int64_t{kFilesKept}});
    prune.where("id NOT IN (" + newest.sql() + ")", newest.params());
    KAIWU_TRY(db.run(prune));
    return ok();
  }));
  return info;
}

Result<FileContent> AppFiles::read(const FileOwner& owner, const std::string& file_id) {
  if (!safe_component(file_id)) return fail(Errc::kNotFound, "file " + file_id + " not found");
  std::optional<FileContent> out;
  KAIWU_TRY_STATUS(with_db_([&](meta::sql::Db& db) -> Status {
    out = KAIWU_TRY(db.one(
        meta::sql::Query("SELECT id, name, size, created_ms, content FROM app_files")
            .where(kOwner, owner_params(owner))
            .where("id = ?", {file_id}),
        [](const meta::sql::Row& r) -> Result<FileContent> {
          auto bytes = crypto::base64url_decode(r.text(4));
          if (!bytes) return fail(Errc::kCorruption, "stored file " + r.text(0) + " is not base64url");
          return FileContent{FileInfo{r.text(0), r.text(1), r.int64(2), r.int64(3)}, std::move(*bytes)};
        }));
    return ok();
  }));
  if (!out) return fail(Errc::kNotFound, "file " + file_id + " not found");
  return std::move(*out);
}

}  // namespace kaiwu::apps
