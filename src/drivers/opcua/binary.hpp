// OPC UA Binary encoding (OPC 10000-6 §5.2), sans-I/O. Little-endian, IEEE 754 floats,
// Int32-length-prefixed strings and arrays (-1 = null).
//
// Decoder is for untrusted input: every read is bounds-checked; the first failure makes the
// decoder "failed" (later reads return zero values) and status() reports it, so a structure is
// decoded field by field and checked once. Array lengths are bounded by the bytes left and by
// kMaxArrayLength; nesting (Variant/DataValue/DiagnosticInfo) is bounded by kMaxDepth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/opcua/types.hpp"

namespace kaiwu::drivers::opcua {

constexpr std::int32_t kMaxArrayLength = 1 << 20;
constexpr int kMaxDepth = 16;

class Encoder {
 public:
  void boolean(bool v) { u8(v ? 1 : 0); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void i8(std::int8_t v) { u8(static_cast<std::uint8_t>(v)); }
  void u16(std::uint16_t v) { le(v, 2); }
  void i16(std::int16_t v) { le(static_cast<std::uint16_t>(v), 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void i32(std::int32_t v) { le(static_cast<std::uint32_t>(v), 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
  void f32(float v);
  void f64(double v);
  void string(std::string_view v) { i32(static_cast<std::int32_t>(v.size())); raw(v); }
  void null_string() { i32(-1); }
  void bytestring(std::string_view v) { string(v); }
  // An optional ByteString/String: empty is encoded as null (-1).
  void opt_string(std::string_view v) { v.empty() ? null_string() : string(v); }
  void datetime(std::int64_t v) { i64(v); }
  void guid(const Guid& g);
  void node_id(const NodeId& id);
  void expanded_node_id(const ExpandedNodeId& id);
  void status(std::uint32_t s) { u32(s); }
  void qualified_name(const QualifiedName& q);
  void localized_text(const LocalizedText& t);
  void extension_object(const ExtensionObject& e);
  void variant(const Variant& v);
  void data_value(const DataValue& v);
  void empty_diagnostic_info() { u8(0); }
  void string_array(const std::vector<std::string>& v);
  void raw(std::string_view bytes) { out_.append(bytes); }

  std::string& bytes() { return out_; }
  std::size_t size() const { return out_.size(); }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void scalar(BuiltinType t, const Scalar& s);
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : in_(bytes) {}
  explicit Decoder(std::span<const std::byte> bytes)
      : in_(reinterpret_cast<const char*>(bytes.data()), bytes.size()) {}

  bool boolean() { return u8() != 0; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::int8_t i8() { return static_cast<std::int8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::int16_t i16() { return static_cast<std::int16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::int32_t i32() { return static_cast<std::int32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(le(8)); }
  float f32();
  double f64();
  std::string string();  // null → ""
  std::string bytestring() { return string(); }
  std::int64_t datetime() { return i64(); }
  Guid guid();
  NodeId node_id();
  ExpandedNodeId expanded_node_id();
  std::uint32_t status() { return u32(); }
  QualifiedName qualified_name();
  LocalizedText localized_text();
  ExtensionObject extension_object();
  Variant variant();
  DataValue data_value();
  void skip_diagnostic_info();
  std::vector<std::string> string_array();
  // Array length prefix: -1/0 → 0; fails if negative below -1, above kMaxArrayLength, or more
  // elements than `min_element_size`-byte elements left in the input.
  std::size_t array_length(std::size_t min_element_size = 1);
  void skip(std::size_t n);
  std::string_view take(std::size_t n);

  bool ok() const { return error_.empty(); }
  std::size_t remaining() const { return ok() ? in_.size() - pos_ : 0; }
  std::size_t position() const { return pos_; }
  void fail(std::string why);
  Status status_result() const;  // kInvalidArgument naming the first failure and its offset

 private:
  std::uint64_t le(int n);
  Scalar scalar(BuiltinType t);
  void skip_diagnostic_info_at(int depth);
  Variant variant_at(int depth);
  DataValue data_value_at(int depth);

  std::string_view in_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace kaiwu::drivers::opcua
