#include "drivers/hj212/station_sim.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <cmath>
#include <map>

namespace kaiwu::drivers::hj212 {

namespace {

using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Packet base_packet(const StationConfig& c, std::string_view cn, std::int64_t qn_ms) {
  Packet p;
  p.qn = format_cst_time(qn_ms, true);
  p.st = c.st;
  p.cn = std::string(cn);
  p.pw = c.pw;
  p.mn = c.mn;
  p.flag = kFlagVersion2017 | (c.ack ? kFlagAck : 0);
  return p;
}

}  // namespace

std::string format_number(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = fmt::format("{:.6f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

Packet realtime_packet(const StationConfig& c, std::int64_t data_time_ms, std::span<const RealtimeValue> values,
                       std::int64_t qn_ms) {
  Packet p = base_packet(c, cn::kRealtime, qn_ms);
  std::vector<CpItem> items{{"DataTime", format_cst_time(data_time_ms, false), 0}};
  std::size_t group = 1;
  for (const auto& v : values) {
    items.push_back({v.code + "-Rtd", format_number(v.rtd), group});
    items.push_back({v.code + "-Flag", v.flag, group++});
  }
  p.cp = encode_cp(items);
  return p;
}

Packet interval_packet(const StationConfig& c, std::string_view cn, std::int64_t data_time_ms,
                       std::span<const IntervalValue> values, std::int64_t qn_ms) {
  Packet p = base_packet(c, cn, qn_ms);
  std::vector<CpItem> items{{"DataTime", format_cst_time(data_time_ms, false), 0}};
  std::size_t group = 1;
  for (const auto& v : values) {
    if (v.cou) items.push_back({v.code + "-Cou", format_number(*v.cou), group});
    items.push_back({v.code + "-Min", format_number(v.min), group});
    items.push_back({v.code + "-Avg", format_number(v.avg), group});
    items.push_back({v.code + "-Max", format_number(v.max), group});
    items.push_back({v.code + "-Flag", v.flag, group++});
  }
  p.cp = encode_cp(items);
  return p;
}

StationSim::StationSim(asio::any_io_executor executor, StationConfig config)
    : ex_(executor), config_(std::move(config)), socket_(executor) {}

std::int64_t StationSim::next_qn_ms() {
  last_qn_ms_ = std::max(now_ms(), last_qn_ms_ + 1);  // unique QN per packet
  return last_qn_ms_;
}

asio::awaitable<Status> StationSim::connect(std::string endpoint) {
  close();
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) co_return fail(Errc::kInvalidArgument, "station endpoint must be host:port");
  tcp::resolver resolver(ex_);
  asio::steady_timer timer(ex_, config_.timeout);
  auto resolved = co_await (resolver.async_resolve(endpoint.substr(0, colon), endpoint.substr(colon + 1), kAsTuple) ||
                            timer.async_wait(kAsTuple));
  if (resolved.index() == 1) co_return fail(Errc::kTimeout, "resolving " + endpoint);
  auto [rec, endpoints] = std::get<0>(resolved);
  if (rec) co_return fail(Errc::kUnavailable, fmt::format("resolving {}: {}", endpoint, rec.message()));
  socket_ = tcp::socket(ex_);
  auto connected = co_await (asio::async_connect(socket_, endpoints, kAsTuple) || timer.async_wait(kAsTuple));
  if (connected.index() == 1) {
    close();
    co_return fail(Errc::kTimeout, "connecting to " + endpoint);
  }
  if (auto [cec, ep] = std::get<0>(connected); cec) {
    close();
    co_return fail(Errc::kUnavailable, fmt::format("connecting to {}: {}", endpoint, cec.message()));
  }
  co_return ok();
}

asio::awaitable<Status> StationSim::send(const Packet& packet) {
  if (!socket_.is_open()) co_return fail(Errc::kUnavailable, "station is not connected");
  auto bytes = encode(packet);
  if (!bytes) co_return std::unexpected(bytes.error());
  auto [wec, n] = co_await asio::async_write(socket_, asio::buffer(*bytes), kAsTuple);
  if (wec) {
    close();
    co_return fail(Errc::kUnavailable, "sending: " + wec.message());
  }
  if (!packet.wants_ack()) co_return ok();
  const auto deadline = std::chrono::steady_clock::now() + config_.timeout;
  std::array<std::byte, 512> chunk;
  for (;;) {
    for (;;) {  // packets already received
      const Scan s = scan(rx_);
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(s.skip));
      if (s.error) {
        rx_.erase(rx_.begin(), rx_.begin() + 2);
        continue;
      }
      if (s.length == 0) break;
      auto reply = decode(std::span(rx_).first(s.length));
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(s.length));
      if (!reply) continue;
      replies_.push_back(*reply);
      if (reply->cn == cn::kDataResponse && reply->qn == packet.qn) {
        ++acks_;
        co_return ok();
      }
    }
    asio::steady_timer timer(ex_, deadline);
    auto r = co_await (socket_.async_read_some(asio::buffer(chunk), kAsTuple) || timer.async_wait(kAsTuple));
    if (r.index() == 1) co_return fail(Errc::kTimeout, "no 9014 data response for QN=" + packet.qn);
    auto [ec, got] = std::get<0>(r);
    if (ec) {
      close();
      co_return fail(Errc::kUnavailable, "platform closed the connection: " + ec.message());
    }
    rx_.insert(rx_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    if (rx_.size() > 4 * kMaxPacketSize) rx_.clear();
  }
}

asio::awaitable<Status> StationSim::send_realtime(std::int64_t data_time_ms, std::span<const RealtimeValue> values) {
  co_return co_await send(realtime_packet(config_, data_time_ms, values, next_qn_ms()));
}

asio::awaitable<Status> StationSim::send_interval(std::string_view cn, std::int64_t data_time_ms,
                                                  std::span<const IntervalValue> values) {
  co_return co_await send(interval_packet(config_, cn, data_time_ms, values, next_qn_ms()));
}

namespace {

struct Window {
  double sum = 0, min = 0, max = 0;
  std::size_t count = 0;
};

}  // namespace

asio::awaitable<void> StationSim::run(std::string endpoint, StationSchedule schedule, Sampler sampler) {
  stopped_ = false;
  asio::steady_timer timer(ex_);
  sleeping_ = &timer;
  std::map<std::string, Window> window;
  std::vector<std::string> order;  // pollutants in first-seen order
  std::int64_t window_start = now_ms();
  while (!stopped_) {
    std::chrono::milliseconds wait = schedule.realtime_interval;
    if (!socket_.is_open() && !(co_await connect(endpoint))) {
      wait = schedule.retry_delay;
    } else {
      const std::int64_t now = now_ms();
      const auto values = sampler(now);
      for (const auto& v : values) {
        auto [it, fresh] = window.try_emplace(v.code, Window{0, v.rtd, v.rtd, 0});
        if (fresh) order.push_back(v.code);
        it->second.sum += v.rtd, it->second.count += 1;
        it->second.min = std::min(it->second.min, v.rtd), it->second.max = std::max(it->second.max, v.rtd);
      }
      bool sent = static_cast<bool>(co_await send_realtime(now, values));
      if (sent) ++uploads_;
      if (sent && schedule.minute_interval.count() > 0 && now - window_start >= schedule.minute_interval.count()) {
        std::vector<IntervalValue> stats;
        for (const auto& code : order) {
          const Window& w = window[code];
          if (w.count > 0) stats.push_back({code, w.sum / static_cast<double>(w.count), w.min, w.max, std::nullopt, "N"});
        }
        sent = static_cast<bool>(co_await send_interval(cn::kMinute, window_start, stats));
        if (sent) ++uploads_;
        window.clear(), order.clear();
        window_start = now;
      }
      if (!sent) {
        close();
        wait = schedule.retry_delay;
      }
    }
    if (stopped_) break;
    timer.expires_after(wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  sleeping_ = nullptr;
  close();
}

void StationSim::stop() {
  stopped_ = true;
  if (sleeping_) sleeping_->cancel();
}

void StationSim::close() {
  boost::system::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
  rx_.clear();
}

}  // namespace kaiwu::drivers::hj212
