// A DL/T 645-2007 meter simulator (the slave side, same codec as the driver): one RS-485 bus
// with any number of meters, served over TCP (a transparent converter) or over a byte stream
// such as a pseudo-terminal master. It answers read (11H) requests for its meters' addresses
// with their current values, "read address" (13H) to AA… when one meter is on the bus,
// writes (14H) with the right password, ignores broadcasts (no reply, §7 广播校时), and
// answers unknown identifiers with an abnormal response "no requested data" (D1H 02H).
//
// Values are engineering values (doubles; text for dates/times), set from any thread with
// set_value, or computed by a provider (called on the serving executor) for live signals.
// The simulator must outlive the coroutines serving it; stop() closes every connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "drivers/dlt645/codec.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::drivers::dlt645 {

namespace asio = boost::asio;

// A coherent three-phase snapshot, as a real meter would show it at one instant.
struct ThreePhase {
  std::array<double, 3> voltage{220.0, 220.0, 220.0};  // V
  std::array<double, 3> current{0.0, 0.0, 0.0};        // A, negative while exporting
  double power_factor = 1.0;                           // 0 … 1, same on every phase
  double frequency = 50.0;                             // Hz
  double forward_energy = 0.0;                         // kWh, 00-01-00-00
  double reverse_energy = 0.0;                         // kWh, 00-02-00-00
  std::optional<std::int64_t> clock_ms;                // meter clock (China Standard Time shown)
};

class MeterSim {
 public:
  using Provider = std::function<std::optional<tsdb::Value>(const Address&, DataId)>;

  // `response_preamble`: FE bytes the meters put before each reply (0-4; meters differ).
  explicit MeterSim(std::size_t response_preamble = 4) : preamble_(response_preamble) {}

  void add_meter(const Address& address);
  void set_value(const Address& address, DataId id, tsdb::Value value);
  void set_provider(Provider provider);
  // Sets voltages, currents, active/reactive/apparent powers (per phase and total), power
  // factors, frequency, energies (combined active = forward + reverse) and, with a clock, the
  // date and time identifiers, all consistent with each other.
  void set_three_phase(const Address& address, const ThreePhase& snapshot);
  void set_password(std::uint32_t password) { password_ = password; }  // 0xPAP2P1P0
  std::optional<tsdb::Value> value(const Address& address, DataId id) const;

  // Sans-I/O: the reply to one request frame, or nothing (broadcast, other address, a reply).
  std::optional<Frame> handle(const Frame& request);

  // Appends received bytes to `buffer` and returns the reply bytes for every complete request
  // in it (corrupt frames are dropped and counted, as a meter does).
  std::string feed(std::vector<std::byte>& buffer, std::span<const std::byte> bytes);

  // Accepts connections until the acceptor closes or stop() is called.
  asio::awaitable<void> serve(asio::ip::tcp::acceptor& acceptor);
  // Serves one stream (a pty master standing in for the RS-485 line) until it closes.
  asio::awaitable<void> serve_stream(asio::posix::stream_descriptor& stream);
  void stop();

  std::uint64_t requests() const { return requests_; }
  std::uint64_t bad_frames() const { return bad_frames_; }

 private:
  asio::awaitable<void> session(std::shared_ptr<asio::ip::tcp::socket> socket);
  std::optional<tsdb::Value> lookup(const Address& address, DataId id) const;
  Frame answer_read(const Address& address, const Frame& request) const;
  Frame answer_write(const Address& address, const Frame& request);

  std::size_t preamble_;
  mutable std::mutex mu_;  // guards meters_, provider_, password_
  std::map<std::array<std::uint8_t, 6>, std::map<DataId, tsdb::Value>> meters_;
  Provider provider_;
  std::uint32_t password_ = 0x02000000;
  std::atomic<std::uint64_t> requests_{0}, bad_frames_{0};
  asio::ip::tcp::acceptor* acceptor_ = nullptr;
  std::set<std::shared_ptr<asio::ip::tcp::socket>> sockets_;
  bool stopped_ = false;
};

}  // namespace kaiwu::drivers::dlt645
