// libFuzzer target for the HJ 212-2017 codec (src/drivers/hj212/codec). The input is a TCP
// byte stream as a station would send it: it is cut into packets with scan(); every packet that
// decodes must encode again (within the 1024 limit) and decode to the same packet; its CP must
// parse into items that encode and parse back to the same items; a DataTime that parses must
// format back to the same text. Rejections must carry a message.
//
// Build with clang (tests/fuzz/build_libfuzzer.sh); replayed on the seed corpus by ctest.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "drivers/hj212/codec.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace kaiwu::drivers::hj212;

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

void check_packet(const Packet& p) {
  const auto wire = encode(p);
  FUZZ_CHECK(wire.has_value());
  const auto again = decode(bytes_of(*wire));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == p);
  const auto items = parse_cp(p.cp);
  if (!items) {
    FUZZ_CHECK(!items.error().message.empty());
    return;
  }
  const std::string cp = encode_cp(*items);
  const auto items2 = parse_cp(cp);
  FUZZ_CHECK(items2.has_value() && items2->size() == items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    FUZZ_CHECK((*items2)[i].key == (*items)[i].key);
    FUZZ_CHECK((*items2)[i].value == (*items)[i].value);
    FUZZ_CHECK((*items2)[i].group == (*items)[i].group);
    if ((*items)[i].key == "DataTime") {
      const auto ts = parse_cst_time((*items)[i].value);
      if (ts) FUZZ_CHECK(format_cst_time(*ts, (*items)[i].value.size() == 17) == (*items)[i].value);
    }
  }
  const Packet ack = data_response(p);
  FUZZ_CHECK(encode(ack).has_value() || encode_segment(ack).size() > kMaxDataLength);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  while (!in.empty()) {
    const Scan s = scan(in);
    FUZZ_CHECK(s.skip <= in.size());
    in = in.subspan(s.skip);
    if (s.error) {
      FUZZ_CHECK(!s.error->message.empty());
      in = in.subspan(2);
      continue;
    }
    if (s.length == 0) break;
    FUZZ_CHECK(s.length <= in.size() && s.length <= kMaxPacketSize);
    const auto p = decode(in.first(s.length));
    if (p) {
      check_packet(*p);
    } else {
      FUZZ_CHECK(!p.error().message.empty());
    }
    in = in.subspan(s.length);
  }
  return 0;
}
