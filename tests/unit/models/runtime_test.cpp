// Manifests, expressions, workflows, the catalogue and invocation through ModelService (built-ins,
// Lua in the sandbox, Lua ODEs, workflows), with metering. The ServiceTest suite runs on both
// catalogue backends: SQLite, and PostgreSQL in a fresh schema of a throwaway server (skipped
// when not installed).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "meta/model_store.hpp"
#include "meta/pg_store.hpp"
#include "meta/sqlite_store.hpp"
#include "models/builtins.hpp"
#include "models/runtime.hpp"
#include "pg_shared.hpp"

namespace kaiwu::models {
namespace {

namespace json = boost::json;

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r) << r.error().message;
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

json::value lua_manifest(const std::string& id, const std::string& version, const std::string& script) {
  return json::object{
      {"id", id},
      {"version", version},
      {"name", {{"zh", "效率"}, {"en", "Efficiency"}}},
      {"type", "mechanism"},
      {"inputs", json::array{json::object{{"name", "heat"}, {"type", "series"}, {"unit", "kW"}},
                             json::object{{"name", "fuel"}, {"type", "number"}, {"unit", "kW"}}}},
      {"outputs", json::array{json::object{{"name", "efficiency"}, {"type", "number"}, {"unit", "%"}}}},
      {"parameters", json::array{json::object{{"name", "scale"}, {"type", "number"}, {"default", 100}, {"min", 0}}}},
      {"author", "acme"},
      {"implementation", {{"kind", "lua"}, {"script", script}}}};
}

const std::string kEfficiency =
    "local s = 0\nfor _, v in ipairs(inputs.heat) do s = s + v end\n"
    "return {efficiency = params.scale * (s / #inputs.heat) / inputs.fuel}";

TEST(Manifest, EveryBuiltinParses) {
  const auto all = builtin_manifests();
  EXPECT_EQ(all.size(), kernel_names().size() + 1);  // + the workflow example
  std::set<std::string> types;
  for (const auto& m : all) {
    auto parsed = parse_manifest(m);
    ASSERT_TRUE(parsed) << json::serialize(m) << "\n" << parsed.error().message;
    types.insert(std::string(model_type_name(parsed->type)));
  }
  EXPECT_EQ(types.size(), 4u);  // every MIIT type is represented
}

TEST(Manifest, ProblemsNameTheField) {
  auto m = lua_manifest("acme.eff", "1.0", "return {");
  m.as_object()["type"] = "magic";
  m.as_object()["inputs"].as_array()[1].as_object()["type"] = "matrix";
  m.as_object()["inputs"].as_array()[1].as_object()["name"] = "heat";
  m.as_object()["bogus"] = 1;
  std::vector<std::string> problems;
  auto r = parse_manifest(m, &problems);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  const std::string all = r.error().message;
  EXPECT_NE(all.find("/version: must be a semantic version"), std::string::npos) << all;
  EXPECT_NE(all.find("/type: must be one of research_simulation"), std::string::npos) << all;
  EXPECT_NE(all.find("/inputs/1/name: duplicate input heat"), std::string::npos) << all;
  EXPECT_NE(all.find("/inputs/1/type: must be one of number, series"), std::string::npos) << all;
  EXPECT_NE(all.find("/implementation/script: line 1:"), std::string::npos) << all;
  EXPECT_NE(all.find("/bogus: unknown field"), std::string::npos) << all;
  EXPECT_EQ(problems.size(), 6u) << all;
}

TEST(Manifest, Semver) {
  EXPECT_TRUE(parse_semver("1.2.3"));
  EXPECT_TRUE(parse_semver("1.2.3-rc.1"));
  EXPECT_FALSE(parse_semver("1.2"));
  EXPECT_FALSE(parse_semver("01.2.3"));
  EXPECT_FALSE(parse_semver("1.2.x"));
  EXPECT_LT(compare_semver(*parse_semver("1.2.3-rc.1"), *parse_semver("1.2.3")), 0);
  EXPECT_LT(compare_semver(*parse_semver("1.9.0"), *parse_semver("1.10.0")), 0);
  EXPECT_EQ(compare_semver(*parse_semver("2.0.0"), *parse_semver("2.0.0")), 0);
}

TEST(Manifest, BindsInputsAndParameters) {
  auto m = must(parse_manifest(lua_manifest("acme.eff", "1.0.0", kEfficiency)));
  auto e = bind_inputs(m, Values{{"heat", Value{1.0}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "inputs.heat: must be an array of numbers");
  e = bind_inputs(m, Values{{"heat", Value{std::vector<double>{1}}}});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "inputs.fuel: is required");
  e = bind_inputs(m, Values{{"nope", Value{1.0}}});
  EXPECT_EQ(e.error().message, "inputs.nope: not an input of this model");
  auto p = must(bind_parameters(m, {}));
  EXPECT_EQ(std::get<double>(p.at("scale")), 100);
  auto bad = bind_parameters(m, Values{{"scale", Value{-1.0}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "parameters.scale: must be ≥ 0");
}

TEST(Expr, EvaluatesDeterministically) {
  Variables v{{"a", ExprValue{3.0}}, {"b", ExprValue{true}}, {"s", ExprValue{std::string("x")}}};
  auto eval = [&](std::string_view text) { return must(must(Expr::parse(text)).eval(v)); };
  EXPECT_EQ(std::get<double>(eval("1 + 2 * a - 4 / 2")), 5);
  EXPECT_EQ(std::get<bool>(eval("a >= 3 && b")), true);
  EXPECT_EQ(std::get<bool>(eval("not (a < 2) and s == 'x'")), true);
  EXPECT_EQ(std::get<double>(eval("max(a, 7, -1) + abs(-2)")), 9);
  EXPECT_EQ(std::get<std::string>(eval("s + \"y\"")), "xy");
  EXPECT_EQ(std::get<bool>(eval("!b || a != 3")), false);
  EXPECT_FALSE(Expr::parse("a +"));
  EXPECT_FALSE(Expr::parse("foo(1)"));
  EXPECT_FALSE(must(Expr::parse("missing > 1")).eval(v));
  EXPECT_FALSE(must(Expr::parse("s * 2")).eval(v));
}

TEST(Workflow, WorkOrderRoutes) {
  const auto all = builtin_manifests();
  const auto& wm = all.back();
  auto m = must(parse_manifest(wm));
  ASSERT_EQ(m.kind, ImplKind::kWorkflow);
  auto run = [&](double severity, double cost, bool stock) {
    Variables v{{"severity", ExprValue{severity}}, {"cost", ExprValue{cost}}, {"spareInStock", ExprValue{stock}},
                {"autoApproveLimit", ExprValue{5000.0}}};
    return must(run_workflow(*m.workflow, v));
  };
  auto a = run(5, 1000, true);
  EXPECT_EQ(a.state, "closed");
  EXPECT_EQ(a.stopped, "final");
  EXPECT_EQ(a.path, (std::vector<std::string>{"created", "triaged", "approved", "closed"}));
  EXPECT_EQ(std::get<double>(a.vars.at("priority")), 1);
  EXPECT_EQ(std::get<std::string>(a.vars.at("approver")), "shift_lead");
  auto b = run(1, 9000, false);
  EXPECT_EQ(b.path, (std::vector<std::string>{"created", "triaged", "escalated", "approved", "waiting_parts", "closed"}));
  EXPECT_EQ(std::get<double>(b.vars.at("priority")), 3);
  EXPECT_EQ(std::get<std::string>(b.vars.at("approver")), "plant_manager");
}

TEST(Workflow, LoopsStopAtMaxStepsAndErrorsNamePointer) {
  auto w = must(parse_workflow(json::parse(R"({"initial":"a","maxSteps":5,"states":[{"name":"a"},{"name":"b"}],
      "transitions":[{"from":"a","to":"b"},{"from":"b","to":"a","actions":[{"set":"n","value":"n + 1"}]}]})"),
                               "/w"));
  auto r = must(run_workflow(w, Variables{{"n", ExprValue{0.0}}}));
  EXPECT_EQ(r.stopped, "max_steps");
  EXPECT_EQ(r.steps, 5u);
  EXPECT_EQ(std::get<double>(r.vars.at("n")), 2);
  auto bad = parse_workflow(json::parse(R"({"initial":"a","states":[{"name":"a"}],
      "transitions":[{"from":"a","to":"zz"}]})"), "/w");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "/w/transitions/0/to: unknown state zz");
}

class CountingMeter final : public metering::Meter {
 public:
  void record(metering::Record r) override { records.push_back(std::move(r)); }
  std::vector<metering::Record> records;
};

using meta::testing::backend_name;
using meta::testing::both_backends;
using meta::testing::SqlBackend;

class ServiceTest : public ::testing::TestWithParam<SqlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      std::string why;
      const auto conninfo = meta::testing::pg_fresh_schema(&why);
      if (conninfo.empty()) GTEST_SKIP() << why;
      meta_store = must(meta::PgStore::open(conninfo, 2));
      store = must(meta::open_pg_model_store(conninfo, 2));
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      dir = std::filesystem::temp_directory_path() / ("kaiwu-models-" + std::to_string(::getpid()) + "-" + name);
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      const auto path = (dir / "meta.db").string();
      meta_store = must(meta::SqliteStore::open(path));
      store = must(meta::open_sqlite_model_store(path));
    }
    t1 = must(meta_store->create_tenant(model::Tenant{"", "one", "", 0})).id;
    t2 = must(meta_store->create_tenant(model::Tenant{"", "two", "", 0})).id;
    service = std::make_unique<ModelService>(*store, meter);
    ASSERT_TRUE(service->seed_builtins());
  }
  void TearDown() override {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }

  InvokeResult<Invocation> invoke(const std::string& tenant, const std::string& id, const Values& in,
                                  const Values& params = {}) {
    auto rec = must(store->get_model(tenant, id, ""));
    return service->invoke(Caller{tenant, "", "alice"}, rec, in, params);
  }

  std::filesystem::path dir;
  std::unique_ptr<meta::SqlStore> meta_store;
  std::unique_ptr<meta::ModelStore> store;
  CountingMeter meter;
  std::unique_ptr<ModelService> service;
  std::string t1, t2;
};

TEST_P(ServiceTest, SeedsPublicBuiltinsOnce) {
  ASSERT_TRUE(service->seed_builtins());
  auto page = must(store->list_models(meta::ModelQuery{.tenant_id = t1}, meta::Page{}));
  EXPECT_EQ(page.items.size(), builtin_manifests().size());
  auto counts = must(store->count_models_by_type(meta::ModelQuery{.tenant_id = t2}));
  std::int64_t total = 0;
  for (const auto& [type, n] : counts) {
    EXPECT_GT(n, 0) << type;
    total += n;
  }
  EXPECT_EQ(total, static_cast<std::int64_t>(builtin_manifests().size()));
}

// Cluster nodes start together on one catalogue: both seed the built-ins, both succeed, and
// each built-in is stored once.
TEST_P(ServiceTest, NodesSeedingTogetherBothSucceed) {
  std::string target;
  if (GetParam().postgres) {
    std::string why;
    target = meta::testing::pg_fresh_schema(&why);
    ASSERT_FALSE(target.empty()) << why;
  } else {
    target = (dir / "shared.db").string();
  }
  auto open = [&] { return GetParam().postgres ? meta::open_pg_model_store(target, 2) : meta::open_sqlite_model_store(target); };
  auto a = must(open());
  auto b = must(open());
  ModelService node_a(*a, meter), node_b(*b, meter);
  Status seeded_a, seeded_b;
  std::thread ta([&] { seeded_a = node_a.seed_builtins(); });
  std::thread tb([&] { seeded_b = node_b.seed_builtins(); });
  ta.join();
  tb.join();
  ASSERT_TRUE(seeded_a) << seeded_a.error().message;
  ASSERT_TRUE(seeded_b) << seeded_b.error().message;
  auto listed = must(a->list_models(meta::ModelQuery{.public_only = true}, meta::Page{.limit = 1000}));
  EXPECT_EQ(listed.items.size(), builtin_manifests().size());
  for (const auto& m : listed.items) EXPECT_EQ(must(b->list_model_versions("", m.id)).size(), 1u) << m.id;
}

TEST_P(ServiceTest, PublishVersionsAndIsolation) {
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.eff", "1.0.0", kEfficiency)));
  auto again = service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.eff", "1.0.0", kEfficiency));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kFailedPrecondition);
  auto v2 = must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.eff", "1.1.0", kEfficiency)));
  EXPECT_EQ(v2.seq, 2);
  EXPECT_EQ(must(store->get_model(t1, "acme.eff", "")).version, "1.1.0");
  EXPECT_EQ(must(store->get_model(t1, "acme.eff", "1.0.0")).seq, 1);
  EXPECT_EQ(must(store->list_model_versions(t1, "acme.eff")).size(), 2u);
  auto other = store->get_model(t2, "acme.eff", "");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kNotFound);
  auto reserved = service->publish(Caller{t1, "", "alice"}, lua_manifest("kaiwu.mine", "1.0.0", kEfficiency));
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("reserved"), std::string::npos);
  ASSERT_TRUE(store->set_model_deprecated(t1, "acme.eff", "", true));
  auto listed = must(store->list_models(meta::ModelQuery{.tenant_id = t1, .include_public = false}, meta::Page{}));
  EXPECT_TRUE(listed.items.empty());
  EXPECT_TRUE(must(store->get_model(t1, "acme.eff", "")).deprecated);
}

TEST_P(ServiceTest, StoreListsPagesCountsAndFollowsTenantDeletion) {
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.a", "1.0.0", kEfficiency)));
  must(service->publish(Caller{t2, "", "bob"}, lua_manifest("acme.a", "2.0.0", kEfficiency)));  // same id, own copy
  must(service->publish(Caller{"", "", "admin"}, lua_manifest("pub.model", "1.0.0", kEfficiency)));
  EXPECT_EQ(must(store->get_model(t1, "acme.a", "")).version, "1.0.0");
  EXPECT_EQ(must(store->get_model(t2, "acme.a", "")).version, "2.0.0");
  EXPECT_TRUE(must(store->get_model(t2, "pub.model", "")).tenant_id.empty());
  const std::size_t visible = builtin_manifests().size() + 2;  // built-ins, pub.model, own acme.a
  std::set<std::string> seen;
  meta::Page page{.limit = 4};
  for (int guard = 0; guard < 10; ++guard) {
    auto p = must(store->list_models(meta::ModelQuery{.tenant_id = t1}, page));
    for (const auto& m : p.items) EXPECT_TRUE(seen.insert(m.id).second) << m.id;
    if (p.next.empty()) break;
    page.cursor = p.next;
  }
  EXPECT_EQ(seen.size(), visible);
  EXPECT_FALSE(store->list_models(meta::ModelQuery{.tenant_id = t1}, meta::Page{.cursor = "x"}));
  // The search is ASCII case-insensitive on both backends.
  auto found = must(store->list_models(meta::ModelQuery{.tenant_id = t1, .q = "ACME.A"}, meta::Page{}));
  ASSERT_EQ(found.items.size(), 1u);
  EXPECT_EQ(found.items[0].id, "acme.a");
  auto mech = [&](const meta::ModelQuery& q) {
    for (const auto& [type, n] : must(store->count_models_by_type(q)))
      if (type == "mechanism") return n;
    return std::int64_t{-1};
  };
  const std::int64_t builtin_mech = mech(meta::ModelQuery{.public_only = true}) - 1;  // minus pub.model
  EXPECT_EQ(mech(meta::ModelQuery{.tenant_id = t1}), builtin_mech + 2);
  EXPECT_EQ(mech(meta::ModelQuery{.all_tenants = true}), builtin_mech + 3);
  ASSERT_TRUE(meta_store->delete_tenant(t2));
  EXPECT_EQ(mech(meta::ModelQuery{.all_tenants = true}), builtin_mech + 2);
}

TEST_P(ServiceTest, InvokesBuiltinAndMeters) {
  auto r = invoke(t1, "kaiwu.stats.descriptive",
                  Values{{"x", Value{std::vector<double>{2.5, 3.1, 4.7, 1.2, 5.5, 3.3, 2.8, 4.1, 3.9, 2.2}}}});
  ASSERT_TRUE(r) << r.error().error.message;
  EXPECT_NEAR(std::get<double>(r->outputs.at("stdevSample")), 1.2623170934612447, 1e-12);
  ASSERT_EQ(meter.records.size(), 1u);
  EXPECT_EQ(meter.records[0].kind, metering::Kind::kModelCall);
  EXPECT_EQ(meter.records[0].subject_id, "kaiwu.stats.descriptive");
  EXPECT_EQ(meter.records[0].function, "1.0.0");
  EXPECT_EQ(meter.records[0].tenant_id, t1);
  EXPECT_TRUE(meter.records[0].ok);
  auto bad = invoke(t1, "kaiwu.stats.descriptive", Values{{"x", Value{std::string("no")}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, InvokeError::Kind::kInput);
  EXPECT_EQ(bad.error().error.message, "inputs.x: must be an array of numbers");
  auto empty = invoke(t1, "kaiwu.stats.descriptive", Values{{"x", Value{std::vector<double>{}}}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().error.message, "inputs.x: needs at least 1 values");
  EXPECT_EQ(meter.records.size(), 3u);
  EXPECT_FALSE(meter.records[2].ok);
}

TEST_P(ServiceTest, InvokesLuaModel) {
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.eff", "1.0.0", kEfficiency)));
  auto r = invoke(t1, "acme.eff", Values{{"heat", Value{std::vector<double>{80, 90, 100}}}, {"fuel", Value{100.0}}});
  ASSERT_TRUE(r) << r.error().error.message;
  EXPECT_DOUBLE_EQ(std::get<double>(r->outputs.at("efficiency")), 90);
}

TEST_P(ServiceTest, LuaErrorsAndLimitsAreModelErrors) {
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.err", "1.0.0", "local x = nil\nreturn x.y")));
  auto r = invoke(t1, "acme.err", Values{{"heat", Value{std::vector<double>{1}}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, InvokeError::Kind::kModel);
  EXPECT_NE(r.error().error.message.find("line 2:"), std::string::npos) << r.error().error.message;
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.loop", "1.0.0", "while true do end")));
  r = invoke(t1, "acme.loop", Values{{"heat", Value{std::vector<double>{1}}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, InvokeError::Kind::kModel);
  EXPECT_NE(r.error().error.message.find("limit exceeded"), std::string::npos) << r.error().error.message;
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.shape", "1.0.0", "return {efficiency = 'high'}")));
  r = invoke(t1, "acme.shape", Values{{"heat", Value{std::vector<double>{1}}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error.message, "output efficiency: must be a number");
  must(service->publish(Caller{t1, "", "alice"}, lua_manifest("acme.io", "1.0.0", "return {efficiency = io.open('/etc/passwd')}")));
  r = invoke(t1, "acme.io", Values{{"heat", Value{std::vector<double>{1}}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, InvokeError::Kind::kModel);
}

TEST_P(ServiceTest, LuaOdeIntegratesWithRk4) {
  json::value m = json::object{
      {"id", "acme.decay"},
      {"version", "1.0.0"},
      {"name", {{"zh", "衰减"}, {"en", "Decay"}}},
      {"type", "research_simulation"},
      {"inputs", json::array{json::object{{"name", "y"}, {"type", "number"}, {"unit", ""}}}},
      {"outputs", json::array{json::object{{"name", "yFinal"}, {"type", "number"}},
                              json::object{{"name", "t"}, {"type", "series"}}}},
      {"parameters", json::array{json::object{{"name", "k"}, {"type", "number"}, {"default", 1}},
                                 json::object{{"name", "h"}, {"type", "number"}, {"default", 0.01}},
                                 json::object{{"name", "duration"}, {"type", "number"}, {"default", 1}}}},
      {"author", "acme"},
      {"implementation",
       {{"kind", "lua"}, {"script", "function rhs(t, y, p) return { -p.k * y[1] } end"}, {"ode", {{"state", {"y"}}}}}}};
  must(service->publish(Caller{t1, "", "alice"}, m));
  auto r = invoke(t1, "acme.decay", Values{{"y", Value{1.0}}});
  ASSERT_TRUE(r) << r.error().error.message;
  EXPECT_NEAR(std::get<double>(r->outputs.at("yFinal")), std::exp(-1.0), 1e-6);
  EXPECT_EQ(std::get<std::vector<double>>(r->outputs.at("t")).size(), 101u);
}

json::value ode_manifest(const std::string& id, const std::string& script) {
  return json::object{
      {"id", id},
      {"version", "1.0.0"},
      {"name", {{"zh", "仿真"}, {"en", "Sim"}}},
      {"type", "research_simulation"},
      {"inputs", json::array{json::object{{"name", "y"}, {"type", "number"}}}},
      {"outputs", json::array{json::object{{"name", "yFinal"}, {"type", "number"}}}},
      {"parameters", json::array{json::object{{"name", "h"}, {"type", "number"}, {"default", 0.1}},
                                 json::object{{"name", "duration"}, {"type", "number"}, {"default", 1}}}},
      {"author", "acme"},
      {"implementation", {{"kind", "lua"}, {"script", script}, {"ode", {{"state", {"y"}}}}}}};
}

TEST_P(ServiceTest, LuaOdeFailuresAreModelErrors) {
  const std::tuple<const char*, const char*, const char*> cases[] = {
      {"acme.ode.none", "local x = 1", "must define a function rhs"},
      {"acme.ode.shape", "function rhs(t, y) return {1, 2} end", "array of 1 numbers"},
      {"acme.ode.type", "function rhs(t, y) return {'a'} end", "non-number"},
      {"acme.ode.mem", "function rhs(t, y) local s = {} for i = 1, 1e8 do s[i] = i end return {0} end", "limit exceeded"},
      {"acme.ode.err", "function rhs(t, y) error('boom') end", "boom"},
  };
  for (const auto& [id, script, want] : cases) {
    must(service->publish(Caller{t1, "", "alice"}, ode_manifest(id, script)));
    auto r = invoke(t1, id, Values{{"y", Value{1.0}}});
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().kind, InvokeError::Kind::kModel) << id;
    EXPECT_NE(r.error().error.message.find(want), std::string::npos) << id << ": " << r.error().error.message;
  }
  // The sandbox is still usable afterwards.
  must(service->publish(Caller{t1, "", "alice"}, ode_manifest("acme.ode.ok", "function rhs(t, y) return {-y[1]} end")));
  auto ok = invoke(t1, "acme.ode.ok", Values{{"y", Value{1.0}}});
  ASSERT_TRUE(ok) << ok.error().error.message;
  EXPECT_NEAR(std::get<double>(ok->outputs.at("yFinal")), std::exp(-1.0), 1e-6);
}

TEST_P(ServiceTest, LuaMemoryLimitAndEmptySeries) {
  auto m = lua_manifest("acme.mem", "1.0.0", "local s = string.rep('x', 100000000) return {efficiency = #s}");
  must(service->publish(Caller{t1, "", "alice"}, m));
  auto r = invoke(t1, "acme.mem", Values{{"heat", Value{std::vector<double>(200'000, 1.0)}}, {"fuel", Value{1.0}}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().error.message.find("memory limit exceeded"), std::string::npos) << r.error().error.message;
  auto e = lua_manifest("acme.empty", "1.0.0", "return {efficiency = 1, extra = {}}");
  e.as_object()["outputs"].as_array().push_back(json::object{{"name", "extra"}, {"type", "series"}});
  must(service->publish(Caller{t1, "", "alice"}, e));
  auto ok = invoke(t1, "acme.empty", Values{{"heat", Value{std::vector<double>{1}}}, {"fuel", Value{1.0}}});
  ASSERT_TRUE(ok) << ok.error().error.message;
  EXPECT_TRUE(std::get<std::vector<double>>(ok->outputs.at("extra")).empty());
}

TEST_P(ServiceTest, InvokesWorkflowModel) {
  auto r = invoke(t1, "kaiwu.process.work_order",
                  Values{{"severity", Value{4.0}}, {"cost", Value{8000.0}}, {"spareInStock", Value{true}}});
  ASSERT_TRUE(r) << r.error().error.message;
  EXPECT_EQ(std::get<std::string>(r->outputs.at("state")), "closed");
  EXPECT_EQ(std::get<std::string>(r->outputs.at("approver")), "plant_manager");
  EXPECT_EQ(std::get<double>(r->outputs.at("steps")), 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceTest,
                         both_backends(), backend_name);

}  // namespace
}  // namespace kaiwu::models
