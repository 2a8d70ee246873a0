#include <gtest/gtest.h>

#include "ingest/line_protocol.hpp"

namespace kaiwu::ingest {
namespace {

TEST(LineProtocol, FieldTypesTagsAndPrecision) {
  auto r = parse_line_protocol(
      "cpu,host=a,device=press-1 usage=0.64,cores=8i,big=18446744073709551615u,on=t,off=FALSE,note=\"hi \\\"x\\\"\" "
      "1700000000123456789\n",
      Precision::kNs, 0);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const auto& l = (*r)[0];
  EXPECT_EQ(l.measurement, "cpu");
  ASSERT_EQ(l.tags.size(), 2u);
  EXPECT_EQ(l.tags[1].second, "press-1");
  ASSERT_EQ(l.fields.size(), 6u);
  EXPECT_EQ(std::get<double>(l.fields[0].value), 0.64);
  EXPECT_EQ(std::get<std::int64_t>(l.fields[1].value), 8);
  EXPECT_EQ(std::get<double>(l.fields[2].value), 18446744073709551615.0);
  EXPECT_TRUE(std::get<bool>(l.fields[3].value));
  EXPECT_FALSE(std::get<bool>(l.fields[4].value));
  EXPECT_EQ(std::get<std::string>(l.fields[5].value), "hi \"x\"");
  EXPECT_EQ(l.ts_ms, 1700000000123);
}

TEST(LineProtocol, EscapesCommentsAndDefaultTime) {
  auto r = parse_line_protocol("# comment\n\nmy\\ meas,ta\\=g=v\\,1 fi\\ eld=1.5\r\nm f=2 17\n", Precision::kS, 42);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].measurement, "my meas");
  EXPECT_EQ((*r)[0].tags[0].first, "ta=g");
  EXPECT_EQ((*r)[0].tags[0].second, "v,1");
  EXPECT_EQ((*r)[0].fields[0].key, "fi eld");
  EXPECT_EQ((*r)[0].ts_ms, 42);
  EXPECT_EQ((*r)[1].ts_ms, 17000);
}

TEST(LineProtocol, ErrorsNameTheLine) {
  for (const char* bad : {"m\n", "m f\n", "m f=\n", "m f=abc\n", "m f=\"open\n", "m,t f=1\n", "m f=1 12x\n",
                          "m f=1i2\n"}) {
    auto r = parse_line_protocol(std::string("ok f=1\n") + bad, Precision::kMs, 0);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().message.rfind("line 2: ", 0), 0u) << r.error().message;
  }
  EXPECT_FALSE(parse_precision("fortnight"));
  EXPECT_EQ(*parse_precision("u"), Precision::kUs);
}

}  // namespace
}  // namespace kaiwu::ingest
