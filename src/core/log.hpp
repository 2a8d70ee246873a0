// Structured logging on spdlog: text for people, JSON lines for collectors. A request id set
// with RequestIdScope on the current thread appears in every line logged from that thread.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "core/config.hpp"

namespace kaiwu::log {

// Installs the default logger with the configured level and format, writing to `sink`
// (stderr when null; tests pass an ostream sink to read the lines back). Fails with
// kInvalidArgument, leaving the current logger in place, on an unknown level or format.
Status setup(const LogConfig& config, spdlog::sink_ptr sink = nullptr);

// Sets the request id printed in log lines of this thread until the scope ends.
class RequestIdScope {
 public:
  explicit RequestIdScope(std::string_view id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

// The request id of this thread ("" outside a request).
std::string_view current_request_id();

}  // namespace kaiwu::log
