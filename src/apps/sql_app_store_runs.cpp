// SqlAppStore: the persistent log of APP runs (table app_runs, schema version 9), on SQLite and
// PostgreSQL alike. Written in batches by apps::RunLog, read by GET /api/v1/apps/{appId}/runs.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>
#include <set>
#include <utility>

#include "apps/sql_app_store.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "meta/sql.hpp"

namespace kaiwu::apps {
namespace {

namespace json = boost::json;
using meta::sql::Db;
using meta::sql::Query;
using meta::sql::Row;

constexpr std::size_t kMaxRunsPage = 100;

constexpr std::string_view kRunColumns =
    "SELECT seq, id, app_id, version, tenant_id, enterprise_id, function, trigger_type, actor, start_ms, "
    "duration_us, ok, error, log_json FROM app_runs";

std::string log_json(const std::vector<std::string>& lines) {
  json::array a;
  for (const auto& l : lines) a.emplace_back(l);
  return json::serialize(a);
}

std::vector<std::string> log_lines(const std::string& text) {
  std::vector<std::string> out;
  auto parsed = parse_json(text);
  if (!parsed || !parsed->is_array()) return out;
  for (const auto& v : parsed->as_array())
    if (v.is_string()) out.emplace_back(v.as_string());
  return out;
}

// A row with its seq (the cursor's tie-breaker).
std::pair<std::int64_t, RunRecord> read_run(const Row& r) {
  RunRecord run;
  run.id = r.text(1);
  run.app_id = r.text(2);
  run.version = r.text(3);
  run.tenant_id = r.text(4);
  run.enterprise_id = r.text(5);
  run.function = r.text(6);
  run.trigger = r.text(7);
  run.actor = r.text(8);
  run.start_ms = r.int64(9);
  run.duration_us = r.int64(10);
  run.ok = r.boolean(11);
  run.error = r.text(12);
  run.log = log_lines(r.text(13));
  return {r.int64(0), std::move(run)};
}

// "<start_ms>.<seq>" of the last run of a page.
Result<std::pair<std::int64_t, std::int64_t>> parse_cursor(std::string_view c) {
  const auto dot = c.find('.');
  std::int64_t start = 0, seq = 0;
  auto number = [](std::string_view s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
  };
  if (dot == std::string_view::npos || !number(c.substr(0, dot), start) || !number(c.substr(dot + 1), seq))
    return fail(Errc::kInvalidArgument, "cursor: not a cursor of this list");
  return std::pair{start, seq};
}

Status prune(Db& db, const std::string& app_id, const std::string& enterprise_id, std::int64_t now) {
  KAIWU_TRY(db.run(Query(
      "DELETE FROM app_runs WHERE app_id = ? AND enterprise_id = ? AND (start_ms < ? OR seq <= (SELECT seq FROM "
      "app_runs WHERE app_id = ? AND enterprise_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?))",
      {app_id, enterprise_id, now - kRunsMaxAgeMs, app_id, enterprise_id, static_cast<std::int64_t>(kRunsKept)})));
  return ok();
}

}  // namespace

Status SqlAppStore::append_runs(const std::vector<RunRecord>& runs) {
  if (runs.empty()) return ok();
  return db_.with_db([&](Db& db) -> Status {
    std::set<std::pair<std::string, std::string>> touched;
    for (const RunRecord& r : runs) {
      KAIWU_TRY(db.run(Query(
          "INSERT INTO app_runs (id, app_id, version, tenant_id, enterprise_id, function, trigger_type, actor, "
          "start_ms, duration_us, ok, error, log_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {r.id, r.app_id, r.version, r.tenant_id, r.enterprise_id, r.function, r.trigger, r.actor, r.start_ms,
           r.duration_us, meta::sql::boolean(r.ok), r.error, log_json(r.log)})));
      touched.emplace(r.app_id, r.enterprise_id);
    }
    const std::int64_t now = now_ms();
    for (const auto& [app, enterprise] : touched) KAIWU_TRY_STATUS(prune(db, app, enterprise, now));
    return ok();
  });
}

Result<RunPage> SqlAppStore::list_runs(const RunQuery& rq) {
  if (rq.app_id.empty()) return fail(Errc::kInvalidArgument, "app_id is required");
  const std::size_t limit = std::clamp<std::size_t>(rq.limit, 1, kMaxRunsPage);
  Query q(kRunColumns);
  q.where("app_id = ?", {rq.app_id});
  if (!rq.tenant_id.empty()) q.where("tenant_id = ?", {rq.tenant_id});
  if (!rq.enterprise_id.empty()) q.where("enterprise_id = ?", {rq.enterprise_id});
  if (rq.ok) q.where("ok = ?", {meta::sql::boolean(*rq.ok)});
  if (!rq.trigger.empty()) q.where("trigger_type = ?", {rq.trigger});
  if (rq.since_ms > 0) q.where("start_ms >= ?", {rq.since_ms});
  if (!rq.cursor.empty()) {
    const auto [start, seq] = KAIWU_TRY(parse_cursor(rq.cursor));
    q.where("(start_ms < ? OR (start_ms = ? AND seq < ?))", {start, start, seq});
  }
  q.tail("ORDER BY start_ms DESC, seq DESC LIMIT ?", {static_cast<std::int64_t>(limit + 1)});
  std::vector<std::pair<std::int64_t, RunRecord>> rows;
  KAIWU_TRY_STATUS(db_.with_db([&](Db& db) -> Status {
    return db.each(q, [&](const Row& r) -> Status {
      rows.push_back(read_run(r));
      return ok();
    });
  }));
  RunPage page;
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  if (more) page.next = fmt::format("{}.{}", rows.back().second.start_ms, rows.back().first);
  for (auto& [seq, run] : rows) page.items.push_back(std::move(run));
  return page;
}

}  // namespace kaiwu::apps
