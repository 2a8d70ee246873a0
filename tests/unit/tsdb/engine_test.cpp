// Engine-only tests of the embedded TelemetryStore (crash recovery from the WAL). Everything
// both backends share is in store_conformance_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tsdb/engine.hpp"

namespace kaiwu::tsdb {
namespace {

namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kaiwu-engine-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<TelemetryStore> store_;
};

TEST_F(EngineTest, UnflushedDataIsReplayedAndTornTailCut) {
  EngineOptions opts;
  opts.dir = dir_.string();
  opts.head_max_samples = 1'000'000;  // nothing is flushed on its own
  opts.background = false;
  opts.durability = Durability::kNone;
  auto opened = open_engine(opts);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
  for (int i = 0; i < 20; ++i) {
    Point p{"t1", "d1", "k", i, std::int64_t{i}};
    ASSERT_TRUE(store_->write(std::span<const Point>(&p, 1)));
  }
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
