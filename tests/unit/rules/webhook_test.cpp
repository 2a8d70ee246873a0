// The webhook client against a local listener: retries on 5xx and refused connections, stops on
// 4xx, sends the method, headers and body.
#include "rules/webhook.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <atomic>
#include <thread>

namespace kaiwu::rules {
namespace {
namespace asio = boost::asio;

// Answers each connection with the next status of a script, recording the requests.
class Listener {
 public:
  explicit Listener(std::vector<int> statuses)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        statuses_(std::move(statuses)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~Listener() {
    stop_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook"; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (std::size_t i = 0;; ++i) {
      asio::ip::tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      std::string data;
      // Read the head, then the body by Content-Length.
      asio::read_until(s, asio::dynamic_buffer(data), "\r\n\r\n", ec);
      const auto head_end = data.find("\r\n\r\n") + 4;
      const auto cl = data.find("Content-Length: ");
      std::size_t len = cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 16));
      while (!ec && data.size() < head_end + len) {
        char buf[4096];
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        data.append(buf, n);
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(data);
      }
      const int status = i < statuses_.size() ? statuses_[i] : 200;
      const std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
      asio::write(s, asio::buffer(reply), ec);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<int> statuses_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
};

WebhookRequest request(const std::string& url, int retries) {
  WebhookRequest w;
  w.url = url;
  w.method = "PUT";
  w.headers = {{"X-Token", "abc"}};
  w.body = R"({"temp":91})";
  w.retries = retries;
  w.backoff = std::chrono::milliseconds(1);
  w.timeout = std::chrono::milliseconds(2000);
  return w;
}

TEST(Webhook, RetriesServerErrorsThenSucceeds) {
  Listener l({503, 500, 204});
  ASSERT_TRUE(post_webhook(request(l.url(), 3)));
  auto reqs = l.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].rfind("PUT /hook HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("X-Token: abc\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(reqs[2].substr(reqs[2].size() - 11), R"({"temp":91})");
}

TEST(Webhook, GivesUpAfterRetriesAndStopsOnClientErrors) {
  Listener l({500, 500, 500, 500});
  auto st = post_webhook(request(l.url(), 2));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("HTTP 500 (after 3 attempts)"), std::string::npos) << st.error().message;
  EXPECT_EQ(l.requests().size(), 3u);

  Listener bad({404});
  auto nf = post_webhook(request(bad.url(), 5));
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(bad.requests().size(), 1u);
}

TEST(Webhook, RefusedConnectionsAndBadUrls) {
  std::string url;
  {
    Listener gone({});
    url = gone.url();
  }
  auto st = post_webhook(request(url, 1));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kUnavailable) << st.error().message;
  EXPECT_EQ(post_webhook(request("https://example.com/", 0)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(post_webhook(request("http://user:pw@127.0.0.1/", 0)).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace kaiwu::rules
