#include "edge/config.hpp"

#include <gtest/gtest.h>

#include "fake_driver.hpp"

namespace kaiwu::edge {
namespace {

constexpr const char* kGood = R"(
[uplink]
url = "mqtt://127.0.0.1:18830"
token = "GW-TOKEN-123"
buffer_dir = "/tmp/x"
buffer_max_mb = 16

[[device]]
name = "cnc-01"
driver = "fake"
endpoint = "127.0.0.1:5020"
unit = 1
interval_ms = 500
category = "processing"

  [[device.point]]
  key = "spindle_speed"
  address = "reg:0"
  type = "uint16"
  scale = 0.1
  unit = "r/min"
  deadband = 0.5

  [[device.point]]
  key = "setpoint"
  address = "reg:2"
  type = "float32"
  order = "CDAB"
  writable = true
  interval_ms = 2000
)";

std::string error_of(std::string_view text, std::vector<std::string> sets = {}) {
  auto c = parse_edge_config(text, "edge.toml", sets);
  EXPECT_FALSE(c);
  return c ? std::string() : c.error().message;
}

std::string with(std::string_view needle, std::string_view replacement) {
  std::string s = kGood;
  auto at = s.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  s.replace(at, needle.size(), replacement);
  return s;
}

TEST(EdgeConfig, ParsesTheDesignExample) {
  auto c = parse_edge_config(kGood, "edge.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->uplink.host, "127.0.0.1");
  EXPECT_EQ(c->uplink.port, 18830);
  EXPECT_FALSE(c->uplink.tls);
  EXPECT_EQ(c->uplink.token, "GW-TOKEN-123");
  EXPECT_EQ(c->uplink.buffer_max_mb, 16u);
  EXPECT_EQ(c->uplink.client_id, "kaiwu-edge-GW-TOKEN");
  ASSERT_EQ(c->devices.size(), 1u);
  const auto& d = c->devices[0];
  EXPECT_EQ(d.settings.name, "cnc-01");
  EXPECT_EQ(d.driver, "fake");
  EXPECT_EQ(d.settings.endpoint, "127.0.0.1:5020");
  EXPECT_EQ(d.settings.options.at("unit"), "1");
  EXPECT_EQ(d.interval_ms, 500u);
  EXPECT_EQ(d.category, "processing");
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].type, drivers::DataType::kUint16);
  EXPECT_DOUBLE_EQ(d.points[0].scale, 0.1);
  EXPECT_EQ(d.points[0].unit, "r/min");
  ASSERT_TRUE(d.points[0].deadband);
  EXPECT_DOUBLE_EQ(*d.points[0].deadband, 0.5);
  EXPECT_FALSE(d.points[0].writable);
  EXPECT_EQ(d.points[1].order, drivers::ByteOrder::kCDAB);
  EXPECT_TRUE(d.points[1].writable);
  EXPECT_EQ(d.points[1].interval_ms, 2000u);
}

TEST(EdgeConfig, UplinkUrls) {
  UplinkConfig u;
  u.url = "mqtts://platform.example:9999";
  ASSERT_TRUE(parse_uplink_url(u));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "platform.example");
  EXPECT_EQ(u.port, 9999);
  u.url = "mqtts://platform.example";
  ASSERT_TRUE(parse_uplink_url(u));
  EXPECT_EQ(u.port, 8883);
  u.url = "mqtt://[::1]:1884";
  ASSERT_TRUE(parse_uplink_url(u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 1884);
  for (auto bad : {"http://x:1", "mqtt://", "mqtt://h:0", "mqtt://h:99999", "mqtt://h:x"}) {
    u.url = bad;
    EXPECT_FALSE(parse_uplink_url(u)) << bad;
  }
}

TEST(EdgeConfig, ErrorsNameTheFileDeviceAndKey) {
  EXPECT_EQ(error_of(with("type = \"uint16\"", "type = \"uint17\"")).find("edge.toml: device \"cnc-01\" point \"spindle_speed\": type:"), 0u)
      << error_of(with("type = \"uint16\"", "type = \"uint17\""));
  EXPECT_NE(error_of(with("order = \"CDAB\"", "order = \"ABDC\"")).find("point \"setpoint\": order"), std::string::npos);
  EXPECT_NE(error_of(with("interval_ms = 500", "interval_ms = \"fast\"")).find("device \"cnc-01\": interval_ms: must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(with("category = \"processing\"", "category = \"robotic\"")).find("device \"cnc-01\": category"),
            std::string::npos);
  EXPECT_NE(error_of(with("url = \"mqtt://127.0.0.1:18830\"", "url = \"http://x\"")).find("edge.toml: [uplink]: url"),
            std::string::npos);
  EXPECT_NE(error_of(with("token = \"GW-TOKEN-123\"", "")).find("[uplink]: token: missing"), std::string::npos);
  EXPECT_NE(error_of(with("scale = 0.1", "scale = 0.1\n  colour = \"red\"")).find("point \"spindle_speed\": colour: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of(with("key = \"setpoint\"", "key = \"spindle_speed\"")).find("point \"spindle_speed\": key: duplicate"),
            std::string::npos);
  EXPECT_NE(error_of(with("  key = \"setpoint\"\n", "")).find("device \"cnc-01\" point #2: key: missing"), std::string::npos);
  EXPECT_NE(error_of(with("name = \"cnc-01\"", "")).find("device #1: name: missing"), std::string::npos);
  EXPECT_NE(error_of(std::string(kGood) + "\n[[device]]\nname = \"cnc-01\"\ndriver = \"fake\"\n").find("device \"cnc-01\": name: duplicate"),
            std::string::npos);
  EXPECT_NE(error_of("[uplink\nurl=1").find("edge.toml:1:"), std::string::npos);
  EXPECT_NE(error_of(std::string(kGood) + "\n[extra]\n").find("unknown top-level key \"extra\""), std::string::npos);
  EXPECT_NE(error_of(with("deadband = 0.5", "deadband = -1")).find("deadband: must not be negative"), std::string::npos);
  EXPECT_NE(error_of(with("type = \"uint16\"", "type = \"string\"")).find("length: required"), std::string::npos);
}

TEST(EdgeConfig, SetOverridesUplinkKeys) {
  auto c = parse_edge_config(kGood, "edge.toml", {"uplink.token=OTHER", "uplink.url=mqtt://10.0.0.1:1999", "log.level=debug"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->uplink.token, "OTHER");
  EXPECT_EQ(c->uplink.port, 1999);
  EXPECT_EQ(c->log_level, "debug");
  auto numeric = parse_edge_config(kGood, "edge.toml", {"uplink.token=12345678"});
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uplink.token, "12345678");
  EXPECT_NE(error_of(kGood, {"device.name=x"}).find("only uplink.* and log.*"), std::string::npos);
  EXPECT_NE(error_of(kGood, {"uplink.colour=red"}).find("colour: unknown key"), std::string::npos);
  EXPECT_NE(error_of(kGood, {"uplinktoken"}).find("expected section.key=value"), std::string::npos);
}

TEST(EdgeConfig, ValidatesPointsWithTheDriver) {
  boost::asio::io_context io;
  auto dev = std::make_shared<test::FakeDevice>();
  DriverLookup lookup = [dev](std::string_view name, boost::asio::any_io_executor ex)
      -> Result<std::unique_ptr<drivers::Driver>> {
    if (name != "fake") return fail(Errc::kNotFound, "unknown driver '" + std::string(name) + "'");
    return std::make_unique<test::FakeDriver>(ex, dev);
  };
  auto good = parse_edge_config(kGood, "edge.toml");
  ASSERT_TRUE(good);
  EXPECT_TRUE(validate_devices(*good, lookup, io.get_executor()));
  auto bad = parse_edge_config(with("address = \"reg:2\"", "address = \"hr:2\""), "edge.toml");
  ASSERT_TRUE(bad);
  auto st = validate_devices(*bad, lookup, io.get_executor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "edge.toml: device \"cnc-01\": point setpoint: bad address hr:2");
  auto unknown = parse_edge_config(with("driver = \"fake\"", "driver = \"profibus\""), "edge.toml");
  ASSERT_TRUE(unknown);
  st = validate_devices(*unknown, lookup, io.get_executor());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("device \"cnc-01\": driver: unknown driver 'profibus'"), std::string::npos);
}

TEST(EdgeConfig, TheShippedExampleParses) {
  auto c = load_edge_config(KAIWU_SOURCE_DIR "/examples/edge.toml", {"uplink.token=T0KEN"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->uplink.token, "T0KEN");
  // The example reads `kaiwu sim` (examples/sim.toml) over each of its protocols.
  ASSERT_EQ(c->devices.size(), 5u);
  std::vector<std::string> drivers;
  for (const auto& d : c->devices) drivers.push_back(d.driver);
  EXPECT_EQ(drivers, (std::vector<std::string>{"modbus-tcp", "modbus-tcp", "modbus-tcp", "dlt645", "hj212"}));
  EXPECT_EQ(c->devices[0].settings.name, "cnc-01");
  bool writable = false;
  for (const auto& p : c->devices[0].points) writable = writable || p.writable;
  EXPECT_TRUE(writable);  // the spindle setpoint
  for (const auto& d : c->devices) EXPECT_FALSE(d.points.empty()) << d.settings.name;
}

constexpr const char* kRemote = R"({"version": 7, "devices": [
  {"name": "cnc-01", "driver": "fake", "endpoint": "127.0.0.1:5020", "unit": 1, "interval_ms": 500,
   "category": "processing",
   "points": [{"key": "spindle_speed", "address": "reg:0", "type": "uint16", "scale": 0.1, "unit": "r/min",
               "deadband": 0.5},
              {"key": "setpoint", "address": "reg:2", "type": "float32", "order": "CDAB", "writable": true,
               "interval_ms": 2000}]}]})";

TEST(EdgeRemoteConfig, SameDevicesAsTheTomlForm) {
  auto remote = parse_remote_config(kRemote);
  ASSERT_TRUE(remote) << remote.error().message;
  EXPECT_EQ(remote->version, 7);
  auto file = parse_edge_config(kGood, "edge.toml");
  ASSERT_TRUE(file);
  ASSERT_EQ(remote->devices.size(), 1u);
  EXPECT_TRUE(remote->devices[0] == file->devices[0]);
  EXPECT_EQ(remote->devices[0].settings.options.at("unit"), "1");
  auto empty = parse_remote_config(R"({"devices": []})");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->version);
  EXPECT_TRUE(empty->devices.empty());
}

TEST(EdgeRemoteConfig, ErrorsNameTheVersionDeviceAndKey) {
  auto error = [](std::string_view text) {
    auto r = parse_remote_config(text);
    EXPECT_FALSE(r) << text;
    return r ? std::string() : r.error().message;
  };
  EXPECT_TRUE(error(R"({"version": 3, "devices": [{"name": "a", "driver": "fake",
                     "points": [{"key": "k", "address": "reg:0", "type": "uint17"}]}]})")
                  .starts_with("edgeConfig v3: device \"a\" point \"k\": type: unknown data type 'uint17'"));
  EXPECT_EQ(error(R"({"version": 3, "devices": [{"name": "a"}]})"), "edgeConfig v3: device \"a\": driver: missing (required)");
  EXPECT_EQ(error(R"({"version": 3, "devices": [{"name": "a", "driver": "fake"}, {"name": "a", "driver": "fake"}]})"),
            "edgeConfig v3: device \"a\": name: duplicate");
  EXPECT_EQ(error(R"({"version": 3, "devices": [{"name": "a", "driver": "fake", "interval_ms": 1}]})"),
            "edgeConfig v3: device \"a\": interval_ms: must be an integer in 10..86400000");
  EXPECT_EQ(error(R"({"version": 3, "devices": [{"name": "a", "driver": "fake", "points": [1]}]})"),
            "edgeConfig v3: device #1: points: must be an array of objects");
  EXPECT_EQ(error(R"({"version": 3, "devices": [{"name": "a", "driver": "fake", "unit": null}]})"),
            "edgeConfig v3: device #1: null or out-of-range values are not allowed");
  EXPECT_EQ(error(R"({"version": -1, "devices": []})"), "edgeConfig: version: must be a non-negative integer");
  EXPECT_EQ(error(R"({"devices": {}})"), "edgeConfig: devices: missing (an array of devices)");
  EXPECT_EQ(error(R"({"devices": [], "uplink": {}})"), "edgeConfig: unknown key \"uplink\" (version, devices)");
  EXPECT_EQ(error("[1]"), "edgeConfig: expected a JSON object");
  EXPECT_NE(error("{\"devices\": [").find("edgeConfig: "), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::edge
