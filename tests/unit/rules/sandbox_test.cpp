// The Lua sandbox: the documented API works; escapes and exhaustion fail cleanly with line
// numbers; the sandbox stays usable afterwards.
#include "rules/sandbox.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kaiwu::rules {
namespace {

Message sample() {
  Message m;
  m.tenant_id = "t1";
  m.device_id = "d1";
  m.device_name = "boiler-1";
  m.profile_id = "p1";
  m.ts = 1'700'000'000'000;
  m.data = {{"temp", 21.5}, {"count", std::int64_t{7}}, {"on", true}, {"mode", std::string("auto")}};
  m.metadata = {{"site", "north"}};
  return m;
}

class SandboxTest : public ::testing::Test {
 protected:
  Sandbox box{SandboxLimits{200'000, 2u << 20, std::chrono::milliseconds(2000)},
              [] { return std::int64_t{1234}; }};

  Result<bool> filter(const std::string& src) { return box.run_filter("t", src, sample()); }
  // A script that must fail; returns its error.
  Error failing(const std::string& src) {
    auto r = box.run_filter("t", src, sample());
    EXPECT_FALSE(r.has_value()) << "script unexpectedly succeeded: " << src;
    return r ? Error{} : r.error();
  }
};

TEST_F(SandboxTest, FilterSeesMessageFields) {
  EXPECT_EQ(filter("return msg.data.temp > 20"), true);
  EXPECT_EQ(filter("return msg.data.temp > 30"), false);
  EXPECT_EQ(filter("return msg.deviceName == 'boiler-1' and msg.deviceId == 'd1' and msg.profileId == 'p1'"),
            true);
  EXPECT_EQ(filter("return math.type(msg.data.count) == 'integer' and msg.data.on == true"), true);
  EXPECT_EQ(filter("return metadata.site == 'north' and msg.metadata.site == 'north'"), true);
  EXPECT_EQ(filter("return msg.ts == 1700000000000 and msg.type == 'telemetry'"), true);
}

TEST_F(SandboxTest, HelpersAndTime) {
  EXPECT_EQ(filter("return now() == 1234"), true);
  EXPECT_EQ(filter("return round(2.345, 2) == 2.35 and round(2.5) == 3"), true);
  EXPECT_EQ(filter("return clamp(15, 0, 10) == 10 and clamp(-1, 0, 10) == 0"), true);
  EXPECT_EQ(filter("return avg(1, 2, 3) == 2"), true);
  EXPECT_EQ(filter("return math.max(1, 5) == 5 and math.floor(2.7) == 2"), true);
  EXPECT_EQ(filter("return string.upper('a') == 'A' and ('abc'):sub(2, 2) == 'b'"), true);
  EXPECT_EQ(filter("return type(os.time()) == 'number' and os.execute == nil"), true);
  EXPECT_EQ(filter("local t = {3, 1, 2}; table.sort(t); return t[1] == 1 and #t == 3"), true);
}

TEST_F(SandboxTest, FilterMustReturnBoolean) {
  auto e = failing("return 1");
  EXPECT_EQ(e.code, Errc::kInvalidArgument);
  EXPECT_NE(e.message.find("must return a boolean"), std::string::npos) << e.message;
}

TEST_F(SandboxTest, TransformReplacesDataAndMetadata) {
  auto r = box.run_transform("t",
                             "msg.data.tempF = msg.data.temp * 9 / 5 + 32\n"
                             "msg.data.mode = nil\n"
                             "msg.metadata.unit = 'F'\n"
                             "return msg",
                             sample());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(std::get<double>(r->data.at("tempF")), 70.7);
  EXPECT_EQ(r->data.count("mode"), 0u);
  EXPECT_EQ(std::get<std::int64_t>(r->data.at("count")), 7);
  EXPECT_EQ(r->metadata.at("unit"), "F");
  EXPECT_EQ(r->metadata.at("site"), "north");
  EXPECT_EQ(r->device_id, "d1");

  auto fresh = box.run_transform("t2", "return {data = {x = 1}, ts = 5}", sample());
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(fresh->data.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(fresh->data.at("x")), 1);
  EXPECT_EQ(fresh->ts, 5);
  EXPECT_EQ(fresh->metadata.at("site"), "north");
}

TEST_F(SandboxTest, TransformErrors) {
  auto nil = box.run_transform("t", "msg.data.x = 1", sample());
  ASSERT_FALSE(nil);
  EXPECT_NE(nil.error().message.find("must return a table"), std::string::npos);
  auto nested = box.run_transform("t", "msg.data.x = {}\nreturn msg", sample());
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("data.x"), std::string::npos) << nested.error().message;
}

TEST_F(SandboxTest, ErrorsCarryLineNumbers) {
  auto rt = failing("local a = 1\nlocal b = 2\nreturn msg.data.missing.x > 1");
  EXPECT_EQ(rt.code, Errc::kInvalidArgument);
  EXPECT_EQ(rt.message.rfind("line 3:", 0), 0u) << rt.message;

  auto user = failing("\n\nerror('boom')");
  EXPECT_EQ(user.message, "line 3: boom");

  auto syntax = Sandbox::check_syntax("local x = 1\nif x then\nreturn true\n");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().message.rfind("line 4:", 0), 0u) << syntax.error().message;
  auto run_syntax = failing("return (");
  EXPECT_EQ(run_syntax.message.rfind("line 1:", 0), 0u) << run_syntax.message;
  EXPECT_TRUE(Sandbox::check_syntax("return msg.data.x > 1"));
}

TEST_F(SandboxTest, DangerousGlobalsAreAbsent) {
  for (const char* name : {"io", "load", "loadstring", "dofile", "loadfile", "require", "debug",
                           "package", "collectgarbage", "rawset", "rawget", "print", "module"}) {
    EXPECT_EQ(filter(std::string("return ") + name + " == nil"), true) << name;
  }
  EXPECT_EQ(filter("return string.dump == nil and os.exit == nil and os.getenv == nil and "
                   "os.remove == nil"),
            true);
}

TEST_F(SandboxTest, EscapeAttemptsFail) {
  EXPECT_NE(failing("os.execute('touch /tmp/kaiwu-pwned'); return true").message.find("line 1:"),
            std::string::npos);
  failing("io.open('/etc/passwd'); return true");
  failing("local f = load('return 1'); return f() == 1");
  failing("require('os'); return true");
  failing("return debug.getinfo(1) ~= nil");
  failing("return string.dump(function() end) ~= nil");
  // The string metatable is locked: no route to the real string library or globals.
  EXPECT_EQ(filter("return getmetatable('') == false"), true);
  failing("local mt = getmetatable(''); return mt.__index.dump ~= nil");
  // _G and _ENV are the script's own environment, which hides its metatable.
  EXPECT_EQ(filter("return _G.io == nil and _ENV.os.execute == nil and getmetatable(_G) == false"),
            true);
  // Libraries are read-only and shared state cannot be planted for the next invocation.
  failing("string.upper = function() return 'x' end; return true");
  failing("math.pi = 3; return true");
  EXPECT_EQ(filter("x_global = 42; _G.y = 1; return true"), true);
  EXPECT_EQ(filter("return x_global == nil and y == nil and math.pi > 3.14"), true);
  // Finalisers would run outside every limit.
  auto gc = failing("setmetatable({}, {__gc = function() while true do end end}); return true");
  EXPECT_NE(gc.message.find("__gc"), std::string::npos);
  // A coroutine cannot reach anything the main chunk cannot.
  EXPECT_EQ(filter("local co = coroutine.create(function() return io end)\n"
                   "local ok, v = coroutine.resume(co); return ok and v == nil"),
            true);
  // The file on disk was never touched.
  EXPECT_EQ(filter("return true"), true);
}

TEST_F(SandboxTest, InstructionLimitStopsInfiniteLoop) {
  auto e = failing("local x = 0\nwhile true do\n  x = x + 1\nend");
  EXPECT_EQ(e.code, Errc::kResourceExhausted);
  EXPECT_NE(e.message.find("instruction limit exceeded"), std::string::npos) << e.message;
  EXPECT_TRUE(e.message.rfind("line 2:", 0) == 0 || e.message.rfind("line 3:", 0) == 0) << e.message;
}

TEST_F(SandboxTest, LimitsCannotBeSwallowedByPcall) {
  auto e = failing("while true do pcall(function() while true do end end) end");
  EXPECT_EQ(e.code, Errc::kResourceExhausted);
  auto x = failing("local ok = xpcall(function() while true do end end, function(m) return m end)\n"
                   "return ok == false");
  EXPECT_EQ(x.code, Errc::kResourceExhausted);
  auto co = failing("local co = coroutine.wrap(function() while true do end end)\n"
                    "while true do pcall(co) end");
  EXPECT_EQ(co.code, Errc::kResourceExhausted);
  auto resume = failing("while true do\n"
                        "  local c = coroutine.create(function() while true do end end)\n"
                        "  coroutine.resume(c)\nend");
  EXPECT_EQ(resume.code, Errc::kResourceExhausted);
}

TEST_F(SandboxTest, MemoryLimitStopsHugeAllocations) {
  auto s = failing("local s = string.rep('x', 100000000); return #s > 0");
  EXPECT_EQ(s.code, Errc::kResourceExhausted);
  EXPECT_NE(s.message.find("memory"), std::string::npos) << s.message;
  auto t = failing("local t = {}\nfor i = 1, 10000000 do t[i] = i end\nreturn true");
  EXPECT_EQ(t.code, Errc::kResourceExhausted);
  auto p = failing("local t = {}\nwhile true do pcall(function() t[#t + 1] = string.rep('y', 1000) end) end");
  EXPECT_EQ(p.code, Errc::kResourceExhausted);
  auto concat = failing("local s = 'x'\nfor i = 1, 40 do s = s .. s end\nreturn true");
  EXPECT_EQ(concat.code, Errc::kResourceExhausted);
}

TEST_F(SandboxTest, DeepRecursionFails) {
  auto e = failing("local function f(n) return 1 + f(n + 1) end\nreturn f(1) > 0");
  EXPECT_TRUE(e.code == Errc::kResourceExhausted || e.code == Errc::kInvalidArgument);
  auto meta = failing(
      "local t = setmetatable({}, {__index = function(t, k) return t[k] end})\nreturn t.x");
  EXPECT_EQ(meta.code, Errc::kInvalidArgument);
  EXPECT_NE(meta.message.find("stack overflow"), std::string::npos) << meta.message;
}

TEST_F(SandboxTest, CostlyPatternsAreRefused) {
  auto e = failing("local s = string.rep('a', 3000)\nreturn s:find('.-.-.-.-b') ~= nil");
  EXPECT_NE(e.message.find("pattern too costly"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.rfind("line 2:", 0), 0u) << e.message;
  EXPECT_EQ(filter("local s = string.rep('a', 100000) .. 'b'\nreturn s:find('ab', 1, true) == 100000"),
            true);
  EXPECT_EQ(filter("return ('temp=21'):match('temp=(%d+)') == '21'"), true);
}

TEST_F(SandboxTest, WallTimeLimit) {
  Sandbox slow{SandboxLimits{1'000'000'000'000, 8u << 20, std::chrono::milliseconds(50)}};
  auto r = slow.run_filter("t", "while true do end", sample());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kResourceExhausted);
  EXPECT_NE(r.error().message.find("time limit exceeded"), std::string::npos) << r.error().message;
}

TEST_F(SandboxTest, UsableAfterFailuresAndChunksCached) {
  for (int i = 0; i < 3; ++i) failing("while true do end");
  failing("local s = string.rep('x', 100000000) return true");
  EXPECT_EQ(filter("return msg.data.temp > 20"), true);
  const std::size_t before = box.cached_chunks();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(filter("return msg.data.temp > 20"), true);
  EXPECT_EQ(box.cached_chunks(), before);
  EXPECT_EQ(box.run_filter("other", "return msg.data.temp > 21", sample()), true);
  EXPECT_EQ(box.cached_chunks(), before + 1);
  // A new version under the same name replaces the old chunk.
  EXPECT_EQ(filter("return msg.data.temp > 99"), false);
  EXPECT_EQ(box.cached_chunks(), before + 1);
}

TEST_F(SandboxTest, ErrorObjectsAreNotCalled) {
  auto e = failing("error(setmetatable({}, {__tostring = function() while true do end end}))");
  EXPECT_NE(e.message.find("error object is a table"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace kaiwu::rules
