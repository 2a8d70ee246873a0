// The data host functions on real stores (SQLite metadata and APP storage, the tsdb engine, the
// model service): kaiwu.now, telemetry.aggregate, store.*, models.invoke — values, enterprise
// scoping, permission refusals and limits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <mutex>

#include "apps/kv_store.hpp"
#include "apps/marketplace.hpp"
#include "apps/runtime.hpp"
#include "apps/sqlite_app_store.hpp"
#include "core/ids.hpp"
#include "meta/model_store.hpp"
#include "meta/sqlite_db.hpp"
#include "meta/sqlite_store.hpp"
#include "models/runtime.hpp"
#include "test_util.hpp"
#include "tsdb/engine.hpp"

namespace kaiwu::apps {
namespace {

using test::must;
namespace json = boost::json;

class RecordingMeter final : public metering::Meter {
 public:
  void record(metering::Record r) override {
    std::lock_guard lock(mu);
    records.push_back(std::move(r));
  }
  std::mutex mu;
  std::vector<metering::Record> records;
};

// Elements of a JSON array, or 0 for {} (how an empty Lua table comes back).
std::size_t size_of(const json::value& v) { return v.is_array() ? v.get_array().size() : v.as_object().size(); }

std::string manifest(const std::string& id, const std::string& permissions) {
  return R"({"id": ")" + id + R"(", "version": "1.0.0", "name": {"zh": "数据", "en": "Data"},
  "domain": "operations", "publisher": "kaiwu-tests", "origin": "self_built", "form": "built_on_platform",
  "permissions": [)" + permissions + R"(],
  "functions": [{"name": "now"}, {"name": "agg"}, {"name": "put"}, {"name": "get"}, {"name": "del"},
                {"name": "list"}, {"name": "model"}]})";
}

constexpr const char* kCode = R"(
function now(input, ctx) return {now = kaiwu.now()} end
function agg(input, ctx)
  return kaiwu.telemetry.aggregate(input.deviceId, {"power"}, input.from, input.to, input.interval, input.agg)
end
function put(input, ctx) return kaiwu.store.put(input.key, input.value) end
function get(input, ctx)
  local v = kaiwu.store.get(input.key)
  if v == nil then return {missing = true} end
  return {value = v}
end
function del(input, ctx) return {removed = kaiwu.store.delete(input.key)} end
function list(input, ctx) return {items = kaiwu.store.list(input.prefix, input.limit)} end
function model(input, ctx) return kaiwu.models.invoke("kaiwu.stats.descriptive", {x = input.x}) end
)";

constexpr std::int64_t kBase = 1'700'000'001'000;  // a multiple of 3000

class HostDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("kaiwu-apphost-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto path = (dir / "meta.db").string();
    meta = must(meta::SqliteStore::open(path));
    tenant = must(meta->create_tenant(model::Tenant{"", "t", "", 0})).id;
    const auto ts = meta::Scope::tenant(tenant);
    ent_a = must(meta->create_enterprise(ts, model::Enterprise{.name = "a"})).id;
    ent_b = must(meta->create_enterprise(ts, model::Enterprise{.name = "b"})).id;
    dev_a = must(meta->create_device(ts, model::Device{.enterprise_id = ent_a, .name = "meter-a"})).id;
    dev_b = must(meta->create_device(ts, model::Device{.enterprise_id = ent_b, .name = "meter-b"})).id;
    telemetry = must(tsdb::open_engine((dir / "tsdb").string(), "none"));
    std::vector<tsdb::Point> points;
    for (int i = 0; i < 6; ++i) {
      points.push_back({tenant, dev_a, "power", kBase + 1000 * i, static_cast<double>(i + 1)});
      points.push_back({tenant, dev_b, "power", kBase + 1000 * i, 100.0});
    }
    ASSERT_TRUE(telemetry->write(points));
    model_store = must(meta::open_sqlite_model_store(path));
    models = std::make_unique<models::ModelService>(*model_store, meter);
    ASSERT_TRUE(models->seed_builtins());
    kv = make_sqlite_kv_store(*meta);
    store = std::make_unique<SqliteAppStore>(*meta);
    RuntimeHooks hooks;
    hooks.kv = kv.get();
    hooks.models = models.get();
    runtime = std::make_unique<AppRuntime>(*meta, *telemetry, *store, meter, std::move(hooks));
    key = test::generate_key();
    market = std::make_unique<Marketplace>(*store, runtime.get(), std::vector<std::string>{key.public_pem});
    install("data-app", R"("telemetry:read", "storage", "models:invoke")");
    install("other-app", R"("storage")");
    install("bare-app", "");
    must(market->subscribe("data-app", tenant, ent_a, "", "alice"));
    must(market->subscribe("data-app", tenant, ent_b, "", "bob"));
    must(market->subscribe("other-app", tenant, ent_a, "", "alice"));
    must(market->subscribe("bare-app", tenant, ent_a, "", "alice"));
  }
  void TearDown() override {
    runtime.reset();
    telemetry.reset();
    std::filesystem::remove_all(dir);
  }

  void install(const std::string& id, const std::string& permissions) {
    Package p;
    p.files["manifest.json"] = manifest(id, permissions);
    p.files["main.lua"] = kCode;
    p.signature = must(sign_digest(key.private_pem, canonical_digest(p)));
    must(market->upload(package_json(p), "dev"));
    must(market->review(id, "1.0.0", true, "", "admin"));
  }

  // The function's result (a failed run fails the test with its error).
  json::value run(const std::string& app, const std::string& fn, const json::object& input,
                  const std::string& ent = "") {
    auto r = call(app, fn, input, ent);
    if (!r) throw std::runtime_error(r.error().message);
    if (!r->record.ok) throw std::runtime_error(r->record.error);
    return json::parse(r->result_json);
  }
  Result<RunResult> call(const std::string& app, const std::string& fn, const json::object& input,
                         const std::string& ent = "") {
    return runtime->invoke(Invocation{app, fn, json::serialize(input), tenant, ent.empty() ? ent_a : ent, "http", "t"});
  }
  // The error of a run that must fail (a refused permission or a failed script).
  std::string error_of(const std::string& app, const std::string& fn, const json::object& input) {
    auto r = call(app, fn, input);
    if (!r) return r.error().message;
    EXPECT_FALSE(r->record.ok) << r->result_json;
    return r->record.error;
  }

  std::filesystem::path dir;
  std::unique_ptr<meta::SqliteStore> meta;
  std::unique_ptr<tsdb::TelemetryStore> telemetry;
  std::unique_ptr<meta::ModelStore> model_store;
  RecordingMeter meter;
  std::unique_ptr<models::ModelService> models;
  std::unique_ptr<KvStore> kv;
  std::unique_ptr<SqliteAppStore> store;
  std::unique_ptr<AppRuntime> runtime;
  std::unique_ptr<Marketplace> market;
  test::KeyPair key;
  std::string tenant, ent_a, ent_b, dev_a, dev_b;
};

TEST_F(HostDataTest, NowIsTheWallClockInMilliseconds) {
  const auto before = now_ms();
  const auto v = run("bare-app", "now", {}).at("now").as_int64();
  EXPECT_GE(v, before);
  EXPECT_LE(v, now_ms());
}

TEST_F(HostDataTest, AggregateBucketsTheEnterprisesOwnSeries) {
  json::object in{{"deviceId", dev_a}, {"from", kBase}, {"to", kBase + 9000}, {"interval", 3000}, {"agg", "avg"}};
  auto out = run("data-app", "agg", in).as_object();
  const auto& power = out.at("power").as_array();
  ASSERT_EQ(power.size(), 2u);  // the empty third bucket is omitted
  EXPECT_EQ(power[0].at("ts").as_int64(), kBase);
  EXPECT_DOUBLE_EQ(power[0].at("value").to_number<double>(), 2.0);  // (1+2+3)/3
  EXPECT_EQ(power[1].at("ts").as_int64(), kBase + 3000);
  EXPECT_DOUBLE_EQ(power[1].at("value").to_number<double>(), 5.0);  // (4+5+6)/3
  in["agg"] = "sum";
  EXPECT_DOUBLE_EQ(run("data-app", "agg", in).at("power").at(1).at("value").to_number<double>(), 15.0);
  in["agg"] = "max";
  EXPECT_DOUBLE_EQ(run("data-app", "agg", in).at("power").at(0).at("value").to_number<double>(), 3.0);
  in["agg"] = "median";
  EXPECT_NE(error_of("data-app", "agg", in).find("must be one of min max avg sum count first last"), std::string::npos);
  in["agg"] = "avg";
  in["interval"] = 0;
  EXPECT_NE(error_of("data-app", "agg", in).find("interval ms) must be positive"), std::string::npos);
  in["interval"] = 1;
  in["to"] = kBase + 1'000'000;
  EXPECT_NE(error_of("data-app", "agg", in).find("at most 10000 buckets"), std::string::npos);
  // Another enterprise's device does not exist for this run.
  json::object other{{"deviceId", dev_b}, {"from", kBase}, {"to", kBase + 9000}, {"interval", 3000}, {"agg", "avg"}};
  EXPECT_NE(error_of("data-app", "agg", other).find("not found"), std::string::npos);
  // Without telemetry:read: refused with the permission named.
  auto denied = call("other-app", "agg", in);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("does not declare 'telemetry:read'"), std::string::npos);
}

TEST_F(HostDataTest, StoreKeepsJsonValuesPerAppAndEnterprise) {
  const json::value tariff = json::parse(R"({"peak": 1.2, "valley": 0.35, "hours": [8, 9, 10], "name": "峰谷"})");
  EXPECT_TRUE(run("data-app", "put", {{"key", "tariff"}, {"value", tariff}}).as_bool());
  run("data-app", "put", {{"key", "wo/0002"}, {"value", "open"}});
  run("data-app", "put", {{"key", "wo/0001"}, {"value", 42}});
  run("data-app", "put", {{"key", "wp"}, {"value", true}});
  EXPECT_EQ(run("data-app", "get", {{"key", "tariff"}}).at("value"), tariff);
  EXPECT_EQ(run("data-app", "get", {{"key", "wo/0001"}}).at("value").as_int64(), 42);
  // Listed by key, with the prefix, limited.
  auto items = run("data-app", "list", {{"prefix", "wo/"}}).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("key").as_string(), "wo/0001");
  EXPECT_EQ(items[1].at("key").as_string(), "wo/0002");
  EXPECT_EQ(items[1].at("value").as_string(), "open");
  EXPECT_EQ(run("data-app", "list", {{"prefix", "w"}, {"limit", 1}}).at("items").as_array().size(), 1u);
  EXPECT_EQ(run("data-app", "list", {}).at("items").as_array().size(), 4u);
  // Overwrite, delete.
  run("data-app", "put", {{"key", "wo/0001"}, {"value", 43}});
  EXPECT_EQ(run("data-app", "get", {{"key", "wo/0001"}}).at("value").as_int64(), 43);
  EXPECT_TRUE(run("data-app", "del", {{"key", "wo/0001"}}).at("removed").as_bool());
  EXPECT_FALSE(run("data-app", "del", {{"key", "wo/0001"}}).at("removed").as_bool());
  EXPECT_TRUE(run("data-app", "get", {{"key", "wo/0001"}}).at("missing").as_bool());
  // Enterprise b (same APP) and another APP (same enterprise) see nothing of it.
  EXPECT_TRUE(run("data-app", "get", {{"key", "tariff"}}, ent_b).at("missing").as_bool());
  EXPECT_EQ(size_of(run("data-app", "list", {}, ent_b).at("items")), 0u);  // {}: an empty Lua table
  EXPECT_TRUE(run("other-app", "get", {{"key", "tariff"}}).at("missing").as_bool());
  run("other-app", "put", {{"key", "tariff"}, {"value", 1}});
  EXPECT_EQ(run("data-app", "get", {{"key", "tariff"}}).at("value"), tariff);
  // Without the storage permission: refused, naming it.
  auto denied = call("bare-app", "put", {{"key", "x"}, {"value", 1}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("does not declare 'storage'"), std::string::npos);
}

TEST_F(HostDataTest, StoreLimitsAreClearErrors) {
  EXPECT_NE(error_of("data-app", "put", {{"key", std::string(201, 'k')}, {"value", 1}}).find("1..200 bytes"),
            std::string::npos);
  EXPECT_NE(error_of("data-app", "put", {{"key", "big"}, {"value", std::string(70'000, 'x')}}).find("at most 65536"),
            std::string::npos);
  EXPECT_NE(error_of("data-app", "put", {{"key", "nil"}}).find("use kaiwu.store.delete"), std::string::npos);
  EXPECT_NE(error_of("data-app", "list", {{"limit", 0}}).find("limit) must be 1..10000"), std::string::npos);
  // 10,000 keys per APP and enterprise; replacing a key is still allowed when full.
  const KvNamespace ns{tenant, ent_a, "data-app"};
  ASSERT_TRUE(meta->with_connection([&](meta::sqlite::Db& db) -> Status {  // one transaction, not 10,000
    for (int i = 1; i < 10'000; ++i) {
      KAIWU_TRY(db.run(meta::sql::Query("INSERT INTO app_kv VALUES (?, ?, ?, ?, '1', 0)",
                                        {tenant, ent_a, std::string("data-app"), fmt::format("k{:05}", i)})));
    }
    return ok();
  }));
  ASSERT_TRUE(kv->put(ns, "k00000", "1"));  // the 10,000th
  auto full = kv->put(ns, "one-more", "1");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::kResourceExhausted);
  EXPECT_NE(full.error().message.find("at most 10000"), std::string::npos) << full.error().message;
  EXPECT_TRUE(kv->put(ns, "k00000", "2"));
  EXPECT_TRUE(kv->put(KvNamespace{tenant, ent_b, "data-app"}, "one-more", "1"));  // b has its own quota
  EXPECT_EQ(must(kv->list(ns, "k0999", 100)).size(), 10u);
}

TEST_F(HostDataTest, ModelsInvokeReturnsOutputsAndIsMetered) {
  auto out = run("data-app", "model", {{"x", json::array{1, 2, 3, 4}}}).as_object();
  EXPECT_DOUBLE_EQ(out.at("mean").to_number<double>(), 2.5);
  EXPECT_DOUBLE_EQ(out.at("count").to_number<double>(), 4);
  EXPECT_DOUBLE_EQ(out.at("median").to_number<double>(), 2.5);
  {
    std::lock_guard lock(meter.mu);
    auto it = std::find_if(meter.records.begin(), meter.records.end(),
                           [](const metering::Record& r) { return r.kind == metering::Kind::kModelCall; });
    ASSERT_NE(it, meter.records.end());
    EXPECT_EQ(it->subject_id, "kaiwu.stats.descriptive");
    EXPECT_EQ(it->tenant_id, tenant);
    EXPECT_EQ(it->enterprise_id, ent_a);
    EXPECT_EQ(it->actor_id, "app:data-app");
  }
  EXPECT_NE(error_of("data-app", "model", {{"x", "not numbers"}}).find("model kaiwu.stats.descriptive"), std::string::npos);
  auto denied = call("other-app", "model", {{"x", json::array{1, 2}}});
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("does not declare 'models:invoke'"), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::apps
