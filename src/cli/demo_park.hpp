// The demo park's light enterprises (kaiwu demo): five more enterprises of other industries
// around Suzhou, each with a main meter, a few production lines and maybe a gas boiler, simulated
// in-process (no protocol stack: samples go straight to the telemetry store, the devices are
// touched as seen), plus a bounded history backfill at first start so the park dashboard,
// enterprise profiles and indices have trends and base periods.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::cli::demo_park {

inline constexpr int kBackfillDays = 35;
inline constexpr std::int64_t kBackfillStepMs = 15 * 60'000;  // one sample per series per 15 min
inline constexpr std::int64_t kLiveStepMs = 60'000;

enum class Kind : std::uint8_t { kMeter, kLine, kBoiler };

// A simulated device (light, or an original factory device given history only).
struct LightDevice {
  std::string id;
  std::string tenant_id;
  std::string enterprise_id;
  int profile = 0;  // index into the enterprise profile table (demo_park.cpp)
  Kind kind = Kind::kMeter;
  int index = 0;           // line number (lines of the profile)
  bool history_only = false;  // an original factory device: backfilled, never stepped here
  double end_kwh = 0;      // history_only meters: the history ends at this reading (the live one)
  double kwh = 0, parts = 0, gas = 0;  // counters
};

// Creates the light enterprises (and their devices) of the park that do not exist yet; returns
// every light device, with fresh = true on those created now.
struct Ensured {
  std::vector<LightDevice> devices;
  std::vector<std::string> created_enterprises;
};
Result<Ensured> ensure(meta::MetadataStore& store, const std::string& tenant_id, const std::string& park_id);

// Sets longitude/latitude of the original demo enterprises where they are missing.
Status place_factory_enterprises(meta::MetadataStore& store, const std::string& tenant_id);

// History-only twins of the original factory's meters (ending at their first live reading
// `end_kwh`) and CNCs, for the backfill of the first start. `owner` = index of the enterprise
// (0 机械, 1 热电, 2 电子).
LightDevice factory_device(const std::string& id, const std::string& tenant_id, const std::string& enterprise_id,
                           int owner, bool is_meter, double end_kwh, int index);

struct BackfillStats {
  std::size_t samples = 0;
  std::int64_t elapsed_ms = 0;
};
// Writes kBackfillDays of history up to `now` for the devices of `enterprises` (their counters
// end where the live simulation continues) and a few past alarms. Bounded: 35 days × 96 steps.
Result<BackfillStats> backfill(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry,
                               std::vector<LightDevice>& devices, const std::vector<std::string>& enterprises,
                               std::int64_t now);

// Live counters continue from the stored latest values.
Status resume(tsdb::TelemetryStore& telemetry, std::vector<LightDevice>& devices);

// One live step ending at `now` (kLiveStepMs after the previous one).
Status step(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, std::vector<LightDevice>& devices,
            std::int64_t now);

}  // namespace kaiwu::cli::demo_park
