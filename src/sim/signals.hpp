// Signal models of the virtual factory: plain values advanced by step(now_ms), deterministic for
// a seed and a sequence of step times. No I/O, no clocks of their own.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/types.hpp"

namespace kaiwu::sim {

using Values = std::vector<std::pair<std::string, tsdb::Value>>;

// Working time: shifts as [start, end) minutes of the local day, Monday..Friday (and Saturday
// when saturdays = true); local time = UTC + utc_offset_h.
struct ShiftPattern {
  int utc_offset_h = 8;
  std::vector<std::pair<int, int>> shifts{{8 * 60, 12 * 60}, {13 * 60, 17 * 60}, {18 * 60, 22 * 60}};
  bool saturdays = false;
  bool every_day = false;  // weekends too
  bool producing(std::int64_t ms) const;
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(gen_); }
  double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(gen_); }
  bool chance(double p) { return uniform() < p; }

 private:
  std::mt19937_64 gen_;
};

// Rounded to `decimals` places, as a device register with a fixed scale would report it.
double quantize(double v, int decimals);

enum class MachineState : std::uint8_t { kIdle = 0, kRunning = 1, kFault = 2 };
std::string_view state_name(MachineState s);

// Why a CNC stands still while it should produce (register downtime_reason); 0 while running or
// off shift.
enum class DowntimeReason : std::uint8_t {
  kNone = 0, kWaitingMaterial = 1, kToolChange = 2, kSetup = 3, kFault = 4, kNoOperator = 5,
};

// A CNC machining centre: during shifts it runs cycles (part counter +1 per cycle), with short
// idle spells (tool change, loading) and rare faults that last minutes; outside shifts it idles.
// Each finished part's bore is measured (nominal 25.000 mm, σ 4 µm; tool wear pulls it smaller,
// occasional fixture/thermal shifts move its mean for a few dozen parts) and 2–4 % of parts are
// rejected (out of the ±15 µm tolerance, or other defects, more often on a worn tool). These
// draw from their own generator, so the other signals are the same as without them.
class CncModel {
 public:
  CncModel(std::uint64_t seed, ShiftPattern shifts, double cycle_s = 45);
  void step(std::int64_t now_ms);
  Values values() const;
  // Writable setpoint (r/min), as an operator or a platform RPC would set it.
  void set_speed_setpoint(double rpm) { setpoint_ = rpm; }

  MachineState state() const { return state_; }
  std::int64_t parts() const { return parts_; }
  double power_kw() const { return power_kw_; }
  double spindle_speed() const { return speed_; }
  double temperature() const { return temp_; }
  std::int64_t rejects() const { return rejects_; }
  DowntimeReason downtime_reason() const { return reason_; }
  double bore_mm() const { return bore_mm_; }  // of the last finished part (0 before the first)
  static constexpr double kBoreNominal = 25.0, kBoreTolerance = 0.015, kBoreSigma = 0.004;  // mm

 private:
  void finish_part();
  DowntimeReason idle_reason();

  Rng rng_;
  Rng quality_rng_;  // measurements, rejects and downtime reasons only
  ShiftPattern shifts_;
  double cycle_s_;
  std::int64_t last_ms_ = 0;
  MachineState state_ = MachineState::kIdle;
  double state_left_s_ = 0;  // remaining time of an idle spell or fault
  double cycle_progress_s_ = 0;
  std::int64_t parts_ = 0;
  std::int64_t alarms_ = 0;
  double setpoint_ = 8000;
  double speed_ = 0, load_ = 0, temp_ = 25, power_kw_ = 0.6, feed_ = 0;
  std::int64_t rejects_ = 0;
  DowntimeReason reason_ = DowntimeReason::kNone;
  double wear_ = 0;            // tool wear, 0 (new) .. ~1 (end of life); reset by a tool change
  double shift_mm_ = 0;        // mean shift of the current episode
  int shift_parts_left_ = 0;   // parts left in it
  double bore_mm_ = 0;
};

// A screw air compressor: load/unload between 0.65 and 0.80 MPa, vibration with slow wear.
// Bearing wear w (0 new … 1 worn out) grows while running, dw/dt = kWearRate·(w + 0.02), i.e.
// exponentially over simulated days; it raises the vibration level (+1.8·w² mm/s), the bearing
// temperature (+18·w² °C) and a characteristic 0.2 Hz component of the vibration waveform
// channel (amplitude 0.05 + 2.5·w² mm/s). Maintenance (a write of 1 to `maintenance`, or the
// crew replacing the bearing at w ≥ 0.95) resets w and counts `maintenance_count`. The wear
// and gas models draw from a second random stream, so the original signals are unchanged apart
// from the wear term added to vibration_mm_s.
class CompressorModel {
 public:
  CompressorModel(std::uint64_t seed, ShiftPattern shifts);
  void step(std::int64_t now_ms);
  Values values() const;
  double power_kw() const { return power_kw_; }
  bool running() const { return running_; }
  double bearing_wear() const { return bearing_; }
  void maintain();
  static constexpr double kWearRate = 2.5e-6;  // per running second: 0.05 → 1 in ≈ 12 running days
  static constexpr double kRunHz = 0.05, kDefectHz = 0.2;  // waveform components

 private:
  Rng rng_;
  ShiftPattern shifts_;
  std::int64_t last_ms_ = 0;
  bool running_ = false, loaded_ = false;
  double pressure_ = 0.1, vibration_ = 0.5, current_ = 0, power_kw_ = 0, temp_ = 30, run_hours_ = 0, wear_ = 0;
  Rng wear_rng_;
  double bearing_ = 0, bearing_temp_ = 30, wave_ = 0;
  std::int64_t maintenance_count_ = 0;
};

// A gas-fired fire-tube steam boiler (4 t/h, 1.25 MPa design, cut-in 0.90 / cut-out 1.10 MPa,
// modulating around 1.0 MPa). Burner sequence:
//   off ─pressure < cut-in, demand─▶ purge (30 s, fan only) ─▶ firing ─pressure > cut-out─▶ off
//   firing ─flame failure or low-low water (rare)─▶ alarm (5–20 min, lockout) ─reset─▶ off
// Steam demand follows the shifts (≈ 2.6 t/h producing, 0.5 t/h otherwise); pressure integrates
// generation − demand, the drum level is held near 0 mm by the feedwater controller (with
// swell when pressure drops), flue gas temperature and efficiency follow the firing rate.
enum class BurnerState : std::uint8_t { kOff = 0, kPurge = 1, kFiring = 2, kAlarm = 3 };
std::string_view burner_state_name(BurnerState s);

class BoilerModel {
 public:
  BoilerModel(std::uint64_t seed, ShiftPattern shifts);
  void step(std::int64_t now_ms);
  Values values() const;
  BurnerState state() const { return state_; }
  double pressure_mpa() const { return pressure_; }
  double gas_total_m3() const { return gas_total_; }
  double power_kw() const { return power_kw_; }  // combustion fan and feed pump
  double steam_total_t() const { return steam_total_; }  // ∫ steam flow dt
  double water_total_m3() const { return water_total_; }  // make-up water: ∫ feed × (1 + blowdown) dt
  static constexpr double kBlowdown = 0.03;  // continuous blowdown, fraction of the feedwater
  static constexpr double kCutIn = 0.90, kCutOut = 1.10, kSetpoint = 1.0, kRatedSteam = 4.0;  // MPa, t/h

 private:
  Rng rng_;
  ShiftPattern shifts_;
  std::int64_t last_ms_ = 0;
  BurnerState state_ = BurnerState::kOff;
  double state_left_s_ = 0;  // purge or lockout time left
  double rate_ = 0;          // firing rate 0..1
  double generation_ = 0;    // steam generated, t/h (lags the firing rate)
  double pressure_ = 0.95, level_ = 0, flue_ = 40, gas_ = 0, steam_ = 0, demand_ = 0.5, efficiency_ = 0;
  double gas_total_ = 0, feed_ = 0, power_kw_ = 0;
  std::int64_t trips_ = 0;
  double steam_total_ = 0, water_total_ = 0;  // t, m³ (no condensate return: every tonne is make-up)
};

// A three-phase multi-function meter: energy (kWh) integrates the active power it is given,
// so it only ever increases, by exactly ∫P dt.
class MeterModel {
 public:
  explicit MeterModel(std::uint64_t seed, double initial_kwh = 10'000);
  void step(std::int64_t now_ms, double load_kw);
  Values values() const;
  double energy_kwh() const { return energy_kwh_; }
  double power_kw() const { return power_kw_; }

 private:
  Rng rng_;
  std::int64_t last_ms_ = 0;
  double energy_kwh_, power_kw_ = 0, voltage_ = 230, current_ = 0, pf_ = 0.9, freq_ = 50;
};

// A stack-emission monitoring station (CEMS): SO2, NOx and particulates with a diurnal cycle
// following the plant's load, noise, and occasional exceedance episodes (limits per GB 13223).
class StationModel {
 public:
  StationModel(std::uint64_t seed, ShiftPattern shifts);
  void step(std::int64_t now_ms);
  Values values() const;
  double so2() const { return so2_; }
  bool exceeding() const { return episode_left_s_ > 0; }
  static constexpr double kSo2Limit = 35, kNoxLimit = 50, kDustLimit = 10;  // mg/m³

 private:
  Rng rng_;
  ShiftPattern shifts_;
  std::int64_t last_ms_ = 0;
  double episode_left_s_ = 0;
  double so2_ = 0, nox_ = 0, dust_ = 0, flow_ = 0, o2_ = 0, temp_ = 0;
};

// An AGV on a closed 120 m × 40 m loop: drives at ~1.2 m/s during shifts, stops at stations,
// charges when the battery runs low.
class AgvModel {
 public:
  AgvModel(std::uint64_t seed, ShiftPattern shifts);
  void step(std::int64_t now_ms);
  Values values() const;
  double odometer_m() const { return odometer_; }

 private:
  Rng rng_;
  ShiftPattern shifts_;
  std::int64_t last_ms_ = 0;
  double s_ = 0, speed_ = 0, battery_ = 90, odometer_ = 0, dwell_s_ = 0;
  bool charging_ = false;
};

// A temperature/humidity sensor in a workshop (a plain MQTT device), with a carbon monoxide
// (ppm) and a combustible-gas (% LEL) cell: background readings and rare leak episodes (about
// one per 12 h, 3–12 min, CO up to 30–150 ppm, LEL up to 8–40 %), from a second random stream.
class EnvSensorModel {
 public:
  explicit EnvSensorModel(std::uint64_t seed);
  void step(std::int64_t now_ms);
  Values values() const;
  bool leaking() const { return leak_left_s_ > 0; }

 private:
  Rng rng_;
  double temp_ = 22, humidity_ = 50;
  std::int64_t last_ms_ = 0;
  Rng gas_rng_;
  double co_ = 1, lel_ = 0, leak_left_s_ = 0, leak_co_ = 0, leak_lel_ = 0;
};

}  // namespace kaiwu::sim
