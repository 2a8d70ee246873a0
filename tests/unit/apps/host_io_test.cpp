// kaiwu.http.request's refusals (operator switch, permission) and kaiwu.telemetry.write on the
// bus: other subscribers see an APP's write, the APP's own telemetry trigger does not fire on it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <thread>

#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "apps/sql_app_store.hpp"
#include "bus/in_process.hpp"
#include "core/metrics.hpp"
#include "meta/sqlite_store.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;
namespace json = boost::json;

class NullMeter final : public metering::Meter {
 public:
  void record(metering::Record) override {}
};

constexpr const char* kCode = R"(
function fetch(input, ctx) return kaiwu.http.request{url = input.url} end
function on_power(input, ctx)
  kaiwu.telemetry.write(input.deviceId, {derived = input.values.power * 2, power = input.values.power})
end
)";

class HostIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta = must(meta::SqliteStore::open(":memory:"));
    tenant = must(meta->create_tenant(model::Tenant{"", "t", "", 0})).id;
    const auto ts = meta::Scope::tenant(tenant);
    ent = must(meta->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
    dev = must(meta->create_device(ts, model::Device{.enterprise_id = ent, .name = "meter"})).id;
    store = std::make_unique<SqlAppStore>(*meta);
    key = test::generate_key();
  }
  void TearDown() override {
    if (runtime) runtime->stop();
  }

  void start(bool outbound, const std::string& permissions) {
    RuntimeHooks hooks;
    hooks.http_outbound = outbound;
    runtime = std::make_unique<AppRuntime>(*meta, telemetry, *store, meter, std::move(hooks));
    market = std::make_unique<Marketplace>(*store, runtime.get(), std::vector<std::string>{key.public_pem});
    Package p;
    p.files["manifest.json"] = R"({"id": "io", "version": "1.0.0", "name": {"zh": "io", "en": "io"},
      "domain": "operations", "publisher": "kaiwu-tests", "origin": "self_built", "form": "built_on_platform",
      "permissions": [)" + permissions + R"(], "httpHosts": [)" + (outbound ? std::string("\"127.0.0.1:9\"") : "") + R"(],
      "functions": [{"name": "fetch"}, {"name": "on_power"}],
      "triggers": [{"type": "telemetry", "function": "on_power", "keys": ["power"]}]})";
    p.files["main.lua"] = kCode;
    p.signature = must(sign_digest(key.private_pem, canonical_digest(p)));
    must(market->upload(package_json(p), "dev"));
    must(market->review("io", "1.0.0", true, "", "admin"));
    must(market->subscribe("io", tenant, ent, "", "alice"));
  }

  Result<RunResult> fetch(const std::string& url) {
    return runtime->invoke(Invocation{"io", "fetch", json::serialize(json::object{{"url", url}}), tenant, ent, "http", "t"});
  }

  std::unique_ptr<meta::SqliteStore> meta;
  test::MemoryTelemetry telemetry;
  NullMeter meter;
  std::unique_ptr<SqlAppStore> store;
  std::unique_ptr<AppRuntime> runtime;
  std::unique_ptr<Marketplace> market;
  test::KeyPair key;
  std::string tenant, ent, dev;
};

TEST_F(HostIoTest, OutboundHttpNeedsTheOperatorSwitchThePermissionAndAListedHost) {
  start(false, R"("http:outbound")");
  auto off = fetch("http://127.0.0.1:9/");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->record.ok);
  EXPECT_NE(off->record.error.find("outbound HTTP is off on this platform"), std::string::npos) << off->record.error;
}

TEST_F(HostIoTest, OutboundHttpRefusesUnlistedHosts) {
  start(true, R"("http:outbound", "telemetry:write")");
  auto other = fetch("http://127.0.0.1:10/");
  ASSERT_TRUE(other);
  EXPECT_NE(other->record.error.find("127.0.0.1:10 is not listed in the manifest's httpHosts"), std::string::npos)
      << other->record.error;
  auto named = fetch("http://LOCALHOST:9/");
  EXPECT_NE(named->record.error.find("localhost:9 is not listed"), std::string::npos) << named->record.error;
  auto userinfo = fetch("http://u:p@127.0.0.1:9/");
  EXPECT_NE(userinfo->record.error.find("must not carry user credentials"), std::string::npos) << userinfo->record.error;
}

TEST_F(HostIoTest, TelemetryWritesReachTheBusButNotTheirWriter) {
  start(true, R"("http:outbound", "telemetry:write")");
  MetricsRegistry metrics;
  bus::InProcessBus bus(metrics);
  std::atomic<int> derived{0};
  bus::SubscribeOptions o;
  o.name = "observer";
  auto observer = bus.subscribe(o, [&](const bus::MessagePtr& m) {
    if (const auto* t = std::get_if<bus::Telemetry>(&m->payload))
      for (const auto& s : t->samples)
        if (s.key == "derived") ++derived;
  });
  runtime->attach(bus);
  bus.publish(bus::Payload{bus::Telemetry{tenant, dev, {bus::Sample{"power", 1000, 21.0}}}});
  for (int i = 0; i < 200 && derived.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(derived.load(), 1);  // the observer saw the APP's write
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  runtime->stop();
  RunQuery q;
  q.app_id = "io";
  q.tenant_id = tenant;
  q.enterprise_id = ent;
  q.limit = 100;
  auto page = runtime->runs(q);
  ASSERT_TRUE(page) << page.error().message;
  const auto& runs = page->items;
  ASSERT_EQ(runs.size(), 1u);  // its own write (with power again) did not trigger it
  EXPECT_TRUE(runs[0].ok) << runs[0].error;
  EXPECT_EQ(derived.load(), 1);
}

}  // namespace
}  // namespace kaiwu::apps
