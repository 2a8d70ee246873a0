#include "sim/signals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kaiwu::sim {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Seconds since the previous step, in sub-steps of at most 1 s so long gaps (a paused demo)
// still walk the state machines; gaps beyond an hour are skipped.
template <typename F>
void advance(std::int64_t& last_ms, std::int64_t now_ms, F&& step_s) {
  if (last_ms == 0 || now_ms <= last_ms) {
    if (last_ms == 0) {
      last_ms = now_ms;
      step_s(0.0, now_ms);
    }
    return;
  }
  std::int64_t from = std::max(last_ms, now_ms - 3'600'000);
  while (from < now_ms) {
    std::int64_t to = std::min(from + 1000, now_ms);
    step_s(static_cast<double>(to - from) / 1000.0, to);
    from = to;
  }
  last_ms = now_ms;
}

double local_hour(std::int64_t ms, int offset_h) {
  std::int64_t local = ms + static_cast<std::int64_t>(offset_h) * 3'600'000;
  return static_cast<double>(((local % kMsPerDay) + kMsPerDay) % kMsPerDay) / 3'600'000.0;
}

double lag(double value, double target, double dt_s, double tau_s) {
  return value + (target - value) * (1 - std::exp(-dt_s / tau_s));
}

}  // namespace

bool ShiftPattern::producing(std::int64_t ms) const {
  std::int64_t local = ms + static_cast<std::int64_t>(utc_offset_h) * 3'600'000;
  std::int64_t day = local >= 0 ? local / kMsPerDay : (local - kMsPerDay + 1) / kMsPerDay;
  int weekday = static_cast<int>(((day + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday; 0 = Monday
  if (!every_day && (weekday == 6 || (weekday == 5 && !saturdays))) return false;
  int minute = static_cast<int>((local - day * kMsPerDay) / 60'000);
  for (const auto& [start, end] : shifts)
    if (minute >= start && minute < end) return true;
  return false;
}

double quantize(double v, int decimals) {
  double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

std::string_view state_name(MachineState s) {
  switch (s) {
    case MachineState::kIdle: return "idle";
    case MachineState::kRunning: return "running";
    case MachineState::kFault: return "fault";
  }
  return "idle";
}

CncModel::CncModel(std::uint64_t seed, ShiftPattern shifts, double cycle_s)
    : rng_(seed), quality_rng_(seed ^ 0x9E3779B97F4A7C15ull), shifts_(std::move(shifts)), cycle_s_(cycle_s) {}

void CncModel::finish_part() {
  wear_ += (0.8 + 0.4 * quality_rng_.uniform()) / 250;  // a boring insert lasts ~250 parts
  if (shift_parts_left_ > 0) {
    --shift_parts_left_;
  } else if (quality_rng_.chance(1.0 / 300)) {  // fixture or thermal shift for 15–40 parts
    shift_mm_ = (quality_rng_.chance(0.5) ? 1 : -1) * (0.003 + 0.003 * quality_rng_.uniform());
    shift_parts_left_ = 15 + static_cast<int>(quality_rng_.uniform() * 25);
  }
  double mean = kBoreNominal - 0.004 * wear_ * wear_ + (shift_parts_left_ > 0 ? shift_mm_ : 0);
  bore_mm_ = quantize(quality_rng_.normal(mean, kBoreSigma), 3);
  bool out_of_tolerance = std::abs(bore_mm_ - kBoreNominal) > kBoreTolerance;
  if (quality_rng_.chance(0.016 + 0.02 * std::min(wear_, 1.2)) || out_of_tolerance) ++rejects_;
}

// The reason of an idle spell after a part: a worn tool is changed, otherwise material, setup
// or the operator.
DowntimeReason CncModel::idle_reason() {
  if (wear_ >= 0.85) {
    wear_ = 0;
    return DowntimeReason::kToolChange;
  }
  double u = quality_rng_.uniform();
  return u < 0.55 ? DowntimeReason::kWaitingMaterial : u < 0.8 ? DowntimeReason::kSetup : DowntimeReason::kNoOperator;
}

void CncModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    bool producing = shifts_.producing(t);
    switch (state_) {
      case MachineState::kFault:
        state_left_s_ -= dt;
        if (state_left_s_ <= 0) {
          state_ = MachineState::kIdle;
          state_left_s_ = 60;  // reset and restart (still downtime of the fault)
        }
        break;
      case MachineState::kIdle:
        if (producing) {
          if (reason_ == DowntimeReason::kNone && state_left_s_ > 0) reason_ = DowntimeReason::kSetup;  // spell spans a shift start
          state_left_s_ -= dt;
          if (state_left_s_ <= 0) state_ = MachineState::kRunning;
        }
        break;
      case MachineState::kRunning:
        if (!producing) {
          state_ = MachineState::kIdle;
          state_left_s_ = 0;
          break;
        }
        if (dt > 0 && rng_.chance(dt / (3 * 3600.0))) {  // about one fault per three hours
          state_ = MachineState::kFault;
          state_left_s_ = 180 + rng_.uniform() * 720;
          ++alarms_;
          reason_ = DowntimeReason::kFault;
          break;
        }
        cycle_progress_s_ += dt * std::clamp(speed_ / std::max(setpoint_, 1.0), 0.2, 1.5);
        if (cycle_progress_s_ >= cycle_s_) {
          cycle_progress_s_ = 0;
          ++parts_;
          finish_part();
          if (rng_.chance(0.12)) {  // tool change or loading
            state_ = MachineState::kIdle;
            state_left_s_ = 20 + rng_.uniform() * 70;
            reason_ = idle_reason();
          }
        }
        break;
    }
    if (state_ == MachineState::kRunning || !producing) reason_ = DowntimeReason::kNone;
    bool running = state_ == MachineState::kRunning;
    speed_ = running ? std::max(0.0, rng_.normal(setpoint_, setpoint_ * 0.004)) : 0;
    load_ = running ? std::clamp(rng_.normal(60, 8), 20.0, 100.0) : 0;
    feed_ = running ? std::max(0.0, rng_.normal(1200, 15)) : 0;
    power_kw_ = running ? 4.5 + 0.11 * load_ : (state_ == MachineState::kFault ? 0.4 : 0.8);
    temp_ = lag(temp_, running ? 28 + 0.25 * load_ : 26, dt, 600);
  });
}

Values CncModel::values() const {
  return {{"state", std::string(state_name(state_))},
          {"state_code", std::int64_t{static_cast<std::uint8_t>(state_)}},
          {"spindle_speed", quantize(speed_, 0)},
          {"spindle_setpoint", quantize(setpoint_, 0)},
          {"spindle_load", quantize(load_, 1)},
          {"spindle_temp", quantize(temp_, 1)},
          {"feed_rate", quantize(feed_, 0)},
          {"part_count", parts_},
          {"alarm_count", alarms_},
          {"power_kw", quantize(power_kw_, 2)},
          {"reject_count", rejects_},
          {"downtime_reason", std::int64_t{static_cast<std::uint8_t>(reason_)}},
          {"bore_diameter_mm", bore_mm_}};
}

CompressorModel::CompressorModel(std::uint64_t seed, ShiftPattern shifts)
    : rng_(seed), shifts_(std::move(shifts)), wear_rng_(seed ^ 0x9e3779b97f4a7c15ULL) {
  bearing_ = 0.05 + 0.55 * wear_rng_.uniform();  // machines of different ages
}

void CompressorModel::maintain() {
  bearing_ = 0.01 + 0.03 * wear_rng_.uniform();
  wear_ = 0;
  ++maintenance_count_;
}

void CompressorModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    running_ = shifts_.producing(t) || (running_ && rng_.chance(1 - dt / 600.0));  // runs on a while after
    if (running_) {
      if (loaded_ && pressure_ >= 0.80) loaded_ = false;
      if (!loaded_ && pressure_ <= 0.65) loaded_ = true;
      pressure_ += (loaded_ ? 0.004 : -0.0025) * dt * (0.8 + 0.4 * rng_.uniform());
      run_hours_ += dt / 3600.0;
      wear_ += dt * 2e-6;
    } else {
      loaded_ = false;
      pressure_ = lag(pressure_, 0.1, dt, 900);
    }
    current_ = running_ ? rng_.normal(loaded_ ? 142 : 58, 2) : 0;
    power_kw_ = running_ ? (loaded_ ? 75.0 : 26.0) * (current_ / (loaded_ ? 142.0 : 58.0)) : 0;
    vibration_ = running_ ? std::max(0.1, rng_.normal(2.1 + wear_ + (loaded_ ? 0.6 : 0), 0.15))
                          : std::max(0.0, rng_.normal(0.05, 0.02));
    temp_ = lag(temp_, running_ ? (loaded_ ? 88 : 72) : 30, dt, 300);
    // Bearing wear (second random stream): level, temperature and the defect component.
    const double w2 = bearing_ * bearing_;
    if (running_) {
      bearing_ = std::min(1.0, bearing_ + dt * kWearRate * (bearing_ + 0.02));
      vibration_ += 1.8 * w2;
      if (bearing_ >= 0.95) maintain();  // the bearing is replaced when it is worn out
    }
    bearing_temp_ = lag(bearing_temp_, running_ ? 52 + (loaded_ ? 6 : 0) + 18 * w2 : 30, dt, 600) +
                    wear_rng_.normal(0, 0.05);
    const double ts = static_cast<double>(t) / 1000.0, two_pi = 2 * std::numbers::pi;
    wave_ = running_ ? (1.0 + (loaded_ ? 0.3 : 0)) * std::sin(two_pi * kRunHz * ts) +
                           (0.05 + 2.5 * w2) * std::sin(two_pi * kDefectHz * ts) + wear_rng_.normal(0, 0.1)
                     : wear_rng_.normal(0, 0.02);
  });
}

Values CompressorModel::values() const {
  return {{"running", running_},
          {"loaded", loaded_},
          {"pressure_mpa", quantize(pressure_, 3)},
          {"vibration_mm_s", quantize(vibration_, 2)},
          {"motor_current_a", quantize(current_, 1)},
          {"discharge_temp_c", quantize(temp_, 1)},
          {"power_kw", quantize(power_kw_, 2)},
          {"run_hours", quantize(run_hours_, 2)},
          {"bearing_temp_c", quantize(bearing_temp_, 1)},
          {"vib_wave_mm_s", quantize(wave_, 2)},
          {"maintenance_count", maintenance_count_},
          {"maintenance", std::int64_t{0}}};
}

MeterModel::MeterModel(std::uint64_t seed, double initial_kwh) : rng_(seed), energy_kwh_(initial_kwh) {}

void MeterModel::step(std::int64_t now_ms, double load_kw) {
  double dt_h = last_ms_ == 0 || now_ms <= last_ms_ ? 0 : static_cast<double>(now_ms - last_ms_) / 3'600'000.0;
  if (last_ms_ == 0 || now_ms > last_ms_) last_ms_ = now_ms;
  // The power measured over the interval, and the energy it delivered: E += P·Δt exactly.
  power_kw_ = std::max(0.0, load_kw * (1 + rng_.normal(0, 0.005)));
  energy_kwh_ += power_kw_ * dt_h;
  voltage_ = rng_.normal(230, 1.2);
  pf_ = std::clamp(0.86 + 0.0008 * power_kw_ + rng_.normal(0, 0.004), 0.5, 0.99);
  current_ = power_kw_ * 1000 / (3 * voltage_ * pf_);
  freq_ = rng_.normal(50, 0.02);
}

Values MeterModel::values() const {
  return {{"energy_kwh", quantize(energy_kwh_, 2)}, {"power_kw", quantize(power_kw_, 3)},
          {"voltage_v", quantize(voltage_, 1)},    {"current_a", quantize(current_, 2)},
          {"power_factor", quantize(pf_, 3)},      {"frequency_hz", quantize(freq_, 2)}};
}

StationModel::StationModel(std::uint64_t seed, ShiftPattern shifts) : rng_(seed), shifts_(std::move(shifts)) {}

void StationModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    double hour = local_hour(t, shifts_.utc_offset_h);
    double diurnal = 0.15 * std::sin((hour - 8) / 24.0 * 2 * std::numbers::pi);
    double load = (shifts_.producing(t) ? 1.0 : 0.35) + diurnal;
    if (episode_left_s_ > 0) episode_left_s_ -= dt;
    else if (dt > 0 && rng_.chance(dt / (6 * 3600.0))) episode_left_s_ = 600 + rng_.uniform() * 1200;
    double upset = episode_left_s_ > 0 ? 2.2 : 1.0;
    so2_ = std::max(0.0, rng_.normal(19 * load * upset, 1.2));
    nox_ = std::max(0.0, rng_.normal(31 * load * (episode_left_s_ > 0 ? 1.8 : 1.0), 2));
    dust_ = std::max(0.0, rng_.normal(4.2 * load * (episode_left_s_ > 0 ? 2.6 : 1.0), 0.3));
    flow_ = std::max(0.0, rng_.normal(118'000 * load, 1500));
    o2_ = std::clamp(rng_.normal(9.5 - 2.5 * load, 0.2), 3.0, 21.0);
    temp_ = lag(temp_ == 0 ? 60 : temp_, 55 + 45 * load, dt, 900);
  });
}

Values StationModel::values() const {
  return {{"so2_mg_m3", quantize(so2_, 2)},   {"nox_mg_m3", quantize(nox_, 2)},
          {"dust_mg_m3", quantize(dust_, 2)}, {"flow_m3_h", quantize(flow_, 0)},
          {"o2_pct", quantize(o2_, 2)},       {"flue_temp_c", quantize(temp_, 1)},
          {"exceeding", so2_ > kSo2Limit || nox_ > kNoxLimit || dust_ > kDustLimit}};
}

AgvModel::AgvModel(std::uint64_t seed, ShiftPattern shifts) : rng_(seed), shifts_(std::move(shifts)) {
  s_ = rng_.uniform() * 320;
}

void AgvModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    constexpr double kLoop = 2 * (120 + 40);
    if (charging_) {
      battery_ = std::min(100.0, battery_ + dt * 0.05);
      if (battery_ >= 95) charging_ = false;
      speed_ = 0;
      return;
    }
    if (battery_ < 20) charging_ = true;
    if (dwell_s_ > 0 || !shifts_.producing(t)) {
      dwell_s_ = std::max(0.0, dwell_s_ - dt);
      speed_ = 0;
    } else {
      speed_ = std::max(0.0, rng_.normal(1.2, 0.05));
      double before = s_;
      s_ = std::fmod(s_ + speed_ * dt, kLoop);
      odometer_ += speed_ * dt;
      if (std::floor(before / 80) != std::floor(s_ / 80)) dwell_s_ = 15 + rng_.uniform() * 30;  // a station
      battery_ = std::max(0.0, battery_ - dt * 0.004);
    }
    battery_ = std::max(0.0, battery_ - dt * 0.0005);
  });
}

Values AgvModel::values() const {
  // Position on the loop: along the bottom, up the right side, back along the top, down the left.
  double x = 0, y = 0, s = s_;
  if (s < 120) x = s, y = 0;
  else if (s < 160) x = 120, y = s - 120;
  else if (s < 280) x = 280 - s, y = 40;
  else x = 0, y = 320 - s;
  return {{"x_m", quantize(x, 2)},
          {"y_m", quantize(y, 2)},
          {"speed_m_s", quantize(speed_, 2)},
          {"battery_pct", quantize(battery_, 1)},
          {"odometer_m", quantize(odometer_, 1)},
          {"state", std::string(charging_ ? "charging" : speed_ > 0 ? "moving" : "waiting")}};
}

EnvSensorModel::EnvSensorModel(std::uint64_t seed) : rng_(seed), gas_rng_(seed ^ 0x6a09e667f3bcc909ULL) {}

void EnvSensorModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    double hour = local_hour(t, 8);
    double target = 24 + 3.5 * std::sin((hour - 9) / 24.0 * 2 * std::numbers::pi);
    temp_ = lag(temp_, target, dt, 1200) + rng_.normal(0, 0.02);
    humidity_ = std::clamp(lag(humidity_, 70 - 1.2 * temp_, dt, 1200) + rng_.normal(0, 0.05), 15.0, 95.0);
    // Gas cells (second random stream): background, and rare leaks that build up and clear.
    if (leak_left_s_ > 0) {
      leak_left_s_ -= dt;
    } else if (dt > 0 && gas_rng_.chance(dt / (12 * 3600.0))) {
      leak_left_s_ = 180 + 540 * gas_rng_.uniform();
      leak_co_ = 30 + 120 * gas_rng_.uniform();
      leak_lel_ = 8 + 32 * gas_rng_.uniform();
    }
    const bool leak = leak_left_s_ > 0;
    co_ = std::max(0.0, lag(co_, leak ? leak_co_ : 1.5, dt, leak ? 45 : 120) + gas_rng_.normal(0, 0.1));
    lel_ = std::max(0.0, lag(lel_, leak ? leak_lel_ : 0.3, dt, leak ? 45 : 120) + gas_rng_.normal(0, 0.05));
  });
}

Values EnvSensorModel::values() const {
  return {{"temperature", quantize(temp_, 1)}, {"humidity", quantize(humidity_, 1)},
          {"co_ppm", quantize(co_, 1)}, {"lel_pct", quantize(lel_, 1)}};
}

}  // namespace kaiwu::sim

namespace kaiwu::sim {

std::string_view burner_state_name(BurnerState s) {
  switch (s) {
    case BurnerState::kOff: return "off";
    case BurnerState::kPurge: return "purge";
    case BurnerState::kFiring: return "firing";
    case BurnerState::kAlarm: return "alarm";
  }
  return "off";
}

BoilerModel::BoilerModel(std::uint64_t seed, ShiftPattern shifts) : rng_(seed), shifts_(std::move(shifts)) {
  pressure_ = 0.92 + 0.1 * rng_.uniform();
}

void BoilerModel::step(std::int64_t now_ms) {
  advance(last_ms_, now_ms, [this](double dt, std::int64_t t) {
    // Steam demand of the plant, with slow process noise.
    double target = shifts_.producing(t) ? 2.6 : 0.5;
    demand_ = std::clamp(lag(demand_, target, dt, 300) + rng_.normal(0, 0.02) * std::sqrt(dt), 0.2, 3.8);
    switch (state_) {
      case BurnerState::kOff:
        rate_ = 0;
        if (pressure_ < kCutIn) {
          state_ = BurnerState::kPurge;
          state_left_s_ = 30;
        }
        break;
      case BurnerState::kPurge:
        rate_ = 0;
        if ((state_left_s_ -= dt) <= 0) {
          state_ = BurnerState::kFiring;
          rate_ = 0.3;  // light-off at low fire
        }
        break;
      case BurnerState::kFiring: {
        // Modulation: proportional on pressure around the setpoint plus the demand feed-forward.
        double want = demand_ / kRatedSteam + (kSetpoint - pressure_) * 6;
        rate_ = std::clamp(lag(rate_, want, dt, 20), 0.3, 1.0);
        if (pressure_ > kCutOut) {
          state_ = BurnerState::kOff;
        } else if (rng_.chance(dt / (6 * 3600.0))) {  // flame failure or low-low water: lockout
          state_ = BurnerState::kAlarm;
          state_left_s_ = 300 + 900 * rng_.uniform();
          ++trips_;
        }
        break;
      }
      case BurnerState::kAlarm:
        rate_ = 0;
        if ((state_left_s_ -= dt) <= 0) state_ = BurnerState::kOff;  // reset by the operator
        break;
    }
    const bool firing = state_ == BurnerState::kFiring;
    generation_ = lag(generation_, firing ? rate_ * kRatedSteam : 0, dt, 40);
    // The header takes what it demands while there is pressure to push it.
    steam_ = demand_ * std::clamp((pressure_ - 0.2) / 0.3, 0.0, 1.0);
    double before = pressure_;
    pressure_ = std::clamp(pressure_ + (generation_ - steam_) * 0.0012 * dt, 0.0, 1.25);
    // Drum level: feedwater PI-like controller; swell when pressure falls, shrink when it rises.
    feed_ = std::clamp(steam_ - level_ * 0.05, 0.0, 6.0);
    level_ += (feed_ - generation_) * 0.14 * dt - (pressure_ - before) * 100 + rng_.normal(0, 0.4) * std::sqrt(dt);
    level_ = std::clamp(level_, -200.0, 200.0);
    flue_ = lag(flue_, firing ? 125 + 65 * rate_ : (state_ == BurnerState::kPurge ? 60 : 45), dt, firing ? 90 : 900);
    gas_ = firing ? std::max(0.0, rate_ * 310 + rng_.normal(0, 2)) : 0;  // Nm³/h natural gas
    gas_total_ += gas_ * dt / 3600.0;
    // Indirect method: losses to the stack (flue − ambient) and radiation (worse at low fire).
    efficiency_ = firing ? std::clamp(100 - (flue_ - 20) * 0.05 - 1.5 / std::max(rate_, 0.3) + rng_.normal(0, 0.15),
                                      80.0, 93.0)
                         : 0;
    power_kw_ = (firing ? 5.5 + 9.5 * rate_ : state_ == BurnerState::kPurge ? 15 : 0) + (feed_ > 0.05 ? 4 : 0);
    // Totals for the energy APP; no random draws, so the other signals stay as they were.
    steam_total_ += steam_ * dt / 3600.0;
    water_total_ += feed_ * (1 + kBlowdown) * dt / 3600.0;  // 1 t of water ≈ 1 m³
  });
}

Values BoilerModel::values() const {
  return {{"burner_state", std::string(burner_state_name(state_))},
          {"burner_state_code", static_cast<std::int64_t>(state_)},
          {"steam_pressure_mpa", quantize(pressure_, 3)},
          {"drum_level_mm", quantize(level_, 1)},
          {"flue_gas_temp_c", quantize(flue_, 1)},
          {"gas_flow_m3_h", quantize(gas_, 1)},
          {"steam_flow_t_h", quantize(steam_, 3)},
          {"efficiency_pct", quantize(efficiency_, 2)},
          {"firing_rate_pct", quantize(rate_ * 100, 1)},
          {"gas_total_m3", quantize(gas_total_, 1)},
          {"trip_count", trips_},
          {"power_kw", quantize(power_kw_, 2)},
          {"steam_total_t", quantize(steam_total_, 3)},
          {"water_total_m3", quantize(water_total_, 2)}};
}

}  // namespace kaiwu::sim
