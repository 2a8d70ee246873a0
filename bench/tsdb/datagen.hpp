// Seeded generator of realistic industrial telemetry for the storage benchmark (bench_tsdb).
//
// Every device is a simulated machine (a pump/motor line) with a shared state machine, so its
// signals are correlated the way plant data is: the motor current, speed, flow and vibration
// follow the machine state, the energy meter integrates the current, the part counter only
// counts while running. All values come from one std::mt19937_64 per device, seeded from
// (seed, device index): the same options always produce bit-identical data.
//
// Signal classes and the keys that carry them (1 Hz unless noted; timestamps in ms):
//
//   (a) slow analog, decimal-origin (value = register / 10^d, i.e. the double nearest to the
//       decimal, as a gateway scaling an integer register produces it; --decimal-mul makes it
//       register * 10^-d instead, which leaves the last bit off for a share of the values):
//         temp       °C,   2 decimals: ambient day sine + first-order lag towards a per-state
//                          process temperature (τ 15 min) + Ornstein-Uhlenbeck drift + N(0, 0.04)
//         pressure   bar,  2 decimals: per-state level + 3-min pump pulsation sine + N(0, 0.02)
//         flow       m³/h, 1 decimal:  running level + slow load wander + N(0, 0.3); 0 when stopped
//         current_a  A,    1 decimal:  per-state level + load + N(0, 0.4)
//         speed_rpm  rpm,  0 decimals: 1480 − slip·load + N(0, 1.5) while running, else 0
//   (b) monotonic counters:
//         energy_kwh double, 1–3 decimals by device (meter register, truncated): ∫ P dt, P ∝ current
//         parts      int64, +1 per machine cycle (≈ N(30 s, 2 s)) while running
//   (c) steps:
//         state      int64 0 off / 1 idle / 2 running / 3 fault; Markov chain with exponential dwell
//                    times (off 30 min, idle 5 min, running 40 min, fault 3 min mean)
//         setpoint   double, 1 decimal: recipe value out of {175.5, 180, 182.5, 185, 190}, held ~3 h
//   (d) booleans:
//         running    state == running
//         alarm      state == fault
//   (e) vibration, 1 kHz bursts (a condition-monitoring snapshot: --vib-burst-ms of samples every
//       --vib-every seconds, phase shifted per device):
//         vib_x (vib_y, vib_z) acceleration in g, float32-origin (stored as double from float):
//                    1×, 2× rotation frequency + a bearing tone + N(0, 0.05) while running,
//                    noise only when idle/off
//
// --keys N takes the first N keys of the 1 Hz catalogue (temp, state, energy_kwh, running,
// pressure, parts, setpoint, alarm, current_a, flow, speed_rpm); N > 11 adds analog channels
// temp_2, pressure_2, flow_2, current_a_2, temp_3, … . --vib-axes picks vib_x/y/z.
// --classes keeps only some classes (analog,counter,step,bool,vib).
//
// The stream order is what an edge gateway forwarding every --slice-s seconds sends: time
// slices; within a slice device by device; within a device key by key in time order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/types.hpp"

namespace kaiwu::bench::tsdb {

using kaiwu::tsdb::Point;
using kaiwu::tsdb::Value;
using kaiwu::tsdb::ValueType;

enum class SignalClass : std::uint8_t { kAnalog, kCounter, kStep, kBool, kVibration };
const char* class_name(SignalClass c);

struct DatasetOptions {
  std::uint64_t seed = 20240601;
  int devices = 10;
  double hours = 24;
  int keys = 11;              // 1 Hz keys per device (catalogue order, see above)
  int vib_axes = 1;           // 1 kHz keys per device (0..3)
  int vib_every_s = 600;      // one burst per device every N seconds (0 = no vibration)
  int vib_burst_ms = 1000;    // samples per burst (1 per ms)
  int slice_s = 10;           // stream interleaving: a gateway forwarding every slice_s seconds
  int ts_jitter_ms = 0;       // 1 Hz timestamps jitter uniformly in [0, jitter] ms (< 500)
  bool decimal_mul = false;   // register * 0.01 instead of register / 100
  std::string classes = "analog,counter,step,bool,vib";
  std::string tenant = "bench";
  std::int64_t end_ms = 0;    // exclusive end; 0 = now floored to the minute
};

struct SeriesInfo {
  std::uint32_t device = 0;  // index into Dataset::devices
  std::string key;
  SignalClass cls = SignalClass::kAnalog;
  ValueType type = ValueType::kDouble;
  int decimals = -1;  // for decimal-origin doubles; -1 otherwise
};

// One sample in stream order; the value's type is the series' type. 24 bytes.
struct Rec {
  std::uint32_t series = 0;
  std::int64_t ts = 0;
  std::uint64_t bits = 0;  // double bits, int64 or 0/1
};

struct Dataset {
  DatasetOptions opt;
  std::int64_t start_ms = 0;  // inclusive
  std::int64_t end_ms = 0;    // exclusive
  std::vector<std::string> devices;  // "dev-0001", …
  std::vector<SeriesInfo> series;
  std::vector<Rec> recs;             // stream order
  std::vector<std::size_t> blocks;   // start of each (slice, device) run in recs; + recs.size()

  std::size_t size() const { return recs.size(); }
  Value value(const Rec& r) const;
  double as_double(const Rec& r) const;  // numeric view (bool 0/1)
  std::size_t samples_of_class(SignalClass c) const;
  std::size_t series_of_class(SignalClass c) const;
  // A one-line description: "10 devices × 11 keys @1 Hz + 1 axis @1 kHz bursts, 24 h, 10.9 M samples".
  std::string describe() const;
};

// Generates the dataset (throws std::invalid_argument on bad options).
Dataset generate(const DatasetOptions& opt);

// The dataset as Point batches of at most batch_size points, in stream order. With threads > 1
// the devices are split (device % threads) so that each thread's stream keeps every series in
// time order: result[t] is the batch list of thread t.
std::vector<std::vector<std::vector<Point>>> make_point_batches(const Dataset& ds, int threads,
                                                                std::size_t batch_size);

}  // namespace kaiwu::bench::tsdb
