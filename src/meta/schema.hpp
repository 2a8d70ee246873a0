// The SQLite schema as an ordered list of migrations, and how constraint violations read.
//
// Policy: a migration, once released, is never edited; a schema change is a new entry at the end
// of the list. Each is applied in its own transaction together with its schema_migrations row,
// so a crash leaves the database at a whole version.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kaiwu::meta::sqlite {

class Db;

struct Migration {
  int version;
  const char* sql;
};

// Every migration, ascending by version.
std::span<const Migration> migrations();
int latest_version();

// Applies the migrations newer than the database's version. Returns the version afterwards.
// kFailedPrecondition when the database was written by a newer Kaiwu (unknown version).
Result<int> migrate(Db& db);

// A message naming the field for SQLite's "UNIQUE constraint failed: t.a, t.b" text.
std::string describe_unique(std::string_view sqlite_message);

}  // namespace kaiwu::meta::sqlite
