// PgStore: the cluster MetadataStore (and RuleChainStore) on a PostgreSQL server, beside
// SqliteStore (sqlite_store.hpp) and with the same behaviour: both share SqlStore's method
// bodies (sql_store.hpp) and differ only in their Dialect, and the same conformance suite
// (tests/unit/meta/) runs against both. The schema is pg_schema.cpp, the same migrations.
//
// Several kaiwu nodes may share one database: migrations run under an advisory lock, and
// uniqueness, references and scoping are enforced by the same constraints and queries.
//
// Thread-safe without a store-wide lock: calls run on a small connection pool (pg_db.hpp);
// transaction(fn) pins one connection to the calling thread, and the calls fn makes on that
// thread nest inside it. fn must not wait on another thread that uses the same transaction.
// Calls block on the network: run them off io_context threads.
//
// Differences from SQLite, by necessity: text may not contain NUL bytes (kInvalidArgument);
// a transaction that loses a serialization race or a connection fails kUnavailable.
//
// Errors: as SqliteStore's, converted from SQLSTATEs in pg_db.cpp (unique violation
// kAlreadyExists naming the field, foreign key kFailedPrecondition, connection/serialization
// kUnavailable), each message carrying the server's text.
#pragma once

#include <memory>
#include <string>

#include "meta/sql_store.hpp"

namespace kaiwu::meta {

namespace pg {
class Db;
}

class PgStore final : public SqlStore {
 public:
  // Connects to conninfo (libpq "key=value" or postgresql:// URL; the tables live in its
  // search_path) with a pool of up to pool_size connections and applies pending migrations.
  // kUnavailable if the server cannot be reached, kFailedPrecondition if a newer Kaiwu wrote
  // the schema.
  static Result<std::unique_ptr<PgStore>> open(const std::string& conninfo,
                                               std::size_t pool_size = 8);
  // The schema version this build migrates to.
  static int latest_schema_version();

  Status transaction(const std::function<Status()>& fn) override;

 private:
  PgStore(std::unique_ptr<pg::Db> db, int schema_version);

  pg::Db& pg_;  // db_, as the pool it is (thread-safe itself, see pg_db.hpp)
};

}  // namespace kaiwu::meta
