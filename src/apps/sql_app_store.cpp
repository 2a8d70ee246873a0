#include "apps/sql_app_store.hpp"

#include <fmt/format.h>

#include "apps/manifest.hpp"
#include "core/ids.hpp"
#include "meta/paging.hpp"
#include "meta/sql.hpp"

namespace kaiwu::apps {

using meta::sql::Db;
using meta::sql::Query;
using meta::sql::Row;

namespace {

constexpr std::string_view kVersionColumns =
    "SELECT app_id, version, manifest, package, digest, key_fingerprint, status, reason, uploaded_by, "
    "uploaded_ms, reviewed_by, reviewed_ms FROM app_versions";
constexpr std::string_view kAppColumns =
    "SELECT a.id, a.publisher, a.owner_user_id, a.listed_version, a.created_ms, "
    "(SELECT COUNT(*) FROM app_subscriptions s WHERE s.app_id = a.id), "
    "(SELECT COALESCE(AVG(stars), 0) FROM app_ratings r WHERE r.app_id = a.id), "
    "(SELECT COUNT(*) FROM app_ratings r WHERE r.app_id = a.id) FROM apps a";
constexpr std::string_view kSubscriptionColumns =
    "SELECT app_id, tenant_id, enterprise_id, plan_id, calls, created_by, created_ms FROM app_subscriptions";

VersionStatus parse_status(const std::string& s) {
  if (s == "approved") return VersionStatus::kApproved;
  if (s == "rejected") return VersionStatus::kRejected;
  return VersionStatus::kPending;
}

Result<AppVersion> read_version(const Row& r) {
  AppVersion v;
  v.app_id = r.text(0);
  v.version = r.text(1);
  v.manifest_text = r.text(2);
  v.package_text = r.text(3);
  v.digest_hex = r.text(4);
  v.key_fingerprint = r.text(5);
  v.status = parse_status(r.text(6));
  v.reason = r.text(7);
  v.uploaded_by = r.text(8);
  v.uploaded_ms = r.int64(9);
  v.reviewed_by = r.text(10);
  v.reviewed_ms = r.int64(11);
  return v;
}

Result<AppSummary> read_app(const Row& r) {
  AppSummary a;
  a.id = r.text(0);
  a.publisher = r.text(1);
  a.owner_user_id = r.text(2);
  a.listed_version = r.text(3);
  a.created_ms = r.int64(4);
  a.subscribers = r.int64(5);
  a.rating_average = r.real(6).value_or(0);
  a.rating_count = r.int64(7);
  return a;
}

Result<Subscription> read_subscription(const Row& r) {
  Subscription s;
  s.app_id = r.text(0);
  s.tenant_id = r.text(1);
  s.enterprise_id = r.text(2);
  s.plan_id = r.text(3);
  s.calls = r.int64(4);
  s.created_by = r.text(5);
  s.created_ms = r.int64(6);
  return s;
}

Result<PublisherKey> read_key(const Row& r) {
  return PublisherKey{r.text(0), r.text(1), r.text(2), r.text(3), r.int64(4)};
}

Result<AppVersion> find_version(Db& db, const std::string& app_id, const std::string& version) {
  Query q(kVersionColumns);
  q.where("app_id = ?", {app_id}).where("version = ?", {version});
  auto v = KAIWU_TRY(db.one(q, read_version));
  if (!v) return fail(Errc::kNotFound, fmt::format("app {} has no version {}", app_id, version));
  return std::move(*v);
}

Result<AppSummary> find_app(Db& db, const std::string& app_id) {
  Query q(kAppColumns);
  q.where("a.id = ?", {app_id});
  auto a = KAIWU_TRY(db.one(q, read_app));
  if (!a) return fail(Errc::kNotFound, fmt::format("app {} not found", app_id));
  return std::move(*a);
}

}  // namespace

std::string_view version_status_name(VersionStatus s) {
  switch (s) {
    case VersionStatus::kPending: return "pending";
    case VersionStatus::kApproved: return "approved";
    case VersionStatus::kRejected: return "rejected";
  }
  return "pending";
}

Result<PublisherKey> SqlAppStore::add_publisher_key(const PublisherKey& in) {
  return meta::with_db_value<PublisherKey>(db_, [&](Db& db) -> Result<PublisherKey> {
    Query owner("SELECT owner_user_id FROM app_publisher_keys");
    owner.where("publisher = ?", {in.publisher}).where("owner_user_id != ''").tail("LIMIT 1");
    auto current = KAIWU_TRY(db.one(owner, [](const Row& r) -> Result<std::string> { return r.text(0); }));
    if (current && !in.owner_user_id.empty() && *current != in.owner_user_id)
      return fail(Errc::kPermissionDenied, fmt::format("publisher '{}' belongs to another user", in.publisher));
    Query dup("SELECT COUNT(*) FROM app_publisher_keys");
    dup.where("fingerprint = ?", {in.fingerprint});
    if (KAIWU_TRY(db.scalar(dup)) > 0) return fail(Errc::kAlreadyExists, "this public key is already registered");
    PublisherKey k = in;
    k.created_ms = now_ms();
    KAIWU_TRY_STATUS(db.run(Query(
        "INSERT INTO app_publisher_keys (fingerprint, publisher, public_key, owner_user_id, created_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        {k.fingerprint, k.publisher, k.public_key_pem, k.owner_user_id, k.created_ms})));
    return k;
  });
}

Result<std::vector<PublisherKey>> SqlAppStore::list_publisher_keys(const std::string& publisher) {
  return meta::with_db_value<std::vector<PublisherKey>>(db_, [&](Db& db) {
    Query q("SELECT fingerprint, publisher, public_key, owner_user_id, created_ms FROM app_publisher_keys");
    q.where("publisher = ?", {publisher}).tail("ORDER BY created_ms, fingerprint");
    return db.all(q, read_key);
  });
}

Status SqlAppStore::delete_publisher_key(const std::string& fingerprint) {
  return db_.with_db([&](Db& db) -> Status {
    auto n = KAIWU_TRY(db.run(Query("DELETE FROM app_publisher_keys WHERE fingerprint = ?", {fingerprint})));
    if (n == 0) return fail(Errc::kNotFound, fmt::format("publisher key {} not found", fingerprint));
    return ok();
  });
}

Result<AppVersion> SqlAppStore::add_version(const AppVersion& in, const std::string& publisher) {
  return meta::with_db_value<AppVersion>(db_, [&](Db& db) -> Result<AppVersion> {
    const std::int64_t now = now_ms();
    auto app = find_app(db, in.app_id);
    if (app && app->publisher != publisher)
      return fail(Errc::kPermissionDenied,
                  fmt::format("app {} belongs to publisher '{}'", in.app_id, app->publisher));
    if (!app) {
      KAIWU_TRY_STATUS(db.run(Query(
          "INSERT INTO apps (id, publisher, owner_user_id, listed_version, created_ms, updated_ms) "
          "VALUES (?, ?, ?, '', ?, ?)",
          {in.app_id, publisher, in.uploaded_by, now, now})));
    }
    if (find_version(db, in.app_id, in.version))
      return fail(Errc::kAlreadyExists, fmt::format("app {} version {} was already uploaded", in.app_id, in.version));
    KAIWU_TRY_STATUS(db.run(Query(
        "INSERT INTO app_versions (app_id, version, manifest, package, digest, key_fingerprint, status, "
        "reason, uploaded_by, uploaded_ms) VALUES (?, ?, ?, ?, ?, ?, 'pending', '', ?, ?)",
        {in.app_id, in.version, in.manifest_text, in.package_text, in.digest_hex, in.key_fingerprint,
         in.uploaded_by, now})));
    return find_version(db, in.app_id, in.version);
  });
}

Result<AppVersion> SqlAppStore::get_version(const std::string& app_id, const std::string& version) {
  return meta::with_db_value<AppVersion>(db_, [&](Db& db) { return find_version(db, app_id, version); });
}

Result<std::vector<AppVersion>> SqlAppStore::list_versions(const std::string& app_id) {
  return meta::with_db_value<std::vector<AppVersion>>(db_, [&](Db& db) -> Result<std::vector<AppVersion>> {
    KAIWU_TRY_STATUS(find_app(db, app_id));
    Query q(kVersionColumns);
    q.where("app_id = ?", {app_id}).tail("ORDER BY uploaded_ms DESC, version DESC");
    return db.all(q, read_version);
  });
}

Result<std::vector<AppVersion>> SqlAppStore::list_pending_versions() {
  return meta::with_db_value<std::vector<AppVersion>>(db_, [&](Db& db) {
    Query q(kVersionColumns);
    q.where("status = 'pending'").tail("ORDER BY uploaded_ms, app_id");
    return db.all(q, read_version);
  });
}

Result<AppVersion> SqlAppStore::review_version(const std::string& app_id, const std::string& version,
                                                  bool approve, const std::string& reason,
                                                  const std::string& reviewer) {
  return meta::with_db_value<AppVersion>(db_, [&](Db& db) -> Result<AppVersion> {
    auto v = KAIWU_TRY(find_version(db, app_id, version));
    if (v.status != VersionStatus::kPending)
      return fail(Errc::kFailedPrecondition,
                  fmt::format("app {} version {} is already {}", app_id, version, version_status_name(v.status)));
    const std::int64_t now = now_ms();
    KAIWU_TRY_STATUS(db.run(Query(
        "UPDATE app_versions SET status = ?, reason = ?, reviewed_by = ?, reviewed_ms = ? "
        "WHERE app_id = ? AND version = ?",
        {std::string(approve ? "approved" : "rejected"), reason, reviewer, now, app_id, version})));
    if (approve) {
      auto app = KAIWU_TRY(find_app(db, app_id));
      if (app.listed_version.empty() || compare_semver(version, app.listed_version) > 0) {
        KAIWU_TRY_STATUS(db.run(Query("UPDATE apps SET listed_version = ?, updated_ms = ? WHERE id = ?",
                                      {version, now, app_id})));
      }
    }
    return find_version(db, app_id, version);
  });
}

Result<AppSummary> SqlAppStore::get_app(const std::string& app_id) {
  return meta::with_db_value<AppSummary>(db_, [&](Db& db) { return find_app(db, app_id); });
}

Result<std::vector<AppSummary>> SqlAppStore::list_apps(bool listed_only) {
  return meta::with_db_value<std::vector<AppSummary>>(db_, [&](Db& db) {
    Query q(kAppColumns);
    if (listed_only) q.where("a.listed_version != ''");
    q.tail("ORDER BY a.id");
    return db.all(q, read_app);
  });
}

Result<Subscription> SqlAppStore::subscribe(const Subscription& in) {
  return meta::with_db_value<Subscription>(db_, [&](Db& db) -> Result<Subscription> {
    KAIWU_TRY_STATUS(find_app(db, in.app_id));
    Query dup("SELECT COUNT(*) FROM app_subscriptions");
    dup.where("app_id = ?", {in.app_id}).where("enterprise_id = ?", {in.enterprise_id});
    if (KAIWU_TRY(db.scalar(dup)) > 0)
      return fail(Errc::kAlreadyExists, fmt::format("enterprise {} already subscribes to app {}", in.enterprise_id, in.app_id));
    Query ent("SELECT COUNT(*) FROM enterprises");
    ent.where("id = ?", {in.enterprise_id}).where("tenant_id = ?", {in.tenant_id});
    if (KAIWU_TRY(db.scalar(ent)) == 0) return fail(Errc::kNotFound, fmt::format("enterprise {} not found", in.enterprise_id));
    KAIWU_TRY_STATUS(db.run(Query(
        "INSERT INTO app_subscriptions (app_id, tenant_id, enterprise_id, plan_id, calls, created_by, created_ms) "
        "VALUES (?, ?, ?, ?, 0, ?, ?)",
        {in.app_id, in.tenant_id, in.enterprise_id, in.plan_id, in.created_by, now_ms()})));
    Query q(kSubscriptionColumns);
    q.where("app_id = ?", {in.app_id}).where("enterprise_id = ?", {in.enterprise_id});
    return std::move(*KAIWU_TRY(db.one(q, read_subscription)));
  });
}

Status SqlAppStore::unsubscribe(const std::string& app_id, const std::string& tenant_id,
                                   const std::string& enterprise_id) {
  return db_.with_db([&](Db& db) -> Status {
    auto n = KAIWU_TRY(db.run(Query(
        "DELETE FROM app_subscriptions WHERE app_id = ? AND tenant_id = ? AND enterprise_id = ?",
        {app_id, tenant_id, enterprise_id})));
    if (n == 0)
      return fail(Errc::kNotFound, fmt::format("enterprise {} has no subscription to app {}", enterprise_id, app_id));
    return ok();
  });
}

Result<Subscription> SqlAppStore::get_subscription(const std::string& app_id, const std::string& tenant_id,
                                                      const std::string& enterprise_id) {
  return meta::with_db_value<Subscription>(db_, [&](Db& db) -> Result<Subscription> {
    Query q(kSubscriptionColumns);
    q.where("app_id = ?", {app_id}).where("tenant_id = ?", {tenant_id}).where("enterprise_id = ?", {enterprise_id});
    auto s = KAIWU_TRY(db.one(q, read_subscription));
    if (!s) return fail(Errc::kNotFound, fmt::format("app {} not found for enterprise {}", app_id, enterprise_id));
    return std::move(*s);
  });
}

Result<std::vector<Subscription>> SqlAppStore::list_subscriptions(const std::string& app_id,
                                                                     const std::string& tenant_id) {
  return meta::with_db_value<std::vector<Subscription>>(db_, [&](Db& db) {
    Query q(kSubscriptionColumns);
    if (!app_id.empty()) q.where("app_id = ?", {app_id});
    if (!tenant_id.empty()) q.where("tenant_id = ?", {tenant_id});
    q.tail("ORDER BY app_id, enterprise_id");
    return db.all(q, read_subscription);
  });
}

Result<std::int64_t> SqlAppStore::count_call(const std::string& app_id, const std::string& enterprise_id) {
  return meta::with_db_value<std::int64_t>(db_, [&](Db& db) -> Result<std::int64_t> {
    auto n = KAIWU_TRY(db.run(Query("UPDATE app_subscriptions SET calls = calls + 1 WHERE app_id = ? AND enterprise_id = ?",
                                    {app_id, enterprise_id})));
    if (n == 0) return fail(Errc::kNotFound, fmt::format("enterprise {} has no subscription to app {}", enterprise_id, app_id));
    Query q("SELECT calls FROM app_subscriptions");
    q.where("app_id = ?", {app_id}).where("enterprise_id = ?", {enterprise_id});
    return db.scalar(q);
  });
}

Result<Rating> SqlAppStore::rate(const Rating& in) {
  return meta::with_db_value<Rating>(db_, [&](Db& db) -> Result<Rating> {
    KAIWU_TRY_STATUS(find_app(db, in.app_id));
    if (in.stars < 1 || in.stars > 5) return fail(Errc::kInvalidArgument, "stars must be 1..5");
    Rating r = in;
    r.updated_ms = now_ms();
    KAIWU_TRY_STATUS(db.run(Query(
        "INSERT INTO app_ratings (app_id, user_id, tenant_id, enterprise_id, stars, comment, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, user_id) DO UPDATE SET stars = excluded.stars, "
        "comment = excluded.comment, updated_ms = excluded.updated_ms",
        {r.app_id, r.user_id, r.tenant_id, r.enterprise_id, std::int64_t{r.stars}, r.comment, r.updated_ms})));
    return r;
  });
}

Result<std::vector<Rating>> SqlAppStore::list_ratings(const std::string& app_id) {
  return meta::with_db_value<std::vector<Rating>>(db_, [&](Db& db) -> Result<std::vector<Rating>> {
    KAIWU_TRY_STATUS(find_app(db, app_id));
    Query q("SELECT app_id, user_id, tenant_id, enterprise_id, stars, comment, updated_ms FROM app_ratings");
    q.where("app_id = ?", {app_id}).tail("ORDER BY updated_ms DESC, user_id");
    return db.all(q, [](const Row& r) -> Result<Rating> {
      return Rating{r.text(0), r.text(1), r.text(2), r.text(3), static_cast<int>(r.int64(4)), r.text(5), r.int64(6)};
    });
  });
}

}  // namespace kaiwu::apps
