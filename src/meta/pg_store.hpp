// PgStore: the cluster MetadataStore (and RuleChainStore) on a PostgreSQL server, beside
// SqliteStore (sqlite_store.hpp) and with the same behaviour: its method bodies mirror
// sqlite_store*.cpp statement for statement, and the same conformance suite
// (tests/unit/meta/) runs against both. The schema is pg_schema.cpp, the same migrations.
//
// Several kaiwu nodes may share one database: migrations run under an advisory lock, and
// uniqueness, references and scoping are enforced by the same constraints and queries.
//
// Thread-safe without a store-wide lock: calls run on a small connection pool (pg_db.hpp);
// transaction(fn) pins one connection to the calling thread, and the calls fn makes on that
// thread nest inside it. fn must not wait on another thread that uses the same transaction.
// Calls block on the network: run them off io_context threads.
//
// Differences from SQLite, by necessity: text may not contain NUL bytes (kInvalidArgument);
// a transaction that loses a serialization race or a connection fails kUnavailable.
//
// Errors: as SqliteStore's, converted from SQLSTATEs in pg_db.cpp (unique violation
// kAlreadyExists naming the field, foreign key kFailedPrecondition, connection/serialization
// kUnavailable), each message carrying the server's text.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "meta/store.hpp"

namespace kaiwu::meta {

namespace pg {
class Db;
}

class PgStore final : public MetadataStore, public RuleChainStore {
 public:
  // Connects to conninfo (libpq "key=value" or postgresql:// URL; the tables live in its
  // search_path) with a pool of up to pool_size connections and applies pending migrations.
  // kUnavailable if the server cannot be reached, kFailedPrecondition if a newer Kaiwu wrote
  // the schema.
  static Result<std::unique_ptr<PgStore>> open(const std::string& conninfo,
                                               std::size_t pool_size = 8);
  // The schema version this build migrates to.
  static int latest_schema_version();

  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

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

 private:
  PgStore(std::unique_ptr<pg::Db> db, int schema_version);

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

  std::unique_ptr<pg::Db> db_;  // thread-safe itself: a pool, see pg_db.hpp
  const int schema_version_;
};

}  // namespace kaiwu::meta
