#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sim/factory.hpp"
#include "sim/signals.hpp"

namespace kaiwu::sim {
namespace {

// Monday 2024-01-08 00:00 at UTC+8, in ms since the epoch.
constexpr std::int64_t kMonday = 1704643200000;  // 2024-01-07T16:00:00Z
constexpr std::int64_t kHour = 3'600'000;

TEST(ShiftPattern, WorkdaysAndShifts) {
  ShiftPattern s;
  EXPECT_FALSE(s.producing(kMonday + 7 * kHour));
  EXPECT_TRUE(s.producing(kMonday + 9 * kHour));
  EXPECT_FALSE(s.producing(kMonday + 12 * kHour + kHour / 2));  // lunch
  EXPECT_TRUE(s.producing(kMonday + 21 * kHour));
  EXPECT_FALSE(s.producing(kMonday + 23 * kHour));
  EXPECT_TRUE(s.producing(kMonday + 4 * 24 * kHour + 9 * kHour));   // Friday
  EXPECT_FALSE(s.producing(kMonday + 5 * 24 * kHour + 9 * kHour));  // Saturday
  EXPECT_FALSE(s.producing(kMonday + 6 * 24 * kHour + 9 * kHour));  // Sunday
  s.every_day = true;
  EXPECT_TRUE(s.producing(kMonday + 6 * 24 * kHour + 9 * kHour));
}

TEST(CncModel, StatesFollowTheShiftsAndPartsOnlyIncrease) {
  CncModel m(7, ShiftPattern{});
  std::int64_t last_parts = 0, running_in_shift = 0, samples_in_shift = 0;
  for (std::int64_t t = kMonday; t < kMonday + 24 * kHour; t += 1000) {
    m.step(t);
    ASSERT_GE(m.parts(), last_parts);
    last_parts = m.parts();
    bool producing = ShiftPattern{}.producing(t);
    if (!producing && t > kMonday + 60'000) {
      ASSERT_NE(m.state(), MachineState::kRunning) << "running off shift at " << (t - kMonday) / 1000;
      if (m.state() == MachineState::kIdle) {
        ASSERT_EQ(m.spindle_speed(), 0);
      }
    }
    if (producing) ++samples_in_shift;
    if (producing && m.state() == MachineState::kRunning) {
      ++running_in_shift;
      ASSERT_NEAR(m.spindle_speed(), 8000, 8000 * 0.03);
    }
  }
  EXPECT_GT(running_in_shift, samples_in_shift * 6 / 10);  // mostly running during shifts
  // 12 shift hours at ~45 s a part, minus idle spells and faults.
  EXPECT_GT(m.parts(), 500);
  EXPECT_LT(m.parts(), 12 * 3600 / 40);
}

TEST(CncModel, DeterministicForASeed) {
  CncModel a(99, ShiftPattern{}), b(99, ShiftPattern{}), c(100, ShiftPattern{});
  for (std::int64_t t = kMonday + 8 * kHour; t < kMonday + 10 * kHour; t += 1000) {
    a.step(t);
    b.step(t);
    c.step(t);
  }
  EXPECT_EQ(a.values(), b.values());
  EXPECT_NE(a.values(), c.values());
}

TEST(BoilerModel, BurnerSequenceAndPlausibleRanges) {
  BoilerModel m(11, ShiftPattern{});
  std::map<BurnerState, std::int64_t> seconds;
  double last_total = 0, last_steam = 0, last_water = 0;
  int purges = 0;
  std::int64_t in_band = 0;
  BurnerState prev = m.state();
  for (std::int64_t t = kMonday; t < kMonday + 2 * 24 * kHour; t += 1000) {
    m.step(t);
    auto v = m.values();
    auto get = [&v](std::string_view k) {
      for (const auto& [key, value] : v)
        if (key == k) return std::holds_alternative<double>(value) ? std::get<double>(value)
                                                                   : static_cast<double>(std::get<std::int64_t>(value));
      return std::nan("");
    };
    ++seconds[m.state()];
    ASSERT_GE(m.gas_total_m3(), last_total);
    last_total = m.gas_total_m3();
    ASSERT_GE(m.steam_total_t(), last_steam);
    ASSERT_GE(m.water_total_m3(), last_water);
    last_steam = m.steam_total_t();
    last_water = m.water_total_m3();
    ASSERT_GE(get("steam_pressure_mpa"), 0.0);
    ASSERT_LE(get("steam_pressure_mpa"), 1.25);
    ASSERT_LT(get("steam_pressure_mpa"), 1.2);  // safety valve 1.25
    if (get("steam_pressure_mpa") >= 0.85) ++in_band;
    ASSERT_LT(std::abs(get("drum_level_mm")), 150) << (t - kMonday) / 1000;
    ASSERT_GE(get("flue_gas_temp_c"), 20);
    ASSERT_LE(get("flue_gas_temp_c"), 200);
    ASSERT_GE(get("steam_flow_t_h"), 0);
    ASSERT_LE(get("steam_flow_t_h"), BoilerModel::kRatedSteam);
    if (m.state() == BurnerState::kFiring) {
      ASSERT_GT(get("gas_flow_m3_h"), 60);
      ASSERT_LT(get("gas_flow_m3_h"), 330);
      ASSERT_GE(get("efficiency_pct"), 84);
      ASSERT_LE(get("efficiency_pct"), 94);
    } else {
      ASSERT_EQ(get("gas_flow_m3_h"), 0);
      ASSERT_EQ(get("efficiency_pct"), 0);
    }
    // Firing only after a purge; a cut-out or a lockout never goes straight back to firing.
    if (m.state() == BurnerState::kFiring && prev != BurnerState::kFiring) {
      ASSERT_EQ(prev, BurnerState::kPurge);
    }
    if (m.state() == BurnerState::kPurge && prev != BurnerState::kPurge) ++purges;
    prev = m.state();
  }
  // Mostly firing; at night's low load it cycles on pressure (off ↔ purge ↔ firing).
  EXPECT_GT(seconds[BurnerState::kFiring], seconds[BurnerState::kOff]);
  EXPECT_GT(seconds[BurnerState::kOff], 0);
  EXPECT_GT(purges, 5);
  EXPECT_GT(in_band, 2 * 86400 * 9 / 10);  // pressure held in 0.85–1.15 MPa but for lockouts
  EXPECT_EQ(seconds[BurnerState::kPurge] % 30, 0);
  // ~2.6 t/h for 12 h a day plus 0.5 t/h otherwise at ~75 Nm³ of gas per tonne of steam.
  EXPECT_GT(m.gas_total_m3(), 2 * (12 * 2.6 + 12 * 0.5) * 65);
  EXPECT_LT(m.gas_total_m3(), 2 * (12 * 2.6 + 12 * 0.5) * 90);
  // Steam and make-up water totals: the same demand, ~2 × (12 × 2.6 + 12 × 0.5) = 74 t in two days;
  // the make-up water is the feedwater (≈ the steam) plus 3 % blowdown.
  EXPECT_GT(m.steam_total_t(), 74 * 0.9);
  EXPECT_LT(m.steam_total_t(), 74 * 1.1);
  EXPECT_GT(m.water_total_m3(), m.steam_total_t());
  EXPECT_LT(m.water_total_m3(), m.steam_total_t() * 1.1);
}

TEST(BoilerModel, DeterministicForASeed) {
  BoilerModel a(5, ShiftPattern{}), b(5, ShiftPattern{}), c(6, ShiftPattern{});
  for (std::int64_t t = kMonday + 7 * kHour; t < kMonday + 10 * kHour; t += 1000) {
    a.step(t);
    b.step(t);
    c.step(t);
  }
  EXPECT_EQ(a.values(), b.values());
  EXPECT_NE(a.values(), c.values());
}

TEST(MeterModel, EnergyIsTheIntegralOfPowerAndNeverDecreases) {
  MeterModel m(3, 1000);
  double expected = 1000, last = 1000;
  std::int64_t t = kMonday;
  m.step(t, 10);
  for (int i = 0; i < 5000; ++i) {
    std::int64_t dt = 500 + (i % 7) * 300;
    t += dt;
    m.step(t, 20 + 15 * std::sin(i / 50.0));
    expected += m.power_kw() * static_cast<double>(dt) / 3'600'000.0;
    ASSERT_GE(m.energy_kwh(), last);
    last = m.energy_kwh();
  }
  EXPECT_NEAR(m.energy_kwh(), expected, 1e-9);
  EXPECT_GT(m.energy_kwh(), 1000 + 20);
}

TEST(Factory, MetersMeasureTheirWorkshopsMachines) {
  SimConfig c;
  c.cnc = 2;
  c.compressors = 1;
  c.boilers = 1;
  c.meters = 1;
  c.stations = 0;
  c.sensors = 0;
  Factory f(c);
  for (std::int64_t t = kMonday + 9 * kHour; t < kMonday + 9 * kHour + 600'000; t += 1000) f.step(t);
  auto get = [&f](const char* dev, const char* key) { return std::get<double>(*f.value(dev, key)); };
  // The boiler's combustion fan and feed pump are on the workshop meter too.
  double machines = get("cnc-01", "power_kw") + get("cnc-02", "power_kw") + get("compressor-01", "power_kw") +
                    get("boiler-01", "power_kw");
  EXPECT_NEAR(get("meter-01", "power_kw"), machines + 3.0, (machines + 3.0) * 0.03 + 0.01);
  EXPECT_GT(get("compressor-01", "pressure_mpa"), 0.6);
  EXPECT_LT(get("compressor-01", "pressure_mpa"), 0.82);
  EXPECT_FALSE(f.value("cnc-09", "power_kw"));
  EXPECT_FALSE(f.value("cnc-01", "colour"));
  EXPECT_TRUE(f.write("cnc-01", "spindle_setpoint", tsdb::Value(6000.0)));
  EXPECT_EQ(f.write("cnc-01", "part_count", tsdb::Value(1.0)).error().code, Errc::kPermissionDenied);
  f.step(kMonday + 9 * kHour + 601'000);
  EXPECT_EQ(get("cnc-01", "spindle_setpoint"), 6000);
}

TEST(StationModel, DiurnalCycleAndOccasionalExceedances) {
  StationModel s(5, ShiftPattern{});
  double day = 0, night = 0;
  int day_n = 0, night_n = 0, exceed = 0;
  for (std::int64_t t = kMonday; t < kMonday + 5 * 24 * kHour; t += 5000) {
    s.step(t);
    double hour = static_cast<double>(((t - kMonday) % (24 * kHour))) / kHour;
    if (hour >= 9 && hour < 11) day += s.so2(), ++day_n;
    if (hour >= 2 && hour < 4) night += s.so2(), ++night_n;
    exceed += s.exceeding() ? 1 : 0;
  }
  EXPECT_GT(day / day_n, 1.8 * night / night_n);
  EXPECT_GT(exceed, 0);                         // episodes happen…
  EXPECT_LT(exceed, 5 * 24 * 3600 / 5 / 10);    // …but rarely
}

TEST(SimConfig, ParsesAndNamesBadKeys) {
  auto c = parse_sim_config("seed = 7\nshifts = \"always\"\n[devices]\ncnc = 5\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n"
                            "[mqtt.tokens]\nth-sensor-01 = \"TOK\"\n", "sim.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->seed, 7u);
  EXPECT_EQ(c->cnc, 5);
  EXPECT_TRUE(c->always_on);
  EXPECT_EQ(c->mqtt_tokens.at("th-sensor-01"), "TOK");
  auto bad = parse_sim_config("[devices]\nrobots = 2\n", "sim.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find("sim.toml: devices.robots: unknown key"), 0u);
  EXPECT_FALSE(parse_sim_config("[devices]\ncnc = -1\n", "sim.toml"));
  EXPECT_FALSE(parse_sim_config("shifts = \"sometimes\"\n", "sim.toml"));
}

TEST(SimConfig, TheShippedExampleParses) {
  auto c = load_sim_config(KAIWU_SOURCE_DIR "/examples/sim.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->seed, 42u);
  EXPECT_EQ(c->agvs, 1);
  EXPECT_FALSE(c->always_on);
  Factory f(*c);
  EXPECT_EQ(f.devices().size(), 11u);  // with boiler-01
}

}  // namespace
}  // namespace kaiwu::sim
