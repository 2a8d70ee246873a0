#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "meta/sqlite_db.hpp"
#include "metering/sqlite_meter.hpp"

namespace kaiwu::metering {
namespace {

constexpr std::int64_t kNov1 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr std::int64_t kDec1 = 1'796'083'200'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kHour = 3'600'000;

Record rec(Kind kind, std::string tenant, std::string enterprise, std::string subject, std::int64_t ts,
           bool ok = true) {
  Record r;
  r.kind = kind;
  r.tenant_id = std::move(tenant);
  r.enterprise_id = std::move(enterprise);
  r.subject_id = std::move(subject);
  r.actor_id = "u-1";
  r.ts_ms = ts;
  r.ok = ok;
  return r;
}

// The seeded set; the expected figures in the tests below are counted by hand from it.
void seed(Meter& m) {
  m.record(rec(Kind::kAppVisit, "t1", "e1", "app-a", kNov1 + kHour));
  m.record(rec(Kind::kAppCall, "t1", "e1", "app-a", kNov1 + 2 * kHour));
  m.record(rec(Kind::kAppCall, "t1", "e1", "app-a", kNov1 + kDay));
  m.record(rec(Kind::kAppCall, "t1", "e2", "app-b", kNov1 + kDay + kHour, false));
  m.record(rec(Kind::kModelCall, "t1", "e1", "m-1", kNov1 + kDay + 2 * kHour));
  m.record(rec(Kind::kDeveloperLogin, "t1", "", "dev-1", kNov1 + 2 * kDay));
  m.record(rec(Kind::kToolCall, "t1", "", "dev-1", kNov1 + 2 * kDay + kHour));
  m.record(rec(Kind::kDeveloperLogin, "t1", "", "dev-2", kNov1 + 2 * kDay));  // no tool: not active
  m.record(rec(Kind::kToolCall, "t1", "", "dev-3", kNov1 + 3 * kDay));        // no login: not active
  m.record(rec(Kind::kAppCall, "t1", "e1", "app-c", kNov1 - 1));               // October
  m.record(rec(Kind::kAppVisit, "t1", "e1", "app-d", kDec1));                  // December
  m.record(rec(Kind::kAppCall, "t2", "e9", "app-x", kNov1 + 4 * kDay));
  m.record(rec(Kind::kDeveloperLogin, "t2", "", "dev-9", kNov1 + 4 * kDay));
  m.record(rec(Kind::kToolCall, "t2", "", "dev-9", kNov1 + 5 * kDay));
  m.record(rec(Kind::kModelCall, "t2", "e9", "m-1", kNov1 + 5 * kDay));
}

class SqliteMeterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = SqliteMeter::open(":memory:", metrics_);
    ASSERT_TRUE(m) << m.error().message;
    meter_ = std::move(*m);
    seed(*meter_);
  }
  MetricsRegistry metrics_;
  std::unique_ptr<SqliteMeter> meter_;
  const TimeRange nov_{kNov1, kDec1};
};

TEST_F(SqliteMeterTest, TenantSummaryOfNovember) {
  auto s = meter_->summary("t1", nov_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->app_visits, 1);
  EXPECT_EQ(s->app_calls, 3);
  EXPECT_EQ(s->model_calls, 1);
  EXPECT_EQ(s->developer_logins, 2);
  EXPECT_EQ(s->tool_calls, 2);
  EXPECT_EQ(s->failed_calls, 1);
  EXPECT_EQ(s->active_apps, 2);  // app-a, app-b (app-c is October's, app-d December's)
  EXPECT_EQ(s->active_models, 1);
  EXPECT_EQ(s->active_developers, 1);  // dev-1 only
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(s->calls_by_enterprise, (std::vector<P>{{"e1", 3}, {"e2", 1}}));
}

TEST_F(SqliteMeterTest, PlatformSummaryOfNovember) {
  auto s = meter_->summary("", nov_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->app_visits, 1);
  EXPECT_EQ(s->app_calls, 4);
  EXPECT_EQ(s->model_calls, 2);
  EXPECT_EQ(s->developer_logins, 3);
  EXPECT_EQ(s->tool_calls, 3);
  EXPECT_EQ(s->active_apps, 3);
  EXPECT_EQ(s->active_models, 1);
  EXPECT_EQ(s->active_developers, 2);  // dev-1, dev-9
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(s->calls_by_enterprise, (std::vector<P>{{"e1", 3}, {"e9", 2}, {"e2", 1}}));
}

TEST_F(SqliteMeterTest, OtherMonthsAndTenantsAreSeparate) {
  auto oct = meter_->summary("t1", TimeRange{kNov1 - 31 * kDay, kNov1});
  ASSERT_TRUE(oct);
  EXPECT_EQ(oct->app_calls, 1);
  EXPECT_EQ(oct->active_apps, 1);
  auto none = meter_->summary("t3", nov_);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->app_calls + none->app_visits + none->tool_calls + none->active_developers, 0);
}

TEST_F(SqliteMeterTest, DailyCountsPerKindAndSubject) {
  auto d = meter_->daily("t1", TimeRange{kNov1, kNov1 + 2 * kDay}, "");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 5u);
  EXPECT_EQ((*d)[0].day_ms, kNov1);
  EXPECT_EQ((*d)[0].kind, Kind::kAppCall);
  EXPECT_EQ((*d)[0].subject_id, "app-a");
  EXPECT_EQ((*d)[0].count, 1);
  EXPECT_EQ((*d)[1].kind, Kind::kAppVisit);
  EXPECT_EQ((*d)[2].day_ms, kNov1 + kDay);
  EXPECT_EQ((*d)[3].subject_id, "app-b");
  EXPECT_EQ((*d)[3].failed, 1);
  EXPECT_EQ((*d)[4].kind, Kind::kModelCall);
  EXPECT_EQ((*d)[4].subject_id, "m-1");

  auto a = meter_->daily("t1", nov_, "app-a");
  ASSERT_TRUE(a);
  std::int64_t total = 0;
  for (const auto& c : *a) total += c.count;
  EXPECT_EQ(a->size(), 3u);
  EXPECT_EQ(total, 3);
}

TEST_F(SqliteMeterTest, PerCallRevenueUsesCallerPrices) {
  std::map<std::string, std::int64_t> prices{{"app-a", 50}, {"app-b", 100}, {"m-1", 20}};
  auto r = meter_->per_call_revenue("", nov_, [&](const std::string& s) -> std::optional<std::int64_t> {
    auto it = prices.find(s);
    if (it == prices.end()) return std::nullopt;
    return it->second;
  });
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);  // app-b's only call failed; app-x has no price
  EXPECT_EQ((*r)[0].subject_id, "app-a");
  EXPECT_EQ((*r)[0].calls, 2);
  EXPECT_EQ((*r)[0].revenue_minor, 100);
  EXPECT_EQ((*r)[1].subject_id, "m-1");
  EXPECT_EQ((*r)[1].calls, 2);
  EXPECT_EQ((*r)[1].revenue_minor, 40);
}

TEST_F(SqliteMeterTest, CountsWrittenRecords) {
  ASSERT_TRUE(meter_->flush());
  EXPECT_EQ(metrics_.counter("kaiwu_metering_records_written_total", "").value(), 15u);
  EXPECT_EQ(metrics_.counter("kaiwu_metering_records_dropped_total", "").value(), 0u);
}

TEST(SqliteMeterQueueTest, FullQueueDropsAndCounts) {
  MetricsRegistry metrics;
  MeterOptions o;
  o.queue_capacity = 3;
  o.batch_max = 100;
  o.flush_interval = std::chrono::hours(1);
  auto m = SqliteMeter::open(":memory:", metrics, o);
  ASSERT_TRUE(m);
  for (int i = 0; i < 5; ++i) (*m)->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + i));
  EXPECT_EQ(metrics.counter("kaiwu_metering_records_dropped_total", "").value(), 2u);
  auto s = (*m)->summary("t", TimeRange{kNov1, kDec1});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->app_calls, 3);
  (*m)->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + 10));  // room again after the flush
  EXPECT_EQ((*m)->summary("t", TimeRange{kNov1, kDec1})->app_calls, 4);
}

TEST(SqliteMeterQueueTest, ConcurrentWritersLoseNothing) {
  MetricsRegistry metrics;
  auto m = SqliteMeter::open(":memory:", metrics);
  ASSERT_TRUE(m);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) (*m)->record(rec(Kind::kModelCall, "t", "e", "m" + std::to_string(t), kNov1 + i));
    });
  for (auto& t : threads) t.join();
  auto s = (*m)->summary("t", TimeRange{kNov1, kDec1});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->model_calls, 20000);
  EXPECT_EQ(s->active_models, 4);
}

TEST(SqliteMeterFileTest, StopFlushesAndRecordsAreAppendOnly) {
  auto dir = std::filesystem::temp_directory_path() / ("kaiwu-meter-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "metering.db").string();
  {
    MetricsRegistry metrics;
    MeterOptions o;
    o.flush_interval = std::chrono::hours(1);  // only stop() writes
    auto m = SqliteMeter::open(path, metrics, o);
    ASSERT_TRUE(m);
    (*m)->record(rec(Kind::kAppCall, "t", "e", "a", kNov1));
    (*m)->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + 1));
    (*m)->stop();
    (*m)->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + 2));  // after stop: dropped
    EXPECT_EQ(metrics.counter("kaiwu_metering_records_dropped_total", "").value(), 1u);
  }
  {
    auto db = meta::sqlite::Db::open(path);
    ASSERT_TRUE(db);
    EXPECT_EQ(*(*db)->scalar(meta::sqlite::Query("SELECT COUNT(*) FROM usage")), 2);
    auto upd = (*db)->run(meta::sqlite::Query("UPDATE usage SET ok = 0"));
    ASSERT_FALSE(upd);
    EXPECT_NE(upd.error().message.find("append-only"), std::string::npos);
    EXPECT_FALSE((*db)->run(meta::sqlite::Query("DELETE FROM usage")));
  }
  MetricsRegistry metrics;
  auto again = SqliteMeter::open(path, metrics);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->summary("t", TimeRange{kNov1, kDec1})->app_calls, 2);
  again->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kaiwu::metering
