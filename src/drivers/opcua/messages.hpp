// OPC UA Connection Protocol framing (OPC 10000-6 §7.1.2): the 8-byte message header,
// Hello / Acknowledge / Error, and the Secure Conversation chunk headers (§6.7.2). Sans-I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kaiwu::drivers::opcua {

// §7.1.2.2 Table 50: MessageType (3 ASCII bytes) and chunk type ('F' final, 'C' intermediate,
// 'A' abort; always 'F' for HEL/ACK/ERR).
enum class MessageType : std::uint8_t { kHello, kAcknowledge, kError, kReverseHello, kOpen, kMessage, kClose };
std::string_view message_type_tag(MessageType t);  // "HEL", "OPN", …

constexpr std::size_t kHeaderSize = 8;
constexpr std::uint32_t kMinBufferSize = 8192;  // §7.1.2.3: buffers are at least 8192 bytes

struct FrameHeader {
  MessageType type = MessageType::kHello;
  char chunk = 'F';
  std::uint32_t size = 0;  // whole message including the header
};

// Looks at the start of a byte stream: the header when 8 bytes are there (kInvalidArgument for
// an unknown type, a bad chunk type, a size below the minimum or above `max_size`), nullopt when
// fewer than 8 bytes have arrived.
Result<std::optional<FrameHeader>> peek_header(std::string_view stream, std::uint32_t max_size);

// §7.1.2.3 Hello.
struct Hello {
  std::uint32_t protocol_version = 0;
  std::uint32_t receive_buffer_size = 65536;
  std::uint32_t send_buffer_size = 65536;
  std::uint32_t max_message_size = 0;  // 0: no limit
  std::uint32_t max_chunk_count = 0;
  std::string endpoint_url;  // at most 4096 bytes
};
// §7.1.2.4 Acknowledge.
struct Acknowledge {
  std::uint32_t protocol_version = 0;
  std::uint32_t receive_buffer_size = 0;
  std::uint32_t send_buffer_size = 0;
  std::uint32_t max_message_size = 0;
  std::uint32_t max_chunk_count = 0;
};
// §7.1.2.5 Error.
struct ErrorMessage {
  std::uint32_t error = 0;  // StatusCode
  std::string reason;
};

std::string encode_hello(const Hello& h);
std::string encode_acknowledge(const Acknowledge& a);
std::string encode_error(const ErrorMessage& e);
// Each takes a whole frame (header included) and checks type and size.
Result<Hello> decode_hello(std::string_view frame);
Result<Acknowledge> decode_acknowledge(std::string_view frame);
Result<ErrorMessage> decode_error(std::string_view frame);

// §6.7.2.3 Asymmetric algorithm security header (OPN chunks).
struct AsymmetricHeader {
  std::string policy_uri;
  std::string sender_certificate;    // DER, empty for None
  std::string receiver_thumbprint;   // SHA-1 of the receiver's DER certificate, empty for None
};

// The cleartext part of a Secure Conversation chunk: message header, SecureChannelId, and the
// asymmetric header (OPN) or TokenId (MSG/CLO). `header_size` is where the (possibly
// encrypted) sequence header starts.
struct ChunkHeader {
  FrameHeader frame;
  std::uint32_t channel_id = 0;
  AsymmetricHeader asymmetric;  // OPN
  std::uint32_t token_id = 0;   // MSG, CLO
  std::size_t header_size = 0;
};
Result<ChunkHeader> decode_chunk_header(std::string_view chunk);

// §6.7.2.4 Sequence header: SequenceNumber, RequestId.
constexpr std::size_t kSequenceHeaderSize = 8;

}  // namespace kaiwu::drivers::opcua
