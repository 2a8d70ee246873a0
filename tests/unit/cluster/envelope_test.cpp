// The envelopes nodes exchange over NATS: exact round trips (properties included) and clear
// rejection of anything else.
#include <gtest/gtest.h>

#include "cluster/envelope.hpp"

namespace kaiwu::cluster {
namespace {

std::span<const std::uint8_t> view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

mqtt::Publish sample() {
  mqtt::Publish p;
  p.topic = "plant/line1/temp";
  p.payload = std::string("21.5\0bin", 8);
  p.qos = mqtt::QoS::k1;
  p.retain = true;
  p.packet_id = 77;
  p.properties.content_type = "text/plain";
  p.properties.response_topic = "reply/here";
  p.properties.user_properties.push_back({"k", "v"});
  p.properties.topic_alias = 3;  // per connection: never travels
  return p;
}

TEST(ClusterEnvelope, ForwardRoundTrip) {
  Forwarded f{"node-1", "tenant-a", std::string("tenant-a") + '\0' + "client", 1'700'000'000'123, sample()};
  auto bytes = encode(f);
  auto back = decode_forwarded(view(bytes));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->node, "node-1");
  EXPECT_EQ(back->tenant, "tenant-a");
  EXPECT_EQ(back->origin, f.origin);
  EXPECT_EQ(back->expires_ms, 1'700'000'000'123);
  EXPECT_EQ(back->message.topic, "plant/line1/temp");
  EXPECT_EQ(back->message.payload, f.message.payload);
  EXPECT_EQ(back->message.qos, mqtt::QoS::k1);
  EXPECT_TRUE(back->message.retain);
  EXPECT_EQ(back->message.properties.content_type, "text/plain");
  EXPECT_EQ(back->message.properties.response_topic, "reply/here");
  ASSERT_EQ(back->message.properties.user_properties.size(), 1u);
  EXPECT_FALSE(back->message.properties.topic_alias);
  EXPECT_EQ(encode(*back), bytes);
}

TEST(ClusterEnvelope, ClaimAndRetainedRoundTrip) {
  auto claim = decode_claim(view(encode(Claim{"n2", "t", "same-id", 42})));
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->client_id, "same-id");
  EXPECT_EQ(claim->since_ms, 42);
  auto p = sample();
  p.qos = mqtt::QoS::k0;
  auto r = decode_retained(view(encode(RetainedEntry{"t", 0, p})));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tenant, "t");
  EXPECT_EQ(r->message.qos, mqtt::QoS::k0);
  EXPECT_EQ(r->message.payload, p.payload);
}

TEST(ClusterEnvelope, RejectsWrongKindTruncationAndTrailingBytes) {
  auto fwd = encode(Forwarded{"n", "t", "", 0, sample()});
  auto claim = decode_claim(view(fwd));  // a forward is not a claim
  ASSERT_FALSE(claim);
  EXPECT_EQ(claim.error().code, Errc::kInvalidArgument);
  for (std::size_t n : {0u, 1u, 3u, 10u}) EXPECT_FALSE(decode_forwarded(view(fwd.substr(0, n)))) << n;
  EXPECT_FALSE(decode_forwarded(view(fwd.substr(0, fwd.size() - 1))));  // a cut PUBLISH
  auto extra = decode_forwarded(view(fwd + "x"));  // bytes after the PUBLISH frame
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("cluster forward"), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::cluster
