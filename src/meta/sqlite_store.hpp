// SqliteStore: the embedded MetadataStore on one SQLite database file. The method bodies are
// SqlStore's (sql_store.hpp); this class adds opening, transactions and the SQLite dialect.
//
// One connection, serialised by a recursive mutex: any thread may call any method, and calls
// made from inside transaction(fn) on the same thread nest. A transaction holds the mutex until
// it ends, so fn must not wait for another thread that uses the store. Calls block on disk I/O:
// run them off io_context threads.
//
// Behaviour beyond store.hpp's contract (the conformance suite in tests/unit/meta/ pins it):
//  - A reference to a park/enterprise/profile/gateway/user that is not visible in the caller's
//    scope or belongs to another tenant: kNotFound "<kind> <id> not found".
//  - A create or update whose result would fall outside the caller's own scope (e.g. a park
//    scope creating a second park): kFailedPrecondition.
//  - Parks: list_parks is tenant-wide for every scope; get/update/delete_park under a park scope
//    reach only that park. Profiles are tenant-wide for every scope.
//  - create_device fills an empty access_token with a random token; create_profile an empty
//    updated_ms with created_ms; update_profile sets updated_ms to now.
//  - Usernames compare case-insensitively (ASCII) for uniqueness and find_user_by_username.
//  - Users and API keys with an empty tenant_id (platform-wide) can be created only in the
//    platform scope; a platform-admin user has no tenant and every other role needs one.
//  - list_audit: from_ms and to_ms are both inclusive; scopes filter by tenant only.
//  - Attributes: one updated_ms (now) for every key of a set_attributes call; a key given twice
//    keeps its last value; values are stored as given (not re-serialised). JSON nested deeper
//    than 32 levels is refused (Boost.JSON's default limit).
//
// Errors from SQLite: unique violations kAlreadyExists naming the field, foreign-key failures
// kFailedPrecondition, SQLITE_CORRUPT/NOTADB kCorruption, SQLITE_BUSY kUnavailable, other
// failures kIo; each message carries SQLite's own text.
#pragma once

#include <memory>
#include <string>

#include "meta/sql_store.hpp"

namespace kaiwu::meta {

namespace sqlite {
class Db;
}

class SqliteStore final : public SqlStore {
 public:
  // Opens or creates the database at path (":memory:" for a private in-memory database) and
  // applies pending migrations. kIo if the file cannot be opened, kCorruption if it is not a
  // database, kFailedPrecondition if a newer Kaiwu wrote it.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  // The schema version this build migrates to.
  static int latest_schema_version();

  Status transaction(const std::function<Status()>& fn) override;

  // with_db() as the SQLite connection it is, for SQLite-only code.
  Status with_connection(const std::function<Status(sqlite::Db&)>& fn);

 private:
  SqliteStore(std::unique_ptr<sqlite::Db> db, int schema_version);

  sqlite::Db& sqlite_;  // db_, as the SQLite connection it is
  int tx_depth_ = 0;    // guarded by mu_
};

}  // namespace kaiwu::meta
