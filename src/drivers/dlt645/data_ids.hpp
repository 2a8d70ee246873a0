// DL/T 645-2007 data identifiers (附录A 数据编码表) and their value formats: BCD, signed BCD
// (highest bit of the most significant byte is the sign, per the notes of 附录A), fixed decimal
// places, dates and times. Sans-I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/dlt645/codec.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::drivers::dlt645 {

enum class ValueKind : std::uint8_t {
  kNumber,    // BCD with `decimals` places, optionally signed
  kDate,      // YYMMDDWW (04-00-01-01): "2026-11-26" (the weekday byte is checked, not kept)
  kTime,      // hhmmss (04-00-01-02): "13:45:00"
  kDigits,    // BCD digits kept as text (04-00-04-01 communication address)
};

struct DataFormat {
  DataId id = 0;
  std::string_view name;  // English, for logs and the console
  ValueKind kind = ValueKind::kNumber;
  std::uint8_t bytes = 0;     // value bytes in a response
  std::uint8_t decimals = 0;  // XXX.X → 1
  bool is_signed = false;
  std::string_view unit;
};

// The format of a data identifier: the table of common identifiers, including the energy
// family 00-xx-xx-00 (any tariff, current and settled months). nullopt for others.
std::optional<DataFormat> find_format(DataId id);

// Value bytes (low byte first, already −33H) → engineering value per `format`: a double for
// numbers (signed BCD as negative), a string for dates, times and digit strings.
// kInvalidArgument when a nibble is not a decimal digit (meters send FF… for "no value").
Result<tsdb::Value> decode_value(const DataFormat& format, std::span<const std::uint8_t> bytes);

// 附录A: FF in one of DI2, DI1 or DI0 asks for the block of the items that byte enumerates
// (02-01-FF-00 voltages of phases A, B, C; 02-03-FF-00 total, A, B, C power; 00-01-FF-00 forward
// active energy total and tariffs 1…n; 00-01-00-FF current and settled months). The reply is the
// items' values concatenated in order, as many as the meter has (tariffs).
struct BlockItem {
  DataFormat format;  // of the element identifier (FF replaced by its index)
  tsdb::Value value;
};
bool is_block(DataId id);  // exactly one of DI2, DI1, DI0 is FF
// kInvalidArgument for an identifier that is not a known block, non-BCD bytes, or bytes left
// over that do not make a whole element.
Result<std::vector<BlockItem>> decode_block(DataId block, std::span<const std::uint8_t> bytes);
// The block a known element belongs to for a read of several items at once: its DI1 (phase,
// tariff) replaced by FF (02-01-02-00 → 02-01-FF-00). nullopt when the element has no block.
std::optional<DataId> block_of(DataId element);

// Unsigned BCD of any length → integer (for identifiers missing from the table).
Result<std::uint64_t> decode_bcd(std::span<const std::uint8_t> bytes);

// Engineering value → value bytes (low byte first): rounds to the format's decimals;
// kInvalidArgument when out of range (or negative for an unsigned format).
Result<std::vector<std::uint8_t>> encode_value(const DataFormat& format, double value);
// Date/time/digit text → value bytes ("2026-11-26", "13:45:00", "123456789012").
Result<std::vector<std::uint8_t>> encode_text(const DataFormat& format, std::string_view text);

}  // namespace kaiwu::drivers::dlt645
