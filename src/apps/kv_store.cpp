#include "apps/kv_store.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "meta/sqlite_db.hpp"
#include "meta/sqlite_store.hpp"

namespace kaiwu::apps {
namespace {

using meta::sql::Db;
using meta::sql::Query;
using meta::sql::Row;
using meta::sql::Value;

constexpr std::string_view kScope = "tenant_id = ? AND enterprise_id = ? AND app_id = ?";

std::vector<Value> scope_params(const KvNamespace& ns) { return {ns.tenant_id, ns.enterprise_id, ns.app_id}; }

Status check_namespace(const KvNamespace& ns) {
  if (ns.tenant_id.empty() || ns.enterprise_id.empty() || ns.app_id.empty())
    return fail(Errc::kInvalidArgument, "storage needs a tenant, an enterprise and an APP");
  return ok();
}

Status check_key(const std::string& key) {
  if (key.empty() || key.size() > kMaxKvKeyBytes)
    return fail(Errc::kInvalidArgument, fmt::format("storage key must be 1..{} bytes (got {})", kMaxKvKeyBytes, key.size()));
  if (key.find('\0') != std::string::npos) return fail(Errc::kInvalidArgument, "storage key must not contain NUL");
  return ok();
}

class SqlKvStore final : public KvStore {
 public:
  explicit SqlKvStore(WithDb with_db) : with_db_(std::move(with_db)) {}

  Result<std::optional<std::string>> get(const KvNamespace& ns, const std::string& key) override {
    KAIWU_TRY_STATUS(check_namespace(ns));
    KAIWU_TRY_STATUS(check_key(key));
    std::optional<std::string> out;
    KAIWU_TRY_STATUS(with_db_([&](Db& db) -> Status {
      out = KAIWU_TRY(db.one(Query("SELECT value FROM app_kv").where(kScope, scope_params(ns)).where("key = ?", {key}),
                             [](const Row& r) -> Result<std::string> { return r.text(0); }));
      return ok();
    }));
    return out;
  }

  Status put(const KvNamespace& ns, const std::string& key, const std::string& value_json) override {
    KAIWU_TRY_STATUS(check_namespace(ns));
    KAIWU_TRY_STATUS(check_key(key));
    if (value_json.size() > kMaxKvValueBytes)
      return fail(Errc::kInvalidArgument, fmt::format("storage value of '{}' is {} bytes of JSON; at most {} (64 KiB)",
                                                      key, value_json.size(), kMaxKvValueBytes));
    return with_db_([&](Db& db) -> Status {
      const auto exists = KAIWU_TRY(
          db.scalar(Query("SELECT COUNT(*) FROM app_kv").where(kScope, scope_params(ns)).where("key = ?", {key})));
      if (exists == 0) {
        const auto n = KAIWU_TRY(db.scalar(Query("SELECT COUNT(*) FROM app_kv").where(kScope, scope_params(ns))));
        if (n >= kMaxKvKeys)
          return fail(Errc::kResourceExhausted,
                      fmt::format("storage of app {} is full: {} keys for this enterprise (at most {}); delete some first",
                                  ns.app_id, n, kMaxKvKeys));
      }
      KAIWU_TRY(db.run(Query("INSERT INTO app_kv (tenant_id, enterprise_id, app_id, key, value, updated_ms) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, enterprise_id, app_id, key) "
                             "DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                             {ns.tenant_id, ns.enterprise_id, ns.app_id, key, value_json, now_ms()})));
      return ok();
    });
  }

  Result<bool> remove(const KvNamespace& ns, const std::string& key) override {
    KAIWU_TRY_STATUS(check_namespace(ns));
    KAIWU_TRY_STATUS(check_key(key));
    std::int64_t n = 0;
    KAIWU_TRY_STATUS(with_db_([&](Db& db) -> Status {
      n = KAIWU_TRY(db.run(Query("DELETE FROM app_kv").where(kScope, scope_params(ns)).where("key = ?", {key})));
      return ok();
    }));
    return n > 0;
  }

  Result<std::vector<KvEntry>> list(const KvNamespace& ns, const std::string& prefix, std::size_t limit) override {
    KAIWU_TRY_STATUS(check_namespace(ns));
    if (prefix.size() > kMaxKvKeyBytes)
      return fail(Errc::kInvalidArgument, fmt::format("storage prefix must be at most {} bytes", kMaxKvKeyBytes));
    if (limit < 1 || limit > kMaxKvList)
      return fail(Errc::kInvalidArgument, fmt::format("storage list limit must be 1..{}", kMaxKvList));
    std::vector<KvEntry> out;
    KAIWU_TRY_STATUS(with_db_([&](Db& db) -> Status {
      Query q("SELECT key, value, updated_ms FROM app_kv");
      q.where(kScope, scope_params(ns));
      // substr/length count characters in both SQLite and PostgreSQL, so this is a prefix test.
      if (!prefix.empty()) q.where("key >= ? AND substr(key, 1, length(CAST(? AS TEXT))) = ?", {prefix, prefix, prefix});
      q.tail(" ORDER BY key LIMIT ?", {static_cast<std::int64_t>(limit)});
      out = KAIWU_TRY(db.all(q, [](const Row& r) -> Result<KvEntry> { return KvEntry{r.text(0), r.text(1), r.int64(2)}; }));
      return ok();
    }));
    return out;
  }

 private:
  WithDb with_db_;
};

}  // namespace

std::unique_ptr<KvStore> make_sql_kv_store(WithDb with_db) { return std::make_unique<SqlKvStore>(std::move(with_db)); }

std::unique_ptr<KvStore> make_sqlite_kv_store(meta::SqliteStore& store) {
  return make_sql_kv_store([&store](const std::function<Status(meta::sql::Db&)>& fn) {
    return store.with_connection([&](meta::sqlite::Db& db) { return fn(db); });
  });
}

}  // namespace kaiwu::apps
