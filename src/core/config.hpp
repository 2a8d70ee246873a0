// Configuration: kaiwu.toml, then KAIWU_SECTION_KEY environment variables, then
// `--set section.key=value` options, later sources overriding earlier ones. Every key is
// declared in one schema (config.cpp) with its type, default and check; an unknown key or a
// bad value is an error that names the key, the value and where it came from.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kaiwu {

struct HttpConfig {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;
  std::uint16_t tls_port = 8443;
  std::string cert;
  std::string key;
  std::uint64_t max_body_bytes = 4 * 1024 * 1024;
  std::uint32_t header_timeout_ms = 10'000;
  std::uint32_t idle_timeout_ms = 60'000;
  std::uint32_t threads = 2;  // handler pool (SQLite and other blocking work)
  std::string web_root;       // built console assets; empty: <exe>/../web/dist if present
};

struct MqttConfig {
  std::string address = "0.0.0.0";
  std::uint16_t port = 1883;
  std::uint16_t tls_port = 8883;
  std::uint32_t connects_per_minute_per_address = 600;  // 0: unlimited
  std::string client_ca;  // PEM bundle client certificates must chain to on MQTTS ("" = any, matched by fingerprint)
  std::uint32_t max_packet_bytes = 1 << 20;
};

struct StorageConfig {
  std::string durability = "fsync";  // fsync | batch | none
};

// Where the metadata lives: the embedded SQLite file (<data>/meta.db) or a PostgreSQL server
// shared by cluster nodes.
struct MetaConfig {
  std::string backend = "sqlite";  // sqlite | postgres
  std::string postgres_url;        // libpq conninfo or postgresql:// URL (backend = postgres)
};

// Telemetry storage: the embedded engine (default) or a ClickHouse server (cluster mode).
struct TsdbConfig {
  std::string backend = "embedded";                  // embedded | clickhouse
  std::string clickhouse_url = "http://127.0.0.1:8123";  // the server's HTTP interface
  std::string clickhouse_database = "kaiwu";         // created when missing
};

struct LogConfig {
  std::string level = "info";   // trace | debug | info | warn | error
  std::string format = "text";  // text | json
};

struct AuthConfig {
  std::uint32_t token_ttl_s = 12 * 3600;
  std::uint32_t login_attempts_per_minute = 10;  // per source address and per username
  // The JWT signing key (created 0600 when missing); "" = <data>/jwt.key. Cluster nodes share
  // one key file so that a token from any node is valid on every node.
  std::string jwt_key_file;
};

struct AppsConfig {
  std::string trusted_keys;  // PEM file of Ed25519 public keys trusted for every APP publisher
  std::string builtin_dir;   // built-in APPs installed on start ("" = the source tree's or share/kaiwu)
  std::string http_outbound = "off";  // on: APPs with http:outbound may call their manifest's httpHosts
};

// The event bus between ingest, rules, alarms and the live feed (bus/README.md).
struct BusConfig {
  std::string backend = "inprocess";  // inprocess | nats
  std::string nats_url = "nats://127.0.0.1:4222";  // comma-separated servers of one NATS cluster
  std::uint32_t replicas = 1;         // JetStream stream replicas (3 in a 3-server cluster)
  std::string node_name;              // this node's name in NATS ("" = hostname-pid)
  // With backend nats: "on" = MQTT messages, retained messages, session takeover and device
  // RPC cross nodes over NATS core subjects (cluster/README.md); "off" = each node's broker alone.
  std::string cross_node = "on";
  // With backend nats: how long a node's lease on an APP schedule (per APP × enterprise) or a
  // developer sandbox lasts without renewal (renewed every third of it; cluster/leases.hpp), i.e.
  // the longest a dead node's schedules pause before another node takes them over.
  std::uint32_t lease_ms = 10'000;
};

// Outgoing e-mail (developer portal verification). url empty: mails go to <data>/outbox.log.
struct SmtpConfig {
  std::string url;                                 // smtp://host:25, smtp://host:587 (STARTTLS), smtps://host:465
  std::string from = "Kaiwu <noreply@kaiwu.local>";
  std::string user;
  std::string password;
};

struct PortalConfig {
  std::string public_url = "http://localhost:8080";  // links in e-mails point here
  std::uint32_t token_ttl_s = 24 * 3600;              // verification token lifetime
  std::uint32_t resend_interval_s = 60;               // minimum time between verification e-mails
  std::uint32_t sandbox_interval_ms = 2000;           // sandbox devices report this often
};

struct Config {
  std::string data_dir = "./kaiwu-data";
  HttpConfig http;
  MqttConfig mqtt;
  StorageConfig storage;
  MetaConfig meta;
  TsdbConfig tsdb;
  LogConfig log;
  AuthConfig auth;
  AppsConfig apps;
  BusConfig bus;
  SmtpConfig smtp;
  PortalConfig portal;
};

// Where configuration comes from, in increasing precedence.
struct ConfigSources {
  std::string file;                     // TOML path; empty = none. Missing file is an error.
  std::map<std::string, std::string> env;  // environment (name → value), usually from environ
  std::vector<std::string> sets;        // "section.key=value" from --set
};

// Reads the process environment into a map (only KAIWU_* variables).
std::map<std::string, std::string> kaiwu_environment();

// Builds a validated Config. Errors (Errc::kInvalidArgument) read like
// "http.port: \"abc\" (from --set) is not an integer in 1..65535".
Result<Config> load_config(const ConfigSources& sources);

// Every known key with its effective value, for `kaiwu serve --print-config` and docs.
// A connection URL or libpq string with its password replaced by "***" ("postgres://u:***@h/db",
// "host=h password=*** dbname=d"); anything else unchanged.
std::string redact_password(std::string value);

std::vector<std::pair<std::string, std::string>> describe_config(const Config& config);

}  // namespace kaiwu
