// Modbus point addresses and read planning (no I/O): which table and register a point lives in,
// how many registers or bits it spans, how points are grouped into as few requests as the
// limits allow, and how values are sliced back out of a response.
//
// Address syntax (register numbers are 0-based, as on the wire):
//   co:N  coil (FC 1/5/15)          di:N  discrete input (FC 2)
//   ir:N  input register (FC 4)     hr:N  holding register (FC 3/6/16)
//   hr:N.B / ir:N.B  bit B (0 = least significant) of a register, for bool points
// Modicon notation is accepted too, 1-based: 5 digits 00001-09999 (coils), 10001-19999,
// 30001-39999, 40001-49999, or 6 digits 000001-065536, 100001-165536, 300001-365536,
// 400001-465536; so 40001 is hr:0. A ".B" bit suffix works with both.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/modbus/codec.hpp"
#include "drivers/point.hpp"

namespace kaiwu::drivers::modbus {

enum class Table : std::uint8_t { kCoil, kDiscreteInput, kInputRegister, kHoldingRegister };

std::string_view table_prefix(Table t);  // "co", "di", "ir", "hr"
inline bool is_bit_table(Table t) { return t == Table::kCoil || t == Table::kDiscreteInput; }
Function read_function(Table t);

struct Address {
  Table table = Table::kHoldingRegister;
  std::uint16_t offset = 0;
  std::optional<std::uint8_t> bit;  // registers only: bit 0-15
};

// kInvalidArgument with the accepted syntax in the message.
Result<Address> parse_address(std::string_view text);

// A point resolved to its place on the device: `count` is registers (or bits for coils and
// discrete inputs) the point occupies.
struct Location {
  Address address;
  std::uint16_t count = 1;
};

// Checks the point's address against its type (coils and discrete inputs are bool; a bit
// suffix needs bool; strings need a length; the span must end by 65535); the error names the point.
Result<Location> locate(const PointConfig& point);

struct PlanOptions {
  std::uint16_t max_gap_registers = 10;  // unused registers a request may read to join two points
  std::uint16_t max_gap_bits = 64;
  std::uint16_t max_registers = kMaxReadRegisters;  // devices with smaller limits lower these
  std::uint16_t max_bits = kMaxReadBits;
};

// One read request and the points it serves (indexes into the planned span).
struct Batch {
  Table table = Table::kHoldingRegister;
  std::uint16_t start = 0;
  std::uint16_t count = 0;
  std::vector<std::size_t> points;
};

struct ReadPlan {
  std::vector<Batch> batches;
  std::vector<Location> locations;          // per point (valid where errors[i] is empty)
  std::vector<std::optional<Error>> errors;  // per point: the address or type is unusable
};

// Groups points by table, sorts them by address and merges neighbours whose combined span stays
// within the limit and whose gap is at most the configured maximum.
ReadPlan plan_reads(std::span<const PointConfig> points, const PlanOptions& options);

Request read_request(const Batch& batch);

// The engineering value of `point` at `location` from the data of a successful read of `batch`
// (registers for register tables, bits for coil tables).
Result<tsdb::Value> extract(const PointConfig& point, const Location& location, const Batch& batch,
                            const Response& response);

// The registers to write for a register point (for a bit point, the caller merges into the
// current register), from an engineering value.
Result<std::vector<std::uint16_t>> registers_for(const PointConfig& point, const Location& location,
                                                 const tsdb::Value& engineering);

}  // namespace kaiwu::drivers::modbus
