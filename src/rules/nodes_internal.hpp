// The node implementations' factories and shared helpers. Internal to rules/.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "rules/chain.hpp"

namespace kaiwu::rules::detail {

using Factory = Result<std::unique_ptr<Node>> (*)(const boost::json::object&, const std::string&);

// nodes_logic.cpp
Result<std::unique_ptr<Node>> make_filter(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_script_filter(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_script_transform(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_threshold(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_rate_of_change(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_offline(const boost::json::object& p, const std::string& id);

// nodes_actions.cpp
Result<std::unique_ptr<Node>> make_enrich_attributes(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_write_telemetry(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_create_alarm(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_clear_alarm(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_rpc(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_mqtt_publish(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_webhook(const boost::json::object& p, const std::string& id);
Result<std::unique_ptr<Node>> make_log(const boost::json::object& p, const std::string& id);

// "${deviceName} is ${temp}": deviceId, deviceName, profileId, ts, type, data.<k>,
// metadata.<k>, or a bare key (metadata first, then data). Unknown names become "".
std::string render_template(std::string_view tmpl, const Message& m);

inline NodeOutcome pass(std::string relation, const Message& m) { return {std::move(relation), m, {}}; }
inline NodeOutcome failure(const Message& m, std::string error) { return {"Failure", m, std::move(error)}; }

}  // namespace kaiwu::rules::detail
