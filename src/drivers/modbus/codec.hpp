// Modbus codec, sans-I/O (STYLE.md "Seams"): PDUs of the Modbus Application Protocol
// Specification V1.1b3 for function codes 1-6, 15, 16 and 23, as requests and as responses, so
// one codec serves the client driver and the server; MBAP framing for TCP (Modbus Messaging on
// TCP/IP Implementation Guide V1.0b §3.1.3) and RTU framing with CRC-16 (Modbus over Serial Line
// V1.02 §2.5.1). No sockets, clocks or logs. Byte buffers are std::string (wire bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::drivers::modbus {

// Modbus Application Protocol V1.1b3 §5.1 (public function codes).
enum class Function : std::uint8_t {
  kReadCoils = 0x01,
  kReadDiscreteInputs = 0x02,
  kReadHoldingRegisters = 0x03,
  kReadInputRegisters = 0x04,
  kWriteSingleCoil = 0x05,
  kWriteSingleRegister = 0x06,
  kWriteMultipleCoils = 0x0F,
  kWriteMultipleRegisters = 0x10,
  kReadWriteMultipleRegisters = 0x17,
};

// Modbus Application Protocol V1.1b3 §7 (exception codes).
enum class ExceptionCode : std::uint8_t {
  kIllegalFunction = 0x01,
  kIllegalDataAddress = 0x02,
  kIllegalDataValue = 0x03,
  kServerDeviceFailure = 0x04,
  kAcknowledge = 0x05,
  kServerDeviceBusy = 0x06,
  kMemoryParityError = 0x08,
  kGatewayPathUnavailable = 0x0A,
  kGatewayTargetFailedToRespond = 0x0B,
};

// Quantity limits per request (Application Protocol V1.1b3 §6.1-§6.4, §6.11, §6.12, §6.17).
inline constexpr std::uint16_t kMaxReadBits = 2000;        // FC 1, 2
inline constexpr std::uint16_t kMaxReadRegisters = 125;    // FC 3, 4, 23 (read part)
inline constexpr std::uint16_t kMaxWriteBits = 1968;       // FC 15
inline constexpr std::uint16_t kMaxWriteRegisters = 123;   // FC 16
inline constexpr std::uint16_t kMaxRwWriteRegisters = 121; // FC 23 (write part)
inline constexpr std::size_t kMaxPdu = 253;                // §4.1: 256-byte RTU ADU - address - CRC

bool is_supported(std::uint8_t function);
std::string_view function_name(Function function);
// "illegal data address" etc.; "unknown exception" for codes outside §7.
std::string_view exception_name(std::uint8_t code);
// An Error naming the exception code and function, for a device's exception response.
Error exception_error(Function function, std::uint8_t code);

// A request PDU. Fields by function:
//   1-4: address, quantity          5: address, bits[0]        6: address, registers[0]
//   15: address, bits (quantity = bits.size())    16: address, registers
//   23: address/quantity (read), write_address, registers (written)
struct Request {
  Function function = Function::kReadHoldingRegisters;
  std::uint16_t address = 0;
  std::uint16_t quantity = 0;
  std::uint16_t write_address = 0;
  std::vector<std::uint16_t> registers;
  std::vector<bool> bits;
};

// A response PDU. Fields by function:
//   1, 2: bits (byte count × 8; the caller keeps the requested quantity)
//   3, 4, 23: registers         5: address, bits[0]      6: address, registers[0]
//   15, 16: address, quantity   exception: exception set (function without the 0x80 bit)
struct Response {
  Function function = Function::kReadHoldingRegisters;
  std::optional<std::uint8_t> exception;
  std::uint16_t address = 0;
  std::uint16_t quantity = 0;
  std::vector<std::uint16_t> registers;
  std::vector<bool> bits;
};

// kInvalidArgument when a field breaks the limits of the function's clause.
Result<std::string> encode_request(const Request& request);
// kInvalidArgument for a malformed PDU; the server answers it with exception 1 when
// !is_supported(pdu[0]), else with exception 3 (§7: illegal data value).
Result<Request> decode_request(std::span<const std::byte> pdu);
Result<std::string> encode_response(const Response& response);
Result<Response> decode_response(std::span<const std::byte> pdu);
// A response that answers `request`: same function and an echo or count that fits. An
// exception response passes (the caller turns it into exception_error).
Status check_response(const Request& request, const Response& response);

// One application data unit with its addressing: TCP transaction id (0 for RTU) and unit id.
struct Adu {
  std::uint16_t transaction = 0;
  std::uint8_t unit = 0;
  std::string pdu;
};

// MBAP header (Messaging on TCP/IP Implementation Guide V1.0b §3.1.3): transaction id,
// protocol id 0, length = unit id + PDU bytes, unit id.
inline constexpr std::size_t kMbapHeader = 7;
std::string encode_mbap(std::uint16_t transaction, std::uint8_t unit, std::string_view pdu);
// Bytes of the first frame in `buffer`: 0 while the header is incomplete, else header + PDU
// (which may exceed buffer.size()). kInvalidArgument for a bad protocol id or length, after
// which the stream cannot be resynchronised and the connection should be dropped.
Result<std::size_t> mbap_frame_size(std::span<const std::byte> buffer);
Result<Adu> decode_mbap(std::span<const std::byte> frame);

// RTU (Serial Line V1.02 §2.5.1): unit, PDU, CRC low byte first. The CRC is CRC-16/MODBUS
// (polynomial 0xA001 reflected, initial 0xFFFF; §6.2.2).
std::uint16_t crc16(std::span<const std::byte> bytes);
std::string encode_rtu(std::uint8_t unit, std::string_view pdu);
enum class Direction : std::uint8_t { kRequest, kResponse };
// RTU has no length field: the frame length follows from the function code (and byte count).
// Returns 0 while more bytes are needed to know, else the full frame length (which may exceed
// buffer.size()). kInvalidArgument for a function code whose length is unknown.
Result<std::size_t> rtu_frame_size(std::span<const std::byte> buffer, Direction direction);
// kCorruption on a CRC mismatch.
Result<Adu> decode_rtu(std::span<const std::byte> frame);
inline constexpr std::uint8_t kBroadcastUnit = 0;  // Serial Line V1.02 §2.1: writes only, no reply

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace kaiwu::drivers::modbus
