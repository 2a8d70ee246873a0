// libFuzzer target for the Modbus codec (src/drivers/modbus/codec.cpp) and what the server does
// with a decoded request (register_map.cpp). The input is tried as a request PDU, a response
// PDU, an MBAP stream and an RTU stream in both directions, and as a point address. Checks:
//  - an accepted request re-encodes and decodes back to the same request; executed against a
//    small RegisterMap it yields a response that encodes, decodes and answers the request;
//  - an accepted response re-encodes to the same bytes (read responses keep their byte count);
//  - frame sizes are 0 (need more) or at least the header; decoded frames carry the PDU bytes;
//  - every rejection carries a message.
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_modbus -max_total_time=60 /tmp/modbus-corpus tests/fuzz/corpus/modbus
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "drivers/modbus/codec.hpp"
#include "drivers/modbus/points.hpp"
#include "drivers/modbus/register_map.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace kaiwu::drivers::modbus;

bool same(const Request& a, const Request& b) {
  return a.function == b.function && a.address == b.address && a.quantity == b.quantity &&
         a.write_address == b.write_address && a.registers == b.registers && a.bits == b.bits;
}

void check_request(std::span<const std::byte> pdu) {
  auto r = decode_request(pdu);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  auto bytes = encode_request(*r);
  FUZZ_CHECK(bytes);
  FUZZ_CHECK(bytes->size() <= kMaxPdu);
  auto again = decode_request(as_bytes(*bytes));
  FUZZ_CHECK(again && same(*r, *again));
  // The server side: execute against a small map; the answer must be a valid response to it.
  static RegisterMap map(RegisterMap::Sizes{.coils = 300, .discrete_inputs = 300, .input_registers = 300,
                                            .holding_registers = 300});
  Response response = map.handle(*r);
  auto encoded = encode_response(response);
  FUZZ_CHECK(encoded);
  auto decoded = decode_response(as_bytes(*encoded));
  FUZZ_CHECK(decoded);
  FUZZ_CHECK(check_response(*r, *decoded));
}

void check_response_pdu(std::span<const std::byte> pdu) {
  auto r = decode_response(pdu);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  auto bytes = encode_response(*r);
  FUZZ_CHECK(bytes);
  FUZZ_CHECK(*bytes == std::string(reinterpret_cast<const char*>(pdu.data()), pdu.size()));
}

void check_streams(std::span<const std::byte> data) {
  if (auto size = mbap_frame_size(data)) {
    FUZZ_CHECK(*size == 0 || *size >= kMbapHeader + 1);
    if (*size != 0 && *size <= data.size()) {
      auto adu = decode_mbap(data.first(*size));
      FUZZ_CHECK(adu);
      FUZZ_CHECK(adu->pdu.size() + kMbapHeader == *size);
      check_request(as_bytes(adu->pdu));
    }
  } else {
    FUZZ_CHECK(!size.error().message.empty());
  }
  for (Direction d : {Direction::kRequest, Direction::kResponse}) {
    auto size = rtu_frame_size(data, d);
    if (!size || *size == 0 || *size > data.size()) continue;
    FUZZ_CHECK(*size >= 5);
    auto adu = decode_rtu(data.first(*size));
    if (!adu) continue;  // CRC mismatch: expected for most inputs
    FUZZ_CHECK(encode_rtu(adu->unit, adu->pdu) ==
               std::string(reinterpret_cast<const char*>(data.data()), *size));
    if (d == Direction::kRequest) check_request(as_bytes(adu->pdu));
    if (d == Direction::kResponse) check_response_pdu(as_bytes(adu->pdu));
  }
}

void check_address(std::span<const std::byte> data) {
  const std::string text(reinterpret_cast<const char*>(data.data()), std::min<std::size_t>(data.size(), 24));
  auto a = parse_address(text);
  if (!a) {
    FUZZ_CHECK(!a.error().message.empty());
    return;
  }
  FUZZ_CHECK(!a->bit || (*a->bit <= 15 && !is_bit_table(a->table)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span<const std::uint8_t>(data, size));
  check_request(bytes);
  check_response_pdu(bytes);
  check_streams(bytes);
  check_address(bytes);
  return 0;
}
