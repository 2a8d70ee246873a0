// The APP manifest (manifest.json of a package): what an APP is, what it may touch, what it
// offers and when it runs. Parsing is strict; every problem is reported with a JSON pointer
// ("/triggers/1/function: names no declared function"), or file:line for syntax errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::apps {

// The nine MIIT domains (双跨 indicator 1.3).
enum class Domain : std::uint8_t {
  kSafety, kEnergyCarbon, kQuality, kSupplyChain, kRnd, kProduction, kOperations, kWarehousing,
  kMaintenance,
};
std::string_view domain_name(Domain d);     // "energy_carbon"
std::string_view domain_label_zh(Domain d);  // "节能减排"
std::optional<Domain> parse_domain(std::string_view s);

enum class Origin : std::uint8_t { kSelfBuilt, kPartner };
enum class Form : std::uint8_t { kBuiltOnPlatform, kCloudifiedLegacy };
std::string_view origin_name(Origin o);  // "self_built" | "partner"
std::string_view form_name(Form f);      // "built_on_platform" | "cloudified_legacy"

// What an APP may do through the host API; each host function needs one.
enum class Permission : std::uint8_t {
  kTelemetryRead,   // telemetry:read   kaiwu.telemetry.latest / range
  kTelemetryWrite,  // telemetry:write  kaiwu.telemetry.write
  kAttributesRead,  // attributes:read  kaiwu.attributes.get
  kAlarmsRead,      // alarms:read      kaiwu.alarms.list
  kAlarmsWrite,     // alarms:write     kaiwu.alarms.raise
  kDevicesRead,     // devices:read     kaiwu.devices.list / get
  kRpcCall,         // rpc:call         kaiwu.rpc.call
  kHttpOutbound,    // http:outbound    kaiwu.http.request (hosts of httpHosts; operator switch)
  kStorage,         // storage          kaiwu.store.get / put / delete / list
  kModelsInvoke,    // models:invoke    kaiwu.models.invoke
  kFilesWrite,      // files:write      kaiwu.files.xlsx
};
inline constexpr std::size_t kPermissionCount = 11;
std::string_view permission_name(Permission p);
std::optional<Permission> parse_permission(std::string_view s);

struct Function {
  std::string name;  // a Lua global function of the code
  std::string description;
  std::string input_schema_json = "{}";  // JSON Schema of the input (documentation, console form)
};

enum class TriggerType : std::uint8_t { kSchedule, kTelemetry, kAlarm, kHttp };
std::string_view trigger_type_name(TriggerType t);

struct Trigger {
  TriggerType type = TriggerType::kHttp;
  std::string function;
  // schedule: every interval_ms, or a five-field cron expression (minute hour day month weekday,
  // each *, */n, a, a-b or a,b,…; UTC).
  std::int64_t interval_ms = 0;
  std::string cron;
  // telemetry: devices of this profile (empty: any) sending any of these keys (empty: any).
  std::string profile_id;
  std::vector<std::string> keys;
  // alarm: alarms of this type (empty: any) at this severity or worse (empty: any).
  std::string alarm_type;
  std::string min_severity;
};

enum class PlanType : std::uint8_t { kFree, kMonthly, kPerCall };
std::string_view plan_type_name(PlanType t);

struct Plan {
  std::string id;
  PlanType type = PlanType::kFree;
  double price = 0;  // CNY per month (monthly) or per call (per_call)
};

struct Manifest {
  std::string id;       // [a-z0-9][a-z0-9-]{1,62}
  std::string version;  // semantic version
  std::string name_zh;
  std::string name_en;
  // The manifest's "description": a string (one text for both languages) or {"zh": …, "en": …}.
  std::string description_zh;
  std::string description_en;
  Domain domain = Domain::kOperations;
  std::string publisher;  // same syntax as id
  Origin origin = Origin::kSelfBuilt;
  Form form = Form::kBuiltOnPlatform;
  std::vector<Permission> permissions;
  std::vector<Function> functions;
  std::vector<Trigger> triggers;
  std::string code = "main.lua";  // the Lua file in the package
  std::string ui_entry;           // e.g. "ui/index.html"; empty: no UI
  std::vector<Plan> plans;        // at least one; defaults to one free plan
  std::vector<std::string> http_hosts;  // "host:port" kaiwu.http.request may reach (http:outbound)

  bool allows(Permission p) const;
  const Function* function(std::string_view name) const;
  bool http_callable(std::string_view function) const;  // an http trigger names it
  bool http_host_allowed(std::string_view host_port) const;  // listed in httpHosts (ASCII case-insensitive)
};

// Parses and validates manifest.json. kInvalidArgument listing every problem, "; "-separated,
// each prefixed with "manifest.json" and a JSON pointer or line.
Result<Manifest> parse_manifest(std::string_view text);

// Semantic versions (semver.org 2.0.0 §2, §9, §11): valid() and ordering (build metadata ignored).
bool valid_semver(std::string_view v);
int compare_semver(std::string_view a, std::string_view b);  // <0, 0, >0

// JSON text of the manifest as the REST API shows it (camelCase).
std::string manifest_json(const Manifest& m);

}  // namespace kaiwu::apps
