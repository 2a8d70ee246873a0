// The subcommands of the kaiwu binary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kaiwu::cli {

inline constexpr const char* kVersion = "0.1.0";

struct CommonOptions {
  std::string config_file;
  std::string data_dir = "./kaiwu-data";
  std::vector<std::string> sets;
};

struct CreateUserOptions {
  std::string username;
  std::string password;
  std::string role;
  std::string tenant_id;
  std::string park_id;
  std::string enterprise_id;
  std::string display_name;
};

// `kaiwu bench mqtt` (bench_mqtt.cpp): an MQTT 3.1.1 load generator.
struct BenchMqttOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::size_t connections = 50;
  unsigned qos = 1;
  std::size_t payload_bytes = 64;
  std::uint64_t messages = 0;  // stop after this many acknowledged (0: only --duration)
  unsigned inflight = 16;      // unacknowledged PUBLISHes per connection
  std::string token_file;      // one device access token (MQTT username) per line
  std::string username;
  std::string password;
  std::string topic = "kaiwu/bench";
  double duration_s = 20;
  bool idle = false;
};

// `kaiwu edge` (edge.cpp): --data, when given, puts the forward queue in DIR/edge-buffer.
struct EdgeOptions {
  std::string config_file;
  std::string data_dir;
  std::vector<std::string> sets;
};

// `kaiwu sim` (sim.cpp).
struct SimOptions {
  std::string config_file;  // empty: the default factory
  std::string data_dir;
  std::int64_t replay_from_ms = -1;  // ≥ 0: step offline from this time and print, no servers
  int replay_minutes = 60;
};

// `kaiwu app pack|sign|verify` (app_cli.cpp): APP packages for developers.
struct AppToolOptions {
  std::string action;  // pack | sign | verify
  std::string input;   // pack: a directory; sign/verify: a package file
  std::string output;  // pack: the package file (default stdout); sign: default in place
  std::string key;     // PEM Ed25519 private key (pack, sign)
  std::string pubkey;  // PEM Ed25519 public key (verify)
};

// `kaiwu report declaration` (report_cli.cpp): the 双跨 declaration files into a directory.
struct ReportOptions {
  int year = 0;
  std::string out;
};

int run_serve(const CommonOptions& options);
int run_demo(const CommonOptions& options);
int run_sim(const SimOptions& options);
int run_edge(const EdgeOptions& options);
int run_create_user(const CommonOptions& options, const CreateUserOptions& user);
int run_print_config(const CommonOptions& options);
int run_tsdb_stats(const CommonOptions& options);
int run_bench_mqtt(const BenchMqttOptions& options);
int run_app_tool(const AppToolOptions& options);
int run_report_declaration(const CommonOptions& options, const ReportOptions& report);

}  // namespace kaiwu::cli
