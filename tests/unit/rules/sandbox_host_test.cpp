// Sandbox::run_function: functions called with JSON values, the host table, limits.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "rules/sandbox.hpp"

namespace kaiwu::rules {
namespace {

const std::string kScript = R"(
function echo(input, ctx) return {input = input, app = ctx.app} end
function add(input) return kaiwu.math.add(input.a, input.b) end
function guarded(input)
  local ok, err = pcall(kaiwu.fail)
  return {ok = ok, err = err}
end
function spin() while true do end end
function bad_result() return function() end end
function list() return {1, 2, "three"} end
)";

HostApi host() {
  HostApi api;
  api["math.add"] = [](std::string_view args) -> Result<std::string> {
    if (boost::json::parse(args) != boost::json::parse("[2,3.5]"))
      return fail(Errc::kInvalidArgument, std::string("unexpected ") + std::string(args));
    return std::string("5.5");
  };
  api["fail"] = [](std::string_view) -> Result<std::string> {
    return fail(Errc::kPermissionDenied, "not allowed");
  };
  return api;
}

TEST(SandboxHost, CallsFunctionsWithJsonValues) {
  Sandbox sb;
  auto r = sb.run_function("t", kScript, "echo", R"({"x":[1,2],"y":{"z":true}})", R"({"app":"demo"})", host());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(boost::json::parse(*r), boost::json::parse(R"({"input":{"x":[1,2],"y":{"z":true}},"app":"demo"})"));
  auto l = sb.run_function("t", kScript, "list", "{}", "{}", host());
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, R"([1,2,"three"])");
}

TEST(SandboxHost, HostFunctionsAreNestedAndReturnValues) {
  Sandbox sb;
  auto r = sb.run_function("t", kScript, "add", R"({"a":2,"b":3.5})", "{}", host());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(boost::json::parse(*r), boost::json::value(5.5));
}

TEST(SandboxHost, HostErrorsAreLuaErrorsNamingTheFunction) {
  Sandbox sb;
  auto r = sb.run_function("t", kScript, "guarded", "{}", "{}", host());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(boost::json::parse(*r), boost::json::parse(R"({"ok":false,"err":"fail: not allowed"})"));
  auto unguarded = sb.run_function("t", "function f() kaiwu.fail() end", "f", "{}", "{}", host());
  ASSERT_FALSE(unguarded);
  EXPECT_EQ(unguarded.error().message, "fail: not allowed");
}

TEST(SandboxHost, MissingFunctionsLimitsAndBadResults) {
  Sandbox sb(SandboxLimits{.instructions = 100'000, .memory_bytes = 1u << 20, .wall_time = std::chrono::milliseconds(500)});
  auto missing = sb.run_function("t", kScript, "nope", "{}", "{}", host());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_FALSE(sb.run_function("t", kScript, "pairs", "{}", "{}", host()));  // only the script's own globals
  auto spin = sb.run_function("t", kScript, "spin", "{}", "{}", host());
  ASSERT_FALSE(spin);
  EXPECT_EQ(spin.error().code, Errc::kResourceExhausted);
  auto bad = sb.run_function("t", kScript, "bad_result", "{}", "{}", host());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cannot leave the sandbox"), std::string::npos);
  EXPECT_FALSE(sb.run_function("t", kScript, "echo", "not json", "{}", host()));
  // Still usable afterwards.
  EXPECT_TRUE(sb.run_function("t", kScript, "echo", "{}", "{}", host()));
}

}  // namespace
}  // namespace kaiwu::rules
