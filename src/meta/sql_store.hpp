// SqlStore: the MetadataStore and RuleChainStore method bodies, written once against the
// sql::Db seam (sql.hpp) and shared by SqliteStore (sqlite_store.hpp) and PgStore
// (pg_store.hpp). A backend supplies its connection, transaction() and a Dialect: the few SQL
// spellings that differ, and whether calls are serialised by a store-wide lock. Internal to
// meta/: callers name SqliteStore or PgStore. The behaviour is documented in sqlite_store.hpp.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "meta/developer_store.hpp"
#include "meta/sql.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta {

// What differs between the SQL dialects the store runs on.
struct Dialect {
  // Case-insensitive (ASCII) substring match, used with contains_pattern(): LIKE or ILIKE.
  std::string_view like;
  // The larger of two values in an UPDATE: MAX (SQLite's scalar form) or GREATEST.
  std::string_view greatest;
  // The condition that finds a username case-insensitively, with one '?' for it.
  std::string_view username_equals;
  // When non-empty: a unique violation naming this (the one open alarm per device and type)
  // means another node raised the same alarm concurrently; raise_alarm retries once.
  std::string_view open_alarm_index;
  // Every call holds a store-wide recursive mutex (a single connection), or none (a pool).
  bool serialise = false;
};

class SqlStore : public MetadataStore, public RuleChainStore, public DeveloperStore {
 public:
  ~SqlStore() override;
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

  int schema_version() const override;

  Result<model::Tenant> create_tenant(const model::Tenant& t) override;
  Result<model::Tenant> get_tenant(const std::string& id) override;
  Result<PageOf<model::Tenant>> list_tenants(const TenantFilter& f, const Page& p) override;
  Result<model::Tenant> update_tenant(const model::Tenant& t) override;
  Status delete_tenant(const std::string& id) override;

  Result<model::Park> create_park(const Scope& s, const model::Park& p) override;
  Result<model::Park> get_park(const Scope& s, const std::string& id) override;
  Result<PageOf<model::Park>> list_parks(const Scope& s, const ParkFilter& f,
                                         const Page& p) override;
  Result<model::Park> update_park(const Scope& s, const model::Park& p) override;
  Status delete_park(const Scope& s, const std::string& id) override;

  Result<model::Enterprise> create_enterprise(const Scope& s, const model::Enterprise& e) override;
  Result<model::Enterprise> get_enterprise(const Scope& s, const std::string& id) override;
  Result<PageOf<model::Enterprise>> list_enterprises(const Scope& s, const EnterpriseFilter& f,
                                                     const Page& p) override;
  Result<model::Enterprise> update_enterprise(const Scope& s, const model::Enterprise& e) override;
  Status delete_enterprise(const Scope& s, const std::string& id) override;

  Result<model::User> create_user(const Scope& s, const model::User& u) override;
  Result<model::User> get_user(const Scope& s, const std::string& id) override;
  Result<model::User> find_user_by_username(const std::string& username) override;
  Result<PageOf<model::User>> list_users(const Scope& s, const UserFilter& f,
                                         const Page& p) override;
  Result<model::User> update_user(const Scope& s, const model::User& u) override;
  Status delete_user(const Scope& s, const std::string& id) override;
  Status record_login(const std::string& user_id, std::int64_t time_ms) override;
  Result<std::size_t> count_users() override;

  Result<model::ApiKey> create_api_key(const Scope& s, const model::ApiKey& k) override;
  Result<model::ApiKey> get_api_key(const Scope& s, const std::string& id) override;
  Result<model::ApiKey> find_api_key_by_hash(const std::string& hash) override;
  Result<PageOf<model::ApiKey>> list_api_keys(const Scope& s, const ApiKeyFilter& f,
                                              const Page& p) override;
  Status delete_api_key(const Scope& s, const std::string& id) override;
  Status touch_api_key(const std::string& id, std::int64_t time_ms) override;

  Result<model::DeviceProfile> create_profile(const Scope& s,
                                              const model::DeviceProfile& p) override;
  Result<model::DeviceProfile> get_profile(const Scope& s, const std::string& id) override;
  Result<PageOf<model::DeviceProfile>> list_profiles(const Scope& s, const ProfileFilter& f,
                                                     const Page& p) override;
  Result<model::DeviceProfile> update_profile(const Scope& s,
                                              const model::DeviceProfile& p) override;
  Status delete_profile(const Scope& s, const std::string& id) override;
  Result<model::DeviceProfile> find_profile_by_provision_key(const std::string& key) override;

  Result<model::Device> create_device(const Scope& s, const model::Device& d) override;
  Result<model::Device> get_device(const Scope& s, const std::string& id) override;
  Result<model::Device> find_device_by_token(const std::string& access_token) override;
  Result<model::Device> find_device_by_cert_fingerprint(const std::string& fingerprint) override;
  Result<PageOf<model::Device>> list_devices(const Scope& s, const DeviceFilter& f,
                                             const Page& p) override;
  Result<model::Device> update_device(const Scope& s, const model::Device& d) override;
  Status delete_device(const Scope& s, const std::string& id) override;
  Status touch_device(const std::string& id, std::int64_t last_seen_ms) override;

  Status set_attributes(const Scope& s, const std::string& device_id, model::AttributeScope scope,
                        const std::vector<std::pair<std::string, std::string>>& values) override;
  Result<std::vector<model::Attribute>> get_attributes(
      const Scope& s, const std::string& device_id, std::optional<model::AttributeScope> scope,
      const std::vector<std::string>& keys) override;
  Status delete_attributes(const Scope& s, const std::string& device_id,
                           model::AttributeScope scope,
                           const std::vector<std::string>& keys) override;

  Result<model::RuleChain> create_rule_chain(const Scope& s, const model::RuleChain& c) override;
  Result<model::RuleChain> get_rule_chain(const Scope& s, const std::string& id,
                                          std::int64_t version = 0) override;
  Result<PageOf<model::RuleChain>> list_rule_chains(const Scope& s, const RuleChainFilter& f,
                                                    const Page& p) override;
  Result<std::vector<model::RuleChain>> list_rule_chain_versions(const Scope& s,
                                                                 const std::string& id) override;
  Result<model::RuleChain> update_rule_chain(const Scope& s, const model::RuleChain& c) override;
  Result<model::RuleChain> set_rule_chain_enabled(const Scope& s, const std::string& id,
                                                  bool enabled) override;
  Status delete_rule_chain(const Scope& s, const std::string& id) override;
  Result<std::vector<model::RuleChain>> list_enabled_rule_chains() override;
  Result<AlarmRaised> raise_alarm(const Scope& s, const model::Alarm& a,
                                  const std::string& actor) override;
  Result<model::Alarm> get_alarm(const Scope& s, const std::string& id) override;
  Result<model::Alarm> find_open_alarm(const Scope& s, const std::string& device_id,
                                       const std::string& type) override;
  Result<PageOf<model::Alarm>> list_alarms(const Scope& s, const AlarmFilter& f,
                                           const Page& p) override;
  Result<AlarmCounts> count_alarms(const Scope& s, const AlarmFilter& f) override;
  Result<model::Alarm> acknowledge_alarm(const Scope& s, const std::string& id,
                                         const std::string& actor, std::int64_t time_ms) override;
  Result<model::Alarm> clear_alarm(const Scope& s, const std::string& id, const std::string& actor,
                                   std::int64_t time_ms) override;
  Result<std::vector<model::AlarmHistoryEntry>> alarm_history(const Scope& s,
                                                              const std::string& alarm_id) override;

  Result<model::NotificationTarget> create_notification_target(
      const Scope& s, const model::NotificationTarget& t) override;
  Result<model::NotificationTarget> get_notification_target(const Scope& s,
                                                            const std::string& id) override;
  Result<PageOf<model::NotificationTarget>> list_notification_targets(const Scope& s,
                                                                      const Page& p) override;
  Result<model::NotificationTarget> update_notification_target(
      const Scope& s, const model::NotificationTarget& t) override;
  Status delete_notification_target(const Scope& s, const std::string& id) override;

  Result<DeveloperAccount> create_developer(const DeveloperAccount& a) override;
  Result<DeveloperAccount> find_developer_by_email(const std::string& email) override;
  Result<DeveloperAccount> find_developer_by_token(const std::string& token_hash) override;
  Result<DeveloperAccount> find_developer_by_user(const std::string& user_id) override;
  Status update_developer(const DeveloperAccount& a) override;
  Result<std::vector<DeveloperAccount>> list_verified_developers() override;

  // Runs fn with this store's connection inside one transaction(), for the stores of other
  // modules whose tables this database holds (their migrations live in schema.cpp and
  // pg_schema.cpp), e.g. apps::SqlAppStore. The same SQL runs on both backends; dialect()
  // spells what differs. fn must not wait on another thread that uses this store.
  Status with_db(const std::function<Status(sql::Db&)>& fn);
  const Dialect& dialect() const { return dialect_; }

  Status append_audit(const model::AuditEntry& entry) override;
  Result<PageOf<model::AuditEntry>> list_audit(const Scope& s, const AuditFilter& f,
                                               const Page& p) override;

 protected:
  SqlStore(std::unique_ptr<sql::Db> db, int schema_version, const Dialect& dialect);

  // The store-wide lock when the dialect serialises calls, else an empty lock.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> serialise() const;

  // Runs fn inside transaction() and hands back its value.
  template <typename T>
  Result<T> atomically(const std::function<Result<T>()>& fn) {
    std::optional<T> out;
    KAIWU_TRY_STATUS(transaction([&]() -> Status {
      auto r = fn();
      if (!r) return std::unexpected(r.error());
      out = std::move(*r);
      return ok();
    }));
    return std::move(*out);
  }

  // "<column> LIKE ? ESCAPE '\\'" in the dialect's case-insensitive form.
  std::string like(std::string_view column) const;

  mutable std::recursive_mutex mu_;  // held by every call when dialect_.serialise
  const std::unique_ptr<sql::Db> db_;
  const int schema_version_;
  const Dialect dialect_;
};

}  // namespace kaiwu::meta
