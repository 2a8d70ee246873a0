#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "meta/pg_db.hpp"
#include "meta/sqlite_db.hpp"
#include "metering/sql_meter.hpp"
#include "pg_shared.hpp"

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

using meta::testing::backend_name;
using meta::testing::both_backends;
using meta::testing::SqlBackend;

// The suite runs on both backends: SQLite in memory, and PostgreSQL in a fresh schema of a
// throwaway server (skipped with the reason when PostgreSQL is not installed).
class MeterTest : public ::testing::TestWithParam<SqlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().postgres) {
      std::string why;
      conninfo_ = meta::testing::pg_fresh_schema(&why);
      if (conninfo_.empty()) GTEST_SKIP() << why;
    }
    meter_ = open(metrics_);
    ASSERT_TRUE(meter_);
  }
  std::unique_ptr<SqlMeter> open(MetricsRegistry& metrics, MeterOptions o = {}) {
    auto m = GetParam().postgres ? SqlMeter::open_postgres(conninfo_, metrics, o)
                                 : SqlMeter::open_sqlite(":memory:", metrics, o);
    EXPECT_TRUE(m) << m.error().message;
    return m ? std::move(*m) : nullptr;
  }
  std::string conninfo_;
  MetricsRegistry metrics_;
  std::unique_ptr<SqlMeter> meter_;
  const TimeRange nov_{kNov1, kDec1};
};

INSTANTIATE_TEST_SUITE_P(Backends, MeterTest,
                         both_backends(), backend_name);

class SeededMeterTest : public MeterTest {
 protected:
  void SetUp() override {
    MeterTest::SetUp();
    if (meter_) seed(*meter_);
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, SeededMeterTest,
                         both_backends(), backend_name);

TEST_P(SeededMeterTest, TenantSummaryOfNovember) {
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

TEST_P(SeededMeterTest, PlatformSummaryOfNovember) {
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

TEST_P(SeededMeterTest, OtherMonthsAndTenantsAreSeparate) {
  auto oct = meter_->summary("t1", TimeRange{kNov1 - 31 * kDay, kNov1});
  ASSERT_TRUE(oct);
  EXPECT_EQ(oct->app_calls, 1);
  EXPECT_EQ(oct->active_apps, 1);
  auto none = meter_->summary("t3", nov_);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->app_calls + none->app_visits + none->tool_calls + none->active_developers, 0);
}

TEST_P(SeededMeterTest, DailyCountsPerKindAndSubject) {
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

TEST_P(SeededMeterTest, PerCallRevenueUsesCallerPrices) {
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

TEST_P(SeededMeterTest, CountsWrittenRecords) {
  ASSERT_TRUE(meter_->flush());
  EXPECT_EQ(metrics_.counter("kaiwu_metering_records_written_total", "").value(), 15u);
  EXPECT_EQ(metrics_.counter("kaiwu_metering_records_dropped_total", "").value(), 0u);
}

TEST_P(MeterTest, FullQueueDropsAndCounts) {
  MetricsRegistry metrics;
  MeterOptions o;
  o.queue_capacity = 3;
  o.batch_max = 100;
  o.flush_interval = std::chrono::hours(1);
  auto m = open(metrics, o);
  ASSERT_TRUE(m);
  for (int i = 0; i < 5; ++i) m->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + i));
  EXPECT_EQ(metrics.counter("kaiwu_metering_records_dropped_total", "").value(), 2u);
  auto s = m->summary("t", TimeRange{kNov1, kDec1});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->app_calls, 3);
  m->record(rec(Kind::kAppCall, "t", "e", "a", kNov1 + 10));  // room again after the flush
  EXPECT_EQ(m->summary("t", TimeRange{kNov1, kDec1})->app_calls, 4);
}

TEST_P(MeterTest, ConcurrentWritersLoseNothing) {
  auto& m = meter_;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) m->record(rec(Kind::kModelCall, "t", "e", "m" + std::to_string(t), kNov1 + i));
    });
  for (auto& t : threads) t.join();
  auto s = m->summary("t", TimeRange{kNov1, kDec1});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->model_calls, 20000);
  EXPECT_EQ(s->active_models, 4);
  EXPECT_EQ(metrics_.counter("kaiwu_metering_records_written_total", "").value(), 20000u);
}

// A batch whose size is no multiple of the INSERT chunks (256, 32, 4, 1) is written whole.
TEST_P(MeterTest, OddBatchSizesAreWrittenWhole) {
  for (int n : {1, 3, 37, 300, 291}) {
    for (int i = 0; i < n; ++i) meter_->record(rec(Kind::kAppCall, "odd", "e", "a" + std::to_string(n), kNov1 + i));
    ASSERT_TRUE(meter_->flush());
  }
  auto d = meter_->daily("odd", TimeRange{kNov1, kDec1}, "");
  ASSERT_TRUE(d) << d.error().message;
  std::map<std::string, std::int64_t> per;
  for (const auto& c : *d) per[c.subject_id] += c.count;
  EXPECT_EQ(per, (std::map<std::string, std::int64_t>{{"a1", 1}, {"a3", 3}, {"a37", 37}, {"a300", 300}, {"a291", 291}}));
}

// Cluster mode: two nodes (two meters on one PostgreSQL schema) record into one table, and
// either one's queries count both; the table refuses UPDATE and DELETE.
TEST_P(MeterTest, NodesShareOneTableOnPostgres) {
  if (!GetParam().postgres) GTEST_SKIP() << "PostgreSQL only";
  MetricsRegistry other_metrics;
  auto node_b = open(other_metrics);
  ASSERT_TRUE(node_b);
  seed(*meter_);
  for (int i = 0; i < 10; ++i) node_b->record(rec(Kind::kAppCall, "t1", "e3", "app-a", kNov1 + 3 * kDay + i));
  ASSERT_TRUE(node_b->flush());
  auto s = meter_->summary("t1", nov_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->app_calls, 13);  // 3 seeded on node A + 10 on node B
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(s->calls_by_enterprise, (std::vector<P>{{"e3", 10}, {"e1", 3}, {"e2", 1}}));
  EXPECT_EQ(node_b->summary("t1", nov_)->app_calls, 13);

  auto db = meta::pg::Db::open(conninfo_, 1);
  ASSERT_TRUE(db);
  auto upd = (*db)->run(meta::sql::Query("UPDATE usage SET ok = 0"));
  ASSERT_FALSE(upd);
  EXPECT_NE(upd.error().message.find("append-only"), std::string::npos) << upd.error().message;
  EXPECT_FALSE((*db)->run(meta::sql::Query("DELETE FROM usage")));
}

TEST_P(MeterTest, DailyActiveDevicesAreDistinctSubjects) {
  for (const char* d : {"d1", "d2", "d1"}) meter_->record(rec(Kind::kDeviceActive, "t1", "e1", d, kNov1 + kHour));
  meter_->record(rec(Kind::kDeviceActive, "t1", "e1", "d3", kNov1 + kDay));
  meter_->record(rec(Kind::kDeviceActive, "t2", "e9", "d9", kNov1 + kHour));
  auto rows = meter_->daily("t1", TimeRange{kNov1, kNov1 + kDay}, "");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);  // d1 (twice) and d2 on Nov 1 in t1
  EXPECT_EQ((*rows)[0].kind, Kind::kDeviceActive);
  EXPECT_EQ((*rows)[0].subject_id, "d1");
  EXPECT_EQ((*rows)[0].count, 2);
  EXPECT_EQ(meter_->daily("", TimeRange{kNov1, kNov1 + kDay}, "")->size(), 3u);
  auto s = meter_->summary("t1", nov_);
  EXPECT_EQ(s->app_calls + s->app_visits + s->model_calls + s->tool_calls + s->developer_logins, 0);
}

// A metering.db written before kDeviceActive (user_version 1, the old CHECK) is rebuilt on open:
// its records stay, its triggers still refuse changes, and device_active records are accepted.
TEST(SqliteMeterFileTest, VersionOneFileAcceptsDeviceActive) {
  auto dir = std::filesystem::temp_directory_path() / ("kaiwu-meter-v1-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "metering.db").string();
  {
    auto db = meta::sqlite::Db::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->script(R"sql(
CREATE TABLE usage (
  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('app_visit', 'app_call', 'model_call', 'developer_login', 'tool_call')),
  tenant_id TEXT NOT NULL DEFAULT '', enterprise_id TEXT NOT NULL DEFAULT '', subject_id TEXT NOT NULL DEFAULT '',
  actor_id TEXT NOT NULL DEFAULT '', function TEXT NOT NULL DEFAULT '', ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  duration_us INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TRIGGER usage_no_update BEFORE UPDATE ON usage BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
CREATE TRIGGER usage_no_delete BEFORE DELETE ON usage BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
INSERT INTO usage (ts_ms, kind, tenant_id, subject_id, ok) VALUES (1793491200000, 'app_call', 't', 'a', 1);
PRAGMA user_version = 1;
)sql"));
  }
  {
    MetricsRegistry metrics;
    auto m = SqlMeter::open_sqlite(path, metrics);
    ASSERT_TRUE(m) << m.error().message;
    (*m)->record(rec(Kind::kDeviceActive, "t", "e", "d1", kNov1 + kHour));
    auto rows = (*m)->daily("t", TimeRange{kNov1, kNov1 + kDay}, "");
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ(metrics.counter("kaiwu_metering_errors_total", "").value(), 0u);
  }
  auto db = meta::sqlite::Db::open(path);
  ASSERT_TRUE(db);
  EXPECT_EQ(*(*db)->scalar(meta::sqlite::Query("PRAGMA user_version")), 2);
  EXPECT_EQ(*(*db)->scalar(meta::sqlite::Query("SELECT COUNT(*) FROM usage")), 2);
  EXPECT_FALSE((*db)->run(meta::sqlite::Query("DELETE FROM usage")));
  std::filesystem::remove_all(dir);
}

TEST(SqliteMeterFileTest, StopFlushesAndRecordsAreAppendOnly) {  // the embedded default
  auto dir = std::filesystem::temp_directory_path() / ("kaiwu-meter-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "metering.db").string();
  {
    MetricsRegistry metrics;
    MeterOptions o;
    o.flush_interval = std::chrono::hours(1);  // only stop() writes
    auto m = SqlMeter::open_sqlite(path, metrics, o);
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
  auto again = SqlMeter::open_sqlite(path, metrics);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->summary("t", TimeRange{kNov1, kDec1})->app_calls, 2);
  again->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kaiwu::metering
