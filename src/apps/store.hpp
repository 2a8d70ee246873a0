// AppStore: the marketplace's records — publisher keys, APPs and their versions under review,
// subscriptions, ratings and the log of runs. SqlAppStore (sql_app_store.hpp) keeps its tables
// in the metadata database, SQLite or PostgreSQL (schema versions 6 and 9).
//
// Errors: kNotFound (no such APP / version / subscription), kAlreadyExists (version uploaded
// twice, enterprise already subscribed, key registered twice), kPermissionDenied (an APP id
// owned by another publisher, a publisher name owned by another user), kFailedPrecondition
// (reviewing a version that is not pending), kIo/kUnavailable from the database.
// Thread-safe: any thread may call any method; calls block on disk I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::apps {

enum class VersionStatus : std::uint8_t { kPending, kApproved, kRejected };
std::string_view version_status_name(VersionStatus s);  // "pending", "approved", "rejected"

struct PublisherKey {
  std::string fingerprint;  // SHA-256 hex of the raw key
  std::string publisher;
  std::string public_key_pem;
  std::string owner_user_id;  // who registered it; "" for platform-registered keys
  std::int64_t created_ms = 0;
};

struct AppVersion {
  std::string app_id;
  std::string version;
  std::string manifest_text;  // manifest.json as uploaded
  std::string package_text;   // the whole signed package (wire form)
  std::string digest_hex;
  std::string key_fingerprint;  // the key that verified it
  VersionStatus status = VersionStatus::kPending;
  std::string reason;  // why it was rejected (or the reviewer's note)
  std::string uploaded_by;
  std::int64_t uploaded_ms = 0;
  std::string reviewed_by;
  std::int64_t reviewed_ms = 0;
};

struct AppSummary {
  std::string id;
  std::string publisher;
  std::string owner_user_id;
  std::string listed_version;  // newest approved version; empty: not listed
  std::int64_t created_ms = 0;
  std::int64_t subscribers = 0;
  double rating_average = 0;  // 0 when there is no rating
  std::int64_t rating_count = 0;
};

struct Subscription {
  std::string app_id;
  std::string tenant_id;
  std::string enterprise_id;
  std::string plan_id;
  std::int64_t calls = 0;  // counted calls (per_call plans bill these)
  std::string created_by;
  std::int64_t created_ms = 0;
};

struct Rating {
  std::string app_id;
  std::string user_id;
  std::string tenant_id;
  std::string enterprise_id;
  int stars = 0;  // 1..5
  std::string comment;
  std::int64_t updated_ms = 0;
};

// One run of an APP function for an enterprise, whatever started it (apps/runtime.hpp).
struct RunRecord {
  std::string id;
  std::string app_id;
  std::string version;
  std::string tenant_id;
  std::string enterprise_id;
  std::string function;
  std::string trigger;
  std::string actor;
  std::int64_t start_ms = 0;
  std::int64_t duration_us = 0;
  bool ok = false;
  std::string error;
  std::vector<std::string> log;
};

// Which runs to read: always one APP; the other fields empty/0 = any.
struct RunQuery {
  std::string app_id;
  std::string tenant_id;
  std::string enterprise_id;
  std::optional<bool> ok;   // status: true = succeeded, false = failed
  std::string trigger;      // http | schedule | telemetry | alarm
  std::int64_t since_ms = 0;  // start_ms >= since_ms
  std::size_t limit = 50;     // 1..100
  std::string cursor;         // from the previous page's next
};

struct RunPage {
  std::vector<RunRecord> items;  // newest first
  std::string next;              // empty: no more
};

// Retention of the run log: per APP × enterprise the newest kRunsKept runs, none older than
// kRunsMaxAgeMs; enforced after each batch is written.
inline constexpr std::size_t kRunsKept = 1000;
inline constexpr std::int64_t kRunsMaxAgeMs = 30LL * 24 * 3600 * 1000;

class AppStore {
 public:
  virtual ~AppStore() = default;

  // Registers a key for a publisher. The first key of a publisher name makes owner_user_id its
  // owner; later keys of that name need the same owner (or an empty owner: the platform).
  virtual Result<PublisherKey> add_publisher_key(const PublisherKey& k) = 0;
  virtual Result<std::vector<PublisherKey>> list_publisher_keys(const std::string& publisher) = 0;
  virtual Status delete_publisher_key(const std::string& fingerprint) = 0;

  // Stores an uploaded, verified version as pending; creates the APP on its first version
  // (publisher from the manifest, owner the uploader).
  virtual Result<AppVersion> add_version(const AppVersion& v, const std::string& publisher) = 0;
  virtual Result<AppVersion> get_version(const std::string& app_id, const std::string& version) = 0;
  virtual Result<std::vector<AppVersion>> list_versions(const std::string& app_id) = 0;
  virtual Result<std::vector<AppVersion>> list_pending_versions() = 0;
  // pending → approved (the APP lists it when it is newer than the listed one) or rejected.
  virtual Result<AppVersion> review_version(const std::string& app_id, const std::string& version, bool approve,
                                            const std::string& reason, const std::string& reviewer) = 0;

  virtual Result<AppSummary> get_app(const std::string& app_id) = 0;
  // Every APP (listed_only: only listed ones), by id.
  virtual Result<std::vector<AppSummary>> list_apps(bool listed_only) = 0;

  virtual Result<Subscription> subscribe(const Subscription& s) = 0;
  virtual Status unsubscribe(const std::string& app_id, const std::string& tenant_id,
                             const std::string& enterprise_id) = 0;
  virtual Result<Subscription> get_subscription(const std::string& app_id, const std::string& tenant_id,
                                                const std::string& enterprise_id) = 0;
  // app_id empty: every APP; tenant_id empty: every tenant.
  virtual Result<std::vector<Subscription>> list_subscriptions(const std::string& app_id,
                                                               const std::string& tenant_id) = 0;
  // calls + 1; returns the new count.
  virtual Result<std::int64_t> count_call(const std::string& app_id, const std::string& enterprise_id) = 0;

  // Inserts or replaces the user's rating.
  virtual Result<Rating> rate(const Rating& r) = 0;
  virtual Result<std::vector<Rating>> list_ratings(const std::string& app_id) = 0;

  // Appends runs (one transaction) and applies the retention above to the APP × enterprise
  // pairs they touch. A run id seen before is kAlreadyExists (nothing of the batch is written).
  virtual Status append_runs(const std::vector<RunRecord>& runs) = 0;
  // Newest first; kInvalidArgument for a cursor that is not one of this list's.
  virtual Result<RunPage> list_runs(const RunQuery& q) = 0;
};

}  // namespace kaiwu::apps
