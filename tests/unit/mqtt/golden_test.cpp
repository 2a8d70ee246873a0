// Golden frames captured from real peers (mosquitto 2.0.11, mosquitto_pub/_sub, paho-mqtt 1.6.1;
// see capture/README.md): every one decodes, re-encodes to the same bytes (or the same bytes
// with properties in identifier order), and the interesting ones decode to exactly these values.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "mqtt/codec.hpp"
#include "test_util.hpp"

namespace kaiwu::mqtt {
namespace {

using test::decode_as;
using test::unhex;

struct GoldenFrame {
  std::string_view name;
  Version version;
  std::string_view direction;
  std::string_view hex;
};

constexpr GoldenFrame kGolden[] = {
#include "golden_frames.inc"
};

std::string_view golden(std::string_view name) {
  for (const auto& g : kGolden) {
    if (g.name == name) return g.hex;
  }
  ADD_FAILURE() << "no golden frame " << name;
  return {};
}

// Frames the capture holds that MQTT rejects (real peers are not always right).
const std::map<std::string_view, ReasonCode> kRejected = {
    // paho-mqtt 1.6.1 sends No Local on a Shared Subscription and mosquitto 2.0.11 grants it,
    // but [MQTT-3.8.3-4] makes it a Protocol Error.
    {"paho5_shared_nolocal/subscribe", ReasonCode::kProtocolError},
    // Hand-written MQTT 3.1 CONNECT ("MQIsdp", level 3), which mosquitto accepts.
    {"unsupported_level3/connect", ReasonCode::kUnsupportedProtocolVersion},
};

// Frames whose sender wrote properties out of identifier order; encode() orders them, so only
// the size and the decoded value survive a round trip.
const std::vector<std::string_view> kReordered = {
    "pub5_qos1_props/connect", "pub5_qos1_props/connack",  "pub5_qos1_props/publish",
    "pub5_qos2_will/connect",  "limits_too_large/connack",
};

TEST(MqttGolden, EveryCapturedFrameDecodesAndReencodes) {
  int exact = 0;
  for (const auto& g : kGolden) {
    SCOPED_TRACE(std::string(g.name));
    const auto frame = unhex(g.hex);
    const auto header = peek_frame(frame);
    ASSERT_TRUE(header.has_value() && header->has_value());
    EXPECT_EQ((*header)->frame_size(), frame.size());

    const auto decoded = decode(frame, g.version);
    if (const auto it = kRejected.find(g.name); it != kRejected.end()) {
      ASSERT_FALSE(decoded.has_value());
      EXPECT_EQ(decoded.error().reason, it->second) << decoded.error().message;
      continue;
    }
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(static_cast<int>(packet_type(*decoded)), frame[0] >> 4);

    const std::string again = encode(*decoded, g.version);
    EXPECT_EQ(encoded_size(*decoded, g.version), frame.size());
    const bool reordered = std::ranges::find(kReordered, g.name) != kReordered.end();
    if (reordered) {
      EXPECT_EQ(again.size(), frame.size());
      EXPECT_NE(test::hex(again), g.hex) << "now in identifier order: drop from kReordered";
    } else {
      EXPECT_EQ(test::hex(again), g.hex);
      ++exact;
    }
    const auto redecoded = decode(bytes_of(again), g.version);
    ASSERT_TRUE(redecoded.has_value()) << redecoded.error().message;
    EXPECT_EQ(*redecoded, *decoded);
  }
  EXPECT_GE(exact, 50);
}

TEST(MqttGolden, Connect311WithWillAndCredentials) {
  // mosquitto_pub -V 311 -q 1 -u alice -P s3cret --will-* …
  const auto c = decode_connect(unhex(golden("pub311_qos1/connect")));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  Connect want;
  want.version = Version::k311;
  want.clean_start = true;
  want.keep_alive = 60;
  want.client_id = "pub311";
  want.will = Will{.topic = "kaiwu/will", .payload = "gone", .qos = QoS::k1, .retain = true};
  want.username = "alice";
  want.password = "s3cret";
  EXPECT_EQ(*c, want);
}

TEST(MqttGolden, Publish311Flows) {
  const auto p = decode_as<Publish>(golden("pub311_qos1/publish"), Version::k311);
  EXPECT_EQ(
      p, (Publish{.qos = QoS::k1, .topic = "kaiwu/site1/temp", .packet_id = 1, .payload = "21.5"}));
  const auto r = decode_as<Publish>(golden("pub311_qos2_retain/publish"), Version::k311);
  EXPECT_EQ(r, (Publish{.qos = QoS::k2,
                        .retain = true,
                        .topic = "kaiwu/retained",
                        .packet_id = 1,
                        .payload = "r1"}));
  const auto q0 = decode_as<Publish>(golden("pub311_qos0/publish"), Version::k311);
  EXPECT_EQ(q0, (Publish{.topic = "kaiwu/q0", .payload = "zero"}));
  EXPECT_EQ(decode_as<Puback>(golden("pub311_qos1/puback"), Version::k311), Puback{.packet_id = 1});
  EXPECT_EQ(decode_as<Pubrec>(golden("pub311_qos2_retain/pubrec"), Version::k311),
            Pubrec{.packet_id = 1});
  EXPECT_EQ(decode_as<Pubrel>(golden("pub311_qos2_retain/pubrel"), Version::k311),
            Pubrel{.packet_id = 1});
  EXPECT_EQ(decode_as<Pubcomp>(golden("pub311_qos2_retain/pubcomp"), Version::k311),
            Pubcomp{.packet_id = 1});
  EXPECT_EQ(decode_as<Connack>(golden("pub311_qos1/connack"), Version::k311), Connack{});
  EXPECT_EQ(decode_as<Disconnect>(golden("pub311_qos1/disconnect"), Version::k311), Disconnect{});
}

TEST(MqttGolden, Subscribe311AndSession) {
  const auto s = decode_as<Subscribe>(golden("paho311_session/subscribe"), Version::k311);
  EXPECT_EQ(s.packet_id, 1);
  ASSERT_EQ(s.subscriptions.size(), 3u);
  EXPECT_EQ(s.subscriptions[0], (Subscription{.filter = "kaiwu/a", .qos = QoS::k0}));
  EXPECT_EQ(s.subscriptions[1], (Subscription{.filter = "kaiwu/+/b", .qos = QoS::k1}));
  EXPECT_EQ(s.subscriptions[2], (Subscription{.filter = "kaiwu/#", .qos = QoS::k2}));
  EXPECT_EQ(decode_as<Suback>(golden("paho311_session/suback"), Version::k311),
            (Suback{.packet_id = 1,
                    .reasons = {ReasonCode::kGrantedQoS0, ReasonCode::kGrantedQoS1,
                                ReasonCode::kGrantedQoS2}}));
  EXPECT_EQ(decode_as<Unsubscribe>(golden("paho311_session/unsubscribe"), Version::k311),
            (Unsubscribe{.packet_id = 2, .filters = {"kaiwu/a", "kaiwu/#"}}));
  EXPECT_EQ(decode_as<Unsuback>(golden("paho311_session/unsuback"), Version::k311),
            Unsuback{.packet_id = 2});
  EXPECT_EQ(decode_as<Pingreq>(golden("paho311_session/pingreq"), Version::k311), Pingreq{});
  EXPECT_EQ(decode_as<Pingresp>(golden("paho311_session/pingresp"), Version::k311), Pingresp{});
  const auto c = decode_connect(unhex(golden("paho311_session/connect")));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->keep_alive, 1);
  EXPECT_EQ(c->client_id, "paho311");
  EXPECT_FALSE(c->will || c->username || c->password);
}

TEST(MqttGolden, Connect5WithEveryClientProperty) {
  const auto c = decode_connect(unhex(golden("pub5_qos1_props/connect")));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->version, Version::k5);
  EXPECT_EQ(c->client_id, "pub5");
  EXPECT_EQ(c->keep_alive, 60);
  Properties want;
  want.session_expiry_interval = 120;
  want.receive_maximum = 20;
  want.maximum_packet_size = 65536;
  want.topic_alias_maximum = 5;
  want.request_problem_information = true;
  want.request_response_information = true;
  want.user_properties = {{"ck", "cv"}};
  EXPECT_EQ(c->properties, want);
}

TEST(MqttGolden, Connect5WithWillProperties) {
  const auto c = decode_connect(unhex(golden("pub5_qos2_will/connect")));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_TRUE(c->will.has_value());
  EXPECT_EQ(c->will->topic, "kaiwu/will5");
  EXPECT_EQ(c->will->payload, "bye");
  EXPECT_EQ(c->will->qos, QoS::k2);
  EXPECT_FALSE(c->will->retain);
  Properties wp;
  wp.will_delay_interval = 10;
  wp.content_type = "text/plain";
  wp.user_properties = {{"wk", "wv"}};
  wp.payload_format_indicator = 1;
  wp.message_expiry_interval = 100;
  wp.response_topic = "kaiwu/wr";
  wp.correlation_data = "cd";
  EXPECT_EQ(c->will->properties, wp);
  EXPECT_EQ(c->username, "bob");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->properties.receive_maximum, 20);
}

TEST(MqttGolden, Connect5PahoSessionKeepsUserPropertyOrder) {
  const auto c = decode_connect(unhex(golden("paho5_session/connect")));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_FALSE(c->clean_start);
  EXPECT_EQ(c->keep_alive, 5);
  EXPECT_EQ(c->properties.session_expiry_interval, 3600u);
  EXPECT_EQ(c->properties.receive_maximum, 100);
  EXPECT_EQ(c->properties.user_properties,
            (std::vector<UserProperty>{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
  ASSERT_TRUE(c->will.has_value());
  EXPECT_EQ(c->will->qos, QoS::k1);
  EXPECT_TRUE(c->will->retain);
  EXPECT_EQ(c->will->properties.will_delay_interval, 5u);
  EXPECT_EQ(c->will->properties.user_properties, (std::vector<UserProperty>{{"site", "sh-01"}}));
  EXPECT_EQ(c->username, "dev-01");
  EXPECT_EQ(c->password, std::string("tok\0en", 6));  // Binary Data may hold 0x00
}

TEST(MqttGolden, Connack5FromMosquitto) {
  const auto ok = decode_as<Connack>(golden("pub5_qos1_props/connack"), Version::k5);
  Properties p;
  p.topic_alias_maximum = 10;
  p.receive_maximum = 20;
  EXPECT_EQ(ok, (Connack{.properties = p}));

  const auto limits = decode_as<Connack>(golden("limits_too_large/connack"), Version::k5);
  EXPECT_EQ(limits.properties.retain_available, false);
  EXPECT_EQ(limits.properties.maximum_packet_size, 100u);
  EXPECT_EQ(limits.properties.maximum_qos, 1);

  const auto refused = decode_as<Connack>(golden("paho5_auth_rejected/connack"), Version::k5);
  EXPECT_EQ(refused.reason, ReasonCode::kBadAuthenticationMethod);
  const auto c = decode_connect(unhex(golden("paho5_auth_rejected/connect")));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->properties.authentication_method, "SCRAM-SHA-256");
  EXPECT_EQ(c->properties.authentication_data, "n,,n=user,r=abc");
}

TEST(MqttGolden, Publish5WithProperties) {
  const auto p = decode_as<Publish>(golden("pub5_qos1_props/publish"), Version::k5);
  EXPECT_EQ(p.qos, QoS::k1);
  EXPECT_EQ(p.topic, "kaiwu/site1/hum");
  EXPECT_EQ(p.packet_id, 1);
  EXPECT_EQ(p.payload, R"({"h":40})");
  Properties want;
  want.content_type = "application/json";
  want.payload_format_indicator = 1;
  want.message_expiry_interval = 300;
  want.response_topic = "kaiwu/resp";
  want.correlation_data = "abc123";
  want.user_properties = {{"unit", "pct"}, {"unit2", "x"}};
  want.topic_alias = 3;
  EXPECT_EQ(p.properties, want);
  EXPECT_EQ(decode_as<Puback>(golden("pub5_qos1_props/puback"), Version::k5),
            (Puback{.packet_id = 1, .reason = ReasonCode::kNoMatchingSubscribers}));

  const auto paho = decode_as<Publish>(golden("paho5_session/publish"), Version::k5);
  EXPECT_EQ(paho.payload, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(paho.properties.user_properties,
            (std::vector<UserProperty>{{"k", "\u4e2d\u6587"}}));  // UTF-8 value kept as is
  EXPECT_EQ(paho.properties.message_expiry_interval, 60u);
}

TEST(MqttGolden, Subscribe5OptionsAndIdentifiers) {
  const auto s = decode_as<Subscribe>(golden("paho5_session/subscribe"), Version::k5);
  EXPECT_EQ(s.packet_id, 1);
  EXPECT_EQ(s.properties.subscription_identifiers, std::vector<std::uint32_t>{268'435'455});
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[0],
            (Subscription{.filter = "kaiwu/paho/#",
                          .qos = QoS::k1,
                          .no_local = true,
                          .retain_as_published = true,
                          .retain_handling = RetainHandling::kSendAtSubscribeIfNew}));
  EXPECT_EQ(s.subscriptions[1], (Subscription{.filter = "kaiwu/+/x",
                                              .qos = QoS::k2,
                                              .retain_handling = RetainHandling::kDoNotSend}));

  const auto shared = decode_as<Subscribe>(golden("sub5/subscribe"), Version::k5);
  EXPECT_EQ(shared.properties.subscription_identifiers, std::vector<std::uint32_t>{42});
  EXPECT_EQ(shared.properties.user_properties, (std::vector<UserProperty>{{"sk", "sv"}}));
  ASSERT_EQ(shared.subscriptions.size(), 2u);
  EXPECT_EQ(shared.subscriptions[1].filter, "$share/g1/kaiwu/+");

  // The broker echoes the Subscription Identifier on matching messages (§3.3.2.3.8).
  const auto delivered = decode_as<Publish>(golden("sub5/publish"), Version::k5);
  EXPECT_TRUE(delivered.retain);
  EXPECT_EQ(delivered.properties.subscription_identifiers, std::vector<std::uint32_t>{42});
  EXPECT_EQ(
      decode_as<Suback>(golden("sub5/suback"), Version::k5),
      (Suback{.packet_id = 1, .reasons = {ReasonCode::kGrantedQoS2, ReasonCode::kGrantedQoS2}}));
}

TEST(MqttGolden, Unsubscribe5AndDisconnect5) {
  Unsubscribe u{.packet_id = 3, .filters = {"kaiwu/paho/#", "kaiwu/nothere"}};
  u.properties.user_properties = {{"why", "done"}};
  EXPECT_EQ(decode_as<Unsubscribe>(golden("paho5_session/unsubscribe"), Version::k5), u);
  EXPECT_EQ(decode_as<Unsuback>(golden("paho5_session/unsuback"), Version::k5),
            (Unsuback{.packet_id = 3,
                      .reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted}}));

  Disconnect d{.reason = ReasonCode::kDisconnectWithWillMessage};
  d.properties.session_expiry_interval = 0;
  d.properties.reason_string = "bye";
  d.properties.user_properties = {{"k", "v"}};
  EXPECT_EQ(decode_as<Disconnect>(golden("paho5_session/disconnect"), Version::k5), d);
  // Remaining Length 1: reason only (§3.14.2.2.1).
  EXPECT_EQ(decode_as<Disconnect>(golden("limits_sub/disconnect"), Version::k5).reason,
            ReasonCode::kDisconnectWithWillMessage);
  // Server DISCONNECTs from mosquitto when a client broke its limits.
  EXPECT_EQ(decode_as<Disconnect>(golden("limits_raw_too_large/disconnect"), Version::k5).reason,
            ReasonCode::kPacketTooLarge);
  EXPECT_EQ(decode_as<Disconnect>(golden("limits_raw_qos2/disconnect"), Version::k5).reason,
            ReasonCode::kQoSNotSupported);
}

}  // namespace
}  // namespace kaiwu::mqtt
