// AppFiles: files APPs produce for their users (kaiwu.files.xlsx), kept in the metadata database
// (table app_files, migration 13; SQLite or the cluster's PostgreSQL, so any node serves a
// download) per tenant / enterprise / APP: newest 100 per APP and enterprise (older ones are
// deleted in the same transaction as the write), each at most kMaxFileBytes; the rows go with
// their enterprise. Downloaded with GET /api/v1/apps/{appId}/files/{fileId} by the same
// enterprise. The bytes are stored base64url in a TEXT column (PostgreSQL text holds no NUL).
//
// XLSX is written with libxlsxwriter (Debian libxlsxwriter-dev) to a scratch file, read back and
// removed: numbers stay numbers, strings strings, booleans booleans; an optional title row;
// header row bold; column widths from the content. Thread-safe; calls block on disk and database.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "apps/kv_store.hpp"
#include "core/result.hpp"

namespace kaiwu::apps {

inline constexpr std::size_t kFilesKept = 100;
inline constexpr std::size_t kMaxSheets = 32;
inline constexpr std::size_t kMaxSheetRows = 100'000;
inline constexpr std::size_t kMaxSheetColumns = 256;
inline constexpr std::size_t kMaxCells = 1'000'000;  // per workbook
inline constexpr std::int64_t kMaxFileBytes = 16 << 20;  // one stored workbook

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
  // with_db runs its function in a transaction of the metadata database (as for the KvStore);
  // scratch: a directory for the workbook while libxlsxwriter writes it.
  AppFiles(WithDb with_db, std::filesystem::path scratch, std::int64_t max_bytes = kMaxFileBytes)
      : with_db_(std::move(with_db)), scratch_(std::move(scratch)), max_bytes_(max_bytes) {}

  // sheets: [{name, columns: [..], rows: [[..], ..], title?}, ..] (an empty Lua table may come
  // as {}; a row with holes as an object {"1": .., "3": ..}). kInvalidArgument naming the sheet,
  // row and column of a problem; kResourceExhausted beyond max_bytes; kIo when the scratch
  // file cannot be written.
  Result<FileInfo> write_xlsx(const FileOwner& owner, const std::string& name, const boost::json::value& sheets);
  // kNotFound unless the file belongs to exactly this owner.
  Result<FileContent> read(const FileOwner& owner, const std::string& file_id);

 private:
  WithDb with_db_;
  std::filesystem::path scratch_;
  std::int64_t max_bytes_;
};

}  // namespace kaiwu::apps
