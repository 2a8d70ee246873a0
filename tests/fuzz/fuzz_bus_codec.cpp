// libFuzzer target for the bus message codec (src/bus/codec.hpp), the body of every NATS bus
// message. Any input must decode or be rejected with kInvalidArgument and a message, never
// crash or allocate beyond the input's size. An accepted message re-encodes to bytes that decode
// to the same encoding again (encode ∘ decode is stable).
//
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_bus_codec -max_total_time=60 /tmp/bus-corpus tests/fuzz/corpus/bus_codec
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "bus/codec.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  auto m = kaiwu::bus::decode_message(bytes);
  if (!m) {
    FUZZ_CHECK(m.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(!m.error().message.empty());
    return 0;
  }
  auto once = kaiwu::bus::encode_message(*m);
  FUZZ_CHECK(once.size() <= size);  // canonical encoding is never longer than what was accepted
  auto again = kaiwu::bus::decode_message(std::as_bytes(std::span(once.data(), once.size())));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(kaiwu::bus::encode_message(*again) == once);
  return 0;
}
