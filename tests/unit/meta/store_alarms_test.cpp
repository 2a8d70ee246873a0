// Conformance: alarms (raise/deduplicate, ack, clear, scopes, counts, history) and
// notification targets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::Alarm;
using model::AlarmSeverity;
using model::AlarmStatus;

Alarm trigger(const std::string& device, const std::string& type, AlarmSeverity sev,
              std::int64_t ts = 0, std::string details = "{}") {
  Alarm a;
  a.device_id = device;
  a.type = type;
  a.severity = sev;
  a.last_ms = ts;
  a.details_json = std::move(details);
  return a;
}

std::vector<std::string> actions_of(const std::vector<model::AlarmHistoryEntry>& h) {
  std::vector<std::string> out;
  for (const auto& e : h) out.push_back(e.action + ":" + e.actor);
  return out;
}

TEST_P(StoreConformance, AlarmRaiseDeduplicatesUntilCleared) {
  auto w = make_narrowing();
  const Scope ts = Scope::tenant(w.t.id);
  auto first = must(store().raise_alarm(ts, trigger(w.d1.id, "HighTemp", AlarmSeverity::kMinor, 1000, R"({"t":81})"), "rule:r1"));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.alarm.count, 1);
  EXPECT_EQ(first.alarm.start_ms, 1000);
  EXPECT_EQ(first.alarm.last_ms, 1000);
  EXPECT_EQ(first.alarm.enterprise_id, w.e1.id);  // propagated from the device
  EXPECT_EQ(first.alarm.park_id, w.p1.id);        // and from its enterprise
  EXPECT_EQ(first.alarm.tenant_id, w.t.id);
  EXPECT_EQ(first.alarm.status(), AlarmStatus::kActive);
  EXPECT_EQ(first.alarm.details_json, R"({"t":81})");

  auto again = must(store().raise_alarm(ts, trigger(w.d1.id, "HighTemp", AlarmSeverity::kMinor, 2000, R"({"t":85})"), "rule:r1"));
  EXPECT_FALSE(again.created);
  EXPECT_FALSE(again.severity_changed);
  EXPECT_EQ(again.alarm.id, first.alarm.id);
  EXPECT_EQ(again.alarm.count, 2);
  EXPECT_EQ(again.alarm.start_ms, 1000);
  EXPECT_EQ(again.alarm.last_ms, 2000);
  EXPECT_EQ(again.alarm.details_json, R"({"t":85})");

  auto worse = must(store().raise_alarm(ts, trigger(w.d1.id, "HighTemp", AlarmSeverity::kCritical, 3000), "rule:r1"));
  EXPECT_TRUE(worse.severity_changed);
  EXPECT_EQ(worse.alarm.severity, AlarmSeverity::kCritical);
  EXPECT_EQ(worse.alarm.count, 3);

  // Another type or another device is another alarm.
  auto other_type = must(store().raise_alarm(ts, trigger(w.d1.id, "LowPressure", AlarmSeverity::kMajor), "u"));
  auto other_dev = must(store().raise_alarm(ts, trigger(w.d2.id, "HighTemp", AlarmSeverity::kMajor), "u"));
  EXPECT_TRUE(other_type.created);
  EXPECT_TRUE(other_dev.created);
  EXPECT_NE(other_dev.alarm.id, first.alarm.id);

  // Once cleared, the next trigger starts a new alarm.
  must(store().clear_alarm(ts, first.alarm.id, "alice", 4000));
  auto fresh = must(store().raise_alarm(ts, trigger(w.d1.id, "HighTemp", AlarmSeverity::kMinor, 5000), "rule:r1"));
  EXPECT_TRUE(fresh.created);
  EXPECT_NE(fresh.alarm.id, first.alarm.id);
  EXPECT_EQ(fresh.alarm.count, 1);

  EXPECT_EQ(must(store().find_open_alarm(ts, w.d1.id, "HighTemp")).id, fresh.alarm.id);
  EXPECT_ERR(store().find_open_alarm(ts, w.d3.id, "HighTemp"), Errc::kNotFound, "not found");

  auto h = must(store().alarm_history(ts, first.alarm.id));
  EXPECT_EQ(actions_of(h), (std::vector<std::string>{"created:rule:r1", "updated:rule:r1", "cleared:alice"}));
  EXPECT_EQ(h[1].severity, AlarmSeverity::kCritical);
  EXPECT_EQ(h[2].time_ms, 4000);
}

TEST_P(StoreConformance, AlarmAckAndClearRecordWhoAndWhen) {
  auto w = make_narrowing();
  const Scope ts = Scope::tenant(w.t.id);
  auto a = must(store().raise_alarm(ts, trigger(w.d1.id, "Vib", AlarmSeverity::kMajor, 100), "system")).alarm;
  auto acked = must(store().acknowledge_alarm(ts, a.id, "bob", 200));
  EXPECT_EQ(acked.status(), AlarmStatus::kAcknowledged);
  EXPECT_EQ(acked.ack_by, "bob");
  EXPECT_EQ(acked.ack_ms, 200);
  EXPECT_ERR(store().acknowledge_alarm(ts, a.id, "bob", 201), Errc::kFailedPrecondition, "already acknowledged");
  auto cleared = must(store().clear_alarm(ts, a.id, "carol", 300));
  EXPECT_EQ(cleared.status(), AlarmStatus::kCleared);
  EXPECT_EQ(cleared.clear_by, "carol");
  EXPECT_EQ(cleared.clear_ms, 300);
  EXPECT_EQ(cleared.ack_by, "bob");
  EXPECT_ERR(store().clear_alarm(ts, a.id, "carol", 301), Errc::kFailedPrecondition, "already cleared");

  // Cleared without acknowledgement, then acknowledged.
  auto b = must(store().raise_alarm(ts, trigger(w.d2.id, "Vib", AlarmSeverity::kWarning), "system")).alarm;
  auto cu = must(store().clear_alarm(ts, b.id, "dave", 0));
  EXPECT_EQ(cu.status(), AlarmStatus::kClearedUnacknowledged);
  EXPECT_GT(cu.clear_ms, 0);
  EXPECT_EQ(must(store().acknowledge_alarm(ts, b.id, "erin", 0)).status(), AlarmStatus::kCleared);
  EXPECT_EQ(actions_of(must(store().alarm_history(ts, b.id))),
            (std::vector<std::string>{"created:system", "cleared:dave", "acknowledged:erin"}));
}

TEST_P(StoreConformance, AlarmsAreScopedByTenantParkAndEnterprise) {
  auto w = make_narrowing();
  auto other = make_two_tenants();
  const Scope ts = Scope::tenant(w.t.id);
  auto a1 = must(store().raise_alarm(ts, trigger(w.d1.id, "X", AlarmSeverity::kMajor), "s")).alarm;
  auto a2 = must(store().raise_alarm(ts, trigger(w.d2.id, "X", AlarmSeverity::kMinor), "s")).alarm;
  auto a3 = must(store().raise_alarm(ts, trigger(w.d3.id, "X", AlarmSeverity::kMinor), "s")).alarm;
  auto b1 = must(store().raise_alarm(other.sb, trigger(other.b_device.id, "X", AlarmSeverity::kMajor), "s")).alarm;

  EXPECT_EQ(ids_of(must(store().list_alarms(ts, {}, {})).items), (std::vector<std::string>{a1.id, a2.id, a3.id}));
  EXPECT_EQ(ids_of(must(store().list_alarms(w.park_scope, {}, {})).items), std::vector<std::string>{a1.id});
  EXPECT_EQ(ids_of(must(store().list_alarms(w.ent_scope, {}, {})).items), std::vector<std::string>{a1.id});
  EXPECT_EQ(ids_of(must(store().list_alarms(other.sb, {}, {})).items), std::vector<std::string>{b1.id});

  // Another tenant's alarm does not exist for the caller: kNotFound everywhere.
  EXPECT_ERR(store().get_alarm(other.sb, a1.id), Errc::kNotFound, "not found");
  EXPECT_ERR(store().acknowledge_alarm(other.sb, a1.id, "x", 0), Errc::kNotFound, "not found");
  EXPECT_ERR(store().clear_alarm(other.sb, a1.id, "x", 0), Errc::kNotFound, "not found");
  EXPECT_ERR(store().alarm_history(other.sb, a1.id), Errc::kNotFound, "not found");
  EXPECT_ERR(store().get_alarm(w.ent_scope, a2.id), Errc::kNotFound, "not found");
  EXPECT_EQ(must(store().get_alarm(ts, a1.id)).status(), AlarmStatus::kActive);  // untouched
  // Raising on another tenant's device is refused.
  EXPECT_ERR(store().raise_alarm(other.sb, trigger(w.d1.id, "X", AlarmSeverity::kMajor), "s"), Errc::kNotFound,
             "not found");
  EXPECT_ERR(store().raise_alarm(w.ent_scope, trigger(w.d2.id, "X", AlarmSeverity::kMajor), "s"), Errc::kNotFound,
             "not found");
}

TEST_P(StoreConformance, AlarmFiltersCountsAndPages) {
  auto w = make_narrowing();
  const Scope ts = Scope::tenant(w.t.id);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto sev = i < 2 ? AlarmSeverity::kCritical : AlarmSeverity::kWarning;
    ids.push_back(must(store().raise_alarm(ts, trigger(w.d1.id, "T" + std::to_string(i), sev), "s")).alarm.id);
  }
  must(store().acknowledge_alarm(ts, ids[0], "u", 0));
  must(store().clear_alarm(ts, ids[1], "u", 0));
  must(store().acknowledge_alarm(ts, ids[2], "u", 0));
  must(store().clear_alarm(ts, ids[2], "u", 0));

  AlarmFilter active;
  active.statuses = {AlarmStatus::kActive};
  EXPECT_EQ(ids_of(must(store().list_alarms(ts, active, {})).items), (std::vector<std::string>{ids[3], ids[4]}));
  AlarmFilter open;
  open.statuses = {AlarmStatus::kActive, AlarmStatus::kAcknowledged};
  EXPECT_EQ(ids_of(must(store().list_alarms(ts, open, {})).items), (std::vector<std::string>{ids[0], ids[3], ids[4]}));
  AlarmFilter crit;
  crit.severities = {AlarmSeverity::kCritical};
  EXPECT_EQ(ids_of(must(store().list_alarms(ts, crit, {})).items), (std::vector<std::string>{ids[0], ids[1]}));
  AlarmFilter by_type;
  by_type.type = "T4";
  by_type.device_id = w.d1.id;
  EXPECT_EQ(ids_of(must(store().list_alarms(ts, by_type, {})).items), std::vector<std::string>{ids[4]});
  AlarmFilter other_ent;
  other_ent.enterprise_id = w.e2.id;
  EXPECT_TRUE(must(store().list_alarms(ts, other_ent, {})).items.empty());

  auto c = must(store().count_alarms(ts, {}));
  EXPECT_EQ(c.total, 5);
  EXPECT_EQ(c.by_severity[static_cast<int>(AlarmSeverity::kCritical)], 2);
  EXPECT_EQ(c.by_severity[static_cast<int>(AlarmSeverity::kWarning)], 3);
  EXPECT_EQ(c.by_status[static_cast<int>(AlarmStatus::kActive)], 2);
  EXPECT_EQ(c.by_status[static_cast<int>(AlarmStatus::kAcknowledged)], 1);
  EXPECT_EQ(c.by_status[static_cast<int>(AlarmStatus::kClearedUnacknowledged)], 1);
  EXPECT_EQ(c.by_status[static_cast<int>(AlarmStatus::kCleared)], 1);
  EXPECT_EQ(must(store().count_alarms(w.ent_scope, open)).total, 3);
  EXPECT_EQ(must(store().count_alarms(w.park_scope, {})).total, 5);

  Page p;
  p.limit = 2;
  auto page1 = must(store().list_alarms(ts, {}, p));
  EXPECT_EQ(ids_of(page1.items), (std::vector<std::string>{ids[0], ids[1]}));
  p.cursor = page1.next;
  auto page2 = must(store().list_alarms(ts, {}, p));
  EXPECT_EQ(ids_of(page2.items), (std::vector<std::string>{ids[2], ids[3]}));
}

TEST_P(StoreConformance, AlarmRaiseValidatesInput) {
  auto w = make_narrowing();
  const Scope ts = Scope::tenant(w.t.id);
  EXPECT_ERR(store().raise_alarm(ts, trigger(w.d1.id, "", AlarmSeverity::kMajor), "s"), Errc::kInvalidArgument, "type");
  EXPECT_ERR(store().raise_alarm(ts, trigger(w.d1.id, "X", AlarmSeverity::kMajor, 0, "[1]"), "s"),
             Errc::kInvalidArgument, "details");
  EXPECT_ERR(store().raise_alarm(ts, trigger("nope", "X", AlarmSeverity::kMajor), "s"), Errc::kNotFound, "nope");
  // A tenant-wide alarm on no device deduplicates by type.
  auto a = must(store().raise_alarm(ts, trigger("", "Power", AlarmSeverity::kMajor), "s"));
  auto b = must(store().raise_alarm(ts, trigger("", "Power", AlarmSeverity::kMajor), "s"));
  EXPECT_EQ(a.alarm.id, b.alarm.id);
  EXPECT_EQ(b.alarm.count, 2);
  EXPECT_TRUE(a.alarm.enterprise_id.empty());
  EXPECT_ERR(store().raise_alarm(w.ent_scope, trigger("", "Power", AlarmSeverity::kMajor), "s"),
             Errc::kInvalidArgument, "needs a device");
}

TEST_P(StoreConformance, NotificationTargetsCrudAndScope) {
  auto w = make_two_tenants();
  model::NotificationTarget t;
  t.name = "ops";
  t.url = "http://127.0.0.1:9000/hook";
  t.header_name = "X-Secret";
  t.header_value = "s3cr3t";
  auto created = must(store().create_notification_target(w.sa, t));
  EXPECT_FALSE(created.id.empty());
  EXPECT_EQ(created.tenant_id, w.a.id);
  EXPECT_TRUE(created.enabled);
  EXPECT_EQ(must(store().get_notification_target(w.sa, created.id)).header_value, "s3cr3t");
  EXPECT_ERR(store().get_notification_target(w.sb, created.id), Errc::kNotFound, "not found");
  EXPECT_ERR(store().create_notification_target(w.sa, t), Errc::kAlreadyExists, "name");
  t.name = "bad";
  t.url = "ftp://x";
  EXPECT_ERR(store().create_notification_target(w.sa, t), Errc::kInvalidArgument, "http://");
  t.url = "http://x/";
  t.header_name = "X-Bad\r\nInjected";
  EXPECT_ERR(store().create_notification_target(w.sa, t), Errc::kInvalidArgument, "forbidden");

  created.enabled = false;
  created.url = "http://127.0.0.1:9001/other";
  auto updated = must(store().update_notification_target(w.sa, created));
  EXPECT_FALSE(updated.enabled);
  EXPECT_EQ(updated.url, "http://127.0.0.1:9001/other");
  EXPECT_ERR(store().update_notification_target(w.sb, created), Errc::kNotFound, "not found");
  EXPECT_EQ(must(store().list_notification_targets(w.sa, {})).items.size(), 1u);
  EXPECT_TRUE(must(store().list_notification_targets(w.sb, {})).items.empty());
  EXPECT_ERR(store().delete_notification_target(w.sb, created.id), Errc::kNotFound, "not found");
  must(store().delete_notification_target(w.sa, created.id));
  EXPECT_ERR(store().get_notification_target(w.sa, created.id), Errc::kNotFound, "not found");
}

}  // namespace
}  // namespace kaiwu::meta::testing
