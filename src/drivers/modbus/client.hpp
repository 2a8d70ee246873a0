// Modbus client drivers behind the Driver seam: `modbus-tcp` (MBAP over TCP, Messaging on
// TCP/IP Implementation Guide V1.0b) and `modbus-rtu` (RTU framing over a serial line or over
// TCP, "tcp://host:port"; Modbus over Serial Line V1.02).
//
// One request at a time per driver unless `pipeline` is set (half-duplex on a serial line; on
// TCP the transaction id still tells a late answer to an abandoned request from the current
// one, and such stale frames are dropped). Concurrent read()/write() calls queue on an async lock in arrival
// order. Everything runs on the executor given at construction.
//
// Options (DeviceSettings::options): unit (0-255, default 1; RTU unit 0 = broadcast, writes
// only), max_gap (registers a batch may skip, default 10), max_gap_bits (default 64),
// max_registers (per read, 1-125), max_bits (per read, 1-2000), broadcast_delay_ms (turnaround
// after an RTU broadcast write, default 100), pipeline (modbus-tcp: up to N read requests of one
// read() in flight at once, matched by transaction id; default 1 = off, max 16; batches that
// fail in the pipeline are read again one at a time with the usual retries).
//
// Errors: kUnavailable when the device cannot be reached (the next call reconnects),
// kTimeout when it stays silent through all retries, kCorruption for CRC errors,
// kInvalidArgument for a bad point or an exception response 1-3 (the message names the
// code), kUnavailable for exceptions 4-6, 0x0A, 0x0B.
#pragma once

#include <boost/asio/experimental/channel.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/modbus/codec.hpp"
#include "drivers/modbus/points.hpp"
#include "drivers/transport.hpp"

namespace kaiwu::drivers::modbus {

enum class Framing : std::uint8_t { kTcp, kRtu };

using TransportFactory =
    std::function<Result<std::unique_ptr<Transport>>(asio::any_io_executor, std::string_view endpoint)>;

class ModbusDriver final : public Driver {
 public:
  // `factory` makes the transport for the endpoint (make_transport; tests pass a FakeTransport).
  ModbusDriver(asio::any_io_executor executor, Framing framing, TransportFactory factory = make_transport);
  ~ModbusDriver() override;

  const DriverInfo& info() const override;
  Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const override;
  asio::awaitable<Status> start(DeviceSettings settings) override;
  asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) override;
  asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) override;
  asio::awaitable<void> stop() override;
  Health health() const override;

  // One request with retries (after start()); an exception response comes back as an error
  // made by exception_error. For tools and tests.
  asio::awaitable<Result<Response>> transact(const Request& request);

 private:
  struct Options {
    std::uint8_t unit = 1;
    PlanOptions plan;
    std::chrono::milliseconds broadcast_delay{100};
    std::size_t pipeline = 1;  // TCP: read requests in flight at once
  };
  static Result<Options> parse_options(const DeviceSettings& settings);

  asio::awaitable<Result<Response>> transact_locked(const Request& request);
  asio::awaitable<Result<Response>> attempt(const Request& request, const std::string& pdu);
  asio::awaitable<Status> ensure_open();
  // `transaction` < 0 accepts any transaction id (pipelined reads match them themselves).
  asio::awaitable<Result<Adu>> read_frame(int transaction, std::chrono::steady_clock::time_point deadline);
  std::optional<Result<Adu>> take_frame(int transaction);
  std::uint16_t next_transaction();
  asio::awaitable<void> read_pipelined(std::span<const PointConfig> points, const ReadPlan& plan,
                                       std::vector<Reading>& out);
  asio::awaitable<void> wait_inter_frame_gap();
  asio::awaitable<void> read_batch(std::span<const PointConfig> points, const ReadPlan& plan,
                                   const Batch& batch, std::vector<Reading>& out);
  asio::awaitable<Status> write_bit_in_register(const Location& loc, bool on);
  asio::awaitable<void> lock();
  void unlock();
  void note_error(const Error& e);

  asio::any_io_executor ex_;
  Framing framing_;
  TransportFactory factory_;
  std::optional<DeviceSettings> settings_;
  Options options_;
  std::unique_ptr<Transport> transport_;
  bool ever_connected_ = false;
  bool serial_ = false;
  std::chrono::microseconds frame_gap_{0};  // t3.5 on a serial line (Serial Line V1.02 §2.5.1.1)
  std::chrono::steady_clock::time_point last_io_{};
  std::uint16_t next_transaction_ = 1;
  std::vector<std::byte> rx_;
  // A one-slot channel used as an async mutex: sending takes the lock, receiving frees it.
  asio::experimental::channel<void(boost::system::error_code)> lock_;
  Health health_;
};

const DriverInfo& modbus_tcp_info();
const DriverInfo& modbus_rtu_info();
std::unique_ptr<Driver> make_modbus_tcp(asio::any_io_executor executor);
std::unique_ptr<Driver> make_modbus_rtu(asio::any_io_executor executor);

}  // namespace kaiwu::drivers::modbus
