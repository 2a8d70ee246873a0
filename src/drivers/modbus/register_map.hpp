// The data of one simulated Modbus device: its four tables (Application Protocol V1.1b3 §4.3)
// and the execution of requests against them. No I/O; thread-safe (one mutex per map), so a
// simulator may update values from any thread while a ModbusServer answers requests.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "drivers/modbus/codec.hpp"
#include "drivers/modbus/points.hpp"
#include "drivers/point.hpp"

namespace kaiwu::drivers::modbus {

// The four Modbus tables of one device. Addresses are 0-based; each table has a fixed size.
class RegisterMap {
 public:
  struct Sizes {
    std::uint32_t coils = 10000;
    std::uint32_t discrete_inputs = 10000;
    std::uint32_t input_registers = 10000;
    std::uint32_t holding_registers = 10000;
  };
  // Called after a client wrote [start, start + count) of a table, outside the map's lock, on
  // the server's executor.
  using WriteObserver = std::function<void(Table table, std::uint16_t start, std::uint16_t count)>;

  RegisterMap() : RegisterMap(Sizes{}) {}
  explicit RegisterMap(Sizes sizes);

  // kInvalidArgument when the range leaves the table (bit tables take set_bits, register
  // tables set_registers).
  Status set_registers(Table table, std::uint16_t start, std::span<const std::uint16_t> values);
  Result<std::vector<std::uint16_t>> registers(Table table, std::uint16_t start, std::uint16_t count) const;
  Status set_bits(Table table, std::uint16_t start, const std::vector<bool>& values);
  Result<std::vector<bool>> bits(Table table, std::uint16_t start, std::uint16_t count) const;

  // Typed access for simulators: the value's raw bytes in `order` (encode_bytes), written at
  // `start` of a register table; a bool goes to a bit table as one bit, to a register as 0/1.
  Status set_value(Table table, std::uint16_t start, DataType type, ByteOrder order, const tsdb::Value& value,
                   std::size_t string_length = 0);
  Result<tsdb::Value> value(Table table, std::uint16_t start, DataType type, ByteOrder order,
                            std::size_t string_length = 0) const;

  // The simulator's view of a point configured as on the edge (address such as "hr:10.3" or
  // "40001", type, byte order, scale/offset, length): set and read in engineering units.
  // kInvalidArgument for a bad address, a value that does not fit, or a range outside the map.
  Status set_point(const PointConfig& point, const tsdb::Value& engineering);
  Result<tsdb::Value> point_value(const PointConfig& point) const;

  void set_write_observer(WriteObserver observer);  // before serving

  // Executes one request (the write of FC 23 before its read, §6.17); exception responses for
  // ranges outside the tables.
  Response handle(const Request& request);

 private:
  std::vector<std::uint16_t>* register_table(Table t);
  const std::vector<std::uint16_t>* register_table(Table t) const;
  std::vector<bool>* bit_table(Table t);
  const std::vector<bool>* bit_table(Table t) const;
  std::optional<std::uint8_t> handle_locked(const Request& r, Response& out);

  mutable std::mutex mutex_;
  std::vector<bool> coils_, discrete_inputs_;                        // guarded by mutex_
  std::vector<std::uint16_t> input_registers_, holding_registers_;  // guarded by mutex_
  WriteObserver observer_;
};

}  // namespace kaiwu::drivers::modbus
