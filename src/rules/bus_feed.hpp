// The rule engine's feed from the bus: telemetry, attribute changes and device connect/
// disconnect become rules::Messages submitted to the engine (never blocking the bus: a full
// engine queue drops and counts). One message per distinct timestamp of a telemetry write.
#pragma once

#include <memory>
#include <vector>

#include "bus/bus.hpp"
#include "rules/engine.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

// The rules messages of one bus message (empty for kinds the rules do not see).
std::vector<Message> from_bus(const bus::Message& m);

// Subscribes the engine to the bus (critical subscriber "rules"); delivery stops when the
// returned subscription is destroyed.
std::unique_ptr<bus::Subscription> feed_from_bus(bus::Bus& bus, RuleEngine& engine);

}  // namespace kaiwu::rules
