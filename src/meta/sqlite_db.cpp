#include "meta/sqlite_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "meta/schema.hpp"

namespace kaiwu::meta::sqlite {

namespace {

// Statements kept prepared; beyond this the cache is emptied (filter combinations are bounded,
// so this only guards against surprises).
constexpr std::size_t kMaxCachedStatements = 512;
constexpr int kBusyTimeoutMs = 5000;

Error to_error(int rc, std::string_view message) {
  const std::string text(message);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          return Error{Errc::kAlreadyExists,
                       fmt::format("{} ({})", describe_unique(message), text)};
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return Error{Errc::kFailedPrecondition,
                       fmt::format("referenced object missing or still referenced ({})", text)};
        default:
          return Error{Errc::kInvalidArgument, text};
      }
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error{Errc::kCorruption, fmt::format("database corrupt: {}", text)};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Errc::kUnavailable, fmt::format("database busy: {}", text)};
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Error{Errc::kInternal, fmt::format("sqlite misuse: {}", text)};
    default:
      return Error{Errc::kIo, fmt::format("database error: {}", text)};
  }
}

}  // namespace

std::string StmtRow::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::int64_t StmtRow::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<double> StmtRow::real(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(stmt_, col);
}

// A prepared statement borrowed for one execution: reset and unbound when returned, and
// finalised if it was not taken from the cache (a statement re-entered while in use).
// cache_ is node-based and busy entries are never evicted, so the entry pointer stays valid.
class Db::Lease {
 public:
  Lease(sqlite3_stmt* stmt, Cached* entry) : stmt_(stmt), entry_(entry) {}
  Lease(Lease&& o) noexcept
      : stmt_(std::exchange(o.stmt_, nullptr)), entry_(std::exchange(o.entry_, nullptr)) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (stmt_ == nullptr) return;
    if (entry_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->busy = false;
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  Cached* entry_;  // nullptr: not cached
};

Db::Db(sqlite3* db) : db_(db) {}

Db::~Db() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = to_error(rc, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    e.message = fmt::format("cannot open {}: {}", path, e.message);
    sqlite3_close_v2(raw);
    return std::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  std::unique_ptr<Db> db(new Db(raw));

  auto with_path = [&](Error e) {
    e.message = fmt::format("cannot open {}: {}", path, e.message);
    return std::unexpected(std::move(e));
  };
  if (auto s = db->script("PRAGMA foreign_keys = ON"); !s) return with_path(s.error());
  auto fk = db->scalar(Query("PRAGMA foreign_keys"));
  if (!fk) return with_path(fk.error());
  if (*fk != 1) return with_path(Error{Errc::kInternal, "SQLite built without foreign keys"});

  // WAL lets readers of other processes (kaiwu admin) run beside the server; where the file
  // system cannot do WAL (or in memory) keep the rollback journal and sync fully.
  std::string mode;
  auto journal = db->each(Query("PRAGMA journal_mode = WAL"), [&](const Row& row) -> Status {
    mode = row.text(0);
    return ok();
  });
  if (!journal) return with_path(journal.error());
  auto sync =
      db->script(mode == "wal" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
  if (!sync) return with_path(sync.error());
  return db;
}

Error Db::error(int rc) const { return to_error(rc, sqlite3_errmsg(db_)); }

Status Db::script(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return ok();
  Error e = to_error(rc, message != nullptr ? message : sqlite3_errmsg(db_));
  sqlite3_free(message);
  return std::unexpected(std::move(e));
}

Result<Db::Lease> Db::prepare(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end() && !it->second.busy) {
    it->second.busy = true;
    return Lease(it->second.stmt, &it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(error(rc));
  }
  if (cache_.contains(sql)) return Lease(stmt, nullptr);  // the cached one is in use
  if (cache_.size() >= kMaxCachedStatements) {
    std::erase_if(cache_, [](const auto& entry) {
      if (entry.second.busy) return false;
      sqlite3_finalize(entry.second.stmt);
      return true;
    });
  }
  auto [it, inserted] = cache_.emplace(sql, Cached{stmt, true});
  return Lease(stmt, &it->second);
}

Status Db::bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return fail(Errc::kInternal,
                fmt::format("statement wants {} parameters, got {}: {}",
                            sqlite3_bind_parameter_count(stmt), params.size(), sqlite3_sql(stmt)));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else {
      const auto& s = std::get<std::string>(v);
      rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) return std::unexpected(error(rc));
  }
  return ok();
}

Result<std::int64_t> Db::run(const Query& q) {
  auto lease = prepare(q.sql());
  if (!lease) return std::unexpected(lease.error());
  KAIWU_TRY_STATUS(bind(lease->get(), q.params()));
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(lease->get());
  if (rc != SQLITE_DONE) return std::unexpected(error(rc));
  return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Status Db::each(const Query& q, const std::function<Status(const Row&)>& fn) {
  auto lease = prepare(q.sql());
  if (!lease) return std::unexpected(lease.error());
  KAIWU_TRY_STATUS(bind(lease->get(), q.params()));
  const StmtRow row(lease->get());
  while (true) {
    const int rc = sqlite3_step(lease->get());
    if (rc == SQLITE_DONE) return ok();
    if (rc != SQLITE_ROW) return std::unexpected(error(rc));
    KAIWU_TRY_STATUS(fn(row));
  }
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace kaiwu::meta::sqlite
