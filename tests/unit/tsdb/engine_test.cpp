// TelemetryStore behaviour of the embedded engine, checked against a simple in-memory reference
// model with random operations, plus the engine-specific parts (WAL replay, torn tails,
// rollups, retention).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "tsdb/engine.hpp"

namespace kaiwu::tsdb {
namespace {

namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kaiwu-tsdb-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    EngineOptions o;
    o.dir = dir_.string();
    o.head_max_samples = head_max_;
    o.background = false;
    o.durability = Durability::kNone;
    o.out_of_order_window_ms = window_;
    auto s = open_engine(o);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  Status put(const std::string& key, std::int64_t ts, Value v, const std::string& device = "d1") {
    Point p{"t1", device, key, ts, std::move(v)};
    return store_->write(std::span<const Point>(&p, 1));
  }
  std::vector<Sample> read(const std::string& key, std::int64_t from, std::int64_t to, std::size_t limit = 1'000'000,
                           Order order = Order::kAsc, const std::string& device = "d1") {
    RangeQuery q{"t1", device, {key}, from, to, limit, order};
    auto r = store_->range(q);
    EXPECT_TRUE(r) << r.error().message;
    return r ? (*r)[0].samples : std::vector<Sample>{};
  }

  fs::path dir_;
  std::unique_ptr<TelemetryStore> store_;
  std::uint32_t head_max_ = 16;
  std::int64_t window_ = 3'600'000;
};

TEST_F(EngineTest, UnflushedDataIsReplayedAndTornTailCut) {
  head_max_ = 1'000'000;  // nothing is flushed on its own
  reopen();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(put("k", i, static_cast<std::int64_t>(i)));
  // A crash leaves the files as they are at this moment: copy them while the store is open (no
  // flush, no close), and add a half-written record at the end of the newest WAL segment.
  fs::path crashed = dir_.string() + "-crashed";
  fs::remove_all(crashed);
  fs::copy(dir_, crashed, fs::copy_options::recursive);
  std::string newest;
  for (auto& e : fs::directory_iterator(crashed / "wal")) newest = std::max(newest, e.path().string());
  {
    std::ofstream out(newest, std::ios::app | std::ios::binary);
    out.write("\x30\x00\x00\x00garbage", 11);
  }
  store_.reset();
  EngineOptions o;
  o.dir = crashed.string();
  o.background = false;
  auto s = open_engine(o);
  ASSERT_TRUE(s) << s.error().message;
  auto r = (*s)->range(RangeQuery{"t1", "d1", {"k"}, 0, 100});
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].samples.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(std::get<std::int64_t>((*r)[0].samples[i].value), i);
  // The store keeps working after the cut: new writes land and survive another reopen.
  Point p{"t1", "d1", "k", 20, std::int64_t{20}};
  ASSERT_TRUE((*s)->write(std::span<const Point>(&p, 1)));
  s->reset();
  auto again = open_engine(o);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*(*again)->range(RangeQuery{"t1", "d1", {"k"}, 0, 100}))[0].samples.size(), 21u);
  again->reset();
  fs::remove_all(crashed);
}

}  // namespace
}  // namespace kaiwu::tsdb
