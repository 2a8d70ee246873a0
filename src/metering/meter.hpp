// The metering seam: every APP visit and invocation, model invocation, developer login and tool
// call is recorded here, append-only. MIIT's figures (monthly-active APPs, daily calls, active
// developers, per-APP revenue) are computed from these records, never from counters kept
// elsewhere. Implementations: the SQLite one in metering/ (embedded default).
//
// Contract:
// - record() is cheap and never blocks on I/O for long: implementations batch writes; a record
//   is durable within a second or at shutdown. record() never fails the caller; a write error is
//   logged and counted (kaiwu_metering_errors_total).
// - Records are scoped like everything else: tenant_id always set for tenant activity;
//   enterprise_id when the call acts for an enterprise (an APP subscription, an API key).
// - Any thread may call record().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kaiwu::metering {

enum class Kind : std::uint8_t {
  kAppVisit,        // a user opened an APP's page in the console
  kAppCall,         // an APP function ran (HTTP invocation, trigger, schedule)
  kModelCall,       // a model was invoked
  kDeveloperLogin,  // a developer account logged in
  kToolCall,        // a developer used a portal tool (upload, validate, sandbox, logs, API key)
  kDeviceActive,    // a device's telemetry was accepted (once per device and UTC day; subject = device)
};

std::string_view to_string(Kind kind);  // "app_visit", "app_call", "model_call", ...

struct Record {
  Kind kind = Kind::kAppCall;
  std::string tenant_id;
  std::string enterprise_id;  // may be empty
  std::string subject_id;     // APP id or model id; developer id for logins/tools
  std::string actor_id;       // user, API key or developer that caused it; "trigger:<kind>"
  std::string function;       // APP function / model version / tool name; may be empty
  bool ok = true;             // the call succeeded
  std::int64_t ts_ms = 0;     // 0: the implementation stamps now
  std::int64_t duration_us = 0;
};

class Meter {
 public:
  virtual ~Meter() = default;
  virtual void record(Record record) = 0;
};

// Discards everything; for tools and tests that do not care about metering.
class NullMeter final : public Meter {
 public:
  void record(Record) override {}
};

}  // namespace kaiwu::metering
