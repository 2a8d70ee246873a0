#include "drivers/modbus/points.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace kaiwu::drivers::modbus {

namespace {

constexpr std::string_view kSyntax =
    "co:N, di:N, ir:N, hr:N (0-based), hr:N.B for a bit, or Modicon 00001/10001/30001/40001";

std::unexpected<Error> bad_address(std::string_view text, std::string_view why) {
  return fail(Errc::kInvalidArgument, fmt::format("modbus address '{}': {} (use {})", text, why, kSyntax));
}

std::optional<std::uint32_t> number(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<Address> parse_modicon(std::string_view text, std::string_view digits) {
  if ((digits.size() != 5 && digits.size() != 6) ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad_address(text, "unknown form");
  Address a;
  switch (digits[0]) {
    case '0': a.table = Table::kCoil; break;
    case '1': a.table = Table::kDiscreteInput; break;
    case '3': a.table = Table::kInputRegister; break;
    case '4': a.table = Table::kHoldingRegister; break;
    default: return bad_address(text, "Modicon addresses start with 0, 1, 3 or 4");
  }
  const std::uint32_t n = *number(digits.substr(1));
  const std::uint32_t max = digits.size() == 5 ? 9999 : 65536;
  if (n < 1 || n > max) return bad_address(text, fmt::format("Modicon register must be 1..{}", max));
  a.offset = static_cast<std::uint16_t>(n - 1);
  return a;
}

std::uint16_t string_registers(const PointConfig& p) { return static_cast<std::uint16_t>((p.length + 1u) / 2u); }

}  // namespace

std::string_view table_prefix(Table t) {
  switch (t) {
    case Table::kCoil: return "co";
    case Table::kDiscreteInput: return "di";
    case Table::kInputRegister: return "ir";
    case Table::kHoldingRegister: return "hr";
  }
  return "?";
}

Function read_function(Table t) {
  switch (t) {
    case Table::kCoil: return Function::kReadCoils;
    case Table::kDiscreteInput: return Function::kReadDiscreteInputs;
    case Table::kInputRegister: return Function::kReadInputRegisters;
    case Table::kHoldingRegister: return Function::kReadHoldingRegisters;
  }
  return Function::kReadHoldingRegisters;
}

Result<Address> parse_address(std::string_view text) {
  std::string_view main = text;
  std::optional<std::uint8_t> bit;
  if (const auto dot = text.find('.'); dot != std::string_view::npos) {
    main = text.substr(0, dot);
    const auto b = number(text.substr(dot + 1));
    if (!b || *b > 15) return bad_address(text, "bit must be 0..15");
    bit = static_cast<std::uint8_t>(*b);
  }
  Address a;
  const auto colon = main.find(':');
  if (colon == std::string_view::npos) {
    a = KAIWU_TRY(parse_modicon(text, main));
  } else {
    const std::string_view prefix = main.substr(0, colon);
    bool found = false;
    for (Table t : {Table::kCoil, Table::kDiscreteInput, Table::kInputRegister, Table::kHoldingRegister}) {
      if (prefix == table_prefix(t)) {
        a.table = t;
        found = true;
      }
    }
    if (!found) return bad_address(text, fmt::format("unknown table '{}'", prefix));
    const auto n = number(main.substr(colon + 1));
    if (!n || *n > 65535) return bad_address(text, "register must be 0..65535");
    a.offset = static_cast<std::uint16_t>(*n);
  }
  if (bit && is_bit_table(a.table)) return bad_address(text, "coils and discrete inputs have no bits");
  a.bit = bit;
  return a;
}

Result<Location> locate(const PointConfig& p) {
  auto a = parse_address(p.address);
  if (!a) return fail(Errc::kInvalidArgument, fmt::format("point '{}': {}", p.key, a.error().message));
  Location loc{.address = *a, .count = 1};
  auto wrong = [&](std::string_view why) {
    return fail(Errc::kInvalidArgument, fmt::format("point '{}' ({}): {}", p.key, p.address, why));
  };
  if (is_bit_table(a->table)) {
    if (p.type != DataType::kBool) return wrong("coils and discrete inputs hold bool values");
  } else if (a->bit) {
    if (p.type != DataType::kBool) return wrong("a register bit holds a bool value");
  } else if (p.type == DataType::kString) {
    if (p.length == 0) return wrong("a string point needs a length in bytes");
    if (p.length > kMaxReadRegisters * 2) return wrong("a string is at most 250 bytes");
    loc.count = string_registers(p);
  } else if (p.type != DataType::kBool) {
    loc.count = static_cast<std::uint16_t>(data_type_bytes(p.type) / 2);
  }
  if (a->offset + loc.count > 0x10000) return wrong("runs past register 65535");
  return loc;
}

ReadPlan plan_reads(std::span<const PointConfig> points, const PlanOptions& o) {
  ReadPlan plan;
  plan.locations.resize(points.size());
  plan.errors.resize(points.size());
  std::map<Table, std::vector<std::size_t>> by_table;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto loc = locate(points[i]);
    if (!loc) {
      plan.errors[i] = loc.error();
      continue;
    }
    plan.locations[i] = *loc;
    by_table[loc->address.table].push_back(i);
  }
  for (auto& [table, idx] : by_table) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) {
      return plan.locations[x].address.offset < plan.locations[y].address.offset;
    });
    const bool bits = is_bit_table(table);
    const std::uint32_t max = std::max<std::uint32_t>(1, bits ? o.max_bits : o.max_registers);
    const std::uint32_t gap = bits ? o.max_gap_bits : o.max_gap_registers;
    Batch* cur = nullptr;
    std::uint32_t end = 0;
    for (std::size_t i : idx) {
      const std::uint32_t start = plan.locations[i].address.offset;
      const std::uint32_t stop = start + plan.locations[i].count;
      if (cur && start <= end + gap && std::max(end, stop) - cur->start <= max) {
        end = std::max(end, stop);
      } else {
        plan.batches.push_back(Batch{.table = table, .start = static_cast<std::uint16_t>(start)});
        cur = &plan.batches.back();
        end = stop;
      }
      cur->count = static_cast<std::uint16_t>(end - cur->start);
      cur->points.push_back(i);
    }
  }
  return plan;
}

Request read_request(const Batch& b) {
  return Request{.function = read_function(b.table), .address = b.start, .quantity = b.count};
}

Result<tsdb::Value> extract(const PointConfig& p, const Location& loc, const Batch& b, const Response& r) {
  const std::size_t rel = loc.address.offset - b.start;
  if (is_bit_table(loc.address.table)) {
    if (rel >= r.bits.size()) return fail(Errc::kInternal, "point outside the batch");
    return tsdb::Value{static_cast<bool>(r.bits[rel])};
  }
  if (rel + loc.count > r.registers.size()) return fail(Errc::kInternal, "point outside the batch");
  const std::uint16_t first = r.registers[rel];
  if (loc.address.bit) return tsdb::Value{((first >> *loc.address.bit) & 1u) != 0};
  if (p.type == DataType::kBool) return tsdb::Value{first != 0};
  std::string bytes;
  bytes.reserve(loc.count * 2u);
  for (std::size_t i = 0; i < loc.count; ++i) {
    bytes.push_back(static_cast<char>(r.registers[rel + i] >> 8));
    bytes.push_back(static_cast<char>(r.registers[rel + i] & 0xff));
  }
  auto raw = KAIWU_TRY(decode_bytes(p.type, p.order, as_bytes(bytes)));
  if (auto* s = std::get_if<std::string>(&raw); s && s->size() > p.length) s->resize(p.length);
  return to_engineering(p, raw);
}

Result<std::vector<std::uint16_t>> registers_for(const PointConfig& p, const Location& loc,
                                                 const tsdb::Value& engineering) {
  auto raw = KAIWU_TRY(to_raw(p, engineering));
  if (p.type == DataType::kBool) return std::vector<std::uint16_t>{std::get<bool>(raw) ? std::uint16_t{1} : std::uint16_t{0}};
  if (auto* s = std::get_if<std::string>(&raw); s && s->size() > p.length)
    return fail(Errc::kInvalidArgument, fmt::format("point '{}': string longer than {} bytes", p.key, p.length));
  auto bytes = encode_bytes(p.type, p.order, raw, loc.count * 2u);
  if (!bytes) return fail(Errc::kInvalidArgument, fmt::format("point '{}': {}", p.key, bytes.error().message));
  std::vector<std::uint16_t> regs(loc.count);
  for (std::size_t i = 0; i < regs.size(); ++i)
    regs[i] = static_cast<std::uint16_t>(static_cast<std::uint8_t>((*bytes)[2 * i]) << 8 |
                                         static_cast<std::uint8_t>((*bytes)[2 * i + 1]));
  return regs;
}

}  // namespace kaiwu::drivers::modbus
