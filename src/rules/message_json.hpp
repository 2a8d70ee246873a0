// Messages as JSON (dry-run input and traces, webhook and MQTT payloads):
// {"type","deviceId","deviceName","profileId","ts","data":{…},"metadata":{…}}.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

boost::json::value to_json(const Value& v);
boost::json::object data_to_json(const std::map<std::string, Value>& data);
boost::json::object to_json(const Message& m);

// Reads a message; every field is optional except data must be an object of scalars when
// present. tenant_id is not read (the caller's tenant is used). kInvalidArgument names the field.
Result<Message> message_from_json(const boost::json::value& v);

}  // namespace kaiwu::rules
