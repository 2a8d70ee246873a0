// libFuzzer target for the cluster envelopes (src/cluster/envelope.hpp): what nodes send each
// other over NATS (forwarded MQTT messages, session claims) and the retained bucket's values. Any
// input must decode or be rejected with kInvalidArgument and a message, never crash; an accepted
// envelope re-encodes to bytes that decode to the same encoding again.
//
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_cluster -max_total_time=60 /tmp/cluster-corpus tests/fuzz/corpus/cluster
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "cluster/envelope.hpp"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

std::span<const std::uint8_t> view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// decode → encode → decode → encode gives the same bytes twice.
template <typename T>
void check_stable(const kaiwu::Result<T>& decoded, kaiwu::Result<T> (*decode)(std::span<const std::uint8_t>)) {
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(!decoded.error().message.empty());
    return;
  }
  auto once = kaiwu::cluster::encode(*decoded);
  auto again = decode(view(once));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(kaiwu::cluster::encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  check_stable(kaiwu::cluster::decode_forwarded(bytes), &kaiwu::cluster::decode_forwarded);
  check_stable(kaiwu::cluster::decode_claim(bytes), &kaiwu::cluster::decode_claim);
  check_stable(kaiwu::cluster::decode_retained(bytes), &kaiwu::cluster::decode_retained);
  return 0;
}
