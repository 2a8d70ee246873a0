#include "drivers/hj212/driver.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

namespace kaiwu::drivers::hj212 {

namespace {

using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const DriverInfo kInfo{
    "hj212", "1.0",
    "HJ 212-2017 environmental monitoring stations (listener: real-time, minute, hour, daily data)",
    R"({"type":"object","required":["mn"],"properties":{)"
    R"("listen":{"type":"string","description":"host:port to listen on, e.g. 0.0.0.0:9212"},)"
    R"("mn":{"type":"string","description":"the station's MN code"},)"
    R"("pw":{"type":"string","description":"access password the station must send, optional"},)"
    R"("max_connections":{"type":"string","pattern":"^[0-9]+$","default":"16"},)"
    R"("idle_timeout_ms":{"type":"string","pattern":"^[0-9]+$","default":"600000"}}})",
    true};

bool is_data_command(std::string_view cn) {
  return cn == cn::kRealtime || cn == cn::kMinute || cn == cn::kHour || cn == cn::kDay;
}

// "[CN/]code-Field" → ok, or an error naming the point.
Status check_point_address(const PointConfig& p) {
  std::string_view a = p.address;
  if (const auto slash = a.find('/'); slash != std::string_view::npos) {
    const auto cn = a.substr(0, slash);
    if (!is_data_command(cn))
      return fail(Errc::kInvalidArgument, fmt::format("point '{}': '{}' is not a data command (2011, 2051, 2061, 2031)",
                                                      p.key, cn));
    a.remove_prefix(slash + 1);
  }
  const auto dash = a.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == a.size() ||
      a.find_first_of(";,=&") != std::string_view::npos)
    return fail(Errc::kInvalidArgument,
                fmt::format("point '{}': address '{}' must be <pollutant>-<field>, e.g. a34004-Rtd", p.key, p.address));
  return ok();
}

Result<std::pair<std::string, std::string>> split_listen(std::string_view listen) {
  if (listen.starts_with("tcp://")) listen.remove_prefix(6);
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == listen.size())
    return fail(Errc::kInvalidArgument, fmt::format("hj212 listen address '{}' must be host:port", listen));
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string_view port = listen.substr(colon + 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || p != port.data() + port.size() || v > 65535)
    return fail(Errc::kInvalidArgument, fmt::format("hj212 listen port '{}' is not a port number", port));
  return std::make_pair(host, std::string(port));
}

std::string listen_of(const DeviceSettings& s) {
  auto it = s.options.find("listen");
  return it != s.options.end() ? it->second : s.endpoint;
}

tsdb::Value parse_value(const std::string& text) {
  double d = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (!text.empty() && ec == std::errc() && p == text.data() + text.size()) return d;
  return text;  // flags (N, F, M, S, D, C, T, B) and times stay text
}

void log_stray(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::warn("hj212 listener coroutine ended: {}", ex.what());
  }
}

}  // namespace

Hj212Driver::Hj212Driver(asio::any_io_executor executor) : ex_(executor) {}

Hj212Driver::~Hj212Driver() {
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (const auto& s : sockets_) s->close(ec);
}

const DriverInfo& Hj212Driver::info() const { return kInfo; }

Status Hj212Driver::validate(const DeviceSettings& settings, std::span<const PointConfig> points) const {
  auto mn = settings.options.find("mn");
  if (mn == settings.options.end() || mn->second.empty())
    return fail(Errc::kInvalidArgument, "hj212 device '" + settings.name + "' needs option mn (the station's MN)");
  KAIWU_TRY(split_listen(listen_of(settings)));
  if (auto m = settings.options.find("max_connections"); m != settings.options.end()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(m->second.data(), m->second.data() + m->second.size(), v);
    if (ec != std::errc() || p != m->second.data() + m->second.size() || v == 0 || v > 10000)
      return fail(Errc::kInvalidArgument, "hj212 option max_connections must be 1-10000");
  }
  if (auto m = settings.options.find("idle_timeout_ms"); m != settings.options.end()) {
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(m->second.data(), m->second.data() + m->second.size(), v);
    if (ec != std::errc() || p != m->second.data() + m->second.size() || v == 0)
      return fail(Errc::kInvalidArgument, "hj212 option idle_timeout_ms must be a positive number");
  }
  for (const auto& p : points) KAIWU_TRY_STATUS(check_point_address(p));
  return ok();
}

asio::awaitable<Status> Hj212Driver::start(DeviceSettings settings) {
  if (auto v = validate(settings, {}); !v) co_return v;
  settings_ = std::move(settings);
  mn_ = settings_.options.at("mn");
  if (auto it = settings_.options.find("pw"); it != settings_.options.end()) pw_ = it->second;
  if (auto it = settings_.options.find("max_connections"); it != settings_.options.end())
    max_connections_ = std::stoul(it->second);
  if (auto it = settings_.options.find("idle_timeout_ms"); it != settings_.options.end())
    idle_timeout_ = std::chrono::milliseconds(std::stoul(it->second));
  const auto [host, port] = *split_listen(listen_of(settings_));
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) co_return fail(Errc::kInvalidArgument, fmt::format("hj212 listen host '{}' is not an IP address", host));
  acceptor_ = std::make_unique<tcp::acceptor>(ex_);
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(std::stoul(port)));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    health_.last_error = fmt::format("listening on {}:{}: {}", host, port, ec.message());
    co_return fail(Errc::kUnavailable, health_.last_error);
  }
  port_ = acceptor_->local_endpoint().port();
  accepting_ = true;
  asio::co_spawn(ex_, accept_loop(), log_stray);
  co_return ok();
}

asio::awaitable<void> Hj212Driver::accept_loop() {
  while (acceptor_ && acceptor_->is_open()) {
    auto [ec, socket] = co_await acceptor_->async_accept(kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) break;
      continue;
    }
    if (sockets_.size() >= max_connections_) {
      ++stats_.refused;
      health_.last_error = "connection refused: max_connections reached";
      continue;  // the socket closes as it goes out of scope
    }
    ++stats_.connections;
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    sockets_.insert(s);
    health_.connected = true;
    asio::co_spawn(ex_, session(s), log_stray);
  }
  accepting_ = false;
}

void Hj212Driver::bad(const Error& e) {
  ++stats_.bad_packets;
  ++health_.failures;
  health_.last_error = e.message;
}

asio::awaitable<void> Hj212Driver::session(std::shared_ptr<tcp::socket> socket) {
  std::vector<std::byte> buffer;
  buffer.reserve(kMaxPacketSize);
  std::array<std::byte, 1024> chunk;
  bool open = true;
  while (open) {
    asio::steady_timer idle(ex_, idle_timeout_);
    auto got = co_await (socket->async_read_some(asio::buffer(chunk), kAsTuple) || idle.async_wait(kAsTuple));
    if (got.index() == 1) {  // a silent connection gives its slot back
      ++stats_.idle_closed;
      break;
    }
    auto [ec, n] = std::get<0>(got);
    if (ec) break;
    buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    std::string replies;
    while (open) {
      const Scan s = scan(buffer);
      if (s.skip > 0) {
        bad(Error(Errc::kInvalidArgument, fmt::format("{} bytes before '##' skipped", s.skip)));
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(s.skip));
      }
      if (s.error) {  // a "##" with a bad length field: drop it and resynchronise
        bad(*s.error);
        buffer.erase(buffer.begin(), buffer.begin() + 2);
        continue;
      }
      if (s.length == 0) break;
      auto packet = decode(std::span(buffer).first(s.length));
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(s.length));
      if (!packet) {
        bad(packet.error());
        continue;
      }
      open = handle(*packet, replies);
    }
    if (!replies.empty()) {
      auto [wec, w] = co_await asio::async_write(*socket, asio::buffer(replies), kAsTuple);
      if (wec) break;
    }
  }
  boost::system::error_code ignored;
  socket->close(ignored);
  sockets_.erase(socket);
  health_.connected = !sockets_.empty();
}

bool Hj212Driver::handle(const Packet& packet, std::string& replies) {
  if (packet.mn != mn_ || (!pw_.empty() && packet.pw != pw_)) {
    ++stats_.rejected;
    ++health_.failures;
    health_.last_error = packet.mn != mn_ ? fmt::format("station MN '{}' rejected (expected '{}')", packet.mn, mn_)
                                          : fmt::format("station '{}' sent a wrong password", packet.mn);
    return false;
  }
  ++stats_.packets;
  ++health_.requests;
  if (is_data_command(packet.cn)) {
    auto items = parse_cp(packet.cp);
    if (!items) {
      bad(items.error());
      return true;
    }
    Result<std::int64_t> ts = fail(Errc::kInvalidArgument, fmt::format("CN={} packet has no DataTime", packet.cn));
    for (const auto& item : *items)
      if (item.key == "DataTime") ts = parse_cst_time(item.value);
    if (!ts) {
      bad(ts.error());
      return true;
    }
    publish(packet, *ts, *items);
  }
  health_.last_success_ms = now_ms();
  if (packet.wants_ack()) {
    const Packet reply = is_data_command(packet.cn) ? data_response(packet) : notify_response(packet);
    if (auto bytes = encode(reply)) {
      replies += *bytes;
      ++stats_.acks_sent;
    }
  }
  return true;
}

void Hj212Driver::publish(const Packet& packet, std::int64_t ts, const std::vector<CpItem>& items) {
  std::vector<Reading> pushed;
  for (const auto& item : items) {
    if (item.key == "DataTime") continue;
    Latest latest{ts, parse_value(item.value)};
    latest_[packet.cn + "/" + item.key] = latest;
    latest_.insert_or_assign(item.key, std::move(latest));
    if (!sink_) continue;
    for (const auto& p : subscribed_) {
      if (p.address == item.key || p.address == packet.cn + "/" + item.key)
        pushed.push_back(Reading{p.key, ts, to_engineering(p, latest_[item.key].value)});
    }
  }
  if (sink_ && !pushed.empty()) sink_(std::move(pushed));
}

asio::awaitable<std::vector<Reading>> Hj212Driver::read(std::span<const PointConfig> points) {
  std::vector<Reading> out;
  out.reserve(points.size());
  for (const auto& p : points) {
    auto it = latest_.find(p.address);
    if (it == latest_.end()) {
      out.push_back(Reading{p.key, now_ms(),
                            fail(Errc::kUnavailable, fmt::format("no value for '{}' received from station '{}' yet",
                                                                 p.address, mn_))});
      continue;
    }
    out.push_back(Reading{p.key, it->second.ts, to_engineering(p, it->second.value)});
  }
  co_return out;
}

asio::awaitable<Status> Hj212Driver::write(const PointConfig& point, tsdb::Value) {
  co_return fail(Errc::kPermissionDenied,
                 fmt::format("point '{}': HJ 212 stations upload data; the listener writes nothing", point.key));
}

asio::awaitable<Status> Hj212Driver::subscribe(std::span<const PointConfig> points, ReadingSink sink) {
  for (const auto& p : points) {
    if (auto st = check_point_address(p); !st) co_return st;
  }
  subscribed_.assign(points.begin(), points.end());
  sink_ = std::move(sink);
  co_return ok();
}

asio::awaitable<void> Hj212Driver::stop() {
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (const auto& s : sockets_) s->close(ec);
  // Let the accept loop and the sessions see their cancelled operations and finish.
  asio::steady_timer timer(ex_);
  for (int i = 0; i < 1000 && (accepting_ || !sockets_.empty()); ++i) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(kAsTuple);
  }
  acceptor_.reset();
  sink_ = nullptr;
  health_.connected = false;
}

Health Hj212Driver::health() const { return health_; }

std::unique_ptr<Driver> make_hj212_driver(asio::any_io_executor executor) {
  return std::make_unique<Hj212Driver>(executor);
}

}  // namespace kaiwu::drivers::hj212
