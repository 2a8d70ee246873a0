// A minimal HTTP/1.1 client for webhooks: one POST per connection, plain http:// only.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::alarm {

struct HttpPost {
  std::string url;  // http://host[:port][/path]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
  std::chrono::milliseconds timeout{5000};  // for the whole exchange
};

// Sends the request and returns the response status. Blocks the calling thread (it runs a
// private io_context): call it from a worker thread. Errors: kInvalidArgument (bad URL),
// kUnavailable (resolve/connect/read failure), kTimeout.
Result<unsigned> http_post(const HttpPost& request);

}  // namespace kaiwu::alarm
