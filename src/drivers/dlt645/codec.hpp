// DL/T 645-2007 (多功能电能表通信协议) link-layer codec, sans-I/O: frames to bytes and back,
// no sockets, clocks or logs. Used by the dlt645 driver (master) and the meter simulator (slave).
//
// Frame (DL/T 645-2007 §5, 帧格式):
//   [FE FE FE FE]  68  A0 A1 A2 A3 A4 A5  68  C  L  DATA(L bytes)  CS  16
// - optional wake-up preamble of FE bytes before the frame (§5, 前导字节);
// - A0..A5: meter address, 12 BCD digits, low byte first; AA… is the wildcard used with
//   "read address", 99… the broadcast address (time sync, freeze);
// - C: control code: D7 direction (1 = from the meter), D6 abnormal response, D5 follow-up
//   frame, D4..D0 function;
// - L: data length (≤ 200 for reads, ≤ 50 for writes);
// - DATA: every byte transmitted +0x33 (mod 256) and received −0x33;
// - CS: sum of all bytes from the first 68 to the end of DATA, mod 256.
// Clause references name chapters of the standard: §5 数据链路层 (link layer), §7 应用层
// (application layer), 附录A (data identifier tables).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::drivers::dlt645 {

inline constexpr std::uint8_t kStart = 0x68;     // §5 帧起始符
inline constexpr std::uint8_t kEnd = 0x16;       // §5 结束符
inline constexpr std::uint8_t kPreamble = 0xFE;  // §5 前导字节 (wake-up)
inline constexpr std::uint8_t kScramble = 0x33;  // §5 数据域 +33H
inline constexpr std::size_t kMaxDataLength = 200;  // §5 读数据 L ≤ 200
inline constexpr std::size_t kHeaderSize = 10;   // 68 A0..A5 68 C L
inline constexpr std::size_t kMaxFrameSize = kHeaderSize + 255 + 2;

// Control code (§5 控制码 C): function codes D4..D0 and flag bits.
namespace control {
inline constexpr std::uint8_t kBroadcastTime = 0x08;  // 广播校时
inline constexpr std::uint8_t kRead = 0x11;           // 读数据
inline constexpr std::uint8_t kReadFollow = 0x12;     // 读后续数据
inline constexpr std::uint8_t kReadAddress = 0x13;    // 读通信地址
inline constexpr std::uint8_t kWrite = 0x14;          // 写数据
inline constexpr std::uint8_t kWriteAddress = 0x15;   // 写通信地址
inline constexpr std::uint8_t kFreeze = 0x16;         // 冻结命令
inline constexpr std::uint8_t kChangeBaud = 0x17;     // 更改通信速率
inline constexpr std::uint8_t kChangePassword = 0x18; // 修改密码
inline constexpr std::uint8_t kClearDemand = 0x19;    // 最大需量清零
inline constexpr std::uint8_t kClearMeter = 0x1A;     // 电表清零
inline constexpr std::uint8_t kClearEvents = 0x1B;    // 事件清零
inline constexpr std::uint8_t kFromMeter = 0x80;      // D7: 从站发出的应答帧
inline constexpr std::uint8_t kAbnormal = 0x40;       // D6: 从站异常应答
inline constexpr std::uint8_t kFollows = 0x20;        // D5: 有后续数据帧
inline constexpr std::uint8_t kFunctionMask = 0x1F;
}  // namespace control

// Error information word of an abnormal response (错误信息字 ERR), one bit per cause.
namespace err {
inline constexpr std::uint8_t kOther = 0x01;          // 其他错误
inline constexpr std::uint8_t kNoData = 0x02;         // 无请求数据
inline constexpr std::uint8_t kUnauthorized = 0x04;   // 密码错/未授权
inline constexpr std::uint8_t kBaudFixed = 0x08;      // 通信速率不能更改
inline constexpr std::uint8_t kYearZones = 0x10;      // 年时区数超
inline constexpr std::uint8_t kDayPeriods = 0x20;     // 日时段数超
inline constexpr std::uint8_t kTariffs = 0x40;        // 费率数超
}  // namespace err

// "no requested data, password error/unauthorized" for the bits set in `code`.
std::string describe_error_word(std::uint8_t code);

// Six address bytes in wire order (A0 = the two lowest digits).
struct Address {
  std::array<std::uint8_t, 6> bytes{};
  bool operator==(const Address&) const = default;
};
inline constexpr Address kWildcardAddress{{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}};
inline constexpr Address kBroadcastAddress{{0x99, 0x99, 0x99, 0x99, 0x99, 0x99}};

// "123456789012" → 12 90 78 56 34 12. Up to 12 decimal digits, left-padded with zeros
// (§5 地址域: 不足6字节时高位补0); "AAAAAAAAAAAA" is the wildcard. kInvalidArgument otherwise.
Result<Address> parse_address(std::string_view digits);
// The 12-digit text of an address, most significant digit first ("123456789012").
std::string address_text(const Address& address);

// A data identifier DI3-DI2-DI1-DI0, e.g. 0x02010100 for phase A voltage ("02-01-01-00").
using DataId = std::uint32_t;
// "02-01-01-00", "02010100" or "0x02010100" → 0x02010100.
Result<DataId> parse_data_id(std::string_view text);
std::string data_id_text(DataId id);  // "02-01-01-00"

// A frame with its data field in plain (unscrambled) form.
struct Frame {
  Address address;
  std::uint8_t control = 0;
  std::vector<std::uint8_t> data;

  std::uint8_t function() const { return control & control::kFunctionMask; }
  bool from_meter() const { return (control & control::kFromMeter) != 0; }
  bool abnormal() const { return (control & control::kAbnormal) != 0; }
  bool follows() const { return (control & control::kFollows) != 0; }
  bool operator==(const Frame&) const = default;
};

// Frame → bytes: `preamble` FE bytes (0-4), then the frame with DATA scrambled and CS.
// The data field must be at most 255 bytes (the caller keeps the §5 limits).
std::string encode(const Frame& frame, std::size_t preamble = 4);

// Where the next frame lies in a receive buffer (stream framing over serial or TCP).
struct Scan {
  std::size_t skip = 0;    // bytes before the frame (preamble, line noise) to drop
  std::size_t length = 0;  // length of the complete frame after `skip`; 0 = need more bytes
};
// Looks for 68 xx xx xx xx xx xx 68 and its length byte; never fails: bytes that cannot
// start a frame are counted in `skip`.
Scan scan(std::span<const std::byte> buffer);

// One complete frame, optionally preceded by FE bytes, and nothing after it. kInvalidArgument
// names what is wrong: missing start/end byte, length mismatch, checksum.
Result<Frame> decode(std::span<const std::byte> bytes);

// Requests the master sends (§7 应用层).
Frame read_request(const Address& address, DataId id);                 // C=11H, DI0..DI3
Frame read_follow_request(const Address& address, DataId id, std::uint8_t seq);  // C=12H
Frame read_address_request();                                         // C=13H to AA…
// C=14H: DI, password 0xPAP2P1P0 (PA = privilege level), operator code C0..C3, value bytes.
Frame write_request(const Address& address, DataId id, std::uint32_t password,
                    std::uint32_t operator_code, std::span<const std::uint8_t> value);
// C=08H to 99…: ss mm hh DD MM YY, each BCD (§7 广播校时). Fields as calendar numbers.
struct DateTime {
  int year = 2000, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};
Frame broadcast_time_request(const DateTime& time);

// The answer to a read: the DI echoed and the value bytes (low byte first), or the abnormal
// response's error word as an error (kNotFound for "no requested data", kPermissionDenied
// for "unauthorized", kFailedPrecondition otherwise). kInvalidArgument for a reply that is
// not a read response, or echoes another DI.
struct ReadResponse {
  DataId id = 0;
  std::vector<std::uint8_t> value;
  bool follows = false;  // D5: the meter has more frames (read them with C=12H)
};
Result<ReadResponse> parse_read_response(const Frame& frame, DataId expected);

// Replies a meter sends (used by the simulator).
Frame read_response(const Address& address, DataId id, std::span<const std::uint8_t> value);
Frame abnormal_response(const Address& address, std::uint8_t function, std::uint8_t error_word);
Frame write_ok_response(const Address& address);
Frame read_address_response(const Address& address);

}  // namespace kaiwu::drivers::dlt645
