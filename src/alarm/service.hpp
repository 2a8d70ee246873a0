// AlarmService: the one place alarms change. Each operation writes the MetadataStore (which
// deduplicates and keeps the history) and then publishes an AlarmEvent on the bus, where the
// WebSocket feed, webhooks and APPs pick it up.
//
// Thread-safe; every call blocks on the store (SQLite): call it from a pool thread, never from
// an io_context thread. Errors are the store's (kNotFound for an alarm outside the scope,
// kFailedPrecondition for a second ack/clear, kInvalidArgument for bad input).
#pragma once

#include <string>

#include "bus/bus.hpp"
#include "meta/store.hpp"

namespace kaiwu::alarm {

class AlarmService {
 public:
  AlarmService(meta::MetadataStore& store, bus::Bus& bus) : store_(store), bus_(bus) {}

  // Creates the alarm or folds the trigger into the uncleared one of the same device and type
  // (published as kCreated or kUpdated).
  Result<meta::AlarmRaised> raise(const meta::Scope& s, const model::Alarm& a, const std::string& actor);
  Result<model::Alarm> acknowledge(const meta::Scope& s, const std::string& id, const std::string& actor);
  Result<model::Alarm> clear(const meta::Scope& s, const std::string& id, const std::string& actor);
  // Clears the uncleared alarm of (device, type) if there is one (rule chains' "clear alarm").
  // Returns whether one was cleared.
  Result<bool> clear_open(const meta::Scope& s, const std::string& device_id, const std::string& type,
                          const std::string& actor);

 private:
  void publish(bus::AlarmChange change, const model::Alarm& a);

  meta::MetadataStore& store_;
  bus::Bus& bus_;
};

}  // namespace kaiwu::alarm
