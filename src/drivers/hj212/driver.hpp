// The `hj212` driver: a listener that HJ 212-2017 monitoring stations (数采仪) connect to.
// start() listens on option `listen` (or the endpoint), "host:port"; stations are identified by
// option `mn` (and `pw` when set): a packet with another MN or a wrong PW is rejected, counted,
// and its connection closed. Real-time (2011), minute (2051), hour (2061) and daily (2031)
// packets become readings keyed by point address "a34004-Rtd" (any field: Rtd, Avg, Min, Max,
// Cou, Flag, ZsRtd …; "2061/a34004-Avg" takes hour data only), timestamped by CP DataTime
// (China Standard Time → UTC ms). A packet with Flag A gets a 9014 data response. read()
// returns the latest value of each point; subscribe() pushes readings as packets arrive.
// Malformed input (garbage, bad length, bad CRC, malformed CP) is counted and skipped: the
// connection survives, other stations are unaffected. Buffers are bounded by the 1024-byte
// packet limit; at most `max_connections` (default 16) connections at once, each closed after
// `idle_timeout_ms` (default 600000) without a byte.
//
// Every coroutine and the sink run on the executor given at construction.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <map>
#include <memory>
#include <set>

#include "drivers/driver.hpp"
#include "drivers/hj212/codec.hpp"

namespace kaiwu::drivers::hj212 {

class Hj212Driver final : public Driver {
 public:
  struct Stats {
    std::uint64_t connections = 0;  // accepted so far
    std::uint64_t packets = 0;      // well-formed packets from the configured station
    std::uint64_t rejected = 0;     // wrong MN or PW (connection closed)
    std::uint64_t bad_packets = 0;  // garbage, bad length, CRC, malformed segment or CP
    std::uint64_t acks_sent = 0;
    std::uint64_t refused = 0;      // connections over max_connections
    std::uint64_t idle_closed = 0;  // connections closed after idle_timeout_ms without a byte
  };

  explicit Hj212Driver(asio::any_io_executor executor);
  ~Hj212Driver() override;

  const DriverInfo& info() const override;
  Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const override;
  asio::awaitable<Status> start(DeviceSettings settings) override;
  asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) override;
  asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) override;
  asio::awaitable<Status> subscribe(std::span<const PointConfig> points, ReadingSink sink) override;
  asio::awaitable<void> stop() override;
  Health health() const override;

  std::uint16_t port() const { return port_; }  // the bound port after start() (for listen=…:0)
  Stats stats() const { return stats_; }

 private:
  struct Latest {
    std::int64_t ts = 0;
    tsdb::Value value;
  };
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(std::shared_ptr<asio::ip::tcp::socket> socket);
  // Handles one decoded packet; false when the connection must be closed (rejected station).
  bool handle(const Packet& packet, std::string& replies);
  void publish(const Packet& packet, std::int64_t ts, const std::vector<CpItem>& items);
  void bad(const Error& e);

  asio::any_io_executor ex_;
  DeviceSettings settings_;
  std::string mn_, pw_;
  std::size_t max_connections_ = 16;
  std::chrono::milliseconds idle_timeout_{600000};
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  bool accepting_ = false;
  std::set<std::shared_ptr<asio::ip::tcp::socket>> sockets_;
  std::map<std::string, Latest, std::less<>> latest_;  // "a34004-Rtd" and "2011/a34004-Rtd"
  std::vector<PointConfig> subscribed_;
  ReadingSink sink_;
  Stats stats_;
  Health health_;
};

std::unique_ptr<Driver> make_hj212_driver(asio::any_io_executor executor);

}  // namespace kaiwu::drivers::hj212
