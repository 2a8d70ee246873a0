#include "metering/sqlite_meter.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "meta/sqlite_db.hpp"

namespace kaiwu::metering {
namespace {

using meta::sqlite::Db;
using meta::sqlite::Query;
using meta::sqlite::Row;
using meta::sqlite::Value;

// Own file, own schema (not a MetadataStore migration): see README. user_version tracks it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('app_visit', 'app_call', 'model_call', 'developer_login', 'tool_call')),
  tenant_id TEXT NOT NULL DEFAULT '',
  enterprise_id TEXT NOT NULL DEFAULT '',
  subject_id TEXT NOT NULL DEFAULT '',
  actor_id TEXT NOT NULL DEFAULT '',
  function TEXT NOT NULL DEFAULT '',
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  duration_us INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS usage_ts ON usage (ts_ms);
CREATE INDEX IF NOT EXISTS usage_tenant_ts ON usage (tenant_id, ts_ms);
CREATE TRIGGER IF NOT EXISTS usage_no_update BEFORE UPDATE ON usage
  BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS usage_no_delete BEFORE DELETE ON usage
  BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
PRAGMA user_version = 1;
)sql";

constexpr std::string_view kInsert =
    "INSERT INTO usage (ts_ms, kind, tenant_id, enterprise_id, subject_id, actor_id, function, ok, "
    "duration_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

// The range and tenant conditions every aggregate shares.
Query& scoped(Query& q, const std::string& tenant_id, TimeRange r) {
  q.where("ts_ms >= ? AND ts_ms < ?", {r.from_ms, r.to_ms});
  if (!tenant_id.empty()) q.where("tenant_id = ?", {tenant_id});
  return q;
}

std::int64_t& counter_of(Summary& s, std::string_view kind) {
  static std::int64_t ignored = 0;
  auto k = parse_kind(kind);
  if (!k) return ignored;
  switch (*k) {
    case Kind::kAppVisit: return s.app_visits;
    case Kind::kAppCall: return s.app_calls;
    case Kind::kModelCall: return s.model_calls;
    case Kind::kDeveloperLogin: return s.developer_logins;
    case Kind::kToolCall: return s.tool_calls;
  }
  return ignored;
}

}  // namespace

Result<std::unique_ptr<SqliteMeter>> SqliteMeter::open(const std::string& path, MetricsRegistry& metrics,
                                                       MeterOptions options) {
  auto db = KAIWU_TRY(Db::open(path));
  KAIWU_TRY_STATUS(db->script(kSchemaV1));
  return std::unique_ptr<SqliteMeter>(new SqliteMeter(std::move(db), metrics, options));
}

SqliteMeter::SqliteMeter(std::unique_ptr<Db> db, MetricsRegistry& metrics, MeterOptions options)
    : options_(options),
      written_(metrics.counter("kaiwu_metering_records_written_total", "Usage records written")),
      dropped_(metrics.counter("kaiwu_metering_records_dropped_total", "Usage records dropped (queue full)")),
      errors_(metrics.counter("kaiwu_metering_errors_total", "Usage records lost to write errors")),
      queued_(metrics.gauge("kaiwu_metering_queue_records", "Usage records waiting to be written")),
      db_(std::move(db)) {
  queue_.reserve(options_.batch_max);
  writer_ = std::thread([this] { run_writer(); });
}

SqliteMeter::~SqliteMeter() { stop(); }

void SqliteMeter::record(Record r) {
  if (r.ts_ms == 0) r.ts_ms = now_ms();
  std::size_t size = 0;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      dropped_.inc();
      return;
    }
    queue_.push_back(std::move(r));
    size = queue_.size();
  }
  queued_.set(static_cast<double>(size));
  if (size == options_.batch_max) wake_.notify_one();
}

void SqliteMeter::run_writer() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stopping_ || queue_.size() >= options_.batch_max; });
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

Status SqliteMeter::flush() {
  std::lock_guard db_lock(db_mu_);  // taken first: batches reach the file in queue order
  std::vector<Record> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(queue_);
    queue_.reserve(options_.batch_max);
  }
  queued_.set(0);
  if (batch.empty()) return ok();
  return write_batch(batch);
}

Status SqliteMeter::write_batch(std::vector<Record>& batch) {
  auto st = db_->script("BEGIN IMMEDIATE");
  if (st) {
    for (const Record& r : batch) {
      auto row = db_->run(Query(kInsert, {r.ts_ms, std::string(to_string(r.kind)), r.tenant_id, r.enterprise_id,
                                          r.subject_id, r.actor_id, r.function, std::int64_t{r.ok ? 1 : 0},
                                          r.duration_us}));
      if (!row) {
        st = std::unexpected(row.error());
        break;
      }
    }
  }
  if (st) st = db_->script("COMMIT");
  if (!st) {
    (void)db_->script("ROLLBACK");
    errors_.inc(batch.size());
    spdlog::error("metering: {} usage records lost: {}", batch.size(), st.error().message);
    return st;
  }
  written_.inc(batch.size());
  return ok();
}

void SqliteMeter::stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  (void)flush();
}

Result<Summary> SqliteMeter::summary(const std::string& tenant_id, TimeRange range) {
  (void)flush();
  std::lock_guard lock(db_mu_);
  Summary s;
  Query by_kind("SELECT kind, COUNT(*), SUM(ok = 0) FROM usage");
  scoped(by_kind, tenant_id, range).tail(" GROUP BY kind");
  KAIWU_TRY_STATUS(db_->each(by_kind, [&](const Row& row) -> Status {
    counter_of(s, row.text(0)) = row.int64(1);
    const auto kind = row.text(0);
    if (kind == "app_call" || kind == "model_call") s.failed_calls += row.int64(2);
    return ok();
  }));
  Query apps("SELECT COUNT(DISTINCT subject_id) FROM usage");
  s.active_apps = KAIWU_TRY(db_->scalar(scoped(apps.where("kind IN ('app_visit', 'app_call')"), tenant_id, range)));
  Query models("SELECT COUNT(DISTINCT subject_id) FROM usage");
  s.active_models = KAIWU_TRY(db_->scalar(scoped(models.where("kind = 'model_call'"), tenant_id, range)));

  // Logged in AND used a tool in the range: the intersection of the two subject sets.
  std::string tenant_cond = tenant_id.empty() ? "" : " AND tenant_id = ?";
  std::vector<Value> params{range.from_ms, range.to_ms};
  if (!tenant_id.empty()) params.emplace_back(tenant_id);
  std::vector<Value> both = params;
  both.insert(both.end(), params.begin(), params.end());
  const std::string sel = "SELECT subject_id FROM usage WHERE ts_ms >= ? AND ts_ms < ?" + tenant_cond;
  s.active_developers = KAIWU_TRY(db_->scalar(Query("SELECT COUNT(*) FROM (" + sel + " AND kind = 'developer_login' INTERSECT " +
                                                    sel + " AND kind = 'tool_call')", both)));

  Query by_enterprise("SELECT enterprise_id, COUNT(*) FROM usage");
  scoped(by_enterprise.where("kind IN ('app_call', 'model_call')"), tenant_id, range)
      .tail(" GROUP BY enterprise_id ORDER BY 2 DESC, 1");
  KAIWU_TRY_STATUS(db_->each(by_enterprise, [&](const Row& row) -> Status {
    s.calls_by_enterprise.emplace_back(row.text(0), row.int64(1));
    return ok();
  }));
  return s;
}

Result<std::vector<DailyCount>> SqliteMeter::daily(const std::string& tenant_id, TimeRange range,
                                                   const std::string& subject_id) {
  (void)flush();
  std::lock_guard lock(db_mu_);
  Query q("SELECT ts_ms / 86400000, kind, subject_id, COUNT(*), SUM(ok = 0) FROM usage");
  scoped(q, tenant_id, range);
  if (!subject_id.empty()) q.where("subject_id = ?", {subject_id});
  q.tail(" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
  return db_->all(q, [](const Row& row) -> Result<DailyCount> {
    auto kind = parse_kind(row.text(1));
    if (!kind) return fail(Errc::kCorruption, "metering: unknown kind " + row.text(1));
    return DailyCount{row.int64(0) * 86'400'000, *kind, row.text(2), row.int64(3), row.int64(4)};
  });
}

Result<std::vector<Revenue>> SqliteMeter::per_call_revenue(const std::string& tenant_id, TimeRange range,
                                                           const PriceOf& price) {
  (void)flush();
  std::vector<std::pair<std::string, std::int64_t>> calls;
  {
    std::lock_guard lock(db_mu_);
    Query q("SELECT subject_id, COUNT(*) FROM usage");
    scoped(q.where("kind IN ('app_call', 'model_call') AND ok = 1"), tenant_id, range).tail(" GROUP BY 1 ORDER BY 1");
    KAIWU_TRY_STATUS(db_->each(q, [&](const Row& row) -> Status {
      calls.emplace_back(row.text(0), row.int64(1));
      return ok();
    }));
  }
  std::vector<Revenue> out;
  for (auto& [subject, n] : calls) {
    auto p = price(subject);  // outside the lock: the caller may look prices up anywhere
    if (!p) continue;
    out.push_back(Revenue{subject, n, *p, n * *p});
  }
  return out;
}

}  // namespace kaiwu::metering
