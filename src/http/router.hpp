// The route table: one list from which dispatch and the OpenAPI 3 document are both generated,
// and the one place where authentication and role checks happen.
//
// dispatch() may run on any thread; handlers run on the caller's thread (the server's handler
// pool) and may block on the metadata store.
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace kaiwu::http {

using Handler = std::function<Result<Response>(Request&)>;

// Who may call a route. Public routes skip authentication; others need a valid credential and,
// when roles is non-empty, one of those roles (platform-admin always passes).
struct Access {
  bool authenticated = true;
  std::vector<model::Role> roles;

  static Access anyone() { return Access{false, {}}; }
  static Access signed_in() { return Access{true, {}}; }
  static Access only(std::vector<model::Role> r) { return Access{true, std::move(r)}; }
};

struct ParamDoc {
  std::string name;
  std::string type = "string";  // string | integer | boolean
  std::string description;
  bool required = false;
};

struct Route {
  Method method = Method::kGet;
  std::string pattern;  // "/api/v1/devices/{id}"
  std::string summary;
  std::string tag;
  Access access;
  std::vector<ParamDoc> query;
  boost::json::value request_schema;   // null: no body
  boost::json::value response_schema;  // null: no documented body
  unsigned success_status = 200;
  std::string response_content_type = "application/json";
  Handler handler;
};

// Turns credentials of a request into a Principal (kUnauthenticated when missing or wrong).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Result<Principal> authenticate(const Request& req) = 0;
};

class Router {
 public:
  // Adds a route. Patterns with the same method and shape twice are a programming error.
  void add(Route route);
  void set_authenticator(Authenticator* auth) { auth_ = auth; }
  // Asked when no route matches a path (e.g. the web console's static files); nullopt keeps the
  // JSON 404. Responses it gives are reported with the route "static".
  using Fallback = std::function<std::optional<Response>(const Request&)>;
  void set_fallback(Fallback fallback) { fallback_ = std::move(fallback); }

  struct Outcome {
    Response response;
    std::string route;  // the matched pattern ("" when none), for metrics and logs
  };
  // Matches, authenticates, checks the role, calls the handler, and turns errors into JSON.
  Outcome dispatch(Request& req) const;

  const std::vector<Route>& routes() const { return routes_; }

  // The OpenAPI 3.0 document of every route.
  boost::json::value openapi(std::string_view title, std::string_view version) const;

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{x}" for parameters
    std::size_t index;                  // into routes_
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  Authenticator* auth_ = nullptr;
  Fallback fallback_;
};

// {"error":{"code":"not_found","message":"…"}} with the HTTP status of the error's code.
Response error_response(const Error& e);
unsigned http_status(Errc code);

}  // namespace kaiwu::http
