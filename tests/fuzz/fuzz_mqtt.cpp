// libFuzzer target for the MQTT codec (src/mqtt/). The input is a byte stream as a peer would
// send it: it is cut into frames with peek_frame and every frame is decoded as MQTT 3.1.1 and
// as 5.0. Each accepted packet must re-encode to at most the bytes it came from, decode back to
// the same value, and encode to the same bytes again; each rejection must carry an error reason
// and a message. Topic helpers are checked against the filters and topics that decode accepted.
//
// Build with clang (see README.md); the codec needs only the sources listed in
// src/mqtt/CMakeLists.txt for kaiwu_mqtt's codec and src/core/errc.cpp, e.g. with clang++-19:
//   clang++-19 -std=c++23 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//     tests/fuzz/fuzz_mqtt.cpp
//     src/mqtt/{decode,decode_connect,encode,properties,reason,topic,wire}.cpp src/core/errc.cpp -o
//     fuzz_mqtt
//   ./fuzz_mqtt -max_total_time=120 /tmp/mqtt-corpus tests/fuzz/corpus/mqtt
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>

#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace kaiwu::mqtt;

void check_topics(const Packet& p) {
  if (const auto* s = std::get_if<Subscribe>(&p)) {
    for (const Subscription& sub : s->subscriptions) {
      FUZZ_CHECK(valid_topic_filter(sub.filter));
      // A filter without wildcards is also a topic and matches itself (§4.7.1).
      if (valid_topic_name(sub.filter) && !parse_shared_filter(sub.filter)) {
        FUZZ_CHECK(topic_matches(sub.filter, sub.filter));
      }
      // "#" matches every topic not starting with '$' (§4.7.2).
      FUZZ_CHECK(topic_matches("#", sub.filter) == !sub.filter.starts_with('$'));
    }
  }
  if (const auto* pub = std::get_if<Publish>(&p); pub && !pub->topic.empty()) {
    FUZZ_CHECK(valid_topic_name(pub->topic));
    if (!parse_shared_filter(pub->topic)) FUZZ_CHECK(topic_matches(pub->topic, pub->topic));
    FUZZ_CHECK(!valid_topic_filter(pub->topic + "/#/x"));
  }
}

void check_frame(std::span<const std::uint8_t> frame) {
  for (const Version v : {Version::k311, Version::k5}) {
    const auto decoded = decode(frame, v);
    if (!decoded) {
      FUZZ_CHECK(!decoded.error().message.empty());
      FUZZ_CHECK(static_cast<std::uint8_t>(decoded.error().reason) >= 0x80);
      continue;
    }
    // A CONNECT is re-encoded in the version it announced.
    const auto* connect = std::get_if<Connect>(&*decoded);
    const Version out = connect ? connect->version : v;
    const std::string bytes = encode(*decoded, out);
    FUZZ_CHECK(encoded_size(*decoded, out) == bytes.size());
    FUZZ_CHECK(bytes.size() <= frame.size());  // encode picks the shortest form
    const auto again = decode(bytes_of(bytes), out);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *decoded);
    FUZZ_CHECK(encode(*again, out) == bytes);
    check_topics(*decoded);
  }
  if ((frame[0] >> 4) == 1) {
    const auto c = decode_connect(frame);
    const auto d = decode(frame, Version::k5);
    FUZZ_CHECK(c.has_value() == d.has_value());
    if (c) FUZZ_CHECK(Packet(*c) == *d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  // The first byte also picks a Maximum Packet Size, to exercise the limit check.
  const std::uint32_t limit = size > 0 && data[0] < 16 ? 64u << data[0] : kMaxPacketSize;
  while (!in.empty()) {
    const auto header = peek_frame(in, limit);
    if (!header) {
      FUZZ_CHECK(!header.error().message.empty());
      break;
    }
    if (!header->has_value()) {
      FUZZ_CHECK(in.size() < 5);  // a header is at most 5 bytes
      FUZZ_CHECK(!decode(in, Version::k5).has_value());
      break;
    }
    const std::size_t n = (*header)->frame_size();
    FUZZ_CHECK(n <= limit);
    if (n > in.size()) {  // incomplete frame: decoding must refuse it
      FUZZ_CHECK(!decode(in, Version::k311).has_value());
      break;
    }
    check_frame(in.first(n));
    in = in.subspan(n);
  }
  return 0;
}
