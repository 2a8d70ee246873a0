// HTTP request and response as plain Kaiwu types: handlers never see Beast.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/principal.hpp"

namespace kaiwu::http {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };
std::string_view method_name(Method m);  // "GET", …
Method parse_method(std::string_view s);

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path + query
  std::string path;    // percent-decoded path
  Fields query;        // decoded query parameters in order
  Fields headers;
  std::string body;
  std::string remote_address;
  std::string request_id;
  std::map<std::string, std::string, std::less<>> path_params;  // filled by the router
  std::optional<Principal> principal;                            // filled by the router

  // Case-insensitive header lookup; "" when absent.
  std::string_view header(std::string_view name) const;
  // First query parameter with that name.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // Path parameter ("id" in /devices/{id}); "" when absent.
  std::string_view param(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;

  static Response json(unsigned status, std::string body);
  static Response text(unsigned status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response no_content();
};

// Splits a target into a decoded path and query parameters. Returns nullopt on bad
// percent-encoding.
struct ParsedTarget {
  std::string path;
  Fields query;
};
std::optional<ParsedTarget> parse_target(std::string_view target);

}  // namespace kaiwu::http
