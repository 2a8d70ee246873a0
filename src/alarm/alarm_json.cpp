#include "alarm/alarm_json.hpp"

#include <boost/json.hpp>

#include "core/json_parse.hpp"

namespace kaiwu::alarm {

namespace {
boost::json::value object_or_text(const std::string& text) {
  auto v = parse_json(text);
  return v ? std::move(*v) : boost::json::value(text);
}
}  // namespace

boost::json::object to_json(const model::Alarm& a) {
  boost::json::object o;
  o["id"] = a.id;
  o["tenantId"] = a.tenant_id;
  o["deviceId"] = a.device_id;
  o["enterpriseId"] = a.enterprise_id;
  o["parkId"] = a.park_id;
  o["type"] = a.type;
  o["severity"] = model::alarm_severity_name(a.severity);
  o["status"] = model::alarm_status_name(a.status());
  o["acknowledged"] = a.acknowledged;
  o["cleared"] = a.cleared;
  o["startTs"] = a.start_ms;
  o["lastTs"] = a.last_ms;
  o["count"] = a.count;
  o["ackTs"] = a.ack_ms;
  o["ackBy"] = a.ack_by;
  o["clearTs"] = a.clear_ms;
  o["clearBy"] = a.clear_by;
  o["details"] = object_or_text(a.details_json);
  o["updatedTs"] = a.updated_ms;
  return o;
}

boost::json::object to_json(const model::AlarmHistoryEntry& h) {
  boost::json::object o;
  o["id"] = h.id;
  o["alarmId"] = h.alarm_id;
  o["ts"] = h.time_ms;
  o["action"] = h.action;
  o["actor"] = h.actor;
  o["severity"] = model::alarm_severity_name(h.severity);
  o["detail"] = object_or_text(h.detail);
  return o;
}

}  // namespace kaiwu::alarm
