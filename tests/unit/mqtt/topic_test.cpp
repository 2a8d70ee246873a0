// Topic Names, Topic Filters and matching: the examples of MQTT 5.0 §4.7 and §4.8.2.
#include "mqtt/topic.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kaiwu::mqtt {
namespace {

TEST(MqttTopic, ValidTopicNames) {
  for (const char* t : {"a", "/", "sport/tennis/player1", "$SYS/broker/uptime", "a//b", " ",
                        "\xe4\xb8\xad/\xf0\x9f\x98\x80"}) {
    EXPECT_TRUE(valid_topic_name(t)) << t;
  }
  for (const char* t : {"", "+", "#", "a/+", "a/#", "sport/tennis#", "a+b"}) {
    EXPECT_FALSE(valid_topic_name(t)) << t;
  }
  EXPECT_FALSE(valid_topic_name(std::string("a\0b", 3)));  // U+0000 (§1.5.4)
  EXPECT_FALSE(valid_topic_name("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(valid_topic_name("\xed\xa0\x80"));          // surrogate
  EXPECT_TRUE(valid_topic_name(std::string(65'535, 'x')));
  EXPECT_FALSE(valid_topic_name(std::string(65'536, 'x')));
}

TEST(MqttTopic, ValidTopicFilters) {
  // §4.7.1.2-3 examples.
  for (const char* f :
       {"sport/tennis/player1/#", "sport/#", "#", "+", "+/tennis/#", "sport/+/player1", "/+", "+/+",
        "sport/", "/", "$SYS/#", "$share/consumer1/sport/tennis/+", "$share/g/#",
        "$share/g/$share/x", "$sharex/a"}) {
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  }
  for (const char* f :
       {"", "sport/tennis#", "sport/tennis/#/ranking", "sport+", "a/b+/c", "##", "$share/",
        "$share/g", "$share//a", "$share/g+/a", "$share/g#/a", "$share/g/", "$share/g/a/#/b"}) {
    EXPECT_FALSE(valid_topic_filter(f)) << f;
  }
  EXPECT_FALSE(valid_topic_filter(std::string("a/\0", 3)));
}

TEST(MqttTopic, SharedFilterParts) {
  const auto s = parse_shared_filter("$share/consumer1/sport/tennis/+");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->share_name, "consumer1");
  EXPECT_EQ(s->filter, "sport/tennis/+");
  EXPECT_FALSE(parse_shared_filter("sport/tennis").has_value());
  EXPECT_FALSE(parse_shared_filter("$share/g").has_value());
}

TEST(MqttTopic, MatchingTable) {
  const struct {
    const char* filter;
    const char* topic;
    bool match;
  } rows[] = {
      // §4.7.1.2 multi-level wildcard.
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/tennis/player1/#", "sport/tennis/player2", false},
      {"sport/#", "sport", true},
      {"#", "sport/tennis", true},
      {"#", "/", true},
      // §4.7.1.3 single-level wildcard.
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player2", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"+", "finance", true},
      {"+/tennis/#", "sport/tennis/player1", true},
      {"+/tennis/#", "sport/tennis", true},
      {"+/tennis/#", "sport/golf", false},
      // §4.7.2 topics beginning with $.
      {"#", "$SYS/broker/clients", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"+", "$SYS", false},
      {"a/#", "a/$b", true},  // only the first level is special
      // Exact and level structure.
      {"sport/tennis", "sport/tennis", true},
      {"sport/tennis", "sport/Tennis", false},  // case-sensitive (§4.7.3)
      {"sport/tennis", "sport/tennis/", false},
      {"sport//tennis", "sport//tennis", true},
      {"sport/+/tennis", "sport//tennis", true},
      {"/", "/", true},
      {"+/+", "/", true},
      // Shared subscriptions match with their inner filter (§4.8.2).
      {"$share/g/sport/+", "sport/tennis", true},
      {"$share/g/#", "a/b/c", true},
      {"$share/g/#", "$SYS/x", false},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(topic_matches(row.filter, row.topic), row.match) << row.filter << " vs " << row.topic;
  }
}

}  // namespace
}  // namespace kaiwu::mqtt
