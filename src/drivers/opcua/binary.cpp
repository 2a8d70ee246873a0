#include "drivers/opcua/binary.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace kaiwu::drivers::opcua {

// ---------------------------------------------------------------------------------------------
// Encoder

void Encoder::f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
void Encoder::f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }

// Part 6 §5.1.3: Data1 UInt32, Data2 UInt16, Data3 UInt16 little-endian, Data4 8 bytes as is.
void Encoder::guid(const Guid& g) {
  u32(g.data1);
  u16(g.data2);
  u16(g.data3);
  for (auto b : g.data4) u8(b);
}

// Part 6 §5.2.2.9 Table 6: the smallest encoding that holds the identifier.
void Encoder::node_id(const NodeId& id) {
  switch (id.kind) {
    case NodeId::Kind::kNumeric:
      if (id.ns == 0 && id.numeric <= 0xFF) {
        u8(0x00);  // Two Byte
        u8(static_cast<std::uint8_t>(id.numeric));
      } else if (id.ns <= 0xFF && id.numeric <= 0xFFFF) {
        u8(0x01);  // Four Byte
        u8(static_cast<std::uint8_t>(id.ns));
        u16(static_cast<std::uint16_t>(id.numeric));
      } else {
        u8(0x02);
        u16(id.ns);
        u32(id.numeric);
      }
      return;
    case NodeId::Kind::kString:
      u8(0x03);
      u16(id.ns);
      string(id.text);
      return;
    case NodeId::Kind::kGuid:
      u8(0x04);
      u16(id.ns);
      guid(id.guid);
      return;
    case NodeId::Kind::kOpaque:
      u8(0x05);
      u16(id.ns);
      bytestring(id.text);
      return;
  }
}

// Part 6 §5.2.2.10: the NodeId's encoding byte with flags 0x80 (NamespaceUri) and 0x40
// (ServerIndex), followed by the optional fields.
void Encoder::expanded_node_id(const ExpandedNodeId& id) {
  const std::size_t flag_at = out_.size();
  node_id(id.node);
  std::uint8_t flags = 0;
  if (!id.namespace_uri.empty()) flags |= 0x80;
  if (id.server_index != 0) flags |= 0x40;
  out_[flag_at] = static_cast<char>(static_cast<std::uint8_t>(out_[flag_at]) | flags);
  if (!id.namespace_uri.empty()) string(id.namespace_uri);
  if (id.server_index != 0) u32(id.server_index);
}

void Encoder::qualified_name(const QualifiedName& q) {
  u16(q.ns);
  string(q.name);
}

// Part 6 §5.2.2.14: mask 0x01 Locale, 0x02 Text.
void Encoder::localized_text(const LocalizedText& t) {
  std::uint8_t mask = 0;
  if (!t.locale.empty()) mask |= 0x01;
  if (!t.text.empty()) mask |= 0x02;
  u8(mask);
  if (!t.locale.empty()) string(t.locale);
  if (!t.text.empty()) string(t.text);
}

void Encoder::extension_object(const ExtensionObject& e) {
  node_id(e.type_id);
  u8(e.encoding);
  if (e.encoding != 0) bytestring(e.body);
}

void Encoder::scalar(BuiltinType t, const Scalar& s) {
  auto i = [&] { return std::holds_alternative<std::int64_t>(s) ? std::get<std::int64_t>(s) : 0; };
  auto u = [&] { return std::holds_alternative<std::uint64_t>(s) ? std::get<std::uint64_t>(s) : 0; };
  auto d = [&] { return std::holds_alternative<double>(s) ? std::get<double>(s) : 0.0; };
  auto str = [&]() -> std::string_view {
    return std::holds_alternative<std::string>(s) ? std::string_view(std::get<std::string>(s)) : "";
  };
  switch (t) {
    case BuiltinType::kNull: return;
    case BuiltinType::kBoolean: return boolean(std::holds_alternative<bool>(s) && std::get<bool>(s));
    case BuiltinType::kSByte: return i8(static_cast<std::int8_t>(i()));
    case BuiltinType::kByte: return u8(static_cast<std::uint8_t>(u()));
    case BuiltinType::kInt16: return i16(static_cast<std::int16_t>(i()));
    case BuiltinType::kUInt16: return u16(static_cast<std::uint16_t>(u()));
    case BuiltinType::kInt32: return i32(static_cast<std::int32_t>(i()));
    case BuiltinType::kUInt32: return u32(static_cast<std::uint32_t>(u()));
    case BuiltinType::kInt64: return i64(i());
    case BuiltinType::kUInt64: return u64(u());
    case BuiltinType::kFloat: return f32(static_cast<float>(d()));
    case BuiltinType::kDouble: return f64(d());
    case BuiltinType::kDateTime: return datetime(i());
    case BuiltinType::kStatusCode: return status(static_cast<std::uint32_t>(u()));
    case BuiltinType::kString:
    case BuiltinType::kByteString:
    case BuiltinType::kXmlElement: return string(str());
    case BuiltinType::kGuid: return guid(std::holds_alternative<Guid>(s) ? std::get<Guid>(s) : Guid{});
    case BuiltinType::kNodeId:
      return node_id(std::holds_alternative<NodeId>(s) ? std::get<NodeId>(s) : NodeId{});
    case BuiltinType::kExpandedNodeId:
      return expanded_node_id(std::holds_alternative<ExpandedNodeId>(s) ? std::get<ExpandedNodeId>(s)
                                                                         : ExpandedNodeId{});
    case BuiltinType::kQualifiedName:
      return qualified_name(std::holds_alternative<QualifiedName>(s) ? std::get<QualifiedName>(s)
                                                                       : QualifiedName{});
    case BuiltinType::kLocalizedText:
      return localized_text(std::holds_alternative<LocalizedText>(s) ? std::get<LocalizedText>(s)
                                                                       : LocalizedText{});
    case BuiltinType::kExtensionObject:
      return extension_object(std::holds_alternative<ExtensionObject>(s) ? std::get<ExtensionObject>(s)
                                                                           : ExtensionObject{});
    case BuiltinType::kDataValue: {
      const auto* p = std::get_if<std::shared_ptr<DataValue>>(&s);
      return data_value(p && *p ? **p : DataValue{});
    }
    case BuiltinType::kVariant: {
      const auto* p = std::get_if<std::shared_ptr<Variant>>(&s);
      return variant(p && *p ? **p : Variant{});
    }
    case BuiltinType::kDiagnosticInfo: return empty_diagnostic_info();
  }
}

// Part 6 §5.2.2.16: EncodingMask (type id in bits 0-5, 0x40 ArrayDimensions, 0x80 array),
// then Int32 length + elements for arrays, then the dimensions.
void Encoder::variant(const Variant& v) {
  if (v.type == BuiltinType::kNull) {
    u8(0);
    return;
  }
  std::uint8_t mask = static_cast<std::uint8_t>(v.type);
  if (v.is_array) mask |= 0x80;
  if (v.is_array && !v.dimensions.empty()) mask |= 0x40;
  u8(mask);
  if (v.is_array) {
    i32(static_cast<std::int32_t>(v.values.size()));
    for (const auto& s : v.values) scalar(v.type, s);
    if (!v.dimensions.empty()) {
      i32(static_cast<std::int32_t>(v.dimensions.size()));
      for (auto dim : v.dimensions) i32(dim);
    }
  } else {
    scalar(v.type, v.values.empty() ? Scalar{} : v.values.front());
  }
}

// Part 6 §5.2.2.17: mask 0x01 Value, 0x02 StatusCode, 0x04 SourceTimestamp,
// 0x08 ServerTimestamp, 0x10 SourcePicoseconds, 0x20 ServerPicoseconds.
void Encoder::data_value(const DataValue& v) {
  std::uint8_t mask = 0;
  if (v.has_value) mask |= 0x01;
  if (v.has_status) mask |= 0x02;
  if (v.source_timestamp != 0) mask |= 0x04;
  if (v.server_timestamp != 0) mask |= 0x08;
  if (v.source_picoseconds != 0) mask |= 0x10;
  if (v.server_picoseconds != 0) mask |= 0x20;
  u8(mask);
  if (v.has_value) variant(v.value);
  if (v.has_status) status(v.status);
  if (v.source_timestamp != 0) datetime(v.source_timestamp);
  if (v.source_picoseconds != 0) u16(v.source_picoseconds);
  if (v.server_timestamp != 0) datetime(v.server_timestamp);
  if (v.server_picoseconds != 0) u16(v.server_picoseconds);
}

void Encoder::string_array(const std::vector<std::string>& v) {
  i32(static_cast<std::int32_t>(v.size()));
  for (const auto& s : v) string(s);
}

// ---------------------------------------------------------------------------------------------
// Decoder

void Decoder::fail(std::string why) {
  if (error_.empty()) error_ = fmt::format("{} at byte {}", why, pos_);
}

Status Decoder::status_result() const {
  if (error_.empty()) return kaiwu::ok();
  return kaiwu::fail(Errc::kInvalidArgument, "OPC UA decoding: " + error_);
}

std::uint64_t Decoder::le(int n) {
  if (!ok()) return 0;
  if (in_.size() - pos_ < static_cast<std::size_t>(n)) {
    fail(fmt::format("truncated ({} bytes needed)", n));
    return 0;
  }
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += static_cast<std::size_t>(n);
  return v;
}

float Decoder::f32() { return std::bit_cast<float>(u32()); }
double Decoder::f64() { return std::bit_cast<double>(u64()); }

void Decoder::skip(std::size_t n) { (void)take(n); }

std::string_view Decoder::take(std::size_t n) {
  if (!ok()) return {};
  if (in_.size() - pos_ < n) {
    fail(fmt::format("truncated ({} bytes needed, {} left)", n, in_.size() - pos_));
    return {};
  }
  auto v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::string Decoder::string() {
  const std::int32_t n = i32();
  if (n == -1 || !ok()) return {};
  if (n < -1) {
    fail("negative string length");
    return {};
  }
  return std::string(take(static_cast<std::size_t>(n)));
}

std::size_t Decoder::array_length(std::size_t min_element_size) {
  const std::int32_t n = i32();
  if (!ok() || n == -1 || n == 0) return 0;
  if (n < -1 || n > kMaxArrayLength) {
    fail(fmt::format("array length {} out of range", n));
    return 0;
  }
  if (min_element_size > 0 && static_cast<std::size_t>(n) > remaining() / min_element_size) {
    fail(fmt::format("array of {} elements exceeds the message", n));
    return 0;
  }
  return static_cast<std::size_t>(n);
}

Guid Decoder::guid() {
  Guid g;
  g.data1 = u32();
  g.data2 = u16();
  g.data3 = u16();
  for (auto& b : g.data4) b = u8();
  return g;
}

namespace {
NodeId decode_node_id_body(Decoder& d, std::uint8_t encoding) {
  NodeId id;
  switch (encoding & 0x3F) {
    case 0x00: id.numeric = d.u8(); break;
    case 0x01:
      id.ns = d.u8();
      id.numeric = d.u16();
      break;
    case 0x02:
      id.ns = d.u16();
      id.numeric = d.u32();
      break;
    case 0x03:
      id.ns = d.u16();
      id.kind = NodeId::Kind::kString;
      id.text = d.string();
      break;
    case 0x04:
      id.ns = d.u16();
      id.kind = NodeId::Kind::kGuid;
      id.guid = d.guid();
      break;
    case 0x05:
      id.ns = d.u16();
      id.kind = NodeId::Kind::kOpaque;
      id.text = d.bytestring();
      break;
    default: d.fail(fmt::format("invalid NodeId encoding 0x{:02x}", encoding));
  }
  return id;
}
}  // namespace

NodeId Decoder::node_id() {
  const std::uint8_t enc = u8();
  if (!ok()) return {};
  if (enc & 0xC0) {
    fail("NodeId with ExpandedNodeId flags");
    return {};
  }
  return decode_node_id_body(*this, enc);
}

ExpandedNodeId Decoder::expanded_node_id() {
  ExpandedNodeId id;
  const std::uint8_t enc = u8();
  if (!ok()) return id;
  id.node = decode_node_id_body(*this, enc);
  if (enc & 0x80) id.namespace_uri = string();
  if (enc & 0x40) id.server_index = u32();
  return id;
}

QualifiedName Decoder::qualified_name() {
  QualifiedName q;
  q.ns = u16();
  q.name = string();
  return q;
}

LocalizedText Decoder::localized_text() {
  LocalizedText t;
  const std::uint8_t mask = u8();
  if (mask & 0x01) t.locale = string();
  if (mask & 0x02) t.text = string();
  return t;
}

ExtensionObject Decoder::extension_object() {
  ExtensionObject e;
  e.type_id = node_id();
  e.encoding = u8();
  if (!ok()) return e;
  if (e.encoding > 2) {
    fail(fmt::format("invalid ExtensionObject encoding {}", e.encoding));
    return e;
  }
  if (e.encoding != 0) e.body = bytestring();
  return e;
}

Scalar Decoder::scalar(BuiltinType t) {
  switch (t) {
    case BuiltinType::kNull: return std::monostate{};
    case BuiltinType::kBoolean: return boolean();
    case BuiltinType::kSByte: return static_cast<std::int64_t>(i8());
    case BuiltinType::kByte: return static_cast<std::uint64_t>(u8());
    case BuiltinType::kInt16: return static_cast<std::int64_t>(i16());
    case BuiltinType::kUInt16: return static_cast<std::uint64_t>(u16());
    case BuiltinType::kInt32: return static_cast<std::int64_t>(i32());
    case BuiltinType::kUInt32: return static_cast<std::uint64_t>(u32());
    case BuiltinType::kInt64: return i64();
    case BuiltinType::kUInt64: return u64();
    case BuiltinType::kFloat: return static_cast<double>(f32());
    case BuiltinType::kDouble: return f64();
    case BuiltinType::kDateTime: return datetime();
    case BuiltinType::kStatusCode: return static_cast<std::uint64_t>(status());
    case BuiltinType::kString:
    case BuiltinType::kByteString:
    case BuiltinType::kXmlElement: return string();
    case BuiltinType::kGuid: return guid();
    case BuiltinType::kNodeId: return node_id();
    case BuiltinType::kExpandedNodeId: return expanded_node_id();
    case BuiltinType::kQualifiedName: return qualified_name();
    case BuiltinType::kLocalizedText: return localized_text();
    case BuiltinType::kExtensionObject: return extension_object();
    case BuiltinType::kDataValue: return std::make_shared<DataValue>(data_value_at(depth_ + 1));
    case BuiltinType::kVariant: return std::make_shared<Variant>(variant_at(depth_ + 1));
    case BuiltinType::kDiagnosticInfo: skip_diagnostic_info_at(depth_ + 1); return std::monostate{};
  }
  return std::monostate{};
}

Variant Decoder::variant() { return variant_at(depth_ + 1); }

Variant Decoder::variant_at(int depth) {
  Variant v;
  if (depth > kMaxDepth) {
    fail("Variant nesting too deep");
    return v;
  }
  const int saved = depth_;
  depth_ = depth;
  const std::uint8_t mask = u8();
  const std::uint8_t type = mask & 0x3F;
  if (ok() && type > static_cast<std::uint8_t>(BuiltinType::kDiagnosticInfo)) {
    fail(fmt::format("invalid Variant type {}", type));
  }
  if (ok()) {
    v.type = static_cast<BuiltinType>(type);
    v.is_array = (mask & 0x80) != 0;
    if (v.is_array) {
      // Every element but Null takes at least one byte; an array of Nulls is rejected.
      if (v.type == BuiltinType::kNull) fail("Variant array of Null");
      const std::size_t n = array_length(1);
      v.values.reserve(n);
      for (std::size_t i = 0; i < n && ok(); ++i) v.values.push_back(scalar(v.type));
      if (mask & 0x40) {
        const std::size_t dims = array_length(4);
        for (std::size_t i = 0; i < dims && ok(); ++i) v.dimensions.push_back(i32());
      }
    } else {
      if (mask & 0x40) fail("ArrayDimensions on a scalar Variant");
      if (v.type != BuiltinType::kNull) v.values.push_back(scalar(v.type));
    }
  }
  depth_ = saved;
  if (!ok()) return Variant{};
  return v;
}

DataValue Decoder::data_value() { return data_value_at(depth_ + 1); }

DataValue Decoder::data_value_at(int depth) {
  DataValue v;
  if (depth > kMaxDepth) {
    fail("DataValue nesting too deep");
    return v;
  }
  const int saved = depth_;
  depth_ = depth;
  const std::uint8_t mask = u8();
  if (mask & 0x01) {
    v.has_value = true;
    v.value = variant_at(depth_ + 1);
  }
  if (mask & 0x02) {
    v.has_status = true;
    v.status = status();
  }
  if (mask & 0x04) v.source_timestamp = datetime();
  if (mask & 0x10) v.source_picoseconds = u16();
  if (mask & 0x08) v.server_timestamp = datetime();
  if (mask & 0x20) v.server_picoseconds = u16();
  depth_ = saved;
  return v;
}

void Decoder::skip_diagnostic_info() { skip_diagnostic_info_at(depth_ + 1); }

// Part 6 §5.2.2.12: mask 0x01 SymbolicId, 0x02 NamespaceUri, 0x04 LocalizedText, 0x08 Locale
// (Int32 each), 0x10 AdditionalInfo (String), 0x20 InnerStatusCode, 0x40 InnerDiagnosticInfo.
void Decoder::skip_diagnostic_info_at(int depth) {
  if (depth > kMaxDepth) {
    fail("DiagnosticInfo nesting too deep");
    return;
  }
  const std::uint8_t mask = u8();
  for (std::uint8_t bit : {0x01, 0x02, 0x08, 0x04}) {
    if (mask & bit) (void)i32();
  }
  if (mask & 0x10) (void)string();
  if (mask & 0x20) (void)status();
  if (mask & 0x40) skip_diagnostic_info_at(depth + 1);
}

std::vector<std::string> Decoder::string_array() {
  std::vector<std::string> v;
  const std::size_t n = array_length(4);
  for (std::size_t i = 0; i < n && ok(); ++i) v.push_back(string());
  return v;
}

}  // namespace kaiwu::drivers::opcua
