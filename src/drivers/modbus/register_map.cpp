#include "drivers/modbus/register_map.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kaiwu::drivers::modbus {

RegisterMap::RegisterMap(Sizes s)
    : coils_(s.coils), discrete_inputs_(s.discrete_inputs), input_registers_(s.input_registers),
      holding_registers_(s.holding_registers) {}

std::vector<std::uint16_t>* RegisterMap::register_table(Table t) {
  return t == Table::kHoldingRegister ? &holding_registers_ : t == Table::kInputRegister ? &input_registers_ : nullptr;
}
const std::vector<std::uint16_t>* RegisterMap::register_table(Table t) const {
  return const_cast<RegisterMap*>(this)->register_table(t);
}
std::vector<bool>* RegisterMap::bit_table(Table t) {
  return t == Table::kCoil ? &coils_ : t == Table::kDiscreteInput ? &discrete_inputs_ : nullptr;
}
const std::vector<bool>* RegisterMap::bit_table(Table t) const { return const_cast<RegisterMap*>(this)->bit_table(t); }

namespace {
std::unexpected<Error> out_of_range(Table t, std::uint32_t start, std::size_t count) {
  return fail(Errc::kInvalidArgument, fmt::format("{}:{} + {} is outside the map", table_prefix(t), start, count));
}
}  // namespace

Status RegisterMap::set_registers(Table t, std::uint16_t start, std::span<const std::uint16_t> values) {
  std::lock_guard lock(mutex_);
  auto* table = register_table(t);
  if (!table || start + values.size() > table->size()) return out_of_range(t, start, values.size());
  std::copy(values.begin(), values.end(), table->begin() + start);
  return ok();
}

Result<std::vector<std::uint16_t>> RegisterMap::registers(Table t, std::uint16_t start, std::uint16_t count) const {
  std::lock_guard lock(mutex_);
  const auto* table = register_table(t);
  if (!table || start + std::size_t{count} > table->size()) return out_of_range(t, start, count);
  return std::vector<std::uint16_t>(table->begin() + start, table->begin() + start + count);
}

Status RegisterMap::set_bits(Table t, std::uint16_t start, const std::vector<bool>& values) {
  std::lock_guard lock(mutex_);
  auto* table = bit_table(t);
  if (!table || start + values.size() > table->size()) return out_of_range(t, start, values.size());
  for (std::size_t i = 0; i < values.size(); ++i) (*table)[start + i] = values[i];
  return ok();
}

Result<std::vector<bool>> RegisterMap::bits(Table t, std::uint16_t start, std::uint16_t count) const {
  std::lock_guard lock(mutex_);
  const auto* table = bit_table(t);
  if (!table || start + std::size_t{count} > table->size()) return out_of_range(t, start, count);
  return std::vector<bool>(table->begin() + start, table->begin() + start + count);
}

Status RegisterMap::set_value(Table t, std::uint16_t start, DataType type, ByteOrder order, const tsdb::Value& value,
                              std::size_t string_length) {
  if (is_bit_table(t)) {
    if (type != DataType::kBool) return fail(Errc::kInvalidArgument, "bit tables hold bool values");
    auto* b = std::get_if<bool>(&value);
    if (!b) return fail(Errc::kInvalidArgument, "a bool point takes a bool");
    return set_bits(t, start, {*b});
  }
  std::string bytes;
  if (type == DataType::kBool) {
    auto* b = std::get_if<bool>(&value);
    if (!b) return fail(Errc::kInvalidArgument, "a bool point takes a bool");
    bytes = std::string("\0", 1) + (*b ? '\1' : '\0');
  } else {
    bytes = KAIWU_TRY(encode_bytes(type, order, value, (string_length + 1) / 2 * 2));
  }
  std::vector<std::uint16_t> regs(bytes.size() / 2);
  for (std::size_t i = 0; i < regs.size(); ++i)
    regs[i] = static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[2 * i]) << 8 | static_cast<std::uint8_t>(bytes[2 * i + 1]));
  return set_registers(t, start, regs);
}

Result<tsdb::Value> RegisterMap::value(Table t, std::uint16_t start, DataType type, ByteOrder order,
                                       std::size_t string_length) const {
  if (is_bit_table(t)) {
    auto b = KAIWU_TRY(bits(t, start, 1));
    return tsdb::Value{static_cast<bool>(b[0])};
  }
  PointConfig p{.key = "value", .type = type, .order = order, .length = static_cast<std::uint16_t>(string_length)};
  const std::uint16_t count = type == DataType::kString ? static_cast<std::uint16_t>((string_length + 1) / 2)
                              : type == DataType::kBool  ? std::uint16_t{1}
                                                         : static_cast<std::uint16_t>(data_type_bytes(type) / 2);
  auto regs = KAIWU_TRY(registers(t, start, count));
  const Batch batch{.table = t, .start = start, .count = count};
  return extract(p, Location{.address = {.table = t, .offset = start}, .count = count}, batch,
                 Response{.registers = std::move(regs)});
}

Status RegisterMap::set_point(const PointConfig& point, const tsdb::Value& engineering) {
  const Location loc = KAIWU_TRY(locate(point));
  const Table t = loc.address.table;
  if (is_bit_table(t) || loc.address.bit) {
    const auto raw = KAIWU_TRY(to_raw(point, engineering));
    const bool on = std::get<bool>(raw);
    if (is_bit_table(t)) return set_bits(t, loc.address.offset, {on});
    std::lock_guard lock(mutex_);
    auto* table = register_table(t);
    if (loc.address.offset >= table->size()) return out_of_range(t, loc.address.offset, 1);
    auto& reg = (*table)[loc.address.offset];
    const auto mask = static_cast<std::uint16_t>(1u << *loc.address.bit);
    reg = on ? static_cast<std::uint16_t>(reg | mask) : static_cast<std::uint16_t>(reg & ~mask);
    return ok();
  }
  const auto regs = KAIWU_TRY(registers_for(point, loc, engineering));
  return set_registers(t, loc.address.offset, regs);
}

Result<tsdb::Value> RegisterMap::point_value(const PointConfig& point) const {
  const Location loc = KAIWU_TRY(locate(point));
  const Table t = loc.address.table;
  const Batch batch{.table = t, .start = loc.address.offset, .count = loc.count};
  Response r;
  if (is_bit_table(t)) {
    r.bits = KAIWU_TRY(bits(t, loc.address.offset, loc.count));
  } else {
    r.registers = KAIWU_TRY(registers(t, loc.address.offset, loc.count));
  }
  return extract(point, loc, batch, r);
}

void RegisterMap::set_write_observer(WriteObserver observer) { observer_ = std::move(observer); }

std::optional<std::uint8_t> RegisterMap::handle_locked(const Request& r, Response& out) {
  constexpr std::uint8_t kAddress = static_cast<std::uint8_t>(ExceptionCode::kIllegalDataAddress);
  auto fits = [](std::size_t size, std::uint32_t start, std::size_t count) { return start + count <= size; };
  switch (r.function) {
    case Function::kReadCoils:
    case Function::kReadDiscreteInputs: {
      const auto& t = r.function == Function::kReadCoils ? coils_ : discrete_inputs_;
      if (!fits(t.size(), r.address, r.quantity)) return kAddress;
      out.bits.assign(t.begin() + r.address, t.begin() + r.address + r.quantity);
      return std::nullopt;
    }
    case Function::kReadHoldingRegisters:
    case Function::kReadInputRegisters: {
      const auto& t = r.function == Function::kReadHoldingRegisters ? holding_registers_ : input_registers_;
      if (!fits(t.size(), r.address, r.quantity)) return kAddress;
      out.registers.assign(t.begin() + r.address, t.begin() + r.address + r.quantity);
      return std::nullopt;
    }
    case Function::kWriteSingleCoil:
    case Function::kWriteMultipleCoils:
      if (!fits(coils_.size(), r.address, r.bits.size())) return kAddress;
      for (std::size_t i = 0; i < r.bits.size(); ++i) coils_[r.address + i] = r.bits[i];
      out.address = r.address;
      out.bits = r.function == Function::kWriteSingleCoil ? r.bits : std::vector<bool>{};
      out.quantity = static_cast<std::uint16_t>(r.bits.size());
      return std::nullopt;
    case Function::kWriteSingleRegister:
    case Function::kWriteMultipleRegisters:
      if (!fits(holding_registers_.size(), r.address, r.registers.size())) return kAddress;
      std::copy(r.registers.begin(), r.registers.end(), holding_registers_.begin() + r.address);
      out.address = r.address;
      out.registers = r.function == Function::kWriteSingleRegister ? r.registers : std::vector<std::uint16_t>{};
      out.quantity = static_cast<std::uint16_t>(r.registers.size());
      return std::nullopt;
    case Function::kReadWriteMultipleRegisters:  // §6.17: the write is performed before the read
      if (!fits(holding_registers_.size(), r.write_address, r.registers.size()) ||
          !fits(holding_registers_.size(), r.address, r.quantity))
        return kAddress;
      std::copy(r.registers.begin(), r.registers.end(), holding_registers_.begin() + r.write_address);
      out.registers.assign(holding_registers_.begin() + r.address, holding_registers_.begin() + r.address + r.quantity);
      return std::nullopt;
  }
  return static_cast<std::uint8_t>(ExceptionCode::kIllegalFunction);
}

Response RegisterMap::handle(const Request& r) {
  Response out{.function = r.function};
  {
    std::lock_guard lock(mutex_);
    out.exception = handle_locked(r, out);
  }
  if (!out.exception && observer_) {
    switch (r.function) {
      case Function::kWriteSingleCoil:
      case Function::kWriteMultipleCoils:
        observer_(Table::kCoil, r.address, static_cast<std::uint16_t>(r.bits.size()));
        break;
      case Function::kWriteSingleRegister:
      case Function::kWriteMultipleRegisters:
        observer_(Table::kHoldingRegister, r.address, static_cast<std::uint16_t>(r.registers.size()));
        break;
      case Function::kReadWriteMultipleRegisters:
        observer_(Table::kHoldingRegister, r.write_address, static_cast<std::uint16_t>(r.registers.size()));
        break;
      default: break;
    }
  }
  return out;
}

}  // namespace kaiwu::drivers::modbus
