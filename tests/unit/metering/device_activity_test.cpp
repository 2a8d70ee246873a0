#include "metering/device_activity.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kaiwu::metering {
namespace {

constexpr std::int64_t kNov26 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z
constexpr std::int64_t kDay = 86'400'000;

struct Recorder final : Meter {
  void record(Record r) override { records.push_back(std::move(r)); }
  std::vector<Record> records;
};

TEST(DeviceActivityTest, OncePerDevicePerUtcDay) {
  Recorder meter;
  DeviceActivity activity(meter);
  int lookups = 0;
  auto ent = [&] { ++lookups; return std::string("e1"); };
  EXPECT_TRUE(activity.seen("t1", "d1", kNov26 + 1000, ent));
  EXPECT_FALSE(activity.seen("t1", "d1", kNov26 + 2000, ent));
  EXPECT_FALSE(activity.seen("t1", "d1", kNov26 + kDay - 1, ent));
  EXPECT_TRUE(activity.seen("t1", "d2", kNov26 + 3000, ent));
  EXPECT_TRUE(activity.seen("t1", "d1", kNov26 + kDay, ent));  // the next UTC day
  ASSERT_EQ(meter.records.size(), 3u);
  EXPECT_EQ(lookups, 3);  // the enterprise is looked up only for first sightings
  const auto& r = meter.records[0];
  EXPECT_EQ(r.kind, Kind::kDeviceActive);
  EXPECT_EQ(r.tenant_id, "t1");
  EXPECT_EQ(r.enterprise_id, "e1");
  EXPECT_EQ(r.subject_id, "d1");
  EXPECT_EQ(r.ts_ms, kNov26 + 1000);
  EXPECT_EQ(meter.records[2].ts_ms, kNov26 + kDay);
}

TEST(DeviceActivityTest, FullSetStillRecordsEveryDevice) {
  Recorder meter;
  DeviceActivity activity(meter, 2);
  for (const char* d : {"a", "b", "c", "c", "a"}) activity.seen("t", d, kNov26, {});
  // a and b are remembered; c is not (the set is full), so both of its sightings are recorded.
  ASSERT_EQ(meter.records.size(), 4u);
  EXPECT_EQ(meter.records[2].subject_id, "c");
  EXPECT_EQ(meter.records[3].subject_id, "c");
  EXPECT_EQ(meter.records[0].enterprise_id, "");
}

}  // namespace
}  // namespace kaiwu::metering
