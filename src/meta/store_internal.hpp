// Pieces shared by the sqlite_store_*.cpp and pg_store_*.cpp files: scope conditions, reference checks,
// pagination and row mapping. Internal to meta/.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "meta/sql.hpp"
#include "meta/sqlite_db.hpp"
#include "meta/sqlite_store.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta {

template <typename T>
Result<T> SqliteStore::atomically(const std::function<Result<T>()>& fn) {
  std::optional<T> out;
  KAIWU_TRY_STATUS(transaction([&]() -> Status {
    auto r = fn();
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return ok();
  }));
  return std::move(*out);
}

namespace detail {

using sql::Db;
using sql::Query;
using sql::Row;
using sql::Value;

inline constexpr std::size_t kMaxPageLimit = 1000;

// --- Scope conditions, added to a query on the table of that kind -------------------------

// tenant_id = ? when the scope has a tenant.
void scope_tenant(Query& q, const Scope& s);
// Parks reached one at a time: a park scope reaches only its park.
void scope_park(Query& q, const Scope& s);
void scope_enterprise(Query& q, const Scope& s);
// Devices and API keys: by the enterprise they belong to.
void scope_enterprise_owned(Query& q, const Scope& s);
// Users: by enterprise, or in a park scope also by their park.
void scope_user(Query& q, const Scope& s);

// --- Validation and references ---------------------------------------------------------------

Status require(const std::string& value, std::string_view field);
// Fills an empty tenant_id from the scope; kNotFound if it names another tenant than the scope.
// An empty result is left for the caller to judge (only platform objects may have none).
Status adopt_tenant(const Scope& s, std::string& tenant_id);
// A non-empty id or a fresh one.
std::string id_or_new(const std::string& id);

// Each returns kNotFound "<kind> <id> not found" unless the object exists in tenant_id and is
// visible in s.
Status check_tenant(Db& db, const std::string& tenant_id);
Status check_park(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id);
Status check_enterprise(Db& db, const Scope& s, const std::string& tenant_id,
                        const std::string& id);
Status check_profile(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id);
// Also kFailedPrecondition when the device is not a gateway.
Status check_gateway(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id);
// The user must be in tenant_id or be a platform user.
Status check_user(Db& db, const std::string& tenant_id, const std::string& id);

// Something that may still refer to an object: a count query taking the object's id.
struct Referrer {
  std::string_view count_sql;
  std::string_view singular;
  std::string_view plural;
};
// kFailedPrecondition "<what> still has 3 devices, 1 user" when any referrer counts rows.
Status check_unreferenced(Db& db, std::string_view what, const std::string& id,
                          std::span<const Referrer> referrers);

// kNotFound "<kind> <id> not found" when nothing changed.
Status expect_changed(const Result<std::int64_t>& changes, std::string_view kind,
                      const std::string& id);

// --- Filters and pagination ------------------------------------------------------------------

// A LIKE pattern matching q anywhere, with %, _ and \ in q escaped (use ESCAPE '\').
std::string contains_pattern(std::string_view q);
std::size_t clamp_limit(std::size_t limit);
std::int64_t clamp_offset(std::size_t offset);

// Pages a query over a table with text ids, ascending. q has its conditions; this adds the
// cursor, ORDER BY, LIMIT and OFFSET.
template <typename Map>
auto page_by_id(Db& db, Query q, const Page& p, Map map)
    -> Result<PageOf<typename std::invoke_result_t<Map, const Row&>::value_type>> {
  const std::size_t limit = clamp_limit(p.limit);
  std::int64_t offset = clamp_offset(p.offset);
  if (!p.cursor.empty()) {
    q.where("id > ?", {p.cursor});
    offset = 0;
  }
  q.tail("ORDER BY id LIMIT ? OFFSET ?", {static_cast<std::int64_t>(limit + 1), offset});
  auto rows = db.all(q, map);
  if (!rows) return std::unexpected(rows.error());
  PageOf<typename std::invoke_result_t<Map, const Row&>::value_type> page;
  page.items = std::move(*rows);
  if (page.items.size() > limit) {
    page.items.pop_back();
    page.next = page.items.back().id;
  }
  return page;
}

// Fetches exactly one object or kNotFound "<kind> <id> not found".
template <typename Map>
auto get_one(Db& db, const Query& q, Map map, std::string_view kind, const std::string& id)
    -> Result<typename std::invoke_result_t<Map, const Row&>::value_type> {
  auto row = db.one(q, map);
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(Errc::kNotFound, fmt::format("{} {} not found", kind, id));
  return std::move(**row);
}

// A create or update must leave the object visible in the caller's scope: r is the scoped
// read-back, and kNotFound there becomes kFailedPrecondition (the transaction then rolls back).
template <typename T>
Result<T> still_in_scope(Result<T> r, std::string_view kind, const std::string& id) {
  if (!r && r.error().code == Errc::kNotFound) {
    return fail(Errc::kFailedPrecondition,
                fmt::format("{} {} would fall outside the caller's scope", kind, id));
  }
  return r;
}

// --- Rows ------------------------------------------------------------------------------------

inline constexpr std::string_view kTenantColumns = "id, name, description, created_ms";
inline constexpr std::string_view kParkColumns =
    "id, tenant_id, name, region, level, address, created_ms";
inline constexpr std::string_view kEnterpriseColumns =
    "id, tenant_id, park_id, name, credit_code, industry, sme, paid, address, longitude, "
    "latitude, created_ms";
inline constexpr std::string_view kUserColumns =
    "id, tenant_id, park_id, enterprise_id, username, display_name, role, password_hash, "
    "disabled, created_ms, last_login_ms";
inline constexpr std::string_view kApiKeyColumns =
    "id, tenant_id, enterprise_id, user_id, name, role, prefix, hash, created_ms, "
    "last_used_ms, expires_ms";
inline constexpr std::string_view kProfileColumns =
    "id, tenant_id, name, description, thing_model, created_ms, updated_ms, provision_mode, "
    "provision_key, provision_secret, provision_enterprise_id";
inline constexpr std::string_view kDeviceColumns =
    "id, tenant_id, enterprise_id, profile_id, name, category, protocol, is_gateway, "
    "gateway_id, label, access_token, created_ms, last_seen_ms, cert_fingerprint";
inline constexpr std::string_view kAuditColumns =
    "id, tenant_id, actor, action, object_type, object_id, time_ms, source, request_id, detail";

// "SELECT <columns> FROM <table>" for the constant names above.
std::string select_from(std::string_view columns, std::string_view table);

Result<model::Tenant> read_tenant(const Row& r);
Result<model::Park> read_park(const Row& r);
Result<model::Enterprise> read_enterprise(const Row& r);
Result<model::User> read_user(const Row& r);
Result<model::ApiKey> read_api_key(const Row& r);
Result<model::DeviceProfile> read_profile(const Row& r);
Result<model::Device> read_device(const Row& r);
Result<model::AuditEntry> read_audit(const Row& r);

}  // namespace detail
}  // namespace kaiwu::meta
