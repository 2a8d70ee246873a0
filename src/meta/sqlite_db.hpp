// A thin layer over one sqlite3 connection, internal to meta/: cached prepared statements,
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

struct sqlite3;
struct sqlite3_stmt;

namespace kaiwu::meta::sqlite {

// A bound parameter: NULL, INTEGER, REAL or TEXT.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

inline Value text_or_null(const std::string& s) { return s.empty() ? Value{} : Value{s}; }
inline Value real_or_null(std::optional<double> v) { return v ? Value{*v} : Value{}; }
inline Value boolean(bool b) { return std::int64_t{b ? 1 : 0}; }

// The current row of a statement being stepped; valid only inside the row callback.
class Row {
 public:
  explicit Row(sqlite3_stmt* stmt) : stmt_(stmt) {}
  std::string text(int col) const;    // NULL reads as ""
  std::int64_t int64(int col) const;  // NULL reads as 0
  bool boolean(int col) const { return int64(col) != 0; }
  std::optional<double> real(int col) const;  // NULL reads as nullopt

 private:
  sqlite3_stmt* stmt_;
};

// One SQL statement and its parameters, assembled from constant fragments. where() conditions
// are joined with AND; their '?' placeholders take the values given beside them, in order.
class Query {
 public:
  explicit Query(std::string_view head, std::vector<Value> params = {});
  Query& where(std::string_view condition, std::vector<Value> params = {});
  Query& tail(std::string_view text, std::vector<Value> params = {});

  std::string sql() const;
  std::vector<Value> params() const;

 private:
  std::string head_;
  std::vector<Value> head_params_;
  std::vector<std::string> conditions_;
  std::vector<Value> condition_params_;
  std::string tail_;
  std::vector<Value> tail_params_;
};

class Db {
 public:
  // Opens (creating if needed) the database at path (":memory:" for a private in-memory one)
  // and sets the connection pragmas: WAL, foreign keys, synchronous, busy timeout.
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs statements without parameters (schema scripts, BEGIN/COMMIT).
  Status script(const std::string& sql);
  // Runs one statement; returns the number of rows it changed.
  Result<std::int64_t> run(const Query& q);
  // Calls fn for each row of a query.
  Status each(const Query& q, const std::function<Status(const Row&)>& fn);
  // First column of the first row; 0 when the query returns no row.
  Result<std::int64_t> scalar(const Query& q);
  std::int64_t last_insert_rowid() const;

  // Maps every row with map(const Row&) -> Result<T>.
  template <typename Map>
  auto all(const Query& q, Map map)
      -> Result<std::vector<typename std::invoke_result_t<Map, const Row&>::value_type>> {
    using T = typename std::invoke_result_t<Map, const Row&>::value_type;
    std::vector<T> out;
    KAIWU_TRY_STATUS(each(q, [&](const Row& row) -> Status {
      auto v = map(row);
      if (!v) return std::unexpected(v.error());
      out.push_back(std::move(*v));
      return ok();
    }));
    return out;
  }

  // The first row mapped, or nullopt.
  template <typename Map>
  auto one(const Query& q, Map map)
      -> Result<std::optional<typename std::invoke_result_t<Map, const Row&>::value_type>> {
    using T = typename std::invoke_result_t<Map, const Row&>::value_type;
    std::optional<T> out;
    KAIWU_TRY_STATUS(each(q, [&](const Row& row) -> Status {
      if (out) return ok();
      auto v = map(row);
      if (!v) return std::unexpected(v.error());
      out = std::move(*v);
      return ok();
    }));
    return out;
  }

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
