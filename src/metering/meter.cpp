#include "metering/meter.hpp"

namespace kaiwu::metering {

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::kAppVisit: return "app_visit";
    case Kind::kAppCall: return "app_call";
    case Kind::kModelCall: return "model_call";
    case Kind::kDeveloperLogin: return "developer_login";
    case Kind::kToolCall: return "tool_call";
    case Kind::kDeviceActive: return "device_active";
  }
  return "unknown";
}

}  // namespace kaiwu::metering
