// An HJ 212-2017 monitoring station simulator (the 数采仪 side): connects to a platform over
// TCP and uploads real-time (2011), minute (2051) or hour (2061) data for given pollutants,
// waiting for the 9014 data response when it asks for one (Flag A). Used by tests and by the
// virtual factory (a stack-emission monitor). Packet builders are sans-I/O and usable alone.
// Runs on the executor given at construction; one upload at a time per station.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "drivers/hj212/codec.hpp"

namespace kaiwu::drivers::hj212 {

namespace asio = boost::asio;

struct StationConfig {
  std::string mn;                // e.g. "010000A8900016F000169DC0"
  std::string pw = "123456";
  std::string st = "31";         // 31: 大气环境污染源 (stack emissions); 32: 地表水体环境污染源
  bool ack = true;               // Flag A: ask for a 9014 data response
  std::chrono::milliseconds timeout{2000};  // for connecting and for each acknowledgement
};

// Real-time value of one pollutant: "a21026-Rtd=12.5,a21026-Flag=N".
struct RealtimeValue {
  std::string code;
  double rtd = 0;
  std::string flag = "N";  // N normal, F stopped, M maintenance, S manual, D fault, C calibration…
};

// Statistics of one pollutant over a minute/hour/day: "-Cou=…,-Min=…,-Avg=…,-Max=…,-Flag=N".
struct IntervalValue {
  std::string code;
  double avg = 0, min = 0, max = 0;
  std::optional<double> cou;  // cumulative emission, for pollutants that have one
  std::string flag = "N";
};

// Decimal text without exponent or trailing zeros ("12.5", "207", "-0.0012").
std::string format_number(double v);

// Packets (QN and DataTime in China Standard Time from the given ms timestamps).
Packet realtime_packet(const StationConfig& c, std::int64_t data_time_ms, std::span<const RealtimeValue> values,
                       std::int64_t qn_ms);
// cn: cn::kMinute, cn::kHour or cn::kDay.
Packet interval_packet(const StationConfig& c, std::string_view cn, std::int64_t data_time_ms,
                       std::span<const IntervalValue> values, std::int64_t qn_ms);

// How often a running station uploads (run()).
struct StationSchedule {
  std::chrono::milliseconds realtime_interval{30000};  // 2011 real-time data
  std::chrono::milliseconds minute_interval{60000};    // 2051 statistics of the samples since the last one; 0 = none
  std::chrono::milliseconds retry_delay{5000};         // after a failed connect or upload
};
// Returns the pollutants' current values; called on the station's executor.
using Sampler = std::function<std::vector<RealtimeValue>(std::int64_t now_ms)>;

class StationSim {
 public:
  StationSim(asio::any_io_executor executor, StationConfig config);

  // "host:port"; kUnavailable / kTimeout when the platform cannot be reached.
  asio::awaitable<Status> connect(std::string endpoint);
  // Sends the packet; when it asks for an acknowledgement, waits for the 9014 reply with its
  // QN (kTimeout without one, kUnavailable when the platform closed the connection).
  asio::awaitable<Status> send(const Packet& packet);
  asio::awaitable<Status> send_realtime(std::int64_t data_time_ms, std::span<const RealtimeValue> values);
  asio::awaitable<Status> send_interval(std::string_view cn, std::int64_t data_time_ms,
                                        std::span<const IntervalValue> values);
  void close();
  bool is_open() const { return socket_.is_open(); }

  // Uploads until stop(): real-time data every realtime_interval and the minute statistics
  // (Min/Avg/Max of the real-time samples, DataTime = start of the window) every
  // minute_interval; reconnects after retry_delay when the platform is away.
  asio::awaitable<void> run(std::string endpoint, StationSchedule schedule, Sampler sampler);
  void stop();
  std::uint64_t uploads() const { return uploads_; }  // packets sent successfully by run()

  std::uint64_t acks() const { return acks_; }
  const std::vector<Packet>& replies() const { return replies_; }  // every packet received, in order

 private:
  std::int64_t next_qn_ms();

  asio::any_io_executor ex_;
  StationConfig config_;
  asio::ip::tcp::socket socket_;
  std::vector<std::byte> rx_;
  std::vector<Packet> replies_;
  std::uint64_t acks_ = 0;
  std::int64_t last_qn_ms_ = 0;
  std::uint64_t uploads_ = 0;
  bool stopped_ = false;
  asio::steady_timer* sleeping_ = nullptr;  // the timer run() waits on, cancelled by stop()
};

}  // namespace kaiwu::drivers::hj212
