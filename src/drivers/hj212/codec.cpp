#include "drivers/hj212/codec.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace kaiwu::drivers::hj212 {

namespace {

char at(std::span<const std::byte> b, std::size_t i) { return static_cast<char>(std::to_integer<unsigned char>(b[i])); }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

Result<int> parse_int(std::string_view field, std::string_view text) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 0)
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 field {}='{}' is not a number", field, text));
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400) + (m <= 2);
}

constexpr std::int64_t kCstOffsetMs = 8 * 3600 * 1000;  // China Standard Time, UTC+8

Packet reply_to(const Packet& request, std::string_view cn, std::string cp) {
  Packet p;
  p.qn = request.qn;
  p.st = "91";  // 系统交互
  p.cn = std::string(cn);
  p.pw = request.pw;
  p.mn = request.mn;
  p.flag = kFlagVersion2017;  // no acknowledgement of an acknowledgement
  p.cp = std::move(cp);
  return p;
}

}  // namespace

std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t reg = 0xFFFF;
  for (unsigned char b : bytes) {
    reg = static_cast<std::uint16_t>((reg >> 8) ^ b);
    for (int i = 0; i < 8; ++i) {
      const bool carry = reg & 1;
      reg >>= 1;
      if (carry) reg ^= 0xA001;
    }
  }
  return reg;
}

std::string encode_segment(const Packet& p) {
  std::string s;
  if (!p.qn.empty()) s += "QN=" + p.qn + ";";
  s += "ST=" + p.st + ";CN=" + p.cn + ";";
  if (!p.pw.empty()) s += "PW=" + p.pw + ";";
  s += "MN=" + p.mn + ";";
  if (p.flag) s += fmt::format("Flag={};", *p.flag);
  if (p.pnum) s += fmt::format("PNUM={};", *p.pnum);
  if (p.pno) s += fmt::format("PNO={};", *p.pno);
  s += "CP=&&" + p.cp + "&&";
  return s;
}

Result<std::string> encode(const Packet& p) {
  const std::string seg = encode_segment(p);
  if (seg.size() > kMaxDataLength)
    return fail(Errc::kPayloadTooLarge,
                fmt::format("HJ 212 data segment of {} characters exceeds {} (split it with Flag D)", seg.size(),
                            kMaxDataLength));
  return fmt::format("##{:04}{}{:04X}\r\n", seg.size(), seg, crc16(seg));
}

Result<Packet> parse_segment(std::string_view seg) {
  const auto cp_at = seg.find("CP=&&");
  if (cp_at == std::string_view::npos) return fail(Errc::kInvalidArgument, "HJ 212 data segment has no CP=&&");
  if (seg.size() < cp_at + 7 || !seg.ends_with("&&"))
    return fail(Errc::kInvalidArgument, "HJ 212 CP field does not end with &&");
  Packet p;
  p.cp = std::string(seg.substr(cp_at + 5, seg.size() - cp_at - 7));
  std::string_view head = seg.substr(0, cp_at);
  bool have_st = false, have_cn = false, have_mn = false;
  while (!head.empty()) {
    const auto semi = head.find(';');
    if (semi == std::string_view::npos)
      return fail(Errc::kInvalidArgument, fmt::format("HJ 212 field '{}' is not followed by ';'", head));
    const std::string_view kv = head.substr(0, semi);
    head.remove_prefix(semi + 1);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos)
      return fail(Errc::kInvalidArgument, fmt::format("HJ 212 field '{}' has no '='", kv));
    const std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "QN") {
      if (value.size() != 17 || !all_digits(value))
        return fail(Errc::kInvalidArgument, fmt::format("HJ 212 QN '{}' is not YYYYMMDDhhmmsszzz", value));
      p.qn = value;
    } else if (key == "ST") {
      p.st = value, have_st = true;
    } else if (key == "CN") {
      if (value.size() != 4 || !all_digits(value))
        return fail(Errc::kInvalidArgument, fmt::format("HJ 212 CN '{}' is not a 4-digit command code", value));
      p.cn = value, have_cn = true;
    } else if (key == "PW") {
      p.pw = value;
    } else if (key == "MN") {
      p.mn = value, have_mn = true;
    } else if (key == "Flag") {
      p.flag = KAIWU_TRY(parse_int(key, value));
    } else if (key == "PNUM") {
      p.pnum = KAIWU_TRY(parse_int(key, value));
    } else if (key == "PNO") {
      p.pno = KAIWU_TRY(parse_int(key, value));
    } else {
      return fail(Errc::kInvalidArgument, fmt::format("HJ 212 data segment has unknown field '{}'", key));
    }
  }
  if (!have_st || !have_cn || !have_mn)
    return fail(Errc::kInvalidArgument, "HJ 212 data segment lacks one of ST, CN, MN");
  if (p.flag && (*p.flag & kFlagSplit) && (!p.pnum || !p.pno))
    return fail(Errc::kInvalidArgument, "HJ 212 Flag D is set but PNUM/PNO are missing");
  return p;
}

Scan scan(std::span<const std::byte> buffer) {
  Scan s;
  const std::size_t n = buffer.size();
  std::size_t i = 0;
  for (; i < n; ++i) {
    if (at(buffer, i) != '#') continue;
    if (i + 1 == n) break;  // maybe the first half of "##"
    if (at(buffer, i + 1) == '#') {
      while (i + 2 < n && at(buffer, i + 2) == '#') ++i;  // "###0101…": the last two start it
      break;
    }
  }
  s.skip = i;
  if (i + 6 > n) return s;
  std::string_view digits(reinterpret_cast<const char*>(buffer.data()) + i + 2, 4);
  if (!all_digits(digits)) {
    s.error = Error(Errc::kInvalidArgument, fmt::format("HJ 212 length field '{}' is not 4 digits", digits));
    return s;
  }
  const std::size_t len = static_cast<std::size_t>(std::stoi(std::string(digits)));
  if (len > kMaxDataLength) {
    s.error = Error(Errc::kPayloadTooLarge, fmt::format("HJ 212 data length {} exceeds {}", len, kMaxDataLength));
    return s;
  }
  if (i + len + kOverhead <= n) s.length = len + kOverhead;
  return s;
}

Result<Packet> decode(std::span<const std::byte> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.size() < kOverhead || !text.starts_with("##"))
    return fail(Errc::kInvalidArgument, "HJ 212 packet does not start with ##");
  const std::string_view digits = text.substr(2, 4);
  if (!all_digits(digits))
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 length field '{}' is not 4 digits", digits));
  const std::size_t len = static_cast<std::size_t>(std::stoi(std::string(digits)));
  if (len > kMaxDataLength)
    return fail(Errc::kPayloadTooLarge, fmt::format("HJ 212 data length {} exceeds {}", len, kMaxDataLength));
  if (text.size() != len + kOverhead)
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 packet of {} bytes does not match its length field {}",
                                                    text.size(), len));
  if (!text.ends_with("\r\n")) return fail(Errc::kInvalidArgument, "HJ 212 packet does not end with CR LF");
  const std::string_view seg = text.substr(6, len);
  const std::string_view crc_text = text.substr(6 + len, 4);
  unsigned crc = 0;
  auto [p, ec] = std::from_chars(crc_text.data(), crc_text.data() + 4, crc, 16);
  if (ec != std::errc() || p != crc_text.data() + 4)
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 CRC field '{}' is not 4 hex digits", crc_text));
  const std::uint16_t want = crc16(seg);
  if (crc != want)
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 CRC mismatch: packet has {}, computed {:04X}", crc_text, want));
  return parse_segment(seg);
}

Result<std::vector<CpItem>> parse_cp(std::string_view cp) {
  std::vector<CpItem> items;
  std::size_t group = 0;
  while (!cp.empty()) {
    const auto semi = cp.find(';');
    std::string_view g = cp.substr(0, semi);
    cp = semi == std::string_view::npos ? std::string_view{} : cp.substr(semi + 1);
    if (g.empty()) continue;  // a trailing ';' before && is common in the field
    while (!g.empty()) {
      const auto comma = g.find(',');
      const std::string_view kv = g.substr(0, comma);
      g = comma == std::string_view::npos ? std::string_view{} : g.substr(comma + 1);
      const auto eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0)
        return fail(Errc::kInvalidArgument, fmt::format("HJ 212 CP item '{}' is not key=value", kv));
      items.push_back(CpItem{std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)), group});
    }
    ++group;
  }
  return items;
}

std::string encode_cp(std::span<const CpItem> items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += items[i].group == items[i - 1].group ? "," : ";";
    out += items[i].key + "=" + items[i].value;
  }
  return out;
}

Result<std::int64_t> parse_cst_time(std::string_view t) {
  if ((t.size() != 14 && t.size() != 17) || !all_digits(t))
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 time '{}' is not YYYYMMDDhhmmss", t));
  auto num = [&](std::size_t pos, std::size_t n) { return std::stoi(std::string(t.substr(pos, n))); };
  const int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2), s = num(12, 2);
  const int ms = t.size() == 17 ? num(14, 3) : 0;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
      s > 59)
    return fail(Errc::kInvalidArgument, fmt::format("HJ 212 time '{}' is out of range", t));
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms - kCstOffsetMs;
}

std::string format_cst_time(std::int64_t ms, bool with_millis) {
  const std::int64_t local = ms + kCstOffsetMs;
  std::int64_t days = local / 86400000, rest = local % 86400000;
  if (rest < 0) rest += 86400000, --days;
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const auto h = rest / 3600000, mi = rest / 60000 % 60, s = rest / 1000 % 60, milli = rest % 1000;
  std::string out = fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", y, m, d, h, mi, s);
  if (with_millis) out += fmt::format("{:03}", milli);
  return out;
}

Packet data_response(const Packet& request) { return reply_to(request, cn::kDataResponse, ""); }

Packet request_response(const Packet& request, int qn_rtn) {
  return reply_to(request, cn::kRequestResponse, fmt::format("QnRtn={}", qn_rtn));
}

Packet execute_result(const Packet& request, int exe_rtn) {
  return reply_to(request, cn::kExecuteResult, fmt::format("ExeRtn={}", exe_rtn));
}

Packet notify_response(const Packet& request) { return reply_to(request, cn::kNotifyResponse, ""); }

}  // namespace kaiwu::drivers::hj212
