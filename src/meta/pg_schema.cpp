#include "meta/pg_schema.hpp"

#include <fmt/format.h>

#include <array>

#include "meta/migrate.hpp"
#include "meta/pg_db.hpp"

namespace kaiwu::meta::pg {

namespace {

// The SQLite migrations of schema.cpp, version for version, in PostgreSQL's types: INTEGER
// becomes BIGINT (flags stay 0/1 integers with their CHECKs, so rows read the same), REAL
// DOUBLE PRECISION, AUTOINCREMENT an identity column. Text collates "C" so ids, keys and names
// order bytewise as in SQLite, and lower() folds ASCII only, as NOCASE does. Same keys, foreign
// keys, partial unique indexes and indexes; see schema.cpp for why each table is as it is.
constexpr const char* kV1 = R"sql(
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL
);

CREATE TABLE parks (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT COLLATE "C" NOT NULL,
  region TEXT COLLATE "C" NOT NULL DEFAULT '',
  level TEXT COLLATE "C" NOT NULL DEFAULT '',
  address TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (id, tenant_id)
);
CREATE INDEX parks_tenant_level ON parks (tenant_id, level);

CREATE TABLE enterprises (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  park_id TEXT COLLATE "C",
  name TEXT COLLATE "C" NOT NULL,
  credit_code TEXT COLLATE "C" NOT NULL DEFAULT '',
  industry TEXT COLLATE "C" NOT NULL DEFAULT '',
  sme BIGINT NOT NULL DEFAULT 0 CHECK (sme IN (0, 1)),
  paid BIGINT NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
  address TEXT COLLATE "C" NOT NULL DEFAULT '',
  longitude DOUBLE PRECISION,
  latitude DOUBLE PRECISION,
  created_ms BIGINT NOT NULL,
  UNIQUE (id, tenant_id),
  FOREIGN KEY (park_id, tenant_id) REFERENCES parks (id, tenant_id) ON DELETE RESTRICT
);
CREATE INDEX enterprises_tenant ON enterprises (tenant_id, id);
CREATE INDEX enterprises_park ON enterprises (park_id, tenant_id);
CREATE INDEX enterprises_industry ON enterprises (tenant_id, industry);
CREATE INDEX enterprises_flags ON enterprises (tenant_id, sme, paid);
CREATE UNIQUE INDEX enterprises_credit_code ON enterprises (tenant_id, credit_code)
  WHERE credit_code <> '';

CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" REFERENCES tenants (id) ON DELETE RESTRICT,
  park_id TEXT COLLATE "C",
  enterprise_id TEXT COLLATE "C",
  username TEXT COLLATE "C" NOT NULL,
  display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  role TEXT COLLATE "C" NOT NULL,
  password_hash TEXT COLLATE "C" NOT NULL DEFAULT '',
  disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_ms BIGINT NOT NULL,
  last_login_ms BIGINT NOT NULL DEFAULT 0,
  CHECK (tenant_id IS NOT NULL OR (park_id IS NULL AND enterprise_id IS NULL)),
  FOREIGN KEY (park_id, tenant_id) REFERENCES parks (id, tenant_id) ON DELETE RESTRICT,
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT
);
-- Usernames compare case-insensitively in ASCII, as SQLite's NOCASE (lower() under "C").
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_tenant ON users (tenant_id, id);
CREATE INDEX users_tenant_role ON users (tenant_id, role);
CREATE INDEX users_park ON users (park_id, tenant_id);
CREATE INDEX users_enterprise ON users (enterprise_id, tenant_id);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" REFERENCES tenants (id) ON DELETE RESTRICT,
  enterprise_id TEXT COLLATE "C",
  user_id TEXT COLLATE "C" REFERENCES users (id) ON DELETE RESTRICT,
  name TEXT COLLATE "C" NOT NULL DEFAULT '',
  role TEXT COLLATE "C" NOT NULL,
  prefix TEXT COLLATE "C" NOT NULL DEFAULT '',
  hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL,
  last_used_ms BIGINT NOT NULL DEFAULT 0,
  expires_ms BIGINT NOT NULL DEFAULT 0,
  CHECK (tenant_id IS NOT NULL OR enterprise_id IS NULL),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
CREATE INDEX api_keys_enterprise ON api_keys (enterprise_id, tenant_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE device_profiles (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT COLLATE "C" NOT NULL,
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  thing_model TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL DEFAULT 0,
  UNIQUE (id, tenant_id)
);
CREATE INDEX device_profiles_tenant ON device_profiles (tenant_id, id);

CREATE TABLE devices (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  enterprise_id TEXT COLLATE "C" NOT NULL,
  profile_id TEXT COLLATE "C",
  name TEXT COLLATE "C" NOT NULL,
  category TEXT COLLATE "C" NOT NULL,
  protocol TEXT COLLATE "C" NOT NULL DEFAULT '',
  is_gateway BIGINT NOT NULL DEFAULT 0 CHECK (is_gateway IN (0, 1)),
  gateway_id TEXT COLLATE "C",
  label TEXT COLLATE "C" NOT NULL DEFAULT '',
  access_token TEXT COLLATE "C" NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL DEFAULT 0,
  UNIQUE (enterprise_id, name),
  UNIQUE (id, tenant_id),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id)
    ON DELETE RESTRICT,
  FOREIGN KEY (profile_id, tenant_id) REFERENCES device_profiles (id, tenant_id)
    ON DELETE RESTRICT,
  FOREIGN KEY (gateway_id, tenant_id) REFERENCES devices (id, tenant_id) ON DELETE RESTRICT
);
CREATE INDEX devices_tenant ON devices (tenant_id, id);
CREATE INDEX devices_profile ON devices (profile_id, tenant_id);
CREATE INDEX devices_gateway ON devices (gateway_id, tenant_id);
CREATE INDEX devices_tenant_protocol ON devices (tenant_id, protocol);
CREATE INDEX devices_tenant_category ON devices (tenant_id, category);

CREATE TABLE audit_log (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  actor TEXT COLLATE "C" NOT NULL DEFAULT '',
  action TEXT COLLATE "C" NOT NULL DEFAULT '',
  object_type TEXT COLLATE "C" NOT NULL DEFAULT '',
  object_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  time_ms BIGINT NOT NULL,
  source TEXT COLLATE "C" NOT NULL DEFAULT '',
  request_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  detail TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_time ON audit_log (time_ms);
)sql";

constexpr const char* kV2 = R"sql(
CREATE TABLE device_attributes (
  tenant_id TEXT COLLATE "C" NOT NULL,
  device_id TEXT COLLATE "C" NOT NULL,
  scope TEXT COLLATE "C" NOT NULL CHECK (scope IN ('client', 'shared', 'server')),
  key TEXT COLLATE "C" NOT NULL,
  value_json TEXT COLLATE "C" NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (device_id, scope, key),
  FOREIGN KEY (device_id, tenant_id) REFERENCES devices (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX device_attributes_tenant ON device_attributes (tenant_id, device_id);
)sql";

constexpr const char* kV3 = R"sql(
ALTER TABLE device_profiles ADD COLUMN provision_mode TEXT COLLATE "C" NOT NULL DEFAULT 'disabled'
  CHECK (provision_mode IN ('disabled', 'allow-create', 'check-pre-provisioned'));
ALTER TABLE device_profiles ADD COLUMN provision_key TEXT COLLATE "C";
ALTER TABLE device_profiles ADD COLUMN provision_secret TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE device_profiles ADD COLUMN provision_enterprise_id TEXT COLLATE "C" REFERENCES enterprises (id) ON DELETE RESTRICT;
CREATE UNIQUE INDEX device_profiles_provision_key ON device_profiles (provision_key)
  WHERE provision_key IS NOT NULL;
CREATE INDEX device_profiles_provision_enterprise ON device_profiles (provision_enterprise_id)
  WHERE provision_enterprise_id IS NOT NULL;
-- X.509 device authentication: the SHA-256 fingerprint of the device's certificate.
ALTER TABLE devices ADD COLUMN cert_fingerprint TEXT COLLATE "C";
CREATE UNIQUE INDEX devices_cert_fingerprint ON devices (cert_fingerprint)
  WHERE cert_fingerprint IS NOT NULL;
)sql";

constexpr const char* kV4 = R"sql(
CREATE TABLE alarms (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  device_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  enterprise_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  park_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  type TEXT COLLATE "C" NOT NULL,
  severity TEXT COLLATE "C" NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning')),
  acknowledged BIGINT NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
  cleared BIGINT NOT NULL DEFAULT 0 CHECK (cleared IN (0, 1)),
  start_ms BIGINT NOT NULL,
  last_ms BIGINT NOT NULL,
  count BIGINT NOT NULL DEFAULT 1,
  ack_ms BIGINT NOT NULL DEFAULT 0,
  ack_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  clear_ms BIGINT NOT NULL DEFAULT 0,
  clear_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  details_json TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  updated_ms BIGINT NOT NULL,
  UNIQUE (id, tenant_id)
);
CREATE UNIQUE INDEX alarms_open ON alarms (tenant_id, device_id, type) WHERE cleared = 0;
CREATE INDEX alarms_tenant ON alarms (tenant_id, id);
CREATE INDEX alarms_enterprise ON alarms (enterprise_id, tenant_id);
CREATE INDEX alarms_park ON alarms (park_id, tenant_id);
CREATE INDEX alarms_device ON alarms (device_id, tenant_id);

CREATE TABLE alarm_history (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  alarm_id TEXT COLLATE "C" NOT NULL,
  time_ms BIGINT NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  actor TEXT COLLATE "C" NOT NULL DEFAULT '',
  severity TEXT COLLATE "C" NOT NULL,
  detail TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  FOREIGN KEY (alarm_id, tenant_id) REFERENCES alarms (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX alarm_history_alarm ON alarm_history (alarm_id, id);

CREATE TABLE notification_targets (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT COLLATE "C" NOT NULL,
  url TEXT COLLATE "C" NOT NULL,
  header_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  header_value TEXT COLLATE "C" NOT NULL DEFAULT '',
  enabled BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_ms BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX notification_targets_tenant ON notification_targets (tenant_id, id);
)sql";

constexpr const char* kV5 = R"sql(
CREATE TABLE rule_chains (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name TEXT COLLATE "C" NOT NULL,
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  enabled BIGINT NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
  version BIGINT NOT NULL CHECK (version >= 1),
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE (tenant_id, name),
  UNIQUE (id, tenant_id)
);
CREATE INDEX rule_chains_tenant ON rule_chains (tenant_id, id);
CREATE INDEX rule_chains_enabled ON rule_chains (enabled) WHERE enabled = 1;

CREATE TABLE rule_chain_versions (
  chain_id TEXT COLLATE "C" NOT NULL REFERENCES rule_chains (id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  definition TEXT COLLATE "C" NOT NULL,
  created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (chain_id, version)
);
)sql";

constexpr const char* kV6 = R"sql(
CREATE TABLE app_publisher_keys (
  fingerprint TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  publisher TEXT COLLATE "C" NOT NULL,
  public_key TEXT COLLATE "C" NOT NULL,
  owner_user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL
);
CREATE INDEX app_publisher_keys_publisher ON app_publisher_keys (publisher);

CREATE TABLE apps (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  publisher TEXT COLLATE "C" NOT NULL,
  owner_user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  listed_version TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);

CREATE TABLE app_versions (
  app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  version TEXT COLLATE "C" NOT NULL,
  manifest TEXT COLLATE "C" NOT NULL,
  package TEXT COLLATE "C" NOT NULL,
  digest TEXT COLLATE "C" NOT NULL,
  key_fingerprint TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  reason TEXT COLLATE "C" NOT NULL DEFAULT '',
  uploaded_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  uploaded_ms BIGINT NOT NULL,
  reviewed_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  reviewed_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, version)
);
CREATE INDEX app_versions_status ON app_versions (status);

CREATE TABLE app_subscriptions (
  app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  enterprise_id TEXT COLLATE "C" NOT NULL,
  plan_id TEXT COLLATE "C" NOT NULL,
  calls BIGINT NOT NULL DEFAULT 0,
  created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (app_id, enterprise_id),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX app_subscriptions_tenant ON app_subscriptions (tenant_id, enterprise_id);

CREATE TABLE app_ratings (
  app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  enterprise_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  stars BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
  comment TEXT COLLATE "C" NOT NULL DEFAULT '',
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (app_id, user_id)
);
)sql";

constexpr const char* kV7 = R"sql(
CREATE TABLE models (
  pk BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  tenant_id TEXT COLLATE "C" REFERENCES tenants (id) ON DELETE CASCADE,
  id TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 1),
  type TEXT COLLATE "C" NOT NULL
    CHECK (type IN ('research_simulation', 'business_process', 'mechanism', 'data_algorithm')),
  name_zh TEXT COLLATE "C" NOT NULL,
  name_en TEXT COLLATE "C" NOT NULL,
  manifest TEXT COLLATE "C" NOT NULL,
  deprecated BIGINT NOT NULL DEFAULT 0 CHECK (deprecated IN (0, 1)),
  created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX models_version ON models (COALESCE(tenant_id, ''), id, version);
CREATE UNIQUE INDEX models_seq ON models (COALESCE(tenant_id, ''), id, seq);
CREATE INDEX models_type ON models (type);
)sql";

constexpr const char* kV8 = R"sql(
CREATE TABLE developer_accounts (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  email TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT COLLATE "C" NOT NULL,
  organisation TEXT COLLATE "C" NOT NULL DEFAULT '',
  password_hash TEXT COLLATE "C" NOT NULL,
  verified BIGINT NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  token_hash TEXT COLLATE "C" NOT NULL DEFAULT '',
  token_expires_ms BIGINT NOT NULL DEFAULT 0,
  token_sent_ms BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  verified_ms BIGINT NOT NULL DEFAULT 0,
  user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  tenant_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  enterprise_id TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX developer_accounts_token ON developer_accounts (token_hash) WHERE token_hash <> '';
CREATE INDEX developer_accounts_user ON developer_accounts (user_id) WHERE user_id <> '';
)sql";

constexpr const char* kV9 = R"sql(
CREATE TABLE app_runs (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  app_id TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C" NOT NULL DEFAULT '',
  tenant_id TEXT COLLATE "C" NOT NULL,
  enterprise_id TEXT COLLATE "C" NOT NULL,
  function TEXT COLLATE "C" NOT NULL,
  trigger_type TEXT COLLATE "C" NOT NULL,
  actor TEXT COLLATE "C" NOT NULL DEFAULT '',
  start_ms BIGINT NOT NULL,
  duration_us BIGINT NOT NULL DEFAULT 0,
  ok BIGINT NOT NULL CHECK (ok IN (0, 1)),
  error TEXT COLLATE "C" NOT NULL DEFAULT '',
  log_json TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);
CREATE INDEX app_runs_app ON app_runs (app_id, enterprise_id, start_ms, seq);
CREATE INDEX app_runs_tenant ON app_runs (tenant_id, app_id, start_ms, seq);
CREATE INDEX app_runs_start ON app_runs (start_ms);
)sql";

// Version 10 (apps): APP key-value storage, as schema.cpp's version 10.
constexpr const char* kV10 = R"sql(
CREATE TABLE app_kv (
  tenant_id TEXT COLLATE "C" NOT NULL,
  enterprise_id TEXT COLLATE "C" NOT NULL,
  app_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, enterprise_id, app_id, key),
  FOREIGN KEY (enterprise_id, tenant_id) REFERENCES enterprises (id, tenant_id) ON DELETE CASCADE
);
)sql";

// Version 11 (report): the solution catalogue, as schema.cpp's version 11.
constexpr const char* kV11 = R"sql(
CREATE TABLE solutions (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  description_zh TEXT NOT NULL DEFAULT '',
  description_en TEXT NOT NULL DEFAULT '',
  cases BIGINT NOT NULL DEFAULT 0 CHECK (cases >= 0),
  created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE solution_members (
  solution_id TEXT COLLATE "C" NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
  kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('industry', 'domain', 'app', 'model', 'profile', 'technology')),
  member TEXT COLLATE "C" NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (solution_id, kind, member)
);
CREATE INDEX solution_members_kind ON solution_members (kind, member);
)sql";

constexpr std::array<sqlite::Migration, 11> kMigrations{{
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

// pg_advisory_lock key held while migrating, so nodes starting together migrate one at a time.
constexpr std::int64_t kMigrationLock = 0x4b616977'754d6574;  // "KaiwuMet"

Result<int> migrate_locked(Db& db) {
  return sql::migrate(db, kMigrations,
                      {.create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       "version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
                       .begin = "BEGIN"});
}

}  // namespace

std::span<const sqlite::Migration> migrations() { return kMigrations; }

int latest_version() { return kMigrations.back().version; }

Result<int> migrate(Db& db) {
  Result<int> version = 0;
  KAIWU_TRY_STATUS(db.pinned([&]() -> Status {
    KAIWU_TRY_STATUS(db.script(fmt::format("SELECT pg_advisory_lock({})", kMigrationLock)));
    version = migrate_locked(db);
    auto unlocked = db.script(fmt::format("SELECT pg_advisory_unlock({})", kMigrationLock));
    if (version && !unlocked) return unlocked;
    return ok();
  }));
  return version;
}

}  // namespace kaiwu::meta::pg
