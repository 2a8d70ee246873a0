// libFuzzer target for the OPC UA codec (src/drivers/opcua/): the input is what a hostile
// server could send. It is cut into UA TCP frames (peek_header); every frame goes through the
// Hello/Acknowledge/Error decoders and a None secure channel; the whole input is also decoded as
// each service response body the client reads, and as a DataValue/Variant whose re-encoding must
// be stable (decode → encode → decode → encode gives the same bytes). Rejections carry a message.
//
// Build with clang (tests/fuzz/build_libfuzzer.sh), then e.g.
//   build-fuzz/fuzz_opcua -max_total_time=120 /tmp/opcua-corpus tests/fuzz/corpus/opcua
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "drivers/opcua/binary.hpp"
#include "drivers/opcua/driver.hpp"
#include "drivers/opcua/messages.hpp"
#include "drivers/opcua/secure_channel.hpp"
#include "drivers/opcua/services.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace kaiwu::drivers::opcua;

template <typename R>
void check_result(const R& r) {
  if (!r) FUZZ_CHECK(!r.error().message.empty());
}

void check_frames(std::string_view stream) {
  SecureChannel channel{SecurityConfig{}};
  while (!stream.empty()) {
    auto header = peek_header(stream, 1 << 20);
    check_result(header);
    if (!header || !*header || (*header)->size > stream.size()) return;
    const std::string_view frame = stream.substr(0, (*header)->size);
    FUZZ_CHECK(frame.size() >= kHeaderSize);
    switch ((*header)->type) {
      case MessageType::kHello: {
        auto h = decode_hello(frame);
        check_result(h);
        if (h) FUZZ_CHECK(decode_hello(encode_hello(*h)).has_value());
        break;
      }
      case MessageType::kAcknowledge: {
        auto a = decode_acknowledge(frame);
        check_result(a);
        if (a) FUZZ_CHECK(encode_acknowledge(*a) == frame);
        break;
      }
      case MessageType::kError: {
        auto e = decode_error(frame);
        check_result(e);
        if (e) FUZZ_CHECK(decode_error(encode_error(*e))->reason == e->reason);
        break;
      }
      default: {
        auto chunk = channel.decode_chunk(frame);
        check_result(chunk);
        if (chunk) FUZZ_CHECK(chunk->body.size() + kSequenceHeaderSize <= frame.size());
      }
    }
    stream.remove_prefix(frame.size());
  }
}

void check_values(std::string_view bytes) {
  Decoder d(bytes);
  const DataValue first = d.data_value();
  if (!d.ok()) {
    FUZZ_CHECK(!d.status_result());
    return;
  }
  Encoder e1;
  e1.data_value(first);
  Decoder d2(e1.bytes());
  const DataValue second = d2.data_value();
  FUZZ_CHECK(d2.ok());
  FUZZ_CHECK(d2.remaining() == 0);
  Encoder e2;
  e2.data_value(second);
  FUZZ_CHECK(e1.bytes() == e2.bytes());
  check_result(variant_to_value(first.value));
}

void check_services(std::string_view body) {
  check_result(decode_open_secure_channel(body));
  check_result(decode_get_endpoints(body));
  check_result(decode_create_session(body));
  check_result(decode_activate_session(body));
  check_result(decode_browse(body, false));
  check_result(decode_browse(body, true));
  check_result(decode_read(body));
  check_result(decode_write(body));
  check_result(decode_create_subscription(body));
  check_result(decode_create_monitored_items(body));
  check_result(decode_publish(body));
  check_result(decode_delete_subscriptions(body));
  Decoder d(body);
  const NodeId id = d.node_id();
  if (d.ok()) {
    auto parsed = parse_node_id(format_node_id(id));
    FUZZ_CHECK(parsed.has_value() || (id.kind == NodeId::Kind::kString && (id.text.empty() || id.text.size() > 4096)) ||
               (id.kind == NodeId::Kind::kOpaque && id.text.empty()));
    if (parsed) FUZZ_CHECK(*parsed == id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_frames(bytes);
  check_values(bytes);
  check_services(bytes);
  // NodeId text forms as an address string from a configuration file.
  auto parsed = parse_node_id(bytes);
  if (parsed) FUZZ_CHECK(parse_node_id(format_node_id(*parsed)).has_value());
  return 0;
}
