// Point configuration shared by every driver (DESIGN.md "Edge configuration"): where a value
// lives on the device (address, driver-specific), how its bytes are laid out, and how the raw
// value becomes an engineering value (scale, offset, unit). No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::drivers {

enum class DataType : std::uint8_t {
  kBool, kInt16, kUint16, kInt32, kUint32, kInt64, kUint64, kFloat32, kFloat64, kString,
};

// Byte order of a multi-byte value as the letters of its big-endian bytes on the wire:
// ABCD = big-endian (Modbus default), DCBA = little-endian, BADC = bytes swapped in each 16-bit
// word, CDAB = 16-bit words swapped. For 64-bit values the same pattern extends to 8 bytes.
enum class ByteOrder : std::uint8_t { kABCD, kBADC, kCDAB, kDCBA };

Result<DataType> parse_data_type(std::string_view name);  // "uint16", "float32", …
std::string_view data_type_name(DataType type);
Result<ByteOrder> parse_byte_order(std::string_view name);  // "ABCD" | "BADC" | "CDAB" | "DCBA"
std::string_view byte_order_name(ByteOrder order);
std::size_t data_type_bytes(DataType type);  // 0 for kString (its length is configured)

struct PointConfig {
  std::string key;      // telemetry key on the platform
  std::string address;  // driver-specific ("hr:0", "ns=2;s=Speed", "02-01-01-00", "a34004-Rtd")
  DataType type = DataType::kFloat64;
  ByteOrder order = ByteOrder::kABCD;
  double scale = 1.0;
  double offset = 0.0;
  std::string unit;
  std::optional<double> deadband;  // report only changes beyond this (edge applies it)
  bool writable = false;
  std::uint16_t length = 0;  // kString: bytes (Modbus: rounded up to whole registers)
  std::uint32_t interval_ms = 0;  // 0: the device's interval

  bool operator==(const PointConfig&) const = default;
};

// Raw device value → engineering value: value * scale + offset. Integers stay integers when
// scale is 1 and offset 0; otherwise the result is a double. Bool and string pass through.
tsdb::Value to_engineering(const PointConfig& point, const tsdb::Value& raw);

// The inverse for writes: (value - offset) / scale, rounded for integer types, checked
// against the type's range. kInvalidArgument names the point when out of range or mistyped.
Result<tsdb::Value> to_raw(const PointConfig& point, const tsdb::Value& engineering);

// Bytes in wire order (big-endian, as the device sends them) → value, applying `order`.
// `bytes` must hold data_type_bytes(type) bytes (or point.length for strings).
Result<tsdb::Value> decode_bytes(DataType type, ByteOrder order, std::span<const std::byte> bytes);
// Value → bytes in wire order; the inverse of decode_bytes.
Result<std::string> encode_bytes(DataType type, ByteOrder order, const tsdb::Value& value,
                                 std::size_t string_length = 0);

// Deadband filter: true when `value` differs from `last` by more than the point's deadband
// (always true without a deadband, for a first value, or for a change of non-numeric value).
bool beyond_deadband(const PointConfig& point, const std::optional<tsdb::Value>& last,
                     const tsdb::Value& value);

}  // namespace kaiwu::drivers
