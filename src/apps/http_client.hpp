// Outbound HTTP for kaiwu.http.request: one blocking libcurl call on the run's worker thread
// (never an io_context thread), only to an allowed "host:port", http/https only, no redirects
// (a redirect could leave the allowed hosts), bounded time and sizes.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::apps {

inline constexpr std::size_t kMaxHttpBodyBytes = 1u << 20;  // request and response
inline constexpr std::size_t kMaxHttpHeaders = 50;
inline constexpr std::chrono::milliseconds kMaxHttpTimeout{1500};  // within the run's 2 s wall time

struct HttpRequest {
  std::string method = "GET";  // GET HEAD POST PUT PATCH DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{1000};
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
};

// kInvalidArgument for a malformed request, kPermissionDenied when allow("host:port") is false
// (host lower-cased, the scheme's default port filled in), kUnavailable for connection
// failures and timeouts, kResourceExhausted for a response body over 1 MiB.
Result<HttpResponse> http_request(const HttpRequest& r, const std::function<bool(std::string_view)>& allow);

}  // namespace kaiwu::apps
