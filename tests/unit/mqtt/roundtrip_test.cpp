// Property tests (seeded, reproducible): random valid packets of every type survive
// encode → decode unchanged in both versions, and mutated encodings never crash the decoder and,
// when still accepted, decode to a value that is itself stable under encode → decode.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <random>

#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "test_util.hpp"

namespace kaiwu::mqtt {
namespace {

std::uint32_t seed() {
  // MQTT_TEST_SEED=<n> reruns with another seed; failures print the seed in use.
  if (const char* s = std::getenv("MQTT_TEST_SEED"))
    return static_cast<std::uint32_t>(std::atol(s));
  return 0x4b414957;  // "KAIW"
}

enum class Scope {
  kConnect,
  kWill,
  kConnack,
  kPublish,
  kAck,
  kSubscribe,
  kUnsubscribe,
  kDisconnect,
  kAuth
};

// MQTT 5.0 §2.2.2.2 Table 2-4, written out again independently of the codec's own table.
std::vector<int> ids_for(Scope s) {
  switch (s) {
    case Scope::kConnect:
      return {0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27};
    case Scope::kWill:
      return {0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26};
    case Scope::kConnack:
      return {0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, 0x1F, 0x21,
              0x22, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A};
    case Scope::kPublish:
      return {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26};
    case Scope::kAck:
      return {0x1F, 0x26};
    case Scope::kSubscribe:
      return {0x0B, 0x26};
    case Scope::kUnsubscribe:
      return {0x26};
    case Scope::kDisconnect:
      return {0x11, 0x1C, 0x1F, 0x26};
    case Scope::kAuth:
      return {0x15, 0x16, 0x1F, 0x26};
  }
  return {};
}

class Gen {
 public:
  explicit Gen(std::uint32_t s) : rng_(s) {}

  bool coin(int percent = 50) { return u(0, 99) < static_cast<std::uint32_t>(percent); }
  std::uint32_t u(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  std::uint16_t u16(std::uint16_t lo = 0) { return static_cast<std::uint16_t>(u(lo, 65'535)); }

  // Valid UTF-8 without U+0000: ASCII, 2-, 3- and 4-byte sequences.
  std::string utf8(std::size_t max_chars, std::string_view exclude = "") {
    std::string out;
    const std::size_t n = u(0, static_cast<std::uint32_t>(max_chars));
    while (out.size() < n) {
      switch (u(0, 5)) {
        case 0:
          out += "\xc3\xa9";
          break;  // é
        case 1:
          out += "\xe4\xb8\xad";
          break;  // 中
        case 2:
          out += "\xf0\x9f\x98\x80";
          break;  // 😀
        case 3:
          out += "\xef\xbf\xbf";
          break;  // U+FFFF (allowed, §1.5.4)
        default: {
          const char c = static_cast<char>(u(1, 127));
          if (exclude.find(c) == std::string_view::npos) out.push_back(c);
        }
      }
    }
    return out;
  }
  std::string binary(std::size_t max_len) {
    std::string out(u(0, static_cast<std::uint32_t>(max_len)), '\0');
    for (char& c : out) c = static_cast<char>(u(0, 255));
    return out;
  }
  std::string level() { return utf8(6, "/+#"); }
  std::string topic_name() {
    std::string t = level();
    for (std::uint32_t i = u(0, 3); i > 0; --i) t += "/" + level();
    return t.empty() ? "t" : t;
  }
  std::string topic_filter() {
    std::string f;
    const std::uint32_t levels = u(1, 4);
    for (std::uint32_t i = 0; i < levels; ++i) {
      if (i > 0) f += "/";
      if (i + 1 == levels && coin(20)) {
        f += "#";
      } else {
        f += coin(20) ? "+" : level();
      }
    }
    if (f.empty()) f = "f";
    if (coin(15)) f = "$share/" + (utf8(5, "/+#") + "g") + "/" + f;
    return f;
  }
  std::uint32_t subscription_id() {
    static constexpr std::uint32_t kEdges[] = {1,      127,       128,       16'383,
                                               16'384, 2'097'151, 2'097'152, 268'435'455};
    return coin(30) ? kEdges[u(0, 7)] : u(1, 268'435'455);
  }

  Properties props(Scope scope, Version v) {
    Properties p;
    if (v == Version::k311) return p;
    for (const int id : ids_for(scope)) {
      if (coin(40)) set(p, id, scope);
    }
    return p;
  }

  void set(Properties& p, int id, Scope scope) {
    switch (id) {
      case 0x01:
        p.payload_format_indicator = static_cast<std::uint8_t>(u(0, 1));
        break;
      case 0x02:
        p.message_expiry_interval = u(0, 0xFFFFFFFF);
        break;
      case 0x03:
        p.content_type = utf8(20);
        break;
      case 0x08:
        p.response_topic = topic_name();
        break;
      case 0x09:
        p.correlation_data = binary(16);
        break;
      case 0x0B:
        for (std::uint32_t i = scope == Scope::kPublish ? u(1, 3) : 1; i > 0; --i) {
          p.subscription_identifiers.push_back(subscription_id());
        }
        break;
      case 0x11:
        p.session_expiry_interval = u(0, 0xFFFFFFFF);
        break;
      case 0x12:
        p.assigned_client_identifier = utf8(23);
        break;
      case 0x13:
        p.server_keep_alive = u16();
        break;
      case 0x15:
        p.authentication_method = utf8(12);
        break;
      case 0x16:
        p.authentication_data = binary(32);
        if (!p.authentication_method) p.authentication_method = "SCRAM-SHA-1";
        break;
      case 0x17:
        p.request_problem_information = coin();
        break;
      case 0x18:
        p.will_delay_interval = u(0, 0xFFFFFFFF);
        break;
      case 0x19:
        p.request_response_information = coin();
        break;
      case 0x1A:
        p.response_information = utf8(10);
        break;
      case 0x1C:
        p.server_reference = utf8(10);
        break;
      case 0x1F:
        p.reason_string = utf8(30);
        break;
      case 0x21:
        p.receive_maximum = u16(1);
        break;
      case 0x22:
        p.topic_alias_maximum = u16();
        break;
      case 0x23:
        p.topic_alias = u16(1);
        break;
      case 0x24:
        p.maximum_qos = static_cast<std::uint8_t>(u(0, 1));
        break;
      case 0x25:
        p.retain_available = coin();
        break;
      case 0x26:
        for (std::uint32_t i = u(1, 3); i > 0; --i)
          p.user_properties.emplace_back(utf8(5), utf8(8));
        break;
      case 0x27:
        p.maximum_packet_size = u(1, 0xFFFFFFFF);
        break;
      case 0x28:
        p.wildcard_subscription_available = coin();
        break;
      case 0x29:
        p.subscription_identifier_available = coin();
        break;
      case 0x2A:
        p.shared_subscription_available = coin();
        break;
      default:
        ADD_FAILURE() << "no generator for property " << id;
    }
  }

  ReasonCode reason(PacketType type) {
    std::vector<ReasonCode> allowed;
    for (int c = 0; c < 256; ++c) {
      if (reason_code_allowed(type, static_cast<ReasonCode>(c)))
        allowed.push_back(static_cast<ReasonCode>(c));
    }
    return allowed[u(0, static_cast<std::uint32_t>(allowed.size() - 1))];
  }
  QoS qos() { return static_cast<QoS>(u(0, 2)); }

  Packet connect(Version v) {
    Connect c{.version = v, .clean_start = coin(), .keep_alive = u16(), .client_id = utf8(23)};
    if (coin()) {
      c.will = Will{.topic = topic_name(),
                    .payload = binary(64),
                    .qos = qos(),
                    .retain = coin(),
                    .properties = props(Scope::kWill, v)};
    }
    if (coin()) c.username = utf8(16);
    if (coin() && (v == Version::k5 || c.username)) c.password = binary(16);
    c.properties = props(Scope::kConnect, v);
    return c;
  }
  Packet connack(Version v) {
    static constexpr ReasonCode k311Codes[] = {ReasonCode::kSuccess,
                                               ReasonCode::kUnsupportedProtocolVersion,
                                               ReasonCode::kClientIdentifierNotValid,
                                               ReasonCode::kServerUnavailable,
                                               ReasonCode::kBadUserNameOrPassword,
                                               ReasonCode::kNotAuthorized};
    Connack c;
    c.reason = v == Version::k311 ? k311Codes[u(0, 5)] : reason(PacketType::kConnack);
    c.session_present = c.reason == ReasonCode::kSuccess && coin();
    c.properties = props(Scope::kConnack, v);
    return c;
  }
  Packet publish(Version v) {
    Publish p{.qos = qos(), .retain = coin(), .topic = topic_name()};
    p.dup = p.qos != QoS::k0 && coin();
    if (p.qos != QoS::k0) p.packet_id = u16(1);
    p.properties = props(Scope::kPublish, v);
    if (v == Version::k5 && coin(10)) {
      p.topic.clear();
      p.properties.topic_alias = u16(1);
    }
    p.payload = binary(coin(5) ? 40'000 : 200);  // sometimes a 3-byte Remaining Length
    return p;
  }
  template <typename T>
  Packet ack(Version v) {
    T a{.packet_id = u16(1)};
    if (v == Version::k5) {
      a.reason = coin() ? ReasonCode::kSuccess : reason(T::kPacketType);
      a.properties = props(Scope::kAck, v);
    }
    return a;
  }
  Packet subscribe(Version v) {
    Subscribe s{.packet_id = u16(1), .properties = props(Scope::kSubscribe, v)};
    for (std::uint32_t i = u(1, 5); i > 0; --i) {
      Subscription sub{.filter = topic_filter(), .qos = qos()};
      if (v == Version::k5) {
        sub.no_local = !parse_shared_filter(sub.filter) && coin();
        sub.retain_as_published = coin();
        sub.retain_handling = static_cast<RetainHandling>(u(0, 2));
      }
      s.subscriptions.push_back(sub);
    }
    return s;
  }
  Packet suback(Version v) {
    static constexpr ReasonCode k311Codes[] = {ReasonCode::kGrantedQoS0, ReasonCode::kGrantedQoS1,
                                               ReasonCode::kGrantedQoS2,
                                               ReasonCode::kUnspecifiedError};
    Suback s{.packet_id = u16(1), .properties = props(Scope::kAck, v)};
    for (std::uint32_t i = u(1, 5); i > 0; --i) {
      s.reasons.push_back(v == Version::k311 ? k311Codes[u(0, 3)] : reason(PacketType::kSuback));
    }
    return s;
  }
  Packet unsubscribe(Version v) {
    Unsubscribe s{.packet_id = u16(1), .properties = props(Scope::kUnsubscribe, v)};
    for (std::uint32_t i = u(1, 5); i > 0; --i) s.filters.push_back(topic_filter());
    return s;
  }
  Packet unsuback(Version v) {
    Unsuback s{.packet_id = u16(1)};
    if (v == Version::k5) {
      s.properties = props(Scope::kAck, v);
      for (std::uint32_t i = u(1, 5); i > 0; --i)
        s.reasons.push_back(reason(PacketType::kUnsuback));
    }
    return s;
  }
  Packet disconnect(Version v) {
    Disconnect d;
    if (v == Version::k5) {
      d.reason = coin() ? ReasonCode::kNormalDisconnection : reason(PacketType::kDisconnect);
      d.properties = props(Scope::kDisconnect, v);
    }
    return d;
  }
  Packet auth() {
    Auth a;
    if (coin(20)) return a;  // short form
    a.reason = reason(PacketType::kAuth);
    a.properties = props(Scope::kAuth, Version::k5);
    a.properties.authentication_method = utf8(12);
    return a;
  }

  Packet packet(PacketType type, Version v) {
    switch (type) {
      case PacketType::kConnect:
        return connect(v);
      case PacketType::kConnack:
        return connack(v);
      case PacketType::kPublish:
        return publish(v);
      case PacketType::kPuback:
        return ack<Puback>(v);
      case PacketType::kPubrec:
        return ack<Pubrec>(v);
      case PacketType::kPubrel:
        return ack<Pubrel>(v);
      case PacketType::kPubcomp:
        return ack<Pubcomp>(v);
      case PacketType::kSubscribe:
        return subscribe(v);
      case PacketType::kSuback:
        return suback(v);
      case PacketType::kUnsubscribe:
        return unsubscribe(v);
      case PacketType::kUnsuback:
        return unsuback(v);
      case PacketType::kPingreq:
        return Pingreq{};
      case PacketType::kPingresp:
        return Pingresp{};
      case PacketType::kDisconnect:
        return disconnect(v);
      case PacketType::kAuth:
        return auth();
    }
    return Pingreq{};
  }

 private:
  std::mt19937 rng_;
};

constexpr Version kVersions[] = {Version::k311, Version::k5};

TEST(MqttRoundTrip, RandomPacketsOfEveryTypeSurviveEncodeDecode) {
  SCOPED_TRACE("seed " + std::to_string(seed()));
  Gen gen(seed());
  int checked = 0;
  for (int round = 0; round < 150; ++round) {
    for (const Version v : kVersions) {
      for (int t = 1; t <= 15; ++t) {
        const auto type = static_cast<PacketType>(t);
        if (type == PacketType::kAuth && v == Version::k311) continue;
        const Packet p = gen.packet(type, v);
        const std::string wire = encode(p, v);
        SCOPED_TRACE(std::string(packet_type_name(type)) + " v" +
                     std::to_string(static_cast<int>(v)) + " " + test::hex(wire.substr(0, 200)));
        ASSERT_EQ(encoded_size(p, v), wire.size());
        const auto header = peek_frame(bytes_of(wire));
        ASSERT_TRUE(header.has_value() && header->has_value());
        ASSERT_EQ((*header)->frame_size(), wire.size());
        ASSERT_EQ((*header)->type(), type);
        const auto back = decode(bytes_of(wire), v);
        ASSERT_TRUE(back.has_value()) << back.error().message;
        ASSERT_EQ(*back, p);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 150 * 29);
}

TEST(MqttRoundTrip, MutatedFramesNeverCrashAndStayCanonical) {
  SCOPED_TRACE("seed " + std::to_string(seed()));
  Gen gen(seed() ^ 0x9e3779b9);
  int accepted = 0;
  int rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    const Version from = kVersions[gen.u(0, 1)];
    const auto type = static_cast<PacketType>(gen.u(1, from == Version::k5 ? 15 : 14));
    std::string wire = encode(gen.packet(type, from), from);
    if (wire.size() > 2000) continue;
    for (std::uint32_t m = gen.u(1, 3); m > 0; --m) {
      const std::size_t at = gen.u(0, static_cast<std::uint32_t>(wire.size() - 1));
      switch (gen.u(0, 3)) {
        case 0:
          wire[at] = static_cast<char>(wire[at] ^ (1 << gen.u(0, 7)));
          break;
        case 1:
          wire[at] = static_cast<char>(gen.u(0, 255));
          break;
        case 2:
          wire.erase(at, 1);
          break;
        default:
          wire.insert(at, 1, static_cast<char>(gen.u(0, 255)));
          break;
      }
      if (wire.empty()) wire = "\x30";
    }
    for (const Version v : kVersions) {
      const auto decoded = decode(bytes_of(wire), v);
      if (!decoded) {
        ++rejected;
        EXPECT_FALSE(decoded.error().message.empty());
        continue;
      }
      ++accepted;
      // A CONNECT is re-encoded in the version it announced.
      const auto* connect = std::get_if<Connect>(&*decoded);
      const Version out = connect ? connect->version : v;
      const std::string again = encode(*decoded, out);
      const auto redecoded = decode(bytes_of(again), out);
      ASSERT_TRUE(redecoded.has_value()) << test::hex(wire) << ": " << redecoded.error().message;
      EXPECT_EQ(*redecoded, *decoded) << test::hex(wire);
      EXPECT_EQ(encode(*redecoded, out), again);
    }
  }
  // Both outcomes occur, so the mutations neither always break nor never touch the frame.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

TEST(MqttRoundTrip, ReasonCodeTablesMatchTheSpec) {
  // Number of entries in MQTT 5.0 Tables 3-1, 3-4 … 3-11.
  const std::pair<PacketType, int> sizes[] = {
      {PacketType::kConnack, 22}, {PacketType::kPuback, 9},      {PacketType::kPubrec, 9},
      {PacketType::kPubrel, 2},   {PacketType::kPubcomp, 2},     {PacketType::kSuback, 12},
      {PacketType::kUnsuback, 7}, {PacketType::kDisconnect, 29}, {PacketType::kAuth, 3},
      {PacketType::kPublish, 0},  {PacketType::kConnect, 0},
  };
  for (const auto& [type, n] : sizes) {
    int count = 0;
    for (int c = 0; c < 256; ++c) count += reason_code_allowed(type, static_cast<ReasonCode>(c));
    EXPECT_EQ(count, n) << packet_type_name(type);
  }
  int named = 0;
  for (int c = 0; c < 256; ++c) named += reason_code_name(static_cast<ReasonCode>(c)) != "Unknown";
  EXPECT_EQ(named, 43);  // §2.4 Table 2-6 lists 43 distinct values
  EXPECT_EQ(reason_code_name(ReasonCode::kPacketTooLarge), "Packet too large");
}

}  // namespace
}  // namespace kaiwu::mqtt
