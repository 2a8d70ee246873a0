#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "model/entities.hpp"

namespace kaiwu::model {
namespace {

namespace json = boost::json;

// A complete model: every field of the documented shape, every section.
constexpr std::string_view kPumpModel = R"({
  "services": [
    {"identifier": "setSpeed", "name": "设定转速", "callType": "sync",
     "inputs": [{"identifier": "rpm", "type": "int", "min": 0, "max": 3000, "unit": "r/min"}],
     "outputs": [{"identifier": "ok", "type": "bool"}]},
    {"identifier": "reset", "callType": "async"}
  ],
  "properties": [
    {"identifier": "temperature", "name": "温度", "type": "float", "unit": "°C",
     "min": -40, "max": 125.5, "access": "r", "description": "outlet water"},
    {"identifier": "mode", "name": "模式", "type": "enum", "values": {"0": "off", "1": "auto"},
     "access": "rw"},
    {"identifier": "serial_no", "type": "string", "access": "r"},
    {"identifier": "counters.total", "type": "double", "min": 0, "max": 0}
  ],
  "events": [
    {"identifier": "overheat", "name": "过热", "type": "alert",
     "outputs": [{"identifier": "temperature", "type": "float"},
                 {"identifier": "since", "type": "date"}]},
    {"identifier": "started", "type": "info"}
  ]
})";

// Parses and expects a valid model; returns the normalised JSON.
json::value valid(std::string_view text) {
  auto r = validate_thing_model(text);
  if (!r) {
    ADD_FAILURE() << r.error().message << "\nfor " << text;
    return {};
  }
  boost::system::error_code ec;
  json::value v = json::parse(*r, ec);
  EXPECT_FALSE(ec) << *r;
  return v;
}

// Expects rejection; returns the message.
std::string error_of(std::string_view text) {
  auto r = validate_thing_model(text);
  if (r) {
    ADD_FAILURE() << "accepted: " << text;
    return {};
  }
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  return r.error().message;
}

// A model with one property given as JSON.
std::string with_property(std::string_view property) {
  return R"({"properties":[)" + std::string(property) + "]}";
}

TEST(ThingModel, ValidModelRoundTripsNormalised) {
  auto r = validate_thing_model(kPumpModel);
  ASSERT_TRUE(r) << r.error().message;
  json::value v = json::parse(*r);
  ASSERT_TRUE(v.is_object());
  const auto& o = v.as_object();
  // Sections in a fixed order, whatever the input order.
  ASSERT_EQ(o.size(), 3u);
  auto it = o.begin();
  EXPECT_EQ((it++)->key(), "properties");
  EXPECT_EQ((it++)->key(), "events");
  EXPECT_EQ((it++)->key(), "services");
  // Content is kept as given.
  json::value input = json::parse(kPumpModel);
  EXPECT_EQ(o.at("properties"), input.at("properties"));
  EXPECT_EQ(o.at("events"), input.at("events"));
  EXPECT_EQ(o.at("services"), input.at("services"));
  EXPECT_EQ(o.at("properties").at(1).at("values").at("1"), "auto");
  EXPECT_EQ(o.at("properties").at(0).at("name"), "温度");
  // Normalising is idempotent: the output validates to itself.
  auto again = validate_thing_model(*r);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *r);
  // Whitespace in the input does not reach the output.
  EXPECT_EQ(r->find('\n'), std::string::npos);
}

TEST(ThingModel, MissingSectionsBecomeEmptyArrays) {
  auto r = validate_thing_model("{}");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, R"({"properties":[],"events":[],"services":[]})");
  json::value v = valid(R"({"events":[{"identifier":"boot"}]})");
  EXPECT_EQ(v.at("properties"), json::array());
  EXPECT_EQ(v.at("services"), json::array());
  EXPECT_EQ(v.at("events").at(0).at("identifier"), "boot");
}

TEST(ThingModel, EveryTypeIsAccepted) {
  for (const char* type : {"int", "float", "double", "bool", "string", "date", "struct", "array"}) {
    std::string model = with_property(R"({"identifier":"p","type":")" + std::string(type) + "\"}");
    EXPECT_TRUE(validate_thing_model(model)) << type;
  }
}

TEST(ThingModel, IdentifierRules) {
  for (const char* id : {"a", "_private", "Temp1", "a.b-c_d",
                         "x23456789012345678901234567890123456"
                         "4567890123456789012345678901"}) {
    EXPECT_TRUE(validate_thing_model(
        with_property(R"({"identifier":")" + std::string(id) + R"(","type":"int"})")))
        << id;
  }
  for (const char* id : {"", "1abc", "-x", ".x", "a b", "温度", "a/b", "a\\\"b"}) {
    std::string msg =
        error_of(with_property(R"({"identifier":")" + std::string(id) + R"(","type":"int"})"));
    EXPECT_TRUE(msg.starts_with("thingModel.properties[0].identifier: ")) << msg;
  }
  std::string too_long(65, 'a');
  EXPECT_TRUE(error_of(with_property(R"({"identifier":")" + too_long + R"(","type":"int"})"))
                  .starts_with("thingModel.properties[0].identifier: "));
}

TEST(ThingModel, ErrorsNameTheirPath) {
  struct Case {
    std::string model;
    std::string message;
  };
  const Case cases[] = {
      {R"({"properties":[{"identifier":"a","type":"int"},{"identifier":"b","type":"integer"}]})",
       "thingModel.properties[1].type: \"integer\" is not one of int, float, double, bool, "
       "string, enum, date, struct, array"},
      {R"({"properties":[{"type":"int"}]})",
       "thingModel.properties[0]: \"identifier\" is required"},
      {R"({"properties":[{"identifier":"a"}]})", "thingModel.properties[0]: \"type\" is required"},
      {R"({"properties":[{"identifier":7,"type":"int"}]})",
       "thingModel.properties[0].identifier: must be a string"},
      {R"({"properties":[{"identifier":"a","type":"int","name":["x"]}]})",
       "thingModel.properties[0].name: must be a string"},
      {R"({"properties":[{"identifier":"a","type":"int","unit":1}]})",
       "thingModel.properties[0].unit: must be a string"},
      {R"({"properties":[{"identifier":"a","type":"int","access":"x"}]})",
       "thingModel.properties[0].access: \"x\" is not one of r, rw, w"},
      {R"({"properties":[{"identifier":"a","type":"int","min":"0"}]})",
       "thingModel.properties[0].min: must be a number"},
      {R"({"properties":[{"identifier":"a","type":"string","max":10}]})",
       "thingModel.properties[0].max: only numeric types have a range"},
      {R"({"properties":{"identifier":"a"}})", "thingModel.properties: must be an array"},
      {R"({"properties":[{"identifier":"a","type":"int"},"b"]})",
       "thingModel.properties[1]: must be an object"},
      {R"({"events":[{"identifier":"e","type":"warning"}]})",
       "thingModel.events[0].type: \"warning\" is not one of info, alert, fault"},
      {R"({"events":[{"name":"no id"}]})", "thingModel.events[0]: \"identifier\" is required"},
      {R"({"events":[{"identifier":"9e"}]})",
       "thingModel.events[0].identifier: \"9e\" is not a valid identifier"},
      {R"({"events":[{"identifier":"e","outputs":{}}]})",
       "thingModel.events[0].outputs: must be an array"},
      {R"({"events":[{"identifier":"e","outputs":[{"identifier":"x","type":"int"},
                                                  {"identifier":"y","type":"complex"}]}]})",
       "thingModel.events[0].outputs[1].type: \"complex\" is not one of int, float, double, "
       "bool, string, enum, date, struct, array"},
      {R"({"services":[{"identifier":"s","callType":"oneway"}]})",
       "thingModel.services[0].callType: \"oneway\" is not one of sync, async"},
      {R"({"services":[{"identifier":"s"},{"identifier":"t","inputs":"rpm"}]})",
       "thingModel.services[1].inputs: must be an array"},
      {R"({"services":[{"identifier":"s","inputs":[1]}]})",
       "thingModel.services[0].inputs[0]: must be an object"},
      {R"({"services":[{"identifier":"s","outputs":[{"identifier":"o"}]}]})",
       "thingModel.services[0].outputs[0]: \"type\" is required"},
      {R"({"services":[{"identifier":"s","inputs":[{"identifier":"v","type":"int","min":5,
                                                    "max":1}]}]})",
       "thingModel.services[0].inputs[0].min: must not exceed max"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(c.model), c.message) << c.model;
}

TEST(ThingModel, DuplicateIdentifiers) {
  EXPECT_EQ(error_of(R"({"properties":[{"identifier":"t","type":"int"},
                                       {"identifier":"u","type":"int"},
                                       {"identifier":"t","type":"float"}]})"),
            "thingModel.properties[2]: duplicate identifier \"t\"");
  EXPECT_EQ(error_of(R"({"events":[{"identifier":"e"},{"identifier":"e"}]})"),
            "thingModel.events[1]: duplicate identifier \"e\"");
  EXPECT_EQ(error_of(R"({"services":[{"identifier":"s"},{"identifier":"s"}]})"),
            "thingModel.services[1]: duplicate identifier \"s\"");
  EXPECT_EQ(error_of(R"({"events":[{"identifier":"e","outputs":[
                {"identifier":"x","type":"int"},{"identifier":"x","type":"int"}]}]})"),
            "thingModel.events[0].outputs[1]: duplicate identifier \"x\"");
  EXPECT_EQ(error_of(R"({"services":[{"identifier":"s","inputs":[
                {"identifier":"x","type":"int"},{"identifier":"x","type":"int"}]}]})"),
            "thingModel.services[0].inputs[1]: duplicate identifier \"x\"");
}

TEST(ThingModel, SameIdentifierInDifferentScopesIsFine) {
  // A property, an event and a service may share a name; so may a service's input and output.
  valid(R"({"properties":[{"identifier":"speed","type":"int"}],
            "events":[{"identifier":"speed","outputs":[{"identifier":"speed","type":"int"}]}],
            "services":[{"identifier":"speed",
                         "inputs":[{"identifier":"v","type":"int"}],
                         "outputs":[{"identifier":"v","type":"int"}]}]})");
}

TEST(ThingModel, Ranges) {
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"int","min":10,"max":5})")),
            "thingModel.properties[0].min: must not exceed max");
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"double","min":0.5,"max":0.25})")),
            "thingModel.properties[0].min: must not exceed max");
  valid(with_property(R"({"identifier":"p","type":"int","min":5,"max":5})"));
  valid(with_property(R"({"identifier":"p","type":"float","min":-1e3,"max":1e3})"));
  valid(with_property(R"({"identifier":"p","type":"int","min":-9223372036854775808,
                          "max":18446744073709551615})"));
  valid(with_property(R"({"identifier":"p","type":"int","min":3})"));  // one bound is enough
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"bool","min":0})")),
            "thingModel.properties[0].min: only numeric types have a range");
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"int","max":true})")),
            "thingModel.properties[0].max: must be a number");
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"int","max":null})")),
            "thingModel.properties[0].max: must be a number");
}

TEST(ThingModel, EnumNeedsValues) {
  const std::string message =
      "thingModel.properties[0].values: an enum needs an object of value → label";
  EXPECT_EQ(error_of(with_property(R"({"identifier":"m","type":"enum"})")), message);
  EXPECT_EQ(error_of(with_property(R"({"identifier":"m","type":"enum","values":{}})")), message);
  EXPECT_EQ(error_of(with_property(R"({"identifier":"m","type":"enum","values":["a","b"]})")),
            message);
  EXPECT_EQ(error_of(R"({"events":[{"identifier":"e","outputs":[{"identifier":"m",
                                                                 "type":"enum"}]}]})"),
            "thingModel.events[0].outputs[0].values: an enum needs an object of value → label");
  valid(with_property(R"({"identifier":"m","type":"enum","values":{"0":"off"}})"));
}

TEST(ThingModel, AccessValues) {
  for (const char* access : {"r", "rw", "w"})
    valid(with_property(R"({"identifier":"p","type":"int","access":")" + std::string(access) +
                        "\"}"));
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"int","access":"RW"})")),
            "thingModel.properties[0].access: \"RW\" is not one of r, rw, w");
  EXPECT_EQ(error_of(with_property(R"({"identifier":"p","type":"int","access":1})")),
            "thingModel.properties[0].access: must be a string");
}

TEST(ThingModel, UnknownTopLevelSection) {
  EXPECT_EQ(error_of(R"({"properties":[],"attributes":[]})"),
            "thingModel.attributes: unknown section (properties, events, services)");
  EXPECT_EQ(error_of(R"({"Properties":[]})"),
            "thingModel.Properties: unknown section (properties, events, services)");
}

TEST(ThingModel, NonJsonInput) {
  for (const char* text : {"", "not json", "{", R"({"properties":[})", "{} extra",
                           R"({"properties":[],})", "{'properties':[]}"}) {
    std::string msg = error_of(text);
    EXPECT_TRUE(msg.starts_with("thingModel: not valid JSON (")) << text << " → " << msg;
  }
}

TEST(ThingModel, RootMustBeAnObject) {
  for (const char* text : {"[]", "null", "42", R"("properties")", "true"})
    EXPECT_EQ(error_of(text), "thingModel: must be a JSON object") << text;
}

TEST(ThingModel, SectionsAreCheckedInFixedOrder) {
  // Properties are checked before events, events before services.
  EXPECT_TRUE(error_of(R"({"services":[{"identifier":"1"}],"properties":[{"identifier":"2"}]})")
                  .starts_with("thingModel.properties[0]"));
}

}  // namespace
}  // namespace kaiwu::model
