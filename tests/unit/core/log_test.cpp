#include "core/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <boost/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kaiwu::log {
namespace {

namespace json = boost::json;

// A string field of a log line ("<missing>" or "<not a string>" otherwise).
std::string text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return "<missing>";
  if (!v->is_string()) return "<not a string>";
  return std::string(v->as_string());
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  Status setup_with(std::string level, std::string format) {
    LogConfig config;
    config.level = std::move(level);
    config.format = std::move(format);
    return setup(config, sink_);
  }

  std::vector<std::string> lines() {
    spdlog::default_logger()->flush();
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

  // The one line logged so far, parsed as a JSON object.
  json::object only_json_line() {
    auto all = lines();
    if (all.size() != 1) {
      ADD_FAILURE() << "expected one line, got " << all.size() << ":\n" << out_.str();
      return {};
    }
    boost::system::error_code ec;
    json::value v = json::parse(all[0], ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << all[0];
      return {};
    }
    return v.as_object();
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
  spdlog::sink_ptr sink_;
};

TEST_F(LogTest, AcceptsBothFormatsAndEveryConfiguredLevel) {
  for (const char* format : {"text", "json"}) {
    for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
      auto st = setup_with(level, format);
      EXPECT_TRUE(st) << format << "/" << level << ": " << st.error().message;
    }
  }
  EXPECT_TRUE(setup_with("warn", "text"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_TRUE(setup_with("trace", "text"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::trace);
}

TEST_F(LogTest, DefaultSinkIsStderr) {
  LogConfig config;
  EXPECT_TRUE(setup(config));
  EXPECT_EQ(spdlog::default_logger()->name(), "kaiwu");
}

TEST_F(LogTest, RejectsBadLevelAndKeepsTheLogger) {
  auto before = spdlog::default_logger();
  auto st = setup_with("verbose", "text");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(st.error().message, "log.level: \"verbose\" is not a level");
  EXPECT_EQ(spdlog::default_logger(), before);
  EXPECT_FALSE(setup_with("", "text"));
}

TEST_F(LogTest, RejectsBadFormat) {
  auto before = spdlog::default_logger();
  auto st = setup_with("info", "xml");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(st.error().message, "log.format: \"xml\" is not one of text, json");
  EXPECT_EQ(spdlog::default_logger(), before);
}

TEST_F(LogTest, JsonLineHasTheDocumentedFields) {
  ASSERT_TRUE(setup_with("info", "json"));
  spdlog::info("device {} online", "pump-1");
  json::object o = only_json_line();
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(o.size(), 5u);
  EXPECT_EQ(text(o, "level"), "info");
  EXPECT_EQ(text(o, "msg"), "device pump-1 online");
  EXPECT_EQ(text(o, "request_id"), "-");
  EXPECT_TRUE(o.at("thread").is_number());
  ASSERT_TRUE(o.at("ts").is_string());
  std::string ts(o.at("ts").as_string());
  static const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2})");
  EXPECT_TRUE(std::regex_match(ts, iso)) << ts;
}

TEST_F(LogTest, JsonEscapesTheMessage) {
  ASSERT_TRUE(setup_with("info", "json"));
  const std::string msg = "quote \" backslash \\ newline \n tab \t cr \r bell \x07 温度 end";
  spdlog::info("{}", msg);
  json::object o = only_json_line();
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(text(o, "msg"), msg);
  EXPECT_EQ(lines().at(0).find('\x07'), std::string::npos);  // control characters as \u0007
}

TEST_F(LogTest, JsonCarriesTheRequestIdEscaped) {
  ASSERT_TRUE(setup_with("info", "json"));
  {
    RequestIdScope scope("req-\"42\"\\\n");
    spdlog::warn("inside");
  }
  json::object o = only_json_line();
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(text(o, "request_id"), "req-\"42\"\\\n");
  EXPECT_EQ(text(o, "level"), "warning");
  EXPECT_EQ(text(o, "msg"), "inside");
}

TEST_F(LogTest, EveryJsonLineParses) {
  ASSERT_TRUE(setup_with("trace", "json"));
  spdlog::trace("t");
  spdlog::debug("d");
  {
    RequestIdScope scope("abc");
    spdlog::info("i");
    spdlog::error("e {}", "\"x\"");
  }
  spdlog::critical("c");
  auto all = lines();
  ASSERT_EQ(all.size(), 5u) << out_.str();
  const char* levels[] = {"trace", "debug", "info", "error", "critical"};
  const char* ids[] = {"-", "-", "abc", "abc", "-"};
  for (std::size_t i = 0; i < all.size(); ++i) {
    boost::system::error_code ec;
    json::value v = json::parse(all[i], ec);
    ASSERT_FALSE(ec) << all[i];
    ASSERT_TRUE(v.is_object()) << all[i];
    EXPECT_EQ(text(v.as_object(), "level"), levels[i]);
    EXPECT_EQ(text(v.as_object(), "request_id"), ids[i]);
  }
}

TEST_F(LogTest, LevelFiltersLines) {
  ASSERT_TRUE(setup_with("warn", "json"));
  spdlog::info("hidden");
  spdlog::debug("hidden");
  spdlog::warn("shown");
  json::object o = only_json_line();
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(text(o, "msg"), "shown");
}

TEST_F(LogTest, TextLineShowsLevelRequestIdAndMessage) {
  ASSERT_TRUE(setup_with("info", "text"));
  spdlog::info("no request");
  {
    RequestIdScope scope("req-7");
    spdlog::error("failed: {}", 42);
  }
  auto all = lines();
  ASSERT_EQ(all.size(), 2u) << out_.str();
  static const std::regex line_re(
      R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} (\S+) +\[(\S+)\] (.*))");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(all[0], m, line_re)) << all[0];
  EXPECT_EQ(m[1], "info");
  EXPECT_EQ(m[2], "-");
  EXPECT_EQ(m[3], "no request");
  ASSERT_TRUE(std::regex_match(all[1], m, line_re)) << all[1];
  EXPECT_EQ(m[1], "error");
  EXPECT_EQ(m[2], "req-7");
  EXPECT_EQ(m[3], "failed: 42");
}

TEST(RequestIdScope, NestsAndRestores) {
  EXPECT_EQ(current_request_id(), "");
  {
    RequestIdScope outer("outer");
    EXPECT_EQ(current_request_id(), "outer");
    {
      RequestIdScope inner("inner");
      EXPECT_EQ(current_request_id(), "inner");
    }
    EXPECT_EQ(current_request_id(), "outer");
  }
  EXPECT_EQ(current_request_id(), "");
}

// A scope made from the current id views the string it replaces.
TEST(RequestIdScope, CanBeMadeFromTheCurrentId) {
  const std::string long_id(64, 'x');  // beyond the small-string buffer
  for (const std::string& id : {std::string("short"), long_id}) {
    RequestIdScope outer(id);
    {
      RequestIdScope again(current_request_id());
      EXPECT_EQ(current_request_id(), id);
    }
    EXPECT_EQ(current_request_id(), id);
  }
  EXPECT_EQ(current_request_id(), "");
}

TEST(RequestIdScope, IsPerThread) {
  RequestIdScope scope("main-thread");
  std::string seen = "unset";
  std::thread([&seen] {
    seen = std::string(current_request_id());
    RequestIdScope other("worker");
  }).join();
  EXPECT_EQ(seen, "");
  EXPECT_EQ(current_request_id(), "main-thread");
}

}  // namespace
}  // namespace kaiwu::log
