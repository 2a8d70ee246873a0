// The sql::Db of one sqlite3 connection, internal to meta/: cached prepared statements,
// parameter binding (values are always bound, never spliced into SQL text), row access, and
// conversion of SQLite result codes to kaiwu::Error at this boundary.
//
// Not thread-safe: SqliteStore serialises every call with its mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "meta/sql.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kaiwu::meta::sqlite {

using sql::boolean;
using sql::Query;
using sql::real_or_null;
using sql::Row;
using sql::text_or_null;
using sql::Value;

// The current row of a statement being stepped; valid only inside the row callback.
class StmtRow final : public Row {
 public:
  explicit StmtRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  std::string text(int col) const override;
  std::int64_t int64(int col) const override;
  std::optional<double> real(int col) const override;

 private:
  sqlite3_stmt* stmt_;
};

class Db final : public sql::Db {
 public:
  // Opens (creating if needed) the database at path (":memory:" for a private in-memory one)
  // and sets the connection pragmas: WAL, foreign keys, synchronous, busy timeout.
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db() override;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs statements without parameters (schema scripts, BEGIN/COMMIT).
  Status script(const std::string& sql) override;
  // Runs one statement; returns the number of rows it changed.
  Result<std::int64_t> run(const Query& q) override;
  // Calls fn for each row of a query.
  Status each(const Query& q, const std::function<Status(const Row&)>& fn) override;
  std::int64_t last_insert_rowid() const;

 private:
  class Lease;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;
  };

  explicit Db(sqlite3* db);
  Result<Lease> prepare(const std::string& sql);
  Status bind(sqlite3_stmt* stmt, const std::vector<Value>& params);
  Error error(int rc) const;

  sqlite3* db_;
  std::unordered_map<std::string, Cached> cache_;  // SQL text -> prepared statement
};

}  // namespace kaiwu::meta::sqlite
