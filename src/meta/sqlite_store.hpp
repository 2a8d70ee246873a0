// SqliteStore: the embedded MetadataStore on one SQLite database file.
//
// One connection, serialised by a recursive mutex: any thread may call any method, and calls
// made from inside transaction(fn) on the same thread nest. A transaction holds the mutex until
// it ends, so fn must not wait for another thread that uses the store. Calls block on disk I/O:
// run them off io_context threads.
//
// Behaviour beyond store.hpp's contract (the conformance suite in tests/unit/meta/ pins it):
//  - A reference to a park/enterprise/profile/gateway/user that is not visible in the caller's
//    scope or belongs to another tenant: kNotFound "<kind> <id> not found".
//  - A create or update whose result would fall outside the caller's own scope (e.g. a park
//    scope creating a second park): kFailedPrecondition.
//  - Parks: list_parks is tenant-wide for every scope; get/update/delete_park under a park scope
//    reach only that park. Profiles are tenant-wide for every scope.
//  - create_device fills an empty access_token with a random token; create_profile an empty
//    updated_ms with created_ms; update_profile sets updated_ms to now.
//  - Usernames compare case-insensitively (ASCII) for uniqueness and find_user_by_username.
//  - Users and API keys with an empty tenant_id (platform-wide) can be created only in the
//    platform scope; a platform-admin user has no tenant and every other role needs one.
//  - list_audit: from_ms and to_ms are both inclusive; scopes filter by tenant only.
//  - Attributes: one updated_ms (now) for every key of a set_attributes call; a key given twice
//    keeps its last value; values are stored as given (not re-serialised). JSON nested deeper
//    than 32 levels is refused (Boost.JSON's default limit).
//
// Errors from SQLite: unique violations kAlreadyExists naming the field, foreign-key failures
// kFailedPrecondition, SQLITE_CORRUPT/NOTADB kCorruption, SQLITE_BUSY kUnavailable, other
// failures kIo; each message carries SQLite's own text.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "meta/developer_store.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta {

namespace sqlite {
class Db;
}

class SqliteStore final : public MetadataStore, public RuleChainStore, public DeveloperStore {
 public:
  // Opens or creates the database at path (":memory:" for a private in-memory database) and
  // applies pending migrations. kIo if the file cannot be opened, kCorruption if it is not a
  // database, kFailedPrecondition if a newer Kaiwu wrote it.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  // The schema version this build migrates to.
  static int latest_schema_version();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status transaction(const std::function<Status()>& fn) override;
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

  Status append_audit(const model::AuditEntry& entry) override;
  Result<PageOf<model::AuditEntry>> list_audit(const Scope& s, const AuditFilter& f,
                                               const Page& p) override;

  Result<DeveloperAccount> create_developer(const DeveloperAccount& a) override;
  Result<DeveloperAccount> find_developer_by_email(const std::string& email) override;
  Result<DeveloperAccount> find_developer_by_token(const std::string& token_hash) override;
  Result<DeveloperAccount> find_developer_by_user(const std::string& user_id) override;
  Status update_developer(const DeveloperAccount& a) override;
  Result<std::vector<DeveloperAccount>> list_verified_developers() override;

 private:
  SqliteStore(std::unique_ptr<sqlite::Db> db, int schema_version);

  // Runs fn inside transaction() and hands back its value.
  template <typename T>
  Result<T> atomically(const std::function<Result<T>()>& fn);

  mutable std::recursive_mutex mu_;
  std::unique_ptr<sqlite::Db> db_;  // guarded by mu_
  int tx_depth_ = 0;                // guarded by mu_
  const int schema_version_;
};

}  // namespace kaiwu::meta
