// Byte transports for drivers (STYLE.md "Seams"): TCP, serial ports and a scripted fake, behind
// one awaitable interface so a protocol stack runs unchanged over each (Modbus RTU over a
// serial line or over TCP, DL/T 645 over RS-485 or a transparent TCP converter).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kaiwu::drivers {

namespace asio = boost::asio;

class Transport {
 public:
  virtual ~Transport() = default;
  // Opens the connection or port; kUnavailable on failure, kTimeout past the deadline.
  virtual asio::awaitable<Status> open(std::chrono::milliseconds timeout) = 0;
  // Writes all bytes; kUnavailable when the peer has gone (the transport is then closed).
  virtual asio::awaitable<Status> write(std::span<const std::byte> bytes) = 0;
  // Reads what is available (at least one byte) into `buffer`; kTimeout past the deadline,
  // kUnavailable when the peer closed.
  virtual asio::awaitable<Result<std::size_t>> read_some(std::span<std::byte> buffer,
                                                         std::chrono::milliseconds timeout) = 0;
  // Discards bytes already received (before a new request on a half-duplex line).
  virtual void discard_input() = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  virtual std::string describe() const = 0;  // "tcp 127.0.0.1:502", "serial /dev/ttyS0 9600 8E1"
};

// "host:port" or "tcp://host:port" → TCP; "/dev/…[?baud=9600&parity=N|E|O&data=8&stop=1]" or
// "serial:///dev/…?…" → serial port. kInvalidArgument for anything else.
Result<std::unique_ptr<Transport>> make_transport(asio::any_io_executor executor,
                                                  std::string_view endpoint);

// A scripted peer for unit tests: each expected request is answered with the given bytes
// (possibly split into several reads); a request that does not match fails the write with
// kInternal and records the mismatch. An empty response simulates a timeout.
class FakeTransport final : public Transport {
 public:
  struct Exchange {
    std::string request;                 // exact bytes expected
    std::deque<std::string> responses;   // chunks delivered by successive read_some calls
  };
  void expect(std::string request, std::deque<std::string> responses) {
    script_.push_back({std::move(request), std::move(responses)});
  }
  bool done() const { return script_.empty() && pending_.empty(); }
  const std::string& mismatch() const { return mismatch_; }

  asio::awaitable<Status> open(std::chrono::milliseconds) override;
  asio::awaitable<Status> write(std::span<const std::byte> bytes) override;
  asio::awaitable<Result<std::size_t>> read_some(std::span<std::byte> buffer,
                                                 std::chrono::milliseconds timeout) override;
  void discard_input() override { pending_.clear(); }
  void close() override { open_ = false; }
  bool is_open() const override { return open_; }
  std::string describe() const override { return "fake"; }

 private:
  std::deque<Exchange> script_;
  std::deque<std::string> pending_;
  std::string mismatch_;
  bool open_ = false;
};

}  // namespace kaiwu::drivers
