// PgStore: rule chains and their versions (tables rule_chains, rule_chain_versions; schema
// version 5).
#include "core/ids.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

// The chain joined with one of its versions (the current one unless the query says otherwise).
constexpr std::string_view kSelectCurrent =
    "SELECT c.id, c.tenant_id, c.name, c.description, c.enabled, v.version, v.definition, "
    "v.created_by, c.created_ms, c.updated_ms FROM rule_chains c "
    "JOIN rule_chain_versions v ON v.chain_id = c.id AND v.version = c.version";
constexpr std::string_view kSelectVersions =
    "SELECT c.id, c.tenant_id, c.name, c.description, c.enabled, v.version, v.definition, "
    "v.created_by, c.created_ms, v.created_ms FROM rule_chains c "
    "JOIN rule_chain_versions v ON v.chain_id = c.id";

Result<model::RuleChain> read_rule_chain(const Row& r) {
  model::RuleChain c;
  c.id = r.text(0);
  c.tenant_id = r.text(1);
  c.name = r.text(2);
  c.description = r.text(3);
  c.enabled = r.boolean(4);
  c.version = r.int64(5);
  c.definition = r.text(6);
  c.updated_by = r.text(7);
  c.created_ms = r.int64(8);
  c.updated_ms = r.int64(9);
  return c;
}

}  // namespace

Result<model::RuleChain> PgStore::create_rule_chain(const Scope& s, const model::RuleChain& in) {
  model::RuleChain c = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, c.tenant_id));
  KAIWU_TRY_STATUS(require(c.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(c.name, "name"));
  KAIWU_TRY_STATUS(require(c.definition, "definition"));
  c.id = id_or_new(c.id);
  c.version = 1;
  if (c.created_ms == 0) c.created_ms = now_ms();
  c.updated_ms = c.created_ms;
  return atomically<model::RuleChain>([&]() -> Result<model::RuleChain> {
    KAIWU_TRY_STATUS(check_tenant(*db_, c.tenant_id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO rule_chains (id, tenant_id, name, description, enabled, version, created_ms, "
        "updated_ms) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        {c.id, c.tenant_id, c.name, c.description, sql::boolean(c.enabled), c.created_ms,
         c.updated_ms})));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO rule_chain_versions (chain_id, version, definition, created_by, created_ms) "
        "VALUES (?, 1, ?, ?, ?)",
        {c.id, c.definition, c.updated_by, c.created_ms})));
    return still_in_scope(get_rule_chain(s, c.id), "rule chain", c.id);
  });
}

Result<model::RuleChain> PgStore::get_rule_chain(const Scope& s, const std::string& id,
                                                     std::int64_t version) {
  if (version <= 0) {
    Query q(kSelectCurrent);
    q.where("c.id = ?", {id});
    scope_tenant(q, s);
    return get_one(*db_, q, read_rule_chain, "rule chain", id);
  }
  Query q(kSelectVersions);
  q.where("c.id = ?", {id}).where("v.version = ?", {version});
  scope_tenant(q, s);
  auto chain = KAIWU_TRY(db_->one(q, read_rule_chain));
  if (chain) return std::move(*chain);
  KAIWU_TRY_STATUS(get_rule_chain(s, id, 0));  // kNotFound for the chain itself first
  return fail(Errc::kNotFound, fmt::format("rule chain {} has no version {}", id, version));
}

Result<PageOf<model::RuleChain>> PgStore::list_rule_chains(const Scope& s,
                                                               const RuleChainFilter& f,
                                                               const Page& p) {
  Query q(kSelectCurrent);
  scope_tenant(q, s);
  if (!f.q.empty()) q.where("c.name ILIKE ? ESCAPE '\\'", {contains_pattern(f.q)});
  if (f.enabled) q.where("c.enabled = ?", {sql::boolean(*f.enabled)});
  return page_by_id(*db_, std::move(q), p, read_rule_chain);
}

Result<std::vector<model::RuleChain>> PgStore::list_rule_chain_versions(const Scope& s,
                                                                            const std::string& id) {
  KAIWU_TRY_STATUS(get_rule_chain(s, id, 0));
  Query q(kSelectVersions);
  q.where("c.id = ?", {id});
  scope_tenant(q, s);
  q.tail("ORDER BY v.version DESC");
  return db_->all(q, read_rule_chain);
}

Result<model::RuleChain> PgStore::update_rule_chain(const Scope& s, const model::RuleChain& c) {
  KAIWU_TRY_STATUS(require(c.name, "name"));
  KAIWU_TRY_STATUS(require(c.definition, "definition"));
  return atomically<model::RuleChain>([&]() -> Result<model::RuleChain> {
    const model::RuleChain current = KAIWU_TRY(get_rule_chain(s, c.id, 0));
    const std::int64_t version = current.version + 1;
    const std::int64_t at = now_ms();
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO rule_chain_versions (chain_id, version, definition, created_by, created_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        {c.id, version, c.definition, c.updated_by, at})));
    KAIWU_TRY_STATUS(db_->run(
        Query("UPDATE rule_chains SET name = ?, description = ?, version = ?, updated_ms = ? "
              "WHERE id = ?",
              {c.name, c.description, version, at, c.id})));
    return get_rule_chain(s, c.id, 0);
  });
}

Result<model::RuleChain> PgStore::set_rule_chain_enabled(const Scope& s, const std::string& id,
                                                             bool enabled) {
  return atomically<model::RuleChain>([&]() -> Result<model::RuleChain> {
    KAIWU_TRY_STATUS(get_rule_chain(s, id, 0));
    KAIWU_TRY_STATUS(db_->run(Query("UPDATE rule_chains SET enabled = ?, updated_ms = ? WHERE id = ?",
                                    {sql::boolean(enabled), now_ms(), id})));
    return get_rule_chain(s, id, 0);
  });
}

Status PgStore::delete_rule_chain(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_rule_chain(s, id, 0));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM rule_chains WHERE id = ?", {id})));
    return ok();
  });
}

Result<std::vector<model::RuleChain>> PgStore::list_enabled_rule_chains() {
  Query q(kSelectCurrent);
  q.where("c.enabled = 1");
  q.tail("ORDER BY c.tenant_id, c.id");
  return db_->all(q, read_rule_chain);
}

}  // namespace kaiwu::meta
