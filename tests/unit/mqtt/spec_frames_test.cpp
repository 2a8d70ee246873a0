// Frames built by hand from the spec's field tables for what the capture lacks (AUTH, refusals,
// version-specific encodings), checked in both directions.
#include <gtest/gtest.h>

#include "mqtt/codec.hpp"
#include "test_util.hpp"

namespace kaiwu::mqtt {
namespace {

using test::hex;

void expect_both_ways(const Packet& p, Version v, std::string_view frame_hex) {
  EXPECT_EQ(hex(encode(p, v)), frame_hex);
  EXPECT_EQ(encoded_size(p, v), frame_hex.size() / 2);
  const auto back = test::decode_hex(frame_hex, v);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, p);
}

TEST(MqttSpecFrames, AuthContinueAndShortForm) {
  // §3.15: reason 0x18, Property Length 29, Authentication Method, Authentication Data.
  Auth a{.reason = ReasonCode::kContinueAuthentication};
  a.properties.authentication_method = "SCRAM-SHA-1";
  a.properties.authentication_data = "client-first";
  expect_both_ways(a, Version::k5,
                   "f01f181d15000b534352414d2d5348412d3116000c636c69656e742d6669727374");
  expect_both_ways(Auth{}, Version::k5, "f000");  // §3.15.2.1 Remaining Length 0
  Auth reauth{.reason = ReasonCode::kReAuthenticate};
  reauth.properties.authentication_method = "K";
  reauth.properties.reason_string = "rotate";
  expect_both_ways(reauth, Version::k5, "f00f190d1500014b1f0006726f74617465");
}

TEST(MqttSpecFrames, PublishResponsesShortestForm) {
  expect_both_ways(Puback{.packet_id = 7}, Version::k5, "40020007");
  expect_both_ways(Puback{.packet_id = 7, .reason = ReasonCode::kNoMatchingSubscribers},
                   Version::k5, "4003000710");
  Pubrec rec{.packet_id = 0x1234, .reason = ReasonCode::kQuotaExceeded};
  rec.properties.reason_string = "full";
  expect_both_ways(rec, Version::k5, "500b123497071f000466756c6c");
  expect_both_ways(Pubrel{.packet_id = 9, .reason = ReasonCode::kPacketIdentifierNotFound},
                   Version::k5, "6203000992");
  expect_both_ways(Pubcomp{.packet_id = 65535}, Version::k311, "7002ffff");
  // 3.1.1 has only the packet id: reason and properties are dropped.
  EXPECT_EQ(hex(encode(rec, Version::k311)), "50021234");
}

TEST(MqttSpecFrames, Connect311FromTheSpecExample) {
  // MQTT 3.1.1 §3.1.2.10 example: name "MQTT", level 4, flags 0xCE (user, password, will QoS 1,
  // will, clean), keep alive 10; then the payload fields in order (§3.1.3).
  Connect c{.version = Version::k311, .clean_start = true, .keep_alive = 10, .client_id = "id"};
  c.will = Will{.topic = "w", .payload = "bye", .qos = QoS::k1};
  c.username = "u";
  c.password = "p";
  expect_both_ways(c, Version::k311,
                   "101c00044d51545404ce000a000269640001770003627965000175000170");
}

TEST(MqttSpecFrames, Connect5MinimalAndWithWill) {
  Connect c{.version = Version::k5, .keep_alive = 30, .client_id = ""};
  expect_both_ways(c, Version::k5, "100d00044d5154540502001e000000");
  c.clean_start = false;
  c.will =
      Will{.topic = "a/b", .payload = std::string("\x00\xff", 2), .qos = QoS::k2, .retain = true};
  c.will->properties.will_delay_interval = 60;
  c.will->properties.payload_format_indicator = 0;
  expect_both_ways(c, Version::k5,
                   "101e00044d5154540534001e0000000701001800"
                   "00003c0003612f62000200ff");
}

TEST(MqttSpecFrames, Connack311ReturnCodes) {
  expect_both_ways(Connack{.session_present = true}, Version::k311, "20020100");
  expect_both_ways(Connack{.reason = ReasonCode::kBadUserNameOrPassword}, Version::k311,
                   "20020004");
  // 5.0 refusals without a 3.1.1 code become the nearest one.
  EXPECT_EQ(hex(encode(Connack{.reason = ReasonCode::kBanned}, Version::k311)), "20020005");
  EXPECT_EQ(hex(encode(Connack{.reason = ReasonCode::kServerBusy}, Version::k311)), "20020003");
  EXPECT_EQ(hex(encode(Connack{.reason = ReasonCode::kBadAuthenticationMethod}, Version::k311)),
            "20020004");
}

TEST(MqttSpecFrames, Connack5WithServerProperties) {
  Connack c{.reason = ReasonCode::kSuccess};
  c.properties.assigned_client_identifier = "auto-1";
  c.properties.server_keep_alive = 120;
  c.properties.maximum_qos = 1;
  c.properties.wildcard_subscription_available = false;
  c.properties.shared_subscription_available = true;
  expect_both_ways(c, Version::k5, "20150000121200066175746f2d31130078240128002a01");
}

TEST(MqttSpecFrames, SubscribeAndSuback311DropV5Fields) {
  Subscribe s{.packet_id = 10};
  s.properties.subscription_identifiers = {5};
  s.subscriptions = {{.filter = "a/+",
                      .qos = QoS::k1,
                      .no_local = true,
                      .retain_handling = RetainHandling::kDoNotSend}};
  EXPECT_EQ(hex(encode(s, Version::k311)), "8208000a0003612f2b01");
  EXPECT_EQ(hex(encode(s, Version::k5)), "820b000a020b050003612f2b25");
  Suback a{.packet_id = 10, .reasons = {ReasonCode::kGrantedQoS1, ReasonCode::kTopicFilterInvalid}};
  EXPECT_EQ(hex(encode(a, Version::k311)), "9004000a0180");  // one failure code in 3.1.1
  expect_both_ways(a, Version::k5, "9005000a00018f");
  expect_both_ways(Unsuback{.packet_id = 5}, Version::k311, "b0020005");
}

TEST(MqttSpecFrames, DisconnectForms) {
  expect_both_ways(Disconnect{}, Version::k5, "e000");
  expect_both_ways(Disconnect{}, Version::k311, "e000");
  expect_both_ways(Disconnect{.reason = ReasonCode::kServerShuttingDown}, Version::k5, "e0018b");
  Disconnect moved{.reason = ReasonCode::kServerMoved};
  moved.properties.server_reference = "b:1883";
  expect_both_ways(moved, Version::k5, "e00b9d091c0006623a31383833");
  EXPECT_EQ(hex(encode(moved, Version::k311)), "e000");
}

TEST(MqttSpecFrames, PublishTopicAliasAndLongRemainingLength) {
  Publish p{.topic = ""};
  p.properties.topic_alias = 5;
  p.payload = "x";
  expect_both_ways(p, Version::k5, "300700000323000578");
  Publish big{.qos = QoS::k1, .topic = "a", .packet_id = 1, .payload = std::string(200, 'z')};
  const std::string wire = encode(big, Version::k5);
  EXPECT_EQ(hex(wire.substr(0, 9)), "32ce01000161000100");  // 206 = 0xce 0x01 (§1.5.5)
  const auto back = decode(bytes_of(wire), Version::k5);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, Packet(big));
}

TEST(MqttSpecFrames, PropertiesNotAllowedInThePacketAreNotWritten) {
  Publish p{.topic = "t"};
  p.properties.server_keep_alive = 10;       // CONNACK only
  p.properties.reason_string = "not here";   // not in PUBLISH
  p.properties.content_type = "text/plain";  // allowed
  const auto back = decode(bytes_of(encode(p, Version::k5)), Version::k5);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  const auto& got = std::get<Publish>(*back);
  EXPECT_FALSE(got.properties.server_keep_alive);
  EXPECT_FALSE(got.properties.reason_string);
  EXPECT_EQ(got.properties.content_type, "text/plain");
  // No properties at all in 3.1.1.
  EXPECT_EQ(hex(encode(p, Version::k311)), "3003000174");
}

TEST(MqttSpecFrames, ConnectCarriesItsOwnVersion) {
  const auto v311 = test::unhex("100c00044d5154540402003c0000");
  const auto c = decode_connect(v311);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->version, Version::k311);
  // decode() of a CONNECT ignores the version argument: the packet says which it is.
  const auto p = decode(v311, Version::k5);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(std::get<Connect>(*p).version, Version::k311);
  EXPECT_EQ(packet_type(*p), PacketType::kConnect);
  EXPECT_FALSE(decode_connect(test::unhex("c000")).has_value());
}

}  // namespace
}  // namespace kaiwu::mqtt
