// KvStore: the persistent key-value storage of APPs (kaiwu.store.*), one namespace per (tenant,
// enterprise, APP), so an APP sees only what it stored for the enterprise it runs for. Values are
// JSON text. Tables: app_kv, migration 10 of meta/schema.cpp and its twin in meta/pg_schema.cpp.
//
// Limits (CONTRACT-S16): keys 1..200 bytes, values ≤ 64 KiB of JSON, ≤ 10,000 keys per
// namespace; beyond them kInvalidArgument / kResourceExhausted with the limit in the message.
// Thread-safe (each call is one transaction of the connection it is given); calls block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "meta/sql.hpp"

namespace kaiwu::meta {
class SqliteStore;
}

namespace kaiwu::apps {

inline constexpr std::size_t kMaxKvKeyBytes = 200;
inline constexpr std::size_t kMaxKvValueBytes = 64u << 10;
inline constexpr std::int64_t kMaxKvKeys = 10'000;
inline constexpr std::size_t kMaxKvList = 10'000;

struct KvNamespace {
  std::string tenant_id;
  std::string enterprise_id;
  std::string app_id;
};

struct KvEntry {
  std::string key;
  std::string value_json;
  std::int64_t updated_ms = 0;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  // nullopt when the key is not stored.
  virtual Result<std::optional<std::string>> get(const KvNamespace& ns, const std::string& key) = 0;
  // Inserts or replaces.
  virtual Status put(const KvNamespace& ns, const std::string& key, const std::string& value_json) = 0;
  // True when the key was there.
  virtual Result<bool> remove(const KvNamespace& ns, const std::string& key) = 0;
  // Entries whose key starts with prefix, ordered by key (bytewise), at most limit (1..10,000).
  virtual Result<std::vector<KvEntry>> list(const KvNamespace& ns, const std::string& prefix, std::size_t limit) = 0;
};

// Runs fn with a connection inside one transaction (SqliteStore::with_connection, or a pinned
// PostgreSQL connection between BEGIN and COMMIT).
using WithDb = std::function<Status(const std::function<Status(meta::sql::Db&)>&)>;

// The KvStore on the sql::Db seam: the same statements on SQLite and PostgreSQL.
std::unique_ptr<KvStore> make_sql_kv_store(WithDb with_db);
// On the SQLite metadata database's own connection.
std::unique_ptr<KvStore> make_sqlite_kv_store(meta::SqliteStore& store);

}  // namespace kaiwu::apps
