// A small blocking HTTP/1.1 client (plain http:// only) shared by the webhook senders and the
// ClickHouse telemetry store. Each call runs a private io_context on the calling thread: call
// it from a worker thread, never from an io_context thread. Beast stays inside http_client.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace kaiwu {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query
};

// RFC 3986 §3, the subset Kaiwu needs: http://host[:port][/path[?query]], IPv6 in brackets, no
// user info. kInvalidArgument names what is wrong.
Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

struct HttpClientOptions {
  std::chrono::milliseconds timeout{5000};  // for each whole exchange
  std::size_t body_limit = 64 * 1024;       // larger responses fail with kPayloadTooLarge
  std::string user_agent = "kaiwu";
};

// One connection to one server, kept alive between requests and reopened when the server
// closed it. Not thread-safe: one caller at a time (keep a pool for concurrency).
// Errors: kUnavailable (resolve/connect/read failure), kTimeout, kPayloadTooLarge.
class HttpClient {
 public:
  HttpClient(HttpUrl server, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection to an absolute URL (its path replaces request.target).
Result<HttpResponse> http_send(std::string_view url, HttpRequest request, HttpClientOptions options = {});

}  // namespace kaiwu
