// What the store code needs from a SQL database, shared by the SQLite and PostgreSQL adapters:
// bound values, statements assembled from constant fragments, row access and a connection that
// runs them. Internal to meta/. Values are always bound, never spliced into SQL text; SQL is
// written with '?' placeholders (the PostgreSQL adapter numbers them).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::meta::sql {

// A bound parameter: NULL, INTEGER, REAL or TEXT.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

inline Value text_or_null(const std::string& s) { return s.empty() ? Value{} : Value{s}; }
inline Value real_or_null(std::optional<double> v) { return v ? Value{*v} : Value{}; }
inline Value boolean(bool b) { return std::int64_t{b ? 1 : 0}; }

// The current row of a query; valid only inside the row callback.
class Row {
 public:
  virtual ~Row() = default;
  virtual std::string text(int col) const = 0;    // NULL reads as ""
  virtual std::int64_t int64(int col) const = 0;  // NULL reads as 0
  bool boolean(int col) const { return int64(col) != 0; }
  virtual std::optional<double> real(int col) const = 0;  // NULL reads as nullopt
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

// A connection (or a pool acting as one). Errors come back as kaiwu::Error converted by the
// adapter.
class Db {
 public:
  virtual ~Db() = default;

  // Runs statements without parameters (schema scripts, BEGIN/COMMIT).
  virtual Status script(const std::string& sql) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<std::int64_t> run(const Query& q) = 0;
  // Calls fn for each row of a query.
  virtual Status each(const Query& q, const std::function<Status(const Row&)>& fn) = 0;

  // First column of the first row; 0 when the query returns no row.
  Result<std::int64_t> scalar(const Query& q) {
    std::optional<std::int64_t> value;
    KAIWU_TRY_STATUS(each(q, [&](const Row& row) -> Status {
      if (!value) value = row.int64(0);
      return ok();
    }));
    return value.value_or(0);
  }

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
};

}  // namespace kaiwu::meta::sql
