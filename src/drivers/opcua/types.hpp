// OPC UA built-in data types (OPC 10000-6 Part 6 §5.1 / §5.2.2, OPC 10000-3 §8) as plain
// values. Byte strings and strings are std::string holding raw bytes; a null String/ByteString
// (length -1 on the wire) decodes to an empty string.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::drivers::opcua {

// Part 6 Table 1: the built-in type ids used in Variant encoding masks.
enum class BuiltinType : std::uint8_t {
  kNull = 0, kBoolean = 1, kSByte = 2, kByte = 3, kInt16 = 4, kUInt16 = 5, kInt32 = 6,
  kUInt32 = 7, kInt64 = 8, kUInt64 = 9, kFloat = 10, kDouble = 11, kString = 12,
  kDateTime = 13, kGuid = 14, kByteString = 15, kXmlElement = 16, kNodeId = 17,
  kExpandedNodeId = 18, kStatusCode = 19, kQualifiedName = 20, kLocalizedText = 21,
  kExtensionObject = 22, kDataValue = 23, kVariant = 24, kDiagnosticInfo = 25,
};
std::string_view builtin_type_name(BuiltinType t);

struct Guid {
  std::uint32_t data1 = 0;
  std::uint16_t data2 = 0;
  std::uint16_t data3 = 0;
  std::array<std::uint8_t, 8> data4{};
  bool operator==(const Guid&) const = default;
};

// Part 3 §8.2: a NodeId is a namespace index and a numeric, string, GUID or opaque identifier.
struct NodeId {
  enum class Kind : std::uint8_t { kNumeric, kString, kGuid, kOpaque };
  std::uint16_t ns = 0;
  Kind kind = Kind::kNumeric;
  std::uint32_t numeric = 0;
  std::string text;  // kString: UTF-8; kOpaque: raw bytes
  Guid guid;

  static NodeId num(std::uint16_t ns, std::uint32_t id) { return NodeId{ns, Kind::kNumeric, id, {}, {}}; }
  static NodeId str(std::uint16_t ns, std::string s) { return NodeId{ns, Kind::kString, 0, std::move(s), {}}; }
  bool is_null() const { return ns == 0 && kind == Kind::kNumeric && numeric == 0; }
  bool operator==(const NodeId&) const = default;
};

// Part 3 §8.2 string form: "ns=2;s=Speed", "i=2258", "ns=1;g=…", "ns=3;b=<base64>".
Result<NodeId> parse_node_id(std::string_view text);
std::string format_node_id(const NodeId& id);

struct ExpandedNodeId {
  NodeId node;
  std::string namespace_uri;  // empty: none
  std::uint32_t server_index = 0;
  bool operator==(const ExpandedNodeId&) const = default;
};

struct QualifiedName {
  std::uint16_t ns = 0;
  std::string name;
  bool operator==(const QualifiedName&) const = default;
};

struct LocalizedText {
  std::string locale;
  std::string text;
  bool operator==(const LocalizedText&) const = default;
};

// Part 6 §5.2.2.15: a structure the codec does not decode, kept as its encoded body.
struct ExtensionObject {
  NodeId type_id;
  std::uint8_t encoding = 0;  // 0 no body, 1 ByteString body, 2 XmlElement body
  std::string body;
  bool operator==(const ExtensionObject&) const = default;
};

struct Variant;
struct DataValue;

// One element of a Variant. Signed integers and DateTime are held as int64, unsigned integers
// and StatusCode as uint64, Float/Double as double, String/ByteString/XmlElement as string;
// the Variant's type says which built-in type it is on the wire. DiagnosticInfo elements are
// skipped on decode (monostate) and re-encoded empty.
using Scalar = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string,
                            Guid, NodeId, ExpandedNodeId, QualifiedName, LocalizedText,
                            ExtensionObject, std::shared_ptr<Variant>, std::shared_ptr<DataValue>>;

// Part 6 §5.2.2.16.
struct Variant {
  BuiltinType type = BuiltinType::kNull;
  bool is_array = false;
  std::vector<Scalar> values;       // exactly one element for a scalar of non-null type
  std::vector<std::int32_t> dimensions;  // ArrayDimensions when present

  static Variant scalar(BuiltinType t, Scalar v) { return Variant{t, false, {std::move(v)}, {}}; }
  bool empty() const { return type == BuiltinType::kNull; }
};

// Part 4 §7.11 / Part 6 §5.2.2.17.
struct DataValue {
  bool has_value = false;
  Variant value;
  bool has_status = false;
  std::uint32_t status = 0;  // StatusCode, Good when absent
  std::int64_t source_timestamp = 0;  // DateTime (100 ns since 1601), 0 when absent
  std::int64_t server_timestamp = 0;
  std::uint16_t source_picoseconds = 0;
  std::uint16_t server_picoseconds = 0;
};

// DateTime ↔ Unix milliseconds (Part 6 §5.2.2.5: 100 ns intervals since 1601-01-01 UTC).
constexpr std::int64_t kDateTimeUnixEpoch = 116444736000000000LL;
inline std::int64_t unix_ms_from_datetime(std::int64_t dt) {
  return dt <= 0 ? 0 : (dt - kDateTimeUnixEpoch) / 10000;
}
inline std::int64_t datetime_from_unix_ms(std::int64_t ms) { return ms * 10000 + kDateTimeUnixEpoch; }

// StatusCode helpers (Part 4 §7.39): top two bits are the severity.
inline bool status_is_bad(std::uint32_t s) { return (s & 0x80000000u) != 0; }
inline bool status_is_good(std::uint32_t s) { return (s & 0xC0000000u) == 0; }
// "BadNodeIdUnknown" for known codes, else "0x80340000"; sub-code bits (low 16) are ignored.
std::string status_name(std::uint32_t status);

}  // namespace kaiwu::drivers::opcua
