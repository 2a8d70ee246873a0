#include "drivers/opcua/messages.hpp"

#include <fmt/format.h>

#include "drivers/opcua/binary.hpp"

namespace kaiwu::drivers::opcua {

namespace {

constexpr std::string_view kTags[] = {"HEL", "ACK", "ERR", "RHE", "OPN", "MSG", "CLO"};

std::unexpected<Error> bad(std::string why) { return fail(Errc::kInvalidArgument, "OPC UA framing: " + std::move(why)); }

void put_header(Encoder& e, MessageType t, char chunk) {
  e.raw(message_type_tag(t));
  e.u8(static_cast<std::uint8_t>(chunk));
  e.u32(0);  // size, patched by finish()
}

std::string finish(Encoder& e) {
  auto& b = e.bytes();
  const auto n = static_cast<std::uint32_t>(b.size());
  for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return std::move(b);
}

// Checks a whole frame's header against the expected type and returns a decoder past it.
Result<Decoder> open_frame(std::string_view frame, MessageType want) {
  auto h = peek_header(frame, 0xFFFFFFFFu);
  if (!h) return std::unexpected(h.error());
  if (!*h) return bad("frame shorter than its header");
  if ((*h)->type != want) {
    return bad(fmt::format("expected {} but got {}", message_type_tag(want), message_type_tag((*h)->type)));
  }
  if ((*h)->size != frame.size()) return bad(fmt::format("size field {} but {} bytes", (*h)->size, frame.size()));
  Decoder d(frame);
  d.skip(kHeaderSize);
  return d;
}

}  // namespace

std::string_view message_type_tag(MessageType t) { return kTags[static_cast<std::size_t>(t)]; }

Result<std::optional<FrameHeader>> peek_header(std::string_view stream, std::uint32_t max_size) {
  if (stream.size() < kHeaderSize) return std::optional<FrameHeader>{};
  FrameHeader h;
  const auto tag = stream.substr(0, 3);
  bool known = false;
  for (std::size_t i = 0; i < std::size(kTags); ++i) {
    if (tag == kTags[i]) {
      h.type = static_cast<MessageType>(i);
      known = true;
    }
  }
  if (!known) return bad("unknown message type");
  h.chunk = stream[3];
  const bool secure = h.type == MessageType::kOpen || h.type == MessageType::kMessage || h.type == MessageType::kClose;
  if (secure ? (h.chunk != 'F' && h.chunk != 'C' && h.chunk != 'A') : h.chunk != 'F') {
    return bad(fmt::format("invalid chunk type for {}", tag));
  }
  Decoder d(stream.substr(4, 4));
  h.size = d.u32();
  // The smallest valid message is an Acknowledge: header + 5 UInt32.
  const std::uint32_t min_size = secure ? kHeaderSize + 4 : kHeaderSize + 8;
  if (h.size < min_size) return bad(fmt::format("message size {} too small", h.size));
  if (h.size > max_size) return bad(fmt::format("message size {} exceeds the limit {}", h.size, max_size));
  return std::optional<FrameHeader>{h};
}

std::string encode_hello(const Hello& h) {
  Encoder e;
  put_header(e, MessageType::kHello, 'F');
  e.u32(h.protocol_version);
  e.u32(h.receive_buffer_size);
  e.u32(h.send_buffer_size);
  e.u32(h.max_message_size);
  e.u32(h.max_chunk_count);
  e.string(h.endpoint_url);
  return finish(e);
}

std::string encode_acknowledge(const Acknowledge& a) {
  Encoder e;
  put_header(e, MessageType::kAcknowledge, 'F');
  e.u32(a.protocol_version);
  e.u32(a.receive_buffer_size);
  e.u32(a.send_buffer_size);
  e.u32(a.max_message_size);
  e.u32(a.max_chunk_count);
  return finish(e);
}

std::string encode_error(const ErrorMessage& m) {
  Encoder e;
  put_header(e, MessageType::kError, 'F');
  e.u32(m.error);
  e.string(m.reason);
  return finish(e);
}

Result<Hello> decode_hello(std::string_view frame) {
  auto d = KAIWU_TRY(open_frame(frame, MessageType::kHello));
  Hello h;
  h.protocol_version = d.u32();
  h.receive_buffer_size = d.u32();
  h.send_buffer_size = d.u32();
  h.max_message_size = d.u32();
  h.max_chunk_count = d.u32();
  h.endpoint_url = d.string();
  KAIWU_TRY_STATUS(d.status_result());
  if (h.endpoint_url.size() > 4096) return bad("EndpointUrl longer than 4096 bytes");
  if (h.receive_buffer_size < kMinBufferSize || h.send_buffer_size < kMinBufferSize) {
    return bad("buffer sizes below 8192");
  }
  if (d.remaining() != 0) return bad("trailing bytes after Hello");
  return h;
}

Result<Acknowledge> decode_acknowledge(std::string_view frame) {
  auto d = KAIWU_TRY(open_frame(frame, MessageType::kAcknowledge));
  Acknowledge a;
  a.protocol_version = d.u32();
  a.receive_buffer_size = d.u32();
  a.send_buffer_size = d.u32();
  a.max_message_size = d.u32();
  a.max_chunk_count = d.u32();
  KAIWU_TRY_STATUS(d.status_result());
  if (a.receive_buffer_size < kMinBufferSize || a.send_buffer_size < kMinBufferSize) {
    return bad("buffer sizes below 8192");
  }
  if (d.remaining() != 0) return bad("trailing bytes after Acknowledge");
  return a;
}

Result<ErrorMessage> decode_error(std::string_view frame) {
  auto d = KAIWU_TRY(open_frame(frame, MessageType::kError));
  ErrorMessage m;
  m.error = d.u32();
  m.reason = d.string();
  KAIWU_TRY_STATUS(d.status_result());
  return m;
}

Result<ChunkHeader> decode_chunk_header(std::string_view chunk) {
  auto h = KAIWU_TRY(peek_header(chunk, 0xFFFFFFFFu));
  if (!h) return bad("chunk shorter than its header");
  if (h->size != chunk.size()) return bad(fmt::format("size field {} but {} bytes", h->size, chunk.size()));
  ChunkHeader c;
  c.frame = *h;
  Decoder d(chunk);
  d.skip(kHeaderSize);
  c.channel_id = d.u32();
  switch (h->type) {
    case MessageType::kOpen:
      c.asymmetric.policy_uri = d.string();
      c.asymmetric.sender_certificate = d.bytestring();
      c.asymmetric.receiver_thumbprint = d.bytestring();
      break;
    case MessageType::kMessage:
    case MessageType::kClose: c.token_id = d.u32(); break;
    default: return bad(fmt::format("{} is not a secure channel message", message_type_tag(h->type)));
  }
  KAIWU_TRY_STATUS(d.status_result());
  c.header_size = d.position();
  if (d.remaining() < kSequenceHeaderSize) return bad("chunk without a sequence header");
  return c;
}

}  // namespace kaiwu::drivers::opcua
