// libFuzzer target for the DL/T 645-2007 codec (src/drivers/dlt645/codec, data_ids). The input
// is a byte stream as a meter line would carry it: it is cut into frames with scan(); every
// frame that decodes must re-encode to exactly its bytes (minus the preamble) and decode back
// to the same frame; a read response's value must decode per the identifier table and, when it
// is a number, encode back to the same value. Rejections must carry a message.
//
// Build with clang (tests/fuzz/build_libfuzzer.sh); replayed on the seed corpus by ctest.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>

#include "drivers/dlt645/codec.hpp"
#include "drivers/dlt645/data_ids.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace kaiwu::drivers::dlt645;

void check_value(const Frame& frame) {
  if (frame.data.size() < 4) return;
  const DataId id = static_cast<DataId>(frame.data[0]) | static_cast<DataId>(frame.data[1]) << 8 |
                    static_cast<DataId>(frame.data[2]) << 16 | static_cast<DataId>(frame.data[3]) << 24;
  const auto r = parse_read_response(frame, id);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  FUZZ_CHECK(r->id == id);
  if (is_block(id)) {  // 附录A FF identifiers: whole elements or a clear error
    const auto items = decode_block(id, r->value);
    if (!items) FUZZ_CHECK(!items.error().message.empty());
    else {
      std::size_t bytes = 0;
      for (const auto& item : *items) bytes += item.format.bytes;
      FUZZ_CHECK(bytes == r->value.size());
    }
  }
  const auto format = find_format(id);
  if (!format) {
    const auto v = decode_bcd(r->value);
    if (!v) FUZZ_CHECK(!v.error().message.empty());
    return;
  }
  const auto v = decode_value(*format, r->value);
  if (!v) {
    FUZZ_CHECK(!v.error().message.empty());
    return;
  }
  if (const auto* d = std::get_if<double>(&*v)) {
    const auto again = encode_value(*format, *d);
    FUZZ_CHECK(again.has_value());
    const auto back = decode_value(*format, *again);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(std::fabs(std::get<double>(*back) - *d) < 1e-9);
  } else if (const auto* text = std::get_if<std::string>(&*v)) {
    const auto again = encode_text(*format, *text);
    if (again) FUZZ_CHECK(std::get<std::string>(*decode_value(*format, *again)) == *text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  while (!in.empty()) {
    const Scan s = scan(in);
    FUZZ_CHECK(s.skip <= in.size());
    in = in.subspan(s.skip);
    if (s.length == 0) break;  // an incomplete frame: a stream decoder waits for more bytes
    FUZZ_CHECK(s.length <= in.size() && s.length <= kMaxFrameSize);
    const auto frame = decode(in.first(s.length));
    if (!frame) {
      FUZZ_CHECK(!frame.error().message.empty());
      in = in.subspan(1);  // resynchronise after the 68 that did not start a good frame
      continue;
    }
    const std::string bytes = encode(*frame, 0);
    FUZZ_CHECK(bytes.size() == s.length);
    FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const char*>(in.data())));
    const auto again = decode(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
    FUZZ_CHECK(again.has_value() && *again == *frame);
    check_value(*frame);
    in = in.subspan(s.length);
  }
  return 0;
}
