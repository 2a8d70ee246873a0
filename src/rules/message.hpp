// The message a rule chain processes: one device event (telemetry, attributes, lifecycle) with
// its data and metadata. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tsdb/types.hpp"

namespace kaiwu::rules {

// A telemetry or attribute value: double, int64, bool or string (same order as tsdb::Value).
using Value = tsdb::Value;

enum class MessageType : std::uint8_t {
  kTelemetry,     // data: the samples of one write
  kAttributes,    // data: changed attributes
  kConnected,     // device lifecycle
  kDisconnected,
  kInactivity,    // emitted by an offline node when a device stops reporting
  kActivity,      // emitted by an offline node when it reports again
};
std::string_view message_type_name(MessageType t);  // "telemetry", "attributes", …
bool parse_message_type(std::string_view s, MessageType& out);

struct Message {
  MessageType type = MessageType::kTelemetry;
  std::string tenant_id;
  std::string device_id;
  std::string device_name;
  std::string profile_id;
  std::int64_t ts = 0;  // ms since the Unix epoch
  std::map<std::string, Value> data;
  std::map<std::string, std::string> metadata;
};

// A value as a double when it is numeric (bool counts as 0/1); false for strings.
bool numeric_value(const Value& v, double& out);

}  // namespace kaiwu::rules
