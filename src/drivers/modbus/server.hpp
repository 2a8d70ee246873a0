// A Modbus server (slave) for the virtual factory (sim/) and for tests: serves RegisterMaps by
// unit id over Modbus TCP (MBAP), RTU over TCP, or RTU on a serial line, with the same codec as
// the client driver.
//
// Threads: a ModbusServer runs on the one executor it was constructed with (use a
// single-threaded io_context or a strand); listen()/open_serial()/stop() are called on that
// executor's thread or before it runs. RegisterMap is thread-safe (one mutex per map), so a
// simulator may update values from any thread while the server answers requests.
//
// Behaviour (Application Protocol V1.1b3 §7): an unsupported function code gets exception 1,
// an address range outside the map exception 2, a malformed quantity/byte count exception 3.
// Over TCP a unit without a map gets exception 0x0B; over RTU it gets no answer (another
// slave on the line may own it), nor does a broadcast (unit 0) write or a frame with a CRC
// error (Serial Line V1.02 §2.4.1).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/modbus/client.hpp"
#include "drivers/modbus/codec.hpp"
#include "drivers/modbus/points.hpp"
#include "drivers/modbus/register_map.hpp"
#include "drivers/point.hpp"

namespace kaiwu::drivers::modbus {

class ModbusServer {
 public:
  struct Options {
    Framing framing = Framing::kTcp;  // kTcp = MBAP; kRtu = RTU frames (over TCP or serial)
    std::size_t max_connections = 256;
  };
  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t exceptions = 0;
    std::uint64_t malformed = 0;  // dropped frames (CRC, framing)
    std::uint64_t connections = 0;  // open now
  };

  ModbusServer(asio::any_io_executor executor, Options options);
  ~ModbusServer();
  ModbusServer(const ModbusServer&) = delete;
  ModbusServer& operator=(const ModbusServer&) = delete;

  void add_unit(std::uint8_t unit, std::shared_ptr<RegisterMap> map);
  // Answers every unit without a map of its own (a TCP device usually ignores the unit id).
  void set_default(std::shared_ptr<RegisterMap> map);

  // Listens on "host:port" (port 0 picks a free one) and returns the bound port.
  // kUnavailable when the address cannot be bound.
  Result<std::uint16_t> listen(std::string_view host_port);
  // Serves RTU on a serial device ("/dev/ttyUSB0?baud=9600&parity=E", see make_transport).
  Status open_serial(std::string_view device);
  // Closes the listener and every connection; sessions end on the executor. Idempotent.
  void stop();

  Stats stats() const;

  struct State;

 private:
  asio::any_io_executor ex_;
  std::shared_ptr<State> state_;
};

}  // namespace kaiwu::drivers::modbus
