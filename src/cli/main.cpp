// kaiwu: one binary, several roles (serve, admin, …). Wiring only: this is the one place that
// names concrete implementations.
#include <CLI/CLI.hpp>
#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"

namespace {

// A crash (or abort) prints its signal and the stack to stderr, which is the server log in tests
// and under systemd, then dies of the same signal: a failure seen once can be located from the log
// (`addr2line -e kaiwu <offset>`). Only async-signal-safe calls besides backtrace().
void on_fatal_signal(int sig) {
  char head[64];
  const int n = std::snprintf(head, sizeof head, "\nkaiwu: fatal signal %d, stack:\n", sig);
  if (n > 0) (void)!::write(STDERR_FILENO, head, static_cast<std::size_t>(n));
  void* frames[64];
  ::backtrace_symbols_fd(frames, ::backtrace(frames, 64), STDERR_FILENO);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_crash_report() {
  void* warm[1];
  ::backtrace(warm, 1);  // loads libgcc now, not inside the handler
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  install_crash_report();
  CLI::App app{"Kaiwu (开物) — open-source industrial internet platform", "kaiwu"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kaiwu ") + kaiwu::cli::kVersion);

  kaiwu::cli::CommonOptions common;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("-c,--config", common.config_file, "configuration file (TOML)")->check(CLI::ExistingFile);
    cmd->add_option("-d,--data", common.data_dir, "data directory")->capture_default_str();
    cmd->add_option("-s,--set", common.sets, "override a setting: section.key=value (repeatable)");
  };

  auto* serve = app.add_subcommand("serve", "Run the platform: MQTT broker and device API, HTTP API and web console, telemetry storage");
  add_common(serve);

  auto* demo = app.add_subcommand("demo", "Platform + virtual factory + edge gateways in one process, pre-provisioned (make run)");
  add_common(demo);

  kaiwu::cli::SimOptions so;
  auto* simulate = app.add_subcommand("sim", "Run the virtual factory (simulated machines, meters, monitors, MQTT devices)");
  simulate->add_option("-c,--config", so.config_file, "simulator configuration (TOML)")->check(CLI::ExistingFile);
  simulate->add_option("-d,--data", so.data_dir, "data directory (MQTT devices' queues in DIR/sim)");
  simulate->add_option("--replay-from", so.replay_from_ms,
                       "step the factory offline from this time (ms since the epoch) and print every device's "
                       "values once per simulated minute as JSON lines, then exit (no servers)");
  simulate->add_option("--replay-minutes", so.replay_minutes, "simulated minutes for --replay-from")->check(CLI::Range(1, 60 * 24 * 31));

  kaiwu::cli::EdgeOptions eo;
  auto* edge = app.add_subcommand("edge", "Run an edge gateway: poll devices, buffer on disk, forward to a platform over MQTT");
  edge->add_option("-c,--config", eo.config_file, "edge configuration (TOML)")->required()->check(CLI::ExistingFile);
  edge->add_option("-d,--data", eo.data_dir, "data directory (the forward queue goes to DIR/edge-buffer)");
  edge->add_option("-s,--set", eo.sets, "override uplink.*/log.* keys: uplink.token=… (repeatable)");

  auto* admin = app.add_subcommand("admin", "Offline administration on a data directory");
  admin->require_subcommand(1);
  kaiwu::cli::CreateUserOptions cu;
  auto* create_user = admin->add_subcommand("create-user", "Create a user (works while the server is stopped or running)");
  create_user->add_option("-d,--data", common.data_dir, "data directory")->capture_default_str();
  create_user->add_option("--username", cu.username, "login name")->required();
  create_user->add_option("--password", cu.password, "password (8..256 characters)")->required();
  create_user->add_option("--role", cu.role, "platform-admin | tenant-admin | park-admin | enterprise-admin | engineer | viewer | developer")->required();
  create_user->add_option("--tenant", cu.tenant_id, "tenant id (every role but platform-admin)");
  create_user->add_option("--park", cu.park_id, "park id (park-admin)");
  create_user->add_option("--enterprise", cu.enterprise_id, "enterprise id (enterprise-scoped roles)");
  create_user->add_option("--display-name", cu.display_name, "display name");

  auto* tsdb_stats = admin->add_subcommand("tsdb-stats", "Print telemetry storage statistics (server stopped)");
  tsdb_stats->add_option("-d,--data", common.data_dir, "data directory")->capture_default_str();

  auto* report = app.add_subcommand("report", "Reports from the platform's data");
  report->require_subcommand(1);
  kaiwu::cli::ReportOptions ro;
  auto* declaration = report->add_subcommand(
      "declaration", "The 双跨 declaration: section 二 as DOCX and the evidence annexes as XLSX (works while the server runs)");
  add_common(declaration);
  declaration->add_option("--year", ro.year, "declaration year (the current one: figures as of today)")->required();
  declaration->add_option("--out", ro.out, "output directory (created if missing)")->required();

  auto* print_config = app.add_subcommand("config", "Print the effective configuration and exit");
  add_common(print_config);

  auto* bench = app.add_subcommand("bench", "Load generators for benchmarks");
  bench->require_subcommand(1);
  kaiwu::cli::BenchMqttOptions bm;
  auto* bench_mqtt = bench->add_subcommand("mqtt", "MQTT 3.1.1 publish load (QoS 0/1, pipelined) or idle connections; prints JSON");
  bench_mqtt->add_option("--host", bm.host, "broker address (IP)")->capture_default_str();
  bench_mqtt->add_option("--port", bm.port, "broker port")->capture_default_str();
  bench_mqtt->add_option("--connections", bm.connections, "client connections")->capture_default_str();
  bench_mqtt->add_option("--qos", bm.qos, "0 or 1")->check(CLI::Range(0, 1))->capture_default_str();
  bench_mqtt->add_option("--payload-bytes", bm.payload_bytes, "payload size ({\"v\":n} padded)")->capture_default_str();
  bench_mqtt->add_option("--messages", bm.messages, "stop after this many acknowledged messages (0: duration only)")->capture_default_str();
  bench_mqtt->add_option("--inflight", bm.inflight, "unacknowledged PUBLISHes per connection")->check(CLI::Range(1, 65535))->capture_default_str();
  auto* token_file = bench_mqtt->add_option("--token-file", bm.token_file, "device access tokens, one per line (MQTT username; topic v1/devices/me/telemetry)")->check(CLI::ExistingFile);
  bench_mqtt->add_option("--username", bm.username, "MQTT username")->excludes(token_file);
  bench_mqtt->add_option("--password", bm.password, "MQTT password");
  bench_mqtt->add_option("--topic", bm.topic, "topic (without --token-file)")->capture_default_str();
  bench_mqtt->add_option("--duration", bm.duration_s, "seconds of load (or of idling)")->capture_default_str();
  bench_mqtt->add_flag("--idle", bm.idle, "connect, then stay idle for --duration seconds");

  auto* app_tool = app.add_subcommand("app", "APP packages for developers: pack a directory, sign, verify");
  app_tool->require_subcommand(1);
  kaiwu::cli::AppToolOptions ao;
  auto* app_pack = app_tool->add_subcommand("pack", "Pack a directory (manifest.json, main.lua, ui/…) into a package file");
  app_pack->add_option("dir", ao.input, "package directory")->required()->check(CLI::ExistingDirectory);
  app_pack->add_option("-o,--output", ao.output, "package file (default: standard output)");
  app_pack->add_option("-k,--key", ao.key, "sign with this PEM Ed25519 private key")->check(CLI::ExistingFile);
  auto* app_sign = app_tool->add_subcommand("sign", "Sign a package file with an Ed25519 private key");
  app_sign->add_option("package", ao.input, "package file")->required()->check(CLI::ExistingFile);
  app_sign->add_option("-k,--key", ao.key, "PEM Ed25519 private key (openssl genpkey -algorithm ed25519)")->required()->check(CLI::ExistingFile);
  app_sign->add_option("-o,--output", ao.output, "signed package file (default: in place)");
  auto* app_verify = app_tool->add_subcommand("verify", "Validate a package and check its signature");
  app_verify->add_option("package", ao.input, "package file")->required()->check(CLI::ExistingFile);
  app_verify->add_option("-p,--pubkey", ao.pubkey, "PEM Ed25519 public key")->required()->check(CLI::ExistingFile);

  CLI11_PARSE(app, argc, argv);

  if (app_pack->parsed()) ao.action = "pack";
  if (app_sign->parsed()) ao.action = "sign";
  if (app_verify->parsed()) ao.action = "verify";
  if (!ao.action.empty()) return kaiwu::cli::run_app_tool(ao);

  if (serve->parsed()) return kaiwu::cli::run_serve(common);
  if (edge->parsed()) return kaiwu::cli::run_edge(eo);
  if (demo->parsed()) return kaiwu::cli::run_demo(common);
  if (simulate->parsed()) return kaiwu::cli::run_sim(so);
  if (create_user->parsed()) return kaiwu::cli::run_create_user(common, cu);
  if (tsdb_stats->parsed()) return kaiwu::cli::run_tsdb_stats(common);
  if (bench_mqtt->parsed()) return kaiwu::cli::run_bench_mqtt(bm);
  if (print_config->parsed()) return kaiwu::cli::run_print_config(common);
  if (declaration->parsed()) return kaiwu::cli::run_report_declaration(common, ro);
  return 2;
}
