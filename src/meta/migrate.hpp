// The migration loop shared by schema.cpp (SQLite) and pg_schema.cpp (PostgreSQL); each keeps
// its own list of migration texts. Internal to meta/.
#pragma once

#include <span>
#include <string_view>

#include "core/result.hpp"
#include "meta/schema.hpp"
#include "meta/sql.hpp"

namespace kaiwu::meta::sql {

// How a backend spells the two statements the loop needs.
struct MigrationSyntax {
  // Creates schema_migrations (version, applied_ms) if it does not exist.
  std::string_view create_table;
  // Opens a migration's transaction (SQLite: BEGIN IMMEDIATE, to take the write lock first).
  std::string_view begin;
};

// Applies each migration of list newer than the database's version, in its own transaction
// together with its schema_migrations row (one found applied meanwhile by another process is
// skipped). Returns the version afterwards; kFailedPrecondition when the database is newer
// than the last entry of list.
Result<int> migrate(Db& db, std::span<const sqlite::Migration> list, const MigrationSyntax& syntax);

}  // namespace kaiwu::meta::sql
