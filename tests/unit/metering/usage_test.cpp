#include <gtest/gtest.h>

#include "metering/usage.hpp"

namespace kaiwu::metering {
namespace {

TEST(UsageTest, MonthRangeIsHalfOpenUtc) {
  auto r = month_range("2026-11");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_ms, 1'793'491'200'000);  // 2026-11-01T00:00:00Z
  EXPECT_EQ(r->to_ms, 1'796'083'200'000);    // 2026-12-01T00:00:00Z
  auto dec = month_range("2026-12");
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->to_ms, 1'798'761'600'000);  // 2027-01-01
}

TEST(UsageTest, MonthRangeRejectsBadText) {
  for (const char* bad : {"2026-13", "2026-1", "26-11", "2026/11", "", "2026-00", "abcd-ef"}) {
    auto r = month_range(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
}

TEST(UsageTest, DaysRoundTrip) {
  auto d = day_start_ms("2026-11-26");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 1'795'651'200'000);
  EXPECT_EQ(day_name(*d), "2026-11-26");
  EXPECT_EQ(day_name(*d + 86'399'999), "2026-11-26");
  EXPECT_FALSE(day_start_ms("2026-02-30"));
  EXPECT_FALSE(day_start_ms("2026-11-2x"));
}

TEST(UsageTest, KindNamesRoundTrip) {
  for (Kind k : {Kind::kAppVisit, Kind::kAppCall, Kind::kModelCall, Kind::kDeveloperLogin, Kind::kToolCall,
                 Kind::kDeviceActive})
    EXPECT_EQ(parse_kind(to_string(k)), k);
  EXPECT_FALSE(parse_kind("login"));
}

}  // namespace
}  // namespace kaiwu::metering
