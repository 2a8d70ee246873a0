// Messages carried by the bus. Plain values; a published message is shared read-only by every
// subscriber (MessagePtr), so fan-out never copies it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/alarm.hpp"
#include "model/entities.hpp"

namespace kaiwu::bus {

enum class Kind : std::uint8_t { kTelemetry = 0, kAttributes = 1, kLifecycle = 2, kAlarm = 3 };
inline constexpr std::size_t kKindCount = 4;
std::string_view kind_name(Kind k);  // "telemetry", "attributes", "lifecycle", "alarm"

// Same alternatives, in the same order, as tsdb::Value (it is the same type), so ingest moves
// its values in without conversion.
using Value = std::variant<double, std::int64_t, bool, std::string>;

struct Sample {
  std::string key;
  std::int64_t ts = 0;  // ms since the Unix epoch
  Value value;
};

// One device's samples from one write (an MQTT payload, an HTTP request, a line-protocol
// batch). Published only after the samples are durable.
struct Telemetry {
  std::string tenant;
  std::string device;
  std::vector<Sample> samples;
};

// Attributes written on a device: `values_json` is a JSON object of the changed keys.
struct AttributeChange {
  std::string tenant;
  std::string device;
  model::AttributeScope scope = model::AttributeScope::kClient;
  std::string values_json = "{}";
  std::int64_t ts = 0;
};

enum class LifecycleEvent : std::uint8_t { kConnected, kDisconnected, kCreated, kDeleted };
std::string_view lifecycle_name(LifecycleEvent e);  // "connected", "disconnected", "created", "deleted"

struct DeviceLifecycle {
  std::string tenant;
  std::string device;
  LifecycleEvent event = LifecycleEvent::kConnected;
  std::int64_t ts = 0;
};

enum class AlarmChange : std::uint8_t { kCreated, kUpdated, kAcknowledged, kCleared };
std::string_view alarm_change_name(AlarmChange c);  // "created", "updated", "acknowledged", "cleared"

// The alarm as stored after the change.
struct AlarmEvent {
  AlarmChange change = AlarmChange::kCreated;
  model::Alarm alarm;
};

// Index order matches Kind.
using Payload = std::variant<Telemetry, AttributeChange, DeviceLifecycle, AlarmEvent>;

struct Message {
  Payload payload;

  Kind kind() const { return static_cast<Kind>(payload.index()); }
  const std::string& tenant() const;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace kaiwu::bus
