// The ModelStore (model_store.hpp) on the sql::Db seam: table models (schema version 7) on its
// own connection (SQLite) or connection pool (PostgreSQL), one body for both backends.
#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <mutex>

#include "core/ids.hpp"
#include "meta/model_store.hpp"
#include "meta/sql_connection.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {
namespace {

using sql::Db;
using sql::Query;
using sql::Row;

constexpr std::string_view kColumns =
    "SELECT COALESCE(m.tenant_id, ''), m.id, m.version, m.seq, m.type, m.name_zh, m.name_en, m.manifest, "
    "m.deprecated, m.created_by, m.created_ms FROM models m";
// Only the latest version of each model.
constexpr std::string_view kLatest =
    "m.seq = (SELECT MAX(l.seq) FROM models l WHERE COALESCE(l.tenant_id, '') = COALESCE(m.tenant_id, '') "
    "AND l.id = m.id)";
constexpr std::string_view kTypes[] = {"research_simulation", "business_process", "mechanism", "data_algorithm"};

Result<ModelRecord> read_model(const Row& r) {
  ModelRecord m;
  m.tenant_id = r.text(0);
  m.id = r.text(1);
  m.version = r.text(2);
  m.seq = r.int64(3);
  m.type = r.text(4);
  m.name_zh = r.text(5);
  m.name_en = r.text(6);
  m.manifest = r.text(7);
  m.deprecated = r.boolean(8);
  m.created_by = r.text(9);
  m.created_ms = r.int64(10);
  return m;
}

// Conditions of a listing or count (no version condition).
void visible(Query& q, const ModelQuery& mq, std::string_view like) {
  if (mq.public_only) {
    q.where("m.tenant_id IS NULL");
  } else if (!mq.all_tenants) {
    if (mq.include_public) q.where("(m.tenant_id = ? OR m.tenant_id IS NULL)", {mq.tenant_id});
    else q.where("m.tenant_id = ?", {mq.tenant_id});
  }
  if (!mq.type.empty()) q.where("m.type = ?", {mq.type});
  if (!mq.q.empty()) {
    const std::string pat = detail::contains_pattern(mq.q);
    q.where(fmt::format("(m.id {0} ? ESCAPE '\\' OR m.name_zh {0} ? ESCAPE '\\' OR m.name_en {0} ? ESCAPE '\\')", like),
            {pat, pat, pat});
  }
  q.where(kLatest);
  if (!mq.include_deprecated) q.where("m.deprecated = 0");
}

class SqlModelStore final : public ModelStore {
 public:
  explicit SqlModelStore(sql::Connection c) : backend_(std::move(c)), db_(backend_.db) {}

  Result<ModelRecord> add_model_version(const ModelRecord& in) override {
    const auto lock = serialise();
    if (in.id.empty() || in.version.empty() || in.manifest.empty())
      return fail(Errc::kInvalidArgument, "model id, version and manifest are required");
    ModelRecord m = in;
    if (m.created_ms == 0) m.created_ms = now_ms();
    KAIWU_TRY_STATUS(backend_.transaction([&]() -> Status {
      auto r = insert(m);
      if (!r) return std::unexpected(r.error());
      return ok();
    }));
    return m;
  }

  Result<ModelRecord> get_model(const std::string& tenant, const std::string& id, const std::string& version) override {
    const auto lock = serialise();
    const std::string owner = KAIWU_TRY(owner_of(tenant, id));
    Query q(kColumns);
    q.where("COALESCE(m.tenant_id, '') = ?", {owner}).where("m.id = ?", {id});
    if (version.empty()) q.tail("ORDER BY m.seq DESC LIMIT 1");
    else q.where("m.version = ?", {version});
    auto found = KAIWU_TRY(db_->one(q, read_model));
    if (!found) return fail(Errc::kNotFound, fmt::format("model {} has no version {}", id, version));
    return std::move(*found);
  }

  Result<std::vector<ModelRecord>> list_model_versions(const std::string& tenant, const std::string& id) override {
    const auto lock = serialise();
    const std::string owner = KAIWU_TRY(owner_of(tenant, id));
    Query q(kColumns);
    q.where("COALESCE(m.tenant_id, '') = ?", {owner}).where("m.id = ?", {id}).tail("ORDER BY m.seq DESC");
    return db_->all(q, read_model);
  }

  Result<PageOf<ModelRecord>> list_models(const ModelQuery& mq, const Page& p) override {
    const auto lock = serialise();
    const std::size_t limit = detail::clamp_limit(p.limit);
    std::int64_t offset = detail::clamp_offset(p.offset);
    if (!p.cursor.empty()) {
      auto [ptr, ec] = std::from_chars(p.cursor.data(), p.cursor.data() + p.cursor.size(), offset);
      if (ec != std::errc() || ptr != p.cursor.data() + p.cursor.size() || offset < 0)
        return fail(Errc::kInvalidArgument, "cursor: not a cursor of this list");
    }
    Query q(kColumns);
    visible(q, mq, backend_.like);
    q.tail("ORDER BY m.id, COALESCE(m.tenant_id, '') LIMIT ? OFFSET ?",
           {static_cast<std::int64_t>(limit + 1), offset});
    PageOf<ModelRecord> page;
    page.items = KAIWU_TRY(db_->all(q, read_model));
    if (page.items.size() > limit) {
      page.items.pop_back();
      page.next = std::to_string(offset + static_cast<std::int64_t>(limit));
    }
    return page;
  }

  Status set_model_deprecated(const std::string& owner, const std::string& id, const std::string& version,
                              bool deprecated) override {
    const auto lock = serialise();
    Query q("UPDATE models SET deprecated = ?", {sql::boolean(deprecated)});
    q.where("COALESCE(tenant_id, '') = ?", {owner}).where("id = ?", {id});
    if (!version.empty()) q.where("version = ?", {version});
    const auto changed = KAIWU_TRY(db_->run(q));
    if (changed == 0)
      return fail(Errc::kNotFound, version.empty() ? fmt::format("model {} not found", id)
                                                   : fmt::format("model {} has no version {}", id, version));
    return ok();
  }

  Result<std::vector<std::pair<std::string, std::int64_t>>> count_models_by_type(const ModelQuery& mq) override {
    const auto lock = serialise();
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (auto type : kTypes) {
      ModelQuery one = mq;
      one.type = std::string(type);
      Query q("SELECT COUNT(*) FROM models m");
      visible(q, one, backend_.like);
      const auto n = KAIWU_TRY(db_->scalar(q));
      out.emplace_back(std::string(type), n);
    }
    return out;
  }

 private:
  // The owner whose model `id` the tenant sees: its own, else the public one.
  Result<std::string> owner_of(const std::string& tenant, const std::string& id) {
    for (const std::string& owner : {tenant, std::string()}) {
      const auto n = KAIWU_TRY(
          db_->scalar(Query("SELECT COUNT(*) FROM models WHERE COALESCE(tenant_id, '') = ? AND id = ?", {owner, id})));
      if (n > 0) return owner;
      if (tenant.empty()) break;
    }
    return fail(Errc::kNotFound, fmt::format("model {} not found", id));
  }

  Result<ModelRecord> insert(ModelRecord& m) {
    if (!m.tenant_id.empty()) KAIWU_TRY_STATUS(detail::check_tenant(*db_, m.tenant_id));
    const auto exists = KAIWU_TRY(db_->scalar(
        Query("SELECT COUNT(*) FROM models WHERE COALESCE(tenant_id, '') = ? AND id = ? AND version = ?",
              {m.tenant_id, m.id, m.version})));
    if (exists > 0)
      return fail(Errc::kAlreadyExists, fmt::format("model {} version {} already exists", m.id, m.version));
    m.seq = KAIWU_TRY(db_->scalar(Query(
                "SELECT COALESCE(MAX(seq), 0) FROM models WHERE COALESCE(tenant_id, '') = ? AND id = ?",
                {m.tenant_id, m.id}))) +
            1;
    KAIWU_TRY(db_->run(Query(
        "INSERT INTO models (tenant_id, id, version, seq, type, name_zh, name_en, manifest, deprecated, created_by, "
        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {sql::text_or_null(m.tenant_id), m.id, m.version, m.seq, m.type, m.name_zh, m.name_en, m.manifest,
         sql::boolean(m.deprecated), m.created_by, m.created_ms})));
    return m;
  }

  std::unique_lock<std::mutex> serialise() {
    if (!backend_.serialise) return {};
    return std::unique_lock(mu_);
  }

  std::mutex mu_;  // guards db_ when backend_.serialise (one connection, not thread-safe)
  sql::Connection backend_;
  const std::unique_ptr<Db>& db_;  // backend_.db
};

}  // namespace

Result<std::unique_ptr<ModelStore>> open_sqlite_model_store(const std::string& path) {
  return std::unique_ptr<ModelStore>(std::make_unique<SqlModelStore>(KAIWU_TRY(sql::open_sqlite(path, true))));
}

Result<std::unique_ptr<ModelStore>> open_pg_model_store(const std::string& conninfo, std::size_t pool_size) {
  return std::unique_ptr<ModelStore>(
      std::make_unique<SqlModelStore>(KAIWU_TRY(sql::open_postgres(conninfo, pool_size, true))));
}

}  // namespace kaiwu::meta
