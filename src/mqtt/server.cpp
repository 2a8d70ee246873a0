#include "mqtt/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <unordered_map>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/crypto.hpp"
#include "core/rate_limiter.hpp"

namespace kaiwu::mqtt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Stream is tcp::socket (MQTT) or asio::ssl::stream<tcp::socket> (MQTTS).
template <typename Stream>
class StreamLink final : public Link, public std::enable_shared_from_this<StreamLink<Stream>> {
 public:
  StreamLink(Stream stream, std::size_t max_queue)
      : socket_(std::move(stream)), resume_(socket_.get_executor()), max_queue_(max_queue) {
    boost::system::error_code ec;
    auto ep = lowest().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    lowest().set_option(tcp::no_delay(true), ec);
  }

  void send(std::string bytes) override {
    if (closed_) return;
    queued_bytes_ += bytes.size();
    if (queued_bytes_ > max_queue_) {
      spdlog::warn("mqtt {}: slow consumer ({} bytes waiting), disconnecting", remote_, queued_bytes_);
      shutdown_now();
      return;
    }
    out_.push_back(std::move(bytes));
    if (!writing_) write_next();
  }

  void close() override {
    closing_ = true;
    if (!writing_) shutdown_now();
  }

  void pause_reading(bool paused) override {
    paused_ = paused;
    if (!paused) resume_.cancel();
  }

  std::string remote() const override { return remote_; }
  std::string certificate() const override { return certificate_; }
  void set_certificate(std::string fingerprint) { certificate_ = std::move(fingerprint); }

  Stream& stream() { return socket_; }
  tcp::socket& lowest() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) return socket_;
    else return socket_.next_layer();
  }
  bool paused() const { return paused_; }
  asio::steady_timer& resume_timer() { return resume_; }

  void shutdown_now() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
    resume_.cancel();
  }

 private:
  void write_next() {
    if (out_.empty()) {
      writing_ = false;
      if (closing_) shutdown_now();
      return;
    }
    writing_ = true;
    // Coalesce what is queued into one write.
    std::string batch = std::move(out_.front());
    out_.pop_front();
    while (!out_.empty() && batch.size() < 64 * 1024) {
      batch += out_.front();
      out_.pop_front();
    }
    auto buf = std::make_shared<std::string>(std::move(batch));
    asio::async_write(socket_, asio::buffer(*buf),
                      [self = this->shared_from_this(), buf](boost::system::error_code ec, std::size_t n) {
                        self->queued_bytes_ -= std::min(self->queued_bytes_, n);
                        if (ec) {
                          self->out_.clear();
                          self->queued_bytes_ = 0;
                          self->writing_ = false;
                          self->shutdown_now();
                          return;
                        }
                        self->write_next();
                      });
  }

  Stream socket_;
  asio::steady_timer resume_;
  std::string remote_;
  std::string certificate_;
  std::deque<std::string> out_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool paused_ = false;
};

using TcpLink = StreamLink<tcp::socket>;
using TlsLink = StreamLink<asio::ssl::stream<tcp::socket>>;

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& i, ServerOptions o, Broker& b)
      : io(i), options(std::move(o)), broker(b), acceptor(i), tls_acceptor(i), ssl(asio::ssl::context::tls_server), ticker(i) {}
  asio::io_context& io;
  ServerOptions options;
  Broker& broker;
  tcp::acceptor acceptor;
  tcp::acceptor tls_acceptor;
  asio::ssl::context ssl;
  asio::steady_timer ticker;
  bool stopped = false;
  // Connection attempts per source address in the last minute (0: unlimited).
  RateLimiter attempts{options.connects_per_minute_per_address, std::chrono::minutes(1)};

  bool admit(const std::string& address) {
    if (options.connects_per_minute_per_address == 0) return true;
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch());
    return attempts.allow(address, now.count());
  }
};

namespace {

// Plain TCP connections own no read buffer: they wait until the socket is readable, then read
// synchronously into one buffer per thread, which the broker consumes before anything else runs
// on this thread. This keeps an idle connection at a few hundred bytes of user memory.
// TLS connections read through OpenSSL, whose own buffers dominate, into a per-connection one.
constexpr std::size_t kReadChunk = 16 * 1024;

asio::awaitable<bool> read_into_broker(Broker* broker, Broker::ConnId id, TcpLink& link) {
  thread_local std::array<std::uint8_t, kReadChunk> shared;
  auto [wec] = co_await link.stream().async_wait(tcp::socket::wait_read, kAsTuple);
  if (wec) co_return false;
  boost::system::error_code ec;
  std::size_t n = link.stream().read_some(asio::buffer(shared), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) co_return true;
  if (ec) co_return false;
  broker->on_bytes(id, std::span<const std::uint8_t>(shared.data(), n));
  co_return true;
}

asio::awaitable<bool> read_into_broker(Broker* broker, Broker::ConnId id, TlsLink& link,
                                       std::array<std::uint8_t, kReadChunk>& buf) {
  auto [ec, n] = co_await link.stream().async_read_some(asio::buffer(buf), kAsTuple);
  if (ec) co_return false;
  broker->on_bytes(id, std::span<const std::uint8_t>(buf.data(), n));
  co_return true;
}

template <typename LinkT>
asio::awaitable<void> serve_link(Broker* broker, std::shared_ptr<LinkT> link) {
  auto id = broker->attach(link);
  constexpr bool kPlain = std::is_same_v<LinkT, TcpLink>;
  std::unique_ptr<std::array<std::uint8_t, kReadChunk>> tls_buffer;
  if constexpr (kPlain) {
    boost::system::error_code ec;
    link->stream().non_blocking(true, ec);
  } else {
    tls_buffer = std::make_unique<std::array<std::uint8_t, kReadChunk>>();
  }
  while (true) {
    if (link->paused()) {
      link->resume_timer().expires_at(asio::steady_timer::time_point::max());
      co_await link->resume_timer().async_wait(kAsTuple);
      if (!link->lowest().is_open()) break;
      continue;
    }
    bool more;
    if constexpr (kPlain) more = co_await read_into_broker(broker, id, *link);
    else more = co_await read_into_broker(broker, id, *link, *tls_buffer);
    if (!more) break;
  }
  link->shutdown_now();
  broker->on_closed(id);
}

void log_stray(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("mqtt connection ended with an exception: {}", ex.what());
  }
}

// TLS: the handshake must finish within 10 s, then the connection is served like a plain one.
asio::awaitable<void> serve_tls(Broker* broker, std::shared_ptr<TlsLink> link) {
  asio::steady_timer deadline(link->lowest().get_executor(), std::chrono::seconds(10));
  deadline.async_wait([link](boost::system::error_code ec) {
    if (!ec) link->shutdown_now();
  });
  auto [ec] = co_await link->stream().async_handshake(asio::ssl::stream_base::server, kAsTuple);
  deadline.cancel();
  if (ec) {
    spdlog::info("mqtt {}: TLS handshake failed: {}", link->remote(), ec.message());
    link->shutdown_now();
    co_return;
  }
  if (X509* cert = SSL_get1_peer_certificate(link->stream().native_handle())) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &len) == 1)
      link->set_certificate(crypto::to_hex(std::string_view(reinterpret_cast<const char*>(md), len)));
    X509_free(cert);
  }
  co_await serve_link(broker, link);
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Impl> impl, bool tls) {
  auto& acceptor = tls ? impl->tls_acceptor : impl->acceptor;
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    boost::system::error_code rec;
    auto remote = socket.remote_endpoint(rec);
    std::string address = rec ? std::string("?") : remote.address().to_string();
    if (!impl->admit(address)) {
      spdlog::warn("mqtt {}: too many connection attempts, refusing", address);
      socket.close(rec);
      continue;
    }
    if (tls) {
      auto link = std::make_shared<TlsLink>(asio::ssl::stream<tcp::socket>(std::move(socket), impl->ssl),
                                            impl->options.max_write_queue_bytes);
      asio::co_spawn(impl->io, serve_tls(&impl->broker, link), log_stray);
    } else {
      auto link = std::make_shared<TcpLink>(std::move(socket), impl->options.max_write_queue_bytes);
      asio::co_spawn(impl->io, serve_link(&impl->broker, link), log_stray);
    }
  }
}

Status listen(tcp::acceptor& a, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail(Errc::kInvalidArgument, "mqtt.address: \"" + host + "\" is not an IP address");
  tcp::endpoint ep(address, port);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::kIo, "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  return ok();
}

void schedule_tick(std::shared_ptr<Server::Impl> impl) {
  impl->ticker.expires_after(std::chrono::seconds(1));
  impl->ticker.async_wait([impl](boost::system::error_code ec) {
    if (ec || impl->stopped) return;
    impl->broker.tick();
    schedule_tick(impl);
  });
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, Broker& broker)
    : impl_(std::make_shared<Impl>(io, std::move(options), broker)) {}

Server::~Server() {
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->tls_acceptor.close(ec);
  impl_->ticker.cancel();
}

Status Server::start() {
  KAIWU_TRY_STATUS(listen(impl_->acceptor, impl_->options.address, impl_->options.port));
  if (!impl_->options.cert.empty()) {
    boost::system::error_code ec;
    auto& ssl = impl_->ssl;
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    ssl.use_certificate_chain_file(impl_->options.cert, ec);
    if (ec) return fail(Errc::kInvalidArgument, "certificate \"" + impl_->options.cert + "\": " + ec.message());
    ssl.use_private_key_file(impl_->options.key, asio::ssl::context::pem, ec);
    if (ec) return fail(Errc::kInvalidArgument, "private key \"" + impl_->options.key + "\": " + ec.message());
    // Ask for a client certificate without requiring one: devices registered by certificate
    // fingerprint authenticate with it. Without client_ca any certificate is accepted at the
    // TLS level (self-signed device certificates) and must then match a device.
    ssl.set_verify_mode(asio::ssl::verify_peer, ec);
    static constexpr unsigned char kSessionContext[] = "kaiwu-mqtt";
    SSL_CTX_set_session_id_context(ssl.native_handle(), kSessionContext, sizeof kSessionContext - 1);
    if (!impl_->options.client_ca.empty()) {
      ssl.load_verify_file(impl_->options.client_ca, ec);
      if (ec) return fail(Errc::kInvalidArgument, "client CA \"" + impl_->options.client_ca + "\": " + ec.message());
      ssl.set_verify_callback([](bool preverified, asio::ssl::verify_context&) { return preverified; }, ec);
    } else {
      ssl.set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ec);
    }
    KAIWU_TRY_STATUS(listen(impl_->tls_acceptor, impl_->options.address, impl_->options.tls_port));
    asio::co_spawn(impl_->io, accept_loop(impl_, true), asio::detached);
  }
  asio::co_spawn(impl_->io, accept_loop(impl_, false), asio::detached);
  schedule_tick(impl_);
  spdlog::info("MQTT listening on {}:{}{}", impl_->options.address, port(),
               impl_->options.cert.empty() ? std::string() : ", MQTTS on " + std::to_string(tls_port()));
  return ok();
}

std::uint16_t Server::tls_port() const {
  boost::system::error_code ec;
  auto ep = impl_->tls_acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::stop() {
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->tls_acceptor.close(ec);
  impl_->ticker.cancel();
  impl_->broker.shutdown();
}

}  // namespace kaiwu::mqtt
