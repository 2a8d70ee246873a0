// The JSON form of alarms (camelCase), shared by the REST API, the WebSocket feed and webhooks:
// {"id","tenantId","deviceId","enterpriseId","parkId","type","severity","status",
//  "acknowledged","cleared","startTs","lastTs","count","ackTs","ackBy","clearTs","clearBy",
//  "details":{…},"updatedTs"}
#pragma once

#include <boost/json/object.hpp>

#include "model/alarm.hpp"

namespace kaiwu::alarm {

boost::json::object to_json(const model::Alarm& a);
boost::json::object to_json(const model::AlarmHistoryEntry& h);

}  // namespace kaiwu::alarm
