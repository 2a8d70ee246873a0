// Every Malformed Packet / Protocol Error the codec can see in one packet is rejected with the
// reason code MQTT 5.0 asks for and a message naming the problem. Frames are built by hand from
// the spec's field tables.
#include <gtest/gtest.h>

#include "mqtt/codec.hpp"
#include "test_util.hpp"

namespace kaiwu::mqtt {
namespace {

using R = ReasonCode;
constexpr Version k5 = Version::k5;
constexpr Version k311 = Version::k311;

std::string strip(std::string_view h) {
  std::string out;
  for (const char c : h) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

std::string hex_u16(std::size_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {kDigits[(v >> 12) & 15], kDigits[(v >> 8) & 15], kDigits[(v >> 4) & 15], kDigits[v & 15]};
}

// A whole frame: first byte, Remaining Length (VBI), body.
std::string f(std::uint8_t first, std::string_view body_hex) {
  const std::string body = strip(body_hex);
  std::string out = test::hex(std::string(1, static_cast<char>(first)));
  std::size_t len = body.size() / 2;
  do {
    std::uint8_t b = len & 0x7F;
    len >>= 7;
    if (len > 0) b |= 0x80;
    out += test::hex(std::string(1, static_cast<char>(b)));
  } while (len > 0);
  return out + body;
}

// A UTF-8 Encoded String / Binary Data field holding `text`.
std::string s(std::string_view text) { return hex_u16(text.size()) + test::hex(text); }
// The same with raw bytes given in hex.
std::string sraw(std::string_view bytes_hex) {
  return hex_u16(strip(bytes_hex).size() / 2) + strip(bytes_hex);
}
// A property section holding `props_hex`.
std::string props(std::string_view props_hex) {
  const std::string p = strip(props_hex);
  return test::hex(std::string(1, static_cast<char>(p.size() / 2))) + p;
}

// CONNECT with the given flags byte and payload after the Client Identifier "c".
std::string connect5(std::string_view flags, std::string_view props_hex = "00",
                     std::string_view rest = "") {
  return f(0x10, s("MQTT") + "05" + std::string(flags) + "003c" + std::string(props_hex) + s("c") +
                     std::string(rest));
}
std::string connect311(std::string_view flags, std::string_view rest = "") {
  return f(0x10, s("MQTT") + "04" + std::string(flags) + "003c" + s("c") + std::string(rest));
}

struct Bad {
  std::string name;
  Version version;
  std::string frame;
  ReasonCode reason;
  std::string contains;  // part of the message
};

std::vector<Bad> cases() {
  return {
      // Fixed header flags, MQTT 5.0 §2.1.3.
      {"puback flags", k5, f(0x41, "0001"), R::kMalformedPacket, "PUBACK: fixed header flags"},
      {"pubrel flags", k311, f(0x60, "0001"), R::kMalformedPacket, "PUBREL: fixed header flags"},
      {"subscribe flags", k5, f(0x80, "0001 00" + s("a") + "00"), R::kMalformedPacket, "SUBSCRIBE"},
      {"unsubscribe flags", k311, f(0xA0, "0001" + s("a")), R::kMalformedPacket, "UNSUBSCRIBE"},
      {"pingreq flags", k5, "c100", R::kMalformedPacket, "PINGREQ"},
      {"disconnect flags", k5, "e200", R::kMalformedPacket, "DISCONNECT"},
      {"connect flags", k5, "11" + connect5("02").substr(2), R::kMalformedPacket, "CONNECT"},
      {"type 0", k5, "0000", R::kMalformedPacket, "type 0"},
      // PUBLISH, §3.3.
      {"publish qos 3", k5, f(0x36, s("a") + "0001 00"), R::kMalformedPacket, "QoS 3"},
      {"publish dup qos 0", k311, f(0x38, s("a")), R::kMalformedPacket, "DUP"},
      {"publish id 0", k5, f(0x32, s("a") + "0000 00"), R::kProtocolError,
       "Packet Identifier is 0"},
      {"publish id 0 311", k311, f(0x34, s("a") + "0000"), R::kProtocolError,
       "Packet Identifier is 0"},
      {"publish plus", k5, f(0x30, s("a/+") + "00"), R::kTopicNameInvalid, "wildcard"},
      {"publish hash", k311, f(0x30, s("a/#")), R::kTopicNameInvalid, "wildcard"},
      {"publish empty topic 5", k5, f(0x30, s("") + "00"), R::kProtocolError, "Topic Alias"},
      {"publish empty topic 311", k311, f(0x30, s("")), R::kTopicNameInvalid, "empty Topic Name"},
      {"publish topic truncated", k5, f(0x30, "0005 6162"), R::kMalformedPacket, "Topic Name"},
      {"publish id truncated", k5, f(0x32, s("a") + "00"), R::kMalformedPacket,
       "Packet Identifier"},
      // UTF-8 Encoded Strings, §1.5.4.
      {"utf8 overlong nul", k5, f(0x30, sraw("61 c0 80") + "00"), R::kMalformedPacket, "UTF-8"},
      {"utf8 surrogate", k5, f(0x30, sraw("ed a0 80") + "00"), R::kMalformedPacket, "UTF-8"},
      {"utf8 ff", k5, f(0x30, sraw("ff") + "00"), R::kMalformedPacket, "UTF-8"},
      {"utf8 truncated", k5, f(0x30, sraw("e2 82") + "00"), R::kMalformedPacket, "UTF-8"},
      {"utf8 U+0000", k311, f(0x30, sraw("61 00 62")), R::kMalformedPacket, "U+0000"},
      {"utf8 above U+10FFFF", k5, f(0x30, sraw("f4 90 80 80") + "00"), R::kMalformedPacket,
       "UTF-8"},
      {"utf8 stray continuation", k5, f(0x30, sraw("80") + "00"), R::kMalformedPacket, "UTF-8"},
      // Properties, §2.2.2.
      {"dup content type", k5, f(0x30, s("a") + props("03" + s("x") + "03" + s("y"))),
       R::kProtocolError, "Content Type appears more than once"},
      {"dup topic alias", k5, f(0x30, s("a") + props("230001 230002")), R::kProtocolError,
       "Topic Alias appears more than once"},
      {"dup subscription id in subscribe", k5, f(0x82, "0001" + props("0b01 0b02") + s("a") + "00"),
       R::kProtocolError, "Subscription Identifier appears more than once"},
      {"dup session expiry", k5, connect5("02", props("1100000001 1100000002")), R::kProtocolError,
       "Session Expiry Interval appears more than once"},
      {"dup reason string", k5, f(0x40, "0001 10" + props("1f" + s("a") + "1f" + s("b"))),
       R::kProtocolError, "Reason String appears more than once"},
      {"session expiry in publish", k5, f(0x30, s("a") + props("1100000001")), R::kMalformedPacket,
       "PUBLISH properties: property 0x11 (Session Expiry Interval) is not allowed"},
      {"topic alias in connect", k5, connect5("02", props("230001")), R::kMalformedPacket,
       "CONNECT properties: property 0x23"},
      {"will delay in connect", k5, connect5("02", props("1800000001")), R::kMalformedPacket,
       "Will Delay Interval"},
      {"reason string in publish", k5, f(0x30, s("a") + props("1f" + s("r"))), R::kMalformedPacket,
       "Reason String"},
      {"unknown property", k5, f(0x30, s("a") + props("7f00")), R::kMalformedPacket, "0x7f"},
      {"property 0", k5, f(0x30, s("a") + props("0000")), R::kMalformedPacket, "0x00"},
      {"two-byte property id", k5, f(0x30, s("a") + props("8001 00")), R::kMalformedPacket, "0x80"},
      {"receive maximum 0", k5, connect5("02", props("210000")), R::kProtocolError,
       "Receive Maximum is 0"},
      {"maximum packet size 0", k5, f(0x20, "00 00" + props("2700000000")), R::kProtocolError,
       "Maximum Packet Size is 0"},
      {"topic alias 0", k5, f(0x30, s("a") + props("230000")), R::kProtocolError,
       "Topic Alias is 0"},
      {"subscription id 0", k5, f(0x82, "0001" + props("0b00") + s("a") + "00"), R::kProtocolError,
       "Subscription Identifier is 0"},
      {"maximum qos 2", k5, f(0x20, "00 00" + props("2402")), R::kProtocolError,
       "Maximum QoS is 2"},
      {"retain available 2", k5, f(0x20, "00 00" + props("2502")), R::kProtocolError,
       "Retain Available is 2"},
      {"shared available 7", k5, f(0x20, "00 00" + props("2a07")), R::kProtocolError,
       "Shared Subscription Available is 7"},
      {"request problem info 2", k5, connect5("02", props("1702")), R::kProtocolError,
       "Request Problem Information is 2"},
      {"request response info 2", k5, connect5("02", props("1902")), R::kProtocolError,
       "Request Response Information is 2"},
      {"payload format 2", k5, f(0x30, s("a") + props("0102")), R::kProtocolError,
       "Payload Format Indicator is 2"},
      {"response topic wildcard", k5, f(0x30, s("a") + props("08" + s("r/#"))), R::kProtocolError,
       "Response Topic"},
      {"auth data without method", k5, connect5("02", props("16" + s("xyz"))), R::kProtocolError,
       "Authentication Data without Authentication Method"},
      {"property length past end", k5, f(0x30, s("a") + "05 0101"), R::kMalformedPacket,
       "Property Length"},
      {"property value truncated", k5, f(0x30, s("a") + "03 020000"), R::kMalformedPacket,
       "Message Expiry Interval"},
      {"property length 5 bytes", k5, f(0x30, s("a") + "8080808001"), R::kMalformedPacket,
       "longer than 4 bytes"},
      {"property length not minimal", k5, f(0x30, s("a") + "8000"), R::kMalformedPacket,
       "not minimally encoded"},
      {"user property bad utf8", k5, f(0x30, s("a") + props("26" + s("k") + sraw("c0af"))),
       R::kMalformedPacket, "User Property value"},
      // SUBSCRIBE / UNSUBSCRIBE, §3.8, §3.10, §4.7.
      {"subscribe empty 5", k5, f(0x82, "0001 00"), R::kProtocolError, "no Topic Filter"},
      {"subscribe empty 311", k311, f(0x82, "0001"), R::kProtocolError, "no Topic Filter"},
      {"subscribe id 0", k311, f(0x82, "0000" + s("a") + "00"), R::kProtocolError,
       "SUBSCRIBE: Packet Identifier is 0"},
      {"filter hash not last", k5, f(0x82, "0001 00" + s("a/#/b") + "00"), R::kTopicFilterInvalid,
       "'a/#/b'"},
      {"filter plus in level", k311, f(0x82, "0001" + s("a+/b") + "00"), R::kTopicFilterInvalid,
       "a+"},
      {"filter hash in level", k5, f(0x82, "0001 00" + s("a/b#") + "00"), R::kTopicFilterInvalid,
       ""},
      {"filter empty", k5, f(0x82, "0001 00" + s("") + "00"), R::kTopicFilterInvalid, ""},
      {"shared without filter", k5, f(0x82, "0001 00" + s("$share/g") + "00"),
       R::kTopicFilterInvalid, "$share/g"},
      {"shared empty name", k5, f(0x82, "0001 00" + s("$share//x") + "00"), R::kTopicFilterInvalid,
       ""},
      {"shared wildcard name", k5, f(0x82, "0001 00" + s("$share/g+/x") + "00"),
       R::kTopicFilterInvalid, ""},
      {"shared empty filter", k5, f(0x82, "0001 00" + s("$share/g/") + "00"),
       R::kTopicFilterInvalid, ""},
      {"options reserved 5", k5, f(0x82, "0001 00" + s("a") + "40"), R::kMalformedPacket,
       "reserved Subscription Options"},
      {"options reserved 311", k311, f(0x82, "0001" + s("a") + "04"), R::kMalformedPacket,
       "reserved Subscription Options"},
      {"options qos 3", k5, f(0x82, "0001 00" + s("a") + "03"), R::kMalformedPacket, "QoS 3"},
      {"options retain handling 3", k5, f(0x82, "0001 00" + s("a") + "30"), R::kProtocolError,
       "Retain Handling 3"},
      {"no local on shared", k5, f(0x82, "0001 00" + s("$share/g/a") + "04"), R::kProtocolError,
       "No Local"},
      {"options missing", k5, f(0x82, "0001 00" + s("a")), R::kMalformedPacket,
       "Subscription Options"},
      {"unsubscribe empty", k5, f(0xA2, "0001 00"), R::kProtocolError, "no Topic Filter"},
      {"unsubscribe bad filter", k311, f(0xA2, "0001" + s("#/a")), R::kTopicFilterInvalid, "#/a"},
      {"unsubscribe id 0", k5, f(0xA2, "0000 00" + s("a")), R::kProtocolError, "Packet Identifier"},
      // CONNECT, §3.1.
      {"connect reserved flag", k5, connect5("03"), R::kMalformedPacket, "reserved Connect Flags"},
      {"will qos 3", k5, connect5("1e", "00", "00" + s("w") + s("p")), R::kMalformedPacket,
       "Will QoS 3"},
      {"will qos without will", k311, connect311("0a"), R::kMalformedPacket,
       "without the Will Flag"},
      {"will retain without will", k5, connect5("22"), R::kMalformedPacket,
       "without the Will Flag"},
      {"password without user 311", k311, connect311("42", s("pw")), R::kMalformedPacket,
       "Password Flag"},
      {"protocol MQIsdp", k311, f(0x10, s("MQIsdp") + "03 02 003c" + s("c")),
       R::kUnsupportedProtocolVersion, "'MQIsdp'"},
      {"protocol level 3", k311, f(0x10, s("MQTT") + "03 02 003c" + s("c")),
       R::kUnsupportedProtocolVersion, "Protocol Level 3"},
      {"protocol level 6", k5, f(0x10, s("MQTT") + "06 02 003c 00" + s("c")),
       R::kUnsupportedProtocolVersion, "Protocol Level 6"},
      {"protocol name case", k5, f(0x10, s("mqtt") + "05 02 003c 00" + s("c")),
       R::kUnsupportedProtocolVersion, "Protocol Name"},
      {"will topic wildcard", k5, connect5("06", "00", "00" + s("w/+") + s("p")),
       R::kTopicNameInvalid, "Will Topic"},
      {"will topic wildcard 311", k311, connect311("06", s("#") + s("p")), R::kTopicNameInvalid,
       "Will Topic"},
      {"connect trailing byte", k5, connect5("02", "00", "00"), R::kMalformedPacket,
       "unexpected bytes"},
      {"connect bad client id", k5, f(0x10, s("MQTT") + "05 02 003c 00" + sraw("ff")),
       R::kMalformedPacket, "Client Identifier"},
      {"connect user name missing", k311, connect311("82"), R::kMalformedPacket, "User Name"},
      {"will props not allowed", k5, connect5("06", "00", props("2300 01") + s("w") + s("p")),
       R::kMalformedPacket, "CONNECT Will properties"},
      // CONNACK, §3.2.
      {"connack reserved flags", k5, f(0x20, "02 00 00"), R::kMalformedPacket, "Acknowledge Flags"},
      {"connack 311 code 6", k311, "20020006", R::kProtocolError, "return code 0x06"},
      {"connack 311 trailing", k311, "2003000000", R::kMalformedPacket, "unexpected bytes"},
      {"connack 5 reason 0x04", k5, f(0x20, "00 04 00"), R::kProtocolError, "0x04"},
      {"connack session with refusal", k5, f(0x20, "01 87 00"), R::kProtocolError,
       "Session Present"},
      {"connack 5 properties missing", k5, "20020000", R::kMalformedPacket, "Property Length"},
      // Reason codes per packet, §2.4.
      {"puback 0x92", k5, f(0x40, "0001 92"), R::kProtocolError, "PUBACK: reason code 0x92"},
      {"pubrec 0x04", k5, f(0x50, "0001 04"), R::kProtocolError, "PUBREC: reason code 0x04"},
      {"pubrel 0x10", k5, f(0x62, "0001 10"), R::kProtocolError, "PUBREL: reason code 0x10"},
      {"pubcomp 0x80", k5, f(0x70, "0001 80"), R::kProtocolError, "PUBCOMP"},
      {"disconnect 0x1b", k5, "e0021b00", R::kProtocolError, "DISCONNECT: reason code 0x1b"},
      {"auth 0x01", k5, f(0xF0, "01 00"), R::kProtocolError, "AUTH: reason code 0x01"},
      {"suback 5 0x03", k5, f(0x90, "0001 00 03"), R::kProtocolError, "SUBACK: reason code 0x03"},
      {"suback 311 0x83", k311, f(0x90, "0001 83"), R::kProtocolError, "SUBACK: reason code 0x83"},
      {"unsuback 0x01", k5, f(0xB0, "0001 00 01"), R::kProtocolError, "UNSUBACK: reason code 0x01"},
      {"suback empty", k5, f(0x90, "0001 00"), R::kProtocolError, "SUBACK: no reason code"},
      {"unsuback 5 empty", k5, f(0xB0, "0001 00"), R::kProtocolError, "UNSUBACK: no reason code"},
      {"puback id 0", k5, f(0x40, "0000"), R::kProtocolError, "PUBACK: Packet Identifier is 0"},
      {"suback id 0", k5, f(0x90, "0000 00 00"), R::kProtocolError,
       "SUBACK: Packet Identifier is 0"},
      // AUTH, §3.15.
      {"auth in 311", k311, "f000", R::kMalformedPacket, "reserved in MQTT 3.1.1"},
      {"auth length 1", k5, "f00118", R::kMalformedPacket, "AUTH properties: Property Length"},
      {"auth without method", k5, f(0xF0, "18 00"), R::kProtocolError, "no Authentication Method"},
      {"auth flags", k5, "f100", R::kMalformedPacket, "AUTH: fixed header flags"},
      // Remaining Length that does not fit the packet.
      {"puback 311 length 3", k311, f(0x40, "0001 00"), R::kMalformedPacket, "unexpected bytes"},
      {"puback length 1", k5, f(0x40, "00"), R::kMalformedPacket, "PUBACK Packet Identifier"},
      {"disconnect 311 length 1", k311, f(0xE0, "00"), R::kMalformedPacket, "unexpected bytes"},
      {"pingresp length 1", k5, f(0xD0, "00"), R::kMalformedPacket, "PINGRESP"},
      {"unsuback 311 length 3", k311, f(0xB0, "0001 00"), R::kMalformedPacket, "unexpected bytes"},
      {"pubrel trailing after props", k5, f(0x62, "0001 00 00 00"), R::kMalformedPacket,
       "unexpected bytes"},
      {"frame shorter than header says", k5, "30050001 61", R::kMalformedPacket, "header says 7"},
      {"frame longer than header says", k5, "c00000", R::kMalformedPacket, "header says 2"},
      {"frame header incomplete", k5, "30", R::kMalformedPacket, "fixed header incomplete"},
      {"empty frame", k5, "", R::kMalformedPacket, "fixed header incomplete"},
  };
}

TEST(MqttMalformed, EachCaseRejectedWithItsReasonCode) {
  EXPECT_GE(cases().size(), 120u);
  for (const Bad& c : cases()) {
    SCOPED_TRACE(c.name + " " + c.frame);
    const auto frame = test::unhex(c.frame);
    const auto r = decode(frame, c.version);
    ASSERT_FALSE(r.has_value()) << "accepted";
    EXPECT_EQ(r.error().reason, c.reason) << r.error().message;
    EXPECT_NE(r.error().message.find(c.contains), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().errc(), Errc::kInvalidArgument);
    // decode_connect() must agree with decode() on CONNECT frames.
    if (!frame.empty() && (frame[0] >> 4) == 1) {
      const auto connect = decode_connect(frame);
      ASSERT_FALSE(connect.has_value());
      EXPECT_EQ(connect.error().reason, c.reason);
      EXPECT_EQ(connect.error().message, r.error().message);
    }
  }
}

// The counterparts that must stay accepted, so the checks above are not too eager.
TEST(MqttMalformed, NearMissesAreAccepted) {
  const std::vector<std::pair<Version, std::string>> good = {
      {k5, f(0x30, s("") + props("230001"))},      // empty topic with Topic Alias
      {k5, f(0x30, s("a") + props("0b01 0b02"))},  // repeated Subscription Identifier
      {k5, f(0x30, s("a") + props("26" + s("k") + s("1") + "26" + s("k") + s("2")))},
      {k5, f(0x30, s("a/b/c") + props("0101") + "ff00")},  // binary payload, format 1 unchecked
      {k5, connect5("42", "00", s("pw"))},                 // 5.0: password without user name
      {k311, f(0x82, "0001" + s("$share/g/a/#") + "01")},  // shared filter in 3.1.1
      {k5, f(0x82, "0001 00" + s("$share/g/+") + "2a")},   // rap, retain handling 2, QoS 2
      {k5, f(0x82, "0001 00" + s("+") + "00" + s("#") + "01" + s("/") + "02")},
      {k5, f(0x40, "0001")},        // PUBACK short form
      {k5, f(0x40, "0001 10")},     // reason without properties
      {k5, f(0x40, "0001 00 00")},  // explicit empty properties
      {k5, "e000"},
      {k5, "f000"},  // AUTH short form
      {k5, f(0xF0, "18" + props("15" + s("SCRAM-SHA-1") + "16" + s("data")))},
      {k311, "20020100"},                                // 3.1.1 session present
      {k311, f(0x30, sraw("e4 b8 ad 2f f0 9f 98 80"))},  // multi-byte UTF-8 topic
      {k5, f(0x30, sraw("e4 b8 ad 2f f0 9f 98 80") + "00")},
  };
  for (const auto& [version, frame_hex] : good) {
    SCOPED_TRACE(frame_hex);
    const auto frame = test::unhex(frame_hex);
    const auto r = decode(frame, version);
    EXPECT_TRUE(r.has_value()) << r.error().message;
  }
}

TEST(MqttMalformed, ErrorConvertsToKaiwuError) {
  const auto r = test::decode_hex("36 05 0001 61 0001", k5);
  ASSERT_FALSE(r.has_value());
  const Error e = r.error().to_error();
  EXPECT_EQ(e.code, Errc::kInvalidArgument);
  EXPECT_NE(e.message.find("QoS 3"), std::string::npos);
  EXPECT_NE(e.message.find("0x81 Malformed Packet"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace kaiwu::mqtt
