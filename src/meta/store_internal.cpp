#include "meta/store_internal.hpp"

#include <limits>
#include <vector>

#include "core/ids.hpp"

namespace kaiwu::meta::detail {

namespace {

constexpr std::string_view kEnterprisesInPark =
    "enterprise_id IN (SELECT e.id FROM enterprises e WHERE e.park_id = ?)";

Status check_exists(Db& db, Query q, std::string_view kind, const std::string& id) {
  auto n = db.scalar(q);
  if (!n) return std::unexpected(n.error());
  if (*n == 0) return fail(Errc::kNotFound, fmt::format("{} {} not found", kind, id));
  return ok();
}

Result<model::Role> role_of(const Row& r, int col, std::string_view kind) {
  const std::string name = r.text(col);
  auto role = model::parse_role(name);
  if (!role) {
    return fail(Errc::kCorruption,
                fmt::format("{} {} has unknown role '{}'", kind, r.text(0), name));
  }
  return *role;
}

}  // namespace

void scope_tenant(Query& q, const Scope& s) {
  if (!s.tenant_id.empty()) q.where("tenant_id = ?", {s.tenant_id});
}

void scope_park(Query& q, const Scope& s) {
  scope_tenant(q, s);
  if (!s.park_id.empty()) q.where("id = ?", {s.park_id});
}

void scope_enterprise(Query& q, const Scope& s) {
  scope_tenant(q, s);
  if (!s.park_id.empty()) q.where("park_id = ?", {s.park_id});
  if (!s.enterprise_id.empty()) q.where("id = ?", {s.enterprise_id});
}

void scope_enterprise_owned(Query& q, const Scope& s) {
  scope_tenant(q, s);
  if (!s.park_id.empty()) q.where(kEnterprisesInPark, {s.park_id});
  if (!s.enterprise_id.empty()) q.where("enterprise_id = ?", {s.enterprise_id});
}

void scope_user(Query& q, const Scope& s) {
  scope_tenant(q, s);
  if (!s.park_id.empty()) {
    q.where(
        "(park_id = ? OR enterprise_id IN (SELECT e.id FROM enterprises e "
        "WHERE e.park_id = ?))",
        {s.park_id, s.park_id});
  }
  if (!s.enterprise_id.empty()) q.where("enterprise_id = ?", {s.enterprise_id});
}

Status require(const std::string& value, std::string_view field) {
  if (value.empty()) return fail(Errc::kInvalidArgument, fmt::format("{} is required", field));
  return ok();
}

Status adopt_tenant(const Scope& s, std::string& tenant_id) {
  if (s.is_platform()) return ok();
  if (tenant_id.empty()) {
    tenant_id = s.tenant_id;
    return ok();
  }
  if (tenant_id != s.tenant_id) {
    return fail(Errc::kNotFound, fmt::format("tenant {} not found", tenant_id));
  }
  return ok();
}

std::string id_or_new(const std::string& id) { return id.empty() ? new_id() : id; }

Status check_tenant(Db& db, const std::string& tenant_id) {
  return check_exists(db, Query("SELECT COUNT(*) FROM tenants WHERE id = ?", {tenant_id}), "tenant",
                      tenant_id);
}

Status check_park(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id) {
  Query q("SELECT COUNT(*) FROM parks");
  q.where("id = ?", {id}).where("tenant_id = ?", {tenant_id});
  scope_park(q, s);
  return check_exists(db, std::move(q), "park", id);
}

Status check_enterprise(Db& db, const Scope& s, const std::string& tenant_id,
                        const std::string& id) {
  Query q("SELECT COUNT(*) FROM enterprises");
  q.where("id = ?", {id}).where("tenant_id = ?", {tenant_id});
  scope_enterprise(q, s);
  return check_exists(db, std::move(q), "enterprise", id);
}

Status check_profile(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id) {
  Query q("SELECT COUNT(*) FROM device_profiles");
  q.where("id = ?", {id}).where("tenant_id = ?", {tenant_id});
  scope_tenant(q, s);
  return check_exists(db, std::move(q), "profile", id);
}

Status check_gateway(Db& db, const Scope& s, const std::string& tenant_id, const std::string& id) {
  Query q("SELECT is_gateway + 1 FROM devices");
  q.where("id = ?", {id}).where("tenant_id = ?", {tenant_id});
  scope_enterprise_owned(q, s);
  auto flag = db.scalar(q);
  if (!flag) return std::unexpected(flag.error());
  if (*flag == 0) return fail(Errc::kNotFound, fmt::format("gateway {} not found", id));
  if (*flag == 1) {
    return fail(Errc::kFailedPrecondition, fmt::format("device {} is not a gateway", id));
  }
  return ok();
}

Status check_user(Db& db, const std::string& tenant_id, const std::string& id) {
  Query q("SELECT COUNT(*) FROM users");
  q.where("id = ?", {id}).where("(tenant_id IS NULL OR tenant_id = ?)", {tenant_id});
  return check_exists(db, std::move(q), "user", id);
}

Status check_unreferenced(Db& db, std::string_view what, const std::string& id,
                          std::span<const Referrer> referrers) {
  std::vector<std::string> holders;
  for (const Referrer& r : referrers) {
    auto n = db.scalar(Query(r.count_sql, {id}));
    if (!n) return std::unexpected(n.error());
    if (*n > 0) holders.push_back(fmt::format("{} {}", *n, *n == 1 ? r.singular : r.plural));
  }
  if (holders.empty()) return ok();
  return fail(Errc::kFailedPrecondition,
              fmt::format("{} still has {}", what, fmt::join(holders, ", ")));
}

Status expect_changed(const Result<std::int64_t>& changes, std::string_view kind,
                      const std::string& id) {
  if (!changes) return std::unexpected(changes.error());
  if (*changes == 0) return fail(Errc::kNotFound, fmt::format("{} {} not found", kind, id));
  return ok();
}

std::string contains_pattern(std::string_view q) {
  std::string pattern = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

std::size_t clamp_limit(std::size_t limit) {
  if (limit < 1) return 1;
  return limit > kMaxPageLimit ? kMaxPageLimit : limit;
}

std::int64_t clamp_offset(std::size_t offset) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(offset > kMax ? kMax : offset);
}

std::string select_from(std::string_view columns, std::string_view table) {
  return fmt::format("SELECT {} FROM {}", columns, table);
}

Result<model::Tenant> read_tenant(const Row& r) {
  return model::Tenant{r.text(0), r.text(1), r.text(2), r.int64(3)};
}

Result<model::Park> read_park(const Row& r) {
  return model::Park{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.int64(6)};
}

Result<model::Enterprise> read_enterprise(const Row& r) {
  model::Enterprise e;
  e.id = r.text(0);
  e.tenant_id = r.text(1);
  e.park_id = r.text(2);
  e.name = r.text(3);
  e.credit_code = r.text(4);
  e.industry = r.text(5);
  e.sme = r.boolean(6);
  e.paid = r.boolean(7);
  e.address = r.text(8);
  e.longitude = r.real(9);
  e.latitude = r.real(10);
  e.created_ms = r.int64(11);
  return e;
}

Result<model::User> read_user(const Row& r) {
  model::User u;
  u.id = r.text(0);
  u.tenant_id = r.text(1);
  u.park_id = r.text(2);
  u.enterprise_id = r.text(3);
  u.username = r.text(4);
  u.display_name = r.text(5);
  u.role = KAIWU_TRY(role_of(r, 6, "user"));
  u.password_hash = r.text(7);
  u.disabled = r.boolean(8);
  u.created_ms = r.int64(9);
  u.last_login_ms = r.int64(10);
  return u;
}

Result<model::ApiKey> read_api_key(const Row& r) {
  model::ApiKey k;
  k.id = r.text(0);
  k.tenant_id = r.text(1);
  k.enterprise_id = r.text(2);
  k.user_id = r.text(3);
  k.name = r.text(4);
  k.role = KAIWU_TRY(role_of(r, 5, "api key"));
  k.prefix = r.text(6);
  k.hash = r.text(7);
  k.created_ms = r.int64(8);
  k.last_used_ms = r.int64(9);
  k.expires_ms = r.int64(10);
  return k;
}

Result<model::DeviceProfile> read_profile(const Row& r) {
  model::DeviceProfile p{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.int64(5), r.int64(6)};
  auto mode = model::parse_provision_mode(r.text(7));
  if (!mode) return fail(Errc::kCorruption, fmt::format("profile {} has unknown provision mode '{}'", p.id, r.text(7)));
  p.provision_mode = *mode;
  p.provision_key = r.text(8);
  p.provision_secret = r.text(9);
  p.provision_enterprise_id = r.text(10);
  return p;
}

Result<model::Device> read_device(const Row& r) {
  model::Device d;
  d.id = r.text(0);
  d.tenant_id = r.text(1);
  d.enterprise_id = r.text(2);
  d.profile_id = r.text(3);
  d.name = r.text(4);
  const std::string category = r.text(5);
  auto parsed = model::parse_category(category);
  if (!parsed) {
    return fail(Errc::kCorruption,
                fmt::format("device {} has unknown category '{}'", d.id, category));
  }
  d.category = *parsed;
  d.protocol = r.text(6);
  d.is_gateway = r.boolean(7);
  d.gateway_id = r.text(8);
  d.label = r.text(9);
  d.access_token = r.text(10);
  d.created_ms = r.int64(11);
  d.last_seen_ms = r.int64(12);
  d.cert_fingerprint = r.text(13);
  return d;
}

Result<model::AuditEntry> read_audit(const Row& r) {
  model::AuditEntry a;
  a.id = r.int64(0);
  a.tenant_id = r.text(1);
  a.actor = r.text(2);
  a.action = r.text(3);
  a.object_type = r.text(4);
  a.object_id = r.text(5);
  a.time_ms = r.int64(6);
  a.source = r.text(7);
  a.request_id = r.text(8);
  a.detail = r.text(9);
  return a;
}

}  // namespace kaiwu::meta::detail
