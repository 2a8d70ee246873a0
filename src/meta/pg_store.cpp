// PgStore: opening, transactions and the PostgreSQL dialect. The method bodies are SqlStore's
// (sql_store*.cpp).
#include "meta/pg_store.hpp"

#include <fmt/format.h>

#include "meta/pg_db.hpp"
#include "meta/pg_schema.hpp"

namespace kaiwu::meta {

namespace {

constexpr Dialect kPgDialect{
    .like = "ILIKE",  // LIKE is case-sensitive in PostgreSQL
    .greatest = "GREATEST",
    // users_username indexes lower(username), which folds ASCII only under "C", as NOCASE does.
    .username_equals = "lower(username) = lower(CAST(? AS TEXT) COLLATE \"C\")",
    // What a unique violation of alarms_open (one uncleared alarm per device and type) names.
    .open_alarm_index = "alarms.tenant_id, alarms.device_id, alarms.type",
    .serialise = false,  // a pool; the server serialises
};

}  // namespace

PgStore::PgStore(std::unique_ptr<pg::Db> db, int schema_version)
    : SqlStore(std::move(db), schema_version, kPgDialect), pg_(static_cast<pg::Db&>(*db_)) {}

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& conninfo,
                                               std::size_t pool_size) {
  auto db = pg::Db::open(conninfo, pool_size);
  if (!db) return std::unexpected(db.error());
  auto version = pg::migrate(**db);
  if (!version) {
    return fail(version.error().code,
                fmt::format("cannot migrate the PostgreSQL schema: {}", version.error().message));
  }
  return std::unique_ptr<PgStore>(new PgStore(std::move(*db), *version));
}

int PgStore::latest_schema_version() { return pg::latest_version(); }

Status PgStore::transaction(const std::function<Status()>& fn) { return pg_.transaction(fn); }

}  // namespace kaiwu::meta
