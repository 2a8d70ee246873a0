#include "drivers/modbus/codec.hpp"

#include <fmt/format.h>

#include <array>

namespace kaiwu::drivers::modbus {

namespace {

constexpr std::uint16_t kCoilOn = 0xFF00;   // §6.5: ON is 0xFF00, OFF 0x0000
constexpr std::uint16_t kCoilOff = 0x0000;

// Big-endian reader over a PDU; every accessor checks the remaining length.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    if (pos_ + 1 > b_.size()) return false;
    v = std::to_integer<std::uint8_t>(b_[pos_++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (pos_ + 2 > b_.size()) return false;
    v = static_cast<std::uint16_t>(std::to_integer<unsigned>(b_[pos_]) << 8 |
                                   std::to_integer<unsigned>(b_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  std::span<const std::byte> take(std::size_t n) {
    if (pos_ + n > b_.size()) return {};
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return b_.size() - pos_; }

 private:
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_bits(std::string& out, const std::vector<bool>& bits) {
  const std::size_t n = (bits.size() + 7) / 8;
  put_u8(out, static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t byte = 0;
    for (std::size_t b = 0; b < 8 && i * 8 + b < bits.size(); ++b)
      if (bits[i * 8 + b]) byte |= static_cast<std::uint8_t>(1u << b);  // §6.1: LSB = first coil
    put_u8(out, byte);
  }
}

std::vector<bool> get_bits(std::span<const std::byte> bytes, std::size_t count) {
  std::vector<bool> bits(count);
  for (std::size_t i = 0; i < count; ++i)
    bits[i] = (std::to_integer<unsigned>(bytes[i / 8]) >> (i % 8)) & 1u;
  return bits;
}

void put_registers(std::string& out, const std::vector<std::uint16_t>& regs, bool with_count) {
  if (with_count) put_u8(out, static_cast<std::uint8_t>(regs.size() * 2));
  for (auto r : regs) put_u16(out, r);
}

std::vector<std::uint16_t> get_registers(std::span<const std::byte> bytes) {
  std::vector<std::uint16_t> regs(bytes.size() / 2);
  for (std::size_t i = 0; i < regs.size(); ++i)
    regs[i] = static_cast<std::uint16_t>(std::to_integer<unsigned>(bytes[2 * i]) << 8 |
                                         std::to_integer<unsigned>(bytes[2 * i + 1]));
  return regs;
}

std::unexpected<Error> bad(Function f, std::string_view what) {
  return fail(Errc::kInvalidArgument, fmt::format("modbus {}: {}", function_name(f), what));
}

Status check_quantity(Function f, std::size_t q, std::size_t max) {
  if (q < 1 || q > max) return bad(f, fmt::format("quantity {} outside 1..{}", q, max));
  return ok();
}

Status check_span(Function f, std::uint16_t address, std::size_t q) {
  if (address + q > 0x10000) return bad(f, fmt::format("address {} + quantity {} passes 65535", address, q));
  return ok();
}

Status check_read(Function f, std::uint16_t address, std::size_t q) {
  const bool bits = f == Function::kReadCoils || f == Function::kReadDiscreteInputs;
  KAIWU_TRY_STATUS(check_quantity(f, q, bits ? kMaxReadBits : kMaxReadRegisters));
  return check_span(f, address, q);
}

// Validates a request's fields against its clause (shared by encode and decode).
Status check_request(const Request& r) {
  switch (r.function) {
    case Function::kReadCoils:             // §6.1
    case Function::kReadDiscreteInputs:    // §6.2
    case Function::kReadHoldingRegisters:  // §6.3
    case Function::kReadInputRegisters:    // §6.4
      return check_read(r.function, r.address, r.quantity);
    case Function::kWriteSingleCoil:  // §6.5
      if (r.bits.size() != 1) return bad(r.function, "needs exactly one value");
      return ok();
    case Function::kWriteSingleRegister:  // §6.6
      if (r.registers.size() != 1) return bad(r.function, "needs exactly one value");
      return ok();
    case Function::kWriteMultipleCoils:  // §6.11
      KAIWU_TRY_STATUS(check_quantity(r.function, r.bits.size(), kMaxWriteBits));
      return check_span(r.function, r.address, r.bits.size());
    case Function::kWriteMultipleRegisters:  // §6.12
      KAIWU_TRY_STATUS(check_quantity(r.function, r.registers.size(), kMaxWriteRegisters));
      return check_span(r.function, r.address, r.registers.size());
    case Function::kReadWriteMultipleRegisters:  // §6.17
      KAIWU_TRY_STATUS(check_read(r.function, r.address, r.quantity));
      KAIWU_TRY_STATUS(check_quantity(r.function, r.registers.size(), kMaxRwWriteRegisters));
      return check_span(r.function, r.write_address, r.registers.size());
  }
  return fail(Errc::kInvalidArgument, "modbus: unsupported function code");
}

Result<Request> decode_write_multiple(Function f, Reader& in) {
  Request r{.function = f};
  std::uint16_t quantity = 0;
  std::uint8_t byte_count = 0;
  if (!in.u16(r.address) || !in.u16(quantity) || !in.u8(byte_count)) return bad(f, "truncated request");
  const bool coils = f == Function::kWriteMultipleCoils;
  const std::size_t expected = coils ? (quantity + 7u) / 8u : quantity * 2u;
  if (byte_count != expected || in.remaining() != byte_count)
    return bad(f, fmt::format("byte count {} does not match quantity {}", byte_count, quantity));
  auto data = in.take(byte_count);
  if (coils) {
    r.bits = get_bits(data, quantity);
  } else {
    r.registers = get_registers(data);
  }
  KAIWU_TRY_STATUS(check_request(r));
  return r;
}

Result<Request> decode_read_write(Reader& in) {
  const Function f = Function::kReadWriteMultipleRegisters;
  Request r{.function = f};
  std::uint16_t write_quantity = 0;
  std::uint8_t byte_count = 0;
  if (!in.u16(r.address) || !in.u16(r.quantity) || !in.u16(r.write_address) || !in.u16(write_quantity) ||
      !in.u8(byte_count))
    return bad(f, "truncated request");
  if (byte_count != write_quantity * 2u || in.remaining() != byte_count)
    return bad(f, fmt::format("byte count {} does not match write quantity {}", byte_count, write_quantity));
  r.registers = get_registers(in.take(byte_count));
  KAIWU_TRY_STATUS(check_request(r));
  return r;
}

}  // namespace

bool is_supported(std::uint8_t f) {
  return (f >= 1 && f <= 6) || f == 0x0F || f == 0x10 || f == 0x17;
}

std::string_view function_name(Function f) {
  switch (f) {
    case Function::kReadCoils: return "read coils (1)";
    case Function::kReadDiscreteInputs: return "read discrete inputs (2)";
    case Function::kReadHoldingRegisters: return "read holding registers (3)";
    case Function::kReadInputRegisters: return "read input registers (4)";
    case Function::kWriteSingleCoil: return "write single coil (5)";
    case Function::kWriteSingleRegister: return "write single register (6)";
    case Function::kWriteMultipleCoils: return "write multiple coils (15)";
    case Function::kWriteMultipleRegisters: return "write multiple registers (16)";
    case Function::kReadWriteMultipleRegisters: return "read/write multiple registers (23)";
  }
  return "unknown function";
}

std::string_view exception_name(std::uint8_t code) {
  switch (code) {
    case 0x01: return "illegal function";
    case 0x02: return "illegal data address";
    case 0x03: return "illegal data value";
    case 0x04: return "server device failure";
    case 0x05: return "acknowledge";
    case 0x06: return "server device busy";
    case 0x08: return "memory parity error";
    case 0x0A: return "gateway path unavailable";
    case 0x0B: return "gateway target device failed to respond";
    default: return "unknown exception";
  }
}

Error exception_error(Function function, std::uint8_t code) {
  // Busy, acknowledge (still working) and gateway trouble are transient; the others say the
  // request itself is wrong for this device.
  const bool transient = code == 0x04 || code == 0x05 || code == 0x06 || code == 0x0A || code == 0x0B;
  return Error{transient ? Errc::kUnavailable : Errc::kInvalidArgument,
               fmt::format("modbus exception {} ({}) to {}", code, exception_name(code), function_name(function))};
}

Result<std::string> encode_request(const Request& r) {
  KAIWU_TRY_STATUS(check_request(r));
  std::string out;
  out.reserve(16 + r.registers.size() * 2 + r.bits.size() / 8);
  put_u8(out, static_cast<std::uint8_t>(r.function));
  put_u16(out, r.address);
  switch (r.function) {
    case Function::kWriteSingleCoil:
      put_u16(out, r.bits[0] ? kCoilOn : kCoilOff);
      break;
    case Function::kWriteSingleRegister:
      put_u16(out, r.registers[0]);
      break;
    case Function::kWriteMultipleCoils:
      put_u16(out, static_cast<std::uint16_t>(r.bits.size()));
      put_bits(out, r.bits);
      break;
    case Function::kWriteMultipleRegisters:
      put_u16(out, static_cast<std::uint16_t>(r.registers.size()));
      put_registers(out, r.registers, true);
      break;
    case Function::kReadWriteMultipleRegisters:
      put_u16(out, r.quantity);
      put_u16(out, r.write_address);
      put_u16(out, static_cast<std::uint16_t>(r.registers.size()));
      put_registers(out, r.registers, true);
      break;
    default:
      put_u16(out, r.quantity);
  }
  return out;
}

Result<Request> decode_request(std::span<const std::byte> pdu) {
  Reader in(pdu);
  std::uint8_t code = 0;
  if (!in.u8(code)) return fail(Errc::kInvalidArgument, "modbus: empty PDU");
  if (!is_supported(code))
    return fail(Errc::kInvalidArgument, fmt::format("modbus: unsupported function code {}", code));
  const auto f = static_cast<Function>(code);
  if (f == Function::kWriteMultipleCoils || f == Function::kWriteMultipleRegisters)
    return decode_write_multiple(f, in);
  if (f == Function::kReadWriteMultipleRegisters) return decode_read_write(in);
  Request r{.function = f};
  std::uint16_t value = 0;
  if (!in.u16(r.address) || !in.u16(value) || in.remaining() != 0) return bad(f, "request must be 5 bytes");
  if (f == Function::kWriteSingleCoil) {
    if (value != kCoilOn && value != kCoilOff) return bad(f, fmt::format("coil value {:#06x} is neither 0xFF00 nor 0", value));
    r.bits = {value == kCoilOn};
  } else if (f == Function::kWriteSingleRegister) {
    r.registers = {value};
  } else {
    r.quantity = value;
  }
  KAIWU_TRY_STATUS(check_request(r));
  return r;
}

Result<std::string> encode_response(const Response& r) {
  std::string out;
  if (r.exception) {  // §7: function code with the high bit set, then the exception code
    put_u8(out, static_cast<std::uint8_t>(static_cast<std::uint8_t>(r.function) | 0x80));
    put_u8(out, *r.exception);
    return out;
  }
  put_u8(out, static_cast<std::uint8_t>(r.function));
  switch (r.function) {
    case Function::kReadCoils:
    case Function::kReadDiscreteInputs:
      if (r.bits.empty() || r.bits.size() > kMaxReadBits) return bad(r.function, "bit count outside 1..2000");
      put_bits(out, r.bits);
      break;
    case Function::kReadHoldingRegisters:
    case Function::kReadInputRegisters:
    case Function::kReadWriteMultipleRegisters:
      if (r.registers.empty() || r.registers.size() > kMaxReadRegisters)
        return bad(r.function, "register count outside 1..125");
      put_registers(out, r.registers, true);
      break;
    case Function::kWriteSingleCoil:
      if (r.bits.size() != 1) return bad(r.function, "needs exactly one value");
      put_u16(out, r.address);
      put_u16(out, r.bits[0] ? kCoilOn : kCoilOff);
      break;
    case Function::kWriteSingleRegister:
      if (r.registers.size() != 1) return bad(r.function, "needs exactly one value");
      put_u16(out, r.address);
      put_u16(out, r.registers[0]);
      break;
    case Function::kWriteMultipleCoils:
    case Function::kWriteMultipleRegisters:
      put_u16(out, r.address);
      put_u16(out, r.quantity);
      break;
  }
  return out;
}

Result<Response> decode_response(std::span<const std::byte> pdu) {
  Reader in(pdu);
  std::uint8_t code = 0;
  if (!in.u8(code)) return fail(Errc::kInvalidArgument, "modbus: empty response PDU");
  const std::uint8_t base = code & 0x7f;
  if (!is_supported(base))
    return fail(Errc::kInvalidArgument, fmt::format("modbus: response with unsupported function code {}", code));
  Response r{.function = static_cast<Function>(base)};
  if (code & 0x80) {
    std::uint8_t ex = 0;
    if (!in.u8(ex) || in.remaining() != 0) return bad(r.function, "exception response must be 2 bytes");
    r.exception = ex;
    return r;
  }
  switch (r.function) {
    case Function::kReadCoils:
    case Function::kReadDiscreteInputs:
    case Function::kReadHoldingRegisters:
    case Function::kReadInputRegisters:
    case Function::kReadWriteMultipleRegisters: {
      std::uint8_t n = 0;
      if (!in.u8(n) || n == 0 || in.remaining() != n) return bad(r.function, "byte count does not match the response");
      auto data = in.take(n);
      if (r.function == Function::kReadCoils || r.function == Function::kReadDiscreteInputs) {
        if (n > (kMaxReadBits + 7) / 8) return bad(r.function, "byte count too large");
        r.bits = get_bits(data, n * 8u);
      } else {
        if (n % 2 != 0 || n > kMaxReadRegisters * 2) return bad(r.function, "odd or too large byte count");
        r.registers = get_registers(data);
      }
      return r;
    }
    default: {
      std::uint16_t value = 0;
      if (!in.u16(r.address) || !in.u16(value) || in.remaining() != 0) return bad(r.function, "response must be 5 bytes");
      if (r.function == Function::kWriteSingleCoil) {
        if (value != kCoilOn && value != kCoilOff) return bad(r.function, "coil echo is neither 0xFF00 nor 0");
        r.bits = {value == kCoilOn};
      } else if (r.function == Function::kWriteSingleRegister) {
        r.registers = {value};
      } else {
        r.quantity = value;
      }
      return r;
    }
  }
}

Status check_response(const Request& q, const Response& r) {
  if (r.function != q.function)
    return fail(Errc::kInvalidArgument, fmt::format("modbus: answer to {} is {}", function_name(q.function),
                                                    function_name(r.function)));
  if (r.exception) return ok();
  auto mismatch = [&](std::string_view what) -> Status { return bad(q.function, fmt::format("response {} does not match the request", what)); };
  switch (q.function) {
    case Function::kReadCoils:
    case Function::kReadDiscreteInputs:  // byte count N = quantity / 8 rounded up (§6.1)
      if (r.bits.size() != (q.quantity + 7u) / 8u * 8u) return mismatch("byte count");
      return ok();
    case Function::kReadHoldingRegisters:
    case Function::kReadInputRegisters:
    case Function::kReadWriteMultipleRegisters:
      if (r.registers.size() != q.quantity) return mismatch("register count");
      return ok();
    case Function::kWriteSingleCoil:  // §6.5: the normal response is an echo of the request
      if (r.address != q.address || r.bits != q.bits) return mismatch("echo");
      return ok();
    case Function::kWriteSingleRegister:
      if (r.address != q.address || r.registers != q.registers) return mismatch("echo");
      return ok();
    case Function::kWriteMultipleCoils:
      if (r.address != q.address || r.quantity != q.bits.size()) return mismatch("address or quantity");
      return ok();
    case Function::kWriteMultipleRegisters:
      if (r.address != q.address || r.quantity != q.registers.size()) return mismatch("address or quantity");
      return ok();
  }
  return ok();
}

std::string encode_mbap(std::uint16_t transaction, std::uint8_t unit, std::string_view pdu) {
  std::string out;
  out.reserve(kMbapHeader + pdu.size());
  put_u16(out, transaction);
  put_u16(out, 0);  // protocol identifier: 0 = Modbus
  put_u16(out, static_cast<std::uint16_t>(pdu.size() + 1));
  put_u8(out, unit);
  out.append(pdu);
  return out;
}

Result<std::size_t> mbap_frame_size(std::span<const std::byte> buffer) {
  if (buffer.size() < kMbapHeader) return std::size_t{0};
  Reader in(buffer);
  std::uint16_t tid = 0, protocol = 0, length = 0;
  in.u16(tid);
  in.u16(protocol);
  in.u16(length);
  if (protocol != 0) return fail(Errc::kInvalidArgument, fmt::format("MBAP protocol identifier {} is not 0", protocol));
  if (length < 2 || length > kMaxPdu + 1)
    return fail(Errc::kInvalidArgument, fmt::format("MBAP length {} outside 2..254", length));
  return kMbapHeader - 1 + length;
}

Result<Adu> decode_mbap(std::span<const std::byte> frame) {
  auto size = KAIWU_TRY(mbap_frame_size(frame));
  if (size == 0 || size != frame.size())
    return fail(Errc::kInvalidArgument, fmt::format("MBAP frame of {} bytes does not match its length field", frame.size()));
  Adu adu;
  adu.transaction = static_cast<std::uint16_t>(std::to_integer<unsigned>(frame[0]) << 8 | std::to_integer<unsigned>(frame[1]));
  adu.unit = std::to_integer<std::uint8_t>(frame[6]);
  adu.pdu.assign(reinterpret_cast<const char*>(frame.data()) + kMbapHeader, frame.size() - kMbapHeader);
  return adu;
}

std::uint16_t crc16(std::span<const std::byte> bytes) {
  static constexpr auto kTable = [] {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
      std::uint16_t c = static_cast<std::uint16_t>(i);
      for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<std::uint16_t>((c >> 1) ^ 0xA001) : static_cast<std::uint16_t>(c >> 1);
      t[i] = c;
    }
    return t;
  }();
  std::uint16_t crc = 0xFFFF;
  for (std::byte b : bytes) crc = static_cast<std::uint16_t>((crc >> 8) ^ kTable[(crc ^ std::to_integer<unsigned>(b)) & 0xff]);
  return crc;
}

std::string encode_rtu(std::uint8_t unit, std::string_view pdu) {
  std::string out;
  out.reserve(pdu.size() + 3);
  put_u8(out, unit);
  out.append(pdu);
  const std::uint16_t crc = crc16(as_bytes(out));
  put_u8(out, static_cast<std::uint8_t>(crc & 0xff));  // §2.5.1.2: CRC low-order byte first
  put_u8(out, static_cast<std::uint8_t>(crc >> 8));
  return out;
}

Result<std::size_t> rtu_frame_size(std::span<const std::byte> b, Direction direction) {
  if (b.size() < 2) return std::size_t{0};
  const std::uint8_t code = std::to_integer<std::uint8_t>(b[1]);
  auto with_count = [&](std::size_t at, std::size_t fixed) -> std::size_t {
    return b.size() <= at ? 0 : fixed + std::to_integer<std::size_t>(b[at]);
  };
  if (direction == Direction::kResponse) {
    if (code & 0x80) return std::size_t{5};  // unit, function, exception code, CRC
    switch (code) {
      case 0x01: case 0x02: case 0x03: case 0x04: case 0x17:
        return with_count(2, 5);  // unit, function, byte count, data, CRC
      case 0x05: case 0x06: case 0x0F: case 0x10:
        return std::size_t{8};
      default: break;
    }
  } else {
    switch (code) {
      case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06:
        return std::size_t{8};
      case 0x0F: case 0x10:
        return with_count(6, 9);  // unit, function, address, quantity, byte count, data, CRC
      case 0x17:
        return with_count(10, 13);
      default: break;
    }
  }
  return fail(Errc::kInvalidArgument, fmt::format("RTU frame with unsupported function code {}", code));
}

Result<Adu> decode_rtu(std::span<const std::byte> frame) {
  if (frame.size() < 4) return fail(Errc::kInvalidArgument, "RTU frame shorter than 4 bytes");
  if (frame.size() > kMaxPdu + 3) return fail(Errc::kInvalidArgument, "RTU frame longer than 256 bytes");
  const std::size_t n = frame.size() - 2;
  const std::uint16_t want = crc16(frame.first(n));
  const std::uint16_t got = static_cast<std::uint16_t>(std::to_integer<unsigned>(frame[n]) |
                                                       std::to_integer<unsigned>(frame[n + 1]) << 8);
  if (want != got) return fail(Errc::kCorruption, fmt::format("RTU CRC error: frame has {:04X}, computed {:04X}", got, want));
  Adu adu;
  adu.unit = std::to_integer<std::uint8_t>(frame[0]);
  adu.pdu.assign(reinterpret_cast<const char*>(frame.data()) + 1, n - 1);
  return adu;
}

}  // namespace kaiwu::drivers::modbus
