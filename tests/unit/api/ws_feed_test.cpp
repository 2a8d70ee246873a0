// The live feed against fakes: a recording WsPeer, a token-table Authenticator, a real
// InProcessBus and an in-memory SQLite store.
#include "api/ws_feed.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "bus/in_process.hpp"
#include "http/message.hpp"
#include "meta/sqlite_store.hpp"

namespace kaiwu::api {
namespace {

using namespace std::chrono_literals;

class FakePeer final : public http::WsPeer {
 public:
  void send_binary(std::string) override {}
  void send_text(std::string text) override {
    std::lock_guard lock(mu);
    sent.push_back(std::move(text));
  }
  void close() override { close_now(1000, ""); }
  void close_now(std::uint16_t code, std::string reason) override {
    std::lock_guard lock(mu);
    if (close_code == 0) {
      close_code = code;
      close_reason = std::move(reason);
    }
  }
  std::size_t pending() const override { return backlog.load(); }
  void pause_reading(bool) override {}
  std::string remote() const override { return "test"; }

  // The next message of the given type (waiting up to `wait`), or null.
  boost::json::value next(std::string_view type, std::chrono::milliseconds wait = 5s) {
    auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard lock(mu);
        while (read < sent.size()) {
          auto v = boost::json::parse(sent[read++]);
          if (v.as_object().at("type").as_string() == type) return v;
        }
      }
      std::this_thread::sleep_for(1ms);
    }
    return nullptr;
  }
  std::uint16_t code() {
    std::lock_guard lock(mu);
    return close_code;
  }

  std::atomic<std::size_t> backlog{0};
  std::mutex mu;
  std::vector<std::string> sent;  // guarded by mu
  std::size_t read = 0;           // guarded by mu
  std::uint16_t close_code = 0;   // guarded by mu
  std::string close_reason;       // guarded by mu
};

class TokenAuth final : public http::Authenticator {
 public:
  std::map<std::string, http::Principal> tokens;
  Result<http::Principal> authenticate(const http::Request& req) override {
    auto h = std::string(req.header("Authorization"));
    auto it = tokens.find(h.substr(7));
    if (it == tokens.end()) return fail(Errc::kUnauthenticated, "bad token");
    return it->second;
  }
};

struct World {
  MetricsRegistry metrics;
  std::unique_ptr<meta::SqliteStore> store = std::move(*meta::SqliteStore::open(":memory:"));
  bus::InProcessBus bus{metrics};
  TokenAuth auth;
  model::Device mine, theirs;
  std::unique_ptr<WsFeed> feed;
  http::WsEndpoint endpoint;

  World() {
    for (auto* d : {&mine, &theirs}) {
      auto t = *store->create_tenant(model::Tenant{"", d == &mine ? "a" : "b", "", 0});
      auto e = *store->create_enterprise(meta::Scope::tenant(t.id), model::Enterprise{.name = "e"});
      model::Device dev;
      dev.enterprise_id = e.id;
      dev.name = "m";
      *d = *store->create_device(meta::Scope::tenant(t.id), dev);
      http::Principal p;
      p.username = d == &mine ? "alice" : "bob";
      p.role = model::Role::kTenantAdmin;
      p.tenant_id = t.id;
      auth.tokens[d == &mine ? "tok-a" : "tok-b"] = p;
    }
    feed = std::make_unique<WsFeed>(bus, *store, auth, metrics, WsFeedOptions{.max_pending = 5});
    endpoint = feed->endpoint();
  }

  std::pair<std::shared_ptr<FakePeer>, std::shared_ptr<http::WsHandler>> connect(const std::string& token) {
    auto peer = std::make_shared<FakePeer>();
    http::Request req;
    req.query = {{"token", token}};
    auto handler = endpoint.open_request(peer, req);
    return {peer, handler};
  }
};

void send(http::WsHandler& h, const boost::json::object& o) { h.on_message(boost::json::serialize(o), false); }

TEST(WsFeed, BadTokenClosesWith4401) {
  World w;
  auto [peer, handler] = w.connect("nope");
  auto err = peer->next("error");
  ASSERT_FALSE(err.is_null());
  EXPECT_EQ(err.at("code").as_string(), "unauthenticated");
  EXPECT_EQ(peer->code(), 4401);
  handler->on_close();
}

TEST(WsFeed, TelemetryOfSubscribedDevicesOnlyAndScopedByTenant) {
  World w;
  auto [peer, handler] = w.connect("tok-a");
  ASSERT_FALSE(peer->next("welcome").is_null());
  send(*handler, {{"type", "subscribe"}, {"id", "spy"}, {"telemetry", {{"devices", {w.theirs.id}}}}});
  auto err = peer->next("error");
  ASSERT_FALSE(err.is_null());
  EXPECT_EQ(err.at("code").as_string(), "not_found");
  EXPECT_EQ(err.at("id").as_string(), "spy");
  send(*handler, {{"type", "subscribe"}, {"id", "t"}, {"telemetry", {{"devices", {w.mine.id}}, {"keys", {"temp"}}}}});
  ASSERT_FALSE(peer->next("subscribed").is_null());

  w.bus.publish(bus::Payload{bus::Telemetry{w.theirs.tenant_id, w.theirs.id, {{"temp", 1, 1.0}}}});
  w.bus.publish(bus::Payload{bus::Telemetry{w.mine.tenant_id, w.mine.id, {{"rpm", 2, 5.0}}}});  // key filtered
  w.bus.publish(bus::Payload{bus::Telemetry{w.mine.tenant_id, w.mine.id,
                                            {{"temp", 3, 21.5}, {"rpm", 3, std::int64_t{7}}}}});
  auto t = peer->next("telemetry");
  ASSERT_FALSE(t.is_null());
  EXPECT_EQ(boost::json::serialize(t), boost::json::serialize(boost::json::parse(
      R"({"type":"telemetry","sub":"t","deviceId":")" + w.mine.id + R"(","samples":[{"key":"temp","ts":3,"value":2.15E1}]})")));
  EXPECT_TRUE(peer->next("telemetry", 200ms).is_null());  // nothing else arrives
  handler->on_close();
}

TEST(WsFeed, SlowSubscriberIsClosedWith1008) {
  World w;
  auto [peer, handler] = w.connect("tok-a");
  ASSERT_FALSE(peer->next("welcome").is_null());
  send(*handler, {{"type", "subscribe"}, {"id", "s"}, {"deviceState", true}});
  ASSERT_FALSE(peer->next("subscribed").is_null());
  peer->backlog = 5;  // the socket has stopped draining
  w.bus.publish(bus::Payload{bus::DeviceLifecycle{w.mine.tenant_id, w.mine.id, bus::LifecycleEvent::kConnected, 1}});
  auto end = std::chrono::steady_clock::now() + 5s;
  while (peer->code() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(peer->code(), 1008);
  EXPECT_NE(w.metrics.render().find("kaiwu_ws_feed_slow_disconnects_total 1"), std::string::npos);
  handler->on_close();
}

}  // namespace
}  // namespace kaiwu::api
