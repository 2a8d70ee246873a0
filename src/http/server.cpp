#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <atomic>
#include <mutex>
#include <unordered_set>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/websocket.hpp"

#include <deque>
#include <mutex>

namespace kaiwu::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Request to_request(const bhttp::request<bhttp::string_body>& msg, std::string remote) {
  Request req;
  req.method = parse_method(std::string_view(msg.method_string()));
  req.target = std::string(msg.target());
  if (auto parsed = parse_target(req.target)) {
    req.path = std::move(parsed->path);
    req.query = std::move(parsed->query);
  }
  for (const auto& field : msg)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = msg.body();
  req.remote_address = std::move(remote);
  std::string_view rid = req.header("X-Request-Id");
  req.request_id = valid_request_id(rid) ? std::string(rid) : crypto::random_hex(8);
  return req;
}

bhttp::response<bhttp::string_body> to_message(Response resp, const Request& req, unsigned version,
                                               bool keep_alive) {
  bhttp::response<bhttp::string_body> msg{static_cast<bhttp::status>(resp.status), version};
  msg.set(bhttp::field::server, "kaiwu");
  msg.set("X-Request-Id", req.request_id);
  if (!resp.content_type.empty()) msg.set(bhttp::field::content_type, resp.content_type);
  for (auto& [k, v] : resp.headers) msg.set(k, v);
  msg.keep_alive(keep_alive);
  msg.body() = std::move(resp.body);
  msg.prepare_payload();
  if (req.method == Method::kHead) msg.body().clear();
  return msg;
}

// error_response names the code from Errc; transport-level errors name it directly.
Response simple_error(unsigned status, std::string_view code, std::string_view message) {
  boost::json::object body{{"error", boost::json::object{{"code", code}, {"message", message}}}};
  return Response::json(status, boost::json::serialize(body));
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_ctx, const HttpConfig& cfg, const Router& r, MetricsRegistry& m)
      : io(io_ctx),
        config(cfg),
        router(r),
        metrics(m),
        pool(cfg.threads),
        plain_acceptor(io_ctx),
        tls_acceptor(io_ctx),
        ssl(asio::ssl::context::tls_server),
        in_flight_gauge(m.gauge("kaiwu_http_requests_in_flight", "HTTP requests being handled")),
        connections_gauge(m.gauge("kaiwu_http_connections", "Open HTTP connections")) {}

  asio::io_context& io;
  HttpConfig config;
  const Router& router;
  MetricsRegistry& metrics;
  asio::thread_pool pool;
  tcp::acceptor plain_acceptor;
  tcp::acceptor tls_acceptor;
  asio::ssl::context ssl;
  bool tls_enabled = false;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::vector<WsEndpoint> websockets;  // set before start()
  Gauge& in_flight_gauge;
  Gauge& connections_gauge;
  // Connections waiting for their next request; stop() cancels their read so shutdown does not
  // wait out the idle timeout. Both plain and TLS streams have a tcp_stream as lowest layer.
  std::mutex idle_mu;
  std::unordered_set<beast::tcp_stream*> idle;  // guarded by idle_mu

  Status bind(tcp::acceptor& acceptor, std::uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config.address, ec);
    if (ec) return fail(Errc::kInvalidArgument, "http.address: \"" + config.address + "\" is not an IP address");
    tcp::endpoint ep(address, port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return fail(Errc::kIo, "cannot listen on " + config.address + ":" + std::to_string(port) +
                                 ": " + ec.message());
    return ok();
  }

  Status load_certificate() {
    boost::system::error_code ec;
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    ssl.use_certificate_chain_file(config.cert, ec);
    if (ec) return fail(Errc::kInvalidArgument, "http.cert: \"" + config.cert + "\": " + ec.message());
    ssl.use_private_key_file(config.key, asio::ssl::context::pem, ec);
    if (ec) return fail(Errc::kInvalidArgument, "http.key: \"" + config.key + "\": " + ec.message());
    return ok();
  }

  void observe(const Request& req, const std::string& route, unsigned status, double seconds) {
    std::string route_label = route.empty() ? "unmatched" : route;
    metrics
        .counter("kaiwu_http_requests_total", "HTTP requests handled",
                 {{"method", std::string(method_name(req.method))},
                  {"route", route_label},
                  {"status", std::to_string(status)}})
        .inc();
    metrics.histogram("kaiwu_http_request_duration_seconds", "HTTP request latency", {{"route", route_label}})
        .observe(seconds);
  }
};

namespace {

// Marks a connection idle for as long as it lives.
class IdleMark {
 public:
  IdleMark(Server::Impl& impl, beast::tcp_stream& stream) : impl_(impl), stream_(stream) {
    std::lock_guard lock(impl_.idle_mu);
    impl_.idle.insert(&stream_);
  }
  ~IdleMark() {
    std::lock_guard lock(impl_.idle_mu);
    impl_.idle.erase(&stream_);
  }
  IdleMark(const IdleMark&) = delete;
  IdleMark& operator=(const IdleMark&) = delete;

 private:
  Server::Impl& impl_;
  beast::tcp_stream& stream_;
};

awaitable<Router::Outcome> dispatch_on_pool(const Router* router, Request* req) {
  log::RequestIdScope rid(req->request_id);
  co_return router->dispatch(*req);
}

template <typename Stream>
awaitable<void> write_response(Stream& stream, bhttp::response<bhttp::string_body>& msg,
                               std::uint32_t timeout_ms, boost::system::error_code& ec) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(timeout_ms));
  auto [wec, n] = co_await bhttp::async_write(stream, msg, kAsTuple);
  (void)n;
  ec = wec;
}

// Serves requests on one connection until it closes, times out or the server stops.
// One accepted WebSocket. Writes are serialised on the stream's executor; the application may
// call from any thread.
template <typename Stream>
class WsPeerImpl final : public WsPeer, public std::enable_shared_from_this<WsPeerImpl<Stream>> {
 public:
  WsPeerImpl(beast::websocket::stream<Stream> ws, std::string remote)
      : ws_(std::move(ws)), resume_(ws_.get_executor()), kill_(ws_.get_executor()), remote_(std::move(remote)) {}

  void send_binary(std::string bytes) override { queue(std::move(bytes), true); }
  void send_text(std::string text) override { queue(std::move(text), false); }
  void close() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      if (!self->writing_) self->do_close();
    });
  }
  void close_now(std::uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
      if (self->closed_) return;
      self->pending_ -= self->out_.size();
      self->out_.clear();
      self->close_code_ = code;
      self->close_reason_ = std::move(reason);
      self->closing_ = true;
      if (!self->writing_) {
        self->do_close();
        return;
      }
      // A write is stuck behind a peer that does not read: cut the connection soon.
      self->kill_.expires_after(std::chrono::seconds(2));
      self->kill_.async_wait([self](boost::system::error_code ec) {
        if (ec) return;
        boost::system::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
        self->resume_.cancel();
      });
    });
  }
  std::size_t pending() const override { return pending_.load(std::memory_order_relaxed); }
  void pause_reading(bool paused) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), paused] {
      self->paused_ = paused;
      if (!paused) self->resume_.cancel();
    });
  }
  std::string remote() const override { return remote_; }

  beast::websocket::stream<Stream>& ws() { return ws_; }
  bool paused() const { return paused_; }
  asio::steady_timer& resume_timer() { return resume_; }

 private:
  void queue(std::string data, bool binary) {
    ++pending_;
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), data = std::move(data), binary]() mutable {
      if (self->closed_ || self->closing_) {
        --self->pending_;
        return;
      }
      self->out_.emplace_back(std::move(data), binary);
      if (!self->writing_) self->write_next();
    });
  }
  void write_next() {
    if (out_.empty()) {
      writing_ = false;
      if (closing_) do_close();
      return;
    }
    writing_ = true;
    auto item = std::make_shared<std::pair<std::string, bool>>(std::move(out_.front()));
    out_.pop_front();
    ws_.binary(item->second);
    ws_.async_write(asio::buffer(item->first), [self = this->shared_from_this(), item](boost::system::error_code ec, std::size_t) {
      --self->pending_;
      if (ec) {
        self->pending_ -= self->out_.size();
        self->out_.clear();
        self->writing_ = false;
        self->closed_ = true;
        return;
      }
      self->write_next();
    });
  }
  void do_close() {
    if (closed_) return;
    closed_ = true;
    beast::websocket::close_reason why(static_cast<beast::websocket::close_code>(close_code_));
    why.reason = close_reason_;
    ws_.async_close(why, [self = this->shared_from_this()](boost::system::error_code) {
      boost::system::error_code ec;
      beast::get_lowest_layer(self->ws_).socket().close(ec);
      self->resume_.cancel();
      self->kill_.cancel();
    });
  }

  beast::websocket::stream<Stream> ws_;
  asio::steady_timer resume_;
  asio::steady_timer kill_;  // cuts a connection whose close is stuck behind a write
  std::atomic<std::size_t> pending_{0};
  std::uint16_t close_code_ = 1000;  // RFC 6455 §7.4.1: normal closure
  std::string close_reason_;
  std::string remote_;
  std::deque<std::pair<std::string, bool>> out_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool paused_ = false;
};

// Accepts the upgrade and pumps messages to the endpoint's handler until either side closes.
template <typename Stream>
// (A client sends frames only after the 101 response, so nothing is left in the HTTP buffer.)
awaitable<void> serve_websocket(const WsEndpoint* endpoint, Stream& stream,
                                bhttp::request<bhttp::string_body> upgrade, std::string remote) {
  beast::get_lowest_layer(stream).expires_never();
  beast::websocket::stream<Stream> ws(std::move(stream));
  ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(endpoint->max_message_bytes);
  std::string offered(upgrade[bhttp::field::sec_websocket_protocol]);
  std::string chosen = !endpoint->subprotocol.empty() && offered.find(endpoint->subprotocol) != std::string::npos
                           ? endpoint->subprotocol
                           : std::string();
  ws.set_option(beast::websocket::stream_base::decorator([chosen](beast::websocket::response_type& res) {
    res.set(bhttp::field::server, "kaiwu");
    if (!chosen.empty()) res.set(bhttp::field::sec_websocket_protocol, chosen);
  }));
  auto [aec] = co_await ws.async_accept(upgrade, kAsTuple);
  if (aec) co_return;
  auto peer = std::make_shared<WsPeerImpl<Stream>>(std::move(ws), remote);
  std::shared_ptr<WsHandler> handler;
  if (endpoint->open_request) {
    handler = endpoint->open_request(peer, to_request(upgrade, remote));
    if (!handler) {
      peer->close();
      co_return;
    }
  } else {
    handler = endpoint->open(peer);
  }
  beast::flat_buffer in;
  while (handler) {
    if (peer->paused()) {
      peer->resume_timer().expires_at(asio::steady_timer::time_point::max());
      co_await peer->resume_timer().async_wait(kAsTuple);
      if (!beast::get_lowest_layer(peer->ws()).socket().is_open()) break;
      continue;
    }
    auto [ec, n] = co_await peer->ws().async_read(in, kAsTuple);
    if (ec) break;
    auto bytes = in.cdata();
    handler->on_message(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), peer->ws().got_binary());
    in.consume(n);
  }
  if (handler) handler->on_close();
}

template <typename Stream>
awaitable<void> serve_connection(std::shared_ptr<Server::Impl> impl, Stream& stream, std::string remote) {
  beast::flat_buffer buffer;
  const auto& cfg = impl->config;
  while (!impl->stopping) {
    // Idle: wait for the first byte of the next request.
    if (buffer.size() == 0) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(cfg.idle_timeout_ms));
      IdleMark idle(*impl, beast::get_lowest_layer(stream));
      if (impl->stopping) co_return;  // stop() ran before this connection was marked idle
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kAsTuple);
      if (ec) co_return;
      buffer.commit(n);
    }
    // Then the whole request within the header timeout (bodies get the idle timeout too).
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(cfg.max_body_bytes);
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(cfg.header_timeout_ms));
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kAsTuple);
    (void)hn;
    if (hec == beast::error::timeout || hec == bhttp::error::end_of_stream) co_return;
    boost::system::error_code ec = hec;
    if (!ec) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(cfg.idle_timeout_ms));
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kAsTuple);
      (void)bn;
      ec = bec;
    }
    if (ec) {
      if (ec == beast::error::timeout) co_return;
      Request req;
      req.method = parse_method(std::string_view(parser.get().method_string()));
      req.request_id = crypto::random_hex(8);
      req.remote_address = remote;
      Response resp = ec == bhttp::error::body_limit
                          ? simple_error(413, "payload_too_large",
                                         "request body exceeds " + std::to_string(cfg.max_body_bytes) + " bytes")
                          : ec == bhttp::error::header_limit
                                ? simple_error(431, "invalid_argument", "request header too large")
                                : simple_error(400, "invalid_argument", "malformed HTTP request: " + ec.message());
      {
        log::RequestIdScope rid(req.request_id);
        spdlog::info("{} rejected: {} (status {})", remote, ec.message(), resp.status);
      }
      impl->observe(req, "", resp.status, 0);
      auto msg = to_message(std::move(resp), req, 11, false);
      boost::system::error_code wec;
      co_await write_response(stream, msg, cfg.header_timeout_ms, wec);
      co_return;
    }

    if (beast::websocket::is_upgrade(parser.get())) {
      std::string_view target(parser.get().target());
      target = target.substr(0, target.find('?'));
      for (const auto& endpoint : impl->websockets) {
        if (endpoint.path != target) continue;
        co_await serve_websocket(&endpoint, stream, parser.release(), remote);
        co_return;
      }
    }
    auto started = std::chrono::steady_clock::now();
    const auto& msg_in = parser.get();
    Request req = to_request(msg_in, remote);
    unsigned version = msg_in.version();
    bool keep_alive = msg_in.keep_alive();

    impl->in_flight++;
    impl->in_flight_gauge.add(1);
    Router::Outcome out;
    if (req.path.empty() && !req.target.empty()) {
      out.response = simple_error(400, "invalid_argument", "bad percent-encoding in request target");
    } else {
      out = co_await asio::co_spawn(impl->pool.get_executor(), dispatch_on_pool(&impl->router, &req),
                                    use_awaitable);
    }
    impl->in_flight--;
    impl->in_flight_gauge.add(-1);

    keep_alive = keep_alive && !impl->stopping;  // stop() may have come while the handler ran
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    unsigned status = out.response.status;
    impl->observe(req, out.route, status, seconds);
    {
      log::RequestIdScope rid(req.request_id);
      spdlog::info("{} {} {} {} {:.1f}ms", remote, method_name(req.method), req.target, status,
                   seconds * 1000);
    }
    auto msg = to_message(std::move(out.response), req, version, keep_alive);
    boost::system::error_code wec;
    co_await write_response(stream, msg, cfg.idle_timeout_ms, wec);
    if (wec || !keep_alive) co_return;
  }
}

awaitable<void> plain_session(std::shared_ptr<Server::Impl> impl, tcp::socket socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string remote = ec ? "?" : ep.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  impl->connections_gauge.add(1);
  co_await serve_connection(impl, stream, remote);
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  impl->connections_gauge.add(-1);
}

awaitable<void> tls_session(std::shared_ptr<Server::Impl> impl, tcp::socket socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string remote = ec ? "?" : ep.address().to_string();
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), impl->ssl);
  impl->connections_gauge.add(1);
  beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(impl->config.header_timeout_ms));
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (!hec) {
    co_await serve_connection(impl, stream, remote);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    auto [sec] = co_await stream.async_shutdown(kAsTuple);
    (void)sec;
  } else {
    spdlog::debug("{} TLS handshake failed: {}", remote, hec.message());
  }
  impl->connections_gauge.add(-1);
}

awaitable<void> accept_loop(std::shared_ptr<Server::Impl> impl, tcp::acceptor& acceptor, bool tls) {
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    auto done = [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("HTTP session ended with an exception: {}", ex.what());
      }
    };
    if (tls)
      asio::co_spawn(impl->io, tls_session(impl, std::move(socket)), done);
    else
      asio::co_spawn(impl->io, plain_session(impl, std::move(socket)), done);
  }
}

void log_stray(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("HTTP accept loop ended with an exception: {}", ex.what());
  }
}

}  // namespace

Server::Server(asio::io_context& io, const HttpConfig& config, const Router& router,
               MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(io, config, router, metrics)) {}

Server::~Server() {
  stop();
  impl_->pool.join();
}

Status Server::start() {
  KAIWU_TRY_STATUS(impl_->bind(impl_->plain_acceptor, impl_->config.port));
  if (!impl_->config.cert.empty()) {
    KAIWU_TRY_STATUS(impl_->load_certificate());
    KAIWU_TRY_STATUS(impl_->bind(impl_->tls_acceptor, impl_->config.tls_port));
    impl_->tls_enabled = true;
  }
  asio::co_spawn(impl_->io, accept_loop(impl_, impl_->plain_acceptor, false), log_stray);
  if (impl_->tls_enabled)
    asio::co_spawn(impl_->io, accept_loop(impl_, impl_->tls_acceptor, true), log_stray);
  spdlog::info("HTTP listening on {}:{}{}", impl_->config.address, port(),
               impl_->tls_enabled ? fmt::format(", HTTPS on {}", tls_port()) : std::string());
  return ok();
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->plain_acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::uint16_t Server::tls_port() const {
  if (!impl_->tls_enabled) return 0;
  boost::system::error_code ec;
  auto ep = impl_->tls_acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::stop() {
  impl_->stopping = true;
  boost::system::error_code ec;
  impl_->plain_acceptor.close(ec);
  impl_->tls_acceptor.close(ec);
  std::lock_guard lock(impl_->idle_mu);
  for (auto* stream : impl_->idle) stream->cancel();
}

int Server::in_flight() const { return impl_->in_flight.load(); }

void Server::add_websocket(WsEndpoint endpoint) { impl_->websockets.push_back(std::move(endpoint)); }

}  // namespace kaiwu::http
