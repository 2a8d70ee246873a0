#include "rules/message.hpp"

#include <array>
#include <utility>

namespace kaiwu::rules {
namespace {

constexpr std::array<std::pair<MessageType, std::string_view>, 6> kTypeNames{{
    {MessageType::kTelemetry, "telemetry"},
    {MessageType::kAttributes, "attributes"},
    {MessageType::kConnected, "connected"},
    {MessageType::kDisconnected, "disconnected"},
    {MessageType::kInactivity, "inactivity"},
    {MessageType::kActivity, "activity"},
}};

}  // namespace

std::string_view message_type_name(MessageType t) {
  for (const auto& [type, name] : kTypeNames)
    if (type == t) return name;
  return "telemetry";
}

bool parse_message_type(std::string_view s, MessageType& out) {
  for (const auto& [type, name] : kTypeNames) {
    if (name == s) {
      out = type;
      return true;
    }
  }
  return false;
}

bool numeric_value(const Value& v, double& out) {
  if (const auto* d = std::get_if<double>(&v)) {
    out = *d;
    return true;
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out = static_cast<double>(*i);
    return true;
  }
  if (const auto* b = std::get_if<bool>(&v)) {
    out = *b ? 1.0 : 0.0;
    return true;
  }
  return false;
}

}  // namespace kaiwu::rules
