// SqlStore: construction, the dialect helpers, and the tenancy tree (tenants, parks,
// enterprises). Users and API keys are in sql_store_identity.cpp; profiles, devices and the
// audit log in sql_store_devices.cpp; attributes, rule chains and alarms in their own files.
#include "meta/sql_store.hpp"

#include <array>

#include "core/ids.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

constexpr std::array<Referrer, 6> kTenantReferrers{{
    {"SELECT COUNT(*) FROM parks WHERE tenant_id = ?", "park", "parks"},
    {"SELECT COUNT(*) FROM enterprises WHERE tenant_id = ?", "enterprise", "enterprises"},
    {"SELECT COUNT(*) FROM users WHERE tenant_id = ?", "user", "users"},
    {"SELECT COUNT(*) FROM api_keys WHERE tenant_id = ?", "api key", "api keys"},
    {"SELECT COUNT(*) FROM device_profiles WHERE tenant_id = ?", "profile", "profiles"},
    {"SELECT COUNT(*) FROM devices WHERE tenant_id = ?", "device", "devices"},
}};

constexpr std::array<Referrer, 2> kParkReferrers{{
    {"SELECT COUNT(*) FROM enterprises WHERE park_id = ?", "enterprise", "enterprises"},
    {"SELECT COUNT(*) FROM users WHERE park_id = ?", "user", "users"},
}};

constexpr std::array<Referrer, 4> kEnterpriseReferrers{{
    {"SELECT COUNT(*) FROM device_profiles WHERE provision_enterprise_id = ?", "profile (provisioning)",
     "profiles (provisioning)"},
    {"SELECT COUNT(*) FROM devices WHERE enterprise_id = ?", "device", "devices"},
    {"SELECT COUNT(*) FROM users WHERE enterprise_id = ?", "user", "users"},
    {"SELECT COUNT(*) FROM api_keys WHERE enterprise_id = ?", "api key", "api keys"},
}};

}  // namespace

// --- Lifecycle and dialect ---------------------------------------------------------------------

SqlStore::SqlStore(std::unique_ptr<sql::Db> db, int schema_version, const Dialect& dialect)
    : db_(std::move(db)), schema_version_(schema_version), dialect_(dialect) {}
SqlStore::~SqlStore() = default;

int SqlStore::schema_version() const { return schema_version_; }
std::unique_lock<std::recursive_mutex> SqlStore::serialise() const {
  if (!dialect_.serialise) return {};
  return std::unique_lock(mu_);
}

Status SqlStore::with_db(const std::function<Status(sql::Db&)>& fn) {
  const auto lock = serialise();
  return transaction([&]() -> Status { return fn(*db_); });
}

std::string SqlStore::like(std::string_view column) const {
  return fmt::format("{} {} ? ESCAPE '\\'", column, dialect_.like);
}

// --- Tenants -----------------------------------------------------------------------------------

Result<model::Tenant> SqlStore::create_tenant(const model::Tenant& in) {
  const auto lock = serialise();
  model::Tenant t = in;
  KAIWU_TRY_STATUS(require(t.name, "name"));
  t.id = id_or_new(t.id);
  if (t.created_ms == 0) t.created_ms = now_ms();
  KAIWU_TRY_STATUS(
      db_->run(Query("INSERT INTO tenants (id, name, description, created_ms) VALUES (?, ?, ?, ?)",
                     {t.id, t.name, t.description, t.created_ms})));
  return t;
}

Result<model::Tenant> SqlStore::get_tenant(const std::string& id) {
  const auto lock = serialise();
  Query q(select_from(kTenantColumns, "tenants"));
  q.where("id = ?", {id});
  return get_one(*db_, q, read_tenant, "tenant", id);
}

Result<PageOf<model::Tenant>> SqlStore::list_tenants(const TenantFilter& f, const Page& p) {
  const auto lock = serialise();
  Query q(select_from(kTenantColumns, "tenants"));
  if (!f.q.empty()) q.where(like("name"), {contains_pattern(f.q)});
  return page_by_id(*db_, std::move(q), p, read_tenant);
}

Result<model::Tenant> SqlStore::update_tenant(const model::Tenant& t) {
  const auto lock = serialise();
  KAIWU_TRY_STATUS(require(t.name, "name"));
  auto changed = db_->run(Query("UPDATE tenants SET name = ?, description = ? WHERE id = ?",
                                {t.name, t.description, t.id}));
  KAIWU_TRY_STATUS(expect_changed(changed, "tenant", t.id));
  return get_tenant(t.id);
}

Status SqlStore::delete_tenant(const std::string& id) {
  const auto lock = serialise();
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_tenant(id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "tenant", id, kTenantReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM tenants WHERE id = ?", {id})));
    return ok();
  });
}

// --- Parks -------------------------------------------------------------------------------------

Result<model::Park> SqlStore::create_park(const Scope& s, const model::Park& in) {
  const auto lock = serialise();
  model::Park p = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, p.tenant_id));
  KAIWU_TRY_STATUS(require(p.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(p.name, "name"));
  p.id = id_or_new(p.id);
  if (p.created_ms == 0) p.created_ms = now_ms();
  return atomically<model::Park>([&]() -> Result<model::Park> {
    KAIWU_TRY_STATUS(check_tenant(*db_, p.tenant_id));
    KAIWU_TRY_STATUS(db_->run(
        Query("INSERT INTO parks (id, tenant_id, name, region, level, address, created_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              {p.id, p.tenant_id, p.name, p.region, p.level, p.address, p.created_ms})));
    return still_in_scope(get_park(s, p.id), "park", p.id);
  });
}

Result<model::Park> SqlStore::get_park(const Scope& s, const std::string& id) {
  const auto lock = serialise();
  Query q(select_from(kParkColumns, "parks"));
  q.where("id = ?", {id});
  scope_park(q, s);
  return get_one(*db_, q, read_park, "park", id);
}

Result<PageOf<model::Park>> SqlStore::list_parks(const Scope& s, const ParkFilter& f,
                                                 const Page& p) {
  const auto lock = serialise();
  Query q(select_from(kParkColumns, "parks"));
  scope_tenant(q, s);  // the parks list is tenant-wide for every scope
  if (!f.q.empty()) q.where(like("name"), {contains_pattern(f.q)});
  if (!f.level.empty()) q.where("level = ?", {f.level});
  return page_by_id(*db_, std::move(q), p, read_park);
}

Result<model::Park> SqlStore::update_park(const Scope& s, const model::Park& p) {
  const auto lock = serialise();
  KAIWU_TRY_STATUS(require(p.name, "name"));
  return atomically<model::Park>([&]() -> Result<model::Park> {
    KAIWU_TRY_STATUS(get_park(s, p.id));
    KAIWU_TRY_STATUS(
        db_->run(Query("UPDATE parks SET name = ?, region = ?, level = ?, address = ? WHERE id = ?",
                       {p.name, p.region, p.level, p.address, p.id})));
    return get_park(s, p.id);
  });
}

Status SqlStore::delete_park(const Scope& s, const std::string& id) {
  const auto lock = serialise();
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_park(s, id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "park", id, kParkReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM parks WHERE id = ?", {id})));
    return ok();
  });
}

// --- Enterprises -------------------------------------------------------------------------------

Result<model::Enterprise> SqlStore::create_enterprise(const Scope& s,
                                                      const model::Enterprise& in) {
  const auto lock = serialise();
  model::Enterprise e = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, e.tenant_id));
  KAIWU_TRY_STATUS(require(e.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(e.name, "name"));
  if (e.park_id.empty()) e.park_id = s.park_id;
  e.id = id_or_new(e.id);
  if (e.created_ms == 0) e.created_ms = now_ms();
  return atomically<model::Enterprise>([&]() -> Result<model::Enterprise> {
    KAIWU_TRY_STATUS(check_tenant(*db_, e.tenant_id));
    if (!e.park_id.empty()) KAIWU_TRY_STATUS(check_park(*db_, s, e.tenant_id, e.park_id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO enterprises (id, tenant_id, park_id, name, credit_code, industry, sme, "
        "paid, address, longitude, latitude, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {e.id, e.tenant_id, sql::text_or_null(e.park_id), e.name, e.credit_code, e.industry,
         sql::boolean(e.sme), sql::boolean(e.paid), e.address,
         sql::real_or_null(e.longitude), sql::real_or_null(e.latitude), e.created_ms})));
    return still_in_scope(get_enterprise(s, e.id), "enterprise", e.id);
  });
}

Result<model::Enterprise> SqlStore::get_enterprise(const Scope& s, const std::string& id) {
  const auto lock = serialise();
  Query q(select_from(kEnterpriseColumns, "enterprises"));
  q.where("id = ?", {id});
  scope_enterprise(q, s);
  return get_one(*db_, q, read_enterprise, "enterprise", id);
}

Result<PageOf<model::Enterprise>> SqlStore::list_enterprises(const Scope& s,
                                                             const EnterpriseFilter& f,
                                                             const Page& p) {
  const auto lock = serialise();
  Query q(select_from(kEnterpriseColumns, "enterprises"));
  scope_enterprise(q, s);
  if (!f.q.empty()) q.where(like("name"), {contains_pattern(f.q)});
  if (!f.park_id.empty()) q.where("park_id = ?", {f.park_id});
  if (!f.industry.empty()) q.where("industry = ?", {f.industry});
  if (f.sme) q.where("sme = ?", {sql::boolean(*f.sme)});
  if (f.paid) q.where("paid = ?", {sql::boolean(*f.paid)});
  return page_by_id(*db_, std::move(q), p, read_enterprise);
}

Result<model::Enterprise> SqlStore::update_enterprise(const Scope& s,
                                                      const model::Enterprise& e) {
  const auto lock = serialise();
  KAIWU_TRY_STATUS(require(e.name, "name"));
  return atomically<model::Enterprise>([&]() -> Result<model::Enterprise> {
    const model::Enterprise old = KAIWU_TRY(get_enterprise(s, e.id));
    if (!e.park_id.empty()) KAIWU_TRY_STATUS(check_park(*db_, s, old.tenant_id, e.park_id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE enterprises SET park_id = ?, name = ?, credit_code = ?, industry = ?, sme = ?, "
        "paid = ?, address = ?, longitude = ?, latitude = ? WHERE id = ?",
        {sql::text_or_null(e.park_id), e.name, e.credit_code, e.industry, sql::boolean(e.sme),
         sql::boolean(e.paid), e.address, sql::real_or_null(e.longitude),
         sql::real_or_null(e.latitude), e.id})));
    return still_in_scope(get_enterprise(s, e.id), "enterprise", e.id);
  });
}

Status SqlStore::delete_enterprise(const Scope& s, const std::string& id) {
  const auto lock = serialise();
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_enterprise(s, id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "enterprise", id, kEnterpriseReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM enterprises WHERE id = ?", {id})));
    return ok();
  });
}

}  // namespace kaiwu::meta
