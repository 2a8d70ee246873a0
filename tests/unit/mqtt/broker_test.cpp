// The broker core without sockets: fake links record what the broker sends, a fake hooks object
// decides identities; packets are built and read with the codec.
#include <gtest/gtest.h>

#include <deque>

#include "mqtt/broker.hpp"

namespace kaiwu::mqtt {
namespace {

class FakeLink final : public Link {
 public:
  void send(std::string bytes) override { out += bytes; }
  void close() override { closed = true; }
  void pause_reading(bool p) override { paused = p; }
  std::string remote() const override { return "test"; }

  // Decodes everything sent so far.
  std::vector<Packet> packets(Version v) {
    std::vector<Packet> result;
    std::size_t off = 0;
    while (off < out.size()) {
      auto span = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(out.data()) + off, out.size() - off);
      auto h = peek_frame(span);
      if (!h || !*h) break;
      auto p = decode(span.first((*h)->frame_size()), v);
      EXPECT_TRUE(p) << p.error().message;
      if (p) result.push_back(*p);
      off += (*h)->frame_size();
    }
    out.erase(0, off);
    return result;
  }
  std::string out;
  bool closed = false;
  bool paused = false;
};

class FakeHooks final : public BrokerHooks {
 public:
  void authenticate(const Connect& c, Peer, std::function<void(AuthResult)> done) override {
    if (c.username == std::string("bad")) return done(std::unexpected(ReasonCode::kBadUserNameOrPassword));
    done(ClientIdentity{c.username.value_or("") == "other" ? "t2" : "t1", c.username.value_or(""), {}, false, false});
  }
  bool may_publish(const ClientIdentity&, std::string_view topic) override { return topic != "forbidden"; }
  bool may_subscribe(const ClientIdentity&, std::string_view) override { return true; }
  bool intercept(const ClientIdentity&, const Publish& p, std::function<void(ReasonCode)> done) override {
    if (p.topic != "ingest") return false;
    held.push_back(std::move(done));
    return true;
  }
  std::vector<std::function<void(ReasonCode)>> held;
};

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest()
      : broker_(BrokerOptions{.receive_maximum = 2}, hooks_, metrics_, [this](std::function<void()> fn) { posted_.push_back(std::move(fn)); },
                [this] { return now_; }) {}

  void run_posted() {
    while (!posted_.empty()) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
    }
  }
  std::pair<Broker::ConnId, std::shared_ptr<FakeLink>> connect(const std::string& client, const std::string& user,
                                                               Version v = Version::k5, bool clean = true,
                                                               std::optional<Will> will = std::nullopt,
                                                               std::uint32_t expiry = 0) {
    auto link = std::make_shared<FakeLink>();
    auto id = broker_.attach(link);
    Connect c;
    c.version = v;
    c.client_id = client;
    c.username = user;
    c.clean_start = clean;
    c.will = will;
    if (expiry) c.properties.session_expiry_interval = expiry;
    feed(id, c, v);
    run_posted();
    return {id, link};
  }
  void feed(Broker::ConnId id, const Packet& p, Version v = Version::k5) {
    auto bytes = encode(p, v);
    broker_.on_bytes(id, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  static Publish publish(std::string topic, std::string payload, QoS qos = QoS::k0, std::uint16_t pid = 0, bool retain = false) {
    Publish p;
    p.topic = std::move(topic);
    p.payload = std::move(payload);
    p.qos = qos;
    p.packet_id = pid;
    p.retain = retain;
    return p;
  }
  static Subscribe subscribe(std::string filter, QoS qos, std::uint16_t pid = 1) {
    Subscribe s;
    s.packet_id = pid;
    s.subscriptions.push_back(Subscription{std::move(filter), qos});
    return s;
  }

  FakeHooks hooks_;
  MetricsRegistry metrics_;
  std::deque<std::function<void()>> posted_;
  std::int64_t now_ = 1'000'000;
  Broker broker_;
};

TEST_F(BrokerTest, ConnackThenRefusal) {
  auto [id, link] = connect("c1", "alice");
  auto ps = link->packets(Version::k5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(std::get<Connack>(ps[0]).reason, ReasonCode::kSuccess);
  EXPECT_EQ(std::get<Connack>(ps[0]).properties.receive_maximum, 2);
  auto [id2, bad] = connect("c2", "bad");
  ps = bad->packets(Version::k5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(std::get<Connack>(ps[0]).reason, ReasonCode::kBadUserNameOrPassword);
  EXPECT_TRUE(bad->closed);
}

TEST_F(BrokerTest, Qos2ExactlyOnceAndDowngrade) {
  auto [sid, sub] = connect("sub", "alice");
  feed(sid, subscribe("a/+", QoS::k1));
  sub->packets(Version::k5);
  auto [pid, pub] = connect("pub", "alice");
  pub->packets(Version::k5);
  feed(pid, publish("a/b", "x", QoS::k2, 7));
  feed(pid, publish("a/b", "x", QoS::k2, 7));  // resend before PUBREL: delivered once
  auto acks = pub->packets(Version::k5);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(std::get<Pubrec>(acks[0]).packet_id, 7);
  feed(pid, Pubrel{7, ReasonCode::kSuccess, {}});
  acks = pub->packets(Version::k5);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(std::get<Pubcomp>(acks[0]).reason, ReasonCode::kSuccess);
  auto got = sub->packets(Version::k5);
  ASSERT_EQ(got.size(), 1u);
  const auto& p = std::get<Publish>(got[0]);
  EXPECT_EQ(p.qos, QoS::k1);  // min(publish QoS 2, subscription QoS 1)
  EXPECT_EQ(p.topic, "a/b");
}

TEST_F(BrokerTest, TenantsAreIsolated) {
  auto [sid, sub] = connect("sub", "other");  // tenant t2
  feed(sid, subscribe("#", QoS::k0));
  sub->packets(Version::k5);
  auto [pid, pub] = connect("pub", "alice");  // tenant t1
  feed(pid, publish("x", "secret"));
  EXPECT_TRUE(sub->packets(Version::k5).empty());
}

TEST_F(BrokerTest, RetainedAndWill) {
  auto [pid, pub] = connect("pub", "alice");
  feed(pid, publish("cfg", "v1", QoS::k0, 0, true));
  Will w;
  w.topic = "status/dying";
  w.payload = "gone";
  auto [did, dying] = connect("dying", "alice", Version::k5, true, w);
  auto [sid, sub] = connect("sub", "alice");
  sub->packets(Version::k5);
  feed(sid, subscribe("cfg", QoS::k1));
  feed(sid, subscribe("status/#", QoS::k0, 2));
  auto ps = sub->packets(Version::k5);
  ASSERT_GE(ps.size(), 3u);
  EXPECT_TRUE(std::get<Publish>(ps[1]).retain);
  EXPECT_EQ(std::get<Publish>(ps[1]).payload, "v1");
  broker_.on_closed(did);  // no DISCONNECT: the will goes out
  ps = sub->packets(Version::k5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(std::get<Publish>(ps[0]).topic, "status/dying");
}

TEST_F(BrokerTest, PersistentSessionQueuesAndResendsInflight) {
  auto [sid, sub] = connect("keeper", "alice", Version::k311, false);
  feed(sid, subscribe("q", QoS::k1), Version::k311);
  sub->packets(Version::k311);
  auto [pid, pub] = connect("pub", "alice");
  feed(pid, publish("q", "1", QoS::k1, 1));
  auto first = sub->packets(Version::k311);
  ASSERT_EQ(first.size(), 1u);  // in flight, not acknowledged
  broker_.on_closed(sid);
  feed(pid, publish("q", "2", QoS::k1, 2));
  auto [sid2, again] = connect("keeper", "alice", Version::k311, false);
  auto ps = again->packets(Version::k311);
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_TRUE(std::get<Connack>(ps[0]).session_present);
  EXPECT_TRUE(std::get<Publish>(ps[1]).dup);  // the unacknowledged one again, same id
  EXPECT_EQ(std::get<Publish>(ps[1]).packet_id, std::get<Publish>(first[0]).packet_id);
  EXPECT_EQ(std::get<Publish>(ps[2]).payload, "2");
}

TEST_F(BrokerTest, InterceptedPublishAcksOnlyWhenDoneAndAppliesBackPressure) {
  auto [id, link] = connect("dev", "alice");
  link->packets(Version::k5);
  feed(id, publish("ingest", "a", QoS::k1, 1));
  feed(id, publish("ingest", "b", QoS::k1, 2));
  EXPECT_TRUE(link->packets(Version::k5).empty());  // nothing durable yet: no PUBACK
  EXPECT_TRUE(link->paused);                        // receive maximum 2 reached
  ASSERT_EQ(hooks_.held.size(), 2u);
  hooks_.held[0](ReasonCode::kSuccess);
  hooks_.held[1](ReasonCode::kPayloadFormatInvalid);
  run_posted();
  auto ps = link->packets(Version::k5);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(std::get<Puback>(ps[0]).reason, ReasonCode::kSuccess);
  EXPECT_EQ(std::get<Puback>(ps[1]).reason, ReasonCode::kPayloadFormatInvalid);
  EXPECT_FALSE(link->paused);
}

TEST_F(BrokerTest, MalformedPacketClosesOnlyThatConnection) {
  auto [a, good] = connect("good", "alice");
  auto [b, evil] = connect("evil", "alice");
  const std::uint8_t garbage[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};  // 5-byte remaining length
  broker_.on_bytes(b, garbage);
  EXPECT_TRUE(evil->closed);
  auto ps = evil->packets(Version::k5);
  ASSERT_FALSE(ps.empty());
  EXPECT_EQ(std::get<Disconnect>(ps.back()).reason, ReasonCode::kMalformedPacket);
  good->packets(Version::k5);
  feed(a, Pingreq{});
  ps = good->packets(Version::k5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Pingresp>(ps[0]));
  EXPECT_FALSE(good->closed);
}

TEST_F(BrokerTest, KeepAliveTimeoutClosesAndSendsWill) {
  Will w;
  w.topic = "lost";
  w.payload = "x";
  auto [sid, sub] = connect("sub", "alice");
  feed(sid, subscribe("lost", QoS::k0));
  sub->packets(Version::k5);
  auto link = std::make_shared<FakeLink>();
  auto id = broker_.attach(link);
  Connect c;
  c.client_id = "sleepy";
  c.username = "alice";
  c.keep_alive = 10;
  c.will = w;
  feed(id, c);
  run_posted();
  now_ += 14'000;
  broker_.tick();
  EXPECT_FALSE(link->closed);
  feed(sid, Pingreq{});  // keep the subscriber alive
  now_ += 2'000;  // 16 s > 1.5 × 10 s
  broker_.tick();
  EXPECT_TRUE(link->closed);
  auto ps = sub->packets(Version::k5);
  bool will_seen = false;
  for (auto& p : ps)
    if (auto* pub = std::get_if<Publish>(&p)) will_seen = will_seen || pub->topic == "lost";
  EXPECT_TRUE(will_seen);
}

TEST_F(BrokerTest, SharedSubscriptionRoundRobin) {
  auto [a, la] = connect("worker-a", "alice");
  auto [b, lb] = connect("worker-b", "alice");
  feed(a, subscribe("$share/grp/jobs/+", QoS::k0));
  feed(b, subscribe("$share/grp/jobs/+", QoS::k0));
  la->packets(Version::k5);
  lb->packets(Version::k5);
  auto [p, lp] = connect("producer", "alice");
  for (int i = 0; i < 10; ++i) feed(p, publish("jobs/x", std::to_string(i)));
  auto ga = la->packets(Version::k5), gb = lb->packets(Version::k5);
  EXPECT_EQ(ga.size() + gb.size(), 10u);  // each message to exactly one member
  EXPECT_EQ(ga.size(), 5u);
}

TEST_F(BrokerTest, WillDelayAndCancelOnReconnect) {
  auto [sid, sub] = connect("sub", "alice");
  feed(sid, subscribe("w", QoS::k0));
  sub->packets(Version::k5);
  Will w;
  w.topic = "w";
  w.payload = "late";
  w.properties.will_delay_interval = 5;
  auto [id, link] = connect("delayed", "alice", Version::k5, true, w, 60);
  broker_.on_closed(id);
  now_ += 3'000;
  broker_.tick();
  EXPECT_TRUE(sub->packets(Version::k5).empty());  // still within the delay
  now_ += 3'000;
  broker_.tick();
  ASSERT_EQ(sub->packets(Version::k5).size(), 1u);
  // A client that comes back within the delay cancels its will.
  auto [id2, link2] = connect("delayed2", "alice", Version::k5, true, w, 60);
  broker_.on_closed(id2);
  now_ += 1'000;
  connect("delayed2", "alice", Version::k5, false, std::nullopt, 60);
  now_ += 10'000;
  broker_.tick();
  for (auto& pk : sub->packets(Version::k5)) EXPECT_FALSE(std::holds_alternative<Publish>(pk));
}

TEST_F(BrokerTest, OversizedPacketIsRefusedWithReason) {
  auto [id, link] = connect("big", "alice");
  link->packets(Version::k5);
  feed(id, publish("t", std::string(2 << 20, 'x')));  // over the 1 MiB default
  EXPECT_TRUE(link->closed);
  auto ps = link->packets(Version::k5);
  ASSERT_FALSE(ps.empty());
  EXPECT_EQ(std::get<Disconnect>(ps.back()).reason, ReasonCode::kPacketTooLarge);
}

// Cluster seam: what a node forwards, what it does with what peers forward, session claims.
class FakePeers final : public BrokerPeers {
 public:
  void forward(const std::string& tenant, const Publish& m, std::int64_t expires_ms, const std::string& origin) override {
    forwarded.push_back({tenant, m.topic, m.payload, m.retain, expires_ms, origin});
  }
  void claimed(const std::string& tenant, const std::string& client_id, std::int64_t since_ms) override {
    claims.push_back({tenant, client_id, since_ms});
  }
  struct Fwd {
    std::string tenant, topic, payload;
    bool retain;
    std::int64_t expires_ms;
    std::string origin;
  };
  struct ClaimSeen {
    std::string tenant, client_id;
    std::int64_t since_ms;
  };
  std::vector<Fwd> forwarded;
  std::vector<ClaimSeen> claims;
};

TEST_F(BrokerTest, ForwardsLocalPublishesOnceAndNeverPeerOnes) {
  FakePeers peers;
  broker_.set_peers(&peers);
  auto [sid, sub] = connect("sub", "alice");
  ASSERT_EQ(peers.claims.size(), 1u);
  EXPECT_EQ(peers.claims[0].tenant, "t1");
  EXPECT_EQ(peers.claims[0].client_id, "sub");
  EXPECT_EQ(peers.claims[0].since_ms, now_);
  feed(sid, subscribe("a/#", QoS::k1));
  sub->packets(Version::k5);
  auto [pid, pub] = connect("pub", "alice");
  Publish p = publish("a/b", "x", QoS::k1, 3);
  p.properties.message_expiry_interval = 60;
  feed(pid, p);
  ASSERT_EQ(peers.forwarded.size(), 1u);
  EXPECT_EQ(peers.forwarded[0].topic, "a/b");
  EXPECT_EQ(peers.forwarded[0].expires_ms, now_ + 60'000);
  EXPECT_EQ(peers.forwarded[0].origin, std::string("t1") + '\0' + "pub");
  EXPECT_EQ(sub->packets(Version::k5).size(), 1u);  // local delivery as before
  // From a peer: delivered here (retained kept), not forwarded again.
  broker_.publish_from_peer("t1", publish("a/c", "y", QoS::k1, 1, true), 0, std::string("t1") + '\0' + "far");
  EXPECT_EQ(peers.forwarded.size(), 1u);
  auto got = sub->packets(Version::k5);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<Publish>(got[0]).payload, "y");
  broker_.publish_from_peer("t2", publish("a/d", "z"), 0, "");  // another tenant: not seen
  EXPECT_TRUE(sub->packets(Version::k5).empty());
  auto [lid, late] = connect("late", "alice");
  late->packets(Version::k5);
  feed(lid, subscribe("a/#", QoS::k1));
  got = late->packets(Version::k5);
  ASSERT_EQ(got.size(), 2u);  // SUBACK + the peer's retained message
  EXPECT_TRUE(std::get<Publish>(got[1]).retain);
  // The cluster's retained set replaces this node's.
  std::vector<std::pair<std::string, Publish>> cluster;
  cluster.emplace_back("t1", publish("r/1", "one", QoS::k0, 0, true));
  broker_.replace_retained(std::move(cluster));
  feed(lid, subscribe("#", QoS::k0, 2));
  got = late->packets(Version::k5);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::get<Publish>(got[1]).topic, "r/1");
  // $SYS stays per node.
  now_ += 20'000;
  broker_.tick();
  EXPECT_EQ(peers.forwarded.size(), 1u);
}

TEST_F(BrokerTest, PeerClaimClosesAnOlderSessionOnly) {
  FakePeers peers;
  broker_.set_peers(&peers);
  auto [id, link] = connect("dup", "alice");
  link->packets(Version::k5);
  broker_.release_session("t1", "dup", now_ - 1);  // the peer's connection is older: ours stays
  EXPECT_FALSE(link->closed);
  broker_.release_session("t2", "dup", now_ + 5);  // another tenant's client id
  EXPECT_FALSE(link->closed);
  broker_.release_session("t1", "dup", now_ + 5);
  EXPECT_TRUE(link->closed);
  auto ps = link->packets(Version::k5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(std::get<Disconnect>(ps[0]).reason, ReasonCode::kSessionTakenOver);
  broker_.on_closed(id);
  EXPECT_EQ(broker_.sessions(), 0u);
}

}  // namespace
}  // namespace kaiwu::mqtt
