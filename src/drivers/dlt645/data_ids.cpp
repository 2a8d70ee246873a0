#include "drivers/dlt645/data_ids.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdio>

namespace kaiwu::drivers::dlt645 {

namespace {

// 附录A: 变量数据标识编码表 and 参变量数据标识编码表 (common items).
constexpr std::array<DataFormat, 36> kTable{{
    {0x02010100, "phase A voltage", ValueKind::kNumber, 2, 1, false, "V"},
    {0x02010200, "phase B voltage", ValueKind::kNumber, 2, 1, false, "V"},
    {0x02010300, "phase C voltage", ValueKind::kNumber, 2, 1, false, "V"},
    {0x02020100, "phase A current", ValueKind::kNumber, 3, 3, true, "A"},
    {0x02020200, "phase B current", ValueKind::kNumber, 3, 3, true, "A"},
    {0x02020300, "phase C current", ValueKind::kNumber, 3, 3, true, "A"},
    {0x02030000, "total active power", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02030100, "phase A active power", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02030200, "phase B active power", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02030300, "phase C active power", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02040000, "total reactive power", ValueKind::kNumber, 3, 4, true, "kvar"},
    {0x02040100, "phase A reactive power", ValueKind::kNumber, 3, 4, true, "kvar"},
    {0x02040200, "phase B reactive power", ValueKind::kNumber, 3, 4, true, "kvar"},
    {0x02040300, "phase C reactive power", ValueKind::kNumber, 3, 4, true, "kvar"},
    {0x02050000, "total apparent power", ValueKind::kNumber, 3, 4, true, "kVA"},
    {0x02050100, "phase A apparent power", ValueKind::kNumber, 3, 4, true, "kVA"},
    {0x02050200, "phase B apparent power", ValueKind::kNumber, 3, 4, true, "kVA"},
    {0x02050300, "phase C apparent power", ValueKind::kNumber, 3, 4, true, "kVA"},
    {0x02060000, "total power factor", ValueKind::kNumber, 2, 3, true, ""},
    {0x02060100, "phase A power factor", ValueKind::kNumber, 2, 3, true, ""},
    {0x02060200, "phase B power factor", ValueKind::kNumber, 2, 3, true, ""},
    {0x02060300, "phase C power factor", ValueKind::kNumber, 2, 3, true, ""},
    {0x02070100, "phase A angle", ValueKind::kNumber, 2, 1, false, "deg"},
    {0x02070200, "phase B angle", ValueKind::kNumber, 2, 1, false, "deg"},
    {0x02070300, "phase C angle", ValueKind::kNumber, 2, 1, false, "deg"},
    {0x02800001, "neutral current", ValueKind::kNumber, 3, 3, true, "A"},
    {0x02800002, "grid frequency", ValueKind::kNumber, 2, 2, false, "Hz"},
    {0x02800003, "one-minute average active power", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02800004, "active demand", ValueKind::kNumber, 3, 4, true, "kW"},
    {0x02800005, "reactive demand", ValueKind::kNumber, 3, 4, true, "kvar"},
    {0x02800006, "apparent demand", ValueKind::kNumber, 3, 4, true, "kVA"},
    {0x02800007, "meter temperature", ValueKind::kNumber, 2, 1, true, "degC"},
    {0x02800008, "clock battery voltage", ValueKind::kNumber, 2, 2, false, "V"},
    {0x04000101, "date and weekday", ValueKind::kDate, 4, 0, false, ""},
    {0x04000102, "time", ValueKind::kTime, 3, 0, false, ""},
    {0x04000401, "communication address", ValueKind::kDigits, 6, 0, false, ""},
}};

// 附录A 电能量数据标识编码表: DI3=00, DI2 = kind, DI1 = tariff (00 total, 01-3F),
// DI0 = settlement month (00 current, 01-0C). Every item XXXXXX.XX, 4 bytes; combined
// energies carry a sign in their highest bit.
struct EnergyKind {
  std::string_view name;
  std::string_view unit;
  bool is_signed;
};
constexpr std::array<EnergyKind, 11> kEnergy{{
    {"combined active energy", "kWh", true},
    {"forward active energy", "kWh", false},
    {"reverse active energy", "kWh", false},
    {"combined reactive energy 1", "kvarh", true},
    {"combined reactive energy 2", "kvarh", true},
    {"quadrant I reactive energy", "kvarh", false},
    {"quadrant II reactive energy", "kvarh", false},
    {"quadrant III reactive energy", "kvarh", false},
    {"quadrant IV reactive energy", "kvarh", false},
    {"forward apparent energy", "kVAh", false},
    {"reverse apparent energy", "kVAh", false},
}};

Result<int> bcd_byte(std::uint8_t b) {
  if ((b >> 4) > 9 || (b & 0x0F) > 9) return fail(Errc::kInvalidArgument, fmt::format("byte {:02X}H is not BCD", b));
  return (b >> 4) * 10 + (b & 0x0F);
}

std::uint8_t to_bcd(int v) { return static_cast<std::uint8_t>(((v / 10) % 10) << 4 | (v % 10)); }

Status check_length(const DataFormat& f, std::size_t n) {
  if (n != f.bytes)
    return fail(Errc::kInvalidArgument, fmt::format("{} ({}) must have {} value bytes, got {}", f.name,
                                                    data_id_text(f.id), f.bytes, n));
  return ok();
}

// Zeller-free weekday (0 = Sunday) for the YYMMDDWW check, as DL/T 645 numbers it.
int weekday(int y, int m, int d) {
  static constexpr int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) y -= 1;
  return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

}  // namespace

std::optional<DataFormat> find_format(DataId id) {
  for (const auto& f : kTable)
    if (f.id == id) return f;
  const unsigned di3 = id >> 24, di2 = (id >> 16) & 0xFF, di1 = (id >> 8) & 0xFF, di0 = id & 0xFF;
  if (di3 == 0x00 && di2 < kEnergy.size() && di1 <= 0x3F && di0 <= 0x0C) {
    const auto& e = kEnergy[di2];
    return DataFormat{id, e.name, ValueKind::kNumber, 4, 2, e.is_signed, e.unit};
  }
  return std::nullopt;
}

namespace {
int block_shift(DataId id) {
  int shift = -1, count = 0;
  for (int sh : {16, 8, 0})
    if (((id >> sh) & 0xFF) == 0xFF) {
      shift = sh;
      ++count;
    }
  return count == 1 && (id >> 24) != 0xFF ? shift : -1;
}
DataId with_byte(DataId id, int shift, unsigned v) {
  return (id & ~(DataId{0xFF} << shift)) | (static_cast<DataId>(v) << shift);
}
}  // namespace

bool is_block(DataId id) { return block_shift(id) >= 0; }

Result<std::vector<BlockItem>> decode_block(DataId block, std::span<const std::uint8_t> bytes) {
  const int shift = block_shift(block);
  if (shift < 0) return fail(Errc::kInvalidArgument, fmt::format("{} is not a block identifier", data_id_text(block)));
  // Blocks start at element 00 when it exists (totals), else at 01 (phases A, B, C).
  unsigned index = find_format(with_byte(block, shift, 0)) ? 0 : 1;
  if (!find_format(with_byte(block, shift, index)))
    return fail(Errc::kInvalidArgument, fmt::format("{}: no known elements", data_id_text(block)));
  std::vector<BlockItem> out;
  std::size_t at = 0;
  for (; index < 0xFF && at < bytes.size(); ++index) {
    auto f = find_format(with_byte(block, shift, index));
    if (!f) break;
    if (bytes.size() - at < f->bytes) break;
    auto v = decode_value(*f, bytes.subspan(at, f->bytes));
    if (!v)
      return fail(Errc::kInvalidArgument,
                  fmt::format("{} element {}: {}", data_id_text(block), data_id_text(f->id), v.error().message));
    out.push_back({*f, std::move(*v)});
    at += f->bytes;
  }
  if (at != bytes.size())
    return fail(Errc::kInvalidArgument, fmt::format("{}: {} bytes left over after {} elements", data_id_text(block),
                                                    bytes.size() - at, out.size()));
  return out;
}

std::optional<DataId> block_of(DataId element) {
  // Energies (DI3 00) and instantaneous variables (DI3 02) come in blocks by tariff or phase.
  if (!find_format(element) || is_block(element) || (element >> 24) > 0x02) return std::nullopt;
  DataId block = with_byte(element, 8, 0xFF);
  if (block == element || !find_format(with_byte(block, 8, 1))) return std::nullopt;
  return block;
}

Result<std::uint64_t> decode_bcd(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > 9) return fail(Errc::kInvalidArgument, "BCD value must have 1 to 9 bytes");
  std::uint64_t v = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) v = v * 100 + static_cast<std::uint64_t>(KAIWU_TRY(bcd_byte(bytes[i])));
  return v;
}

Result<tsdb::Value> decode_value(const DataFormat& f, std::span<const std::uint8_t> bytes) {
  KAIWU_TRY_STATUS(check_length(f, bytes.size()));
  switch (f.kind) {
    case ValueKind::kNumber: {
      std::vector<std::uint8_t> digits(bytes.begin(), bytes.end());
      bool negative = false;
      if (f.is_signed) {  // 附录A notes: 最高位为符号位, 0 正 1 负
        negative = (digits.back() & 0x80) != 0;
        digits.back() &= 0x7F;
      }
      const std::uint64_t magnitude = KAIWU_TRY(decode_bcd(digits));
      const double v = static_cast<double>(magnitude) / std::pow(10.0, f.decimals);
      return tsdb::Value(negative ? -v : v);
    }
    case ValueKind::kDate: {  // WW DD MM YY on the wire
      const int wd = KAIWU_TRY(bcd_byte(bytes[0])), d = KAIWU_TRY(bcd_byte(bytes[1]));
      const int m = KAIWU_TRY(bcd_byte(bytes[2])), y = KAIWU_TRY(bcd_byte(bytes[3]));
      if (m < 1 || m > 12 || d < 1 || d > 31 || wd > 6)
        return fail(Errc::kInvalidArgument, fmt::format("meter date {:02}-{:02}-{:02} weekday {} is invalid", y, m, d, wd));
      return tsdb::Value(fmt::format("{:04}-{:02}-{:02}", 2000 + y, m, d));
    }
    case ValueKind::kTime: {  // ss mm hh
      const int s = KAIWU_TRY(bcd_byte(bytes[0])), mi = KAIWU_TRY(bcd_byte(bytes[1])), h = KAIWU_TRY(bcd_byte(bytes[2]));
      if (h > 23 || mi > 59 || s > 59)
        return fail(Errc::kInvalidArgument, fmt::format("meter time {:02}:{:02}:{:02} is invalid", h, mi, s));
      return tsdb::Value(fmt::format("{:02}:{:02}:{:02}", h, mi, s));
    }
    case ValueKind::kDigits: {
      std::string out;
      for (std::size_t i = bytes.size(); i-- > 0;) out += fmt::format("{:02}", KAIWU_TRY(bcd_byte(bytes[i])));
      return tsdb::Value(out);
    }
  }
  return fail(Errc::kInternal, "unknown value kind");
}

Result<std::vector<std::uint8_t>> encode_value(const DataFormat& f, double value) {
  if (f.kind != ValueKind::kNumber)
    return fail(Errc::kInvalidArgument, fmt::format("{} is not a number", f.name));
  if (!std::isfinite(value)) return fail(Errc::kInvalidArgument, fmt::format("{}: value is not finite", f.name));
  if (value < 0 && !f.is_signed)
    return fail(Errc::kInvalidArgument, fmt::format("{} cannot be negative", f.name));
  const double scaled = std::round(std::fabs(value) * std::pow(10.0, f.decimals));
  // Signed formats keep the top bit for the sign: the top digit pair stays below 80.
  const double limit = std::pow(100.0, f.bytes) / (f.is_signed ? 1.25 : 1.0);
  if (scaled >= limit)
    return fail(Errc::kInvalidArgument, fmt::format("{} value {} does not fit {} BCD bytes", f.name, value, f.bytes));
  auto v = static_cast<std::uint64_t>(scaled);
  std::vector<std::uint8_t> out;
  for (int i = 0; i < f.bytes; ++i, v /= 100) out.push_back(to_bcd(static_cast<int>(v % 100)));
  if (value < 0 && scaled > 0) out.back() |= 0x80;
  return out;
}

Result<std::vector<std::uint8_t>> encode_text(const DataFormat& f, std::string_view text) {
  int a = 0, b = 0, c = 0;
  switch (f.kind) {
    case ValueKind::kDate:
      if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d", &a, &b, &c) != 3 || a < 2000 || a > 2099 || b < 1 ||
          b > 12 || c < 1 || c > 31)
        return fail(Errc::kInvalidArgument, fmt::format("date '{}' is not YYYY-MM-DD (2000-2099)", text));
      return std::vector<std::uint8_t>{to_bcd(weekday(a, b, c)), to_bcd(c), to_bcd(b), to_bcd(a % 100)};
    case ValueKind::kTime:
      if (std::sscanf(std::string(text).c_str(), "%2d:%2d:%2d", &a, &b, &c) != 3 || a > 23 || b > 59 || c > 59 ||
          a < 0 || b < 0 || c < 0)
        return fail(Errc::kInvalidArgument, fmt::format("time '{}' is not hh:mm:ss", text));
      return std::vector<std::uint8_t>{to_bcd(c), to_bcd(b), to_bcd(a)};
    case ValueKind::kDigits: {
      auto addr = KAIWU_TRY(parse_address(text));
      return std::vector<std::uint8_t>(addr.bytes.begin(), addr.bytes.end());
    }
    case ValueKind::kNumber:
      break;
  }
  return fail(Errc::kInvalidArgument, fmt::format("{} is a number, not text", f.name));
}

}  // namespace kaiwu::drivers::dlt645
