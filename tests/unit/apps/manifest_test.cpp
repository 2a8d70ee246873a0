// Manifest validation (errors point at the problem), semantic versions, schedules.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "apps/manifest.hpp"
#include "apps/schedule.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

namespace json = boost::json;

std::string with(const std::string& pointer_key, json::value v) {
  auto o = json::parse(test::kManifest).as_object();
  o[pointer_key] = std::move(v);
  return json::serialize(o);
}

std::string error_of(const std::string& text) {
  auto m = parse_manifest(text);
  EXPECT_FALSE(m);
  return m ? std::string() : m.error().message;
}

TEST(Manifest, ParsesEveryField) {
  auto m = test::must(parse_manifest(test::kManifest));
  EXPECT_EQ(m.id, "hello-energy");
  EXPECT_EQ(m.version, "1.0.0");
  EXPECT_EQ(m.name_zh, "能耗小助手");
  EXPECT_EQ(m.name_en, "Hello Energy");
  EXPECT_EQ(m.domain, Domain::kEnergyCarbon);
  EXPECT_EQ(domain_label_zh(m.domain), "节能减排");
  EXPECT_EQ(m.origin, Origin::kSelfBuilt);
  EXPECT_EQ(m.form, Form::kBuiltOnPlatform);
  EXPECT_TRUE(m.allows(Permission::kTelemetryRead));
  EXPECT_FALSE(m.allows(Permission::kTelemetryWrite));
  ASSERT_EQ(m.functions.size(), 4u);
  ASSERT_EQ(m.triggers.size(), 2u);
  EXPECT_EQ(m.triggers[1].type, TriggerType::kSchedule);
  EXPECT_EQ(m.triggers[1].interval_ms, 1000);
  EXPECT_TRUE(m.http_callable("summary"));
  EXPECT_FALSE(m.http_callable("tick"));
  ASSERT_EQ(m.plans.size(), 2u);
  EXPECT_EQ(m.plans[1].type, PlanType::kPerCall);
  EXPECT_DOUBLE_EQ(m.plans[1].price, 0.01);
  EXPECT_EQ(m.code, "main.lua");
}

TEST(Manifest, DescriptionIsOneTextOrOnePerLanguage) {
  auto plain = test::must(parse_manifest(with("description", "Sums power")));
  EXPECT_EQ(plain.description_zh, "Sums power");
  EXPECT_EQ(plain.description_en, "Sums power");
  auto both = test::must(parse_manifest(with("description", json::object{{"zh", "汇总功率"}, {"en", "Sums power"}})));
  EXPECT_EQ(both.description_zh, "汇总功率");
  EXPECT_EQ(both.description_en, "Sums power");
  const auto out = json::parse(manifest_json(both)).as_object();
  EXPECT_EQ(out.at("description"), (json::object{{"zh", "汇总功率"}, {"en", "Sums power"}}));
  EXPECT_NE(error_of(with("description", json::object{{"zh", "汇总功率"}})).find("manifest.json /description/en: is required"),
            std::string::npos);
  EXPECT_NE(error_of(with("description", json::object{{"zh", "a"}, {"en", "b"}, {"fr", "c"}})).find("/description/fr"),
            std::string::npos);
  EXPECT_NE(error_of(with("description", 42)).find("/description: must be a string or an object"), std::string::npos);
}

TEST(Manifest, PlatformServicePermissionsAndHttpHosts) {
  auto o = json::parse(test::kManifest).as_object();
  o["permissions"] = json::array{"storage", "models:invoke", "files:write", "http:outbound"};
  o["httpHosts"] = json::array{"127.0.0.1:8080", "ERP.example.com:443"};
  auto m = test::must(parse_manifest(json::serialize(o)));
  EXPECT_TRUE(m.allows(Permission::kStorage));
  EXPECT_TRUE(m.allows(Permission::kModelsInvoke));
  EXPECT_TRUE(m.allows(Permission::kFilesWrite));
  EXPECT_TRUE(m.allows(Permission::kHttpOutbound));
  EXPECT_TRUE(m.http_host_allowed("erp.example.com:443"));
  EXPECT_TRUE(m.http_host_allowed("127.0.0.1:8080"));
  EXPECT_FALSE(m.http_host_allowed("127.0.0.1:8081"));
  EXPECT_NE(manifest_json(m).find(R"("httpHosts":["127.0.0.1:8080","erp.example.com:443"])"), std::string::npos);
  o["httpHosts"] = json::array{"no-port", "h:0", "bad host:80"};
  const auto e = error_of(json::serialize(o));
  EXPECT_NE(e.find("/httpHosts/0: must be \"host:port\""), std::string::npos) << e;
  EXPECT_NE(e.find("/httpHosts/1:"), std::string::npos) << e;
  EXPECT_NE(e.find("/httpHosts/2:"), std::string::npos) << e;
  o["permissions"] = json::array{"storage"};
  o["httpHosts"] = json::array{"h:80"};
  EXPECT_NE(error_of(json::serialize(o)).find("/httpHosts: needs the permission http:outbound"), std::string::npos);
}

TEST(Manifest, EveryNineDomainRoundTrips) {
  for (auto name : {"safety", "energy_carbon", "quality", "supply_chain", "rnd", "production", "operations",
                    "warehousing", "maintenance"}) {
    auto d = parse_domain(name);
    ASSERT_TRUE(d) << name;
    EXPECT_EQ(domain_name(*d), name);
  }
  EXPECT_FALSE(parse_domain("energy"));
}

TEST(Manifest, ErrorsNameTheJsonPointer) {
  EXPECT_NE(error_of(with("domain", "energy")).find("manifest.json /domain: must be one of safety"), std::string::npos);
  EXPECT_NE(error_of(with("version", "1.0")).find("/version: must be a semantic version"), std::string::npos);
  EXPECT_NE(error_of(with("permissions", json::array{"telemetry:read", "disk:write"})).find("/permissions/1: must be one of"),
            std::string::npos);
  EXPECT_NE(error_of(with("triggers", json::array{json::object{{"type", "http"}, {"function", "nope"}}}))
                .find("/triggers/0/function: names no declared function"),
            std::string::npos);
  EXPECT_NE(error_of(with("triggers", json::array{json::object{{"type", "schedule"}, {"function", "tick"}, {"cron", "61 * * * *"}}}))
                .find("/triggers/0/cron: must be five fields"),
            std::string::npos);
  EXPECT_NE(error_of(with("plans", json::array{json::object{{"id", "pro"}, {"type", "monthly"}}})).find("/plans/0/price"),
            std::string::npos);
  EXPECT_NE(error_of(with("colour", "red")).find("/colour: unknown field"), std::string::npos);
  // Several problems at once, all listed.
  auto o = json::parse(test::kManifest).as_object();
  o.erase("publisher");
  o["origin"] = "bought";
  const auto e = error_of(json::serialize(o));
  EXPECT_NE(e.find("/publisher: is required"), std::string::npos) << e;
  EXPECT_NE(e.find("/origin: must be self_built or partner"), std::string::npos) << e;
}

TEST(Manifest, SyntaxErrorsGiveLineAndColumn) {
  const auto e = error_of("{\n  \"id\": \"x\",\n  \"version\" \"1.0.0\"\n}");
  EXPECT_NE(e.find("manifest.json:3:"), std::string::npos) << e;
}

TEST(Semver, ValidatesAndOrders) {
  for (auto v : {"0.0.1", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0+build.5"}) EXPECT_TRUE(valid_semver(v)) << v;
  for (auto v : {"1", "1.2", "01.2.3", "1.2.3-", "v1.2.3", "1.2.3.4", ""}) EXPECT_FALSE(valid_semver(v)) << v;
  EXPECT_LT(compare_semver("1.9.0", "1.10.0"), 0);
  EXPECT_LT(compare_semver("1.0.0-rc.1", "1.0.0"), 0);
  EXPECT_EQ(compare_semver("1.0.0+a", "1.0.0+b"), 0);
  EXPECT_GT(compare_semver("2.0.0", "1.99.99"), 0);
}

TEST(Schedule, IntervalAndCron) {
  Trigger every;
  every.interval_ms = 5000;
  EXPECT_EQ(next_fire(every, 1'000'000), 1'005'000);
  Trigger cron;
  cron.cron = "*/15 2 * * *";
  // 2026-01-01T00:00:00Z = 1767225600 s → next is 02:00.
  EXPECT_EQ(next_fire(cron, 1767225600LL * 1000), (1767225600LL + 2 * 3600) * 1000);
  EXPECT_EQ(next_fire(cron, (1767225600LL + 2 * 3600) * 1000), (1767225600LL + 2 * 3600 + 15 * 60) * 1000);
  EXPECT_TRUE(cron_field_matches("1-5", 3));
  EXPECT_TRUE(cron_field_matches("1,7", 7));
  EXPECT_FALSE(cron_field_matches("1,7", 6));
}

}  // namespace
}  // namespace kaiwu::apps
