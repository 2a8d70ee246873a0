#include "drivers/point.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace kaiwu::drivers {

namespace {

struct TypeName {
  DataType type;
  std::string_view name;
  std::size_t bytes;
};

constexpr std::array<TypeName, 10> kTypes{{
    {DataType::kBool, "bool", 1},       {DataType::kInt16, "int16", 2},
    {DataType::kUint16, "uint16", 2},   {DataType::kInt32, "int32", 4},
    {DataType::kUint32, "uint32", 4},   {DataType::kInt64, "int64", 8},
    {DataType::kUint64, "uint64", 8},   {DataType::kFloat32, "float32", 4},
    {DataType::kFloat64, "float64", 8}, {DataType::kString, "string", 0},
}};

constexpr std::array<std::string_view, 4> kOrders{"ABCD", "BADC", "CDAB", "DCBA"};

bool is_integer(DataType t) {
  return t == DataType::kInt16 || t == DataType::kUint16 || t == DataType::kInt32 ||
         t == DataType::kUint32 || t == DataType::kInt64 || t == DataType::kUint64;
}

// Wire bytes (device order) ↔ big-endian bytes. Each order is its own inverse.
void reorder(ByteOrder order, std::span<std::byte> b) {
  const std::size_t n = b.size();
  if (n < 2) return;
  switch (order) {
    case ByteOrder::kABCD:
      return;
    case ByteOrder::kDCBA:
      std::reverse(b.begin(), b.end());
      return;
    case ByteOrder::kBADC:
      for (std::size_t i = 0; i + 1 < n; i += 2) std::swap(b[i], b[i + 1]);
      return;
    case ByteOrder::kCDAB:  // words in reverse order, bytes within a word big-endian
      for (std::size_t i = 0, j = n - 2; i < j; i += 2, j -= 2) {
        std::swap(b[i], b[j]);
        std::swap(b[i + 1], b[j + 1]);
      }
      return;
  }
}

std::uint64_t load_be(std::span<const std::byte> b) {
  std::uint64_t v = 0;
  for (std::byte x : b) v = (v << 8) | std::to_integer<std::uint64_t>(x);
  return v;
}

void store_be(std::uint64_t v, std::span<std::byte> b) {
  for (std::size_t i = b.size(); i-- > 0;) {
    b[i] = static_cast<std::byte>(v & 0xff);
    v >>= 8;
  }
}

std::optional<double> numeric(const tsdb::Value& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

struct Range {
  double lo, hi;
};

Range range_of(DataType t) {
  switch (t) {
    case DataType::kInt16: return {-32768.0, 32767.0};
    case DataType::kUint16: return {0.0, 65535.0};
    case DataType::kInt32: return {-2147483648.0, 2147483647.0};
    case DataType::kUint32: return {0.0, 4294967295.0};
    case DataType::kInt64: return {-9223372036854775808.0, 9223372036854774784.0};  // largest double < 2^63
    case DataType::kUint64: return {0.0, 18446744073709551615.0};
    default: return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  }
}

}  // namespace

Result<DataType> parse_data_type(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return t.type;
  return fail(Errc::kInvalidArgument,
              fmt::format("unknown data type '{}' (bool, int16, uint16, int32, uint32, int64, uint64, "
                          "float32, float64, string)",
                          name));
}

std::string_view data_type_name(DataType type) { return kTypes[static_cast<std::size_t>(type)].name; }

std::size_t data_type_bytes(DataType type) { return kTypes[static_cast<std::size_t>(type)].bytes; }

Result<ByteOrder> parse_byte_order(std::string_view name) {
  for (std::size_t i = 0; i < kOrders.size(); ++i)
    if (kOrders[i] == name) return static_cast<ByteOrder>(i);
  return fail(Errc::kInvalidArgument, fmt::format("unknown byte order '{}' (ABCD, BADC, CDAB, DCBA)", name));
}

std::string_view byte_order_name(ByteOrder order) { return kOrders[static_cast<std::size_t>(order)]; }

tsdb::Value to_engineering(const PointConfig& point, const tsdb::Value& raw) {
  if (point.scale == 1.0 && point.offset == 0.0) return raw;
  if (std::holds_alternative<bool>(raw) || std::holds_alternative<std::string>(raw)) return raw;
  return *numeric(raw) * point.scale + point.offset;
}

Result<tsdb::Value> to_raw(const PointConfig& point, const tsdb::Value& engineering) {
  if (point.type == DataType::kString) {
    if (auto* s = std::get_if<std::string>(&engineering)) return tsdb::Value{*s};
    return fail(Errc::kInvalidArgument, fmt::format("point '{}' takes a string", point.key));
  }
  auto v = numeric(engineering);
  if (!v) return fail(Errc::kInvalidArgument, fmt::format("point '{}' takes a number", point.key));
  if (point.type == DataType::kBool) return tsdb::Value{*v != 0.0};
  if (point.scale == 0.0) return fail(Errc::kInvalidArgument, fmt::format("point '{}' has scale 0", point.key));
  double raw = (*v - point.offset) / point.scale;
  if (!std::isfinite(raw)) return fail(Errc::kInvalidArgument, fmt::format("point '{}': value is not finite", point.key));
  if (!is_integer(point.type)) return tsdb::Value{raw};
  raw = std::round(raw);
  const Range r = range_of(point.type);
  if (raw < r.lo || raw > r.hi)
    return fail(Errc::kInvalidArgument, fmt::format("point '{}': {} is out of range for {}", point.key, *v,
                                                    data_type_name(point.type)));
  if (point.type == DataType::kUint64 && raw >= 9223372036854775808.0)
    return tsdb::Value{static_cast<std::int64_t>(static_cast<std::uint64_t>(raw))};
  return tsdb::Value{static_cast<std::int64_t>(raw)};
}

Result<tsdb::Value> decode_bytes(DataType type, ByteOrder order, std::span<const std::byte> bytes) {
  if (type == DataType::kString) {
    std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (order == ByteOrder::kBADC || order == ByteOrder::kDCBA)
      reorder(ByteOrder::kBADC, std::as_writable_bytes(std::span<char>(s.data(), s.size() & ~std::size_t{1})));
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    return tsdb::Value{std::move(s)};
  }
  const std::size_t n = data_type_bytes(type);
  if (bytes.size() != n && !(type == DataType::kBool && !bytes.empty()))
    return fail(Errc::kInvalidArgument,
                fmt::format("{} needs {} bytes, got {}", data_type_name(type), n, bytes.size()));
  if (type == DataType::kBool) {
    for (std::byte b : bytes)
      if (b != std::byte{0}) return tsdb::Value{true};
    return tsdb::Value{false};
  }
  std::array<std::byte, 8> buf{};
  std::memcpy(buf.data(), bytes.data(), n);
  reorder(order, std::span(buf.data(), n));
  const std::uint64_t u = load_be(std::span<const std::byte>(buf.data(), n));
  switch (type) {
    case DataType::kInt16: return tsdb::Value{std::int64_t{static_cast<std::int16_t>(u)}};
    case DataType::kUint16: return tsdb::Value{static_cast<std::int64_t>(u)};
    case DataType::kInt32: return tsdb::Value{std::int64_t{static_cast<std::int32_t>(u)}};
    case DataType::kUint32: return tsdb::Value{static_cast<std::int64_t>(u)};
    case DataType::kInt64: return tsdb::Value{static_cast<std::int64_t>(u)};
    case DataType::kUint64:  // beyond int64: stored as a double rather than wrapping negative
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return tsdb::Value{static_cast<double>(u)};
      return tsdb::Value{static_cast<std::int64_t>(u)};
    case DataType::kFloat32:
      return tsdb::Value{static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(u)))};
    case DataType::kFloat64: return tsdb::Value{std::bit_cast<double>(u)};
    default: return fail(Errc::kInternal, "unreachable data type");
  }
}

Result<std::string> encode_bytes(DataType type, ByteOrder order, const tsdb::Value& value,
                                 std::size_t string_length) {
  if (type == DataType::kString) {
    auto* s = std::get_if<std::string>(&value);
    if (!s) return fail(Errc::kInvalidArgument, "a string point takes a string");
    if (s->size() > string_length)
      return fail(Errc::kInvalidArgument, fmt::format("string longer than {} bytes", string_length));
    std::string out = *s;
    out.resize(string_length, '\0');
    if (order == ByteOrder::kBADC || order == ByteOrder::kDCBA)
      reorder(ByteOrder::kBADC, std::as_writable_bytes(std::span<char>(out.data(), out.size() & ~std::size_t{1})));
    return out;
  }
  auto v = numeric(value);
  if (!v) return fail(Errc::kInvalidArgument, fmt::format("{} takes a number", data_type_name(type)));
  const std::size_t n = data_type_bytes(type);
  std::uint64_t u = 0;
  switch (type) {
    case DataType::kBool: u = *v != 0.0; break;
    case DataType::kFloat32: u = std::bit_cast<std::uint32_t>(static_cast<float>(*v)); break;
    case DataType::kFloat64: u = std::bit_cast<std::uint64_t>(*v); break;
    default: {
      if (auto* i = std::get_if<std::int64_t>(&value)) {
        const Range r = range_of(type);
        const bool fits = type == DataType::kInt64 || (type == DataType::kUint64 ? *i >= 0
                                                        : *i >= r.lo && *i <= r.hi);
        if (!fits) return fail(Errc::kInvalidArgument, fmt::format("{} is not a valid {}", *i, data_type_name(type)));
        u = static_cast<std::uint64_t>(*i);
        break;
      }
      const Range r = range_of(type);
      if (!(*v >= r.lo && *v <= r.hi) || std::round(*v) != *v)
        return fail(Errc::kInvalidArgument, fmt::format("{} is not a valid {}", *v, data_type_name(type)));
      u = *v < 0 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(*v))
                 : *v >= 9223372036854775808.0 ? static_cast<std::uint64_t>(*v)
                                               : static_cast<std::uint64_t>(static_cast<std::int64_t>(*v));
    }
  }
  std::string out(n, '\0');
  auto bytes = std::as_writable_bytes(std::span<char>(out.data(), n));
  store_be(u, bytes);
  reorder(order, bytes);
  return out;
}

bool beyond_deadband(const PointConfig& point, const std::optional<tsdb::Value>& last,
                     const tsdb::Value& value) {
  if (!last) return true;
  if (!point.deadband) return true;
  auto a = numeric(*last);
  auto b = numeric(value);
  if (!a || !b || last->index() != value.index()) return *last != value;
  return std::fabs(*b - *a) > *point.deadband;
}

}  // namespace kaiwu::drivers
