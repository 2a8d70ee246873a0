// PgStore: device profiles, devices and the audit log.
#include <array>
#include <charconv>

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

// 18 random bytes: a 24-character base64url token.
constexpr std::size_t kAccessTokenBytes = 18;

constexpr std::array<Referrer, 1> kProfileReferrers{{
    {"SELECT COUNT(*) FROM devices WHERE profile_id = ?", "device", "devices"},
}};

constexpr std::array<Referrer, 1> kGatewayReferrers{{
    {"SELECT COUNT(*) FROM devices WHERE gateway_id = ?", "device", "devices"},
}};

Result<std::int64_t> parse_audit_cursor(const std::string& cursor) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), id);
  if (ec != std::errc{} || end != cursor.data() + cursor.size() || id <= 0) {
    return fail(Errc::kInvalidArgument, "cursor is not valid");
  }
  return id;
}

}  // namespace

// --- Device profiles ---------------------------------------------------------------------------

namespace {
// Provisioning settings are consistent: enabled means a key, a secret and an enterprise of the
// profile's tenant; disabled clears them.
Status check_provisioning(Db& db, const Scope& s, model::DeviceProfile& p) {
  if (p.provision_mode == model::ProvisionMode::kDisabled) {
    p.provision_key.clear();
    p.provision_secret.clear();
    p.provision_enterprise_id.clear();
    return ok();
  }
  KAIWU_TRY_STATUS(require(p.provision_key, "provision_key"));
  KAIWU_TRY_STATUS(require(p.provision_secret, "provision_secret"));
  KAIWU_TRY_STATUS(require(p.provision_enterprise_id, "provision_enterprise_id"));
  return check_enterprise(db, s, p.tenant_id, p.provision_enterprise_id);
}
}  // namespace

Result<model::DeviceProfile> PgStore::create_profile(const Scope& s,
                                                         const model::DeviceProfile& in) {
  model::DeviceProfile p = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, p.tenant_id));
  KAIWU_TRY_STATUS(require(p.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(p.name, "name"));
  p.id = id_or_new(p.id);
  if (p.created_ms == 0) p.created_ms = now_ms();
  if (p.updated_ms == 0) p.updated_ms = p.created_ms;
  return atomically<model::DeviceProfile>([&]() -> Result<model::DeviceProfile> {
    KAIWU_TRY_STATUS(check_tenant(*db_, p.tenant_id));
    KAIWU_TRY_STATUS(check_provisioning(*db_, s, p));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO device_profiles (id, tenant_id, name, description, thing_model, created_ms, "
        "updated_ms, provision_mode, provision_key, provision_secret, provision_enterprise_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {p.id, p.tenant_id, p.name, p.description, p.thing_model, p.created_ms, p.updated_ms,
         std::string(model::provision_mode_name(p.provision_mode)), sql::text_or_null(p.provision_key),
         p.provision_secret, sql::text_or_null(p.provision_enterprise_id)})));
    return still_in_scope(get_profile(s, p.id), "profile", p.id);
  });
}

Result<model::DeviceProfile> PgStore::get_profile(const Scope& s, const std::string& id) {
  Query q(select_from(kProfileColumns, "device_profiles"));
  q.where("id = ?", {id});
  scope_tenant(q, s);  // profiles are tenant-wide for every scope
  return get_one(*db_, q, read_profile, "profile", id);
}

Result<PageOf<model::DeviceProfile>> PgStore::list_profiles(const Scope& s,
                                                                const ProfileFilter& f,
                                                                const Page& p) {
  Query q(select_from(kProfileColumns, "device_profiles"));
  scope_tenant(q, s);
  if (!f.q.empty()) q.where("name ILIKE ? ESCAPE '\\'", {contains_pattern(f.q)});
  return page_by_id(*db_, std::move(q), p, read_profile);
}

Result<model::DeviceProfile> PgStore::update_profile(const Scope& s,
                                                         const model::DeviceProfile& in) {
  KAIWU_TRY_STATUS(require(in.name, "name"));
  return atomically<model::DeviceProfile>([&]() -> Result<model::DeviceProfile> {
    model::DeviceProfile p = in;
    p.tenant_id = KAIWU_TRY(get_profile(s, p.id)).tenant_id;
    KAIWU_TRY_STATUS(check_provisioning(*db_, s, p));
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE device_profiles SET name = ?, description = ?, thing_model = ?, updated_ms = ?, "
        "provision_mode = ?, provision_key = ?, provision_secret = ?, provision_enterprise_id = ? "
        "WHERE id = ?",
        {p.name, p.description, p.thing_model, now_ms(), std::string(model::provision_mode_name(p.provision_mode)),
         sql::text_or_null(p.provision_key), p.provision_secret,
         sql::text_or_null(p.provision_enterprise_id), p.id})));
    return get_profile(s, p.id);
  });
}

Result<model::DeviceProfile> PgStore::find_profile_by_provision_key(const std::string& key) {
  if (key.empty()) return fail(Errc::kNotFound, "profile with an empty provision key");
  Query q(select_from(kProfileColumns, "device_profiles"));
  q.where("provision_key = ?", {key});
  // The key is half a credential: keep it out of the message.
  return get_one(*db_, q, read_profile, "profile", "with that provision key");
}

Status PgStore::delete_profile(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_profile(s, id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "profile", id, kProfileReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM device_profiles WHERE id = ?", {id})));
    return ok();
  });
}

// --- Devices -----------------------------------------------------------------------------------

Result<model::Device> PgStore::create_device(const Scope& s, const model::Device& in) {
  model::Device d = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, d.tenant_id));
  if (d.enterprise_id.empty()) d.enterprise_id = s.enterprise_id;
  KAIWU_TRY_STATUS(require(d.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(d.enterprise_id, "enterprise_id"));
  KAIWU_TRY_STATUS(require(d.name, "name"));
  d.id = id_or_new(d.id);
  if (d.created_ms == 0) d.created_ms = now_ms();
  if (d.access_token.empty()) d.access_token = crypto::random_token(kAccessTokenBytes);
  return atomically<model::Device>([&]() -> Result<model::Device> {
    KAIWU_TRY_STATUS(check_tenant(*db_, d.tenant_id));
    KAIWU_TRY_STATUS(check_enterprise(*db_, s, d.tenant_id, d.enterprise_id));
    if (!d.profile_id.empty()) KAIWU_TRY_STATUS(check_profile(*db_, s, d.tenant_id, d.profile_id));
    if (!d.gateway_id.empty()) KAIWU_TRY_STATUS(check_gateway(*db_, s, d.tenant_id, d.gateway_id));
    KAIWU_TRY_STATUS(db_->run(
        Query("INSERT INTO devices (id, tenant_id, enterprise_id, profile_id, name, category, "
              "protocol, is_gateway, gateway_id, label, access_token, created_ms, last_seen_ms, "
              "cert_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {d.id, d.tenant_id, d.enterprise_id, sql::text_or_null(d.profile_id), d.name,
               std::string(model::category_name(d.category)), d.protocol,
               sql::boolean(d.is_gateway), sql::text_or_null(d.gateway_id), d.label,
               d.access_token, d.created_ms, d.last_seen_ms, sql::text_or_null(d.cert_fingerprint)})));
    return still_in_scope(get_device(s, d.id), "device", d.id);
  });
}

Result<model::Device> PgStore::get_device(const Scope& s, const std::string& id) {
  Query q(select_from(kDeviceColumns, "devices"));
  q.where("id = ?", {id});
  scope_enterprise_owned(q, s);
  return get_one(*db_, q, read_device, "device", id);
}

Result<model::Device> PgStore::find_device_by_token(const std::string& access_token) {
  Query q(select_from(kDeviceColumns, "devices"));
  q.where("access_token = ?", {access_token});
  // The token is a credential: keep it out of the message.
  return get_one(*db_, q, read_device, "device", "with that access token");
}

Result<model::Device> PgStore::find_device_by_cert_fingerprint(const std::string& fingerprint) {
  if (fingerprint.empty()) return fail(Errc::kNotFound, "device with an empty certificate fingerprint");
  Query q(select_from(kDeviceColumns, "devices"));
  q.where("cert_fingerprint = ?", {fingerprint});
  return get_one(*db_, q, read_device, "device", "with that certificate");
}

Result<PageOf<model::Device>> PgStore::list_devices(const Scope& s, const DeviceFilter& f,
                                                        const Page& p) {
  Query q(select_from(kDeviceColumns, "devices"));
  scope_enterprise_owned(q, s);
  if (!f.q.empty()) q.where("name ILIKE ? ESCAPE '\\'", {contains_pattern(f.q)});
  if (!f.enterprise_id.empty()) q.where("enterprise_id = ?", {f.enterprise_id});
  if (!f.profile_id.empty()) q.where("profile_id = ?", {f.profile_id});
  if (!f.protocol.empty()) q.where("protocol = ?", {f.protocol});
  if (!f.gateway_id.empty()) q.where("gateway_id = ?", {f.gateway_id});
  if (f.category) q.where("category = ?", {std::string(model::category_name(*f.category))});
  return page_by_id(*db_, std::move(q), p, read_device);
}

Result<model::Device> PgStore::update_device(const Scope& s, const model::Device& in) {
  KAIWU_TRY_STATUS(require(in.name, "name"));
  KAIWU_TRY_STATUS(require(in.enterprise_id, "enterprise_id"));
  if (!in.gateway_id.empty() && in.gateway_id == in.id) {
    return fail(Errc::kInvalidArgument, "a device cannot be its own gateway");
  }
  return atomically<model::Device>([&]() -> Result<model::Device> {
    const model::Device old = KAIWU_TRY(get_device(s, in.id));
    model::Device d = in;
    d.tenant_id = old.tenant_id;
    if (d.access_token.empty()) d.access_token = old.access_token;
    KAIWU_TRY_STATUS(check_enterprise(*db_, s, d.tenant_id, d.enterprise_id));
    if (!d.profile_id.empty()) KAIWU_TRY_STATUS(check_profile(*db_, s, d.tenant_id, d.profile_id));
    if (!d.gateway_id.empty()) KAIWU_TRY_STATUS(check_gateway(*db_, s, d.tenant_id, d.gateway_id));
    if (old.is_gateway && !d.is_gateway) {
      KAIWU_TRY_STATUS(check_unreferenced(*db_, "gateway", d.id, kGatewayReferrers));
    }
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE devices SET enterprise_id = ?, profile_id = ?, name = ?, category = ?, "
        "protocol = ?, is_gateway = ?, gateway_id = ?, label = ?, access_token = ?, "
        "cert_fingerprint = ? WHERE id = ?",
        {d.enterprise_id, sql::text_or_null(d.profile_id), d.name,
         std::string(model::category_name(d.category)), d.protocol, sql::boolean(d.is_gateway),
         sql::text_or_null(d.gateway_id), d.label, d.access_token,
         sql::text_or_null(d.cert_fingerprint), d.id})));
    return still_in_scope(get_device(s, d.id), "device", d.id);
  });
}

Status PgStore::delete_device(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_device(s, id));
    KAIWU_TRY_STATUS(check_unreferenced(*db_, "gateway", id, kGatewayReferrers));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM devices WHERE id = ?", {id})));
    return ok();
  });
}

Status PgStore::touch_device(const std::string& id, std::int64_t last_seen_ms) {
  return expect_changed(
      db_->run(Query("UPDATE devices SET last_seen_ms = ? WHERE id = ?", {last_seen_ms, id})),
      "device", id);
}

// --- Audit log ---------------------------------------------------------------------------------

Status PgStore::append_audit(const model::AuditEntry& e) {
  const std::int64_t time_ms = e.time_ms != 0 ? e.time_ms : now_ms();
  KAIWU_TRY_STATUS(db_->run(
      Query("INSERT INTO audit_log (tenant_id, actor, action, object_type, object_id, time_ms, "
            "source, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {e.tenant_id, e.actor, e.action, e.object_type, e.object_id, time_ms, e.source,
             e.request_id, e.detail})));
  return ok();
}

Result<PageOf<model::AuditEntry>> PgStore::list_audit(const Scope& s, const AuditFilter& f,
                                                          const Page& p) {
  Query q(select_from(kAuditColumns, "audit_log"));
  scope_tenant(q, s);
  if (!f.actor.empty()) q.where("actor = ?", {f.actor});
  if (!f.action.empty()) q.where("action = ?", {f.action});
  if (!f.object_type.empty()) q.where("object_type = ?", {f.object_type});
  if (!f.object_id.empty()) q.where("object_id = ?", {f.object_id});
  if (f.from_ms != 0) q.where("time_ms >= ?", {f.from_ms});
  if (f.to_ms != 0) q.where("time_ms <= ?", {f.to_ms});
  const std::size_t limit = clamp_limit(p.limit);
  std::int64_t offset = clamp_offset(p.offset);
  if (!p.cursor.empty()) {
    q.where("id < ?", {KAIWU_TRY(parse_audit_cursor(p.cursor))});
    offset = 0;
  }
  q.tail("ORDER BY id DESC LIMIT ? OFFSET ?", {static_cast<std::int64_t>(limit + 1), offset});
  PageOf<model::AuditEntry> page;
  page.items = KAIWU_TRY(db_->all(q, read_audit));
  if (page.items.size() > limit) {
    page.items.pop_back();
    page.next = std::to_string(page.items.back().id);
  }
  return page;
}

}  // namespace kaiwu::meta
