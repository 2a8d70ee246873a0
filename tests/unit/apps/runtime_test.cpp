// The runtime on the real stores, on both backends (one suite, two factories: SQLite in memory,
// and PostgreSQL in a fresh schema of a throwaway server, skipped when not installed):
// marketplace lifecycle, enterprise scoping of the host API, permission refusals, metering,
// per-call counting and the persistent run log (paging, filters, retention).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <set>

#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "apps/sql_app_store.hpp"
#include "core/ids.hpp"
#include "meta/pg_store.hpp"
#include "meta/sqlite_store.hpp"
#include "pg_shared.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;
namespace json = boost::json;

using test::RecordingMeter;

using meta::testing::backend_name;
using meta::testing::both_backends;
using meta::testing::SqlBackend;

class RuntimeTest : public ::testing::TestWithParam<SqlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      std::string why;
      const auto conninfo = meta::testing::pg_fresh_schema(&why);
      if (conninfo.empty()) GTEST_SKIP() << why;
      meta = must(meta::PgStore::open(conninfo, 4));
    } else {
      meta = must(meta::SqliteStore::open(":memory:"));
    }
    tenant = must(meta->create_tenant(model::Tenant{"", "t", "", 0})).id;
    other_tenant = must(meta->create_tenant(model::Tenant{"", "u", "", 0})).id;
    const auto ts = meta::Scope::tenant(tenant);
    ent_a = must(meta->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
    ent_b = must(meta->create_enterprise(ts, model::Enterprise{.name = "b"})).id;
    dev_a = must(meta->create_device(ts, model::Device{.enterprise_id = ent_a, .name = "meter-a"})).id;
    dev_b = must(meta->create_device(ts, model::Device{.enterprise_id = ent_b, .name = "meter-b"})).id;
    tsdb::Point points[] = {{tenant, dev_a, "power", 1000, 12.5}, {tenant, dev_b, "power", 1000, 99.0}};
    ASSERT_TRUE(telemetry.write(points));
    store = std::make_unique<SqlAppStore>(*meta);
    runtime = std::make_unique<AppRuntime>(*meta, telemetry, *store, meter, RuntimeHooks{});
    key = test::generate_key();
    market = std::make_unique<Marketplace>(*store, runtime.get(), std::vector<std::string>{key.public_pem});
  }

  void publish_and_subscribe(const std::string& plan = "free") {
    const auto text = package_json(test::example_package(key.private_pem));
    auto v = must(market->upload(text, "dev-1"));
    EXPECT_EQ(v.status, VersionStatus::kPending);
    must(market->review("hello-energy", "1.0.0", true, "", "admin"));
    must(market->subscribe("hello-energy", tenant, ent_a, plan, "alice"));
  }

  Invocation call(const std::string& fn, const std::string& input = "{}", const std::string& ent = "") {
    return Invocation{"hello-energy", fn, input, tenant, ent.empty() ? ent_a : ent, "http", "test"};
  }

  std::vector<RunRecord> runs(const std::string& tenant_id = {}, const std::string& enterprise_id = {}) {
    RunQuery q;
    q.app_id = "hello-energy";
    q.tenant_id = tenant_id;
    q.enterprise_id = enterprise_id;
    q.limit = 100;
    return must(runtime->runs(q)).items;
  }

  std::unique_ptr<meta::SqlStore> meta;
  test::MemoryTelemetry telemetry;
  RecordingMeter meter;
  std::unique_ptr<SqlAppStore> store;
  std::unique_ptr<AppRuntime> runtime;
  std::unique_ptr<Marketplace> market;
  test::KeyPair key;
  std::string tenant, other_tenant, ent_a, ent_b, dev_a, dev_b;
};

TEST_P(RuntimeTest, LifecycleListsOnlyApprovedVersions) {
  must(market->upload(package_json(test::example_package(key.private_pem)), "dev-1"));
  EXPECT_TRUE(must(store->list_apps(true)).empty());
  EXPECT_EQ(must(store->list_pending_versions()).size(), 1u);
  EXPECT_FALSE(market->subscribe("hello-energy", tenant, ent_a, "", "alice"));  // not listed yet
  EXPECT_FALSE(market->review("hello-energy", "1.0.0", false, "", "admin"));    // rejection needs a reason
  must(market->review("hello-energy", "1.0.0", true, "", "admin"));
  EXPECT_EQ(must(store->get_app("hello-energy")).listed_version, "1.0.0");
  auto again = market->review("hello-energy", "1.0.0", false, "late", "admin");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kFailedPrecondition);
  auto dup = market->upload(package_json(test::example_package(key.private_pem)), "dev-1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists);
  EXPECT_FALSE(market->subscribe("hello-energy", tenant, ent_a, "gold", "alice"));  // unknown plan
  must(market->subscribe("hello-energy", tenant, ent_a, "", "alice"));
  must(market->subscribe("hello-energy", tenant, ent_b, "metered", "bob"));
  EXPECT_EQ(must(store->get_app("hello-energy")).subscribers, 2);
  EXPECT_FALSE(market->subscribe("hello-energy", other_tenant, ent_a, "", "eve"));  // not that tenant's enterprise
  EXPECT_TRUE(market->unsubscribe("hello-energy", tenant, ent_b));
  EXPECT_EQ(must(store->get_app("hello-energy")).subscribers, 1);
}

TEST_P(RuntimeTest, UnknownPublisherKeyIsRefused) {
  const auto stranger = test::generate_key();
  auto up = market->upload(package_json(test::example_package(stranger.private_pem)), "dev-2");
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, Errc::kPermissionDenied);
  // Once the publisher registers that key, the same package is accepted.
  must(market->add_key("kaiwu-examples", stranger.public_pem, "dev-2"));
  must(market->upload(package_json(test::example_package(stranger.private_pem)), "dev-2"));
  // The platform's publisher name is reserved for platform admins (owner "").
  EXPECT_EQ(market->add_key("kaiwu", stranger.public_pem, "dev-2").error().code, Errc::kPermissionDenied);
  EXPECT_TRUE(market->add_key("kaiwu", test::generate_key().public_pem, ""));
  // The publisher name now belongs to dev-2.
  EXPECT_EQ(market->add_key("kaiwu-examples", test::generate_key().public_pem, "dev-3").error().code,
            Errc::kPermissionDenied);
}

TEST_P(RuntimeTest, HostApiSeesOnlyTheSubscribingEnterprise) {
  publish_and_subscribe();
  auto run = must(runtime->invoke(call("summary")));
  ASSERT_TRUE(run.record.ok) << run.record.error;
  auto result = json::parse(run.result_json).as_object();
  EXPECT_EQ(result["n"].as_int64(), 1);  // meter-b belongs to enterprise b
  EXPECT_DOUBLE_EQ(result["total"].to_number<double>(), 12.5);
  EXPECT_EQ(result["enterprise"].as_string(), ent_a);
  ASSERT_EQ(run.record.log.size(), 1u);
  EXPECT_EQ(run.record.log[0], "devices 1");

  auto peek_own = must(runtime->invoke(call("peek", R"({"deviceId":")" + dev_a + "\"}")));
  EXPECT_TRUE(peek_own.record.ok) << peek_own.record.error;
  auto peek_other = must(runtime->invoke(call("peek", R"({"deviceId":")" + dev_b + "\"}")));
  EXPECT_FALSE(peek_other.record.ok);
  EXPECT_NE(peek_other.record.error.find("not found"), std::string::npos) << peek_other.record.error;

  // Enterprise b did not subscribe; another tenant naming enterprise a is not it either.
  EXPECT_EQ(runtime->invoke(call("summary", "{}", ent_b)).error().code, Errc::kNotFound);
  auto foreign = call("summary");
  foreign.tenant_id = other_tenant;
  EXPECT_EQ(runtime->invoke(foreign).error().code, Errc::kNotFound);
}

TEST_P(RuntimeTest, UndeclaredPermissionIsRefusedClearly) {
  publish_and_subscribe();
  auto w = runtime->invoke(call("write", R"({"deviceId":")" + dev_a + "\"}"));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kPermissionDenied);
  EXPECT_NE(w.error().message.find("does not declare 'telemetry:write'"), std::string::npos) << w.error().message;
  auto latest = must(telemetry.latest(tenant, dev_a, std::vector<std::string>{"x"}));
  EXPECT_TRUE(latest.empty());  // nothing was written
  auto logged = runs(tenant, ent_a);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_FALSE(logged[0].ok);
  EXPECT_TRUE(runs(other_tenant).empty());
}

TEST_P(RuntimeTest, EveryRunIsMeteredAndPerCallPlansCount) {
  publish_and_subscribe("metered");
  for (int i = 0; i < 3; ++i) must(runtime->invoke(call("summary")));
  EXPECT_EQ(must(store->get_subscription("hello-energy", tenant, ent_a)).calls, 3);
  std::lock_guard lock(meter.mu);
  ASSERT_EQ(meter.records.size(), 3u);
  for (const auto& r : meter.records) {
    EXPECT_EQ(r.kind, metering::Kind::kAppCall);
    EXPECT_EQ(r.subject_id, "hello-energy");
    EXPECT_EQ(r.enterprise_id, ent_a);
    EXPECT_EQ(r.tenant_id, tenant);
    EXPECT_EQ(r.function, "summary");
    EXPECT_TRUE(r.ok);
  }
}

TEST_P(RuntimeTest, ScheduleTriggersFireWhenDue) {
  publish_and_subscribe();
  runtime->tick(10'000);  // first sight: schedules the first run at +1 s
  runtime->tick(10'500);
  EXPECT_TRUE(runs().empty());
  runtime->tick(11'000);
  runtime->stop();  // drains the queue and the run log
  auto logged = runs();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].trigger, "schedule");
  EXPECT_EQ(logged[0].function, "tick");
  EXPECT_TRUE(logged[0].ok) << logged[0].error;
}

TEST_P(RuntimeTest, RatingsAreOnePerUser) {
  publish_and_subscribe();
  const auto ts = meta::Scope::tenant(tenant);
  model::User u{.tenant_id = tenant, .enterprise_id = ent_a, .username = "rater", .role = model::Role::kEnterpriseAdmin};
  u.password_hash = "x";
  const auto user = must(meta->create_user(ts, u)).id;
  must(store->rate(Rating{"hello-energy", user, tenant, ent_a, 2, "meh", 0}));
  must(store->rate(Rating{"hello-energy", user, tenant, ent_a, 5, "better", 0}));
  auto ratings = must(store->list_ratings("hello-energy"));
  ASSERT_EQ(ratings.size(), 1u);
  EXPECT_EQ(ratings[0].stars, 5);
  EXPECT_DOUBLE_EQ(must(store->get_app("hello-energy")).rating_average, 5.0);
  EXPECT_FALSE(store->rate(Rating{"hello-energy", user, tenant, ent_a, 6, "", 0}));
}

// The run log is persistent: a new runtime on the same store reads the runs of the old one, with
// their log lines, and pages through them newest first with the filters.
TEST_P(RuntimeTest, RunLogPersistsPagesAndFilters) {
  publish_and_subscribe();
  for (int i = 0; i < 5; ++i) must(runtime->invoke(call("summary")));
  (void)runtime->invoke(call("write", R"({"deviceId":")" + dev_a + "\"}"));  // refused: a failed run
  runtime->stop();
  runtime = std::make_unique<AppRuntime>(*meta, telemetry, *store, meter, RuntimeHooks{});

  RunQuery q;
  q.app_id = "hello-energy";
  q.tenant_id = tenant;
  q.limit = 4;
  auto first = must(runtime->runs(q));
  ASSERT_EQ(first.items.size(), 4u);
  ASSERT_FALSE(first.next.empty());
  EXPECT_EQ(first.items[0].function, "write");  // newest first
  EXPECT_FALSE(first.items[0].ok);
  EXPECT_EQ(first.items[1].log, (std::vector<std::string>{"devices 1"}));
  q.cursor = first.next;
  auto second = must(runtime->runs(q));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_TRUE(second.next.empty());
  std::set<std::string> ids;
  for (const auto& page : {first, second})
    for (const auto& r : page.items) ids.insert(r.id);
  EXPECT_EQ(ids.size(), 6u);  // no run twice, none missed

  RunQuery failed;
  failed.app_id = "hello-energy";
  failed.ok = false;
  auto f = must(runtime->runs(failed));
  ASSERT_EQ(f.items.size(), 1u);
  EXPECT_EQ(f.items[0].function, "write");
  failed.ok = true;
  failed.trigger = "http";
  EXPECT_EQ(must(runtime->runs(failed)).items.size(), 5u);
  failed.trigger = "schedule";
  EXPECT_TRUE(must(runtime->runs(failed)).items.empty());
  RunQuery later;
  later.app_id = "hello-energy";
  later.since_ms = now_ms() + 60'000;
  EXPECT_TRUE(must(runtime->runs(later)).items.empty());
  RunQuery bad;
  bad.app_id = "hello-energy";
  bad.cursor = "x";
  EXPECT_EQ(runtime->runs(bad).error().code, Errc::kInvalidArgument);
}

// Retention: per APP × enterprise the newest kRunsKept runs, none older than kRunsMaxAgeMs;
// another enterprise's runs are untouched.
TEST_P(RuntimeTest, RunLogRetentionIsBoundedPerAppAndEnterprise) {
  const std::int64_t now = now_ms();
  auto run = [&](const std::string& ent, int i, std::int64_t start) {
    RunRecord r;
    r.id = ent + "-" + std::to_string(i);
    r.app_id = "hello-energy";
    r.tenant_id = tenant;
    r.enterprise_id = ent;
    r.function = "summary";
    r.trigger = "http";
    r.start_ms = start;
    r.ok = true;
    return r;
  };
  std::vector<RunRecord> b_runs{run(ent_b, 0, now - kRunsMaxAgeMs - 1000), run(ent_b, 1, now - 1000)};
  ASSERT_TRUE(store->append_runs(b_runs));
  std::vector<RunRecord> batch;
  for (int i = 0; i < static_cast<int>(kRunsKept) + 5; ++i) batch.push_back(run(ent_a, i, now - 100'000 + i));
  for (std::size_t from = 0; from < batch.size(); from += 300) {
    std::vector<RunRecord> part(batch.begin() + static_cast<std::ptrdiff_t>(from),
                                batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), from + 300)));
    ASSERT_TRUE(store->append_runs(part));
  }
  std::set<std::string> kept;
  RunQuery q;
  q.app_id = "hello-energy";
  q.enterprise_id = ent_a;
  q.limit = 100;
  while (true) {
    auto page = must(store->list_runs(q));
    for (const auto& r : page.items) kept.insert(r.id);
    if (page.next.empty()) break;
    q.cursor = page.next;
  }
  EXPECT_EQ(kept.size(), kRunsKept);
  EXPECT_FALSE(kept.contains(ent_a + "-4"));  // the 5 oldest went
  EXPECT_TRUE(kept.contains(ent_a + "-5"));
  EXPECT_TRUE(kept.contains(ent_a + "-" + std::to_string(kRunsKept + 4)));
  q.enterprise_id = ent_b;
  q.cursor.clear();
  auto b = must(store->list_runs(q));
  ASSERT_EQ(b.items.size(), 1u);  // the one older than 30 days went
  EXPECT_EQ(b.items[0].id, ent_b + "-1");
  // A run id written twice refuses the batch.
  EXPECT_EQ(store->append_runs({run(ent_b, 1, now)}).error().code, Errc::kAlreadyExists);
}

INSTANTIATE_TEST_SUITE_P(Backends, RuntimeTest,
                         both_backends(), backend_name);

}  // namespace
}  // namespace kaiwu::apps
