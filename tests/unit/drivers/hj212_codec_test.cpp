// HJ 212-2017 codec on byte-exact packets.
#include "drivers/hj212/codec.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drivers/hj212/station_sim.hpp"

namespace kaiwu::drivers::hj212 {
namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); }

// The example packet printed in HJ 212-2017 (通讯包结构 example in §6.3; CN=1062 sets the
// real-time data interval as in 附录C): its CRC 1C80 checks the 附录A algorithm.
constexpr std::string_view kStandardExample =
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n";

TEST(Hj212Crc, MatchesTheStandardsExample) {
  const std::string_view segment = kStandardExample.substr(6, 101);
  EXPECT_EQ(crc16(segment), 0x1C80);
  EXPECT_EQ(crc16(""), 0xFFFF);
}

TEST(Hj212Codec, DecodesAndReencodesTheStandardsExample) {
  auto p = decode(bytes(kStandardExample));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->qn, "20160801085857223");
  EXPECT_EQ(p->st, "32");
  EXPECT_EQ(p->cn, "1062");
  EXPECT_EQ(p->pw, "100000");
  EXPECT_EQ(p->mn, "010000A8900016F000169DC0");
  EXPECT_EQ(p->flag, 5);
  EXPECT_TRUE(p->wants_ack());
  EXPECT_EQ(p->cp, "RtdInterval=30");
  EXPECT_EQ(*encode(*p), kStandardExample);
}

// The 9014 data response (附录C 数据应答: ST=91, CN=9014, Flag=4, CP=&&&&, the request's QN, PW
// and MN) to the appendix's upload with QN=20160801085000001. CRC C241 by 附录A; the same
// packet is printed in the tests of the open-source hj-t212-parser.
TEST(Hj212Codec, DataResponseIsByteExact) {
  Packet request;
  request.qn = "20160801085000001";
  request.st = "22";
  request.cn = "2011";
  request.pw = "123456";
  request.mn = "010000A8900016F000169DC0";
  request.flag = 5;
  EXPECT_EQ(*encode(data_response(request)),
            "##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&C241\r\n");
  EXPECT_EQ(request_response(request, 1).cp, "QnRtn=1");
  EXPECT_EQ(execute_result(request, 1).cn, "9012");
  EXPECT_EQ(notify_response(request).cn, "9013");
}

TEST(Hj212Codec, RealtimePacketRoundTripAndCp) {
  StationConfig c;
  c.mn = "010000A8900016F000169DC0";
  const std::vector<RealtimeValue> values{{"a21026", 12.5, "N"}, {"a34013", 0.0012, "N"}, {"a01012", -3.25, "D"}};
  const Packet p = realtime_packet(c, 1470012000000, values, 1470013137223);
  EXPECT_EQ(p.qn, "20160801085857223");
  EXPECT_EQ(p.cp,
            "DataTime=20160801084000;a21026-Rtd=12.5,a21026-Flag=N;a34013-Rtd=0.0012,a34013-Flag=N;"
            "a01012-Rtd=-3.25,a01012-Flag=D");
  const std::string wire = *encode(p);
  EXPECT_TRUE(wire.starts_with(fmt::format("##{:04}QN=", wire.size() - kOverhead)));
  auto back = decode(bytes(wire));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, p);
  auto items = parse_cp(back->cp);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 7u);
  EXPECT_EQ((*items)[1].key, "a21026-Rtd");
  EXPECT_EQ((*items)[1].value, "12.5");
  EXPECT_EQ((*items)[1].group, 1u);
  EXPECT_EQ((*items)[6].group, 3u);
  EXPECT_EQ(encode_cp(*items), p.cp);
}

TEST(Hj212Codec, ChinaStandardTime) {
  EXPECT_EQ(*parse_cst_time("20160801085857"), 1470013137000);
  EXPECT_EQ(*parse_cst_time("20160801085857223"), 1470013137223);
  EXPECT_EQ(format_cst_time(1470013137223, true), "20160801085857223");
  EXPECT_EQ(format_cst_time(1795660200000, false), "20261126103000");
  // Midnight in Beijing is 16:00 UTC the day before.
  EXPECT_EQ(format_cst_time(*parse_cst_time("20260101000000"), false), "20260101000000");
  EXPECT_EQ(*parse_cst_time("20260101000000") % 86400000, 16 * 3600000);
  EXPECT_FALSE(parse_cst_time("2016080108585"));
  EXPECT_FALSE(parse_cst_time("20161301085857"));
  EXPECT_FALSE(parse_cst_time("20230229000000"));  // not a leap year
  EXPECT_TRUE(parse_cst_time("20240229000000"));
  EXPECT_FALSE(parse_cst_time("20240431000000"));
  EXPECT_FALSE(parse_cst_time("2016080108585x"));
}

TEST(Hj212Codec, LengthLimitAndBadLength) {
  Packet big;
  big.st = "31";
  big.cn = "2011";
  big.mn = "M";
  big.cp = std::string(1100, 'x');
  auto e = encode(big);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::kPayloadTooLarge);
  auto d = decode(bytes("##1025" + std::string(1025, 'x') + "0000\r\n"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kPayloadTooLarge);
  std::string wrong_len(kStandardExample);
  wrong_len[5] = '2';  // 0102 announced, 101 sent
  EXPECT_NE(decode(bytes(wrong_len)).error().message.find("length"), std::string::npos);
  EXPECT_NE(decode(bytes("##01x1")).error().message.find("does not start"), std::string::npos);
  std::string letters(kStandardExample);
  letters[3] = 'x';
  EXPECT_NE(decode(bytes(letters)).error().message.find("not 4 digits"), std::string::npos);
}

TEST(Hj212Codec, BadCrcAndTail) {
  std::string bad(kStandardExample);
  bad[bad.size() - 3] = '1';  // 1C81
  auto r = decode(bytes(bad));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_NE(r.error().message.find("CRC mismatch: packet has 1C81, computed 1C80"), std::string::npos);
  std::string lower(kStandardExample);
  lower[lower.size() - 5] = 'c';  // hex digits in lower case are accepted (1c80)
  EXPECT_TRUE(decode(bytes(lower)));
  std::string tail(kStandardExample);
  tail[tail.size() - 1] = 'x';
  EXPECT_NE(decode(bytes(tail)).error().message.find("CR LF"), std::string::npos);
}

TEST(Hj212Codec, MalformedSegmentsAndCp) {
  EXPECT_NE(parse_segment("QN=1;ST=31;CN=2011;MN=M;CP=&&&&").error().message.find("QN"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;CN=2011;MN=M;").error().message.find("CP=&&"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;CN=2011;MN=M;CP=&&a=1").error().message.find("&&"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;CN=20x1;MN=M;CP=&&&&").error().message.find("CN"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;MN=M;CP=&&&&").error().message.find("lacks"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;CN=2011;MN=M;Flag=7;CP=&&&&").error().message.find("PNUM"), std::string::npos);
  EXPECT_NE(parse_segment("ST=31;CN=2011;MN=M;XX=1;CP=&&&&").error().message.find("'XX'"), std::string::npos);
  auto split = parse_segment("ST=31;CN=2011;MN=M;Flag=7;PNUM=3;PNO=2;CP=&&DataTime=20160801084000&&");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->pnum, 3);
  EXPECT_EQ(split->pno, 2);
  EXPECT_EQ(encode_segment(*split), "ST=31;CN=2011;MN=M;Flag=7;PNUM=3;PNO=2;CP=&&DataTime=20160801084000&&");
  auto cp = parse_cp("a=1,b");
  ASSERT_FALSE(cp);
  EXPECT_NE(cp.error().message.find("'b'"), std::string::npos);
  EXPECT_FALSE(parse_cp("=1"));
  EXPECT_EQ(parse_cp("DataTime=20160801084000;a-Rtd=1;")->size(), 2u);  // trailing ';' tolerated
}

TEST(Hj212Scan, GarbageSplitsAndSeveralPackets) {
  const std::string two = "junk#" + std::string(kStandardExample) + std::string(kStandardExample);
  Scan s = scan(bytes(two));
  EXPECT_EQ(s.skip, 5u);
  EXPECT_EQ(s.length, kStandardExample.size());
  s = scan(bytes(std::string_view(two).substr(5 + kStandardExample.size())));
  EXPECT_EQ(s.skip, 0u);
  EXPECT_EQ(s.length, kStandardExample.size());
  for (std::size_t cut = 1; cut < kStandardExample.size(); ++cut) {
    s = scan(bytes(kStandardExample.substr(0, cut)));
    EXPECT_EQ(s.skip, 0u) << cut;
    EXPECT_EQ(s.length, 0u) << cut;
    EXPECT_FALSE(s.error) << cut;
  }
  s = scan(bytes("##99x9"));
  ASSERT_TRUE(s.error);
  s = scan(bytes("##2000QN="));
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->code, Errc::kPayloadTooLarge);
}

TEST(Hj212Format, NumbersWithoutExponent) {
  EXPECT_EQ(format_number(207.0), "207");
  EXPECT_EQ(format_number(0.0000012), "0.000001");
  EXPECT_EQ(format_number(-3.25), "-3.25");
  EXPECT_EQ(format_number(1e9), "1000000000");
  EXPECT_EQ(format_number(-0.0000001), "0");
}

}  // namespace
}  // namespace kaiwu::drivers::hj212
