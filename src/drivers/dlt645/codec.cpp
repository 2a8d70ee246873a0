#include "drivers/dlt645/codec.hpp"

#include <fmt/format.h>

#include <cctype>

namespace kaiwu::drivers::dlt645 {

namespace {

std::uint8_t at(std::span<const std::byte> b, std::size_t i) { return std::to_integer<std::uint8_t>(b[i]); }

std::uint8_t to_bcd(int v) { return static_cast<std::uint8_t>(((v / 10) % 10) << 4 | (v % 10)); }

void put_data_id(std::vector<std::uint8_t>& out, DataId id) {
  // §7 读数据: DI0 first (the identifier is sent low byte first like every data item).
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(id >> (8 * i)));
}

DataId get_data_id(std::span<const std::uint8_t> d) {
  return static_cast<DataId>(d[0]) | static_cast<DataId>(d[1]) << 8 | static_cast<DataId>(d[2]) << 16 |
         static_cast<DataId>(d[3]) << 24;
}

Errc errc_for(std::uint8_t word) {
  if (word & err::kNoData) return Errc::kNotFound;
  if (word & err::kUnauthorized) return Errc::kPermissionDenied;
  return Errc::kFailedPrecondition;
}

}  // namespace

std::string describe_error_word(std::uint8_t code) {
  static constexpr std::string_view kNames[] = {
      "other error",  "no requested data",        "password error/unauthorized",
      "baud rate cannot be changed", "too many year time zones", "too many daily periods",
      "too many tariffs", "reserved bit 7"};
  std::string out;
  for (int bit = 0; bit < 8; ++bit) {
    if (!(code & (1u << bit))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[bit];
  }
  return out.empty() ? std::string("no error bit set") : out;
}

Result<Address> parse_address(std::string_view digits) {
  if (digits.size() == 12 && (digits == "AAAAAAAAAAAA" || digits == "aaaaaaaaaaaa")) return kWildcardAddress;
  if (digits.empty() || digits.size() > 12)
    return fail(Errc::kInvalidArgument, fmt::format("meter address '{}' must have 1 to 12 decimal digits", digits));
  std::string padded(12 - digits.size(), '0');
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return fail(Errc::kInvalidArgument, fmt::format("meter address '{}' must be decimal digits", digits));
    padded += c;
  }
  Address a;
  for (int i = 0; i < 6; ++i) {  // A0 holds the last two digits
    const std::size_t pos = 10 - 2 * i;
    a.bytes[i] = static_cast<std::uint8_t>((padded[pos] - '0') << 4 | (padded[pos + 1] - '0'));
  }
  return a;
}

std::string address_text(const Address& address) {
  std::string out;
  for (int i = 5; i >= 0; --i) out += fmt::format("{:02X}", address.bytes[i]);
  return out;
}

Result<DataId> parse_data_id(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string hex;
  for (char c : text) {
    if (c == '-' || c == '.') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      hex.clear();
      break;
    }
    hex += c;
  }
  if (hex.size() != 8)
    return fail(Errc::kInvalidArgument,
                fmt::format("data identifier '{}' must be four hex bytes DI3-DI2-DI1-DI0, e.g. 02-01-01-00", text));
  return static_cast<DataId>(std::stoul(hex, nullptr, 16));
}

std::string data_id_text(DataId id) {
  return fmt::format("{:02X}-{:02X}-{:02X}-{:02X}", id >> 24, (id >> 16) & 0xFF, (id >> 8) & 0xFF, id & 0xFF);
}

std::string encode(const Frame& frame, std::size_t preamble) {
  std::string out(std::min<std::size_t>(preamble, 4), static_cast<char>(kPreamble));
  const std::size_t start = out.size();
  out += static_cast<char>(kStart);
  for (std::uint8_t b : frame.address.bytes) out += static_cast<char>(b);
  out += static_cast<char>(kStart);
  out += static_cast<char>(frame.control);
  out += static_cast<char>(frame.data.size());
  for (std::uint8_t b : frame.data) out += static_cast<char>(static_cast<std::uint8_t>(b + kScramble));
  std::uint8_t cs = 0;
  for (std::size_t i = start; i < out.size(); ++i) cs = static_cast<std::uint8_t>(cs + static_cast<std::uint8_t>(out[i]));
  out += static_cast<char>(cs);
  out += static_cast<char>(kEnd);
  return out;
}

Scan scan(std::span<const std::byte> buffer) {
  Scan s;
  const std::size_t n = buffer.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (at(buffer, i) != kStart) continue;
    s.skip = i;
    if (i + kHeaderSize > n) {  // cannot tell yet whether this 68 starts a frame
      if (i + 8 <= n && at(buffer, i + 7) != kStart) continue;
      return s;
    }
    if (at(buffer, i + 7) != kStart) continue;
    const std::size_t total = kHeaderSize + at(buffer, i + 9) + 2;
    if (i + total <= n) s.length = total;
    return s;
  }
  s.skip = n;
  return s;
}

Result<Frame> decode(std::span<const std::byte> bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && at(bytes, i) == kPreamble) ++i;
  bytes = bytes.subspan(i);
  if (bytes.size() < kHeaderSize + 2)
    return fail(Errc::kInvalidArgument, fmt::format("DL/T 645 frame too short ({} bytes)", bytes.size()));
  if (at(bytes, 0) != kStart || at(bytes, 7) != kStart)
    return fail(Errc::kInvalidArgument, "DL/T 645 frame does not start with 68 A0..A5 68");
  const std::size_t len = at(bytes, 9);
  if (bytes.size() != kHeaderSize + len + 2)
    return fail(Errc::kInvalidArgument, fmt::format("DL/T 645 frame of {} bytes has L={} (expected {} bytes)",
                                                    bytes.size(), len, kHeaderSize + len + 2));
  std::uint8_t cs = 0;
  for (std::size_t k = 0; k < kHeaderSize + len; ++k) cs = static_cast<std::uint8_t>(cs + at(bytes, k));
  if (cs != at(bytes, kHeaderSize + len))
    return fail(Errc::kInvalidArgument, fmt::format("DL/T 645 checksum mismatch: frame has {:02X}H, computed {:02X}H",
                                                    at(bytes, kHeaderSize + len), cs));
  if (at(bytes, kHeaderSize + len + 1) != kEnd)
    return fail(Errc::kInvalidArgument, "DL/T 645 frame does not end with 16H");
  Frame f;
  for (int k = 0; k < 6; ++k) f.address.bytes[k] = at(bytes, 1 + k);
  f.control = at(bytes, 8);
  f.data.reserve(len);
  for (std::size_t k = 0; k < len; ++k) f.data.push_back(static_cast<std::uint8_t>(at(bytes, kHeaderSize + k) - kScramble));
  return f;
}

Frame read_request(const Address& address, DataId id) {
  Frame f{address, control::kRead, {}};
  put_data_id(f.data, id);
  return f;
}

Frame read_follow_request(const Address& address, DataId id, std::uint8_t seq) {
  Frame f{address, control::kReadFollow, {}};
  put_data_id(f.data, id);
  f.data.push_back(seq);
  return f;
}

Frame read_address_request() { return Frame{kWildcardAddress, control::kReadAddress, {}}; }

Frame write_request(const Address& address, DataId id, std::uint32_t password, std::uint32_t operator_code,
                    std::span<const std::uint8_t> value) {
  Frame f{address, control::kWrite, {}};
  put_data_id(f.data, id);
  // §7 写数据: PA P0 P1 P2 then C0 C1 C2 C3. `password` reads as written, 0xPAP2P1P0
  // ("02123456": privilege level 02, password 123456); the password goes low byte first.
  f.data.push_back(static_cast<std::uint8_t>(password >> 24));
  for (int i = 0; i < 3; ++i) f.data.push_back(static_cast<std::uint8_t>(password >> (8 * i)));
  for (int i = 0; i < 4; ++i) f.data.push_back(static_cast<std::uint8_t>(operator_code >> (8 * i)));
  f.data.insert(f.data.end(), value.begin(), value.end());
  return f;
}

Frame broadcast_time_request(const DateTime& t) {
  return Frame{kBroadcastAddress,
               control::kBroadcastTime,
               {to_bcd(t.second), to_bcd(t.minute), to_bcd(t.hour), to_bcd(t.day), to_bcd(t.month), to_bcd(t.year % 100)}};
}

Result<ReadResponse> parse_read_response(const Frame& frame, DataId expected) {
  if (!frame.from_meter()) return fail(Errc::kInvalidArgument, "DL/T 645 reply is not from a meter (D7=0)");
  const std::uint8_t fn = frame.function();
  if (fn != control::kRead && fn != control::kReadFollow)
    return fail(Errc::kInvalidArgument, fmt::format("DL/T 645 reply has control code {:02X}H, not a read response", frame.control));
  if (frame.abnormal()) {
    if (frame.data.empty()) return fail(Errc::kInvalidArgument, "DL/T 645 abnormal response without error word");
    const std::uint8_t word = frame.data[0];
    return fail(errc_for(word), fmt::format("meter abnormal response to {}: {} (ERR={:02X}H)", data_id_text(expected),
                                            describe_error_word(word), word));
  }
  if (frame.data.size() < 4) return fail(Errc::kInvalidArgument, "DL/T 645 read response shorter than its data identifier");
  ReadResponse r;
  r.id = get_data_id(frame.data);
  if (r.id != expected)
    return fail(Errc::kInvalidArgument,
                fmt::format("DL/T 645 read response for {} while {} was asked", data_id_text(r.id), data_id_text(expected)));
  r.value.assign(frame.data.begin() + 4, frame.data.end());
  // A response to "read follow-up data" ends with the frame sequence number SEQ.
  if (fn == control::kReadFollow && !r.value.empty()) r.value.pop_back();
  r.follows = frame.follows();
  return r;
}

Frame read_response(const Address& address, DataId id, std::span<const std::uint8_t> value) {
  Frame f{address, static_cast<std::uint8_t>(control::kFromMeter | control::kRead), {}};
  put_data_id(f.data, id);
  f.data.insert(f.data.end(), value.begin(), value.end());
  return f;
}

Frame abnormal_response(const Address& address, std::uint8_t function, std::uint8_t error_word) {
  return Frame{address, static_cast<std::uint8_t>(control::kFromMeter | control::kAbnormal | (function & control::kFunctionMask)),
               {error_word}};
}

Frame write_ok_response(const Address& address) {
  return Frame{address, static_cast<std::uint8_t>(control::kFromMeter | control::kWrite), {}};
}

Frame read_address_response(const Address& address) {
  return Frame{address, static_cast<std::uint8_t>(control::kFromMeter | control::kReadAddress),
               {address.bytes.begin(), address.bytes.end()}};
}

}  // namespace kaiwu::drivers::dlt645
