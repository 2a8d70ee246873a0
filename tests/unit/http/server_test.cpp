// The HTTP server over real sockets on 127.0.0.1 (OS-chosen ports), driven by a raw HTTP/1.1
// client so malformed and partial requests can be sent.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kaiwu::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace fs = std::filesystem;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kClientTimeout = 5s;
using HttpResponse = bhttp::response<bhttp::string_body>;

// A blocking-style client: every call runs its own io_context until the operation completes or
// kClientTimeout passes (then it fails with beast::error::timeout instead of hanging the suite).
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(endpoint(port), [this](beast::error_code ec) { connect_ec_ = ec; });
    run();
  }

  static tcp::endpoint endpoint(std::uint16_t port) {
    return tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  }

  beast::error_code connect_error() const { return connect_ec_; }

  beast::error_code send(const std::string& raw) {
    beast::error_code out;
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(raw),
                      [&](beast::error_code ec, std::size_t) { out = ec; });
    run();
    return out;
  }

  HttpResponse read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    parser.skip(head);  // RFC 9110 §9.3.2: a response to HEAD has no content
    beast::error_code out;
    stream_.expires_after(kClientTimeout);
    bhttp::async_read(stream_, buffer_, parser,
                      [&](beast::error_code ec, std::size_t) { out = ec; });
    run();
    EXPECT_FALSE(out) << "reading response: " << out.message();
    return parser.release();
  }

  HttpResponse request(const std::string& raw) {
    auto ec = send(raw);
    EXPECT_FALSE(ec) << "sending request: " << ec.message();
    return read();
  }

  // Sends raw while reading the response at the same time, as a browser does; a write cut
  // short because the server stopped reading is expected, so its error is ignored.
  HttpResponse send_while_reading(const std::string& raw) {
    bhttp::response_parser<bhttp::string_body> parser;
    beast::error_code read_ec;
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(raw), [](beast::error_code, std::size_t) {});
    bhttp::async_read(stream_, buffer_, parser,
                      [&](beast::error_code ec, std::size_t) { read_ec = ec; });
    run();
    EXPECT_FALSE(read_ec) << "reading response: " << read_ec.message();
    return parser.release();
  }

  // What the next read sees once any response is consumed: eof when the server closed.
  beast::error_code wait_closed(std::chrono::milliseconds timeout = kClientTimeout) {
    if (buffer_.size() > 0) return beast::error_code{};  // unread bytes: not closed yet
    beast::error_code out;
    char scratch[256];
    stream_.expires_after(timeout);
    stream_.async_read_some(asio::buffer(scratch),
                            [&](beast::error_code ec, std::size_t) { out = ec; });
    run();
    return out;
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_ec_;
};

bool is_closed(beast::error_code ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view target, const std::string& body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

json::object error_of(const HttpResponse& res) {
  return json::parse(res.body()).as_object().at("error").as_object();
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add(Method::kGet, "/api/v1/ping",
        [](Request&) -> Result<Response> { return Response::json(200, R"({"pong":true})"); });
    add(Method::kGet, "/api/v1/items/{id}", [](Request& req) -> Result<Response> {
      return Response::text(200, std::string(req.param("id")));
    });
    add(Method::kPost, "/api/v1/echo",
        [](Request& req) -> Result<Response> { return Response::text(200, req.body); });
    add(Method::kGet, "/api/v1/request-id",
        [](Request& req) -> Result<Response> { return Response::text(200, req.request_id); });
    add(Method::kGet, "/api/v1/slow", [this](Request&) -> Result<Response> {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return release_slow_; });
      return Response::text(200, "slow done");
    });
  }

  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      release_slow_ = true;
    }
    cv_.notify_all();
    if (io_thread_.joinable()) {
      io_.stop();
      io_thread_.join();
    }
    server_.reset();  // joins the handler pool while the fixture is intact
  }

  void add(Method m, std::string pattern, Handler h) {
    Route r;
    r.method = m;
    r.pattern = std::move(pattern);
    r.access = Access::anyone();
    r.handler = std::move(h);
    router_.add(std::move(r));
  }

  static HttpConfig config() {
    HttpConfig c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.tls_port = 0;
    c.threads = 2;
    c.header_timeout_ms = 2'000;
    c.idle_timeout_ms = 10'000;
    c.max_body_bytes = 1024;
    return c;
  }

  void start(const HttpConfig& cfg = config()) {
    server_ = std::make_unique<Server>(io_, cfg, router_, metrics_);
    auto st = server_->start();
    ASSERT_TRUE(st.has_value()) << st.error().message;
    ASSERT_NE(server_->port(), 0);
    io_thread_ = std::thread([this] {
      io_.run();
      io_done_ = true;
    });
  }

  // Server::stop() must run on the io_context's thread.
  void stop_server() {
    std::promise<void> done;
    asio::post(io_, [&] {
      server_->stop();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(kClientTimeout), std::future_status::ready);
  }

  std::uint64_t requests_total(std::string_view method, std::string_view route,
                               std::string_view status) {
    return metrics_
        .counter("kaiwu_http_requests_total", "HTTP requests handled",
                 {{"method", std::string(method)},
                  {"route", std::string(route)},
                  {"status", std::string(status)}})
        .value();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool release_slow_ = false;  // guarded by mu_

  Router router_;
  MetricsRegistry metrics_;
  asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread io_thread_;
  std::atomic<bool> io_done_{false};
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_FALSE(c.connect_error()) << c.connect_error().message();

  auto first = c.request(get("/api/v1/ping"));
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_EQ(first.body(), R"({"pong":true})");
  EXPECT_EQ(first[bhttp::field::content_type], "application/json");
  EXPECT_EQ(first[bhttp::field::server], "kaiwu");
  EXPECT_EQ(first[bhttp::field::content_length], "13");
  EXPECT_TRUE(first.keep_alive());

  auto second = c.request(get("/api/v1/items/it%2042"));
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(second.body(), "it 42");  // the server percent-decodes before routing
  EXPECT_EQ(second[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_TRUE(second.keep_alive());
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_FALSE(c.send(get("/api/v1/items/a") + get("/api/v1/items/b")));
  EXPECT_EQ(c.read().body(), "a");
  EXPECT_EQ(c.read().body(), "b");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.request(get("/api/v1/ping", "Connection: close\r\n"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(is_closed(c.wait_closed())) << "server kept the connection open";
}

TEST_F(ServerTest, HeadGetsHeadersWithoutBody) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_FALSE(c.send("HEAD /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto head = c.read(/*head=*/true);
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[bhttp::field::content_length], "13");  // what GET would send
  EXPECT_TRUE(head.body().empty());
  // The connection is still in sync: no stray body bytes precede the next response.
  auto next = c.request(get("/api/v1/items/after-head"));
  EXPECT_EQ(next.result_int(), 200u);
  EXPECT_EQ(next.body(), "after-head");
}

TEST_F(ServerTest, RequestIdEchoedWhenSuppliedAndGeneratedOtherwise) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());

  auto given = c.request(get("/api/v1/request-id", "X-Request-Id: trace-42.abc_DEF\r\n"));
  EXPECT_EQ(given["X-Request-Id"], "trace-42.abc_DEF");
  EXPECT_EQ(given.body(), "trace-42.abc_DEF");  // handlers see the same id

  auto made = c.request(get("/api/v1/request-id"));
  std::string id(made["X-Request-Id"]);
  EXPECT_EQ(id.size(), 16u) << id;
  EXPECT_TRUE(is_lower_hex(id)) << id;
  EXPECT_EQ(made.body(), id);

  auto again = c.request(get("/api/v1/request-id"));
  EXPECT_NE(std::string(again["X-Request-Id"]), id);

  // Ids that could break log lines are replaced.
  auto bad = c.request(get("/api/v1/request-id", "X-Request-Id: a\"b{c}\r\n"));
  std::string replaced(bad["X-Request-Id"]);
  EXPECT_EQ(replaced.size(), 16u);
  EXPECT_TRUE(is_lower_hex(replaced));
  auto too_long =
      c.request(get("/api/v1/request-id", "X-Request-Id: " + std::string(65, 'a') + "\r\n"));
  EXPECT_EQ(std::string(too_long["X-Request-Id"]).size(), 16u);
}

TEST_F(ServerTest, BodyAtLimitIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  std::string body(1024, 'x');
  auto res = c.request(post("/api/v1/echo", body));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), body);
  EXPECT_TRUE(res.keep_alive());
}

TEST_F(ServerTest, BodyOverLimitIs413AndCloses) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.request(post("/api/v1/echo", std::string(1025, 'x')));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(std::string(res["X-Request-Id"]).size(), 16u);
  auto err = error_of(res);
  EXPECT_EQ(err.at("code").as_string(), "payload_too_large");
  EXPECT_EQ(err.at("message").as_string(), "request body exceeds 1024 bytes");
  EXPECT_TRUE(is_closed(c.wait_closed())) << "server kept the connection open";
  EXPECT_EQ(requests_total("POST", "unmatched", "413"), 1u);  // rejected before routing
}

TEST_F(ServerTest, LargeBodyOverLimitStillGets413) {
  // The client is still sending when the server answers; the 413 must not be lost to a reset.
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.send_while_reading(post("/api/v1/echo", std::string(4 * 1024 * 1024, 'x')));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(error_of(res).at("code").as_string(), "payload_too_large");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  std::string chunk(800, 'y');
  std::string raw =
      "POST /api/v1/echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "320\r\n" +
      chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n";
  auto res = c.request(raw);
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(error_of(res).at("code").as_string(), "payload_too_large");
  EXPECT_TRUE(is_closed(c.wait_closed()));
}

TEST_F(ServerTest, MalformedRequestLineIs400AndCloses) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.request("this is not http\r\n\r\n");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_FALSE(res.keep_alive());
  auto err = error_of(res);
  EXPECT_EQ(err.at("code").as_string(), "invalid_argument");
  EXPECT_TRUE(std::string(err.at("message").as_string()).starts_with("malformed HTTP request: "))
      << err.at("message").as_string();
  EXPECT_TRUE(is_closed(c.wait_closed()));
}

TEST_F(ServerTest, BadPercentEncodingIs400) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.request(get("/api/v1/items/%zz"));
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(error_of(res).at("message").as_string(), "bad percent-encoding in request target");
  // Not a protocol error: the connection stays usable.
  EXPECT_EQ(c.request(get("/api/v1/items/ok")).body(), "ok");
}

TEST_F(ServerTest, UnknownRouteIs404Json) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  auto res = c.request(get("/api/v1/nope"));
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(error_of(res).at("code").as_string(), "not_found");
  auto wrong = c.request(post("/api/v1/ping", "{}"));
  EXPECT_EQ(wrong.result_int(), 405u);
  EXPECT_EQ(wrong[bhttp::field::allow], "GET");
}

TEST_F(ServerTest, HeaderTimeoutClosesPartialRequest) {
  HttpConfig cfg = config();
  cfg.header_timeout_ms = 200;
  ASSERT_NO_FATAL_FAILURE(start(cfg));
  Client c(server_->port());
  auto started = std::chrono::steady_clock::now();
  ASSERT_FALSE(c.send("GET /api/v1/ping HTTP/1.1\r\nHost: localh"));
  auto ec = c.wait_closed(3s);
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(is_closed(ec)) << ec.message();
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);
}

TEST_F(ServerTest, IdleTimeoutClosesSilentConnection) {
  HttpConfig cfg = config();
  cfg.idle_timeout_ms = 200;
  ASSERT_NO_FATAL_FAILURE(start(cfg));
  Client c(server_->port());
  EXPECT_EQ(c.request(get("/api/v1/ping")).result_int(), 200u);
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(is_closed(c.wait_closed(3s)));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(ServerTest, MetricsCountRequestsByRoute) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  c.request(get("/api/v1/items/1"));
  c.request(get("/api/v1/items/2"));
  c.request(get("/api/v1/missing"));
  EXPECT_EQ(requests_total("GET", "/api/v1/items/{id}", "200"), 2u);
  EXPECT_EQ(requests_total("GET", "unmatched", "404"), 1u);
  std::string text = metrics_.render();
  EXPECT_NE(
      text.find(
          R"(kaiwu_http_requests_total{method="GET",route="/api/v1/items/{id}",status="200"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(kaiwu_http_request_duration_seconds_count{route="/api/v1/items/{id}"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kaiwu_http_requests_in_flight 0"), std::string::npos) << text;
}

TEST_F(ServerTest, StopStopsAcceptingAndClosesIdleConnections) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::uint16_t port = server_->port();
  Client idle(port);
  EXPECT_EQ(idle.request(get("/api/v1/ping")).result_int(), 200u);

  ASSERT_NO_FATAL_FAILURE(stop_server());

  Client late(port);
  EXPECT_EQ(late.connect_error(), asio::error::connection_refused)
      << late.connect_error().message();
  // The idle keep-alive connection does not hold shutdown until its idle timeout (10 s).
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(is_closed(idle.wait_closed(3s)));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // With nothing left to do, io_context::run() returns.
  for (int i = 0; i < 200 && !io_done_; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(io_done_);
}

TEST_F(ServerTest, StopLetsRequestInFlightFinish) {
  ASSERT_NO_FATAL_FAILURE(start());
  Client c(server_->port());
  ASSERT_FALSE(c.send(get("/api/v1/slow")));
  for (int i = 0; i < 500 && server_->in_flight() == 0; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(server_->in_flight(), 1);

  ASSERT_NO_FATAL_FAILURE(stop_server());
  {
    std::lock_guard lock(mu_);
    release_slow_ = true;
  }
  cv_.notify_all();

  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "slow done");
  EXPECT_FALSE(res.keep_alive());  // the server says it is closing
  EXPECT_TRUE(is_closed(c.wait_closed(3s)));
  EXPECT_EQ(server_->in_flight(), 0);
}

TEST_F(ServerTest, PortTakenIsIoError) {
  ASSERT_NO_FATAL_FAILURE(start());
  HttpConfig cfg = config();
  cfg.port = server_->port();
  Server second(io_, cfg, router_, metrics_);
  auto st = second.start();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, Errc::kIo);
}

TEST_F(ServerTest, UnreadableCertificateIsInvalidArgument) {
  HttpConfig cfg = config();
  cfg.cert = "/nonexistent/cert.pem";
  cfg.key = "/nonexistent/key.pem";
  Server server(io_, cfg, router_, metrics_);
  auto st = server.start();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(server.tls_port(), 0);
}

// ---------------------------------------------------------------- TLS

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "kaiwu-http-tls-XXXXXX").string();
    if (::mkdtemp(templ.data())) path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST_F(ServerTest, HttpsServesOnItsOwnPort) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl binary";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string cert = (dir.path() / "c.pem").string();
  std::string key = (dir.path() / "k.pem").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key + "' -out '" +
                    cert + "' -days 1 -subj /CN=localhost >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  HttpConfig cfg = config();
  cfg.cert = cert;
  cfg.key = key;
  ASSERT_NO_FATAL_FAILURE(start(cfg));
  ASSERT_NE(server_->tls_port(), 0);
  EXPECT_NE(server_->tls_port(), server_->port());

  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::error_code ec;
  beast::get_lowest_layer(stream).connect(Client::endpoint(server_->tls_port()), ec);
  ASSERT_FALSE(ec) << ec.message();
  beast::get_lowest_layer(stream).expires_after(kClientTimeout);

  bhttp::response<bhttp::string_body> res;
  beast::flat_buffer buffer;
  std::string raw = get("/api/v1/items/secure", "Connection: close\r\n");
  beast::error_code handshake_ec, write_ec, read_ec;
  stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
    handshake_ec = e;
    if (e) return;
    asio::async_write(stream, asio::buffer(raw), [&](beast::error_code we, std::size_t) {
      write_ec = we;
      if (we) return;
      bhttp::async_read(stream, buffer, res,
                        [&](beast::error_code re, std::size_t) { read_ec = re; });
    });
  });
  io.run();
  ASSERT_FALSE(handshake_ec) << handshake_ec.message();
  ASSERT_FALSE(write_ec) << write_ec.message();
  ASSERT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "secure");
  EXPECT_EQ(std::string(res["X-Request-Id"]).size(), 16u);

  // Plain HTTP keeps working beside it.
  Client plain(server_->port());
  EXPECT_EQ(plain.request(get("/api/v1/items/plain")).body(), "plain");
}

}  // namespace
}  // namespace kaiwu::http
