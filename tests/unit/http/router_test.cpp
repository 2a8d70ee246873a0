#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace kaiwu::http {
namespace {

namespace json = boost::json;
using model::Role;

// Hands out a configured principal, or kUnauthenticated when none is set; counts calls.
class FakeAuthenticator final : public Authenticator {
 public:
  Result<Principal> authenticate(const Request&) override {
    ++calls;
    if (!principal) return fail(Errc::kUnauthenticated, "missing Authorization header");
    return *principal;
  }
  std::optional<Principal> principal;
  int calls = 0;
};

Principal principal_with(Role role) {
  Principal p;
  p.user_id = "u1";
  p.username = "alice";
  p.role = role;
  p.tenant_id = role == Role::kPlatformAdmin ? "" : "t1";
  return p;
}

Route route(Method m, std::string pattern, Handler h, Access access = Access::anyone()) {
  Route r;
  r.method = m;
  r.pattern = std::move(pattern);
  r.access = std::move(access);
  r.handler = std::move(h);
  return r;
}

// A handler that answers with its own name, so tests see which route ran.
Handler named(std::string name) {
  return
      [name = std::move(name)](Request&) -> Result<Response> { return Response::text(200, name); };
}

Request request(Method m, std::string path) {
  Request req;
  req.method = m;
  req.target = path;
  req.path = std::move(path);
  return req;
}

json::object error_of(const Response& resp) {
  return json::parse(resp.body).as_object().at("error").as_object();
}

TEST(HttpStatus, EveryErrcHasItsStatus) {
  const std::pair<Errc, unsigned> table[] = {
      {Errc::kOk, 200},
      {Errc::kInvalidArgument, 400},
      {Errc::kNotFound, 404},
      {Errc::kAlreadyExists, 409},
      {Errc::kUnauthenticated, 401},
      {Errc::kPermissionDenied, 403},
      {Errc::kFailedPrecondition, 409},
      {Errc::kResourceExhausted, 429},
      {Errc::kPayloadTooLarge, 413},
      {Errc::kUnavailable, 503},
      {Errc::kTimeout, 504},
      {Errc::kIo, 500},
      {Errc::kCorruption, 500},
      {Errc::kInternal, 500},
  };
  // The table above lists the catalogue in declaration order, so a new Errc shows up here.
  ASSERT_EQ(static_cast<int>(Errc::kInternal) + 1, static_cast<int>(std::size(table)));
  for (const auto& [code, status] : table) EXPECT_EQ(http_status(code), status) << errc_name(code);
}

TEST(ErrorResponse, JsonBodyWithCodeAndMessage) {
  auto resp = error_response(Error{Errc::kAlreadyExists, "name \"x\" is taken"});
  EXPECT_EQ(resp.status, 409u);
  EXPECT_EQ(resp.content_type, "application/json");
  auto err = error_of(resp);
  EXPECT_EQ(err.at("code").as_string(), "already_exists");
  EXPECT_EQ(err.at("message").as_string(), "name \"x\" is taken");
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override { router_.set_authenticator(&auth_); }

  Router::Outcome dispatch(Method m, std::string path) {
    last_ = request(m, std::move(path));
    return router_.dispatch(last_);
  }

  Router router_;
  FakeAuthenticator auth_;
  Request last_;
};

TEST_F(RouterTest, LiteralSegmentWinsOverParameterRegardlessOfOrder) {
  router_.add(route(Method::kGet, "/api/v1/users/{id}", named("by-id")));
  router_.add(route(Method::kGet, "/api/v1/users/me", named("me")));

  auto me = dispatch(Method::kGet, "/api/v1/users/me");
  EXPECT_EQ(me.response.status, 200u);
  EXPECT_EQ(me.response.body, "me");
  EXPECT_EQ(me.route, "/api/v1/users/me");
  EXPECT_TRUE(last_.path_params.empty());

  auto other = dispatch(Method::kGet, "/api/v1/users/u42");
  EXPECT_EQ(other.response.body, "by-id");
  EXPECT_EQ(other.route, "/api/v1/users/{id}");
  EXPECT_EQ(last_.param("id"), "u42");
}

TEST_F(RouterTest, ExtractsEveryPathParameter) {
  router_.add(route(Method::kGet, "/api/v1/devices/{device}/points/{point}", named("point")));
  auto out = dispatch(Method::kGet, "/api/v1/devices/d-7/points/temp%20c");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(last_.path_params.size(), 2u);
  EXPECT_EQ(last_.param("device"), "d-7");
  EXPECT_EQ(last_.param("point"), "temp%20c");  // the router sees the path as given
}

TEST_F(RouterTest, TrailingSlashAndRootAreHandled) {
  router_.add(route(Method::kGet, "/", named("root")));
  router_.add(route(Method::kGet, "/api/v1/ping", named("ping")));
  EXPECT_EQ(dispatch(Method::kGet, "/").response.body, "root");
  EXPECT_EQ(dispatch(Method::kGet, "/api/v1/ping/").response.body, "ping");
}

TEST_F(RouterTest, UnknownPathIs404JsonError) {
  router_.add(route(Method::kGet, "/api/v1/users/{id}", named("by-id")));
  auto out = dispatch(Method::kGet, "/api/v1/nothing/here");
  EXPECT_EQ(out.response.status, 404u);
  EXPECT_EQ(out.route, "");
  EXPECT_EQ(out.response.content_type, "application/json");
  auto err = error_of(out.response);
  EXPECT_EQ(err.at("code").as_string(), "not_found");
  EXPECT_EQ(err.at("message").as_string(), "no route for /api/v1/nothing/here");
  // Too many or too few segments do not match a parameter route.
  EXPECT_EQ(dispatch(Method::kGet, "/api/v1/users").response.status, 404u);
  EXPECT_EQ(dispatch(Method::kGet, "/api/v1/users/a/b").response.status, 404u);
}

TEST_F(RouterTest, WrongMethodIs405WithAllowHeader) {
  router_.add(route(Method::kGet, "/api/v1/devices/{id}", named("get")));
  router_.add(route(Method::kDelete, "/api/v1/devices/{id}", named("delete")));
  router_.add(route(Method::kPost, "/api/v1/devices", named("create")));

  auto out = dispatch(Method::kPut, "/api/v1/devices/d1");
  EXPECT_EQ(out.response.status, 405u);
  EXPECT_EQ(out.route, "");
  ASSERT_EQ(out.response.headers.size(), 1u);
  EXPECT_EQ(out.response.headers[0].first, "Allow");
  EXPECT_EQ(out.response.headers[0].second, "GET, DELETE");
  auto err = error_of(out.response);
  EXPECT_EQ(err.at("message").as_string(), "method PUT is not allowed on /api/v1/devices/d1");
}

TEST_F(RouterTest, AllowHeaderNamesEachMethodOnce) {
  router_.add(route(Method::kGet, "/api/v1/users/me", named("me")));
  router_.add(route(Method::kGet, "/api/v1/users/{id}", named("by-id")));
  auto out = dispatch(Method::kPost, "/api/v1/users/me");
  EXPECT_EQ(out.response.status, 405u);
  ASSERT_EQ(out.response.headers.size(), 1u);
  EXPECT_EQ(out.response.headers[0].second, "GET");
}

TEST_F(RouterTest, HeadIsServedByGetRoute) {
  router_.add(route(Method::kGet, "/api/v1/health", named("health")));
  auto out = dispatch(Method::kHead, "/api/v1/health");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "health");  // the server drops the body on the wire
  EXPECT_EQ(out.route, "/api/v1/health");
  // A HEAD route does not serve GET.
  router_.add(route(Method::kHead, "/api/v1/probe", named("probe")));
  EXPECT_EQ(dispatch(Method::kGet, "/api/v1/probe").response.status, 405u);
}

TEST_F(RouterTest, PublicRouteSkipsAuthentication) {
  router_.add(route(Method::kGet, "/api/v1/ping", [](Request& req) -> Result<Response> {
    return Response::text(200, req.principal ? "signed-in" : "anonymous");
  }));
  auto out = dispatch(Method::kGet, "/api/v1/ping");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "anonymous");
  EXPECT_EQ(auth_.calls, 0);
}

TEST_F(RouterTest, ProtectedRouteWithoutAuthenticatorIs500) {
  Router router;  // no authenticator
  router.add(route(Method::kGet, "/api/v1/me", named("me"), Access::signed_in()));
  Request req = request(Method::kGet, "/api/v1/me");
  auto out = router.dispatch(req);
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_EQ(out.route, "/api/v1/me");
  EXPECT_EQ(error_of(out.response).at("code").as_string(), "internal");
}

TEST_F(RouterTest, ProtectedRouteWithoutCredentialsIs401) {
  bool called = false;
  router_.add(route(
      Method::kGet, "/api/v1/me",
      [&](Request&) -> Result<Response> {
        called = true;
        return Response::text(200, "me");
      },
      Access::signed_in()));
  auto out = dispatch(Method::kGet, "/api/v1/me");
  EXPECT_EQ(out.response.status, 401u);
  EXPECT_EQ(out.route, "/api/v1/me");
  auto err = error_of(out.response);
  EXPECT_EQ(err.at("code").as_string(), "unauthenticated");
  EXPECT_EQ(err.at("message").as_string(), "missing Authorization header");
  EXPECT_FALSE(called);
  EXPECT_EQ(auth_.calls, 1);
}

TEST_F(RouterTest, SignedInRouteAttachesPrincipal) {
  router_.add(route(
      Method::kGet, "/api/v1/me",
      [](Request& req) -> Result<Response> { return Response::text(200, req.principal->username); },
      Access::signed_in()));
  auth_.principal = principal_with(Role::kViewer);
  auto out = dispatch(Method::kGet, "/api/v1/me");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "alice");
  ASSERT_TRUE(last_.principal.has_value());
  EXPECT_EQ(last_.principal->role, Role::kViewer);
}

TEST_F(RouterTest, WrongRoleIs403WithMessage) {
  router_.add(route(Method::kDelete, "/api/v1/parks/{id}", named("delete"),
                    Access::only({Role::kTenantAdmin, Role::kParkAdmin})));
  auth_.principal = principal_with(Role::kViewer);
  auto out = dispatch(Method::kDelete, "/api/v1/parks/p1");
  EXPECT_EQ(out.response.status, 403u);
  EXPECT_EQ(out.route, "/api/v1/parks/{id}");
  auto err = error_of(out.response);
  EXPECT_EQ(err.at("code").as_string(), "permission_denied");
  EXPECT_EQ(err.at("message").as_string(), "role viewer may not DELETE /api/v1/parks/{id}");
  EXPECT_FALSE(last_.principal.has_value());
}

TEST_F(RouterTest, ListedRolePasses) {
  router_.add(route(Method::kDelete, "/api/v1/parks/{id}", named("delete"),
                    Access::only({Role::kTenantAdmin, Role::kParkAdmin})));
  auth_.principal = principal_with(Role::kParkAdmin);
  auto out = dispatch(Method::kDelete, "/api/v1/parks/p1");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "delete");
}

TEST_F(RouterTest, PlatformAdminPassesAnyRoleList) {
  router_.add(route(Method::kGet, "/api/v1/enterprise-only", named("ok"),
                    Access::only({Role::kEnterpriseAdmin})));
  auth_.principal = principal_with(Role::kPlatformAdmin);
  auto out = dispatch(Method::kGet, "/api/v1/enterprise-only");
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "ok");
  ASSERT_TRUE(last_.principal.has_value());
  EXPECT_EQ(last_.principal->role, Role::kPlatformAdmin);
}

TEST_F(RouterTest, AuthenticatorErrorIsPassedThrough) {
  class BrokenStore final : public Authenticator {
    Result<Principal> authenticate(const Request&) override {
      return fail(Errc::kUnavailable, "database is busy");
    }
  } broken;
  router_.set_authenticator(&broken);
  router_.add(route(Method::kGet, "/api/v1/me", named("me"), Access::signed_in()));
  auto out = dispatch(Method::kGet, "/api/v1/me");
  EXPECT_EQ(out.response.status, 503u);
  EXPECT_EQ(error_of(out.response).at("message").as_string(), "database is busy");
}

TEST_F(RouterTest, HandlerErrorsMapToTheirStatus) {
  const Errc codes[] = {Errc::kInvalidArgument,
                        Errc::kNotFound,
                        Errc::kAlreadyExists,
                        Errc::kUnauthenticated,
                        Errc::kPermissionDenied,
                        Errc::kFailedPrecondition,
                        Errc::kResourceExhausted,
                        Errc::kPayloadTooLarge,
                        Errc::kUnavailable,
                        Errc::kTimeout,
                        Errc::kIo,
                        Errc::kCorruption,
                        Errc::kInternal};
  Errc current = Errc::kInternal;
  router_.add(route(Method::kPost, "/api/v1/fail",
                    [&](Request&) -> Result<Response> { return fail(current, "because"); }));
  for (Errc code : codes) {
    current = code;
    auto out = dispatch(Method::kPost, "/api/v1/fail");
    EXPECT_EQ(out.response.status, http_status(code)) << errc_name(code);
    EXPECT_EQ(out.route, "/api/v1/fail");
    auto err = error_of(out.response);
    EXPECT_EQ(err.at("code").as_string(), errc_name(code));
    EXPECT_EQ(err.at("message").as_string(), "because");
  }
}

TEST_F(RouterTest, ThrowingHandlerIs500InternalError) {
  router_.add(route(Method::kGet, "/api/v1/throws", [](Request&) -> Result<Response> {
    throw std::runtime_error("secret detail");
  }));
  auto out = dispatch(Method::kGet, "/api/v1/throws");
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_EQ(out.route, "/api/v1/throws");
  auto err = error_of(out.response);
  EXPECT_EQ(err.at("code").as_string(), "internal");
  EXPECT_EQ(err.at("message").as_string(), "internal error");  // no detail leaks to the client
}

TEST_F(RouterTest, HandlerThrowingANonStdExceptionIs500Too) {
  router_.add(
      route(Method::kGet, "/api/v1/throws-int", [](Request&) -> Result<Response> { throw 42; }));
  auto out = dispatch(Method::kGet, "/api/v1/throws-int");
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_EQ(error_of(out.response).at("message").as_string(), "internal error");
}

TEST_F(RouterTest, DuplicateRouteThrowsLogicError) {
  router_.add(route(Method::kGet, "/api/v1/devices/{id}", named("a")));
  EXPECT_THROW(router_.add(route(Method::kGet, "/api/v1/devices/{id}", named("b"))),
               std::logic_error);
  // Same shape with another parameter name is the same route.
  EXPECT_THROW(router_.add(route(Method::kGet, "/api/v1/devices/{device_id}", named("c"))),
               std::logic_error);
  // Another method, or a literal segment, is a different route.
  EXPECT_NO_THROW(router_.add(route(Method::kPut, "/api/v1/devices/{id}", named("d"))));
  EXPECT_NO_THROW(router_.add(route(Method::kGet, "/api/v1/devices/count", named("e"))));
  EXPECT_EQ(router_.routes().size(), 3u);
}

}  // namespace
}  // namespace kaiwu::http
