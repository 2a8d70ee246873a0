// The `dlt645` driver: a DL/T 645-2007 master reading electricity meters by data identifier
// over RS-485 (endpoint "/dev/ttyUSB0?baud=2400&parity=E", 8E1 at 2400 baud is typical) or
// a transparent TCP converter (endpoint "host:port"). Options: `meter_address` (12 digits,
// required), `preamble` (FE wake-up bytes before each request, 0-4, default 4), and for
// writes `password` (8 hex digits PA P2 P1 P0, default "02000000") and `operator` (8 hex).
// Point address: the data identifier, "02-01-01-00". The line is half-duplex: one request per
// identifier, one at a time (concurrent read/write calls queue on an async lock); a request
// that times out or gets a corrupt frame is repeated `retries` times; a meter's abnormal
// response fails that point only; a reply flagged "more follows" (D5) is completed with
// follow-up reads (12H). Runs on the executor it was constructed with.
#pragma once

#include <boost/asio/experimental/channel.hpp>

#include <memory>

#include "drivers/dlt645/codec.hpp"
#include "drivers/driver.hpp"
#include "drivers/transport.hpp"

namespace kaiwu::drivers::dlt645 {

class Dlt645Driver final : public Driver {
 public:
  explicit Dlt645Driver(asio::any_io_executor executor);
  // Uses `transport` instead of the one the endpoint names (tests: FakeTransport).
  Dlt645Driver(asio::any_io_executor executor, std::unique_ptr<Transport> transport);

  const DriverInfo& info() const override;
  Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const override;
  asio::awaitable<Status> start(DeviceSettings settings) override;
  asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) override;
  asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) override;
  asio::awaitable<void> stop() override;
  Health health() const override;

 private:
  asio::awaitable<Result<Frame>> transact(const Frame& request);
  asio::awaitable<Result<Frame>> exchange_once(const Frame& request);
  asio::awaitable<Result<tsdb::Value>> read_point(const PointConfig& point);
  // The value bytes of `id`, follow-up frames included.
  asio::awaitable<Result<std::vector<std::uint8_t>>> read_bytes(DataId id, std::string_view what);
  Status note(const Status& s);

  asio::any_io_executor ex_;
  std::unique_ptr<Transport> transport_;
  bool injected_transport_ = false;
  DeviceSettings settings_;
  Address address_;
  std::size_t preamble_ = 4;
  std::uint32_t password_ = 0x02000000;
  std::uint32_t operator_ = 0;
  bool block_reads_ = false;  // option block_read: points of one block in one request (FF identifiers)
  bool ever_opened_ = false;
  Health health_;
  // Half-duplex: holding a slot in this channel is holding the line.
  asio::experimental::channel<void(boost::system::error_code)> line_;
};

std::unique_ptr<Driver> make_dlt645_driver(asio::any_io_executor executor);

}  // namespace kaiwu::drivers::dlt645
