// PgStore: alarms, alarm history and notification targets (schema version 4).
#include <boost/json/parse.hpp>

#include <string_view>

#include "core/ids.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

using model::Alarm;
using model::AlarmSeverity;
using model::AlarmStatus;

constexpr std::size_t kMaxTypeBytes = 128;
constexpr std::size_t kMaxHistory = 10'000;  // entries returned for one alarm
// What a unique violation of alarms_open (one uncleared alarm per device and type) names.
constexpr std::string_view kOpenAlarmIndex = "alarms.tenant_id, alarms.device_id, alarms.type";

constexpr std::string_view kAlarmColumns =
    "id, tenant_id, device_id, enterprise_id, park_id, type, severity, acknowledged, cleared, "
    "start_ms, last_ms, count, ack_ms, ack_by, clear_ms, clear_by, details_json, updated_ms";
constexpr std::string_view kTargetColumns =
    "id, tenant_id, name, url, header_name, header_value, enabled, created_ms";

std::string severity_text(AlarmSeverity s) { return std::string(model::alarm_severity_name(s)); }

Result<Alarm> read_alarm(const Row& r) {
  Alarm a;
  a.id = r.text(0);
  a.tenant_id = r.text(1);
  a.device_id = r.text(2);
  a.enterprise_id = r.text(3);
  a.park_id = r.text(4);
  a.type = r.text(5);
  auto sev = model::parse_alarm_severity(r.text(6));
  if (!sev) return fail(Errc::kCorruption, fmt::format("alarm {} has unknown severity '{}'", a.id, r.text(6)));
  a.severity = *sev;
  a.acknowledged = r.boolean(7);
  a.cleared = r.boolean(8);
  a.start_ms = r.int64(9);
  a.last_ms = r.int64(10);
  a.count = r.int64(11);
  a.ack_ms = r.int64(12);
  a.ack_by = r.text(13);
  a.clear_ms = r.int64(14);
  a.clear_by = r.text(15);
  a.details_json = r.text(16);
  a.updated_ms = r.int64(17);
  return a;
}

Result<model::AlarmHistoryEntry> read_history(const Row& r) {
  model::AlarmHistoryEntry h;
  h.id = r.int64(0);
  h.alarm_id = r.text(1);
  h.time_ms = r.int64(2);
  h.action = r.text(3);
  h.actor = r.text(4);
  h.severity = model::parse_alarm_severity(r.text(5)).value_or(AlarmSeverity::kWarning);
  h.detail = r.text(6);
  return h;
}

Result<model::NotificationTarget> read_target(const Row& r) {
  return model::NotificationTarget{r.text(0), r.text(1), r.text(2), r.text(3),
                                   r.text(4), r.text(5), r.boolean(6), r.int64(7)};
}

// Alarms are scoped by the enterprise and park they were propagated to.
void scope_alarm(Query& q, const Scope& s) {
  scope_tenant(q, s);
  if (!s.park_id.empty()) q.where("park_id = ?", {s.park_id});
  if (!s.enterprise_id.empty()) q.where("enterprise_id = ?", {s.enterprise_id});
}

// "(col IN (?, ?, …))" over the given texts.
void where_in(Query& q, std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::string cond = fmt::format("{} IN (", column);
  std::vector<Value> params;
  for (std::size_t i = 0; i < values.size(); ++i) {
    cond += i == 0 ? "?" : ", ?";
    params.emplace_back(values[i]);
  }
  cond += ")";
  q.where(cond, std::move(params));
}

void apply_filter(Query& q, const AlarmFilter& f) {
  if (!f.statuses.empty()) {
    std::string cond = "(";
    for (std::size_t i = 0; i < f.statuses.size(); ++i) {
      if (i) cond += " OR ";
      switch (f.statuses[i]) {
        case AlarmStatus::kActive: cond += "(cleared = 0 AND acknowledged = 0)"; break;
        case AlarmStatus::kAcknowledged: cond += "(cleared = 0 AND acknowledged = 1)"; break;
        case AlarmStatus::kCleared: cond += "(cleared = 1 AND acknowledged = 1)"; break;
        case AlarmStatus::kClearedUnacknowledged: cond += "(cleared = 1 AND acknowledged = 0)"; break;
      }
    }
    q.where(cond + ")");
  }
  std::vector<std::string> sev;
  for (auto s : f.severities) sev.push_back(severity_text(s));
  where_in(q, "severity", sev);
  if (!f.device_id.empty()) q.where("device_id = ?", {f.device_id});
  if (!f.enterprise_id.empty()) q.where("enterprise_id = ?", {f.enterprise_id});
  if (!f.park_id.empty()) q.where("park_id = ?", {f.park_id});
  if (!f.type.empty()) q.where("type = ?", {f.type});
}

Status check_details(const std::string& json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return fail(Errc::kInvalidArgument, "details must be a JSON object");
  return ok();
}

Status add_history(Db& db, const Alarm& a, std::string_view action, const std::string& actor,
                   std::int64_t time_ms, const std::string& detail) {
  KAIWU_TRY_STATUS(db.run(Query(
      "INSERT INTO alarm_history (tenant_id, alarm_id, time_ms, action, actor, severity, detail) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {a.tenant_id, a.id, time_ms, std::string(action), actor, severity_text(a.severity), detail})));
  return ok();
}

Status check_target(const model::NotificationTarget& t) {
  KAIWU_TRY_STATUS(require(t.name, "name"));
  KAIWU_TRY_STATUS(require(t.url, "url"));
  if (!t.url.starts_with("http://") || t.url.size() <= 7)
    return fail(Errc::kInvalidArgument, "url must be an http:// URL");
  if (t.header_name.find_first_of(":\r\n ") != std::string::npos ||
      t.header_value.find_first_of("\r\n") != std::string::npos)
    return fail(Errc::kInvalidArgument, "header name or value contains forbidden characters");
  return ok();
}

}  // namespace

// --- Alarms ------------------------------------------------------------------------------------

Result<AlarmRaised> PgStore::raise_alarm(const Scope& s, const model::Alarm& in,
                                             const std::string& actor) {
  Alarm a = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, a.tenant_id));
  KAIWU_TRY_STATUS(require(a.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(require(a.type, "type"));
  if (a.type.size() > kMaxTypeBytes)
    return fail(Errc::kInvalidArgument, fmt::format("type must be at most {} bytes", kMaxTypeBytes));
  if (a.details_json.empty()) a.details_json = "{}";
  KAIWU_TRY_STATUS(check_details(a.details_json));
  const std::int64_t now = now_ms();
  if (a.last_ms == 0) a.last_ms = now;
  auto attempt = [&] { return atomically<AlarmRaised>([&]() -> Result<AlarmRaised> {
    KAIWU_TRY_STATUS(check_tenant(*db_, a.tenant_id));
    a.enterprise_id.clear();
    a.park_id.clear();
    if (!a.device_id.empty()) {
      const auto d = KAIWU_TRY(get_device(s, a.device_id));
      a.enterprise_id = d.enterprise_id;
      Query q("SELECT park_id FROM enterprises");
      q.where("id = ?", {d.enterprise_id});
      auto park = db_->one(q, [](const Row& r) -> Result<std::string> { return r.text(0); });
      if (!park) return std::unexpected(park.error());
      if (*park) a.park_id = **park;
    } else if (!s.enterprise_id.empty() || !s.park_id.empty()) {
      return fail(Errc::kInvalidArgument, "an alarm raised in an enterprise or park scope needs a device");
    }
    auto open = find_open_alarm(s, a.device_id, a.type);
    if (open) {
      AlarmRaised r{*open, false, open->severity != a.severity};
      KAIWU_TRY_STATUS(db_->run(Query(
          "UPDATE alarms SET count = count + 1, last_ms = GREATEST(last_ms, ?), severity = ?, "
          "details_json = ?, updated_ms = ? WHERE id = ?",
          {a.last_ms, severity_text(a.severity), a.details_json, now, open->id})));
      r.alarm = KAIWU_TRY(get_alarm(s, open->id));
      if (r.severity_changed) KAIWU_TRY_STATUS(add_history(*db_, r.alarm, "updated", actor, now, a.details_json));
      return r;
    }
    if (open.error().code != Errc::kNotFound) return std::unexpected(open.error());
    a.id = id_or_new(a.id);
    a.start_ms = a.last_ms;
    a.count = 1;
    a.acknowledged = a.cleared = false;
    a.ack_ms = a.clear_ms = 0;
    a.ack_by.clear();
    a.clear_by.clear();
    a.updated_ms = now;
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO alarms (id, tenant_id, device_id, enterprise_id, park_id, type, severity, "
        "start_ms, last_ms, count, details_json, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        {a.id, a.tenant_id, a.device_id, a.enterprise_id, a.park_id, a.type, severity_text(a.severity),
         a.start_ms, a.last_ms, a.details_json, now})));
    KAIWU_TRY_STATUS(add_history(*db_, a, "created", actor, now, a.details_json));
    return AlarmRaised{KAIWU_TRY(get_alarm(s, a.id)), true, false};
  }); };
  auto raised = attempt();
  // Another node inserted the same open alarm between our look-up and insert (SQLite's single
  // writer cannot race like this): look again, and fold the trigger into theirs.
  if (!raised && raised.error().code == Errc::kAlreadyExists &&
      raised.error().message.find(kOpenAlarmIndex) != std::string::npos) {
    raised = attempt();
  }
  return raised;
}

Result<model::Alarm> PgStore::get_alarm(const Scope& s, const std::string& id) {
  Query q(select_from(kAlarmColumns, "alarms"));
  q.where("id = ?", {id});
  scope_alarm(q, s);
  return get_one(*db_, q, read_alarm, "alarm", id);
}

Result<model::Alarm> PgStore::find_open_alarm(const Scope& s, const std::string& device_id,
                                                  const std::string& type) {
  if (s.tenant_id.empty()) return fail(Errc::kInvalidArgument, "find_open_alarm needs a tenant scope");
  Query q(select_from(kAlarmColumns, "alarms"));
  q.where("tenant_id = ?", {s.tenant_id}).where("device_id = ?", {device_id}).where("type = ?", {type});
  q.where("cleared = 0");
  scope_alarm(q, s);
  return get_one(*db_, q, read_alarm, "open alarm", type);
}

Result<PageOf<model::Alarm>> PgStore::list_alarms(const Scope& s, const AlarmFilter& f,
                                                      const Page& p) {
  Query q(select_from(kAlarmColumns, "alarms"));
  scope_alarm(q, s);
  apply_filter(q, f);
  return page_by_id(*db_, std::move(q), p, read_alarm);
}

Result<AlarmCounts> PgStore::count_alarms(const Scope& s, const AlarmFilter& f) {
  Query q("SELECT severity, acknowledged, cleared, COUNT(*) FROM alarms");
  scope_alarm(q, s);
  apply_filter(q, f);
  q.tail("GROUP BY severity, acknowledged, cleared");
  AlarmCounts c;
  KAIWU_TRY_STATUS(db_->each(q, [&c](const Row& r) -> Status {
    Alarm a;
    a.severity = model::parse_alarm_severity(r.text(0)).value_or(AlarmSeverity::kWarning);
    a.acknowledged = r.boolean(1);
    a.cleared = r.boolean(2);
    const std::int64_t n = r.int64(3);
    c.total += n;
    c.by_severity[static_cast<std::size_t>(a.severity)] += n;
    c.by_status[static_cast<std::size_t>(a.status())] += n;
    return ok();
  }));
  return c;
}

Result<model::Alarm> PgStore::acknowledge_alarm(const Scope& s, const std::string& id,
                                                    const std::string& actor, std::int64_t time_ms) {
  if (time_ms == 0) time_ms = now_ms();
  return atomically<Alarm>([&]() -> Result<Alarm> {
    auto a = KAIWU_TRY(get_alarm(s, id));
    if (a.acknowledged) return fail(Errc::kFailedPrecondition, fmt::format("alarm {} is already acknowledged", id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE alarms SET acknowledged = 1, ack_ms = ?, ack_by = ?, updated_ms = ? WHERE id = ?",
        {time_ms, actor, now_ms(), id})));
    KAIWU_TRY_STATUS(add_history(*db_, a, "acknowledged", actor, time_ms, "{}"));
    return get_alarm(s, id);
  });
}

Result<model::Alarm> PgStore::clear_alarm(const Scope& s, const std::string& id,
                                              const std::string& actor, std::int64_t time_ms) {
  if (time_ms == 0) time_ms = now_ms();
  return atomically<Alarm>([&]() -> Result<Alarm> {
    auto a = KAIWU_TRY(get_alarm(s, id));
    if (a.cleared) return fail(Errc::kFailedPrecondition, fmt::format("alarm {} is already cleared", id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE alarms SET cleared = 1, clear_ms = ?, clear_by = ?, updated_ms = ? WHERE id = ?",
        {time_ms, actor, now_ms(), id})));
    KAIWU_TRY_STATUS(add_history(*db_, a, "cleared", actor, time_ms, "{}"));
    return get_alarm(s, id);
  });
}

Result<std::vector<model::AlarmHistoryEntry>> PgStore::alarm_history(const Scope& s,
                                                                         const std::string& alarm_id) {
  KAIWU_TRY_STATUS(get_alarm(s, alarm_id));
  Query q("SELECT id, alarm_id, time_ms, action, actor, severity, detail FROM alarm_history");
  q.where("alarm_id = ?", {alarm_id});
  q.tail("ORDER BY id LIMIT ?", {static_cast<std::int64_t>(kMaxHistory)});
  return db_->all(q, read_history);
}

// --- Notification targets ----------------------------------------------------------------------

Result<model::NotificationTarget> PgStore::create_notification_target(
    const Scope& s, const model::NotificationTarget& in) {
  model::NotificationTarget t = in;
  KAIWU_TRY_STATUS(adopt_tenant(s, t.tenant_id));
  KAIWU_TRY_STATUS(require(t.tenant_id, "tenant_id"));
  KAIWU_TRY_STATUS(check_target(t));
  t.id = id_or_new(t.id);
  if (t.created_ms == 0) t.created_ms = now_ms();
  return atomically<model::NotificationTarget>([&]() -> Result<model::NotificationTarget> {
    KAIWU_TRY_STATUS(check_tenant(*db_, t.tenant_id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "INSERT INTO notification_targets (id, tenant_id, name, url, header_name, header_value, "
        "enabled, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.tenant_id, t.name, t.url, t.header_name, t.header_value, sql::boolean(t.enabled),
         t.created_ms})));
    return get_notification_target(s, t.id);
  });
}

Result<model::NotificationTarget> PgStore::get_notification_target(const Scope& s,
                                                                       const std::string& id) {
  Query q(select_from(kTargetColumns, "notification_targets"));
  q.where("id = ?", {id});
  scope_tenant(q, s);
  return get_one(*db_, q, read_target, "notification target", id);
}

Result<PageOf<model::NotificationTarget>> PgStore::list_notification_targets(const Scope& s,
                                                                                 const Page& p) {
  Query q(select_from(kTargetColumns, "notification_targets"));
  scope_tenant(q, s);
  return page_by_id(*db_, std::move(q), p, read_target);
}

Result<model::NotificationTarget> PgStore::update_notification_target(
    const Scope& s, const model::NotificationTarget& t) {
  KAIWU_TRY_STATUS(check_target(t));
  return atomically<model::NotificationTarget>([&]() -> Result<model::NotificationTarget> {
    KAIWU_TRY_STATUS(get_notification_target(s, t.id));
    KAIWU_TRY_STATUS(db_->run(Query(
        "UPDATE notification_targets SET name = ?, url = ?, header_name = ?, header_value = ?, "
        "enabled = ? WHERE id = ?",
        {t.name, t.url, t.header_name, t.header_value, sql::boolean(t.enabled), t.id})));
    return get_notification_target(s, t.id);
  });
}

Status PgStore::delete_notification_target(const Scope& s, const std::string& id) {
  return transaction([&]() -> Status {
    KAIWU_TRY_STATUS(get_notification_target(s, id));
    KAIWU_TRY_STATUS(db_->run(Query("DELETE FROM notification_targets WHERE id = ?", {id})));
    return ok();
  });
}

}  // namespace kaiwu::meta
