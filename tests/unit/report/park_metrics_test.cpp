// ParkMetrics on a real SQLite store and a real telemetry engine, with samples whose daily
// figures are computed by hand in the comments.
#include <gtest/gtest.h>

#include <filesystem>

#include "meta/sqlite_store.hpp"
#include "report/park_metrics.hpp"
#include "tsdb/engine.hpp"

namespace kaiwu::report {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kD0 = 1'793'577'600'000;  // 2026-11-02T00:00:00Z
constexpr std::int64_t kD1 = kD0 + kDayMs;
constexpr std::int64_t kH = 3'600'000;
constexpr std::int64_t kMin = 60'000;

class ParkMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kaiwu-park-metrics-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    tsdb::EngineOptions o;
    o.dir = dir_.string();
    o.background = false;
    o.durability = tsdb::Durability::kNone;
    tsdb_ = std::move(*tsdb::open_engine(o));
    store_ = std::move(*meta::SqliteStore::open(":memory:"));
    tenant_ = store_->create_tenant(model::Tenant{"", "t", "", 0})->id;
    other_tenant_ = store_->create_tenant(model::Tenant{"", "u", "", 0})->id;
    auto scope = meta::Scope::tenant(tenant_);
    park_ = store_->create_park(scope, model::Park{.tenant_id = tenant_, .name = "p1"})->id;
    park2_ = store_->create_park(scope, model::Park{.tenant_id = tenant_, .name = "p2"})->id;
    e_ = store_->create_enterprise(scope, model::Enterprise{.tenant_id = tenant_, .park_id = park_, .name = "e"})->id;
    e2_ = store_->create_enterprise(scope, model::Enterprise{.tenant_id = tenant_, .park_id = park2_, .name = "e2"})->id;
    meter_ = device(e_, "meter", model::Category::kRunning);
    boiler_ = device(e_, "boiler", model::Category::kOther);
    cnc1_ = device(e_, "cnc1", model::Category::kProcessing);
    cnc2_ = device(e_, "cnc2", model::Category::kProcessing);
    other_meter_ = device(e2_, "meter2", model::Category::kRunning);
  }
  void TearDown() override {
    tsdb_.reset();
    fs::remove_all(dir_);
  }

  std::string device(const std::string& ent, const std::string& name, model::Category c) {
    model::Device d;
    d.tenant_id = tenant_;
    d.enterprise_id = ent;
    d.name = name;
    d.category = c;
    d.protocol = "mqtt";
    return store_->create_device(meta::Scope::tenant(tenant_), d)->id;
  }
  void put(const std::string& dev, const std::string& key, std::int64_t ts, tsdb::Value v) {
    tsdb::Point p{tenant_, dev, key, ts, std::move(v)};
    ASSERT_TRUE(tsdb_->write(std::span<const tsdb::Point>(&p, 1)));
  }
  void alarm(const std::string& dev, const std::string& type, std::int64_t ts) {
    model::Alarm a;
    a.device_id = dev;
    a.type = type;
    a.last_ms = ts;
    ASSERT_TRUE(store_->raise_alarm(meta::Scope::tenant(tenant_), a, "test"));
  }

  // The seeded set (hand-computed figures in the test below).
  void seed() {
    // Meter: 1000 the evening before; day 0: +10 (01:00), +40 (12:00), +50 (23:30) = 100 kWh.
    // Day 1: +20 (06:00); hour 7 resets: 1120→1125 (+5), →3 (reset: +3), →8 (+5) = 13; 08:00
    // 28 (+20): 53 kWh.
    put(meter_, "energy_kwh", kD0 - kH, 1000.0);
    put(meter_, "energy_kwh", kD0 + 1 * kH, 1010.0);
    put(meter_, "energy_kwh", kD0 + 12 * kH, 1050.0);
    put(meter_, "energy_kwh", kD0 + 23 * kH + 30 * kMin, 1100.0);
    put(meter_, "energy_kwh", kD1 + 6 * kH, 1120.0);
    put(meter_, "energy_kwh", kD1 + 7 * kH + 10 * kMin, 1125.0);
    put(meter_, "energy_kwh", kD1 + 7 * kH + 20 * kMin, 3.0);
    put(meter_, "energy_kwh", kD1 + 7 * kH + 40 * kMin, 8.0);
    put(meter_, "energy_kwh", kD1 + 8 * kH, 28.0);
    // Boiler gas: the first reading ever (500 at 00:00) counts from itself, 600 at 10:00: 100 m³.
    // Water as an integer counter: 7 → 10: 3 m³ on day 0.
    put(boiler_, "gas_total_m3", kD0, 500.0);
    put(boiler_, "gas_total_m3", kD0 + 10 * kH, 600.0);
    put(boiler_, "water_total_m3", kD0 + 2 * kH, std::int64_t{7});
    put(boiler_, "water_total_m3", kD0 + 3 * kH, std::int64_t{10});
    // CNC 1 reports every 30 min on day 0: running 00–06 and 12–24 (18 h), stopped (2) 06–12;
    // the 23:30 sample holds 30 min into day 1 (running). Parts 100 → 160: 60 on day 0.
    for (int k = 0; k < 48; ++k) {
      const int hour = k / 2;
      put(cnc1_, "state_code", kD0 + k * 30 * kMin, std::int64_t{hour < 6 || hour >= 12 ? 1 : 2});
    }
    put(cnc1_, "part_count", kD0, std::int64_t{100});
    put(cnc1_, "part_count", kD0 + 12 * kH, std::int64_t{160});
    // CNC 2: one idle sample at 10:00, held 1 h (kStateHoldMs) then no data.
    put(cnc2_, "state_code", kD0 + 10 * kH, std::int64_t{0});
    // Another park's enterprise: never counted for e.
    put(other_meter_, "energy_kwh", kD0 + kH, 1.0);
    put(other_meter_, "energy_kwh", kD0 + 2 * kH, 99.0);
    alarm(cnc1_, "A", kD0 + 5 * kH);
    alarm(cnc2_, "B", kD0 + 6 * kH);
    alarm(meter_, "C", kD1 + kH);
    alarm(other_meter_, "D", kD0 + kH);
  }

  fs::path dir_;
  std::unique_ptr<tsdb::TelemetryStore> tsdb_;
  std::unique_ptr<meta::SqliteStore> store_;
  std::string tenant_, other_tenant_, park_, park2_, e_, e2_, meter_, boiler_, cnc1_, cnc2_, other_meter_;
  std::int64_t now_ = kD0 + 3 * kDayMs;
};

TEST_F(ParkMetricsTest, DailyEnergyCarbonOperatingRateOutputAndAlarmsMatchHandCounts) {
  seed();
  ParkMetrics m(*store_, *tsdb_, [this] { return now_; });
  auto got = m.days(meta::Scope::tenant(tenant_), {e_}, kD0 + 5 * kH /* floored */, kD1);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 2u);
  const auto& d0 = (*got)[0];
  const auto& d1 = (*got)[1];
  EXPECT_EQ(d0.enterprise_id, e_);
  EXPECT_EQ(d0.day_ms, kD0);
  EXPECT_EQ(d1.day_ms, kD1);
  EXPECT_DOUBLE_EQ(d0.electricity_kwh, 100);
  EXPECT_DOUBLE_EQ(d1.electricity_kwh, 53);
  EXPECT_DOUBLE_EQ(d0.gas_m3, 100);
  EXPECT_DOUBLE_EQ(d0.water_m3, 3);
  EXPECT_DOUBLE_EQ(d1.gas_m3, 0);
  // CO2: (100 kWh × 0.5366 + 100 m³ × 2.1622) / 1000 = 0.26988 t; tce: (12.29 + 121.43) / 1000.
  EXPECT_NEAR(d0.co2_t, 0.26988, 1e-12);
  EXPECT_NEAR(d0.tce, 0.13372, 1e-12);
  EXPECT_NEAR(d1.co2_t, 53 * 0.5366 / 1000, 1e-12);
  EXPECT_DOUBLE_EQ(d0.output, 60);
  EXPECT_DOUBLE_EQ(d1.output, 0);
  EXPECT_EQ(d0.machines, 2);
  EXPECT_EQ(d0.machines_running, 1);
  // Day 0: 18 h running of 24 h (cnc1) + 1 h (cnc2) observed = 0.72; day 1: 30 min, all running.
  EXPECT_NEAR(d0.operating_rate, 18.0 / 25.0, 1e-12);
  EXPECT_NEAR(d1.operating_rate, 1.0, 1e-12);
  EXPECT_EQ(d1.machines_running, 1);
  EXPECT_NEAR(d0.observed_machine_h, 25, 1e-9);
  EXPECT_NEAR(d1.observed_machine_h, 0.5, 1e-9);
  EXPECT_EQ(d0.alarms_raised, 2);
  EXPECT_EQ(d1.alarms_raised, 1);
}

TEST_F(ParkMetricsTest, ScopeBoundsTheEnterprisesAndBadRangesAreRefused) {
  seed();
  ParkMetrics m(*store_, *tsdb_, [this] { return now_; });
  meta::Scope other_park{tenant_, park2_, ""};
  auto no = m.days(other_park, {e_}, kD0, kD0);
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code, Errc::kNotFound);
  EXPECT_EQ(m.days(meta::Scope::tenant(other_tenant_), {e_}, kD0, kD0).error().code, Errc::kNotFound);
  auto e2 = m.days(other_park, {e2_}, kD0, kD0);
  ASSERT_TRUE(e2) << e2.error().message;
  EXPECT_DOUBLE_EQ((*e2)[0].electricity_kwh, 98);
  EXPECT_EQ((*e2)[0].alarms_raised, 1);
  EXPECT_EQ((*e2)[0].machines, 0);
  EXPECT_EQ(m.days(meta::Scope::tenant(tenant_), {e_}, kD1, kD0).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(m.days(meta::Scope::tenant(tenant_), {e_}, kD0, kD0 + 400 * kDayMs).error().code, Errc::kInvalidArgument);
}

TEST_F(ParkMetricsTest, ResultsAreCachedForTheTtlThenRecomputed) {
  seed();
  ParkMetrics m(*store_, *tsdb_, [this] { return now_; }, 30'000);
  auto scope = meta::Scope::tenant(tenant_);
  EXPECT_DOUBLE_EQ((*m.days(scope, {e_}, kD1, kD1))[0].electricity_kwh, 53);
  put(meter_, "energy_kwh", kD1 + 9 * kH, 40.0);  // +12
  now_ += 29'000;
  EXPECT_DOUBLE_EQ((*m.days(scope, {e_}, kD1, kD1))[0].electricity_kwh, 53);
  now_ += 2'000;
  EXPECT_DOUBLE_EQ((*m.days(scope, {e_}, kD1, kD1))[0].electricity_kwh, 65);
}

}  // namespace
}  // namespace kaiwu::report
