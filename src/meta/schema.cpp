#include "meta/schema.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "core/ids.hpp"
#include "meta/migrate.hpp"
#include "meta/sqlite_db.hpp"

namespace kaiwu::meta::sqlite {

namespace {

// Version 1: the tenancy tree, identities, devices and the audit log.
//
// Optional references are NULL, never ''. A reference to another tenant-owned object is a
// composite foreign key (ref_id, tenant_id) -> (id, tenant_id), so the database itself refuses
// a reference across tenants; the store checks first to give a readable error. ON DELETE
// RESTRICT everywhere: nothing is deleted while something still refers to it.
constexpr const char* kV1 = R"sql(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE parks (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  region TEXT NOT NULL DEFAULT '',
  level TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (id, tenant_id)
) STRICT;
CREATE INDEX parks_tenant_level ON parks (tenant_id, level);

CREATE TABLE enterprises (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  park_id TEXT,
  name TEXT NOT NULL,
  credit_code TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  sme INTEGER NOT NULL DEFAULT 0 CHECK (sme IN (0, 1)),
  paid INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
  address TEXT NOT NULL DEFAULT '',
  longitude REAL,
  latitude REAL,
  created_ms INTEGER NOT NULL,
  UNIQUE (id, tenant_id),
  FOREIGN KEY (park_id, tenant_id) REFERENCES parks (id, tenant_id) ON DELETE RESTRICT
) STRICT;
CREATE INDEX enterprises_tenant ON enterprises (tenant_id, id);
CREATE INDEX enterprises_park ON enterprises (park_id, tenant_id);
CREATE INDEX enterprises_industry ON enterprises (tenant_id, industry);
CREATE INDEX enterprises_flags ON enterprises (tenant_id, sme, paid);
CREATE UNIQUE INDEX enterprises_credit_code ON enterprises (tenant_id, credit_code)
  WHERE credit_code <> '';

CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT REFERENCES tenants (id) ON DELETE RESTRICT,
  park_id TEXT,
  enterprise_id TEXT,
  username TEXT NOT NULL COLLATE NOCASE UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_ms INTEGER NOT NULL,
  last_login_ms INTEGER NOT NULL DEFAULT 0,
  CHECK (tenant_id IS NOT NULL OR (park_id IS NULL AND enterprise_id IS NULL)),
  FOREIGN KEY (park_id, tenant_id) REFERENCES parks (id, tenant_id) ON DELETE RESTRICT,
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT
) STRICT;
CREATE INDEX users_tenant ON users (tenant_id, id);
CREATE INDEX users_tenant_role ON users (tenant_id, role);
CREATE INDEX users_park ON users (park_id, tenant_id);
CREATE INDEX users_enterprise ON users (enterprise_id, tenant_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT REFERENCES tenants (id) ON DELETE RESTRICT,
  enterprise_id TEXT,
  user_id TEXT REFERENCES users (id) ON DELETE RESTRICT,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  prefix TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER NOT NULL DEFAULT 0,
  expires_ms INTEGER NOT NULL DEFAULT 0,
  CHECK (tenant_id IS NOT NULL OR enterprise_id IS NULL),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
CREATE INDEX api_keys_enterprise ON api_keys (enterprise_id, tenant_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE device_profiles (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  thing_model TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL DEFAULT 0,
  UNIQUE (id, tenant_id)
) STRICT;
CREATE INDEX device_profiles_tenant ON device_profiles (tenant_id, id);

CREATE TABLE devices (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  enterprise_id TEXT NOT NULL,
  profile_id TEXT,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  protocol TEXT NOT NULL DEFAULT '',
  is_gateway INTEGER NOT NULL DEFAULT 0 CHECK (is_gateway IN (0, 1)),
  gateway_id TEXT,
  label TEXT NOT NULL DEFAULT '',
  access_token TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  UNIQUE (enterprise_id, name),
  UNIQUE (id, tenant_id),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT,
  FOREIGN KEY (profile_id, tenant_id) REFERENCES device_profiles (id, tenant_id)
    ON DELETE RESTRICT,
  FOREIGN KEY (gateway_id, tenant_id) REFERENCES devices (id, tenant_id) ON DELETE RESTRICT
) STRICT;
CREATE INDEX devices_tenant ON devices (tenant_id, id);
CREATE INDEX devices_profile ON devices (profile_id, tenant_id);
CREATE INDEX devices_gateway ON devices (gateway_id, tenant_id);
CREATE INDEX devices_tenant_protocol ON devices (tenant_id, protocol);
CREATE INDEX devices_tenant_category ON devices (tenant_id, category);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL DEFAULT '',
  object_type TEXT NOT NULL DEFAULT '',
  object_id TEXT NOT NULL DEFAULT '',
  time_ms INTEGER NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_time ON audit_log (time_ms);
)sql";

// Version 2: device attributes (client / shared / server key -> JSON text). devices already has
// UNIQUE (id, tenant_id), so the composite key keeps an attribute in its device's tenant; the
// attributes are owned by the device and go with it (ON DELETE CASCADE, the one exception to
// RESTRICT). The primary key serves lookups by device and the cascade; the index serves
// tenant-wide scans. Keys and values are validated by the store.
constexpr const char* kV2 = R"sql(
CREATE TABLE device_attributes (
  tenant_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('client', 'shared', 'server')),
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, scope, key),
  FOREIGN KEY (device_id, tenant_id) REFERENCES devices (id, tenant_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX device_attributes_tenant ON device_attributes (tenant_id, device_id);
)sql";

// Version 3: device provisioning on profiles, and certificate fingerprints on devices. The key identifies the profile platform-wide
// (a device knows nothing else), hence the partial unique index; the enterprise is where
// provisioned devices are created, in the profile's tenant (checked by the store: SQLite cannot
// add a composite foreign key to an existing table).
constexpr const char* kV3 = R"sql(
ALTER TABLE device_profiles ADD COLUMN provision_mode TEXT NOT NULL DEFAULT 'disabled'
  CHECK (provision_mode IN ('disabled', 'allow-create', 'check-pre-provisioned'));
ALTER TABLE device_profiles ADD COLUMN provision_key TEXT;
ALTER TABLE device_profiles ADD COLUMN provision_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE device_profiles ADD COLUMN provision_enterprise_id TEXT REFERENCES enterprises (id) ON DELETE RESTRICT;
CREATE UNIQUE INDEX device_profiles_provision_key ON device_profiles (provision_key)
  WHERE provision_key IS NOT NULL;
CREATE INDEX device_profiles_provision_enterprise ON device_profiles (provision_enterprise_id)
  WHERE provision_enterprise_id IS NOT NULL;
-- X.509 device authentication: the SHA-256 fingerprint of the device's certificate.
ALTER TABLE devices ADD COLUMN cert_fingerprint TEXT;
CREATE UNIQUE INDEX devices_cert_fingerprint ON devices (cert_fingerprint)
  WHERE cert_fingerprint IS NOT NULL;
)sql";

// Version 5 (rules): tenant rule chains and every version of their definitions. A version row
// belongs to its chain (ON DELETE CASCADE, like attributes to their device); the chain's
// `version` names the current one.
constexpr const char* kV5 = R"sql(
CREATE TABLE rule_chains (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
  version INTEGER NOT NULL CHECK (version >= 1),
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (id, tenant_id)
) STRICT;
CREATE INDEX rule_chains_tenant ON rule_chains (tenant_id, id);
CREATE INDEX rule_chains_enabled ON rule_chains (enabled) WHERE enabled = 1;

CREATE TABLE rule_chain_versions (
  chain_id TEXT NOT NULL REFERENCES rule_chains (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (chain_id, version)
) STRICT;
)sql";

// Version 4: alarms, their history and the tenants' notification targets. device_id is '' for
// an alarm on no device, never NULL, so the
// partial unique index deduplicates uncleared alarms per (tenant, device, type). device_id,
// enterprise_id and park_id are a snapshot taken when the alarm starts (propagation), not
// references: an alarm outlives its device. History goes with its alarm.
constexpr const char* kV4 = R"sql(
CREATE TABLE alarms (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  device_id TEXT NOT NULL DEFAULT '',
  enterprise_id TEXT NOT NULL DEFAULT '',
  park_id TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning')),
  acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
  cleared INTEGER NOT NULL DEFAULT 0 CHECK (cleared IN (0, 1)),
  start_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 1,
  ack_ms INTEGER NOT NULL DEFAULT 0,
  ack_by TEXT NOT NULL DEFAULT '',
  clear_ms INTEGER NOT NULL DEFAULT 0,
  clear_by TEXT NOT NULL DEFAULT '',
  details_json TEXT NOT NULL DEFAULT '{}',
  updated_ms INTEGER NOT NULL,
  UNIQUE (id, tenant_id)
) STRICT;
CREATE UNIQUE INDEX alarms_open ON alarms (tenant_id, device_id, type) WHERE cleared = 0;
CREATE INDEX alarms_tenant ON alarms (tenant_id, id);
CREATE INDEX alarms_enterprise ON alarms (enterprise_id, tenant_id);
CREATE INDEX alarms_park ON alarms (park_id, tenant_id);
CREATE INDEX alarms_device ON alarms (device_id, tenant_id);

CREATE TABLE alarm_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  alarm_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}',
  FOREIGN KEY (alarm_id, tenant_id) REFERENCES alarms (id, tenant_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX alarm_history_alarm ON alarm_history (alarm_id, id);

CREATE TABLE notification_targets (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  header_name TEXT NOT NULL DEFAULT '',
  header_value TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_ms INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;
CREATE INDEX notification_targets_tenant ON notification_targets (tenant_id, id);
)sql";

// Version 6 (apps): the APP marketplace. An APP (apps) is owned by the publisher that first
// uploaded it; each uploaded version (app_versions) keeps its signed package and goes through
// review (pending → approved | rejected); apps.listed_version names the newest approved one.
// Publisher keys verify package signatures. A subscription makes an APP run for one enterprise
// with one of its plans; ratings are one per user. Subscriptions and ratings go with the
// enterprise (ON DELETE CASCADE): they are the enterprise's choices, not records to keep.
constexpr const char* kV6 = R"sql(
CREATE TABLE app_publisher_keys (
  fingerprint TEXT PRIMARY KEY NOT NULL,
  publisher TEXT NOT NULL,
  public_key TEXT NOT NULL,
  owner_user_id TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX app_publisher_keys_publisher ON app_publisher_keys (publisher);

CREATE TABLE apps (
  id TEXT PRIMARY KEY NOT NULL,
  publisher TEXT NOT NULL,
  owner_user_id TEXT NOT NULL DEFAULT '',
  listed_version TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE app_versions (
  app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  manifest TEXT NOT NULL,
  package TEXT NOT NULL,
  digest TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  reason TEXT NOT NULL DEFAULT '',
  uploaded_by TEXT NOT NULL DEFAULT '',
  uploaded_ms INTEGER NOT NULL,
  reviewed_by TEXT NOT NULL DEFAULT '',
  reviewed_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, version)
) STRICT;
CREATE INDEX app_versions_status ON app_versions (status);

CREATE TABLE app_subscriptions (
  app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  enterprise_id TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (app_id, enterprise_id),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX app_subscriptions_tenant ON app_subscriptions (tenant_id, enterprise_id);

CREATE TABLE app_ratings (
  app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL DEFAULT '',
  enterprise_id TEXT NOT NULL DEFAULT '',
  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
  comment TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_id)
) STRICT;
)sql";

// Version 7 (models): the industrial model catalogue, every version of every model. tenant_id
// NULL is a public platform model; the manifest is the JSON as published (models/manifest.hpp).
constexpr const char* kV7 = R"sql(
CREATE TABLE models (
  pk INTEGER PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  type TEXT NOT NULL CHECK (type IN ('research_simulation', 'business_process', 'mechanism', 'data_algorithm')),
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  manifest TEXT NOT NULL,
  deprecated INTEGER NOT NULL DEFAULT 0 CHECK (deprecated IN (0, 1)),
  created_by TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX models_version ON models (COALESCE(tenant_id, ''), id, version);
CREATE UNIQUE INDEX models_seq ON models (COALESCE(tenant_id, ''), id, seq);
CREATE INDEX models_type ON models (type);
)sql";

// Version 8 (developer portal): self-registered developer accounts. Pending until the e-mail
// token (stored as its SHA-256) is presented; then user_id, tenant_id and enterprise_id name the
// developer's user and sandbox. No foreign keys: the account outlives a deleted sandbox.
constexpr const char* kV8 = R"sql(
CREATE TABLE developer_accounts (
  id TEXT PRIMARY KEY NOT NULL,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  organisation TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  token_hash TEXT NOT NULL DEFAULT '',
  token_expires_ms INTEGER NOT NULL DEFAULT 0,
  token_sent_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  verified_ms INTEGER NOT NULL DEFAULT 0,
  user_id TEXT NOT NULL DEFAULT '',
  tenant_id TEXT NOT NULL DEFAULT '',
  enterprise_id TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX developer_accounts_token ON developer_accounts (token_hash) WHERE token_hash != '';
CREATE INDEX developer_accounts_user ON developer_accounts (user_id) WHERE user_id != '';
)sql";

// Version 9 (apps): persistent APP run logs, one row per run of an APP function for an
// enterprise (apps/run_log.hpp writes them in batches). No foreign keys: a run is a record of
// what happened, written off the request path, and must not fail because its subscription or
// enterprise went meanwhile. Retention (the writer prunes after each batch): the newest 1,000
// runs per APP × enterprise, none older than 30 days. log_json is the JSON array of log lines.
constexpr const char* kV9 = R"sql(
CREATE TABLE app_runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  tenant_id TEXT NOT NULL,
  enterprise_id TEXT NOT NULL,
  function TEXT NOT NULL,
  trigger_type TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  start_ms INTEGER NOT NULL,
  duration_us INTEGER NOT NULL DEFAULT 0,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  error TEXT NOT NULL DEFAULT '',
  log_json TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX app_runs_app ON app_runs (app_id, enterprise_id, start_ms, seq);
CREATE INDEX app_runs_tenant ON app_runs (tenant_id, app_id, start_ms, seq);
CREATE INDEX app_runs_start ON app_runs (start_ms);
)sql";

// Version 10 (apps): APP key-value storage (kaiwu.store.*, apps/kv_store.hpp), one namespace per
// (tenant, enterprise, APP). Values are JSON text; the limits (key ≤ 200 bytes, value ≤ 64 KiB,
// 10,000 keys per namespace) are the store's. The data is the enterprise's: it goes with it.
constexpr const char* kV10 = R"sql(
CREATE TABLE app_kv (
  tenant_id TEXT NOT NULL,
  enterprise_id TEXT NOT NULL,
  app_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, enterprise_id, app_id, key),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id) ON DELETE CASCADE
) STRICT;
)sql";

// Version 11 (report): the solution catalogue (MIIT indicator 3.1), platform-wide. Members
// (industries, APP domains, APP, model and profile ids, technologies) sit in one table by kind,
// in the order given; report/ checks the values. No foreign keys to APPs or models: those live
// in other stores and a solution names what it bundles.
constexpr const char* kV11 = R"sql(
CREATE TABLE solutions (
  id TEXT PRIMARY KEY NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  description_zh TEXT NOT NULL DEFAULT '',
  description_en TEXT NOT NULL DEFAULT '',
  cases INTEGER NOT NULL DEFAULT 0 CHECK (cases >= 0),
  created_by TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE solution_members (
  solution_id TEXT NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('industry', 'domain', 'app', 'model', 'profile', 'technology')),
  member TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (solution_id, kind, member)
) STRICT;
CREATE INDEX solution_members_kind ON solution_members (kind, member);
)sql";

constexpr std::array<Migration, 11> kMigrations{{
    {1, kV1},
    {2, kV2},
    {3, kV3},
    {4, kV4},
    {5, kV5},
    {6, kV6},
    {7, kV7},
    {8, kV8},
    {9, kV9},
    {10, kV10},
    {11, kV11},
}};

struct UniqueField {
  std::string_view columns;  // as SQLite names them after "UNIQUE constraint failed: "
  std::string_view message;
};
constexpr std::array<UniqueField, 21> kUniqueFields{{
    {"app_runs.id", "run id already exists"},
    {"developer_accounts.email", "a developer account with this email already exists"},
    {"notification_targets.tenant_id, notification_targets.name",
     "notification target name already exists in this tenant"},
    {"alarms.id", "alarm id already exists"},
    {"devices.cert_fingerprint", "device certificate already registered to another device"},
    {"device_profiles.provision_key", "provision key already used by another profile"},
    {"rule_chains.tenant_id, rule_chains.name", "rule chain name already exists in this tenant"},
    {"rule_chains.id", "rule chain id already exists"},
    {"tenants.name", "tenant name already exists"},
    {"parks.tenant_id, parks.name", "park name already exists in this tenant"},
    {"enterprises.tenant_id, enterprises.credit_code",
     "enterprise credit_code already exists in this tenant"},
    {"users.username", "username already exists"},
    {"api_keys.hash", "api key hash already exists"},
    {"devices.access_token", "device access_token already exists"},
    {"devices.enterprise_id, devices.name", "device name already exists in this enterprise"},
    {"tenants.id", "tenant id already exists"},
    {"parks.id", "park id already exists"},
    {"enterprises.id", "enterprise id already exists"},
    {"users.id", "user id already exists"},
    {"device_profiles.id", "profile id already exists"},
    {"devices.id", "device id already exists"},
}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_version() { return kMigrations.back().version; }

Result<int> migrate(Db& db) {
  return sql::migrate(db, kMigrations,
                      {.create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       "version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
                       .begin = "BEGIN IMMEDIATE"});
}

std::string describe_unique(std::string_view sqlite_message) {
  constexpr std::string_view kPrefix = "UNIQUE constraint failed: ";
  std::string_view columns = sqlite_message;
  if (columns.starts_with(kPrefix)) columns.remove_prefix(kPrefix.size());
  for (const auto& f : kUniqueFields)
    if (f.columns == columns) return std::string(f.message);
  return fmt::format("{} already exists", columns);
}

}  // namespace kaiwu::meta::sqlite
