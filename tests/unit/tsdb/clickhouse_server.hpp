// A private clickhouse-server for tests and benchmarks: its own config in a temp directory,
// listening on free 127.0.0.1 ports only, started in its own process group (it dies with the
// test process, PR_SET_PDEATHSIG) and stopped by PID on destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "core/result.hpp"

namespace kaiwu::testing {

class ClickHouseServer {
 public:
  // Finds the binary ($KAIWU_CLICKHOUSE_SERVER, /usr/sbin/clickhouse-server), writes config.xml
  // and users.xml into a fresh directory below parent_dir, starts it and waits until `SELECT 1`
  // answers. kNotFound when the binary is missing, kUnavailable when it does not come up (the
  // message carries its log's tail).
  static Result<std::unique_ptr<ClickHouseServer>> start(const std::string& parent_dir = "/tmp");
  ~ClickHouseServer();
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_) + "/"; }
  std::string dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  // Runs SQL and returns the answer (kUnavailable with ClickHouse's message on failure).
  Result<std::string> sql(const std::string& query) const;

 private:
  ClickHouseServer() = default;
  void stop();

  std::string dir_;
  pid_t pid_ = -1;
  int http_port_ = 0;
  int tcp_port_ = 0;
};

}  // namespace kaiwu::testing
