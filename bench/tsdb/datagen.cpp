// Industrial signal generator for bench_tsdb; the signal models are documented in datagen.hpp.
#include "datagen.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <sstream>
#include <stdexcept>

namespace kaiwu::bench::tsdb {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// The 1 Hz catalogue in the order --keys takes it.
enum BaseKey : int { kTemp, kState, kEnergy, kRunning, kPressure, kParts, kSetpoint, kAlarm, kCurrent, kFlow, kSpeed, kBaseKeys };

struct KeyTemplate {
  const char* name;
  SignalClass cls;
  ValueType type;
  int decimals;  // -1: not decimal-origin (or device-dependent for energy)
};

constexpr std::array<KeyTemplate, kBaseKeys> kCatalogue = {{
    {"temp", SignalClass::kAnalog, ValueType::kDouble, 2},
    {"state", SignalClass::kStep, ValueType::kInt, -1},
    {"energy_kwh", SignalClass::kCounter, ValueType::kDouble, -1},
    {"running", SignalClass::kBool, ValueType::kBool, -1},
    {"pressure", SignalClass::kAnalog, ValueType::kDouble, 2},
    {"parts", SignalClass::kCounter, ValueType::kInt, -1},
    {"setpoint", SignalClass::kStep, ValueType::kDouble, 1},
    {"alarm", SignalClass::kBool, ValueType::kBool, -1},
    {"current_a", SignalClass::kAnalog, ValueType::kDouble, 1},
    {"flow", SignalClass::kAnalog, ValueType::kDouble, 1},
    {"speed_rpm", SignalClass::kAnalog, ValueType::kDouble, 0},
}};

// Extra analog channels for --keys > 11 cycle through these kinds.
constexpr std::array<BaseKey, 4> kExtraKinds = {kTemp, kPressure, kFlow, kCurrent};
constexpr std::array<const char*, 3> kVibAxes = {"vib_x", "vib_y", "vib_z"};

enum MachineState : int { kOff = 0, kIdle = 1, kRun = 2, kFault = 3 };

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  // splitmix64 of a combination: decorrelates the per-device / per-channel seeds.
  std::uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::array<double, 4> kPow10 = {1.0, 10.0, 100.0, 1000.0};
constexpr std::array<double, 4> kPow10Neg = {1.0, 0.1, 0.01, 0.001};

double decimal(double x, int d, bool mul) {
  double reg = std::nearbyint(x * kPow10[d]);
  if (reg == 0) return 0.0;  // no -0.0 out of a register
  return mul ? reg * kPow10Neg[d] : reg / kPow10[d];
}

double truncate_decimal(double x, int d, bool mul) {
  double reg = std::floor(x * kPow10[d]);
  return mul ? reg * kPow10Neg[d] : reg / kPow10[d];
}

// One extra analog sensor (temp_2, …): same physics as its base kind, its own offsets and noise.
struct AnalogChannel {
  BaseKey kind = kTemp;
  std::mt19937_64 rng;
  std::normal_distribution<double> n{0.0, 1.0};
  double offset = 0, drift = 0, phase = 0, lag = 0;
};

struct DeviceSim {
  std::mt19937_64 rng;      // state machine, load, counters, base sensors
  std::mt19937_64 jitter;   // timestamp jitter only
  std::normal_distribution<double> n{0.0, 1.0};
  std::uniform_real_distribution<double> u{0.0, 1.0};

  int state = kIdle;
  double state_left = 0;
  double load = 0.6;
  double ambient_phase = 0;
  double temp_offset = 0, temp_proc = 22, temp_drift = 0;
  double press_offset = 0, press_phase = 0;
  double flow_offset = 0;
  double energy = 0;
  int energy_dec = 2;
  std::int64_t parts = 0;
  double cycle_left = 30;
  double setpoint = 180;
  double setpoint_left = 0;
  std::vector<AnalogChannel> extra;

  struct VibAxis {
    std::mt19937_64 rng;
    std::normal_distribution<double> n{0.0, 1.0};
    double a1 = 0, a2 = 0, a3 = 0, p1 = 0, p2 = 0, p3 = 0, fb = 0;
  };
  std::array<VibAxis, 3> vib;

  std::array<double, kBaseKeys> out{};  // this second's base values (as double; typed on output)
  std::vector<double> extra_out;
  double speed_hz = 0;

  double exp_dwell(double mean_s) { return -mean_s * std::log(1.0 - u(rng)); }

  void init(std::uint64_t seed, std::uint32_t dev, int n_extra) {
    rng.seed(mix(seed, dev));
    jitter.seed(mix(seed ^ 0x4a17e5ULL, dev));
    state = u(rng) < 0.6 ? kRun : kIdle;
    state_left = exp_dwell(state == kRun ? 2400 : 300);
    load = 0.4 + 0.4 * u(rng);
    ambient_phase = kTwoPi * u(rng);
    temp_offset = -5 + 10 * u(rng);
    temp_drift = 0;
    press_offset = -0.5 + u(rng);
    press_phase = kTwoPi * u(rng);
    flow_offset = -4 + 8 * u(rng);
    energy = 1e4 + 4.9e5 * u(rng);
    energy_dec = 1 + static_cast<int>(dev % 3);
    parts = static_cast<std::int64_t>(1e6 * u(rng));
    cycle_left = 30 + 2 * n(rng);
    static constexpr std::array<double, 5> kRecipes = {175.5, 180.0, 182.5, 185.0, 190.0};
    setpoint = kRecipes[static_cast<std::size_t>(u(rng) * kRecipes.size()) % kRecipes.size()];
    setpoint_left = exp_dwell(3 * 3600.0);
    temp_proc = ambient(0) + (state == kRun ? 35 : 8);
    extra.resize(static_cast<std::size_t>(n_extra));
    for (int i = 0; i < n_extra; ++i) {
      auto& c = extra[static_cast<std::size_t>(i)];
      c.kind = kExtraKinds[static_cast<std::size_t>(i) % kExtraKinds.size()];
      c.rng.seed(mix(seed ^ 0xc4a77e1ULL, (static_cast<std::uint64_t>(dev) << 16) | static_cast<std::uint64_t>(i)));
      std::uniform_real_distribution<double> cu{0.0, 1.0};
      c.offset = -3 + 6 * cu(c.rng);
      c.phase = kTwoPi * cu(c.rng);
      c.lag = temp_proc + c.offset;
    }
    extra_out.assign(extra.size(), 0.0);
    for (std::size_t a = 0; a < vib.size(); ++a) {
      auto& v = vib[a];
      v.rng.seed(mix(seed ^ 0x71b0ULL, (static_cast<std::uint64_t>(dev) << 4) | a));
      std::uniform_real_distribution<double> vu{0.0, 1.0};
      v.a1 = 0.3 + 0.3 * vu(v.rng);
      v.a2 = 0.1 + 0.1 * vu(v.rng);
      v.a3 = 0.03 + 0.04 * vu(v.rng);
      v.p1 = kTwoPi * vu(v.rng);
      v.p2 = kTwoPi * vu(v.rng);
      v.p3 = kTwoPi * vu(v.rng);
      v.fb = 150 + 15 * vu(v.rng);
    }
  }

  double ambient(std::int64_t s) const { return 22 + 4 * std::sin(kTwoPi * static_cast<double>(s) / 86400.0 + ambient_phase); }

  void next_state() {
    switch (state) {
      case kOff: state = kIdle; break;
      case kIdle: state = u(rng) < 0.85 ? kRun : kOff; break;
      case kRun: state = u(rng) < 0.9 ? kIdle : kFault; break;
      default: state = kIdle; break;
    }
    static constexpr std::array<double, 4> kMeanDwell = {1800, 300, 2400, 180};
    state_left = exp_dwell(kMeanDwell[static_cast<std::size_t>(state)]);
  }

  // Advances one second (s = seconds since the dataset start) and fills out / extra_out.
  void step(std::int64_t s, bool mul) {
    state_left -= 1;
    if (state_left <= 0) next_state();
    // Load wanders (OU, mean 0.6, τ 20 min).
    load += (0.6 - load) / 1200.0 + 0.01 * n(rng);
    load = std::clamp(load, 0.0, 1.0);
    const bool run = state == kRun;
    const double amb = ambient(s);

    // temp: lag towards the state's process temperature, slow drift, sensor noise.
    double target = run ? 55 + 10 * load + temp_offset : state == kIdle ? amb + 8 : amb;
    temp_proc += (target - temp_proc) / 900.0;
    temp_drift += -temp_drift / 3600.0 + 0.01 * n(rng);
    out[kTemp] = decimal(temp_proc + temp_drift + 0.04 * n(rng), 2, mul);

    double p = run ? 6.0 + press_offset + 0.3 * std::sin(kTwoPi * static_cast<double>(s) / 180.0 + press_phase) + 0.2 * (load - 0.6)
                   : state == kIdle ? 1.2 : 0.0;
    out[kPressure] = decimal(std::max(0.0, p + 0.02 * n(rng)), 2, mul);

    double flow_noise = n(rng);
    out[kFlow] = run ? decimal(40 + flow_offset + 8 * load + 0.3 * flow_noise, 1, mul) : 0.0;

    double cur_noise = n(rng);
    double current = run ? 30 + 15 * load + 0.4 * cur_noise : state == kIdle ? 4.5 + 0.1 * cur_noise : 0.0;
    current = std::max(0.0, current);
    out[kCurrent] = decimal(current, 1, mul);

    double speed_noise = n(rng);
    out[kSpeed] = run ? std::nearbyint(1480 - 20 * load + 1.5 * speed_noise) : 0.0;
    speed_hz = out[kSpeed] / 60.0;

    energy += 0.6 * current / 3600.0;  // kW·s → kWh, P ≈ √3·400 V·I·cosφ
    out[kEnergy] = truncate_decimal(energy, energy_dec, mul);

    if (run) {
      cycle_left -= 1;
      if (cycle_left <= 0) {
        ++parts;
        cycle_left += std::max(5.0, 30 + 2 * n(rng));
      }
    }
    out[kParts] = static_cast<double>(parts);

    setpoint_left -= 1;
    if (setpoint_left <= 0) {
      static constexpr std::array<double, 5> kRecipes = {175.5, 180.0, 182.5, 185.0, 190.0};
      setpoint = kRecipes[static_cast<std::size_t>(u(rng) * kRecipes.size()) % kRecipes.size()];
      setpoint_left = exp_dwell(3 * 3600.0);
    }
    out[kSetpoint] = mul ? std::nearbyint(setpoint * 10) * 0.1 : setpoint;
    out[kState] = state;
    out[kRunning] = run ? 1 : 0;
    out[kAlarm] = state == kFault ? 1 : 0;

    for (std::size_t i = 0; i < extra.size(); ++i) {
      auto& c = extra[i];
      double v = 0;
      switch (c.kind) {
        case kTemp:
          c.lag += (target + c.offset - c.lag) / 600.0;
          c.drift += -c.drift / 3600.0 + 0.01 * c.n(c.rng);
          v = decimal(c.lag + c.drift + 0.05 * c.n(c.rng), 2, mul);
          break;
        case kPressure:
          v = decimal(std::max(0.0, (run ? 4.0 + 0.1 * c.offset + 0.2 * std::sin(kTwoPi * static_cast<double>(s) / 240.0 + c.phase) : 0.8 * (state == kIdle)) + 0.02 * c.n(c.rng)), 2, mul);
          break;
        case kFlow:
          v = run ? decimal(25 + c.offset + 5 * load + 0.25 * c.n(c.rng), 1, mul) : 0.0;
          break;
        default:
          v = decimal(std::max(0.0, run ? 20 + 10 * load + c.offset + 0.3 * c.n(c.rng) : 0.0), 1, mul);
          break;
      }
      extra_out[i] = v;
    }
  }

  // One 1 kHz vibration sample, ms = milliseconds since the dataset start.
  double vibration(std::size_t axis, std::int64_t ms) {
    auto& v = vib[axis];
    double t = static_cast<double>(ms) / 1000.0;
    double x;
    if (state == kRun) {
      x = v.a1 * std::sin(kTwoPi * speed_hz * t + v.p1) + v.a2 * std::sin(kTwoPi * 2 * speed_hz * t + v.p2) +
          v.a3 * std::sin(kTwoPi * v.fb * t + v.p3) + 0.05 * v.n(v.rng);
    } else {
      x = (state == kIdle ? 0.01 : 0.005) * v.n(v.rng);
    }
    return static_cast<double>(static_cast<float>(x));  // float32 sensor value
  }
};

bool class_selected(const std::string& classes, SignalClass c) {
  std::stringstream ss(classes);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == class_name(c)) return true;
  }
  return false;
}

std::uint64_t to_bits(ValueType t, double v) {
  switch (t) {
    case ValueType::kDouble: return std::bit_cast<std::uint64_t>(v);
    case ValueType::kInt: return static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
    case ValueType::kBool: return v != 0 ? 1 : 0;
    default: return 0;
  }
}

}  // namespace

const char* class_name(SignalClass c) {
  switch (c) {
    case SignalClass::kAnalog: return "analog";
    case SignalClass::kCounter: return "counter";
    case SignalClass::kStep: return "step";
    case SignalClass::kBool: return "bool";
    case SignalClass::kVibration: return "vib";
  }
  return "?";
}

Value Dataset::value(const Rec& r) const {
  switch (series[r.series].type) {
    case ValueType::kDouble: return std::bit_cast<double>(r.bits);
    case ValueType::kInt: return static_cast<std::int64_t>(r.bits);
    case ValueType::kBool: return r.bits != 0;
    default: return std::string();
  }
}

double Dataset::as_double(const Rec& r) const {
  switch (series[r.series].type) {
    case ValueType::kDouble: return std::bit_cast<double>(r.bits);
    case ValueType::kInt: return static_cast<double>(static_cast<std::int64_t>(r.bits));
    case ValueType::kBool: return r.bits != 0 ? 1.0 : 0.0;
    default: return 0;
  }
}

std::size_t Dataset::samples_of_class(SignalClass c) const {
  std::vector<std::size_t> per_series(series.size());
  for (const auto& r : recs) ++per_series[r.series];
  std::size_t n = 0;
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].cls == c) n += per_series[i];
  return n;
}

std::size_t Dataset::series_of_class(SignalClass c) const {
  return static_cast<std::size_t>(std::count_if(series.begin(), series.end(), [c](const SeriesInfo& s) { return s.cls == c; }));
}

std::string Dataset::describe() const {
  std::size_t slow = 0, fast = 0;
  for (const auto& s : series) (s.cls == SignalClass::kVibration ? fast : slow) += 1;
  std::ostringstream os;
  os.precision(3);
  os << devices.size() << " devices x " << (devices.empty() ? 0 : slow / devices.size()) << " keys @1 Hz";
  if (fast) os << " + " << fast / devices.size() << " axis @1 kHz (" << opt.vib_burst_ms << " ms burst every " << opt.vib_every_s << " s)";
  os << ", " << static_cast<double>(end_ms - start_ms) / 3.6e6 << " h, " << static_cast<double>(recs.size()) / 1e6 << " M samples";
  return os.str();
}

Dataset generate(const DatasetOptions& opt) {
  if (opt.devices < 1 || opt.devices > 999999) throw std::invalid_argument("--devices must be 1..999999");
  if (!(opt.hours > 0)) throw std::invalid_argument("--hours must be > 0");
  if (opt.keys < 0 || opt.keys > 200) throw std::invalid_argument("--keys must be 0..200");
  if (opt.vib_axes < 0 || opt.vib_axes > 3) throw std::invalid_argument("--vib-axes must be 0..3");
  if (opt.vib_every_s < 0) throw std::invalid_argument("--vib-every must be >= 0");
  if (opt.vib_every_s > 0 && (opt.vib_burst_ms < 1 || opt.vib_burst_ms > opt.vib_every_s * 1000))
    throw std::invalid_argument("--vib-burst-ms must be 1..vib-every*1000");
  if (opt.slice_s < 1) throw std::invalid_argument("--slice-s must be >= 1");
  if (opt.ts_jitter_ms < 0 || opt.ts_jitter_ms > 499) throw std::invalid_argument("--ts-jitter-ms must be 0..499");

  Dataset ds;
  ds.opt = opt;
  std::int64_t end = opt.end_ms;
  if (end == 0) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    end = now / 60000 * 60000;
  }
  const std::int64_t seconds = std::max<std::int64_t>(1, std::llround(opt.hours * 3600.0));
  ds.end_ms = end;
  ds.start_ms = end - seconds * 1000;

  // Which keys of the catalogue (and extra channels) are selected.
  struct Slot {
    int base = -1;   // BaseKey, or -1 for an extra channel
    int extra = -1;  // index into DeviceSim::extra
    int axis = -1;   // vibration axis
  };
  std::vector<Slot> slots;
  std::vector<SeriesInfo> templ;
  const int n_extra = std::max(0, opt.keys - static_cast<int>(kBaseKeys));
  for (int k = 0; k < opt.keys; ++k) {
    SeriesInfo si;
    Slot slot;
    if (k < kBaseKeys) {
      const auto& t = kCatalogue[static_cast<std::size_t>(k)];
      si.key = t.name;
      si.cls = t.cls;
      si.type = t.type;
      si.decimals = t.decimals;
      slot.base = k;
    } else {
      int i = k - kBaseKeys;
      BaseKey kind = kExtraKinds[static_cast<std::size_t>(i) % kExtraKinds.size()];
      const auto& t = kCatalogue[static_cast<std::size_t>(kind)];
      si.key = std::string(t.name) + "_" + std::to_string(2 + i / static_cast<int>(kExtraKinds.size()));
      si.cls = SignalClass::kAnalog;
      si.type = ValueType::kDouble;
      si.decimals = t.decimals;
      slot.extra = i;
    }
    if (!class_selected(opt.classes, si.cls)) continue;
    templ.push_back(si);
    slots.push_back(slot);
  }
  const int axes = (opt.vib_every_s > 0 && class_selected(opt.classes, SignalClass::kVibration)) ? opt.vib_axes : 0;
  for (int a = 0; a < axes; ++a) {
    SeriesInfo si;
    si.key = kVibAxes[static_cast<std::size_t>(a)];
    si.cls = SignalClass::kVibration;
    si.type = ValueType::kDouble;
    templ.push_back(si);
    Slot slot;
    slot.axis = a;
    slots.push_back(slot);
  }
  if (templ.empty()) throw std::invalid_argument("no keys selected (check --keys, --classes, --vib-axes)");

  const auto per_dev = static_cast<std::uint32_t>(templ.size());
  for (int d = 0; d < opt.devices; ++d) {
    char name[32];
    std::snprintf(name, sizeof name, "dev-%04d", d + 1);
    ds.devices.emplace_back(name);
    for (auto si : templ) {
      si.device = static_cast<std::uint32_t>(d);
      if (si.key == "energy_kwh") si.decimals = 1 + d % 3;
      ds.series.push_back(std::move(si));
    }
  }

  // Reserve: 1 Hz samples + bursts.
  std::size_t slow_keys = 0;
  for (const auto& s : slots)
    if (s.axis < 0) ++slow_keys;
  std::size_t est = static_cast<std::size_t>(seconds) * slow_keys * static_cast<std::size_t>(opt.devices);
  if (axes > 0)
    est += static_cast<std::size_t>(seconds / opt.vib_every_s + 1) * static_cast<std::size_t>(opt.vib_burst_ms) *
           static_cast<std::size_t>(axes) * static_cast<std::size_t>(opt.devices);
  ds.recs.reserve(est);

  std::vector<DeviceSim> sims(static_cast<std::size_t>(opt.devices));
  for (int d = 0; d < opt.devices; ++d) sims[static_cast<std::size_t>(d)].init(opt.seed, static_cast<std::uint32_t>(d), n_extra);

  std::vector<std::vector<Rec>> buf(slots.size());
  std::uniform_int_distribution<int> jit(0, opt.ts_jitter_ms);
  for (std::int64_t s0 = 0; s0 < seconds; s0 += opt.slice_s) {
    const std::int64_t s1 = std::min<std::int64_t>(seconds, s0 + opt.slice_s);
    for (int d = 0; d < opt.devices; ++d) {
      auto& sim = sims[static_cast<std::size_t>(d)];
      const std::uint32_t sbase = static_cast<std::uint32_t>(d) * per_dev;
      const std::int64_t phase = opt.vib_every_s > 0 ? (static_cast<std::int64_t>(d) * 7919) % opt.vib_every_s : 0;
      for (auto& b : buf) b.clear();
      for (std::int64_t s = s0; s < s1; ++s) {
        sim.step(s, opt.decimal_mul);
        std::int64_t ts = ds.start_ms + s * 1000;
        std::int64_t ts_poll = ts + (opt.ts_jitter_ms > 0 ? jit(sim.jitter) : 0);
        for (std::size_t k = 0; k < slots.size(); ++k) {
          const auto& slot = slots[k];
          const auto type = ds.series[sbase + k].type;
          if (slot.base >= 0) {
            buf[k].push_back({sbase + static_cast<std::uint32_t>(k), ts_poll, to_bits(type, sim.out[static_cast<std::size_t>(slot.base)])});
          } else if (slot.extra >= 0) {
            buf[k].push_back({sbase + static_cast<std::uint32_t>(k), ts_poll, to_bits(type, sim.extra_out[static_cast<std::size_t>(slot.extra)])});
          } else if ((s + phase) % opt.vib_every_s == 0) {
            for (int m = 0; m < opt.vib_burst_ms; ++m) {
              std::int64_t ms = s * 1000 + m;
              if (ds.start_ms + ms >= ds.end_ms) break;
              buf[k].push_back({sbase + static_cast<std::uint32_t>(k), ds.start_ms + ms,
                                std::bit_cast<std::uint64_t>(sim.vibration(static_cast<std::size_t>(slot.axis), ms))});
            }
          }
        }
      }
      ds.blocks.push_back(ds.recs.size());
      for (const auto& b : buf) ds.recs.insert(ds.recs.end(), b.begin(), b.end());
    }
  }
  ds.blocks.push_back(ds.recs.size());
  return ds;
}

std::vector<std::vector<std::vector<Point>>> make_point_batches(const Dataset& ds, int threads, std::size_t batch_size) {
  if (threads < 1) threads = 1;
  if (batch_size < 1) batch_size = 1;
  std::vector<std::vector<std::vector<Point>>> out(static_cast<std::size_t>(threads));
  std::vector<std::size_t> count(static_cast<std::size_t>(threads));
  for (std::size_t b = 0; b + 1 < ds.blocks.size(); ++b) {
    std::size_t from = ds.blocks[b], to = ds.blocks[b + 1];
    if (from == to) continue;
    auto t = static_cast<std::size_t>(ds.series[ds.recs[from].series].device % static_cast<std::uint32_t>(threads));
    count[t] += to - from;
  }
  for (std::size_t t = 0; t < out.size(); ++t) out[t].reserve(count[t] / batch_size + 1);
  for (std::size_t b = 0; b + 1 < ds.blocks.size(); ++b) {
    std::size_t from = ds.blocks[b], to = ds.blocks[b + 1];
    if (from == to) continue;
    auto t = static_cast<std::size_t>(ds.series[ds.recs[from].series].device % static_cast<std::uint32_t>(threads));
    auto& batches = out[t];
    for (std::size_t i = from; i < to; ++i) {
      if (batches.empty() || batches.back().size() >= batch_size) {
        batches.emplace_back();
        batches.back().reserve(batch_size);
      }
      const Rec& r = ds.recs[i];
      const SeriesInfo& s = ds.series[r.series];
      batches.back().push_back(Point{ds.opt.tenant, ds.devices[s.device], s.key, r.ts, ds.value(r)});
    }
  }
  return out;
}

}  // namespace kaiwu::bench::tsdb
