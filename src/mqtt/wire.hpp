// Internal to mqtt/: the data representations of MQTT 5.0 §1.5 (integers, Variable Byte
// Integers, UTF-8 strings, binary data), a bounds-checked Reader and a Writer that either
// appends to a string or only counts bytes, and the error helpers shared by the decoders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mqtt/codec.hpp"

namespace kaiwu::mqtt::wire {

inline std::unexpected<CodecError> fail(ReasonCode reason, std::string message) {
  return std::unexpected(CodecError{reason, std::move(message)});
}
inline std::unexpected<CodecError> malformed(std::string message) {
  return fail(ReasonCode::kMalformedPacket, std::move(message));
}
inline std::unexpected<CodecError> protocol_error(std::string message) {
  return fail(ReasonCode::kProtocolError, std::move(message));
}

std::string hex_byte(std::uint8_t value);  // "0x2a"

// Variable Byte Integer (MQTT 5.0 §1.5.5).
inline constexpr std::size_t kMaxVbiBytes = 4;
std::size_t vbi_size(std::uint32_t value);

enum class VbiStatus { kOk, kNeedMore, kTooLong, kNotMinimal };
struct VbiParse {
  VbiStatus status = VbiStatus::kNeedMore;
  std::uint32_t value = 0;
  std::size_t bytes = 0;
};
// Parses a Variable Byte Integer at the start of `bytes`. An encoding longer than needed (e.g.
// 0x80 0x00 for 0) is kNotMinimal: [MQTT-1.5.5-1] requires the minimum number of bytes.
VbiParse parse_vbi(std::span<const std::uint8_t> bytes);

// Reads fields front to back; every read checks the bytes left first. Error messages are
// "<field>: <problem>", with `field` naming the packet and field ("PUBLISH topic name").
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool empty() const { return pos_ == bytes_.size(); }

  CodecResult<std::uint8_t> u8(std::string_view field);
  CodecResult<std::uint16_t> u16(std::string_view field);
  CodecResult<std::uint32_t> u32(std::string_view field);
  CodecResult<std::uint32_t> vbi(std::string_view field);
  // UTF-8 Encoded String (§1.5.4): validated, Malformed Packet when not well-formed.
  CodecResult<std::string> utf8(std::string_view field);
  // Binary Data (§1.5.6).
  CodecResult<std::string> binary(std::string_view field);
  // The next `n` bytes as their own Reader.
  CodecResult<Reader> sub(std::size_t n, std::string_view field);
  // Everything left (e.g. a PUBLISH payload).
  std::string rest();

 private:
  std::span<const std::uint8_t> take(std::size_t n);
  CodecResult<std::span<const std::uint8_t>> need(std::size_t n, std::string_view field);

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

// Appends big-endian fields to `out`, or with no string only counts them (to size a Remaining
// Length or Property Length before writing it).
class Writer {
 public:
  Writer() = default;
  explicit Writer(std::string* out) : out_(out) {}

  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void vbi(std::uint32_t v);
  void str(std::string_view s);  // 2-byte length prefix: UTF-8 strings and binary data alike
  void raw(std::string_view s);
  std::size_t size() const { return size_; }

 private:
  std::string* out_ = nullptr;
  std::size_t size_ = 0;
};

// MQTT 5.0 properties (properties.cpp). Which packet a property section belongs to decides
// which identifiers are allowed (§2.2.2.2) and whether Subscription Identifier may repeat.
enum class PropertyScope : std::uint8_t {
  kConnect,
  kWill,
  kConnack,
  kPublish,
  kPublishResponse,  // PUBACK, PUBREC, PUBREL, PUBCOMP
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kDisconnect,
  kAuth,
};
std::string_view scope_name(PropertyScope scope);

// Reads Property Length and the properties after it, validating identifiers, repeats and values.
CodecResult<Properties> decode_properties(Reader& reader, PropertyScope scope);
// Writes Property Length and the properties allowed in `scope`, in identifier order.
void write_properties(Writer& writer, const Properties& props, PropertyScope scope);
// Whether write_properties would write no property at all.
bool no_properties(const Properties& props, PropertyScope scope);

}  // namespace kaiwu::mqtt::wire
