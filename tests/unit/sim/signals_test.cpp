#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>
#include <numbers>

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

// Quality and downtime signals (OEE / SPC APPs): rejects 2–4 % of parts and never decreasing, a
// reason only while standing still in a shift, bores around 25.000 mm with σ ≈ 4 µm, tool wear
// that makes the bore drift and get replaced.
TEST(CncModel, RejectsDowntimeReasonsAndBoreMeasurements) {
  ShiftPattern shifts;
  CncModel m(2024, shifts);
  std::int64_t last_rejects = 0, last_parts = 0, tool_changes = 0;
  std::map<int, int> reason_seconds;
  std::vector<double> bores;
  for (std::int64_t t = kMonday; t < kMonday + 5 * 24 * kHour; t += 1000) {
    m.step(t);
    ASSERT_GE(m.rejects(), last_rejects);
    last_rejects = m.rejects();
    const int reason = static_cast<int>(m.downtime_reason());
    if (m.state() == MachineState::kRunning || !shifts.producing(t)) {
      ASSERT_EQ(reason, 0) << (t - kMonday) / 1000;
    } else {
      ASSERT_GE(reason, 1);
      ASSERT_LE(reason, 5);
      if (m.state() == MachineState::kFault) {
        ASSERT_EQ(m.downtime_reason(), DowntimeReason::kFault);
      }
      ++reason_seconds[reason];
    }
    if (m.parts() != last_parts) {
      last_parts = m.parts();
      bores.push_back(m.bore_mm());
    }
    if (m.downtime_reason() == DowntimeReason::kToolChange && m.state() == MachineState::kIdle) ++tool_changes;
  }
  ASSERT_GT(m.parts(), 3000);
  const double reject_rate = static_cast<double>(m.rejects()) / static_cast<double>(m.parts());
  EXPECT_GT(reject_rate, 0.02);
  EXPECT_LT(reject_rate, 0.04);
  for (int r = 1; r <= 5; ++r) EXPECT_GT(reason_seconds[r], 0) << "reason " << r << " never seen";
  EXPECT_GT(tool_changes, 0);
  double sum = 0, sq = 0;
  for (double b : bores) sum += b;
  const double mean = sum / static_cast<double>(bores.size());
  for (double b : bores) sq += (b - mean) * (b - mean);
  const double sd = std::sqrt(sq / static_cast<double>(bores.size() - 1));
  EXPECT_NEAR(mean, CncModel::kBoreNominal, 0.005);
  EXPECT_GT(sd, 0.0035);  // σ 4 µm plus wear drift and mean shifts
  EXPECT_LT(sd, 0.007);
  // The bore is reported in whole micrometres, as the register (×0.001) holds it.
  EXPECT_NEAR(bores.back() * 1000, std::round(bores.back() * 1000), 1e-6);
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

namespace kaiwu::sim {
namespace {

double amplitude_at(const std::vector<double>& x, double hz) {  // 1 Hz samples
  double re = 0, im = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    re += x[i] * std::cos(2 * std::numbers::pi * hz * static_cast<double>(i));
    im += x[i] * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i));
  }
  return 2 * std::hypot(re, im) / static_cast<double>(x.size());
}

TEST(CompressorModel, BearingWearRaisesVibrationAndMaintenanceResetsIt) {
  ShiftPattern always;
  always.shifts = {{0, 24 * 60}};
  always.every_day = true;
  CompressorModel m(5, always), twin(5, always);
  const double w0 = m.bearing_wear();
  EXPECT_GE(w0, 0.05);
  EXPECT_LE(w0, 0.6);
  auto window = [&](std::int64_t from, double* vib, double* temp) {  // 400 s of 1 Hz samples
    std::vector<double> wave;
    double v = 0;
    for (std::int64_t t = from; t < from + 400'000; t += 1000) {
      m.step(t);
      twin.step(t);
      auto vals = m.values();
      EXPECT_EQ(vals, twin.values());  // deterministic for a seed
      std::map<std::string, tsdb::Value> kv(vals.begin(), vals.end());
      wave.push_back(std::get<double>(kv["vib_wave_mm_s"]));
      v += std::get<double>(kv["vibration_mm_s"]) / 400;
      *temp = std::get<double>(kv["bearing_temp_c"]);
    }
    *vib = v;
    return amplitude_at(wave, CompressorModel::kDefectHz);
  };
  double vib_early = 0, temp_early = 0, vib_late = 0, temp_late = 0;
  const double defect_early = window(kMonday, &vib_early, &temp_early);
  // Two running days later (the models skip gaps above an hour, so walk through them).
  for (std::int64_t t = kMonday + 400'000; t < kMonday + 2 * 24 * kHour; t += 60'000) {
    m.step(t);
    twin.step(t);
  }
  const double w5 = m.bearing_wear();
  EXPECT_NEAR(w5, (w0 + 0.02) * std::exp(CompressorModel::kWearRate * 2 * 86400) - 0.02, 0.01);
  const double defect_late = window(kMonday + 2 * 24 * kHour, &vib_late, &temp_late);
  EXPECT_GT(vib_late, vib_early + 1.8 * (w5 * w5 - w0 * w0) * 0.5);
  EXPECT_GT(temp_late, temp_early);
  EXPECT_NEAR(defect_early, 0.05 + 2.5 * w0 * w0, 0.08);
  EXPECT_NEAR(defect_late, 0.05 + 2.5 * w5 * w5, 0.08);
  m.maintain();
  EXPECT_LT(m.bearing_wear(), 0.05);
  std::map<std::string, tsdb::Value> kv;
  for (auto& [k, v] : m.values()) kv[k] = v;
  EXPECT_EQ(std::get<std::int64_t>(kv["maintenance_count"]), 1);
}

TEST(Factory, CompressorMaintenanceIsWritable) {
  SimConfig c;
  Factory f(c);
  f.step(kMonday + 9 * kHour);
  EXPECT_TRUE(f.write("compressor-01", "maintenance", std::int64_t{1}).has_value());
  EXPECT_EQ(std::get<std::int64_t>(*f.value("compressor-01", "maintenance_count")), 1);
  EXPECT_FALSE(f.write("compressor-01", "maintenance", std::int64_t{7}).has_value());
  EXPECT_FALSE(f.write("compressor-01", "pressure_mpa", 0.5).has_value());
}

TEST(EnvSensorModel, RareGasLeakEpisodes) {
  EnvSensorModel m(11), twin(11);
  int leaks = 0;
  bool was = false;
  double peak_co = 0, peak_lel = 0, quiet_co = 0;
  for (std::int64_t t = kMonday; t < kMonday + 7 * 24 * kHour; t += 5000) {
    m.step(t);
    twin.step(t);
    ASSERT_EQ(m.values(), twin.values());
    std::map<std::string, tsdb::Value> kv;
    for (auto& [k, v] : m.values()) kv[k] = v;
    const double co = std::get<double>(kv["co_ppm"]), lel = std::get<double>(kv["lel_pct"]);
    if (m.leaking() && !was) ++leaks;
    was = m.leaking();
    peak_co = std::max(peak_co, co);
    peak_lel = std::max(peak_lel, lel);
    if (!m.leaking() && t > kMonday + kHour) quiet_co = std::max(quiet_co, co);
  }
  EXPECT_GE(leaks, 3);  // about one per 12 h
  EXPECT_LE(leaks, 30);
  EXPECT_GT(peak_co, 25);
  EXPECT_GT(peak_lel, 5);
  EXPECT_LT(quiet_co, peak_co);
}

}  // namespace
}  // namespace kaiwu::sim
