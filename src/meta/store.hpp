// MetadataStore: tenants, parks, enterprises, users, API keys, device profiles, devices and the
// audit log. The SQLite implementation (sqlite_store.hpp) is the embedded default; the PostgreSQL
// one (pg_store.hpp) sits beside it and passes the same conformance suite (tests/unit/meta/).
//
// Scoping contract: every tenant-owned object is read, changed and deleted through a Scope. An
// object outside the scope does not exist for the caller: kNotFound, never kPermissionDenied,
// so ids of other tenants leak nothing. The store enforces this in its queries; callers do not
// filter afterwards.
//
// Errors: kNotFound (also for a reference to an object outside the scope: "enterprise X not
// found"), kAlreadyExists (unique name/username/token), kFailedPrecondition (delete of an object
// still referenced; a write whose result would leave the caller's scope), kInvalidArgument
// (also a bad audit cursor), kUnavailable (database busy), kIo / kCorruption from the database.
// Thread-safe: any thread may call any method.
//
// Behaviour every implementation shares (the conformance suite checks it): usernames are unique
// and looked up case-insensitively (ASCII); create_device generates an access token when none
// is given and update_device keeps the old one when given an empty one; only platform-admin users
// have no tenant; gateway_id must name a device with is_gateway set; audit from/to are inclusive
// and its cursor is the decimal id of the last entry; the parks list is tenant-wide in every
// scope, while a park scope reaches only its own park by id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "model/alarm.hpp"
#include "model/entities.hpp"

namespace kaiwu::meta {

// Who a call acts for. Empty tenant_id: the whole platform (platform admins only). A non-empty
// park_id or enterprise_id narrows the scope further inside the tenant:
//  - park scope sees the park, its enterprises and their devices/users;
//  - enterprise scope sees its enterprise, its devices, users and API keys.
// Tenant-wide objects (parks list, profiles) stay visible to narrower scopes read-only; the
// API layer decides who may write.
struct Scope {
  std::string tenant_id;
  std::string park_id;
  std::string enterprise_id;

  static Scope platform() { return {}; }
  static Scope tenant(std::string id) { return Scope{std::move(id), {}, {}}; }
  bool is_platform() const { return tenant_id.empty(); }
};

// Pagination: by cursor (the `next` of the previous page) or by offset; ordered by id, which
// sorts by creation time.
struct Page {
  std::size_t limit = 100;  // 1..1000
  std::string cursor;
  std::size_t offset = 0;
};

template <typename T>
struct PageOf {
  std::vector<T> items;
  std::string next;  // empty: no more
};

struct TenantFilter {
  std::string q;  // substring of name
};
struct ParkFilter {
  std::string q;
  std::string level;
};
struct EnterpriseFilter {
  std::string q;
  std::string park_id;
  std::string industry;
  std::optional<bool> sme;
  std::optional<bool> paid;
};
struct UserFilter {
  std::string q;  // substring of username or display name
  std::optional<model::Role> role;
  std::string enterprise_id;
};
struct ApiKeyFilter {
  std::string enterprise_id;
};
struct ProfileFilter {
  std::string q;
};
struct DeviceFilter {
  std::string q;
  std::string enterprise_id;
  std::string profile_id;
  std::string protocol;
  std::string gateway_id;
  std::optional<model::Category> category;
};
struct AuditFilter {
  std::string actor;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // 0: open
};

// Alarms: each list names the values accepted (empty: any).
struct AlarmFilter {
  std::vector<model::AlarmStatus> statuses;
  std::vector<model::AlarmSeverity> severities;
  std::string device_id;
  std::string enterprise_id;
  std::string park_id;
  std::string type;
};
struct AlarmCounts {
  std::int64_t total = 0;
  std::int64_t by_severity[4] = {};  // indexed by model::AlarmSeverity
  std::int64_t by_status[4] = {};    // indexed by model::AlarmStatus
};
// What raise_alarm did: created a new alarm, or folded the trigger into the uncleared alarm of
// the same device and type (severity_changed when the trigger's severity differs).
struct AlarmRaised {
  model::Alarm alarm;
  bool created = false;
  bool severity_changed = false;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Runs fn atomically: all its store calls commit together or not at all (fn's error rolls
  // back). Calls may nest; only the outermost commits. The store is held for the whole of fn, so
  // fn must not wait on another thread that uses the store.
  virtual Status transaction(const std::function<Status()>& fn) = 0;

  virtual int schema_version() const = 0;

  // Tenants: platform scope only (the API checks the role).
  virtual Result<model::Tenant> create_tenant(const model::Tenant& t) = 0;
  virtual Result<model::Tenant> get_tenant(const std::string& id) = 0;
  virtual Result<PageOf<model::Tenant>> list_tenants(const TenantFilter& f, const Page& p) = 0;
  virtual Result<model::Tenant> update_tenant(const model::Tenant& t) = 0;
  virtual Status delete_tenant(const std::string& id) = 0;

  // Each create takes the object with tenant_id set (the API fills it from the scope) and
  // fills id and created_ms when empty. update replaces all mutable fields of the object with
  // that id inside the scope.
  virtual Result<model::Park> create_park(const Scope& s, const model::Park& p) = 0;
  virtual Result<model::Park> get_park(const Scope& s, const std::string& id) = 0;
  virtual Result<PageOf<model::Park>> list_parks(const Scope& s, const ParkFilter& f,
                                                 const Page& p) = 0;
  virtual Result<model::Park> update_park(const Scope& s, const model::Park& p) = 0;
  virtual Status delete_park(const Scope& s, const std::string& id) = 0;

  virtual Result<model::Enterprise> create_enterprise(const Scope& s,
                                                      const model::Enterprise& e) = 0;
  virtual Result<model::Enterprise> get_enterprise(const Scope& s, const std::string& id) = 0;
  virtual Result<PageOf<model::Enterprise>> list_enterprises(const Scope& s,
                                                             const EnterpriseFilter& f,
                                                             const Page& p) = 0;
  virtual Result<model::Enterprise> update_enterprise(const Scope& s,
                                                      const model::Enterprise& e) = 0;
  virtual Status delete_enterprise(const Scope& s, const std::string& id) = 0;

  // Usernames are unique across the platform (login names them without a tenant).
  virtual Result<model::User> create_user(const Scope& s, const model::User& u) = 0;
  virtual Result<model::User> get_user(const Scope& s, const std::string& id) = 0;
  virtual Result<model::User> find_user_by_username(const std::string& username) = 0;
  virtual Result<PageOf<model::User>> list_users(const Scope& s, const UserFilter& f,
                                                 const Page& p) = 0;
  virtual Result<model::User> update_user(const Scope& s, const model::User& u) = 0;
  virtual Status delete_user(const Scope& s, const std::string& id) = 0;
  virtual Status record_login(const std::string& user_id, std::int64_t time_ms) = 0;
  virtual Result<std::size_t> count_users() = 0;

  virtual Result<model::ApiKey> create_api_key(const Scope& s, const model::ApiKey& k) = 0;
  virtual Result<model::ApiKey> get_api_key(const Scope& s, const std::string& id) = 0;
  virtual Result<model::ApiKey> find_api_key_by_hash(const std::string& hash) = 0;
  virtual Result<PageOf<model::ApiKey>> list_api_keys(const Scope& s, const ApiKeyFilter& f,
                                                      const Page& p) = 0;
  virtual Status delete_api_key(const Scope& s, const std::string& id) = 0;
  virtual Status touch_api_key(const std::string& id, std::int64_t time_ms) = 0;

  virtual Result<model::DeviceProfile> create_profile(const Scope& s,
                                                      const model::DeviceProfile& p) = 0;
  virtual Result<model::DeviceProfile> get_profile(const Scope& s, const std::string& id) = 0;
  virtual Result<PageOf<model::DeviceProfile>> list_profiles(const Scope& s,
                                                             const ProfileFilter& f,
                                                             const Page& p) = 0;
  virtual Result<model::DeviceProfile> update_profile(const Scope& s,
                                                      const model::DeviceProfile& p) = 0;
  virtual Status delete_profile(const Scope& s, const std::string& id) = 0;
  // Platform-wide lookup for device provisioning (the device knows only the key).
  virtual Result<model::DeviceProfile> find_profile_by_provision_key(const std::string& key) = 0;

  // Device names are unique within an enterprise; access tokens across the platform.
  virtual Result<model::Device> create_device(const Scope& s, const model::Device& d) = 0;
  virtual Result<model::Device> get_device(const Scope& s, const std::string& id) = 0;
  virtual Result<model::Device> find_device_by_token(const std::string& access_token) = 0;
  // X.509 device authentication: the device whose certificate has this SHA-256 fingerprint.
  virtual Result<model::Device> find_device_by_cert_fingerprint(const std::string& fingerprint) = 0;
  virtual Result<PageOf<model::Device>> list_devices(const Scope& s, const DeviceFilter& f,
                                                     const Page& p) = 0;
  virtual Result<model::Device> update_device(const Scope& s, const model::Device& d) = 0;
  virtual Status delete_device(const Scope& s, const std::string& id) = 0;
  virtual Status touch_device(const std::string& id, std::int64_t last_seen_ms) = 0;

  // Device attributes. set_attributes upserts (key → JSON text) in one attribute scope and
  // stamps updated_ms; get_attributes filters by attribute scope (all when nullopt) and keys
  // (all when empty), ordered by scope then key. Deleting a device deletes its attributes.
  // kNotFound when the device is outside the caller's scope.
  // set_attributes is all or nothing: keys must be 1..256 bytes and values valid JSON, else
  // kInvalidArgument naming the key. delete_attributes with no keys deletes every attribute of
  // that attribute scope; keys that do not exist are ignored.
  virtual Status set_attributes(const Scope& s, const std::string& device_id,
                                model::AttributeScope scope,
                                const std::vector<std::pair<std::string, std::string>>& values) = 0;
  virtual Result<std::vector<model::Attribute>> get_attributes(
      const Scope& s, const std::string& device_id, std::optional<model::AttributeScope> scope,
      const std::vector<std::string>& keys) = 0;
  virtual Status delete_attributes(const Scope& s, const std::string& device_id,
                                   model::AttributeScope scope,
                                   const std::vector<std::string>& keys) = 0;

  // Alarms (model/alarm.hpp for the lifecycle). raise_alarm takes tenant_id (filled from the
  // scope when empty), device_id (may be empty), type (required), severity, details_json and
  // last_ms (the trigger time; now when 0). The store fills enterprise_id and park_id from the
  // device (propagation; kNotFound when the device is outside the scope) and deduplicates: an
  // uncleared alarm of the same (tenant, device, type) gets count + 1, last_ms, severity and
  // details from the trigger; otherwise a new alarm starts (start_ms = last_ms). History gets
  // "created", and "updated" when a trigger changes the severity.
  // acknowledge_alarm / clear_alarm record who and when; kFailedPrecondition when the alarm is
  // already acknowledged / cleared. Scopes: a park scope sees alarms propagated to its park, an
  // enterprise scope those of its enterprise. Alarms are listed by id (creation order).
  virtual Result<AlarmRaised> raise_alarm(const Scope& s, const model::Alarm& a,
                                          const std::string& actor) = 0;
  virtual Result<model::Alarm> get_alarm(const Scope& s, const std::string& id) = 0;
  // The uncleared alarm of (device, type), or kNotFound.
  virtual Result<model::Alarm> find_open_alarm(const Scope& s, const std::string& device_id,
                                               const std::string& type) = 0;
  virtual Result<PageOf<model::Alarm>> list_alarms(const Scope& s, const AlarmFilter& f,
                                                   const Page& p) = 0;
  virtual Result<AlarmCounts> count_alarms(const Scope& s, const AlarmFilter& f) = 0;
  virtual Result<model::Alarm> acknowledge_alarm(const Scope& s, const std::string& id,
                                                 const std::string& actor,
                                                 std::int64_t time_ms) = 0;
  virtual Result<model::Alarm> clear_alarm(const Scope& s, const std::string& id,
                                           const std::string& actor, std::int64_t time_ms) = 0;
  // Oldest first.
  virtual Result<std::vector<model::AlarmHistoryEntry>> alarm_history(
      const Scope& s, const std::string& alarm_id) = 0;

  // Notification targets (tenant-owned; names unique in the tenant; url must be http://).
  virtual Result<model::NotificationTarget> create_notification_target(
      const Scope& s, const model::NotificationTarget& t) = 0;
  virtual Result<model::NotificationTarget> get_notification_target(const Scope& s,
                                                                    const std::string& id) = 0;
  virtual Result<PageOf<model::NotificationTarget>> list_notification_targets(const Scope& s,
                                                                              const Page& p) = 0;
  virtual Result<model::NotificationTarget> update_notification_target(
      const Scope& s, const model::NotificationTarget& t) = 0;
  virtual Status delete_notification_target(const Scope& s, const std::string& id) = 0;

  // The audit log is append-only. entry.id is assigned by the store.
  virtual Status append_audit(const model::AuditEntry& entry) = 0;
  virtual Result<PageOf<model::AuditEntry>> list_audit(const Scope& s, const AuditFilter& f,
                                                       const Page& p) = 0;
};

struct RuleChainFilter {
  std::string q;  // substring of name
  std::optional<bool> enabled;
};

// Rule chains, versioned: create writes version 1, update writes version + 1 (name,
// description and definition) and keeps the older versions readable. Chains are tenant-wide:
// every scope of the tenant sees them (the API decides who may write). Names are unique in a
// tenant (kAlreadyExists). The store does not validate definitions (rules/ does).
// Thread-safe; implemented by SqliteStore beside MetadataStore.
class RuleChainStore {
 public:
  virtual ~RuleChainStore() = default;

  virtual Result<model::RuleChain> create_rule_chain(const Scope& s, const model::RuleChain& c) = 0;
  // The current version, or `version` when > 0 (kNotFound when that version does not exist).
  virtual Result<model::RuleChain> get_rule_chain(const Scope& s, const std::string& id,
                                                  std::int64_t version = 0) = 0;
  virtual Result<PageOf<model::RuleChain>> list_rule_chains(const Scope& s,
                                                            const RuleChainFilter& f,
                                                            const Page& p) = 0;
  // Every version of a chain, newest first.
  virtual Result<std::vector<model::RuleChain>> list_rule_chain_versions(const Scope& s,
                                                                         const std::string& id) = 0;
  // Writes a new version from c's name, description, definition and updated_by.
  virtual Result<model::RuleChain> update_rule_chain(const Scope& s, const model::RuleChain& c) = 0;
  virtual Result<model::RuleChain> set_rule_chain_enabled(const Scope& s, const std::string& id,
                                                          bool enabled) = 0;
  // Deletes the chain and all its versions.
  virtual Status delete_rule_chain(const Scope& s, const std::string& id) = 0;
  // The current version of every enabled chain of every tenant (the engine loads them at start).
  virtual Result<std::vector<model::RuleChain>> list_enabled_rule_chains() = 0;
};

}  // namespace kaiwu::meta
