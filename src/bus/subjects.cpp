#include "bus/subjects.hpp"

#include <fmt/format.h>

namespace kaiwu::bus {

std::string subject_token(std::string_view id) {
  if (id.empty()) return "~";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (plain) {
      out += ch;
    } else {
      out += '~';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

unsigned partition_of(std::string_view tenant, std::string_view device, unsigned partitions) {
  std::uint32_t h = 2166136261u;  // FNV-1a 32
  auto mix = [&h](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 16777619u;
    }
  };
  mix(tenant);
  mix("/");
  mix(device);
  return partitions == 0 ? 0 : h % partitions;
}

const std::string& message_device(const Message& m) {
  return std::visit(
      [](const auto& p) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, AlarmEvent>)
          return p.alarm.device_id;
        else
          return p.device;
      },
      m.payload);
}

std::string message_subject(const Message& m, unsigned partitions) {
  const auto& tenant = m.tenant();
  const auto& device = message_device(m);
  return fmt::format("kaiwu.{}.{}.{}.{}", subject_token(tenant), kind_name(m.kind()), subject_token(device),
                     partition_of(tenant, device, partitions));
}

const std::vector<StreamSpec>& stream_specs() {
  static const std::vector<StreamSpec> specs = {
      {"KAIWU_TELEMETRY", {Kind::kTelemetry}},
      {"KAIWU_EVENTS", {Kind::kAttributes, Kind::kLifecycle}},
      {"KAIWU_ALARMS", {Kind::kAlarm}},
  };
  return specs;
}

std::string filter_subject(std::string_view tenant, std::string_view kind, int partition) {
  return fmt::format("kaiwu.{}.{}.*.{}", tenant.empty() ? std::string("*") : subject_token(tenant), kind,
                     partition < 0 ? std::string("*") : std::to_string(partition));
}

}  // namespace kaiwu::bus
