// PgStore: users and API keys.
#include <array>

#include "core/ids.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

constexpr std::array<Referrer, 1> kUserReferrers{{
    {"SELECT COUNT(*) FROM api_keys WHERE user_id = ?", "api key", "api keys"},
}};

// Platform admins live outside every tenant; everyone else inside one.
Status check_user_placement(const model::User& u) {
  if (u.tenant_id.empty()) {
    if (u.role != model::Role::kPlatformAdmin) {
      return fail(Errc::kInvalidArgument,
                  fmt::format("tenant_id is required for role {}", model::role_name(u.role)));
    }
    if (!u.park_id.empty() || !u.enterprise_id.empty()) {
      return fail(Errc::kInvalidArgument,
                  "a user without a tenant cannot have a park_id or enterprise_id");
    }
    return ok();
  }
  if (u.role == model::Role::kPlatformAdmin) {
    return fail(Errc::kInvalidArgument, "a platform-admin user cannot belong to a tenant");
  }
  return ok();
}

}  // namespace

// --- Users -------------------------------------------------------------------------------------

Result<model::User> PgStore::create_user(const Scope& s, const model::User& in) {
  model::User u = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, u.tenant_id));
  KAIWU_TRY_STATUS(require(u.username, "username"));
  if (!s.enterprise_id.empty() && u.enterprise_id.empty()) {
    u.enterprise_id = s.enterprise_id;
  } else if (!s.park_id.empty() && u.park_id.empty() && u.enterprise_id.empty()) {
    u.park_id = s.park_id;
  }
  KAIWU_TRY_STATUS(check_user_placement(u));
  u.id = id_or_new(u.id);
  if (u.created_ms == 0) u.created_ms = now_ms();
  return atomically<model::User>([&]() -> Result<model::User> {
    if (!u.tenant_id.empty()) KAIWU_TRY_STATUS(check_tenant(*db_, u.tenant_id));
    if (!u.park_id.empty()) KAIWU_TRY_STATUS(check_park(*db_, s, u.tenant_id, u.park_id));
    if (!u.enterprise_id.empty()) {
      KAIWU_TRY_STATUS(check_enterprise(*db_, s, u.tenant_id, u.enterprise_id));
    }
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO users (id, tenant_id, park_id, enterprise_id, username, display_name, role, "
        "password_hash, disabled, created_ms, last_login_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {u.id, sql::text_or_null(u.tenant_id), sql::text_or_null(u.park_id),
         sql::text_or_null(u.enterprise_id), u.username, u.display_name,
         std::string(model::role_name(u.role)), u.password_hash, sql::boolean(u.disabled),
         u.created_ms, u.last_login_ms})));
    return still_in_scope(get_user(s, u.id), "user", u.id);
  });
}

Result<model::User> PgStore::get_user(const Scope& s, const std::string& id) {
  Query q(select_from(kUserColumns, "users"));
  q.where("id = ?", {id});
  scope_user(q, s);
  return get_one(*db_, q, read_user, "user", id);
}

Result<model::User> PgStore::find_user_by_username(const std::string& username) {
  Query q(select_from(kUserColumns, "users"));
  // users_username indexes lower(username), which folds ASCII only under "C", as NOCASE does.
  q.where("lower(username) = lower(CAST(? AS TEXT) COLLATE \"C\")", {username});
  return get_one(*db_, q, read_user, "user", username);
}

Result<PageOf<model::User>> PgStore::list_users(const Scope& s, const UserFilter& f,
                                                    const Page& p) {
  Query q(select_from(kUserColumns, "users"));
  scope_user(q, s);
  if (!f.q.empty()) {
    const std::string pattern = contains_pattern(f.q);
    q.where("(username ILIKE ? ESCAPE '\\' OR display_name ILIKE ? ESCAPE '\\')", {pattern, pattern});
  }
  if (f.role) q.where("role = ?", {std::string(model::role_name(*f.role))});
  if (!f.enterprise_id.empty()) q.where("enterprise_id = ?", {f.enterprise_id});
  return page_by_id(*db_, std::move(q), p, read_user);
}

Result<model::User> PgStore::update_user(const Scope& s, const model::User& in) {
  KAIWU_TRY_STATUS(require(in.username, "username"));
  return atomically<model::User>([&]() -> Result<model::User> {
    const model::User old = KAIWU_TRY(get_user(s, in.id));
    model::User u = in;
    u.tenant_id = old.tenant_id;
    KAIWU_TRY_STATUS(check_user_placement(u));
    if (!u.park_id.empty()) KAIWU_TRY_STATUS(check_park(*db_, s, u.tenant_id, u.park_id));
    if (!u.enterprise_id.empty()) {
      KAIWU_TRY_STATUS(check_enterprise(*db_, s, u.tenant_id, u.enterprise_id));
    }
    KAIWU_TRY_STATUS(db_->run(
        Query("UPDATE users SET park_id = ?, enterprise_id = ?, username = ?, display_name = ?, "
              "role = ?, password_hash = ?, disabled = ? WHERE id = ?",
              {sql::text_or_null(u.park_id), sql::text_or_null(u.enterprise_id), u.username,
               u.display_name, std::string(model::role_name(u.role)), u.password_hash,
               sql::boolean(u.disabled), u.id})));
    return still_in_scope(get_user(s, u.id), "user", u.id);
  });
}

Status PgStore::delete_user(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_user(s, id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "user", id, kUserReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM users WHERE id = ?", {id})));
    return ok();
  });
}

Status PgStore::record_login(const std::string& user_id, std::int64_t time_ms) {
  return expect_changed(
      db_->run(Query("UPDATE users SET last_login_ms = ? WHERE id = ?", {time_ms, user_id})),
      "user", user_id);
}

Result<std::size_t> PgStore::count_users() {
  const std::int64_t n = KAIWU_TRY(db_->scalar(Query("SELECT COUNT(*) FROM users")));
  return static_cast<std::size_t>(n);
}

// --- API keys ----------------------------------------------------------------------------------

Result<model::ApiKey> PgStore::create_api_key(const Scope& s, const model::ApiKey& in) {
  model::ApiKey k = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, k.tenant_id));
  KAIWU_TRY_STATUS(require(k.hash, "hash"));
  if (k.enterprise_id.empty()) k.enterprise_id = s.enterprise_id;
  if (k.tenant_id.empty() && !k.enterprise_id.empty()) {
    return fail(Errc::kInvalidArgument, "an api key without a tenant cannot have an enterprise");
  }
  if (!k.tenant_id.empty() && k.role == model::Role::kPlatformAdmin) {
    return fail(Errc::kInvalidArgument, "a platform-admin api key cannot belong to a tenant");
  }
  k.id = id_or_new(k.id);
  if (k.created_ms == 0) k.created_ms = now_ms();
  return atomically<model::ApiKey>([&]() -> Result<model::ApiKey> {
    if (!k.tenant_id.empty()) KAIWU_TRY_STATUS(check_tenant(*db_, k.tenant_id));
    if (!k.enterprise_id.empty()) {
      KAIWU_TRY_STATUS(check_enterprise(*db_, s, k.tenant_id, k.enterprise_id));
    }
    if (!k.user_id.empty()) KAIWU_TRY_STATUS(check_user(*db_, k.tenant_id, k.user_id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO api_keys (id, tenant_id, enterprise_id, user_id, name, role, prefix, hash, "
        "created_ms, last_used_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {k.id, sql::text_or_null(k.tenant_id), sql::text_or_null(k.enterprise_id),
         sql::text_or_null(k.user_id), k.name, std::string(model::role_name(k.role)), k.prefix,
         k.hash, k.created_ms, k.last_used_ms, k.expires_ms})));
    return still_in_scope(get_api_key(s, k.id), "api key", k.id);
  });
}

Result<model::ApiKey> PgStore::get_api_key(const Scope& s, const std::string& id) {
  Query q(select_from(kApiKeyColumns, "api_keys"));
  q.where("id = ?", {id});
  scope_enterprise_owned(q, s);
  return get_one(*db_, q, read_api_key, "api key", id);
}

Result<model::ApiKey> PgStore::find_api_key_by_hash(const std::string& hash) {
  Query q(select_from(kApiKeyColumns, "api_keys"));
  q.where("hash = ?", {hash});
  // The hash is a credential: keep it out of the message.
  return get_one(*db_, q, read_api_key, "api key", "with that hash");
}

Result<PageOf<model::ApiKey>> PgStore::list_api_keys(const Scope& s, const ApiKeyFilter& f,
                                                         const Page& p) {
  Query q(select_from(kApiKeyColumns, "api_keys"));
  scope_enterprise_owned(q, s);
  if (!f.enterprise_id.empty()) q.where("enterprise_id = ?", {f.enterprise_id});
  return page_by_id(*db_, std::move(q), p, read_api_key);
}

Status PgStore::delete_api_key(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_api_key(s, id));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM api_keys WHERE id = ?", {id})));
    return ok();
  });
}

Status PgStore::touch_api_key(const std::string& id, std::int64_t time_ms) {
  return expect_changed(
      db_->run(Query("UPDATE api_keys SET last_used_ms = ? WHERE id = ?", {time_ms, id})),
      "api key", id);
}

}  // namespace kaiwu::meta
