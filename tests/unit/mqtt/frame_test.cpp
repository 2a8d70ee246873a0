// peek_frame: Remaining Length encoding (MQTT 5.0 §1.5.5, §2.1.4), incomplete input at every
// split point, Maximum Packet Size, and a byte stream cut into frames as a broker would.
#include <gtest/gtest.h>

#include <random>

#include "mqtt/codec.hpp"
#include "test_util.hpp"

namespace kaiwu::mqtt {
namespace {

using test::unhex;

TEST(MqttFrame, RemainingLengthBoundaries) {
  // §1.5.5 Table 1-1: the boundaries of 1..4 byte encodings.
  const struct {
    const char* hex;
    std::uint32_t value;
    std::size_t header_bytes;
  } rows[] = {
      {"3000", 0, 2},
      {"307f", 127, 2},
      {"308001", 128, 3},
      {"30ff7f", 16'383, 3},
      {"30808001", 16'384, 4},
      {"30ffff7f", 2'097'151, 4},
      {"3080808001", 2'097'152, 5},
      {"30ffffff7f", 268'435'455, 5},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.hex);
    const auto r = peek_frame(unhex(row.hex));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->type_flags, 0x30);
    EXPECT_EQ((*r)->type(), PacketType::kPublish);
    EXPECT_EQ((*r)->remaining_length, row.value);
    EXPECT_EQ((*r)->header_bytes, row.header_bytes);
    EXPECT_EQ((*r)->frame_size(), row.header_bytes + row.value);
  }
}

TEST(MqttFrame, MalformedRemainingLength) {
  for (const char* h : {"30ffffffff7f", "3080808080", "308000", "30ff8000", "3080808000"}) {
    SCOPED_TRACE(h);
    const auto r = peek_frame(unhex(h));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, ReasonCode::kMalformedPacket);
    EXPECT_NE(r.error().message.find("Remaining Length"), std::string::npos);
  }
  const auto type0 = peek_frame(unhex("0000"));
  ASSERT_FALSE(type0.has_value());
  EXPECT_EQ(type0.error().reason, ReasonCode::kMalformedPacket);
}

TEST(MqttFrame, IncompleteHeaderNeedsMoreBytes) {
  for (const char* h : {"", "30", "3080", "308080", "30808080"}) {
    SCOPED_TRACE(h);
    const auto r = peek_frame(unhex(h));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->has_value());
  }
}

TEST(MqttFrame, PacketTooLargeIsReportedFromTheHeaderAlone) {
  // 4 bytes of a PUBLISH announcing 2'097'151 more: refused before the body arrives.
  const auto big = peek_frame(unhex("30ffff7f"), 1024);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().reason, ReasonCode::kPacketTooLarge);
  EXPECT_EQ(big.error().errc(), Errc::kPayloadTooLarge);
  EXPECT_EQ(big.error().to_error().code, Errc::kPayloadTooLarge);
  EXPECT_NE(big.error().message.find("PUBLISH of 2097155 bytes"), std::string::npos)
      << big.error().message;
  EXPECT_NE(big.error().to_error().message.find("0x95 Packet too large"), std::string::npos);

  // The limit counts the whole packet, fixed header included (§3.1.2.11.4): 2 + 98 = 100.
  EXPECT_TRUE(peek_frame(unhex("3062"), 100).has_value());
  const auto over = peek_frame(unhex("3063"), 100);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().reason, ReasonCode::kPacketTooLarge);
}

// A session as a peer sends it: CONNECT, SUBSCRIBE, PUBLISH with properties, PINGREQ,
// DISCONNECT (real paho-mqtt 1.6.1 bytes).
std::vector<std::uint8_t> session() {
  std::vector<std::uint8_t> out;
  for (const char* h : {
           "101300044d5154540502001e0000067061686f3573",
           "82230001050bffffff7f000c6b616977752f7061686f2f231d00096b616977752f2b2f7822",
           "3429000f6b616977752f7061686f2f64617461000211020000003c2600016b0006e4b8ade69687000102ff",
           "c000",
           "e014041211000000001f00036279652600016b000176",
       }) {
    const auto f = unhex(h);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// Splits `stream` into packets the way a connection handler would, feeding it in the chunk
// sizes `chunks` produces.
template <typename NextChunk>
std::vector<Packet> read_stream(const std::vector<std::uint8_t>& stream, NextChunk chunks) {
  std::vector<Packet> packets;
  std::vector<std::uint8_t> buffer;
  std::size_t fed = 0;
  std::optional<Version> version;
  while (fed < stream.size() || !buffer.empty()) {
    const auto header = peek_frame(buffer);
    EXPECT_TRUE(header.has_value());
    if (!header) return packets;
    if (!header->has_value() || buffer.size() < (*header)->frame_size()) {
      if (fed == stream.size()) break;
      const std::size_t n = std::min(chunks(), stream.size() - fed);
      buffer.insert(buffer.end(), stream.begin() + fed, stream.begin() + fed + n);
      fed += n;
      continue;
    }
    const std::span<const std::uint8_t> frame(buffer.data(), (*header)->frame_size());
    if (!version) {
      auto c = decode_connect(frame);
      EXPECT_TRUE(c.has_value());
      if (!c) return packets;
      version = c->version;
      packets.emplace_back(std::move(*c));
    } else {
      auto p = decode(frame, *version);
      EXPECT_TRUE(p.has_value()) << p.error().message;
      if (!p) return packets;
      packets.push_back(std::move(*p));
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(frame.size()));
  }
  EXPECT_TRUE(buffer.empty());
  return packets;
}

TEST(MqttFrame, StreamSplitAtEveryPoint) {
  const auto stream = session();
  const auto whole = read_stream(stream, [] { return std::size_t{1} << 20; });
  ASSERT_EQ(whole.size(), 5u);
  EXPECT_TRUE(std::holds_alternative<Connect>(whole[0]));
  EXPECT_TRUE(std::holds_alternative<Subscribe>(whole[1]));
  EXPECT_TRUE(std::holds_alternative<Publish>(whole[2]));
  EXPECT_TRUE(std::holds_alternative<Pingreq>(whole[3]));
  EXPECT_TRUE(std::holds_alternative<Disconnect>(whole[4]));

  // One byte at a time.
  EXPECT_EQ(read_stream(stream, [] { return std::size_t{1}; }), whole);
  // Two pieces, split at every possible point.
  for (std::size_t split = 1; split < stream.size(); ++split) {
    SCOPED_TRACE(split);
    bool first = true;
    const auto packets = read_stream(stream, [&] {
      const std::size_t n = first ? split : stream.size();
      first = false;
      return n;
    });
    EXPECT_EQ(packets, whole);
  }
  // Random chunk sizes.
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::size_t> size(1, 40);
    EXPECT_EQ(read_stream(stream, [&] { return size(rng); }), whole);
  }
}

TEST(MqttFrame, PeekAtEveryPrefixOfEveryFrame) {
  // For every prefix of a frame: nullopt until the header is complete, then the same header.
  const auto stream = session();
  std::size_t offset = 0;
  while (offset < stream.size()) {
    const std::span<const std::uint8_t> rest(stream.data() + offset, stream.size() - offset);
    const auto full = peek_frame(rest);
    ASSERT_TRUE(full.has_value() && full->has_value());
    for (std::size_t n = 0; n <= (*full)->frame_size(); ++n) {
      const auto r = peek_frame(rest.first(n));
      ASSERT_TRUE(r.has_value());
      if (n < (*full)->header_bytes) {
        EXPECT_FALSE(r->has_value()) << n;
      } else {
        ASSERT_TRUE(r->has_value()) << n;
        EXPECT_EQ((*r)->remaining_length, (*full)->remaining_length);
        EXPECT_EQ((*r)->header_bytes, (*full)->header_bytes);
      }
      // A proper prefix of a frame never decodes.
      if (n < (*full)->frame_size()) {
        EXPECT_FALSE(decode(rest.first(n), Version::k5).has_value());
      }
    }
    offset += (*full)->frame_size();
  }
}

}  // namespace
}  // namespace kaiwu::mqtt
