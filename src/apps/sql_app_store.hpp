// SqlAppStore: the AppStore on the metadata store's own connection (meta::SqlStore::with_db), so
// marketplace writes share its transactions and its database. One body for both backends: the
// embedded SQLite file and the cluster's PostgreSQL database (schema versions 6 and 9 of
// meta/schema.cpp and meta/pg_schema.cpp).
#pragma once

#include "apps/store.hpp"
#include "meta/sql_store.hpp"

namespace kaiwu::apps {

class SqlAppStore final : public AppStore {
 public:
  explicit SqlAppStore(meta::SqlStore& db) : db_(db) {}

  Result<PublisherKey> add_publisher_key(const PublisherKey& k) override;
  Result<std::vector<PublisherKey>> list_publisher_keys(const std::string& publisher) override;
  Status delete_publisher_key(const std::string& fingerprint) override;

  Result<AppVersion> add_version(const AppVersion& v, const std::string& publisher) override;
  Result<AppVersion> get_version(const std::string& app_id, const std::string& version) override;
  Result<std::vector<AppVersion>> list_versions(const std::string& app_id) override;
  Result<std::vector<AppVersion>> list_pending_versions() override;
  Result<AppVersion> review_version(const std::string& app_id, const std::string& version, bool approve,
                                    const std::string& reason, const std::string& reviewer) override;

  Result<AppSummary> get_app(const std::string& app_id) override;
  Result<std::vector<AppSummary>> list_apps(bool listed_only) override;

  Result<Subscription> subscribe(const Subscription& s) override;
  Status unsubscribe(const std::string& app_id, const std::string& tenant_id,
                     const std::string& enterprise_id) override;
  Result<Subscription> get_subscription(const std::string& app_id, const std::string& tenant_id,
                                        const std::string& enterprise_id) override;
  Result<std::vector<Subscription>> list_subscriptions(const std::string& app_id,
                                                       const std::string& tenant_id) override;
  Result<std::int64_t> count_call(const std::string& app_id, const std::string& enterprise_id) override;

  Result<Rating> rate(const Rating& r) override;
  Result<std::vector<Rating>> list_ratings(const std::string& app_id) override;

  Status append_runs(const std::vector<RunRecord>& runs) override;
  Result<RunPage> list_runs(const RunQuery& q) override;

 private:
  meta::SqlStore& db_;
};

}  // namespace kaiwu::apps
