// Unit-level checks of the energy APP's Lua in the rules sandbox the APP runtime uses: tariff
// periods at their edges (local time UTC+8, day/month/year/leap boundaries, seasonal sharp
// hours, another time zone), counter arithmetic with resets, and settings validation.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <numeric>
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


// A fake host with the contract's semantics (CONTRACT-S16 "APP host API additions"): hourly
// aggregates with empty buckets omitted, an in-memory store, files.xlsx capturing its sheets.
class FakeHost {
 public:
  struct Sample {
    std::int64_t ts;
    double value;
  };
  std::int64_t now = 0;
  std::map<std::string, std::string> workshop;                       // device → workshop
  std::map<std::pair<std::string, std::string>, std::vector<Sample>> series;  // (device, key) → samples
  std::map<std::string, std::string> store;
  std::vector<json::value> files;
  int aggregate_calls = 0, range_calls = 0;

  // t: minutes after `day0` (local midnight in ms).
  void add(const std::string& dev, const std::string& key, std::int64_t day0, int hh, int mm, double v) {
    series[{dev, key}].push_back({day0 + (hh * 60 + mm) * 60'000LL, v});
  }

  rules::HostApi api() {
    rules::HostApi h;
    auto with = [](auto fn) {
      return [fn](std::string_view args) -> Result<std::string> {
        auto a = KAIWU_TRY(parse_json(args));
        return json::serialize(fn(a.as_array()));
      };
    };
    h["log"] = with([](const json::array&) { return json::value(nullptr); });
    h["now"] = with([this](const json::array&) { return json::value(now); });
    h["devices.list"] = with([this](const json::array&) {
      json::array out;
      for (const auto& [id, _] : workshop) out.push_back(json::object{{"id", id}, {"name", id}});
      return json::value(out);
    });
    h["attributes.get"] = with([this](const json::array& a) {
      return json::value(json::object{{"server", json::object{{"workshop", workshop[std::string(a[0].as_string())]}}}});
    });
    h["telemetry.latest"] = with([this](const json::array& a) {
      json::object out;
      for (const auto& k : a[1].as_array()) {
        auto it = series.find({std::string(a[0].as_string()), std::string(k.as_string())});
        if (it != series.end() && !it->second.empty())
          out[k.as_string()] = json::object{{"ts", it->second.back().ts}, {"value", it->second.back().value}};
      }
      return json::value(out);
    });
    h["telemetry.range"] = with([this](const json::array& a) {
      ++range_calls;
      json::object out;
      for (const auto& k : a[1].as_array()) {
        json::array xs;
        for (const auto& s : series[{std::string(a[0].as_string()), std::string(k.as_string())}])
          if (s.ts >= a[2].to_number<std::int64_t>() && s.ts < a[3].to_number<std::int64_t>())
            xs.push_back(json::object{{"ts", s.ts}, {"value", s.value}});
        out[k.as_string()] = xs;
      }
      return json::value(out);
    });
    h["telemetry.aggregate"] = with([this](const json::array& a) {
      ++aggregate_calls;
      const auto from = a[2].to_number<std::int64_t>(), to = a[3].to_number<std::int64_t>();
      const auto interval = a[4].to_number<std::int64_t>();
      const std::string agg(a[5].as_string());
      json::object out;
      for (const auto& k : a[1].as_array()) {
        std::map<std::int64_t, std::vector<double>> buckets;
        for (const auto& s : series[{std::string(a[0].as_string()), std::string(k.as_string())}])
          if (s.ts >= from && s.ts < to) buckets[s.ts / interval * interval].push_back(s.value);
        json::array xs;
        for (const auto& [b, v] : buckets) {
          double x = agg == "last" ? v.back() : agg == "min" ? *std::min_element(v.begin(), v.end())
                                                              : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
          xs.push_back(json::object{{"ts", b}, {"value", x}});
        }
        out[k.as_string()] = xs;
      }
      return json::value(out);
    });
    h["store.get"] = with([this](const json::array& a) {
      auto it = store.find(std::string(a[0].as_string()));
      return it == store.end() ? json::value(nullptr) : *parse_json(it->second);
    });
    h["store.put"] = with([this](const json::array& a) {
      store[std::string(a[0].as_string())] = json::serialize(a[1]);
      return json::value(true);
    });
    h["store.delete"] = with([this](const json::array& a) {
      store.erase(std::string(a[0].as_string()));
      return json::value(true);
    });
    h["store.list"] = with([this](const json::array& a) {
      const std::string prefix(a[0].as_string());
      json::array out;
      for (auto it = store.lower_bound(prefix); it != store.end() && it->first.starts_with(prefix); ++it)
        out.push_back(json::object{{"key", it->first}, {"value", *parse_json(it->second)}});
      return json::value(out);
    });
    h["files.xlsx"] = with([this](const json::array& a) {
      files.push_back(a[1]);
      return json::value(json::object{{"id", "f1"}, {"name", a[0]}, {"size", 1}});
    });
    return h;
  }
};

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

// The integration test's data set (tests/integration/test_energy_app.py has the arithmetic) on
// fixed days: B = 2026-11-19, D = 2026-11-20 (local), now = 2026-11-26 12:00 local.
TEST_F(EnergyLuaTest, RefreshAndSummaryOnAFakeHost) {
  FakeHost f;
  constexpr std::int64_t B = 1795017600000, D = 1795104000000;
  f.now = 1795665600000;
  f.workshop = {{"meter-w1", "W1"}, {"meter-w2", "W2"}, {"boiler-1", "W2"}, {"cnc-1", "W1"}, {"sensor", "W1"}};
  for (auto [hh, mm, v] : {std::tuple{0, 10, 600.0}, {7, 50, 700.0}, {11, 50, 800.0}, {16, 50, 900.0}, {20, 50, 950.0}, {23, 50, 1000.0}})
    f.add("meter-w1", "energy_kwh", B, hh, mm, v);
  for (auto [hh, mm, v] : {std::tuple{7, 50, 1080.0}, {8, 30, 1090.0}, {11, 50, 1130.0}, {12, 10, 1135.0}, {16, 50, 1185.0},
                           {17, 30, 1200.0}, {20, 50, 1260.0}, {21, 10, 1262.0}, {23, 50, 1300.0}})
    f.add("meter-w1", "energy_kwh", D, hh, mm, v);
  f.add("meter-w2", "energy_kwh", B, 0, 10, 5000);
  f.add("meter-w2", "energy_kwh", B, 23, 50, 5100);
  for (auto [hh, mm, v] : {std::tuple{9, 10, 5150.0}, {9, 40, 5160.0}, {10, 20, 5170.0}, {10, 30, 2.0}, {10, 50, 12.0}, {13, 30, 40.0}})
    f.add("meter-w2", "energy_kwh", D, hh, mm, v);
  f.add("boiler-1", "gas_total_m3", B, 0, 10, 10000);
  f.add("boiler-1", "gas_total_m3", B, 23, 50, 10500);
  f.add("boiler-1", "gas_total_m3", D, 12, 50, 10800);
  f.add("boiler-1", "gas_total_m3", D, 23, 50, 11000);
  f.add("boiler-1", "water_total_m3", D, 8, 0, 100);
  f.add("boiler-1", "water_total_m3", D, 20, 0, 130);
  f.add("boiler-1", "steam_total_t", D, 14, 0, 50);
  f.add("boiler-1", "steam_total_t", D, 14, 50, 53);
  f.add("boiler-1", "steam_total_t", D, 15, 10, 54);
  f.add("cnc-1", "part_count", B, 8, 10, 0);
  f.add("cnc-1", "part_count", B, 20, 50, 80);
  for (auto [hh, mm, v] : {std::tuple{8, 10, 80.0}, {12, 0, 150.0}, {16, 0, 0.0}, {20, 0, 30.0}})
    f.add("cnc-1", "part_count", D, hh, mm, v);
  f.add("sensor", "temperature", D, 1, 0, 20);  // no energy key: not metered
  host = f.api();
  auto first = run("refresh", json::object{{"maxHours", 72}});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->at("hours").to_number<int>(), 72);
  EXPECT_FALSE(first->at("caughtUp").as_bool());
  EXPECT_EQ(first->at("devices").to_number<int>(), 4);  // not the sensor
  auto rest = run("refresh", json::object{});  // the other 35 days − 72 hours in one call (sparse data)
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_TRUE(rest->at("caughtUp").as_bool());
  EXPECT_EQ(f.range_calls, 2);  // raw samples only for the two hours with a reset
  auto s = run("summary", json::object{{"from", "2026-11-20"}, {"to", "2026-11-20"}});
  ASSERT_TRUE(s) << s.error().message;
  const auto& o = s->as_object();
  EXPECT_DOUBLE_EQ(o.at("electricityKwh").to_number<double>(), 410);
  const auto& by = o.at("byPeriod");
  EXPECT_EQ((std::array{by.at("sharp").to_number<double>(), by.at("peak").to_number<double>(),
                        by.at("flat").to_number<double>(), by.at("valley").to_number<double>()}),
            (std::array{0.0, 207.0, 123.0, 80.0}));
  EXPECT_NEAR(o.at("cost").at("total").to_number<double>(), 2249.485, 1e-9);
  EXPECT_NEAR(o.at("co2T").at("total").to_number<double>(), 1.301106, 1e-9);
  EXPECT_NEAR(o.at("steamT").to_number<double>(), 4, 1e-9);
  EXPECT_NEAR(o.at("waterM3").to_number<double>(), 30, 1e-9);
  EXPECT_NEAR(o.at("output").to_number<double>(), 100, 1e-9);
  EXPECT_NEAR(o.at("intensity").at("kwhPerUnit").to_number<double>(), 4.1, 1e-9);
  EXPECT_EQ(o.at("workshops").as_array().size(), 2u);
  // Incremental: a further refresh (same now) does nothing; a rebuild sets the same values.
  const int calls = f.aggregate_calls;
  auto again = run("refresh", json::object{});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->at("hours").to_number<int>(), 0);
  EXPECT_EQ(f.aggregate_calls - calls, 8);  // only the hour in progress: last + min for 4 devices
  // The hour in progress (11:00-12:00 local on 2026-11-26) is set so far, then re-set, not added.
  constexpr std::int64_t today = 1795622400000;
  f.add("meter-w1", "energy_kwh", today, 11, 30, 1310);
  ASSERT_TRUE(run("refresh", json::object{}));
  auto now_kwh = [&] {
    auto t = run("summary", json::object{{"from", "2026-11-26"}, {"to", "2026-11-26"}});
    EXPECT_TRUE(t);
    return t ? t->at("byPeriod").at("peak").to_number<double>() : -1;
  };
  EXPECT_DOUBLE_EQ(now_kwh(), 10);
  f.add("meter-w1", "energy_kwh", today, 11, 45, 1315);
  ASSERT_TRUE(run("refresh", json::object{}));
  EXPECT_DOUBLE_EQ(now_kwh(), 15);
  ASSERT_TRUE(run("rebuild", json::object{}));
  s = run("summary", json::object{{"from", "2026-11-20"}, {"to", "2026-11-20"}});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->at("electricityKwh").to_number<double>(), 410);
  // Export: five sheets; the summary's first value row is the month's electricity.
  auto x = run("export_month", json::object{{"month", "2026-11"}});
  ASSERT_TRUE(x) << x.error().message;
  ASSERT_EQ(f.files.size(), 1u);
  const auto& sheets = f.files[0].as_array();
  ASSERT_EQ(sheets.size(), 5u);
  EXPECT_EQ(sheets[0].at("rows").as_array()[0].as_array()[1].to_number<double>(), 910 + 15);  // B + D + today
}

// A carrier configured as a rate (per hour): the hour's average × 1 h.
TEST_F(EnergyLuaTest, RateCarrierIsTheHourlyAverageTimesOneHour) {
  FakeHost f;
  constexpr std::int64_t D = 1795104000000;  // 2026-11-20 local
  f.now = 1795665600000;
  f.workshop = {{"boiler-1", "W2"}};
  f.add("boiler-1", "steam_flow_t_h", D, 14, 0, 2.0);
  f.add("boiler-1", "steam_flow_t_h", D, 14, 30, 4.0);  // hour 14: avg 3 t/h → 3 t
  f.add("boiler-1", "steam_flow_t_h", D, 15, 10, 1.0);  // hour 15: 1 t
  host = f.api();
  ASSERT_TRUE(run("settings_put", json::object{{"carriers", json::object{{"steam", json::object{
                                                   {"key", "steam_flow_t_h"}, {"kind", "rate"}}}}}}));
  ASSERT_TRUE(run("refresh", json::object{}));
  auto s = run("summary", json::object{{"from", "2026-11-20"}, {"to", "2026-11-20"}});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_NEAR(s->at("steamT").to_number<double>(), 4, 1e-9);
  EXPECT_EQ(s->at("electricityKwh").to_number<double>(), 0);
}

}  // namespace
}  // namespace kaiwu
