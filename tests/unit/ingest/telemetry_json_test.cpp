#include <gtest/gtest.h>

#include "ingest/telemetry_json.hpp"

namespace kaiwu::ingest {
namespace {

TEST(TelemetryJson, ObjectFormUsesReceiveTime) {
  auto r = parse_telemetry_json(R"({"t": 21.5, "n": 7, "on": true, "mode": "auto", "cfg": {"a": [1]}})", 1000);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].key, "t");
  EXPECT_EQ(std::get<double>((*r)[0].value), 21.5);
  EXPECT_EQ(std::get<std::int64_t>((*r)[1].value), 7);
  EXPECT_EQ(std::get<bool>((*r)[2].value), true);
  EXPECT_EQ(std::get<std::string>((*r)[3].value), "auto");
  EXPECT_EQ(std::get<std::string>((*r)[4].value), R"({"a":[1]})");
  for (const auto& s : *r) EXPECT_EQ(s.ts, 1000);
}

TEST(TelemetryJson, TimestampedAndArrayForms) {
  auto r = parse_telemetry_json(R"([{"ts": 5, "values": {"a": 1.0}}, {"b": 2}, {"ts": 9, "values": {}}])", 1000);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].ts, 5);
  EXPECT_EQ(std::get<double>((*r)[0].value), 1.0);
  EXPECT_EQ((*r)[1].ts, 1000);
  EXPECT_EQ(std::get<std::int64_t>((*r)[1].value), 2);
}

TEST(TelemetryJson, LargeIntegersAndDoublesKeepTheirType) {
  auto r = parse_telemetry_json(R"({"big": 9223372036854775807, "huge": 18446744073709551615, "e": 1e3})", 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(std::get<std::int64_t>((*r)[0].value), INT64_MAX);
  EXPECT_EQ(std::get<double>((*r)[1].value), 18446744073709551615.0);
  EXPECT_EQ(std::get<double>((*r)[2].value), 1000.0);
}

TEST(TelemetryJson, ErrorsNameTheProblem) {
  struct Case {
    const char* payload;
    const char* fragment;
  };
  for (auto c : {Case{"{", "malformed JSON"}, Case{"[1]", "[0]: expected an object"},
                 Case{R"({"a": null})", "telemetry.a: null"}, Case{R"({"ts": -1, "values": {"a": 1}})", ".ts"},
                 Case{R"({"ts": 1.5, "values": {"a": 1}})", ".ts"}, Case{R"({"ts": 1, "a": 2})", "values"},
                 Case{R"([{"ts": 1, "values": 2}])", "[0].values: expected an object"}, Case{R"({"": 1})", "key"}}) {
    auto r = parse_telemetry_json(c.payload, 0);
    ASSERT_FALSE(r) << c.payload;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.fragment), std::string::npos) << c.payload << " → " << r.error().message;
  }
}

}  // namespace
}  // namespace kaiwu::ingest
