// The TelemetryStore conformance suite: the same behaviour checked on every implementation,
// against a simple in-memory reference model with random operations. The backends it runs on
// are chosen at compile time (tests/unit/tsdb/CMakeLists.txt): the embedded engine in
// tsdb_test, a real clickhouse-server (started once per process in a temp dir) in
// tsdb_clickhouse_test. Where the implementations genuinely differ the test says so and checks
// each one's documented behaviour (src/tsdb/README.md).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include <unistd.h>

#include "tsdb/clickhouse.hpp"
#include "tsdb/engine.hpp"
#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
#include "clickhouse_server.hpp"
#endif

namespace kaiwu::tsdb {
namespace {

namespace fs = std::filesystem;

enum class Backend { kEmbedded, kClickHouse };

#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
// One server for the whole process, stopped (by PID) when the tests end.
class ClickHouseEnvironment : public ::testing::Environment {
 public:
  static testing::ClickHouseServer* server() { return server_.get(); }
  static std::string start_error() { return error_; }
  void SetUp() override {
    // Its parts live in tmpfs when there is one: a part is ~40 small files, and on a shared,
    // busy ext4 volume each INSERT then takes 50-150 ms instead of ~1.5 ms.
    std::error_code ec;
    auto s = testing::ClickHouseServer::start(fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                                                  ? "/dev/shm"
                                                  : fs::temp_directory_path().string());
    if (s)
      server_ = std::move(*s);
    else
      error_ = s.error().message;
  }
  void TearDown() override { server_.reset(); }

 private:
  static inline std::unique_ptr<testing::ClickHouseServer> server_;
  static inline std::string error_;
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new ClickHouseEnvironment);
#endif

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    name_ = name_.substr(name_.find('/') + 1);
    name_ = name_.substr(0, name_.find('/'));
    if (embedded()) {
      dir_ = fs::temp_directory_path() / ("kaiwu-tsdb-" + std::to_string(::getpid()) + "-" + name_);
      fs::remove_all(dir_);
    } else {
#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
      ASSERT_NE(ClickHouseEnvironment::server(), nullptr) << ClickHouseEnvironment::start_error();
      database_ = "conformance_" + name_;
      ASSERT_TRUE(ClickHouseEnvironment::server()->sql("DROP DATABASE IF EXISTS " + database_));
#else
      FAIL() << "built without the ClickHouse backend";
#endif
    }
    reopen();
  }
  void TearDown() override {
    store_.reset();
    if (embedded()) fs::remove_all(dir_);
#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
    if (!embedded() && ClickHouseEnvironment::server())
      (void)ClickHouseEnvironment::server()->sql("DROP DATABASE IF EXISTS " + database_);
#endif
  }
  bool embedded() const { return GetParam() == Backend::kEmbedded; }
  // Closes and opens the store again: the embedded engine recovers from its directory, a
  // ClickHouse store reconnects to the same database.
  void reopen() {
    store_.reset();
    Result<std::unique_ptr<TelemetryStore>> s;
    if (embedded()) {
      EngineOptions o;
      o.dir = dir_.string();
      o.head_max_samples = head_max_;
      o.background = false;
      o.durability = Durability::kNone;
      o.out_of_order_window_ms = window_;
      s = open_engine(o);
    } else {
#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
      ClickHouseOptions o;
      o.url = ClickHouseEnvironment::server()->url();
      o.database = database_;
      o.min_insert_interval_ms = 1;
      s = open_clickhouse(o);
#endif
    }
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

  std::string name_;
  fs::path dir_;
  std::string database_;
  std::unique_ptr<TelemetryStore> store_;
  std::uint32_t head_max_ = 16;        // embedded engine: small heads, so chunks are exercised
  std::int64_t window_ = 3'600'000;    // embedded engine: out-of-order window
};

TEST_P(StoreConformance, WriteLatestRange) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(put("temp", 1000 + i * 1000, 20.0 + i * 0.01));
  auto latest = store_->latest("t1", "d1", std::vector<std::string>{"temp"});
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].sample.ts, 100'000);
  EXPECT_EQ(std::get<double>((*latest)[0].sample.value), 20.0 + 99 * 0.01);
  auto all = read("temp", 0, 1'000'000);
  ASSERT_EQ(all.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(all[i].ts, 1000 + i * 1000);
    EXPECT_EQ(std::get<double>(all[i].value), 20.0 + i * 0.01);
  }
  auto desc = read("temp", 5000, 10'000, 3, Order::kDesc);
  ASSERT_EQ(desc.size(), 3u);
  EXPECT_EQ(desc[0].ts, 9000);
  EXPECT_EQ(desc[2].ts, 7000);
  ASSERT_TRUE(store_->flush());
  EXPECT_EQ(read("temp", 0, 1'000'000).size(), 100u);
}

TEST_P(StoreConformance, EdgeValuesRoundTripBitExact) {
  std::vector<double> doubles = {0.0, -0.0, std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(), std::nan("0x7ff12345"),
                                 std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(), 0.1};
  for (std::size_t i = 0; i < doubles.size(); ++i) ASSERT_TRUE(put("f", static_cast<std::int64_t>(i), doubles[i]));
  std::vector<std::int64_t> ints = {0, -1, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 0; i < ints.size(); ++i) ASSERT_TRUE(put("i", static_cast<std::int64_t>(i), ints[i]));
  ASSERT_TRUE(put("s", 1, std::string()));
  ASSERT_TRUE(put("s", 2, std::string(60'000, 'x')));
  ASSERT_TRUE(put("b", 1, true));
  ASSERT_TRUE(put("b", 2, false));
  for (int round = 0; round < 2; ++round) {
    auto f = read("f", 0, 100);
    ASSERT_EQ(f.size(), doubles.size());
    for (std::size_t i = 0; i < doubles.size(); ++i)
      EXPECT_EQ(std::bit_cast<std::uint64_t>(std::get<double>(f[i].value)), std::bit_cast<std::uint64_t>(doubles[i]));
    auto iv = read("i", 0, 100);
    ASSERT_EQ(iv.size(), ints.size());
    for (std::size_t i = 0; i < ints.size(); ++i) EXPECT_EQ(std::get<std::int64_t>(iv[i].value), ints[i]);
    auto s = read("s", 0, 100);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(std::get<std::string>(s[0].value), "");
    EXPECT_EQ(std::get<std::string>(s[1].value).size(), 60'000u);
    auto b = read("b", 0, 100);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_TRUE(std::get<bool>(b[0].value));
    EXPECT_FALSE(std::get<bool>(b[1].value));
    ASSERT_TRUE(store_->flush());
    reopen();
  }
}

TEST_P(StoreConformance, DuplicatesLastWriteWinsInHeadAndOnDisk) {
  ASSERT_TRUE(put("x", 5000, 1.0));
  ASSERT_TRUE(put("x", 5000, 2.0));
  auto r = read("x", 0, 10'000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<double>(r[0].value), 2.0);
  ASSERT_TRUE(store_->flush());
  ASSERT_TRUE(put("x", 5000, 3.0));  // rewrite of a flushed sample
  r = read("x", 0, 10'000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<double>(r[0].value), 3.0);
  ASSERT_TRUE(store_->flush());
  reopen();
  r = read("x", 0, 10'000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<double>(r[0].value), 3.0);
}

// Late samples inside the embedded engine's out-of-order window merge into place everywhere.
// Beyond the window the two differ by design: the embedded engine rejects the batch (it
// would have to rewrite sealed chunks); ClickHouse has no window and stores the sample.
TEST_P(StoreConformance, OutOfOrderWithinWindowMergesBeyondIsRejected) {
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(put("x", 10'000'000 + i * 1000, static_cast<std::int64_t>(i)));
  ASSERT_TRUE(store_->flush());
  ASSERT_TRUE(put("x", 10'000'500, std::int64_t{-1}));  // between two flushed samples
  ASSERT_TRUE(put("x", 9'000'000, std::int64_t{-2}));   // before the first chunk, inside the window
  ASSERT_TRUE(store_->flush());
  auto r = read("x", 0, 20'000'000);
  ASSERT_EQ(r.size(), 42u);
  EXPECT_EQ(r[0].ts, 9'000'000);
  EXPECT_EQ(r[2].ts, 10'000'500);
  EXPECT_EQ(std::get<std::int64_t>(r[2].value), -1);
  auto st = put("x", 10'039'000 - 3'600'001, std::int64_t{7});
  if (embedded()) {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
    EXPECT_NE(st.error().message.find("out-of-order window"), std::string::npos);
    EXPECT_EQ(read("x", 0, 20'000'000).size(), 42u);
  } else {
    ASSERT_TRUE(st) << st.error().message;
    r = read("x", 0, 20'000'000);
    ASSERT_EQ(r.size(), 43u);
    EXPECT_EQ(r[0].ts, 10'039'000 - 3'600'001);
    EXPECT_EQ(std::get<std::int64_t>(r[0].value), 7);
  }
}

TEST_P(StoreConformance, KeyWithSeveralTypesMergesByTime) {
  ASSERT_TRUE(put("v", 1, 1.5));
  ASSERT_TRUE(put("v", 2, std::string("off")));
  ASSERT_TRUE(put("v", 3, std::int64_t{7}));
  auto r = read("v", 0, 10);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(std::get<double>(r[0].value), 1.5);
  EXPECT_EQ(std::get<std::string>(r[1].value), "off");
  EXPECT_EQ(std::get<std::int64_t>(r[2].value), 7);
  auto latest = store_->latest("t1", "d1", {});
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>((*latest)[0].sample.value), 7);
  auto keys = store_->keys("t1", "d1");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, std::vector<std::string>{"v"});
}

TEST_P(StoreConformance, TenantsAndDevicesAreSeparate) {
  Point a{"t1", "d1", "k", 1, 1.0}, b{"t2", "d1", "k", 1, 2.0};
  ASSERT_TRUE(store_->write(std::span<const Point>(&a, 1)));
  ASSERT_TRUE(store_->write(std::span<const Point>(&b, 1)));
  auto r = store_->latest("t2", "d1", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(std::get<double>((*r)[0].sample.value), 2.0);
  EXPECT_TRUE(store_->latest("t3", "d1", {})->empty());
}

// Aggregates from raw samples, the 1-minute rollups (ranges ≥ 6 h) and the 1-hour rollups
// (ranges ≥ 7 days) agree with a brute-force computation, with data partly flushed.
TEST_P(StoreConformance, AggregatesMatchBruteForceAcrossRollups) {
  head_max_ = 512;
  reopen();
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 0.5);
  const std::int64_t start = 1'700'000'000'000 - 1'700'000'000'000 % 3'600'000;
  std::map<std::int64_t, double> ref;
  std::vector<Point> batch;
  for (std::int64_t t = 0; t < 8 * 24 * 3600; t += 30) {  // 8 days at 30 s
    double v = std::round((20 + noise(rng)) * 100) / 100;
    ref[start + t * 1000] = v;
    batch.push_back({"t1", "d1", "temp", start + t * 1000, v});
    if (batch.size() == 1000) {
      ASSERT_TRUE(store_->write(batch));
      batch.clear();
    }
  }
  ASSERT_TRUE(store_->write(batch));
  ASSERT_TRUE(store_->flush());
  // Some fresh samples stay in the head, and one flushed sample is rewritten.
  for (std::int64_t t = 8 * 24 * 3600; t < 8 * 24 * 3600 + 600; t += 30) {
    ref[start + t * 1000] = 1.25;
    ASSERT_TRUE(put("temp", start + t * 1000, 1.25));
  }
  for (auto [from_s, to_s, interval] : std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>{
           {0, 3600, 60'000},                          // raw
           {1234, 7 * 3600 + 77, 300'000},             // 1-minute rollups with ragged edges
           {0, 8 * 24 * 3600 + 600, 3'600'000},        // 1-hour rollups
           {-100, 8 * 24 * 3600 + 700, 86'400'000}}) {
    for (Agg agg : {Agg::kAvg, Agg::kMin, Agg::kMax, Agg::kSum, Agg::kCount, Agg::kFirst, Agg::kLast}) {
      AggQuery q{"t1", "d1", {"temp"}, start + from_s * 1000, start + to_s * 1000, interval, agg};
      auto r = store_->aggregate(q);
      ASSERT_TRUE(r) << r.error().message;
      std::map<std::int64_t, std::vector<double>> buckets;
      for (auto it = ref.lower_bound(q.from); it != ref.end() && it->first < q.to; ++it)
        buckets[it->first - (it->first % interval + interval) % interval].push_back(it->second);
      ASSERT_EQ((*r)[0].buckets.size(), buckets.size()) << agg_name(agg) << " interval " << interval;
      std::size_t i = 0;
      for (auto& [ts, vals] : buckets) {
        const auto& b = (*r)[0].buckets[i++];
        ASSERT_EQ(b.ts, ts);
        double expect = 0;
        switch (agg) {
          case Agg::kAvg: for (double v : vals) expect += v; expect /= static_cast<double>(vals.size()); break;
          case Agg::kSum: for (double v : vals) expect += v; break;
          case Agg::kMin: expect = *std::min_element(vals.begin(), vals.end()); break;
          case Agg::kMax: expect = *std::max_element(vals.begin(), vals.end()); break;
          case Agg::kCount: expect = static_cast<double>(vals.size()); break;
          case Agg::kFirst: expect = vals.front(); break;
          case Agg::kLast: expect = vals.back(); break;
        }
        double got = agg == Agg::kCount ? static_cast<double>(std::get<std::int64_t>(b.value)) : std::get<double>(b.value);
        EXPECT_NEAR(got, expect, 1e-6 * std::max(1.0, std::abs(expect))) << agg_name(agg) << " bucket " << ts;
      }
    }
  }
}

// Buckets are aligned to multiples of the interval since the epoch, for every interval and on
// both sides of the epoch; count and first/last keep their meaning per bucket.
TEST_P(StoreConformance, AggregateBucketsAlignForAnyInterval) {
  std::vector<Point> batch;
  std::map<std::int64_t, std::int64_t> ref;
  for (std::int64_t i = -30; i < 30; ++i) ref[i * 1000] = i;  // around the epoch
  for (std::int64_t i = 0; i < 180; ++i) ref[1'700'000'040'000 + i * 1000] = i;
  for (auto [ts, v] : ref) batch.push_back({"t1", "d1", "n", ts, v});
  ASSERT_TRUE(store_->write(batch));
  for (std::int64_t interval : {1000LL, 7000LL, 60'000LL, 90'000LL, 3'600'000LL}) {
    for (auto [from, to] : std::vector<std::pair<std::int64_t, std::int64_t>>{{-40'000, 40'000},
                                                                              {1'700'000'000'000, 1'700'000'300'000}}) {
      std::map<std::int64_t, std::vector<std::int64_t>> want;
      for (auto it = ref.lower_bound(from); it != ref.end() && it->first < to; ++it)
        want[it->first - ((it->first % interval) + interval) % interval].push_back(it->second);
      for (Agg agg : {Agg::kCount, Agg::kFirst, Agg::kLast, Agg::kSum}) {
        auto r = store_->aggregate(AggQuery{"t1", "d1", {"n"}, from, to, interval, agg});
        ASSERT_TRUE(r) << r.error().message;
        const auto& got = (*r)[0].buckets;
        ASSERT_EQ(got.size(), want.size()) << "interval " << interval << " " << agg_name(agg);
        std::size_t i = 0;
        for (const auto& [ts, vals] : want) {
          ASSERT_EQ(got[i].ts, ts) << "interval " << interval;
          double sum = 0;
          for (auto v : vals) sum += static_cast<double>(v);
          switch (agg) {
            case Agg::kCount: EXPECT_EQ(std::get<std::int64_t>(got[i].value), static_cast<std::int64_t>(vals.size())); break;
            case Agg::kFirst: EXPECT_EQ(std::get<std::int64_t>(got[i].value), vals.front()); break;
            case Agg::kLast: EXPECT_EQ(std::get<std::int64_t>(got[i].value), vals.back()); break;
            default: EXPECT_EQ(std::get<double>(got[i].value), sum);
          }
          ++i;
        }
      }
    }
  }
}

TEST_P(StoreConformance, DeleteRangeAndDevice) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(put("a", i * 1000, static_cast<double>(i)));
    ASSERT_TRUE(put("b", i * 1000, static_cast<double>(i)));
  }
  ASSERT_TRUE(store_->flush());
  for (int i = 50; i < 60; ++i) ASSERT_TRUE(put("a", i * 1000, static_cast<double>(i)));
  std::vector<std::string> keys = {"a"};
  ASSERT_TRUE(store_->delete_range("t1", "d1", keys, 10'000, 55'000));
  auto a = read("a", 0, 100'000);
  ASSERT_EQ(a.size(), 15u);
  EXPECT_EQ(a[9].ts, 9000);
  EXPECT_EQ(a[10].ts, 55'000);
  EXPECT_EQ(read("b", 0, 100'000).size(), 50u);
  // Deletes survive a restart (WAL replay must not bring samples back).
  reopen();
  EXPECT_EQ(read("a", 0, 100'000).size(), 15u);
  ASSERT_TRUE(store_->delete_range("t1", "d1", keys, 55'000, 100'000));
  auto latest = store_->latest("t1", "d1", keys);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].sample.ts, 9000);
  ASSERT_TRUE(store_->delete_device("t1", "d1"));
  EXPECT_TRUE(store_->keys("t1", "d1")->empty());
  reopen();
  EXPECT_TRUE(store_->keys("t1", "d1")->empty());
  EXPECT_TRUE(read("b", 0, 100'000).empty());
}

TEST_P(StoreConformance, RetentionDropsOldSamples) {
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  window_ = 10LL * 86'400'000;
  reopen();
  for (int d = 5; d >= 0; --d) ASSERT_TRUE(put("k", now - d * 86'400'000LL, static_cast<double>(d)));
  ASSERT_TRUE(store_->flush());
  ASSERT_TRUE(store_->set_retention("t1", 2 * 86'400'000LL + 3'600'000));
  auto st = store_->compact();
  ASSERT_TRUE(st) << st.error().message;
  auto r = read("k", 0, now + 1);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(std::get<double>(r[0].value), 2.0);
  reopen();  // the retention setting persists
  ASSERT_TRUE(store_->compact());
  EXPECT_EQ(read("k", 0, now + 1).size(), 3u);
}

// Expired data leaves the disk, not just the answers: the embedded engine deletes chunks,
// ClickHouse drops the tenant's partitions that lie wholly before the cut-off.
TEST_P(StoreConformance, RetentionReclaimsExpiredSamples) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t day = 86'400'000;
  std::vector<Point> batch;
  for (int i = 0; i < 500; ++i) batch.push_back({"t1", "d1", "k", now - 100 * day + i * 60'000, static_cast<double>(i)});
  for (int i = 0; i < 5; ++i) batch.push_back({"t1", "d1", "k", now - 5'000 + i * 1000, 1000.0 + i});
  batch.push_back({"t2", "d1", "k", now - 100 * day, 7.0});  // another tenant keeps everything
  ASSERT_TRUE(store_->write(batch));
  ASSERT_TRUE(store_->flush());
  auto before = store_->stats();
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_GE(before->samples, 506u);
  ASSERT_TRUE(store_->set_retention("t1", 10 * day));
  ASSERT_TRUE(store_->compact());
  auto r = read("k", 0, now + 1);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(std::get<double>(r[0].value), 1000.0);
  auto after = store_->stats();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_LE(after->samples, 6u);
  auto other = store_->range(RangeQuery{"t2", "d1", {"k"}, 0, now + 1});
  ASSERT_TRUE(other);
  ASSERT_EQ((*other)[0].samples.size(), 1u);
}

TEST_P(StoreConformance, ConcurrentWritersAllLand) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([this, t] {
      for (int i = 0; i < 500; ++i) {
        Point p{"t1", "dev" + std::to_string(t), "k", i, static_cast<std::int64_t>(i * t)};
        ASSERT_TRUE(store_->write(std::span<const Point>(&p, 1)));
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    auto r = read("k", 0, 1000, 1'000'000, Order::kAsc, "dev" + std::to_string(t));
    ASSERT_EQ(r.size(), 500u);
    EXPECT_EQ(std::get<std::int64_t>(r[499].value), 499 * t);
  }
}

// Random writes (in and out of order, duplicates), flushes, deletes and restarts, compared with
// a std::map reference after every step.
TEST_P(StoreConformance, PropertyAgainstReferenceModel) {
  std::mt19937_64 rng(7);
  std::map<std::string, std::map<std::int64_t, Value>> ref;
  const std::vector<std::string> keys = {"f", "i", "b", "s"};
  auto random_value = [&](const std::string& key) -> Value {
    if (key == "f") return std::round(std::uniform_real_distribution<double>(-100, 100)(rng) * 10) / 10;
    if (key == "i") return static_cast<std::int64_t>(rng() % 1000) - 500;
    if (key == "b") return (rng() & 1) == 1;
    return std::string(rng() % 3, static_cast<char>('a' + rng() % 3));
  };
  std::int64_t base = 1'000'000;
  for (int step = 0; step < 300; ++step) {
    int op = static_cast<int>(rng() % 20);
    if (op < 14) {
      std::vector<Point> batch;
      for (int n = static_cast<int>(rng() % 40); n >= 0; --n) {
        const auto& key = keys[rng() % keys.size()];
        std::int64_t ts = base + static_cast<std::int64_t>(rng() % 200'000) - 50'000;
        batch.push_back({"t1", "d1", key, ts, random_value(key)});
      }
      base += 20'000;
      ASSERT_TRUE(store_->write(batch));
      for (auto& p : batch) ref[p.key][p.ts] = p.value;
    } else if (op < 17) {
      ASSERT_TRUE(store_->flush());
    } else if (op < 19) {
      const auto& key = keys[rng() % keys.size()];
      std::int64_t from = base - static_cast<std::int64_t>(rng() % 100'000), to = from + static_cast<std::int64_t>(rng() % 30'000) + 1;
      std::vector<std::string> ks = {key};
      ASSERT_TRUE(store_->delete_range("t1", "d1", ks, from, to));
      auto& m = ref[key];
      m.erase(m.lower_bound(from), m.lower_bound(to));
    } else {
      reopen();
    }
    for (const auto& key : keys) {
      auto got = read(key, 0, base + 1'000'000);
      const auto& want = ref[key];
      ASSERT_EQ(got.size(), want.size()) << "key " << key << " step " << step;
      std::size_t i = 0;
      for (const auto& [ts, v] : want) {
        ASSERT_EQ(got[i].ts, ts) << key << " step " << step;
        ASSERT_EQ(got[i].value, v) << key << " ts " << ts << " step " << step;
        ++i;
      }
      auto latest = store_->latest("t1", "d1", std::vector<std::string>{key});
      ASSERT_TRUE(latest);
      if (want.empty()) {
        EXPECT_TRUE(latest->empty());
      } else {
        ASSERT_EQ(latest->size(), 1u) << key << " step " << step;
        EXPECT_EQ((*latest)[0].sample.ts, want.rbegin()->first) << key << " step " << step;
      }
    }
  }
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kEmbedded ? "Embedded" : "ClickHouse";
}

#ifdef KAIWU_CONFORMANCE_CLICKHOUSE
INSTANTIATE_TEST_SUITE_P(ClickHouse, StoreConformance, ::testing::Values(Backend::kClickHouse), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Embedded, StoreConformance, ::testing::Values(Backend::kEmbedded), backend_name);
#endif

}  // namespace
}  // namespace kaiwu::tsdb
