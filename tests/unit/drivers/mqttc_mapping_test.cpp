// The sans-I/O half of the `mqtt` driver: addresses, JSON paths, conversion and timestamps.
#include <gtest/gtest.h>

#include "core/json_parse.hpp"
#include "drivers/mqttc/mapping.hpp"

namespace kaiwu::drivers::mqttc {
namespace {

tsdb::Value at(std::string_view payload, std::string_view path, DataType type) {
  auto doc = parse_json(payload);
  EXPECT_TRUE(doc) << payload;
  auto steps = parse_path(path);
  EXPECT_TRUE(steps) << path;
  auto v = lookup(*doc, *steps);
  EXPECT_TRUE(v) << v.error().message;
  auto r = convert(**v, type);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : tsdb::Value(std::string("<error>"));
}

Error at_error(std::string_view payload, std::string_view path, DataType type) {
  auto doc = parse_json(payload);
  auto steps = parse_path(path);
  auto v = lookup(*doc, *steps);
  if (!v) return v.error();
  auto r = convert(**v, type);
  EXPECT_FALSE(r);
  return r ? Error(Errc::kOk, "") : r.error();
}

TEST(MqttcMapping, AddressSplitsFilterAndPath) {
  auto a = parse_address("factory/line1/press/status#$.temperature");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->filter, "factory/line1/press/status");
  EXPECT_EQ(a->path, "$.temperature");
  ASSERT_EQ(a->steps.size(), 1u);
  EXPECT_EQ(std::get<std::string>(a->steps[0]), "temperature");

  a = parse_address("plc/+/data#values.speed");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->filter, "plc/+/data");
  EXPECT_EQ(a->steps.size(), 2u);

  a = parse_address("sensors/#");  // a multi-level wildcard, empty path
  ASSERT_TRUE(a);
  EXPECT_EQ(a->filter, "sensors/#");
  EXPECT_TRUE(a->steps.empty());

  a = parse_address("sensors/##v[2]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->filter, "sensors/#");
  ASSERT_EQ(a->steps.size(), 2u);
  EXPECT_EQ(std::get<std::size_t>(a->steps[1]), 2u);

  a = parse_address("sensors/t1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->filter, "sensors/t1");
  EXPECT_TRUE(a->steps.empty());
}

TEST(MqttcMapping, BadAddressesAreNamed) {
  for (std::string_view bad : {"", "#x", "a/b+#v", "a#v..w", "a#v[", "a#v[x]", "a#v]", "a#.", "a#v."}) {
    auto a = parse_address(bad);
    EXPECT_FALSE(a) << bad;
    if (!a) {
      EXPECT_NE(a.error().message.find("address"), std::string::npos) << a.error().message;
    }
  }
  std::string deep = "a";
  for (int i = 0; i < 40; ++i) deep += "[0]";
  EXPECT_FALSE(parse_path(deep));  // more than kMaxPathSteps
}

TEST(MqttcMapping, PathSyntax) {
  auto steps = parse_path("$.data[0].v");
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ(std::get<std::string>((*steps)[0]), "data");
  EXPECT_EQ(std::get<std::size_t>((*steps)[1]), 0u);
  EXPECT_EQ(std::get<std::string>((*steps)[2]), "v");
  steps = parse_path("$[2][1]");
  ASSERT_TRUE(steps);
  EXPECT_EQ(steps->size(), 2u);
  EXPECT_TRUE(parse_path("$")->empty());
  EXPECT_TRUE(parse_path("")->empty());
}

TEST(MqttcMapping, ValuesByType) {
  const std::string_view doc =
      R"({"t":21.5,"n":{"speed":"1200","count":7},"arr":[1.5,[2,3]],"on":true,"s":"auto","big":4294967296})";
  EXPECT_EQ(at(doc, "t", DataType::kFloat64), tsdb::Value(21.5));
  EXPECT_EQ(at(doc, "n.speed", DataType::kInt32), tsdb::Value(std::int64_t{1200}));
  EXPECT_EQ(at(doc, "n.speed", DataType::kFloat64), tsdb::Value(1200.0));
  EXPECT_EQ(at(doc, "n.count", DataType::kUint16), tsdb::Value(std::int64_t{7}));
  EXPECT_EQ(at(doc, "arr[0]", DataType::kFloat32), tsdb::Value(1.5));
  EXPECT_EQ(at(doc, "$.arr[1][1]", DataType::kInt64), tsdb::Value(std::int64_t{3}));
  EXPECT_EQ(at(doc, "on", DataType::kBool), tsdb::Value(true));
  EXPECT_EQ(at(doc, "s", DataType::kString), tsdb::Value(std::string("auto")));
  EXPECT_EQ(at(doc, "t", DataType::kString), tsdb::Value(std::string("21.5")));
  EXPECT_EQ(at(doc, "big", DataType::kInt64), tsdb::Value(std::int64_t{4294967296}));

  EXPECT_NE(at_error(doc, "s", DataType::kInt32).message.find("'auto' is not a int32"), std::string::npos);
  EXPECT_NE(at_error(doc, "t", DataType::kInt32).message.find("not a int32"), std::string::npos);
  EXPECT_NE(at_error(doc, "big", DataType::kUint32).message.find("out of range"), std::string::npos);
  EXPECT_NE(at_error(doc, "n", DataType::kFloat64).message.find("an object"), std::string::npos);
  EXPECT_NE(at_error(doc, "arr", DataType::kFloat64).message.find("an array"), std::string::npos);
  EXPECT_NE(at_error(doc, "on", DataType::kFloat64).message.find("a bool"), std::string::npos);
  EXPECT_EQ(at_error(doc, "missing", DataType::kFloat64).code, Errc::kNotFound);
  EXPECT_EQ(at_error(doc, "arr[5]", DataType::kFloat64).code, Errc::kNotFound);
  EXPECT_EQ(at_error(doc, "t.x", DataType::kFloat64).code, Errc::kNotFound);
}

TEST(MqttcMapping, PlainPayloads) {
  EXPECT_EQ(*convert_text(" 23.25\n", DataType::kFloat64), tsdb::Value(23.25));
  EXPECT_EQ(*convert_text("-12", DataType::kInt16), tsdb::Value(std::int64_t{-12}));
  EXPECT_EQ(*convert_text("true", DataType::kBool), tsdb::Value(true));
  EXPECT_EQ(*convert_text("0", DataType::kBool), tsdb::Value(false));
  EXPECT_EQ(*convert_text("hello", DataType::kString), tsdb::Value(std::string("hello")));
  EXPECT_FALSE(convert_text("hello", DataType::kFloat64));
  EXPECT_FALSE(convert_text("", DataType::kFloat64));
  EXPECT_FALSE(convert_text("70000", DataType::kInt16));
  EXPECT_FALSE(convert_text("1.5", DataType::kInt32));
  EXPECT_FALSE(convert_text("nan", DataType::kFloat64));
}

TEST(MqttcMapping, Timestamps) {
  // 2026-11-26T04:30:00Z = 1795667400 s since the epoch.
  EXPECT_EQ(*parse_iso8601("2026-11-26T04:30:00Z"), 1795667400000);
  EXPECT_EQ(*parse_iso8601("2026-11-26T04:30:00.25Z"), 1795667400250);
  EXPECT_EQ(*parse_iso8601("2026-11-26T12:30:00.5+08:00"), 1795667400500);
  EXPECT_EQ(*parse_iso8601("2026-11-25T23:30:00-05:00"), 1795667400000);
  EXPECT_EQ(*parse_iso8601("2026-11-26 04:30:00"), 1795667400000);
  EXPECT_FALSE(parse_iso8601("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-11-26T04:30:00+8"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_EQ(*parse_timestamp(boost::json::value(1795667400250LL)), 1795667400250);
  EXPECT_EQ(*parse_timestamp(boost::json::value(1795667400)), 1795667400000);  // seconds
  EXPECT_EQ(*parse_timestamp(boost::json::value("1795667400250")), 1795667400250);
  EXPECT_EQ(*parse_timestamp(boost::json::value("2026-11-26T04:30:00Z")), 1795667400000);
  EXPECT_FALSE(parse_timestamp(boost::json::value(true)));
  EXPECT_FALSE(parse_timestamp(boost::json::value(-5)));
}

TEST(MqttcMapping, WritePayload) {
  EXPECT_EQ(json_object("setpoint", tsdb::Value(std::int64_t{42})), R"({"setpoint":42})");
  EXPECT_EQ(json_object("on", tsdb::Value(true)), R"({"on":true})");
  EXPECT_EQ(json_object("mode", tsdb::Value(std::string("a\"b"))), R"({"mode":"a\"b"})");
  EXPECT_EQ(json_object("sp", tsdb::Value(42.5)), R"({"sp":42.5})");
  EXPECT_EQ(json_object("sp", tsdb::Value(85.0)), R"({"sp":85})");
}

}  // namespace
}  // namespace kaiwu::drivers::mqttc
