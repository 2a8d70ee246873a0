// The analysis functions on hand-made daily figures; every expected value is computed by hand
// in the comment beside it.
#include "report/economy.hpp"

#include <gtest/gtest.h>

namespace kaiwu::report {
namespace {

namespace json = boost::json;

std::int64_t day(const char* text) { return parse_day(text, "day").value(); }

model::Enterprise ent(const char* id, const char* industry, std::optional<double> lon = {}) {
  model::Enterprise e;
  e.id = id;
  e.name = std::string("企业") + id;
  e.industry = industry;
  e.park_id = "p1";
  e.longitude = lon;
  e.latitude = lon ? std::optional(31.3) : std::nullopt;
  return e;
}

DayFigures fig(const char* e, std::int64_t d, double kwh, double out, int machines, double rate, int alarms = 0) {
  return DayFigures{e, d, kwh, out, machines, rate, alarms};
}

// A (机械): 2 machines at 50 %, 100 kWh, 10 parts a day; B (机械): 1 machine at 80 %, 50 kWh,
// 5 parts; C (电子): 4 machines at 25 %, 200 kWh, no parts. Days 2026-11-02..08 (the base), then
// on 11-09 A halves (25 %, 50 kWh, 5 parts). 11-01 has no data.
std::vector<DayFigures> seeded() {
  std::vector<DayFigures> v;
  v.push_back(fig("A", day("2026-11-01"), 0, 0, 0, 0));
  for (auto d = day("2026-11-02"); d <= day("2026-11-08"); d += kDayMs) {
    v.push_back(fig("A", d, 100, 10, 2, 0.5, 1));
    v.push_back(fig("B", d, 50, 5, 1, 0.8));
    v.push_back(fig("C", d, 200, 0, 4, 0.25));
  }
  v.push_back(fig("A", day("2026-11-09"), 50, 5, 2, 0.25, 2));
  v.push_back(fig("B", day("2026-11-09"), 50, 5, 1, 0.8));
  v.push_back(fig("C", day("2026-11-09"), 200, 0, 4, 0.25));
  return v;
}

const std::vector<model::Enterprise> kEnterprises = {ent("A", "机械", 120.6), ent("B", "机械"), ent("C", "电子", 120.5)};

const json::object& find(const json::array& a, std::string_view key, std::string_view value) {
  for (const auto& v : a)
    if (v.as_object().at(key).as_string() == value) return v.as_object();
  ADD_FAILURE() << "no " << key << " = " << value;
  static const json::object empty;
  return empty;
}

double num(const json::value& v) { return v.to_number<double>(); }

TEST(Days, ParseAndFormat) {
  EXPECT_EQ(day("1970-01-02"), kDayMs);
  EXPECT_EQ(format_day(day("2026-11-26")), "2026-11-26");
  EXPECT_EQ(day_of(day("2026-11-26") + 5000), day("2026-11-26"));
  for (const char* bad : {"2026-02-30", "2026-11-2", "26-11-02", "2026-11-02x", "", "2026/11/02"}) {
    auto r = parse_day(bad, "from");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("from"), std::string::npos);
  }
}

TEST(Indices, DailyAgainstTheDefaultBase) {
  IndexRequest r{day("2026-11-01"), day("2026-11-09"), std::nullopt, Period::kDay};
  auto out = indices(kEnterprises, seeded(), r);
  ASSERT_TRUE(out) << out.error().message;
  const auto& base = out->at("base").as_object();
  EXPECT_EQ(base.at("from").as_string(), "2026-11-02");  // 11-01 had no data
  EXPECT_EQ(base.at("to").as_string(), "2026-11-08");
  EXPECT_EQ(base.at("days").as_array().size(), 7u);
  EXPECT_TRUE(base.at("default").as_bool());
  const auto& list = out->at("indices").as_array();
  ASSERT_EQ(list.size(), 3u);

  const auto& rate = find(list, "id", "operatingRate");
  EXPECT_NE(rate.at("methodZh").as_string().find("基期"), json::string::npos);
  EXPECT_FALSE(rate.at("methodEn").as_string().empty());
  const auto& total = rate.at("series").as_array()[0].as_object();
  EXPECT_EQ(total.at("group").as_string(), "total");
  // Base: (0.5·2 + 0.8·1 + 0.25·4) / 7 machines = 2.8 / 7 = 0.4
  EXPECT_DOUBLE_EQ(num(total.at("baseValue")), 0.4);
  const auto& points = total.at("points").as_array();
  ASSERT_EQ(points.size(), 9u);
  EXPECT_TRUE(points[0].as_object().at("index").is_null());  // 11-01: no machines
  EXPECT_DOUBLE_EQ(num(points[1].as_object().at("index")), 100.0);
  // 11-09: (0.25·2 + 0.8 + 1) / 7 = 2.3 / 7 = 0.328571 → 82.14
  EXPECT_DOUBLE_EQ(num(points[8].as_object().at("index")), 82.14);
  // 机械: base (1 + 0.8) / 3 = 0.6; 11-09 (0.5 + 0.8) / 3 = 0.43333 → 72.22
  const auto& mech = find(rate.at("series").as_array(), "group", "机械");
  EXPECT_DOUBLE_EQ(num(mech.at("baseValue")), 0.6);
  EXPECT_DOUBLE_EQ(num(mech.at("points").as_array()[8].as_object().at("index")), 72.22);
  const auto& elec_group = find(rate.at("series").as_array(), "group", "电子");
  EXPECT_DOUBLE_EQ(num(elec_group.at("points").as_array()[8].as_object().at("index")), 100.0);

  // Electricity: base 350 kWh a day; 11-09 300 → 85.71
  const auto& elec = find(list, "id", "electricity").at("series").as_array()[0].as_object();
  EXPECT_DOUBLE_EQ(num(elec.at("baseValue")), 350.0);
  EXPECT_DOUBLE_EQ(num(elec.at("points").as_array()[8].as_object().at("index")), 85.71);
  EXPECT_DOUBLE_EQ(num(elec.at("points").as_array()[8].as_object().at("value")), 300.0);
  // Output: base 15 parts; 11-09 10 → 66.67; 电子 has no output: base 0, index null
  const auto& output = find(list, "id", "output");
  EXPECT_DOUBLE_EQ(num(output.at("series").as_array()[0].as_object().at("points").as_array()[8].as_object().at("index")),
                   66.67);
  const auto& out_elec = find(output.at("series").as_array(), "group", "电子");
  EXPECT_TRUE(out_elec.at("points").as_array()[8].as_object().at("index").is_null());
}

TEST(Indices, WeeklyAgainstANamedBase) {
  // Base 11-09 only: rate 0.328571, 300 kWh. Weeks start on Monday: 11-02..08 and 11-09.
  IndexRequest r{day("2026-11-02"), day("2026-11-09"), std::pair{day("2026-11-09"), day("2026-11-09")}, Period::kWeek};
  auto out = indices(kEnterprises, seeded(), r);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_FALSE(out->at("base").as_object().at("default").as_bool());
  EXPECT_EQ(out->at("period").as_string(), "week");
  const auto& elec = find(out->at("indices").as_array(), "id", "electricity").at("series").as_array()[0].as_object();
  const auto& points = elec.at("points").as_array();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].as_object().at("period").as_string(), "2026-11-02");
  EXPECT_EQ(points[0].as_object().at("days").as_int64(), 7);
  EXPECT_DOUBLE_EQ(num(points[0].as_object().at("index")), 116.67);  // 350 / 300
  EXPECT_DOUBLE_EQ(num(points[1].as_object().at("index")), 100.0);
  const auto& rate = find(out->at("indices").as_array(), "id", "operatingRate").at("series").as_array()[0].as_object();
  EXPECT_DOUBLE_EQ(num(rate.at("points").as_array()[0].as_object().at("index")), 121.74);  // 0.4 / (2.3/7)
}

TEST(Indices, NoDataMeansNoBase) {
  IndexRequest r{day("2026-10-01"), day("2026-10-10"), std::nullopt, Period::kDay};
  auto out = indices(kEnterprises, seeded(), r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kFailedPrecondition);
  EXPECT_NE(out.error().message.find("base="), std::string::npos);
  r.from_day_ms = day("2026-10-11");
  EXPECT_EQ(indices(kEnterprises, seeded(), r).error().code, Errc::kInvalidArgument);  // from after to
}

TEST(IndustryMap, FiguresPerEnterpriseAndIndustry) {
  MapExtras x;
  x.devices = {{"A", 5}, {"C", 2}};
  x.park_names = {{"p1", "高新区"}};
  auto out = industry_map(kEnterprises, seeded(), x, day("2026-11-08"), day("2026-11-09"));
  const auto& rows = out.at("enterprises").as_array();
  ASSERT_EQ(rows.size(), 3u);
  const auto& a = find(rows, "id", "A");
  EXPECT_EQ(a.at("devices").as_int64(), 5);
  EXPECT_DOUBLE_EQ(num(a.at("electricityKwh")), 150.0);       // 100 + 50
  EXPECT_DOUBLE_EQ(num(a.at("operatingRate")), 0.375);        // (0.5·2 + 0.25·2) / 4
  EXPECT_EQ(a.at("alarms").as_int64(), 3);                    // 1 + 2
  EXPECT_DOUBLE_EQ(num(a.at("longitude")), 120.6);
  EXPECT_EQ(a.at("parkName").as_string(), "高新区");
  EXPECT_TRUE(find(rows, "id", "B").at("longitude").is_null());
  EXPECT_EQ(find(rows, "id", "B").at("devices").as_int64(), 0);
  const auto& by = out.at("byIndustry").as_array();
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by[0].as_object().at("industry").as_string(), "机械");  // most enterprises first
  EXPECT_EQ(by[0].as_object().at("enterprises").as_int64(), 2);
  EXPECT_DOUBLE_EQ(num(by[0].as_object().at("electricityKwh")), 250.0);  // 150 + 100
  // (1 + 0.5 + 0.8 + 0.8) / 6 machine-days = 0.516667
  EXPECT_DOUBLE_EQ(num(by[0].as_object().at("operatingRate")), 0.5167);
  EXPECT_EQ(by[1].as_object().at("devices").as_int64(), 2);
}

TEST(SupplyChain, StatusFromTodayAgainstTheBaseAndCustomersAtRisk) {
  EXPECT_EQ(operating_status(0.8, 1.0), OperatingStatus::kRunning);
  EXPECT_EQ(operating_status(0.79, 1.0), OperatingStatus::kSlowed);
  EXPECT_EQ(operating_status(0.2, 1.0), OperatingStatus::kSlowed);
  EXPECT_EQ(operating_status(0.19, 1.0), OperatingStatus::kStopped);
  EXPECT_EQ(operating_status(std::nullopt, 1.0), OperatingStatus::kUnknown);
  EXPECT_EQ(operating_status(0.5, 0.0), OperatingStatus::kUnknown);

  SupplyChainInput in;
  in.enterprises = kEnterprises;
  in.enterprises.push_back(ent("D", "电子"));  // no machines at all
  in.today_ms = day("2026-11-09");
  for (const auto& d : seeded())
    if (d.day_ms < in.today_ms) in.history.push_back(d);
  // Today: A at its base (0.5), B nearly stopped (0.1 of 0.8 = 12.5 %), C slowed (0.1 of 0.25 = 40 %).
  in.today = {fig("A", in.today_ms, 10, 1, 2, 0.5), fig("B", in.today_ms, 1, 0, 1, 0.1),
              fig("C", in.today_ms, 10, 0, 4, 0.1)};
  in.links = {SupplyLink{"l1", "t", "A", "C", "钢材", 0}, SupplyLink{"l2", "t", "B", "C", "铸件", 0},
              SupplyLink{"l3", "t", "C", "D", "芯片", 0}, SupplyLink{"l4", "t", "B", "Z", "not drawn", 0}};
  auto out = supply_chain(in);
  const auto& nodes = out.at("nodes").as_array();
  ASSERT_EQ(nodes.size(), 4u);
  EXPECT_EQ(find(nodes, "id", "A").at("status").as_string(), "running");
  EXPECT_EQ(find(nodes, "id", "B").at("status").as_string(), "stopped");
  EXPECT_EQ(find(nodes, "id", "C").at("status").as_string(), "slowed");
  EXPECT_EQ(find(nodes, "id", "D").at("status").as_string(), "unknown");
  EXPECT_DOUBLE_EQ(num(find(nodes, "id", "B").at("baseRate")), 0.8);
  EXPECT_DOUBLE_EQ(num(find(nodes, "id", "C").at("todayRate")), 0.1);
  const auto& c = find(nodes, "id", "C");
  EXPECT_TRUE(c.at("atRisk").as_bool());
  ASSERT_EQ(c.at("stoppedSuppliers").as_array().size(), 1u);
  EXPECT_EQ(c.at("stoppedSuppliers").as_array()[0].as_string(), "B");
  EXPECT_FALSE(find(nodes, "id", "D").at("atRisk").as_bool());  // its supplier C only slowed
  EXPECT_FALSE(find(nodes, "id", "A").at("atRisk").as_bool());
  const auto& edges = out.at("edges").as_array();
  ASSERT_EQ(edges.size(), 3u);  // l4's customer is not a node
  EXPECT_EQ(find(edges, "id", "l2").at("supplierStatus").as_string(), "stopped");
  const auto& s = out.at("summary").as_object();
  EXPECT_EQ(s.at("running").as_int64(), 1);
  EXPECT_EQ(s.at("stopped").as_int64(), 1);
  EXPECT_EQ(s.at("slowed").as_int64(), 1);
  EXPECT_EQ(s.at("unknown").as_int64(), 1);
  EXPECT_EQ(s.at("atRisk").as_int64(), 1);
  EXPECT_EQ(out.at("day").as_string(), "2026-11-09");
}

TEST(DaysFrom, ADayWithoutMachineDataIsNoData) {
  EnterpriseDay quiet;  // machines registered, nothing reported (before the first telemetry)
  quiet.enterprise_id = "A";
  quiet.machines = 3;
  auto f = figures_of(quiet);
  EXPECT_EQ(f.machines, 0);
  EXPECT_FALSE(has_data(f));
  quiet.electricity_kwh = 12.5;  // metered power alone is no machine data
  EXPECT_EQ(figures_of(quiet).machines, 0);
  EnterpriseDay stopped = quiet;  // every machine reported standing still: rate 0
  stopped.observed_machine_h = 72;
  f = figures_of(stopped);
  EXPECT_EQ(f.machines, 3);
  EXPECT_DOUBLE_EQ(f.operating_rate, 0);
  EXPECT_TRUE(has_data(f));
  EnterpriseDay running = stopped;
  running.machines_running = 2;
  running.operating_rate = 0.4;
  running.alarms_raised = 4;
  f = figures_of(running);
  EXPECT_EQ(f.machines, 3);
  EXPECT_DOUBLE_EQ(f.operating_rate, 0.4);
  EXPECT_EQ(f.alarms_raised, 4);
}

}  // namespace
}  // namespace kaiwu::report
