#include "mqtt/server.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <unordered_map>

namespace kaiwu::mqtt {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

class TcpLink final : public Link, public std::enable_shared_from_this<TcpLink> {
 public:
  TcpLink(tcp::socket socket, std::size_t max_queue)
      : socket_(std::move(socket)), resume_(socket_.get_executor()), max_queue_(max_queue) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);
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

  tcp::socket& socket() { return socket_; }
  bool paused() const { return paused_; }
  asio::steady_timer& resume_timer() { return resume_; }

  void shutdown_now() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
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
                      [self = shared_from_this(), buf](boost::system::error_code ec, std::size_t n) {
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

  tcp::socket socket_;
  asio::steady_timer resume_;
  std::string remote_;
  std::deque<std::string> out_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool paused_ = false;
};

}  // namespace

struct Server::Impl {
  Impl(asio::io_context& i, ServerOptions o, Broker& b) : io(i), options(std::move(o)), broker(b), acceptor(i), ticker(i) {}
  asio::io_context& io;
  ServerOptions options;
  Broker& broker;
  tcp::acceptor acceptor;
  asio::steady_timer ticker;
  bool stopped = false;
  // Connection attempts per source address in the last minute (sliding window).
  std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> attempts;

  bool admit(const std::string& address) {
    if (options.connects_per_minute_per_address == 0) return true;
    auto now = std::chrono::steady_clock::now();
    auto& q = attempts[address];
    while (!q.empty() && now - q.front() > std::chrono::minutes(1)) q.pop_front();
    if (q.size() >= options.connects_per_minute_per_address) return false;
    q.push_back(now);
    if (attempts.size() > 100'000) {  // forget idle addresses now and then
      for (auto it = attempts.begin(); it != attempts.end();)
        it = it->second.empty() || now - it->second.back() > std::chrono::minutes(1) ? attempts.erase(it) : std::next(it);
    }
    return true;
  }
};

namespace {

asio::awaitable<void> serve_link(Broker* broker, std::shared_ptr<TcpLink> link) {
  auto id = broker->attach(link);
  std::array<std::uint8_t, 16 * 1024> buf;
  while (true) {
    if (link->paused()) {
      link->resume_timer().expires_at(asio::steady_timer::time_point::max());
      co_await link->resume_timer().async_wait(kAsTuple);
      if (!link->socket().is_open()) break;
      continue;
    }
    auto [ec, n] = co_await link->socket().async_read_some(asio::buffer(buf), kAsTuple);
    if (ec) break;
    broker->on_bytes(id, std::span<const std::uint8_t>(buf.data(), n));
  }
  link->shutdown_now();
  broker->on_closed(id);
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Impl> impl) {
  while (impl->acceptor.is_open()) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(kAsTuple);
    if (ec) {
      if (!impl->acceptor.is_open()) co_return;
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
    auto link = std::make_shared<TcpLink>(std::move(socket), impl->options.max_write_queue_bytes);
    asio::co_spawn(impl->io, serve_link(&impl->broker, link), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("mqtt connection ended with an exception: {}", ex.what());
      }
    });
  }
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
  impl_->ticker.cancel();
}

Status Server::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return fail(Errc::kInvalidArgument, "mqtt.address: \"" + impl_->options.address + "\" is not an IP address");
  tcp::endpoint ep(address, impl_->options.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::kIo, "cannot listen on " + impl_->options.address + ":" + std::to_string(impl_->options.port) + ": " + ec.message());
  asio::co_spawn(impl_->io, accept_loop(impl_), asio::detached);
  schedule_tick(impl_);
  spdlog::info("MQTT listening on {}:{}", impl_->options.address, port());
  return ok();
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
  impl_->ticker.cancel();
  impl_->broker.shutdown();
}

}  // namespace kaiwu::mqtt
