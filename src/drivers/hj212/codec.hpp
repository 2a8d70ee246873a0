// HJ 212-2017 (污染物在线监控(监测)系统数据传输标准) packet codec, sans-I/O.
//
// Packet (§6.3 通讯包结构组成), ASCII:
//   "##" + data length (4 decimal digits, 0000-1024) + data segment + CRC (4 hex digits) + CR LF
// Data segment (§6.3 数据段结构组成), fields separated by ';':
//   QN=YYYYMMDDhhmmsszzz;ST=..;CN=....;PW=......;MN=........;Flag=..;[PNUM=..;PNO=..;]CP=&&…&&
// Flag (§6.3 数据段结构, Flag): bits V5..V0 D A — A (bit 0) = the receiver must acknowledge, D (bit 1) =
// the packet is one of several (PNUM total, PNO this one), V (bits 2-7) protocol version,
// 000001 = HJ 212-2017. CP holds "key=value" items: ';' between groups, ',' within a group
// (§6.3 数据区), e.g. "DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N".
// CRC (附录A): CRC-16 over the data segment, register FFFFH, per byte: register = (register
// >> 8) XOR byte, then 8 shifts right, XOR A001H when the bit shifted out is 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::drivers::hj212 {

inline constexpr std::size_t kMaxDataLength = 1024;  // §6.3: 数据段长度 0 ≤ n ≤ 1024
inline constexpr std::size_t kOverhead = 2 + 4 + 4 + 2;  // ## + length + CRC + CR LF
inline constexpr std::size_t kMaxPacketSize = kMaxDataLength + kOverhead;

// Flag bits (§6.3 数据段结构, Flag).
inline constexpr int kFlagAck = 0x01;        // A: 应答
inline constexpr int kFlagSplit = 0x02;      // D: 拆分包 (PNUM/PNO present)
inline constexpr int kFlagVersion2017 = 0x04;  // V5..V0 = 000001

// Command codes (命令编码表, 附录C) used by the driver and the station simulator.
namespace cn {
inline constexpr std::string_view kRealtime = "2011";       // 上传污染物实时数据
inline constexpr std::string_view kMinute = "2051";         // 上传污染物分钟数据
inline constexpr std::string_view kHour = "2061";           // 上传污染物小时数据
inline constexpr std::string_view kDay = "2031";            // 上传污染物日历史数据
inline constexpr std::string_view kRequestResponse = "9011";  // 请求应答
inline constexpr std::string_view kExecuteResult = "9012";    // 执行结果
inline constexpr std::string_view kNotifyResponse = "9013";   // 通知应答
inline constexpr std::string_view kDataResponse = "9014";     // 数据应答
}  // namespace cn

// The CRC of 附录A.
std::uint16_t crc16(std::string_view bytes);

struct Packet {
  std::string qn;   // request number, YYYYMMDDhhmmsszzz (may be empty in old stations)
  std::string st;   // system code: 22 air quality, 31 air pollution source, 32 surface water…, 91 system
  std::string cn;   // command code
  std::string pw;   // access password
  std::string mn;   // station (device) identifier
  std::optional<int> flag;
  std::optional<int> pnum, pno;  // with Flag D
  std::string cp;   // text between CP=&& and &&
  bool operator==(const Packet&) const = default;

  bool wants_ack() const { return flag && (*flag & kFlagAck); }
};

// The data segment of a packet: "QN=…;…;CP=&&…&&".
std::string encode_segment(const Packet& p);
// The whole packet with length, CRC (4 uppercase hex digits) and CR LF; kPayloadTooLarge when
// the data segment exceeds 1024 characters.
Result<std::string> encode(const Packet& p);

// Parses a data segment; kInvalidArgument names the malformed field.
Result<Packet> parse_segment(std::string_view segment);

// Stream framing: where the next packet lies in a receive buffer.
struct Scan {
  std::size_t skip = 0;    // bytes before the next "##" to drop
  std::size_t length = 0;  // complete packet length after `skip`; 0 = need more bytes
  std::optional<Error> error;  // the "##" at `skip` has a bad length field: drop 2 bytes and rescan
};
Scan scan(std::span<const std::byte> buffer);

// One complete packet ("##" … CR LF); checks length digits, the ≤1024 limit, CRC, the tail.
// Errors: kPayloadTooLarge for a length above 1024, kInvalidArgument otherwise.
Result<Packet> decode(std::span<const std::byte> bytes);

// CP items: key=value pairs in order, with their group index (';' separated groups).
struct CpItem {
  std::string key;    // "DataTime", "a21005-Rtd", "a21005-Flag"
  std::string value;
  std::size_t group = 0;
};
Result<std::vector<CpItem>> parse_cp(std::string_view cp);
std::string encode_cp(std::span<const CpItem> items);

// YYYYMMDDhhmmss[zzz] in China Standard Time (UTC+8) → ms since the epoch (UTC), and back.
Result<std::int64_t> parse_cst_time(std::string_view text);
std::string format_cst_time(std::int64_t ms, bool with_millis);

// The replies a platform sends (附录C): 9014 data response to a data packet that asked for one
// (same QN, PW, MN; ST=91; Flag=4; CP=&&&&), 9011 request response with QnRtn, 9012 execution
// result with ExeRtn, 9013 notification response.
Packet data_response(const Packet& request);
Packet request_response(const Packet& request, int qn_rtn);
Packet execute_result(const Packet& request, int exe_rtn);
Packet notify_response(const Packet& request);

}  // namespace kaiwu::drivers::hj212
