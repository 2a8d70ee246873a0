// SqliteStore: opening, transactions and the SQLite dialect. The method bodies are SqlStore's
// (sql_store*.cpp).
#include "meta/sqlite_store.hpp"

#include <fmt/format.h>

#include "meta/schema.hpp"
#include "meta/sqlite_db.hpp"

namespace kaiwu::meta {

namespace {

constexpr Dialect kSqliteDialect{
    .like = "LIKE",  // ASCII case-insensitive by default
    .greatest = "MAX",
    .username_equals = "username = ?",  // the column collates NOCASE
    .open_alarm_index = {},             // one writer: no concurrent insert to retry
    .serialise = true,                  // one connection
};

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Db> db, int schema_version)
    : SqlStore(std::move(db), schema_version, kSqliteDialect),
      sqlite_(static_cast<sqlite::Db&>(*db_)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  auto db = sqlite::Db::open(path);
  if (!db) return std::unexpected(db.error());
  auto version = sqlite::migrate(**db);
  if (!version) {
    return fail(version.error().code,
                fmt::format("cannot migrate {}: {}", path, version.error().message));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db), *version));
}

int SqliteStore::latest_schema_version() { return sqlite::latest_version(); }

Status SqliteStore::transaction(const std::function<Status()>& fn) {
  const auto lock = serialise();
  const bool outermost = tx_depth_ == 0;
  // Savepoints all share one name: ROLLBACK TO / RELEASE act on the innermost of that name.
  KAIWU_TRY_STATUS(db_->script(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT nested"));
  auto roll_back = [&] {
    // Errors are ignored: SQLite may already have rolled back (e.g. after SQLITE_FULL).
    (void)db_->script(outermost ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
  };
  ++tx_depth_;
  Status result;
  try {
    result = fn();
  } catch (...) {
    --tx_depth_;
    roll_back();
    throw;
  }
  --tx_depth_;
  if (result) result = db_->script(outermost ? "COMMIT" : "RELEASE nested");
  if (!result) roll_back();
  return result;
}

Status SqliteStore::with_connection(const std::function<Status(sqlite::Db&)>& fn) {
  return with_db([&](sql::Db&) -> Status { return fn(sqlite_); });
}

}  // namespace kaiwu::meta
