#include "core/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace kaiwu {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kaiwu-config-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  // Loads and expects failure; returns the message.
  std::string error_of(const ConfigSources& sources) {
    auto r = load_config(sources);
    if (r) {
      ADD_FAILURE() << "load_config succeeded";
      return {};
    }
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    return r.error().message;
  }

  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsWithoutSources) {
  auto c = load_config({});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->data_dir, "./kaiwu-data");
  EXPECT_EQ(c->http.address, "0.0.0.0");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->http.tls_port, 8443);
  EXPECT_EQ(c->http.cert, "");
  EXPECT_EQ(c->http.key, "");
  EXPECT_EQ(c->http.max_body_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(c->http.header_timeout_ms, 10'000u);
  EXPECT_EQ(c->http.idle_timeout_ms, 60'000u);
  EXPECT_EQ(c->http.threads, 2u);
  EXPECT_EQ(c->http.web_root, "");
  EXPECT_EQ(c->mqtt.address, "0.0.0.0");
  EXPECT_EQ(c->mqtt.port, 1883);
  EXPECT_EQ(c->mqtt.tls_port, 8883);
  EXPECT_EQ(c->storage.durability, "fsync");
  EXPECT_EQ(c->log.level, "info");
  EXPECT_EQ(c->log.format, "text");
  EXPECT_EQ(c->auth.token_ttl_s, 12u * 3600);
  EXPECT_EQ(c->auth.login_attempts_per_minute, 10u);
}

TEST_F(ConfigTest, ReadsEveryKindOfValueFromTheFile) {
  std::string path = write("kaiwu.toml", R"(
# comments and blank lines are fine

[http]
address = "127.0.0.1"
port = 9000
tls_port = 9443
cert = "/etc/kaiwu/cert.pem"
key = "/etc/kaiwu/key.pem"
max_body_bytes = 1048576
threads = 8
web_root = "/srv/kaiwu/web"

[mqtt]
port = 11883
tls_port = 18883

[storage]
durability = "batch"

[log]
level = "debug"
format = "json"

[auth]
token_ttl_s = 3600
login_attempts_per_minute = 5
)");
  auto c = load_config({.file = path});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.address, "127.0.0.1");
  EXPECT_EQ(c->http.port, 9000);
  EXPECT_EQ(c->http.tls_port, 9443);
  EXPECT_EQ(c->http.cert, "/etc/kaiwu/cert.pem");
  EXPECT_EQ(c->http.key, "/etc/kaiwu/key.pem");
  EXPECT_EQ(c->http.max_body_bytes, 1048576u);
  EXPECT_EQ(c->http.threads, 8u);
  EXPECT_EQ(c->http.web_root, "/srv/kaiwu/web");
  EXPECT_EQ(c->http.header_timeout_ms, 10'000u);  // untouched keys keep their defaults
  EXPECT_EQ(c->mqtt.address, "0.0.0.0");
  EXPECT_EQ(c->mqtt.port, 11883);
  EXPECT_EQ(c->mqtt.tls_port, 18883);
  EXPECT_EQ(c->storage.durability, "batch");
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_EQ(c->log.format, "json");
  EXPECT_EQ(c->auth.token_ttl_s, 3600u);
  EXPECT_EQ(c->auth.login_attempts_per_minute, 5u);
}

TEST_F(ConfigTest, DottedKeysInTheFileWork) {
  std::string path = write("dotted.toml", "http.port = 8081\nlog.level = \"warn\"\n");
  auto c = load_config({.file = path});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 8081);
  EXPECT_EQ(c->log.level, "warn");
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  std::string path =
      write("kaiwu.toml", "[http]\nport = 9000\n[mqtt]\ntls_port = 9883\nport = 1884\n");
  auto c = load_config(
      {.file = path, .env = {{"KAIWU_HTTP_PORT", "9100"}, {"KAIWU_MQTT_TLS_PORT", "9884"}}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 9100);
  EXPECT_EQ(c->mqtt.tls_port, 9884);
  EXPECT_EQ(c->mqtt.port, 1884);  // set only in the file
}

TEST_F(ConfigTest, EnvironmentNamesFollowSectionAndKey) {
  auto c = load_config({.env = {{"KAIWU_HTTP_MAX_BODY_BYTES", "2048"},
                                {"KAIWU_AUTH_LOGIN_ATTEMPTS_PER_MINUTE", "3"},
                                {"KAIWU_STORAGE_DURABILITY", "none"},
                                {"KAIWU_HTTP_WEB_ROOT", "/a=b"}}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.max_body_bytes, 2048u);
  EXPECT_EQ(c->auth.login_attempts_per_minute, 3u);
  EXPECT_EQ(c->storage.durability, "none");
  EXPECT_EQ(c->http.web_root, "/a=b");
}

TEST_F(ConfigTest, UnrelatedEnvironmentIsIgnored) {
  auto c = load_config({.env = {{"KAIWU_NOT_A_KEY", "x"},
                                {"KAIWU_http_port", "1"},  // names are upper case
                                {"HTTP_PORT", "1"},
                                {"PATH", "/usr/bin"}}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 8080);
}

TEST_F(ConfigTest, SetOverridesEnvironmentAndFile) {
  std::string path = write("kaiwu.toml", "[http]\nport = 9000\n[log]\nlevel = \"debug\"\n");
  auto c = load_config({.file = path,
                        .env = {{"KAIWU_HTTP_PORT", "9100"}, {"KAIWU_LOG_LEVEL", "warn"}},
                        .sets = {"http.port=9200", "log.level=error"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 9200);
  EXPECT_EQ(c->log.level, "error");
}

TEST_F(ConfigTest, LaterSetWins) {
  auto c = load_config({.sets = {"http.port=1000", "http.port=2000"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 2000);
}

TEST_F(ConfigTest, SetValueMayContainEqualsOrBeEmpty) {
  auto c = load_config({.sets = {"http.web_root=/srv/a=b", "http.address="}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.web_root, "/srv/a=b");
  EXPECT_EQ(c->http.address, "");
}

TEST_F(ConfigTest, BadIntegerNamesKeyValueAndSource) {
  EXPECT_EQ(error_of({.sets = {"http.port=abc"}}),
            "http.port: \"abc\" (from --set) is not an integer in 1..65535");
  EXPECT_EQ(error_of({.env = {{"KAIWU_HTTP_PORT", "abc"}}}),
            "http.port: \"abc\" (from environment KAIWU_HTTP_PORT) is not an integer in 1..65535");
  std::string path = write("bad.toml", "[http]\nport = 0\n");
  EXPECT_EQ(error_of({.file = path}),
            "http.port: \"0\" (from " + path + ") is not an integer in 1..65535");
}

TEST_F(ConfigTest, IntegerBoundsAreInclusive) {
  for (const char* ok : {"http.port=1", "http.port=65535", "http.max_body_bytes=1024",
                         "http.max_body_bytes=4294967296", "http.threads=256",
                         "auth.token_ttl_s=60", "auth.token_ttl_s=2592000"}) {
    auto c = load_config({.sets = {ok}});
    EXPECT_TRUE(c) << ok << ": " << c.error().message;
  }
  auto c = load_config({.sets = {"http.max_body_bytes=4294967296"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->http.max_body_bytes, 4294967296u);
}

TEST_F(ConfigTest, RejectsMalformedAndOutOfRangeIntegers) {
  for (const char* bad : {"0", "65536", "70000", "-1", "+80", " 80", "80 ", "80x", "8.0", "",
                          "0x50", "99999999999999999999"}) {
    std::string msg = error_of({.sets = {std::string("http.port=") + bad}});
    EXPECT_EQ(msg,
              "http.port: \"" + std::string(bad) + "\" (from --set) is not an integer in 1..65535");
  }
  EXPECT_EQ(error_of({.sets = {"http.max_body_bytes=1023"}}),
            "http.max_body_bytes: \"1023\" (from --set) is not an integer in 1024..4294967296");
  EXPECT_EQ(error_of({.sets = {"http.max_body_bytes=4294967297"}}),
            "http.max_body_bytes: \"4294967297\" (from --set) is not an integer in "
            "1024..4294967296");
  EXPECT_EQ(error_of({.sets = {"http.threads=0"}}),
            "http.threads: \"0\" (from --set) is not an integer in 1..256");
}

TEST_F(ConfigTest, UnknownKeyInFile) {
  std::string path = write("typo.toml", "[http]\nprot = 80\n");
  EXPECT_EQ(error_of({.file = path}), "http.prot: unknown configuration key (from " + path + ")");
}

TEST_F(ConfigTest, UnknownSectionInFile) {
  std::string path = write("section.toml", "[htp]\nport = 80\n");
  EXPECT_EQ(error_of({.file = path}), "htp.port: unknown configuration key (from " + path + ")");
}

TEST_F(ConfigTest, UnknownSetKey) {
  EXPECT_EQ(error_of({.sets = {"http.nope=1"}}),
            "http.nope: unknown configuration key (from --set)");
  EXPECT_EQ(error_of({.sets = {"port=1"}}), "port: unknown configuration key (from --set)");
}

TEST_F(ConfigTest, MalformedSet) {
  EXPECT_EQ(error_of({.sets = {"http.port"}}), "--set \"http.port\": expected section.key=value");
  EXPECT_EQ(error_of({.sets = {"=8080"}}), "--set \"=8080\": expected section.key=value");
  EXPECT_EQ(error_of({.sets = {""}}), "--set \"\": expected section.key=value");
}

TEST_F(ConfigTest, TomlSyntaxErrorHasLineNumber) {
  std::string path = write("syntax.toml", "[http]\nport = 8080\naddress = \n");
  std::string msg = error_of({.file = path});
  EXPECT_TRUE(msg.starts_with(path + ":3:")) << msg;
}

TEST_F(ConfigTest, TomlSyntaxErrorOnAnotherLine) {
  std::string path = write("syntax2.toml", "[http]\n\n\n\n[log\nlevel = \"info\"\n");
  std::string msg = error_of({.file = path});
  EXPECT_TRUE(msg.starts_with(path + ":5:")) << msg;
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  std::string path = (dir_ / "absent.toml").string();
  std::string msg = error_of({.file = path});
  EXPECT_TRUE(msg.starts_with(path + ": cannot read configuration file")) << msg;
}

TEST_F(ConfigTest, TopLevelKeyMustBeASection) {
  std::string path = write("top.toml", "port = 80\n");
  EXPECT_EQ(error_of({.file = path}), path + ": top-level key \"port\" must be a [section]");
}

TEST_F(ConfigTest, NonScalarValuesAreRejected) {
  std::string path = write("array.toml", "[http]\nport = [80, 81]\n");
  EXPECT_EQ(error_of({.file = path}),
            "http.port: must be a string, integer or boolean (in " + path + ")");
  path = write("date.toml", "[http]\naddress = 1979-05-27\n");
  EXPECT_EQ(error_of({.file = path}),
            "http.address: must be a string, integer or boolean (in " + path + ")");
  path = write("table.toml", "[http.tls]\ncert = \"x\"\n");
  EXPECT_EQ(error_of({.file = path}), "http.tls: unknown configuration key (from " + path + ")");
}

TEST_F(ConfigTest, FileValueTypesAreChecked) {
  std::string path = write("types.toml", "[http]\nport = \"http\"\n");
  EXPECT_EQ(error_of({.file = path}),
            "http.port: \"http\" (from " + path + ") is not an integer in 1..65535");
  path = write("neg.toml", "[http]\nport = -5\n");
  EXPECT_EQ(error_of({.file = path}),
            "http.port: \"-5\" (from " + path + ") is not an integer in 1..65535");
}

TEST_F(ConfigTest, EnumKeysRejectBadValues) {
  EXPECT_EQ(error_of({.sets = {"log.level=verbose"}}),
            "log.level: \"verbose\" (from --set) is not one of trace, debug, info, warn, error");
  EXPECT_EQ(error_of({.sets = {"log.level=INFO"}}),
            "log.level: \"INFO\" (from --set) is not one of trace, debug, info, warn, error");
  EXPECT_EQ(error_of({.sets = {"storage.durability=async"}}),
            "storage.durability: \"async\" (from --set) is not one of fsync, batch, none");
  EXPECT_EQ(error_of({.sets = {"tsdb.backend=influxdb"}}),
            "tsdb.backend: \"influxdb\" (from --set) is not one of embedded, clickhouse");
  EXPECT_EQ(error_of({.sets = {"log.format=xml"}}),
            "log.format: \"xml\" (from --set) is not one of text, json");
  EXPECT_EQ(error_of({.env = {{"KAIWU_STORAGE_DURABILITY", ""}}}),
            "storage.durability: \"\" (from environment KAIWU_STORAGE_DURABILITY) is not one of "
            "fsync, batch, none");
  std::string path = write("level.toml", "[log]\nlevel = \"loud\"\n");
  EXPECT_EQ(error_of({.file = path}), "log.level: \"loud\" (from " + path +
                                          ") is not one of trace, debug, info, warn, error");
}

TEST_F(ConfigTest, EnumKeysAcceptEveryAllowedValue) {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    auto c = load_config({.sets = {std::string("log.level=") + level}});
    ASSERT_TRUE(c) << level;
    EXPECT_EQ(c->log.level, level);
  }
  for (const char* d : {"fsync", "batch", "none"}) {
    auto c = load_config({.sets = {std::string("storage.durability=") + d}});
    ASSERT_TRUE(c) << d;
    EXPECT_EQ(c->storage.durability, d);
  }
}

TEST_F(ConfigTest, CertAndKeyGoTogether) {
  EXPECT_EQ(error_of({.sets = {"http.cert=/c.pem"}}),
            "http.cert and http.key must be set together");
  EXPECT_EQ(error_of({.sets = {"http.key=/k.pem"}}), "http.cert and http.key must be set together");
  auto c = load_config({.sets = {"http.cert=/c.pem", "http.key=/k.pem"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.cert, "/c.pem");
  EXPECT_EQ(c->http.key, "/k.pem");
}

TEST_F(ConfigTest, CertFromFileKeyFromEnvironment) {
  std::string path = write("tls.toml", "[http]\ncert = \"/c.pem\"\n");
  EXPECT_FALSE(load_config({.file = path}));
  auto c = load_config({.file = path, .env = {{"KAIWU_HTTP_KEY", "/k.pem"}}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.key, "/k.pem");
}

TEST_F(ConfigTest, FirstErrorStopsLoading) {
  std::string path = write("bad.toml", "[http]\nport = 0\n");
  std::string msg = error_of({.file = path, .sets = {"log.level=nope"}});
  EXPECT_TRUE(msg.starts_with("http.port:")) << msg;
}

TEST_F(ConfigTest, BusKeysSelectAndCheckTheBackend) {
  auto c = load_config({.env = {{"KAIWU_BUS_BACKEND", "nats"}},
                        .sets = {"bus.nats_url=nats://127.0.0.1:4222,nats://127.0.0.1:4223", "bus.replicas=3",
                                 "bus.node_name=node-a"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->bus.backend, "nats");
  EXPECT_EQ(c->bus.nats_url, "nats://127.0.0.1:4222,nats://127.0.0.1:4223");
  EXPECT_EQ(c->bus.replicas, 3u);
  EXPECT_EQ(c->bus.node_name, "node-a");
  auto bad = load_config({.sets = {"bus.backend=kafka"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bus.backend"), std::string::npos);
  EXPECT_FALSE(load_config({.sets = {"bus.replicas=0"}}));
}

TEST(RedactPassword, UrlAndKeywordFormsLoseOnlyThePassword) {
  EXPECT_EQ(redact_password("postgres://kaiwu:s3cr@t@db:5432/kaiwu"), "postgres://kaiwu:***@db:5432/kaiwu");
  EXPECT_EQ(redact_password("postgresql://kaiwu:pw@127.0.0.1/k?sslmode=require"),
            "postgresql://kaiwu:***@127.0.0.1/k?sslmode=require");
  EXPECT_EQ(redact_password("postgres://kaiwu@db/k"), "postgres://kaiwu@db/k");
  EXPECT_EQ(redact_password("http://127.0.0.1:8123"), "http://127.0.0.1:8123");
  EXPECT_EQ(redact_password("nats://a:4222,nats://b:4222"), "nats://a:4222,nats://b:4222");
  EXPECT_EQ(redact_password("host=db password=pw dbname=k"), "host=db password=*** dbname=k");
  EXPECT_EQ(redact_password("host=db password='p w' dbname=k"), "host=db password=*** dbname=k");
  EXPECT_EQ(redact_password("host=db sslpassword=x"), "host=db sslpassword=x");
  EXPECT_EQ(redact_password(""), "");
}

TEST_F(ConfigTest, DescribeNeverPrintsAUrlPassword) {
  auto c = load_config({.sets = {"meta.backend=postgres", "meta.postgres_url=postgres://k:hunter2@db/k"}});
  ASSERT_TRUE(c);
  for (const auto& [k, v] : describe_config(*c)) EXPECT_EQ(v.find("hunter2"), std::string::npos) << k;
}

TEST_F(ConfigTest, DescribeListsEveryKeyOnce) {
  auto c = load_config({.sets = {"http.port=81", "log.format=json"}});
  ASSERT_TRUE(c);
  auto items = describe_config(*c);
  std::map<std::string, std::string> by_key(items.begin(), items.end());
  EXPECT_EQ(by_key.size(), items.size());
  EXPECT_EQ(items.size(), 44u);
  EXPECT_EQ(by_key.at("apps.builtin_dir"), "");
  EXPECT_EQ(by_key.at("apps.http_outbound"), "off");
  EXPECT_EQ(by_key.at("meta.backend"), "sqlite");
  EXPECT_EQ(by_key.at("meta.postgres_url"), "");
  EXPECT_EQ(by_key.at("tsdb.backend"), "embedded");
  EXPECT_EQ(by_key.at("tsdb.clickhouse_url"), "http://127.0.0.1:8123");
  EXPECT_EQ(by_key.at("tsdb.clickhouse_database"), "kaiwu");
  EXPECT_EQ(by_key.at("bus.backend"), "inprocess");
  EXPECT_EQ(by_key.at("bus.replicas"), "1");
  EXPECT_EQ(by_key.at("bus.lease_ms"), "10000");
  EXPECT_EQ(by_key.at("mqtt.client_ca"), "");
  EXPECT_EQ(by_key.at("mqtt.connects_per_minute_per_address"), "600");
  EXPECT_EQ(by_key.at("mqtt.max_packet_bytes"), "1048576");
  EXPECT_EQ(by_key.at("http.port"), "81");
  EXPECT_EQ(by_key.at("log.format"), "json");
  EXPECT_EQ(by_key.at("mqtt.tls_port"), "8883");
  EXPECT_EQ(by_key.at("http.max_body_bytes"), "4194304");
  EXPECT_EQ(by_key.at("http.cert"), "");
  EXPECT_EQ(items.front().first, "http.address");
}

TEST_F(ConfigTest, MetaBackendPostgresNeedsAUrl) {
  auto bad = load_config({.sets = {"meta.backend=postgres"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("meta.postgres_url is required"), std::string::npos)
      << bad.error().message;
  auto wrong = load_config({.sets = {"meta.backend=mysql"}});
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().message.starts_with("meta.backend:")) << wrong.error().message;
  auto good = load_config({.sets = {"meta.backend=postgres",
                                    "meta.postgres_url=postgresql://kaiwu@127.0.0.1:5432/kaiwu"}});
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->meta.backend, "postgres");
  EXPECT_EQ(good->meta.postgres_url, "postgresql://kaiwu@127.0.0.1:5432/kaiwu");
}

// What describe_config prints can be fed back through --set and gives the same configuration.
TEST_F(ConfigTest, DescribeRoundTripsThroughSet) {
  auto c = load_config({.sets = {"http.port=81", "mqtt.address=::", "http.cert=/c", "http.key=/k",
                                 "storage.durability=none", "auth.token_ttl_s=120"}});
  ASSERT_TRUE(c) << c.error().message;
  ConfigSources again;
  for (const auto& [k, v] : describe_config(*c)) again.sets.push_back(k + "=" + v);
  auto c2 = load_config(again);
  ASSERT_TRUE(c2) << c2.error().message;
  EXPECT_EQ(describe_config(*c2), describe_config(*c));
}

TEST(KaiwuEnvironment, ReadsOnlyKaiwuVariables) {
  ASSERT_EQ(::setenv("KAIWU_TEST_ONLY_VAR", "a=b", 1), 0);
  ASSERT_EQ(::setenv("KAIWU_TEST_EMPTY", "", 1), 0);
  ASSERT_EQ(::setenv("NOT_KAIWU_TEST_VAR", "x", 1), 0);
  auto env = kaiwu_environment();
  ::unsetenv("KAIWU_TEST_ONLY_VAR");
  ::unsetenv("KAIWU_TEST_EMPTY");
  ::unsetenv("NOT_KAIWU_TEST_VAR");
  ASSERT_TRUE(env.contains("KAIWU_TEST_ONLY_VAR"));
  EXPECT_EQ(env.at("KAIWU_TEST_ONLY_VAR"), "a=b");
  ASSERT_TRUE(env.contains("KAIWU_TEST_EMPTY"));
  EXPECT_EQ(env.at("KAIWU_TEST_EMPTY"), "");
  EXPECT_FALSE(env.contains("NOT_KAIWU_TEST_VAR"));
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("KAIWU_")) << name;
}

TEST(KaiwuEnvironment, FeedsLoadConfig) {
  ASSERT_EQ(::setenv("KAIWU_MQTT_TLS_PORT", "18883", 1), 0);
  auto c = load_config({.env = kaiwu_environment()});
  ::unsetenv("KAIWU_MQTT_TLS_PORT");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->mqtt.tls_port, 18883);
}

}  // namespace
}  // namespace kaiwu
