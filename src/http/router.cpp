#include "http/router.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace kaiwu::http {
namespace json = boost::json;

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Routes with more literal segments win over parameters ("/users/me" before "/users/{id}").
int specificity(const std::vector<std::string>& segments) {
  int s = 0;
  for (const auto& seg : segments) s = s * 2 + (is_param(seg) ? 0 : 1);
  return s;
}

}  // namespace

unsigned http_status(Errc code) {
  switch (code) {
    case Errc::kOk: return 200;
    case Errc::kInvalidArgument: return 400;
    case Errc::kUnauthenticated: return 401;
    case Errc::kPermissionDenied: return 403;
    case Errc::kNotFound: return 404;
    case Errc::kAlreadyExists: return 409;
    case Errc::kFailedPrecondition: return 409;
    case Errc::kPayloadTooLarge: return 413;
    case Errc::kResourceExhausted: return 429;
    case Errc::kUnavailable: return 503;
    case Errc::kTimeout: return 504;
    case Errc::kIo:
    case Errc::kCorruption:
    case Errc::kInternal: return 500;
  }
  return 500;
}

Response error_response(const Error& e) {
  json::object body{{"error", json::object{{"code", errc_name(e.code)}, {"message", e.message}}}};
  return Response::json(http_status(e.code), json::serialize(body));
}

void Router::add(Route route) {
  Compiled c{split_path(route.pattern), routes_.size()};
  for (const auto& other : compiled_) {
    const auto& r = routes_[other.index];
    if (r.method != route.method || other.segments.size() != c.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < c.segments.size() && same; ++i)
      same = other.segments[i] == c.segments[i] || (is_param(other.segments[i]) && is_param(c.segments[i]));
    if (same) throw std::logic_error("duplicate route " + route.pattern);
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
  std::stable_sort(compiled_.begin(), compiled_.end(), [](const Compiled& a, const Compiled& b) {
    return specificity(a.segments) > specificity(b.segments);
  });
}

Router::Outcome Router::dispatch(Request& req) const {
  auto parts = split_path(req.path);
  const Route* found = nullptr;
  std::vector<std::string_view> allowed;
  for (const auto& c : compiled_) {
    if (c.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i)
      match = is_param(c.segments[i]) ? !parts[i].empty() : c.segments[i] == parts[i];
    if (!match) continue;
    const Route& r = routes_[c.index];
    bool method_ok = r.method == req.method || (req.method == Method::kHead && r.method == Method::kGet);
    if (!method_ok) {
      auto name = method_name(r.method);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) allowed.push_back(name);
      continue;
    }
    found = &r;
    req.path_params.clear();
    for (size_t i = 0; i < parts.size(); ++i)
      if (is_param(c.segments[i]))
        req.path_params.emplace(c.segments[i].substr(1, c.segments[i].size() - 2), parts[i]);
    break;
  }
  if (!found) {
    if (!allowed.empty()) {
      auto resp = error_response(Error{Errc::kInvalidArgument,
                                       "method " + std::string(method_name(req.method)) +
                                           " is not allowed on " + req.path});
      resp.status = 405;
      std::string allow;
      for (auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
      resp.headers.emplace_back("Allow", allow);
      return {std::move(resp), ""};
    }
    if (fallback_)
      if (auto resp = fallback_(req)) return {std::move(*resp), "static"};
    return {error_response(Error{Errc::kNotFound, "no route for " + req.path}), ""};
  }

  if (found->access.authenticated) {
    if (!auth_) return {error_response(Error{Errc::kInternal, "no authenticator"}), found->pattern};
    auto principal = auth_->authenticate(req);
    if (!principal) return {error_response(principal.error()), found->pattern};
    const auto& roles = found->access.roles;
    if (!roles.empty() && principal->role != model::Role::kPlatformAdmin &&
        std::find(roles.begin(), roles.end(), principal->role) == roles.end()) {
      return {error_response(Error{Errc::kPermissionDenied,
                                   "role " + std::string(model::role_name(principal->role)) +
                                       " may not " + std::string(method_name(req.method)) + " " +
                                       found->pattern}),
              found->pattern};
    }
    req.principal = std::move(*principal);
  }

  Result<Response> result = [&]() -> Result<Response> {
    try {
      return found->handler(req);
    } catch (const std::exception& e) {
      spdlog::error("handler {} threw: {}", found->pattern, e.what());
      return fail(Errc::kInternal, "internal error");
    } catch (...) {
      spdlog::error("handler {} threw a non-standard exception", found->pattern);
      return fail(Errc::kInternal, "internal error");
    }
  }();
  if (!result) return {error_response(result.error()), found->pattern};
  return {std::move(*result), found->pattern};
}

json::value Router::openapi(std::string_view title, std::string_view version) const {
  json::object paths;
  for (const auto& r : routes_) {
    json::object op;
    op["summary"] = r.summary;
    op["operationId"] = std::string(method_name(r.method)) + " " + r.pattern;
    if (!r.tag.empty()) op["tags"] = json::array{json::value(r.tag)};
    json::array params;
    for (const auto& seg : split_path(r.pattern)) {
      if (!is_param(seg)) continue;
      params.push_back(json::object{{"name", seg.substr(1, seg.size() - 2)},
                                    {"in", "path"},
                                    {"required", true},
                                    {"schema", json::object{{"type", "string"}}}});
    }
    for (const auto& q : r.query)
      params.push_back(json::object{{"name", q.name},
                                    {"in", "query"},
                                    {"required", q.required},
                                    {"description", q.description},
                                    {"schema", json::object{{"type", q.type}}}});
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!r.request_schema.is_null())
      op["requestBody"] = json::object{
          {"required", true},
          {"content", json::object{{"application/json", json::object{{"schema", r.request_schema}}}}}};
    json::object ok{{"description", "success"}};
    if (!r.response_schema.is_null())
      ok["content"] = json::object{
          {r.response_content_type, json::object{{"schema", r.response_schema}}}};
    json::object responses;
    responses[std::to_string(r.success_status)] = std::move(ok);
    responses["default"] = json::object{
        {"description", "error"},
        {"content", json::object{{"application/json",
                                  json::object{{"schema", json::object{{"$ref", "#/components/schemas/Error"}}}}}}}};
    op["responses"] = std::move(responses);
    if (r.access.authenticated) {
      op["security"] = json::array{json::object{{"bearer", json::array{}}}};
      if (!r.access.roles.empty()) {
        json::array roles;
        for (auto role : r.access.roles) roles.push_back(json::value(model::role_name(role)));
        op["x-roles"] = std::move(roles);
      }
    } else {
      op["security"] = json::array{};
    }
    std::string method(method_name(r.method));
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    auto& item = paths[r.pattern];
    if (!item.is_object()) item = json::object{};
    item.as_object()[method] = std::move(op);
  }
  json::object string_type{{"type", "string"}};
  json::object error_fields{{"code", string_type}, {"message", string_type}};
  json::object error_inner{{"type", "object"}, {"properties", std::move(error_fields)}};
  json::object error_schema{{"type", "object"},
                            {"properties", json::object{{"error", std::move(error_inner)}}}};
  return json::object{
      {"openapi", "3.0.3"},
      {"info", json::object{{"title", title}, {"version", version}}},
      {"paths", std::move(paths)},
      {"components",
       json::object{{"securitySchemes",
                     json::object{{"bearer", json::object{{"type", "http"},
                                                          {"scheme", "bearer"},
                                                          {"description", "JWT from /api/v1/auth/login or an API key"}}}}},
                    {"schemas", json::object{{"Error", std::move(error_schema)}}}}}};
}

}  // namespace kaiwu::http
