// SqlStore: developer portal accounts (table developer_accounts; schema version 8), on SQLite
// and PostgreSQL alike.
#include "core/ids.hpp"
#include "meta/sql_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

constexpr std::string_view kSelect =
    "SELECT id, email, name, organisation, password_hash, verified, token_hash, token_expires_ms, "
    "token_sent_ms, created_ms, verified_ms, user_id, tenant_id, enterprise_id FROM developer_accounts";

Result<DeveloperAccount> read_developer(const Row& r) {
  DeveloperAccount a;
  a.id = r.text(0);
  a.email = r.text(1);
  a.name = r.text(2);
  a.organisation = r.text(3);
  a.password_hash = r.text(4);
  a.verified = r.boolean(5);
  a.token_hash = r.text(6);
  a.token_expires_ms = r.int64(7);
  a.token_sent_ms = r.int64(8);
  a.created_ms = r.int64(9);
  a.verified_ms = r.int64(10);
  a.user_id = r.text(11);
  a.tenant_id = r.text(12);
  a.enterprise_id = r.text(13);
  return a;
}

Result<DeveloperAccount> found(Result<std::optional<DeveloperAccount>> r) {
  if (!r) return std::unexpected(r.error());
  if (!*r) return fail(Errc::kNotFound, "no such developer account");
  return std::move(**r);
}

}  // namespace

Result<DeveloperAccount> SqlStore::create_developer(const DeveloperAccount& in) {
  const auto lock = serialise();
  DeveloperAccount a = in;
  KAIWU_TRY_STATUS(require(a.email, "email"));
  KAIWU_TRY_STATUS(require(a.name, "name"));
  KAIWU_TRY_STATUS(require(a.password_hash, "password_hash"));
  a.id = id_or_new(a.id);
  if (a.created_ms == 0) a.created_ms = now_ms();
  KAIWU_TRY_STATUS(db_->run(Query(
      "INSERT INTO developer_accounts (id, email, name, organisation, password_hash, verified, token_hash, "
      "token_expires_ms, token_sent_ms, created_ms, verified_ms, user_id, tenant_id, enterprise_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {a.id, a.email, a.name, a.organisation, a.password_hash, sql::boolean(a.verified), a.token_hash,
       a.token_expires_ms, a.token_sent_ms, a.created_ms, a.verified_ms, a.user_id, a.tenant_id,
       a.enterprise_id})));
  return a;
}

Result<DeveloperAccount> SqlStore::find_developer_by_email(const std::string& email) {
  const auto lock = serialise();
  return found(db_->one(Query(kSelect).where("email = ?", {email}), read_developer));
}

Result<DeveloperAccount> SqlStore::find_developer_by_token(const std::string& token_hash) {
  const auto lock = serialise();
  if (token_hash.empty()) return fail(Errc::kNotFound, "no such developer account");
  return found(db_->one(Query(kSelect).where("token_hash = ?", {token_hash}), read_developer));
}

Result<DeveloperAccount> SqlStore::find_developer_by_user(const std::string& user_id) {
  const auto lock = serialise();
  if (user_id.empty()) return fail(Errc::kNotFound, "no such developer account");
  return found(db_->one(Query(kSelect).where("user_id = ?", {user_id}), read_developer));
}

Status SqlStore::update_developer(const DeveloperAccount& a) {
  const auto lock = serialise();
  auto changed = db_->run(Query(
      "UPDATE developer_accounts SET name = ?, organisation = ?, password_hash = ?, verified = ?, token_hash = ?, "
      "token_expires_ms = ?, token_sent_ms = ?, verified_ms = ?, user_id = ?, tenant_id = ?, enterprise_id = ? "
      "WHERE id = ?",
      {a.name, a.organisation, a.password_hash, sql::boolean(a.verified), a.token_hash, a.token_expires_ms,
       a.token_sent_ms, a.verified_ms, a.user_id, a.tenant_id, a.enterprise_id, a.id}));
  return expect_changed(changed, "developer account", a.id);
}

Result<std::vector<DeveloperAccount>> SqlStore::list_verified_developers() {
  const auto lock = serialise();
  return db_->all(Query(kSelect).where("verified = 1").tail("ORDER BY created_ms, id"), read_developer);
}

}  // namespace kaiwu::meta
