// AppFiles: files APPs produce for their users (kaiwu.files.xlsx), kept under the data dir per
// tenant / enterprise / APP — <root>/<tenant>/<enterprise>/<app>/<id>.xlsx with <id>.json beside
// it (name, size, time) — newest 100 per APP and enterprise (older ones are deleted on write).
// Downloaded with GET /api/v1/apps/{appId}/files/{fileId} by the same enterprise.
//
// XLSX is written with libxlsxwriter (Debian libxlsxwriter-dev): numbers stay numbers, strings
// strings, booleans booleans; an optional title row; header row bold; column widths from the
// content. Thread-safe (one write at a time per store); calls block on disk I/O.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "core/result.hpp"

namespace kaiwu::apps {

inline constexpr std::size_t kFilesKept = 100;
inline constexpr std::size_t kMaxSheets = 32;
inline constexpr std::size_t kMaxSheetRows = 100'000;
inline constexpr std::size_t kMaxSheetColumns = 256;
inline constexpr std::size_t kMaxCells = 1'000'000;  // per workbook

struct FileOwner {
  std::string tenant_id;
  std::string enterprise_id;
  std::string app_id;
};

struct FileInfo {
  std::string id;
  std::string name;  // download name, ends in .xlsx
  std::int64_t size = 0;
  std::int64_t created_ms = 0;
};

struct FileContent {
  FileInfo info;
  std::string bytes;
};

inline constexpr std::string_view kXlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

class AppFiles {
 public:
  explicit AppFiles(std::filesystem::path root) : root_(std::move(root)) {}

  // sheets: [{name, columns: [..], rows: [[..], ..], title?}, ..] (an empty Lua table may come
  // as {}; a row with holes as an object {"1": .., "3": ..}). kInvalidArgument naming the sheet,
  // row and column of a problem; kIo when the file cannot be written.
  Result<FileInfo> write_xlsx(const FileOwner& owner, const std::string& name, const boost::json::value& sheets);
  // kNotFound unless the file belongs to exactly this owner.
  Result<FileContent> read(const FileOwner& owner, const std::string& file_id);

 private:
  Result<std::filesystem::path> dir_of(const FileOwner& owner) const;
  void prune(const std::filesystem::path& dir);

  std::filesystem::path root_;
  std::mutex mu_;
};

}  // namespace kaiwu::apps
