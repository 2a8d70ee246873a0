// The runtime on the real SQLite stores: marketplace lifecycle, enterprise scoping of the host
// API, permission refusals, metering and per-call counting.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>

#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "apps/sqlite_app_store.hpp"
#include "meta/sqlite_store.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;
namespace json = boost::json;

using test::RecordingMeter;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta = must(meta::SqliteStore::open(":memory:"));
    tenant = must(meta->create_tenant(model::Tenant{"", "t", "", 0})).id;
    other_tenant = must(meta->create_tenant(model::Tenant{"", "u", "", 0})).id;
    const auto ts = meta::Scope::tenant(tenant);
    ent_a = must(meta->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
    ent_b = must(meta->create_enterprise(ts, model::Enterprise{.name = "b"})).id;
    dev_a = must(meta->create_device(ts, model::Device{.enterprise_id = ent_a, .name = "meter-a"})).id;
    dev_b = must(meta->create_device(ts, model::Device{.enterprise_id = ent_b, .name = "meter-b"})).id;
    tsdb::Point points[] = {{tenant, dev_a, "power", 1000, 12.5}, {tenant, dev_b, "power", 1000, 99.0}};
    ASSERT_TRUE(telemetry.write(points));
    store = std::make_unique<SqliteAppStore>(*meta);
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

  std::unique_ptr<meta::SqliteStore> meta;
  test::MemoryTelemetry telemetry;
  RecordingMeter meter;
  std::unique_ptr<SqliteAppStore> store;
  std::unique_ptr<AppRuntime> runtime;
  std::unique_ptr<Marketplace> market;
  test::KeyPair key;
  std::string tenant, other_tenant, ent_a, ent_b, dev_a, dev_b;
};

TEST_F(RuntimeTest, LifecycleListsOnlyApprovedVersions) {
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

TEST_F(RuntimeTest, UnknownPublisherKeyIsRefused) {
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

TEST_F(RuntimeTest, HostApiSeesOnlyTheSubscribingEnterprise) {
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

TEST_F(RuntimeTest, UndeclaredPermissionIsRefusedClearly) {
  publish_and_subscribe();
  auto w = runtime->invoke(call("write", R"({"deviceId":")" + dev_a + "\"}"));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kPermissionDenied);
  EXPECT_NE(w.error().message.find("does not declare 'telemetry:write'"), std::string::npos) << w.error().message;
  auto latest = must(telemetry.latest(tenant, dev_a, std::vector<std::string>{"x"}));
  EXPECT_TRUE(latest.empty());  // nothing was written
  auto runs = runtime->runs("hello-energy", tenant, ent_a, 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].ok);
}

TEST_F(RuntimeTest, EveryRunIsMeteredAndPerCallPlansCount) {
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

TEST_F(RuntimeTest, ScheduleTriggersFireWhenDue) {
  publish_and_subscribe();
  runtime->tick(10'000);  // first sight: schedules the first run at +1 s
  runtime->tick(10'500);
  EXPECT_TRUE(runtime->runs("hello-energy", "", "", 10).empty());
  runtime->tick(11'000);
  runtime->stop();  // drains the queue
  auto runs = runtime->runs("hello-energy", "", "", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].trigger, "schedule");
  EXPECT_EQ(runs[0].function, "tick");
  EXPECT_TRUE(runs[0].ok) << runs[0].error;
}

TEST_F(RuntimeTest, RatingsAreOnePerUser) {
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

}  // namespace
}  // namespace kaiwu::apps
