#include "drivers/transport.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <map>

#include <termios.h>

namespace kaiwu::drivers {

namespace {

using namespace asio::experimental::awaitable_operators;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

Status io_error(std::string_view what, const std::string& target, const boost::system::error_code& ec) {
  return fail(Errc::kUnavailable, fmt::format("{} {}: {}", what, target, ec.message()));
}

class TcpTransport final : public Transport {
 public:
  TcpTransport(asio::any_io_executor ex, std::string host, std::string port)
      : ex_(ex), socket_(ex), host_(std::move(host)), port_(std::move(port)) {}

  asio::awaitable<Status> open(std::chrono::milliseconds timeout) override {
    close();
    tcp::resolver resolver(ex_);
    asio::steady_timer timer(ex_, timeout);
    auto result = co_await (resolver.async_resolve(host_, port_, kAsTuple) || timer.async_wait(kAsTuple));
    if (result.index() == 1) co_return fail(Errc::kTimeout, "resolving " + target());
    auto [rec, endpoints] = std::get<0>(result);
    if (rec) co_return io_error("resolving", target(), rec);
    socket_ = tcp::socket(ex_);
    auto connected = co_await (asio::async_connect(socket_, endpoints, kAsTuple) || timer.async_wait(kAsTuple));
    if (connected.index() == 1) {
      close();
      co_return fail(Errc::kTimeout, "connecting to " + target());
    }
    auto [cec, ep] = std::get<0>(connected);
    if (cec) {
      close();
      co_return io_error("connecting to", target(), cec);
    }
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    co_return ok();
  }

  asio::awaitable<Status> write(std::span<const std::byte> bytes) override {
    if (!socket_.is_open()) co_return fail(Errc::kUnavailable, target() + " is not connected");
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kAsTuple);
    if (ec) {
      close();
      co_return io_error("writing to", target(), ec);
    }
    co_return ok();
  }

  asio::awaitable<Result<std::size_t>> read_some(std::span<std::byte> buffer,
                                                 std::chrono::milliseconds timeout) override {
    if (!socket_.is_open()) co_return fail(Errc::kUnavailable, target() + " is not connected");
    asio::steady_timer timer(ex_, timeout);
    auto r = co_await (socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()), kAsTuple) ||
                       timer.async_wait(kAsTuple));
    if (r.index() == 1) co_return fail(Errc::kTimeout, "no answer from " + target());
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      close();
      co_return std::unexpected(io_error("reading from", target(), ec).error());
    }
    co_return n;
  }

  void discard_input() override {
    boost::system::error_code ec;
    std::array<std::byte, 512> sink;
    while (socket_.is_open() && socket_.available(ec) > 0 && !ec) socket_.read_some(asio::buffer(sink), ec);
  }

  void close() override {
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.close(ec);
  }
  bool is_open() const override { return socket_.is_open(); }
  std::string describe() const override { return "tcp " + target(); }

 private:
  std::string target() const { return host_ + ":" + port_; }

  asio::any_io_executor ex_;
  tcp::socket socket_;
  std::string host_;
  std::string port_;
};

struct SerialOptions {
  std::string device;
  unsigned baud = 9600;
  char parity = 'N';
  unsigned data_bits = 8;
  unsigned stop_bits = 1;
};

class SerialTransport final : public Transport {
 public:
  SerialTransport(asio::any_io_executor ex, SerialOptions o) : ex_(ex), port_(ex), o_(std::move(o)) {}

  asio::awaitable<Status> open(std::chrono::milliseconds) override {
    close();
    boost::system::error_code ec;
    port_.open(o_.device, ec);
    if (ec) co_return io_error("opening", o_.device, ec);
    using sp = asio::serial_port_base;
    port_.set_option(sp::baud_rate(o_.baud), ec);
    if (!ec) port_.set_option(sp::character_size(o_.data_bits), ec);
    if (!ec)
      port_.set_option(sp::parity(o_.parity == 'E'   ? sp::parity::even
                                  : o_.parity == 'O' ? sp::parity::odd
                                                     : sp::parity::none),
                       ec);
    if (!ec) port_.set_option(sp::stop_bits(o_.stop_bits == 2 ? sp::stop_bits::two : sp::stop_bits::one), ec);
    if (!ec) port_.set_option(sp::flow_control(sp::flow_control::none), ec);
    if (ec) {
      close();
      co_return io_error("configuring", o_.device, ec);
    }
    co_return ok();
  }

  asio::awaitable<Status> write(std::span<const std::byte> bytes) override {
    if (!port_.is_open()) co_return fail(Errc::kUnavailable, o_.device + " is not open");
    auto [ec, n] = co_await asio::async_write(port_, asio::buffer(bytes.data(), bytes.size()), kAsTuple);
    if (ec) {
      close();
      co_return io_error("writing to", o_.device, ec);
    }
    co_return ok();
  }

  asio::awaitable<Result<std::size_t>> read_some(std::span<std::byte> buffer,
                                                 std::chrono::milliseconds timeout) override {
    if (!port_.is_open()) co_return fail(Errc::kUnavailable, o_.device + " is not open");
    asio::steady_timer timer(ex_, timeout);
    auto r = co_await (port_.async_read_some(asio::buffer(buffer.data(), buffer.size()), kAsTuple) ||
                       timer.async_wait(kAsTuple));
    if (r.index() == 1) co_return fail(Errc::kTimeout, "no answer on " + o_.device);
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      close();
      co_return std::unexpected(io_error("reading from", o_.device, ec).error());
    }
    co_return n;
  }

  void discard_input() override {
    if (port_.is_open()) ::tcflush(port_.native_handle(), TCIFLUSH);
  }

  void close() override {
    boost::system::error_code ec;
    if (port_.is_open()) port_.close(ec);
  }
  bool is_open() const override { return port_.is_open(); }
  std::string describe() const override {
    return fmt::format("serial {} {} {}{}{}", o_.device, o_.baud, o_.data_bits, o_.parity, o_.stop_bits);
  }

 private:
  asio::any_io_executor ex_;
  asio::serial_port port_;
  SerialOptions o_;
};

Result<unsigned> parse_unsigned(std::string_view key, std::string_view text) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size())
    return fail(Errc::kInvalidArgument, fmt::format("serial option {}={} is not a number", key, text));
  return v;
}

Result<SerialOptions> parse_serial(std::string_view spec) {
  SerialOptions o;
  const auto q = spec.find('?');
  o.device = std::string(spec.substr(0, q));
  std::string_view query = q == std::string_view::npos ? std::string_view{} : spec.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) return fail(Errc::kInvalidArgument, fmt::format("serial option '{}' has no value", kv));
    const std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "baud") {
      o.baud = KAIWU_TRY(parse_unsigned(key, value));
    } else if (key == "data") {
      o.data_bits = KAIWU_TRY(parse_unsigned(key, value));
      if (o.data_bits < 5 || o.data_bits > 8) return fail(Errc::kInvalidArgument, "serial data bits must be 5-8");
    } else if (key == "stop") {
      o.stop_bits = KAIWU_TRY(parse_unsigned(key, value));
      if (o.stop_bits != 1 && o.stop_bits != 2) return fail(Errc::kInvalidArgument, "serial stop bits must be 1 or 2");
    } else if (key == "parity") {
      if (value != "N" && value != "E" && value != "O")
        return fail(Errc::kInvalidArgument, "serial parity must be N, E or O");
      o.parity = value[0];
    } else {
      return fail(Errc::kInvalidArgument, fmt::format("unknown serial option '{}' (baud, parity, data, stop)", key));
    }
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<Transport>> make_transport(asio::any_io_executor executor, std::string_view endpoint) {
  if (endpoint.starts_with("serial://")) endpoint.remove_prefix(9);
  if (endpoint.starts_with("/")) {
    auto o = KAIWU_TRY(parse_serial(endpoint));
    return std::make_unique<SerialTransport>(executor, std::move(o));
  }
  if (endpoint.starts_with("tcp://")) endpoint.remove_prefix(6);
  const auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == endpoint.size())
    return fail(Errc::kInvalidArgument,
                fmt::format("endpoint '{}' is neither host:port nor a serial device path", endpoint));
  std::string host(endpoint.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port(endpoint.substr(colon + 1));
  KAIWU_TRY(parse_unsigned("port", port));
  return std::make_unique<TcpTransport>(executor, std::move(host), std::move(port));
}

asio::awaitable<Status> FakeTransport::open(std::chrono::milliseconds) {
  open_ = true;
  co_return ok();
}

asio::awaitable<Status> FakeTransport::write(std::span<const std::byte> bytes) {
  if (!open_) co_return fail(Errc::kUnavailable, "fake transport is closed");
  std::string got(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (script_.empty() || script_.front().request != got) {
    mismatch_ = fmt::format("unexpected request of {} bytes", got.size());
    co_return fail(Errc::kInternal, mismatch_);
  }
  pending_ = std::move(script_.front().responses);
  script_.pop_front();
  co_return ok();
}

asio::awaitable<Result<std::size_t>> FakeTransport::read_some(std::span<std::byte> buffer,
                                                              std::chrono::milliseconds) {
  if (!open_) co_return fail(Errc::kUnavailable, "fake transport is closed");
  if (pending_.empty()) co_return fail(Errc::kTimeout, "no answer from fake");
  std::string& chunk = pending_.front();
  const std::size_t n = std::min(chunk.size(), buffer.size());
  std::memcpy(buffer.data(), chunk.data(), n);
  chunk.erase(0, n);
  if (chunk.empty()) pending_.pop_front();
  co_return n;
}

}  // namespace kaiwu::drivers
