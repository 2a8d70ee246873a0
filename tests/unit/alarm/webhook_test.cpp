#include "alarm/webhook.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "alarm/http_client.hpp"
#include "alarm/service.hpp"
#include "bus/in_process.hpp"
#include "meta/sqlite_store.hpp"

namespace kaiwu::alarm {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A one-thread HTTP listener on 127.0.0.1 that records each request and answers with the
// statuses it is given in turn (then 200).
class Listener {
 public:
  explicit Listener(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~Listener() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  unsigned short port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      asio::streambuf buf;
      std::size_t n = asio::read_until(s, buf, "\r\n\r\n", ec);
      if (ec) continue;
      std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      std::size_t len = 0;
      if (auto p = head.find("Content-Length: "); p != std::string::npos) len = std::stoul(head.substr(p + 16));
      std::string body(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
      while (body.size() < len) {
        char chunk[4096];
        std::size_t got = s.read_some(asio::buffer(chunk), ec);
        if (ec) break;
        body.append(chunk, got);
      }
      int status = 200;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(head + body);
        if (next_ < statuses_.size()) status = statuses_[next_++];
      }
      std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      asio::write(s, asio::buffer(reply), ec);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  std::vector<int> statuses_;
  std::size_t next_ = 0;  // guarded by mu_
  std::mutex mu_;
  std::vector<std::string> requests_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

TEST(HttpPost, RejectsBadUrlsAndReportsRefusedConnections) {
  EXPECT_EQ(http_post({.url = "https://example.com/"}).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(http_post({.url = "http://:80/"}).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(http_post({.url = "http://127.0.0.1:99999/"}).error().code, Errc::kInvalidArgument);
  // A port nobody listens on: take a free one and close it.
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  auto r = http_post({.url = "http://127.0.0.1:" + std::to_string(port) + "/x", .timeout = 2000ms});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
}

TEST(WebhookNotifier, PostsAlarmChangesWithTheSecretHeaderAndRetries) {
  Listener listener({500, 503});  // the first two attempts fail
  MetricsRegistry metrics;
  auto store = std::move(*meta::SqliteStore::open(":memory:"));
  bus::InProcessBus bus(metrics);
  auto tenant = *store->create_tenant(model::Tenant{"", "t", "", 0});
  auto other = *store->create_tenant(model::Tenant{"", "other", "", 0});
  auto scope = meta::Scope::tenant(tenant.id);
  model::NotificationTarget t;
  t.name = "ops";
  t.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/hook?x=1";
  t.header_name = "X-Kaiwu-Secret";
  t.header_value = "s3cr3t";
  ASSERT_TRUE(store->create_notification_target(scope, t));
  t.name = "disabled";
  t.enabled = false;
  ASSERT_TRUE(store->create_notification_target(scope, t));

  WebhookNotifier notifier(*store, bus, metrics, {.first_backoff = 20ms, .timeout = 2000ms});
  AlarmService service(*store, bus);
  model::Alarm a;
  a.type = "PowerLoss";
  a.severity = model::AlarmSeverity::kCritical;
  ASSERT_TRUE(service.raise(scope, a, "test"));
  a.type = "NotOurs";
  ASSERT_TRUE(service.raise(meta::Scope::tenant(other.id), a, "test"));  // no targets there

  ASSERT_TRUE(eventually([&] { return listener.requests().size() >= 3; }));
  std::this_thread::sleep_for(100ms);
  auto reqs = listener.requests();
  ASSERT_EQ(reqs.size(), 3u);  // 500, 503, then 200; the disabled target and the other tenant get nothing
  for (const auto& r : reqs) {
    EXPECT_TRUE(r.starts_with("POST /hook?x=1 HTTP/1.1\r\n")) << r;
    EXPECT_NE(r.find("X-Kaiwu-Secret: s3cr3t\r\n"), std::string::npos) << r;
    auto body = boost::json::parse(r.substr(r.find("\r\n\r\n") + 4));
    EXPECT_EQ(body.at("event").as_string(), "alarm.created");
    EXPECT_EQ(body.at("alarm").at("type").as_string(), "PowerLoss");
    EXPECT_EQ(body.at("alarm").at("severity").as_string(), "critical");
    EXPECT_EQ(body.at("alarm").at("tenantId").as_string(), tenant.id);
  }
  auto text = metrics.render();
  EXPECT_NE(text.find("kaiwu_webhook_deliveries_total{result=\"sent\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("kaiwu_webhook_retries_total 2"), std::string::npos) << text;
}

TEST(WebhookNotifier, GivesUpAfterMaxAttempts) {
  Listener listener({500, 500, 500, 500});
  MetricsRegistry metrics;
  auto store = std::move(*meta::SqliteStore::open(":memory:"));
  bus::InProcessBus bus(metrics);
  auto tenant = *store->create_tenant(model::Tenant{"", "t", "", 0});
  auto scope = meta::Scope::tenant(tenant.id);
  model::NotificationTarget t;
  t.name = "ops";
  t.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/";
  ASSERT_TRUE(store->create_notification_target(scope, t));
  WebhookNotifier notifier(*store, bus, metrics, {.max_attempts = 3, .first_backoff = 10ms, .timeout = 2000ms});
  AlarmService service(*store, bus);
  model::Alarm a;
  a.type = "X";
  ASSERT_TRUE(service.raise(scope, a, "test"));
  ASSERT_TRUE(eventually([&] {
    return metrics.render().find("kaiwu_webhook_deliveries_total{result=\"failed\"} 1") != std::string::npos;
  }));
  EXPECT_EQ(listener.requests().size(), 3u);
}

}  // namespace
}  // namespace kaiwu::alarm
