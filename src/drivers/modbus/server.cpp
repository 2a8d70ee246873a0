#include "drivers/modbus/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <set>

#include <unistd.h>

namespace kaiwu::drivers::modbus {

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIdleWait = std::chrono::milliseconds(std::chrono::hours(1));
// A partial RTU frame older than this is noise: drop it and resynchronise on the next frame
// (Serial Line V1.02 §2.5.1.1 says t1.5; pseudo-terminals and TCP add their own jitter).
constexpr auto kRtuResync = 100ms;

void log_stray(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("modbus server session ended with an exception: {}", ex.what());
  }
}

// An accepted socket behind the Transport interface, so TCP and serial sessions share one loop.
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(tcp::socket s) : socket_(std::move(s)) {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }
  asio::awaitable<Status> open(std::chrono::milliseconds) override { co_return ok(); }
  asio::awaitable<Status> write(std::span<const std::byte> bytes) override {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kAsTuple);
    if (ec) {
      close();
      co_return fail(Errc::kUnavailable, ec.message());
    }
    co_return ok();
  }
  asio::awaitable<Result<std::size_t>> read_some(std::span<std::byte> buffer, std::chrono::milliseconds timeout) override {
    asio::steady_timer timer(socket_.get_executor(), timeout);
    auto r = co_await (socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()), kAsTuple) ||
                       timer.async_wait(kAsTuple));
    if (r.index() == 1) co_return fail(Errc::kTimeout, "idle");
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      close();
      co_return fail(Errc::kUnavailable, ec.message());
    }
    co_return n;
  }
  void discard_input() override {}
  void close() override {
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.close(ec);
  }
  bool is_open() const override { return socket_.is_open(); }
  std::string describe() const override { return "tcp " + peer_; }

 private:
  tcp::socket socket_;
  std::string peer_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// ModbusServer

struct ModbusServer::State {
  explicit State(asio::any_io_executor ex, Options o) : options(o), acceptor(ex) {}
  Options options;
  std::map<std::uint8_t, std::shared_ptr<RegisterMap>> units;
  std::shared_ptr<RegisterMap> fallback;
  tcp::acceptor acceptor;
  std::set<Transport*> sessions;
  bool stopped = false;
  std::atomic<std::uint64_t> requests{0}, exceptions{0}, malformed{0}, connections{0};

  RegisterMap* map_for(std::uint8_t unit) {
    auto it = units.find(unit);
    if (it != units.end()) return it->second.get();
    return fallback.get();
  }

  void broadcast_write(std::string_view pdu) {
    auto request = decode_request(as_bytes(pdu));
    if (!request || request->function == Function::kReadCoils || request->function == Function::kReadDiscreteInputs ||
        request->function == Function::kReadHoldingRegisters || request->function == Function::kReadInputRegisters ||
        request->function == Function::kReadWriteMultipleRegisters) {
      ++malformed;  // only writes may be broadcast
      return;
    }
    for (auto& [u, map] : units) map->handle(*request);
    if (fallback) fallback->handle(*request);
  }

  // The response PDU for a request PDU, or nothing when no answer is due.
  std::optional<std::string> answer(std::uint8_t unit, std::string_view pdu, bool rtu) {
    if (pdu.empty()) return std::nullopt;
    ++requests;
    const bool broadcast = rtu && unit == kBroadcastUnit;
    if (broadcast) {  // Serial Line V1.02 §2.1: every slave executes the write, none replies
      broadcast_write(pdu);
      return std::nullopt;
    }
    RegisterMap* map = map_for(unit);
    const auto code = static_cast<std::uint8_t>(pdu[0]);
    auto exception = [&](ExceptionCode e) -> std::optional<std::string> {
      ++exceptions;
      return std::string{static_cast<char>(code | 0x80), static_cast<char>(e)};
    };
    if (!map) {
      if (rtu) return std::nullopt;  // not our unit: stay silent on a shared line
      return exception(ExceptionCode::kGatewayTargetFailedToRespond);
    }
    auto request = decode_request(as_bytes(pdu));
    if (!request)
      return exception(is_supported(code & 0x7f) && !(code & 0x80) ? ExceptionCode::kIllegalDataValue
                                                                   : ExceptionCode::kIllegalFunction);
    Response response = map->handle(*request);
    if (response.exception) ++exceptions;
    auto bytes = encode_response(response);
    if (!bytes) return exception(ExceptionCode::kServerDeviceFailure);
    return std::move(*bytes);
  }
};

namespace {

using State = ModbusServer::State;

// Handles the complete frames at the front of `rx`; false when the connection must close.
asio::awaitable<bool> handle_frames(State& st, Transport& link, std::vector<std::byte>& rx, bool rtu) {
  for (;;) {
    const auto data = std::span<const std::byte>(rx);
    auto size = rtu ? rtu_frame_size(data, Direction::kRequest) : mbap_frame_size(data);
    if (!size) {
      ++st.malformed;
      if (!rtu) co_return false;  // an MBAP stream cannot be resynchronised
      rx.clear();
      co_return true;
    }
    if (*size == 0 || *size > rx.size()) co_return true;
    auto adu = rtu ? decode_rtu(data.first(*size)) : decode_mbap(data.first(*size));
    rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(*size));
    if (!adu) {  // CRC error: no reply (Serial Line V1.02 §2.4.1)
      ++st.malformed;
      rx.clear();
      co_return true;
    }
    auto reply = st.answer(adu->unit, adu->pdu, rtu);
    if (!reply) continue;
    const std::string frame = rtu ? encode_rtu(adu->unit, *reply) : encode_mbap(adu->transaction, adu->unit, *reply);
    if (!co_await link.write(as_bytes(frame))) co_return false;
  }
}

asio::awaitable<void> serve(std::shared_ptr<State> st, std::unique_ptr<Transport> link) {
  const bool rtu = st->options.framing == Framing::kRtu;
  if (!link->is_open()) {  // a serial port, opened on the executor
    if (auto opened = co_await link->open(std::chrono::milliseconds(1000)); !opened) {
      spdlog::error("modbus server: {}", opened.error().message);
      co_return;
    }
  }
  st->sessions.insert(link.get());
  ++st->connections;
  std::vector<std::byte> rx;
  std::array<std::byte, 512> buf;
  while (!st->stopped && link->is_open()) {
    auto n = co_await link->read_some(buf, rtu && !rx.empty() ? kRtuResync : kIdleWait);
    if (!n) {
      if (n.error().code != Errc::kTimeout) break;
      if (!rx.empty()) ++st->malformed;
      rx.clear();
      continue;
    }
    rx.insert(rx.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    if (!co_await handle_frames(*st, *link, rx, rtu)) break;
  }
  link->close();
  st->sessions.erase(link.get());
  --st->connections;
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor.async_accept(kAsTuple);
    if (st->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of file descriptors: back off instead of spinning
      asio::steady_timer t(st->acceptor.get_executor(), 100ms);
      co_await t.async_wait(kAsTuple);
      continue;
    }
    if (st->connections >= st->options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto ex = st->acceptor.get_executor();
    asio::co_spawn(ex, serve(st, std::make_unique<SocketTransport>(std::move(socket))), log_stray);
  }
}

}  // namespace

ModbusServer::ModbusServer(asio::any_io_executor executor, Options options)
    : ex_(executor), state_(std::make_shared<State>(executor, options)) {}

ModbusServer::~ModbusServer() { stop(); }

void ModbusServer::add_unit(std::uint8_t unit, std::shared_ptr<RegisterMap> map) { state_->units[unit] = std::move(map); }

void ModbusServer::set_default(std::shared_ptr<RegisterMap> map) { state_->fallback = std::move(map); }

Result<std::uint16_t> ModbusServer::listen(std::string_view host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return fail(Errc::kInvalidArgument, fmt::format("listen address '{}' is not host:port", host_port));
  unsigned port = 0;
  const auto ptext = host_port.substr(colon + 1);
  auto [p, pec] = std::from_chars(ptext.data(), ptext.data() + ptext.size(), port);
  if (pec != std::errc() || p != ptext.data() + ptext.size() || port > 65535)
    return fail(Errc::kInvalidArgument, fmt::format("listen address '{}' has a bad port", host_port));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(host_port.substr(0, colon)), ec);
  if (ec) return fail(Errc::kInvalidArgument, fmt::format("listen address '{}': {}", host_port, ec.message()));
  tcp::endpoint ep(address, static_cast<std::uint16_t>(port));
  auto& a = state_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    a.close(ec);
    return fail(Errc::kUnavailable, fmt::format("modbus server cannot listen on {}: {}", host_port, ec.message()));
  }
  const auto bound = a.local_endpoint(ec).port();
  asio::co_spawn(ex_, accept_loop(state_), log_stray);
  return bound;
}

Status ModbusServer::open_serial(std::string_view device) {
  if (state_->options.framing != Framing::kRtu) return fail(Errc::kInvalidArgument, "a serial line carries RTU framing");
  if (!device.starts_with("/") && !device.starts_with("serial://"))
    return fail(Errc::kInvalidArgument, fmt::format("'{}' is not a serial device", device));
  auto t = KAIWU_TRY(make_transport(ex_, device));
  std::string_view path_view = device.starts_with("serial://") ? device.substr(9) : device;
  const std::string path(path_view.substr(0, path_view.find('?')));
  if (::access(path.c_str(), R_OK | W_OK) != 0)
    return fail(Errc::kUnavailable, fmt::format("serial device {} is not accessible", path));
  asio::co_spawn(ex_, serve(state_, std::move(t)), log_stray);
  return ok();
}

void ModbusServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ec;
  state_->acceptor.close(ec);
  for (Transport* t : state_->sessions) t->close();
}

ModbusServer::Stats ModbusServer::stats() const {
  return Stats{.requests = state_->requests, .exceptions = state_->exceptions, .malformed = state_->malformed,
               .connections = state_->connections};
}

}  // namespace kaiwu::drivers::modbus
