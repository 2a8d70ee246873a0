// NATS subjects and streams of the cluster bus. Pure functions, no NATS types.
//
// Subject: kaiwu.<tenant>.<kind>.<device>.<partition>
//   tenant, device: ids as subject tokens (bytes outside [A-Za-z0-9_-] written as ~XX hex, an
//   empty id as "~"), so an id can never add a token or act as a wildcard;
//   kind: kind_name(); alarms use the alarm's device ("~" when none);
//   partition: FNV-1a(tenant '/' device) mod partitions, in decimal. Every node must use the same
//   partition count: consumer groups read one durable consumer per (stream, partition).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bus/messages.hpp"

namespace kaiwu::bus {

std::string subject_token(std::string_view id);
unsigned partition_of(std::string_view tenant, std::string_view device, unsigned partitions);
const std::string& message_device(const Message& m);
std::string message_subject(const Message& m, unsigned partitions);

// The three streams and the kinds they hold: KAIWU_TELEMETRY (telemetry), KAIWU_EVENTS
// (attributes, lifecycle), KAIWU_ALARMS (alarm).
struct StreamSpec {
  std::string name;
  std::vector<Kind> kinds;
};
const std::vector<StreamSpec>& stream_specs();

// A consumer's filter: `kaiwu.<tenant|*>.<kind>.*.<partition|*>` (empty tenant, partition -1: any).
std::string filter_subject(std::string_view tenant, std::string_view kind, int partition);

}  // namespace kaiwu::bus
