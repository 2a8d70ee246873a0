// Plain value types of the metadata domain. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::model {

// Roles from shared/DESIGN.md, most powerful first.
enum class Role : std::uint8_t {
  kPlatformAdmin,
  kTenantAdmin,
  kParkAdmin,
  kEnterpriseAdmin,
  kEngineer,
  kViewer,
  kDeveloper,
};
std::string_view role_name(Role r);  // "platform-admin", …
std::optional<Role> parse_role(std::string_view s);
const std::vector<Role>& all_roles();

// MIIT device categories: 运行设备 / 加工设备 / 行走设备 / 其它.
enum class Category : std::uint8_t { kRunning, kProcessing, kMobile, kOther };
std::string_view category_name(Category c);  // "running", …
std::string_view category_label_zh(Category c);
std::optional<Category> parse_category(std::string_view s);

// The 22 industries of the MIIT application form, spelled exactly as the form does.
const std::vector<std::string>& industries();
bool is_industry(std::string_view s);

// Park levels (示范园区): national, provincial, municipal, other.
bool is_park_level(std::string_view s);

// Device protocols Kaiwu knows (the MIIT form counts them): mqtt, http, modbus-tcp, …
const std::vector<std::string>& protocols();
bool is_protocol(std::string_view s);

struct Tenant {
  std::string id;
  std::string name;
  std::string description;
  std::int64_t created_ms = 0;
};

struct Park {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string region;   // administrative region, e.g. "江苏省苏州市"
  std::string level;    // national | provincial | municipal | other
  std::string address;
  std::int64_t created_ms = 0;
};

struct Enterprise {
  std::string id;
  std::string tenant_id;
  std::string park_id;      // empty: not in a park
  std::string name;
  std::string credit_code;  // 统一社会信用代码, GB 32100-2015
  std::string industry;     // one of industries()
  bool sme = false;
  bool paid = false;
  std::string address;
  std::optional<double> longitude;
  std::optional<double> latitude;
  std::int64_t created_ms = 0;
};

struct User {
  std::string id;
  std::string tenant_id;      // empty only for platform admins
  std::string park_id;        // park-admin: the park they administer
  std::string enterprise_id;  // enterprise-scoped users
  std::string username;
  std::string display_name;
  Role role = Role::kViewer;
  std::string password_hash;  // argon2id encoded
  bool disabled = false;
  std::int64_t created_ms = 0;
  std::int64_t last_login_ms = 0;
};

struct ApiKey {
  std::string id;
  std::string tenant_id;
  std::string enterprise_id;  // empty: tenant-wide
  std::string user_id;        // who created it
  std::string name;
  Role role = Role::kViewer;
  std::string prefix;  // first characters of the key, shown to identify it
  std::string hash;    // SHA-256 of the key (keys are high-entropy random, so no slow hash)
  std::int64_t created_ms = 0;
  std::int64_t last_used_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
};

// Device provisioning (ThingsBoard semantics): a device that knows its profile's provision key
// and secret obtains an access token by itself. kAllowCreate creates the device in the
// profile's provisioning enterprise; kCheckPreProvisioned only hands out the token of a device
// created beforehand with that name and profile, once.
enum class ProvisionMode : std::uint8_t { kDisabled, kAllowCreate, kCheckPreProvisioned };
std::string_view provision_mode_name(ProvisionMode m);  // "disabled", "allow-create", "check-pre-provisioned"
std::optional<ProvisionMode> parse_provision_mode(std::string_view s);

struct DeviceProfile {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string description;
  std::string thing_model;  // JSON, validated by validate_thing_model
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  ProvisionMode provision_mode = ProvisionMode::kDisabled;
  std::string provision_key;            // unique across the platform; empty when disabled
  std::string provision_secret;
  std::string provision_enterprise_id;  // where provisioned devices are created
};

// A device access token: 8..64 letters, digits, '_' or '-' (kInvalidArgument otherwise).
Status check_access_token(std::string_view token);

struct Device {
  std::string id;
  std::string tenant_id;
  std::string enterprise_id;
  std::string profile_id;  // empty: none
  std::string name;
  Category category = Category::kOther;
  std::string protocol;    // mqtt, http, modbus-tcp, opcua, dlt645, hj212, influx, …
  bool is_gateway = false;
  std::string gateway_id;  // device connected through this gateway; empty: direct
  std::string label;
  std::string access_token;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  // X.509 device authentication: SHA-256 of the device certificate (DER), 64 lowercase hex
  // digits; empty when the device authenticates by access token only.
  std::string cert_fingerprint;
};

// Device attributes (ThingsBoard semantics): client attributes are reported by the device,
// shared attributes are set by the platform and pushed to the device, server attributes are
// visible to the platform only.
enum class AttributeScope : std::uint8_t { kClient, kShared, kServer };
std::string_view attribute_scope_name(AttributeScope s);  // "client", "shared", "server"
std::optional<AttributeScope> parse_attribute_scope(std::string_view s);

struct Attribute {
  AttributeScope scope = AttributeScope::kClient;
  std::string key;
  std::string value_json;  // any JSON value, as text
  std::int64_t updated_ms = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::string tenant_id;
  std::string actor;        // username, "apikey:<prefix>" or "system"
  std::string action;       // create | update | delete | login | login_failed | …
  std::string object_type;  // tenant | park | enterprise | user | apikey | profile | device
  std::string object_id;
  std::int64_t time_ms = 0;
  std::string source;       // remote address
  std::string request_id;
  std::string detail;
};

// 统一社会信用代码 (GB 32100-2015): 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY",
// the last a check character computed with weights 3^i mod 31. Returns an error naming the
// problem (length, character, check character).
Status validate_credit_code(std::string_view code);
// The check character for the first 17 characters (for tests and generators).
std::optional<char> credit_code_check_char(std::string_view first17);

// Validates a thing model (JSON text):
//   {"properties":[{"identifier","name","type","unit","min","max","access","description"}],
//    "events":[{"identifier","name","type":"info|alert|fault","outputs":[param…]}],
//    "services":[{"identifier","name","inputs":[param…],"outputs":[param…],"callType":"sync|async"}]}
// type ∈ int, float, double, bool, string, enum, date, struct, array; access ∈ r, rw, w.
// Returns the normalised JSON text or an error whose message names the offending path.
Result<std::string> validate_thing_model(std::string_view json);

}  // namespace kaiwu::model
