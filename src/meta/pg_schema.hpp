// The PostgreSQL schema: the same migrations as the SQLite one (schema.hpp), version for
// version, translated to PostgreSQL types. Same policy: released migrations are never edited;
// each is applied in its own transaction with its schema_migrations row. migrate() holds a
// session advisory lock meanwhile, so several nodes starting at once migrate one at a time and
// the others find the work done.
#pragma once

#include <span>

#include "core/result.hpp"
#include "meta/schema.hpp"

namespace kaiwu::meta::pg {

class Db;

// Every migration, ascending by version (the same versions as sqlite::migrations()).
std::span<const sqlite::Migration> migrations();
int latest_version();

// Applies the migrations newer than the database's version, in the connection's search_path.
// Returns the version afterwards; kFailedPrecondition when a newer Kaiwu wrote the database.
Result<int> migrate(Db& db);

}  // namespace kaiwu::meta::pg
