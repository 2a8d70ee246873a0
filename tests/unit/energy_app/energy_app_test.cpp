// Unit-level checks of the energy APP's Lua in the rules sandbox the APP runtime uses: tariff
// periods at their edges (local time UTC+8, day/month/year/leap boundaries, seasonal sharp
// hours, another time zone), counter arithmetic with resets, and settings validation.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "core/json_parse.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu {
namespace {

namespace json = boost::json;

// Test-only helpers appended to the APP's code (they call its globals).
constexpr const char* kHelpers = R"(
function t_walk(input) local total, last = counter_walk(input.prev, input.values) return {total = total, last = last} end
function t_civil(input) local y, m, d = civil_from_days(input.days) return {y, m, d, days_from_civil(y, m, d)} end
)";

class EnergyLuaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(KAIWU_ENERGY_LUA);
    std::ostringstream buf;
    buf << in.rdbuf();
    source = buf.str() + kHelpers;
    ASSERT_GT(source.size(), 1000u);
    host["store.get"] = [this](std::string_view args) -> Result<std::string> {
      auto a = KAIWU_TRY(parse_json(args));
      auto it = store.find(std::string(a.as_array()[0].as_string()));
      return it == store.end() ? std::string("null") : it->second;
    };
    host["store.put"] = [this](std::string_view args) -> Result<std::string> {
      auto a = KAIWU_TRY(parse_json(args));
      store[std::string(a.as_array()[0].as_string())] = json::serialize(a.as_array()[1]);
      return std::string("true");
    };
  }

  Result<json::value> run(const std::string& fn, const json::value& input) {
    auto out = KAIWU_TRY(sandbox.run_function("energy", source, fn, json::serialize(input), "{}", host));
    return parse_json(out);
  }

  json::object period(std::int64_t ts, json::value settings = nullptr) {
    json::object in{{"ts", ts}};
    if (!settings.is_null()) in["settings"] = settings;
    auto r = run("period_at", in);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->as_object() : json::object{};
  }

  std::string source;
  rules::Sandbox sandbox{rules::SandboxLimits{.instructions = 20'000'000, .memory_bytes = 16u << 20,
                                              .wall_time = std::chrono::milliseconds(2000)}};
  rules::HostApi host;
  std::map<std::string, std::string> store;
};

void expect_period(const json::object& p, const char* period, const char* date, int hour) {
  EXPECT_EQ(p.at("period").as_string(), period) << json::serialize(p);
  EXPECT_EQ(p.at("date").as_string(), date) << json::serialize(p);
  EXPECT_EQ(p.at("hour").to_number<int>(), hour) << json::serialize(p);
}

TEST_F(EnergyLuaTest, JiangsuPeriodsAtTheirEdgesInLocalTime) {
  // Default: UTC+8, valley 0-8, peak 8-12, flat 12-17, peak 17-21, flat 21-24.
  expect_period(period(1795651199999), "valley", "2026-11-26", 7);  // 2026-11-25T23:59:59.999Z = 07:59:59.999
  expect_period(period(1795651200000), "peak", "2026-11-26", 8);    // 00:00Z = 08:00 local
  expect_period(period(1795665599000), "peak", "2026-11-26", 11);   // 11:59:59
  expect_period(period(1795665600000), "flat", "2026-11-26", 12);   // 12:00
  expect_period(period(1795683599000), "flat", "2026-11-26", 16);   // 16:59:59
  expect_period(period(1795683600000), "peak", "2026-11-26", 17);   // 17:00
  expect_period(period(1795698000000), "flat", "2026-11-26", 21);   // 21:00
  expect_period(period(1795708799000), "flat", "2026-11-26", 23);   // 23:59:59
  expect_period(period(1795708800000), "valley", "2026-11-27", 0);  // 16:00Z = next local day 00:00
}

TEST_F(EnergyLuaTest, CalendarBoundaries) {
  expect_period(period(1798732800000), "valley", "2027-01-01", 0);  // 2026-12-31T16:00Z: new year, local
  expect_period(period(1835366400000), "valley", "2028-02-29", 0);  // leap day
  expect_period(period(-1), "valley", "1970-01-01", 7);             // before the epoch, still floored
  for (std::int64_t days : {-719468, -1, 0, 59, 10957, 20782, 2932896}) {
    auto r = run("t_civil", json::object{{"days", days}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->as_array()[3].to_number<std::int64_t>(), days) << json::serialize(*r);
  }
  auto r = run("t_civil", json::object{{"days", 20783}});  // 2026-11-26
  ASSERT_TRUE(r);
  EXPECT_EQ(json::serialize(*r), "[2026,11,26,20783]");
}

TEST_F(EnergyLuaTest, SeasonalSharpHoursAndOtherTimeZones) {
  auto summer = parse_json(R"({"tariff": {"seasons": [{"months": [7, 8], "hours": "vvvvvvvvppsspffffpsspfff"}]}})");
  ASSERT_TRUE(summer);
  expect_period(period(1785465000000, *summer), "sharp", "2026-07-31", 10);  // July 31 10:30 local
  expect_period(period(1788229800000, *summer), "peak", "2026-09-01", 10);   // September: no season
  auto utc = parse_json(R"({"tzOffsetMinutes": 0})");
  expect_period(period(1795680000000, *utc), "peak", "2026-11-26", 8);  // 08:00Z in UTC
  expect_period(period(1795651200000, *utc), "valley", "2026-11-26", 0);
}

TEST_F(EnergyLuaTest, CounterResetsCountFromZero) {
  auto walk = [&](json::value prev, json::array values) {
    auto r = run("t_walk", json::object{{"prev", prev}, {"values", values}});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->as_object() : json::object{};
  };
  // 100 → 105 → 110 (10), reset to 3 (3 since the reset), → 8 (5): 18.
  auto a = walk(100, {105, 110, 3, 8});
  EXPECT_DOUBLE_EQ(a.at("total").to_number<double>(), 18);
  EXPECT_DOUBLE_EQ(a.at("last").to_number<double>(), 8);
  // No previous reading: the first one only sets the start.
  EXPECT_DOUBLE_EQ(walk(nullptr, {5, 6.5}).at("total").to_number<double>(), 1.5);
  // A drop within 1e-9 relative is rounding noise, not a reset of 1e6 kWh.
  EXPECT_NEAR(walk(1e6, {1e6 - 1e-4, 1e6 + 1}).at("total").to_number<double>(), 1 + 1e-4, 1e-6);
  // Flat counter: nothing.
  EXPECT_DOUBLE_EQ(walk(7, {7, 7}).at("total").to_number<double>(), 0);
}

TEST_F(EnergyLuaTest, SettingsAreValidatedAndMerged) {
  auto bad = run("settings_put", json::object{{"tariff", json::object{{"hours", "pppp"}}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("tariff.hours must be 24 letters"), std::string::npos) << bad.error().message;
  bad = run("settings_put", json::object{{"co2", json::object{{"gas", -1}}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("co2.gas must be a number"), std::string::npos) << bad.error().message;
  bad = run("settings_put", json::object{{"baseline", json::object{{"from", "2026-02-30"}, {"to", "2026-03-01"}}}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(store.empty());
  auto good = run("settings_put", json::object{{"co2", json::object{{"electricity", 0.6}}}});
  ASSERT_TRUE(good) << good.error().message;
  auto s = run("settings_get", json::object{});
  ASSERT_TRUE(s);
  const auto& co2 = s->at("settings").at("co2").as_object();
  EXPECT_DOUBLE_EQ(co2.at("electricity").to_number<double>(), 0.6);
  EXPECT_DOUBLE_EQ(co2.at("gas").to_number<double>(), 2.1622);  // untouched default kept
  EXPECT_EQ(s->at("settings").at("tariff").at("hours").as_string(), "vvvvvvvvppppfffffppppfff");
}

}  // namespace
}  // namespace kaiwu
