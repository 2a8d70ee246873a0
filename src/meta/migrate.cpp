#include "meta/migrate.hpp"

#include <fmt/format.h>

#include <string>

#include "core/ids.hpp"

namespace kaiwu::meta::sql {

namespace {

const Query kMaxVersion("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");

Status apply(Db& db, const sqlite::Migration& m, const MigrationSyntax& syntax) {
  KAIWU_TRY_STATUS(db.script(std::string(syntax.begin)));
  auto body = [&]() -> Status {
    // Another process may have migrated between our read of the version and BEGIN.
    if (KAIWU_TRY(db.scalar(kMaxVersion)) >= m.version) return ok();
    KAIWU_TRY_STATUS(db.script(m.sql));
    KAIWU_TRY_STATUS(db.run(Query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)",
                                  {std::int64_t{m.version}, now_ms()})));
    return ok();
  };
  if (auto s = body(); !s) {
    (void)db.script("ROLLBACK");
    return fail(s.error().code, fmt::format("migration {}: {}", m.version, s.error().message));
  }
  return db.script("COMMIT");
}

}  // namespace

Result<int> migrate(Db& db, std::span<const sqlite::Migration> list, const MigrationSyntax& syntax) {
  KAIWU_TRY_STATUS(db.script(std::string(syntax.create_table)));
  const std::int64_t found = KAIWU_TRY(db.scalar(kMaxVersion));
  const int latest = list.back().version;
  if (found > latest) {
    return fail(Errc::kFailedPrecondition,
                fmt::format("database schema version {} is newer than this build knows ({})", found,
                            latest));
  }
  for (const sqlite::Migration& m : list) {
    if (m.version <= found) continue;
    KAIWU_TRY_STATUS(apply(db, m, syntax));
  }
  return static_cast<int>(KAIWU_TRY(db.scalar(kMaxVersion)));
}

}  // namespace kaiwu::meta::sql
