// NatsLeases and Signals against a real nats-server (JetStream, loopback, temp dir): exactly one
// of two nodes holds a lease; a graceful stop hands it over at once; a lease no longer wanted is
// released; the bucket's TTL frees a lease whose holder stopped renewing (it was cut off). Signals
// (signals.hpp) reach the other node and never their sender.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../bus/nats_server.hpp"
#include "cluster/leases.hpp"
#include "cluster/signals.hpp"

namespace kaiwu::cluster {
namespace {

using namespace std::chrono_literals;

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

class LeasesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    server_ = std::make_unique<testing::NatsServer>("leases", dir_->path());
    server_->start();
    ASSERT_TRUE(server_->wait_ready());
  }
  static void TearDownTestSuite() {
    server_.reset();
    dir_.reset();
  }
  std::unique_ptr<NatsLeases> node(const std::string& name, MetricsRegistry& m) {
    auto l = NatsLeases::connect({.servers = server_->url(), .node_name = name, .replicas = 1, .lease = 1500ms}, m);
    EXPECT_TRUE(l) << l.error().message;
    return l ? std::move(*l) : nullptr;
  }
  static inline std::unique_ptr<testing::TempDir> dir_;
  static inline std::unique_ptr<testing::NatsServer> server_;
};

TEST_F(LeasesTest, ExactlyOneHolderAndGracefulHandover) {
  MetricsRegistry ma, mb;
  auto a = node("a", ma);
  auto b = node("b", mb);
  ASSERT_TRUE(a && b);
  a->want("apps", {"app-schedule|x|e1", "app-schedule|y|e1"});
  b->want("apps", {"app-schedule|x|e1"});
  ASSERT_TRUE(eventually([&] { return a->held("app-schedule|x|e1") != b->held("app-schedule|x|e1"); }, 3s));
  // Never both, over several renewals.
  for (int i = 0; i < 40; ++i) {
    EXPECT_FALSE(a->held("app-schedule|x|e1") && b->held("app-schedule|x|e1"));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(eventually([&] { return a->held("app-schedule|y|e1"); }, 3s));  // nobody else wants it
  EXPECT_FALSE(b->held("app-schedule|y|e1"));                                // not wanted: never held
  auto& holder = a->held("app-schedule|x|e1") ? a : b;
  auto& other = a->held("app-schedule|x|e1") ? b : a;
  holder.reset();  // graceful: deletes its keys
  EXPECT_TRUE(eventually([&] { return other->held("app-schedule|x|e1"); }, 1500ms));
}

TEST_F(LeasesTest, UnwantedLeasesAreReleasedAndSilentHoldersExpire) {
  MetricsRegistry ma, mb;
  auto a = node("a", ma);
  auto b = node("b", mb);
  ASSERT_TRUE(a && b);
  a->want("sandbox", {"sandbox|t1"});
  ASSERT_TRUE(eventually([&] { return a->held("sandbox|t1"); }, 3s));
  b->want("sandbox", {"sandbox|t1"});
  a->want("sandbox", {});  // released at once
  EXPECT_TRUE(eventually([&] { return b->held("sandbox|t1"); }, 1500ms));
  EXPECT_FALSE(a->held("sandbox|t1"));
  EXPECT_EQ(mb.gauge("kaiwu_cluster_leases_held", "").value(), 1.0);
  // The server cuts b off (it stops renewing, as if frozen): its lease ends by itself locally
  // (lease − margin) and on the server (TTL), where a takes it.
  a->want("sandbox", {"sandbox|t1"});
  server_->kill_hard();
  EXPECT_TRUE(eventually([&] { return !b->held("sandbox|t1"); }, 2s));
  server_->start();
  ASSERT_TRUE(server_->wait_ready());
  EXPECT_TRUE(eventually([&] { return a->held("sandbox|t1") != b->held("sandbox|t1"); }, 8s));
}

TEST_F(LeasesTest, SignalsReachTheOtherNodesOnly) {
  MetricsRegistry ma, mb;
  auto a = Signals::connect(server_->url(), "a", ma);
  auto b = Signals::connect(server_->url(), "b", mb);
  ASSERT_TRUE(a && b);
  std::atomic<int> at_a{0}, at_b{0};
  ASSERT_TRUE((*a)->subscribe("rulechains", [&] { ++at_a; }));
  ASSERT_TRUE((*b)->subscribe("rulechains", [&] { ++at_b; }));
  (*a)->raise("rulechains");
  (*a)->raise("other");
  EXPECT_TRUE(eventually([&] { return at_b.load() == 1; }, 2s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(at_a.load(), 0);
  EXPECT_EQ(at_b.load(), 1);
}

}  // namespace
}  // namespace kaiwu::cluster
