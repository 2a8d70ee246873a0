#include "meta/sql_connection.hpp"

#include "meta/pg_db.hpp"
#include "meta/pg_schema.hpp"
#include "meta/schema.hpp"
#include "meta/sqlite_db.hpp"

namespace kaiwu::meta::sql {

Result<Connection> open_sqlite(const std::string& path, bool migrate) {
  auto db = KAIWU_TRY(sqlite::Db::open(path));
  if (migrate) KAIWU_TRY(sqlite::migrate(*db));
  sqlite::Db& conn = *db;
  return Connection{.db = std::move(db),
                    .transaction = [&conn](const std::function<Status()>& fn) -> Status {
                      KAIWU_TRY_STATUS(conn.script("BEGIN IMMEDIATE"));
                      auto st = fn();
                      if (st) st = conn.script("COMMIT");
                      if (!st) (void)conn.script("ROLLBACK");
                      return st;
                    },
                    .like = "LIKE",
                    .serialise = true,
                    .postgres = false};
}

Result<Connection> open_postgres(const std::string& conninfo, std::size_t pool_size, bool migrate) {
  auto db = KAIWU_TRY(pg::Db::open(conninfo, pool_size));
  if (migrate) KAIWU_TRY(pg::migrate(*db));
  pg::Db& pool = *db;
  return Connection{.db = std::move(db),
                    .transaction = [&pool](const std::function<Status()>& fn) { return pool.transaction(fn); },
                    .like = "ILIKE",
                    .serialise = false,
                    .postgres = true};
}

}  // namespace kaiwu::meta::sql
