// Variant ↔ telemetry value mapping of the opcua driver (OPC 10000-6 §5.1.2 built-in types).
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "drivers/opcua/driver.hpp"

namespace kaiwu::drivers::opcua {

namespace {

// The Scalar alternative each built-in type is held in (types.hpp), so a hand-built Variant
// with a mismatched element is an error rather than an exception.
std::size_t expected_index(BuiltinType type) {
  switch (type) {
    case BuiltinType::kBoolean: return 1;
    case BuiltinType::kSByte: case BuiltinType::kInt16: case BuiltinType::kInt32: case BuiltinType::kInt64:
    case BuiltinType::kDateTime: return 2;
    case BuiltinType::kByte: case BuiltinType::kUInt16: case BuiltinType::kUInt32: case BuiltinType::kUInt64:
    case BuiltinType::kStatusCode: return 3;
    case BuiltinType::kFloat: case BuiltinType::kDouble: return 4;
    case BuiltinType::kString: case BuiltinType::kXmlElement: case BuiltinType::kByteString: return 5;
    case BuiltinType::kGuid: return 6;
    case BuiltinType::kNodeId: return 7;
    case BuiltinType::kQualifiedName: return 9;
    case BuiltinType::kLocalizedText: return 10;
    default: return 0;
  }
}

Result<tsdb::Value> scalar_to_value(BuiltinType type, const Scalar& s) {
  if (expected_index(type) != 0 && s.index() != expected_index(type)) {
    return fail(Errc::kInvalidArgument, fmt::format("OPC UA {} value holds another type", builtin_type_name(type)));
  }
  switch (type) {
    case BuiltinType::kBoolean: return std::get<bool>(s);
    case BuiltinType::kSByte:
    case BuiltinType::kInt16:
    case BuiltinType::kInt32:
    case BuiltinType::kInt64: return std::get<std::int64_t>(s);
    case BuiltinType::kByte:
    case BuiltinType::kUInt16:
    case BuiltinType::kUInt32:
    case BuiltinType::kUInt64:
    case BuiltinType::kStatusCode: {
      const std::uint64_t u = std::get<std::uint64_t>(s);
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<double>(u);
      return static_cast<std::int64_t>(u);
    }
    case BuiltinType::kFloat:
    case BuiltinType::kDouble: return std::get<double>(s);
    case BuiltinType::kDateTime: return unix_ms_from_datetime(std::get<std::int64_t>(s));
    case BuiltinType::kString:
    case BuiltinType::kXmlElement: return std::get<std::string>(s);
    case BuiltinType::kLocalizedText: return std::get<LocalizedText>(s).text;
    case BuiltinType::kQualifiedName: return std::get<QualifiedName>(s).name;
    case BuiltinType::kNodeId: return format_node_id(std::get<NodeId>(s));
    case BuiltinType::kGuid: {
      NodeId id;
      id.kind = NodeId::Kind::kGuid;
      id.guid = std::get<Guid>(s);
      return format_node_id(id).substr(2);  // drop "g="
    }
    default:
      return fail(Errc::kInvalidArgument,
                  fmt::format("OPC UA values of type {} are not supported", builtin_type_name(type)));
  }
}

void append_json(std::string& out, const tsdb::Value& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    out += std::isfinite(*d) ? fmt::format("{}", *d) : "null";
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out += fmt::format("{}", *i);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  } else {
    out.push_back('"');
    for (char c : std::get<std::string>(v)) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
}

}  // namespace

Result<tsdb::Value> variant_to_value(const Variant& v) {
  if (v.type == BuiltinType::kNull) return fail(Errc::kNotFound, "OPC UA value is empty (Null)");
  if (!v.is_array) {
    if (v.values.size() != 1) return fail(Errc::kInvalidArgument, "OPC UA scalar without a value");
    return scalar_to_value(v.type, v.values.front());
  }
  // Arrays become JSON text: [1,2,3].
  std::string out = "[";
  for (std::size_t i = 0; i < v.values.size(); ++i) {
    if (i) out.push_back(',');
    append_json(out, KAIWU_TRY(scalar_to_value(v.type, v.values[i])));
  }
  out.push_back(']');
  return tsdb::Value(std::move(out));
}

Result<Variant> value_to_variant(DataType type, const tsdb::Value& raw) {
  auto as_int = [&]() -> std::int64_t {
    if (const auto* i = std::get_if<std::int64_t>(&raw)) return *i;
    if (const auto* d = std::get_if<double>(&raw)) return static_cast<std::int64_t>(std::llround(*d));
    if (const auto* b = std::get_if<bool>(&raw)) return *b ? 1 : 0;
    return 0;
  };
  auto as_double = [&]() -> double {
    if (const auto* d = std::get_if<double>(&raw)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&raw)) return static_cast<double>(*i);
    if (const auto* b = std::get_if<bool>(&raw)) return *b ? 1.0 : 0.0;
    return 0;
  };
  if (std::holds_alternative<std::string>(raw) && type != DataType::kString) {
    return fail(Errc::kInvalidArgument, "a string cannot be written to a numeric OPC UA point");
  }
  switch (type) {
    case DataType::kBool:
      if (!std::holds_alternative<bool>(raw) && !std::holds_alternative<std::int64_t>(raw)) {
        return fail(Errc::kInvalidArgument, "a Boolean OPC UA point takes true/false");
      }
      return Variant::scalar(BuiltinType::kBoolean, as_int() != 0);
    case DataType::kInt16: return Variant::scalar(BuiltinType::kInt16, as_int());
    case DataType::kUint16: return Variant::scalar(BuiltinType::kUInt16, static_cast<std::uint64_t>(as_int()));
    case DataType::kInt32: return Variant::scalar(BuiltinType::kInt32, as_int());
    case DataType::kUint32: return Variant::scalar(BuiltinType::kUInt32, static_cast<std::uint64_t>(as_int()));
    case DataType::kInt64: return Variant::scalar(BuiltinType::kInt64, as_int());
    case DataType::kUint64: return Variant::scalar(BuiltinType::kUInt64, static_cast<std::uint64_t>(as_int()));
    case DataType::kFloat32: return Variant::scalar(BuiltinType::kFloat, as_double());
    case DataType::kFloat64: return Variant::scalar(BuiltinType::kDouble, as_double());
    case DataType::kString:
      if (const auto* s = std::get_if<std::string>(&raw)) return Variant::scalar(BuiltinType::kString, *s);
      return fail(Errc::kInvalidArgument, "a String OPC UA point takes a string");
  }
  return fail(Errc::kInvalidArgument, "unsupported data type");
}

}  // namespace kaiwu::drivers::opcua
