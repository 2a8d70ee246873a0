// A database connection of either backend opened on its own, for the stores that keep their own
// connection beside the metadata store (the model catalogue, metering) and write their SQL once
// against sql::Db. What differs between the backends comes with it: how a transaction runs, the
// case-insensitive LIKE, and whether calls must be serialised by the owner.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "meta/sql.hpp"

namespace kaiwu::meta::sql {

struct Connection {
  std::unique_ptr<Db> db;
  // Runs fn atomically (SQLite: BEGIN IMMEDIATE … COMMIT; PostgreSQL: one pinned pool
  // connection); fn's error rolls back. Not nestable on SQLite.
  std::function<Status(const std::function<Status()>&)> transaction;
  std::string_view like;  // "LIKE" (SQLite, ASCII case-insensitive) or "ILIKE"
  bool serialise = false;  // one SQLite connection: the owner serialises every call
  bool postgres = false;
};

// SQLite file (":memory:" for a private database); migrate: apply the metadata migrations.
Result<Connection> open_sqlite(const std::string& path, bool migrate);
// A pool of pool_size connections to a PostgreSQL server (libpq conninfo); migrate: apply the
// metadata migrations (under their advisory lock).
Result<Connection> open_postgres(const std::string& conninfo, std::size_t pool_size, bool migrate);

}  // namespace kaiwu::meta::sql
