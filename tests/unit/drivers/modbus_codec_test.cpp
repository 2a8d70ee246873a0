// Golden frames from the Modbus Application Protocol Specification V1.1b3 (the request/response
// examples of §6.1-§6.17 and §7) and known RTU frames with their CRC.
#include "drivers/modbus/codec.hpp"

#include <gtest/gtest.h>

namespace kaiwu::drivers::modbus {
namespace {

std::string hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

Request roundtrip_request(std::string_view pdu_hex) {
  const std::string pdu = hex(pdu_hex);
  auto r = decode_request(as_bytes(pdu));
  EXPECT_TRUE(r) << pdu_hex << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  auto again = encode_request(*r);
  EXPECT_TRUE(again);
  EXPECT_EQ(*again, pdu) << pdu_hex;
  return *r;
}

Response roundtrip_response(std::string_view pdu_hex, const Request& request) {
  const std::string pdu = hex(pdu_hex);
  auto r = decode_response(as_bytes(pdu));
  EXPECT_TRUE(r) << pdu_hex << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  EXPECT_TRUE(check_response(request, *r)) << pdu_hex;
  Response trimmed = *r;
  if (trimmed.function == Function::kReadCoils || trimmed.function == Function::kReadDiscreteInputs)
    trimmed.bits.resize(request.quantity);
  auto again = encode_response(trimmed);
  EXPECT_TRUE(again);
  EXPECT_EQ(*again, pdu) << pdu_hex;
  return *r;
}

TEST(ModbusCodec, ReadCoilsSpecExample) {  // §6.1: coils 20-38 (address 19, 19 coils)
  auto q = roundtrip_request("01 00 13 00 13");
  EXPECT_EQ(q.function, Function::kReadCoils);
  EXPECT_EQ(q.address, 19);
  EXPECT_EQ(q.quantity, 19);
  auto r = roundtrip_response("01 03 CD 6B 05", q);
  // 0xCD = coils 27..20 = 1100 1101: coil 20 (first) is the LSB.
  EXPECT_TRUE(r.bits[0]);
  EXPECT_FALSE(r.bits[1]);
  EXPECT_TRUE(r.bits[2]);
  EXPECT_TRUE(r.bits[7]);
  EXPECT_TRUE(r.bits[16]);   // 0x05: coils 36 and 38
  EXPECT_FALSE(r.bits[17]);
  EXPECT_TRUE(r.bits[18]);
}

TEST(ModbusCodec, ReadDiscreteInputsSpecExample) {  // §6.2: inputs 197-218
  auto q = roundtrip_request("02 00 C4 00 16");
  EXPECT_EQ(q.address, 196);
  EXPECT_EQ(q.quantity, 22);
  auto r = roundtrip_response("02 03 AC DB 35", q);
  EXPECT_FALSE(r.bits[0]);  // 0xAC = 1010 1100
  EXPECT_TRUE(r.bits[2]);
  EXPECT_TRUE(r.bits[7]);
}

TEST(ModbusCodec, ReadHoldingRegistersSpecExample) {  // §6.3: registers 108-110
  auto q = roundtrip_request("03 00 6B 00 03");
  EXPECT_EQ(q.function, Function::kReadHoldingRegisters);
  EXPECT_EQ(q.address, 107);
  EXPECT_EQ(q.quantity, 3);
  auto r = roundtrip_response("03 06 02 2B 00 00 00 64", q);
  EXPECT_EQ(r.registers, (std::vector<std::uint16_t>{555, 0, 100}));
}

TEST(ModbusCodec, ReadInputRegisterSpecExample) {  // §6.4: register 9
  auto q = roundtrip_request("04 00 08 00 01");
  auto r = roundtrip_response("04 02 00 0A", q);
  EXPECT_EQ(r.registers, (std::vector<std::uint16_t>{10}));
}

TEST(ModbusCodec, WriteSingleCoilAndRegisterSpecExamples) {  // §6.5, §6.6: the response echoes
  auto coil = roundtrip_request("05 00 AC FF 00");
  EXPECT_EQ(coil.address, 172);
  EXPECT_EQ(coil.bits, std::vector<bool>{true});
  roundtrip_response("05 00 AC FF 00", coil);
  auto reg = roundtrip_request("06 00 01 00 03");
  EXPECT_EQ(reg.registers, std::vector<std::uint16_t>{3});
  roundtrip_response("06 00 01 00 03", reg);
  // A coil value other than FF00/0000 is illegal (§6.5).
  const std::string bad = hex("05 00 AC 12 34");
  EXPECT_FALSE(decode_request(as_bytes(bad)));
}

TEST(ModbusCodec, WriteMultipleSpecExamples) {  // §6.11, §6.12
  auto coils = roundtrip_request("0F 00 13 00 0A 02 CD 01");
  EXPECT_EQ(coils.address, 19);
  ASSERT_EQ(coils.bits.size(), 10u);
  EXPECT_EQ(coils.bits, (std::vector<bool>{1, 0, 1, 1, 0, 0, 1, 1, 1, 0}));
  auto r = roundtrip_response("0F 00 13 00 0A", coils);
  EXPECT_EQ(r.quantity, 10);
  auto regs = roundtrip_request("10 00 01 00 02 04 00 0A 01 02");
  EXPECT_EQ(regs.registers, (std::vector<std::uint16_t>{0x000A, 0x0102}));
  roundtrip_response("10 00 01 00 02", regs);
}

TEST(ModbusCodec, ReadWriteMultipleRegistersSpecExample) {  // §6.17
  auto q = roundtrip_request("17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF");
  EXPECT_EQ(q.address, 3);
  EXPECT_EQ(q.quantity, 6);
  EXPECT_EQ(q.write_address, 14);
  EXPECT_EQ(q.registers, (std::vector<std::uint16_t>{0xFF, 0xFF, 0xFF}));
  auto r = roundtrip_response("17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF", q);
  EXPECT_EQ(r.registers, (std::vector<std::uint16_t>{0x00FE, 0x0ACD, 0x0001, 0x0003, 0x000D, 0x00FF}));
}

TEST(ModbusCodec, ExceptionResponseSpecExample) {  // §7: read coils of a missing output
  const std::string pdu = hex("81 02");
  auto r = decode_response(as_bytes(pdu));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->function, Function::kReadCoils);
  EXPECT_EQ(r->exception, std::uint8_t{2});
  EXPECT_EQ(*encode_response(*r), pdu);
  const Error e = exception_error(Function::kReadCoils, 2);
  EXPECT_EQ(e.code, Errc::kInvalidArgument);
  EXPECT_NE(e.message.find("exception 2 (illegal data address)"), std::string::npos) << e.message;
  EXPECT_EQ(exception_error(Function::kReadHoldingRegisters, 0x0B).code, Errc::kUnavailable);
  EXPECT_NE(exception_error(Function::kReadHoldingRegisters, 0x0B).message.find("gateway target"), std::string::npos);
  EXPECT_NE(exception_error(Function::kReadHoldingRegisters, 6).message.find("busy"), std::string::npos);
  EXPECT_NE(exception_error(Function::kReadHoldingRegisters, 1).message.find("illegal function"), std::string::npos);
  EXPECT_NE(exception_error(Function::kReadHoldingRegisters, 3).message.find("illegal data value"), std::string::npos);
  EXPECT_NE(exception_error(Function::kReadHoldingRegisters, 4).message.find("server device failure"), std::string::npos);
}

TEST(ModbusCodec, LimitsAreEnforced) {
  Request r{.function = Function::kReadHoldingRegisters, .address = 0, .quantity = 125};
  EXPECT_TRUE(encode_request(r));
  r.quantity = 126;
  EXPECT_FALSE(encode_request(r));
  r.quantity = 0;
  EXPECT_FALSE(encode_request(r));
  r = {.function = Function::kReadCoils, .address = 0, .quantity = 2000};
  EXPECT_TRUE(encode_request(r));
  r.quantity = 2001;
  EXPECT_FALSE(encode_request(r));
  r = {.function = Function::kReadHoldingRegisters, .address = 65500, .quantity = 100};
  EXPECT_FALSE(encode_request(r));  // passes 65535
  Request w{.function = Function::kWriteMultipleRegisters};
  w.registers.assign(123, 1);
  EXPECT_TRUE(encode_request(w));
  w.registers.assign(124, 1);
  auto e = encode_request(w);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("1..123"), std::string::npos) << e.error().message;
  Request c{.function = Function::kWriteMultipleCoils};
  c.bits.assign(1968, true);
  EXPECT_TRUE(encode_request(c));
  c.bits.assign(1969, true);
  EXPECT_FALSE(encode_request(c));
  // Decoding enforces the same limits: FC 3 for 126 registers.
  const std::string too_many = hex("03 00 00 00 7E");
  EXPECT_FALSE(decode_request(as_bytes(too_many)));
  // Byte count that disagrees with the quantity.
  const std::string bad_count = hex("10 00 01 00 02 03 00 0A 01");
  EXPECT_FALSE(decode_request(as_bytes(bad_count)));
  const std::string unknown = hex("2B 0E 01 00");
  EXPECT_FALSE(decode_request(as_bytes(unknown)));
  EXPECT_FALSE(is_supported(0x2B));
}

TEST(ModbusCodec, ResponseMustMatchRequest) {
  Request q{.function = Function::kReadHoldingRegisters, .address = 0, .quantity = 2};
  const std::string three = hex("03 06 00 01 00 02 00 03");
  auto r = decode_response(as_bytes(three));
  ASSERT_TRUE(r);
  EXPECT_FALSE(check_response(q, *r));
  const std::string other = hex("04 04 00 01 00 02");
  EXPECT_FALSE(check_response(q, *decode_response(as_bytes(other))));
  const std::string truncated = hex("03 04 00 01 00");
  EXPECT_FALSE(decode_response(as_bytes(truncated)));
}

TEST(ModbusCodec, MbapFraming) {
  // Messaging on TCP/IP V1.0b §3.1.3: transaction 1, protocol 0, length 6, unit 17, §6.3 PDU.
  const std::string pdu = hex("03 00 6B 00 03");
  const std::string frame = encode_mbap(1, 0x11, pdu);
  EXPECT_EQ(frame, hex("00 01 00 00 00 06 11 03 00 6B 00 03"));
  EXPECT_EQ(*mbap_frame_size(as_bytes(frame.substr(0, 6))), 0u);
  EXPECT_EQ(*mbap_frame_size(as_bytes(frame.substr(0, 7))), 12u);
  auto adu = decode_mbap(as_bytes(frame));
  ASSERT_TRUE(adu);
  EXPECT_EQ(adu->transaction, 1);
  EXPECT_EQ(adu->unit, 0x11);
  EXPECT_EQ(adu->pdu, pdu);
  EXPECT_FALSE(mbap_frame_size(as_bytes(hex("00 01 00 01 00 06 11"))));  // protocol id 1
  EXPECT_FALSE(mbap_frame_size(as_bytes(hex("00 01 00 00 00 01 11"))));  // length below 2
  EXPECT_FALSE(mbap_frame_size(as_bytes(hex("00 01 00 00 01 00 11"))));  // length 256
  EXPECT_FALSE(decode_mbap(as_bytes(frame.substr(0, 11))));
}

TEST(ModbusCodec, RtuFramingWithKnownCrcs) {
  EXPECT_EQ(encode_rtu(1, hex("03 00 00 00 0A")), hex("01 03 00 00 00 0A C5 CD"));
  // Serial Line V1.02 §6.2.2 / Application Protocol §6.3 example addressed to unit 17.
  EXPECT_EQ(encode_rtu(0x11, hex("03 00 6B 00 03")), hex("11 03 00 6B 00 03 76 87"));
  const std::string frame = hex("01 03 00 00 00 0A C5 CD");
  EXPECT_EQ(crc16(as_bytes(frame.substr(0, 6))), 0xCDC5);
  auto adu = decode_rtu(as_bytes(frame));
  ASSERT_TRUE(adu);
  EXPECT_EQ(adu->unit, 1);
  EXPECT_EQ(adu->pdu, hex("03 00 00 00 0A"));
  std::string corrupt = frame;
  corrupt[3] ^= 1;
  auto e = decode_rtu(as_bytes(corrupt));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::kCorruption);
  EXPECT_NE(e.error().message.find("CRC"), std::string::npos);
}

TEST(ModbusCodec, RtuFrameLengthFromFunctionCode) {
  using D = Direction;
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01")), D::kRequest), 0u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 03")), D::kRequest), 8u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 10 00 01 00 02")), D::kRequest), 0u);  // byte count not yet in
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 10 00 01 00 02 04")), D::kRequest), 13u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 17 00 03 00 06 00 0E 00 03 06")), D::kRequest), 19u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 03")), D::kResponse), 0u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 03 06")), D::kResponse), 11u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 83")), D::kResponse), 5u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 06")), D::kResponse), 8u);
  EXPECT_EQ(*rtu_frame_size(as_bytes(hex("01 01 03")), D::kResponse), 8u);
  EXPECT_FALSE(rtu_frame_size(as_bytes(hex("01 2B")), D::kRequest));
  // Exception frame round trip: 01 83 02 + CRC.
  const std::string ex = encode_rtu(1, hex("83 02"));
  EXPECT_EQ(ex, hex("01 83 02 C0 F1"));
}

}  // namespace
}  // namespace kaiwu::drivers::modbus
