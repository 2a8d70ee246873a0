// A throwaway PostgreSQL server for tests: initdb into a fresh temporary directory, postgres
// listening on 127.0.0.1 and a free port (and a Unix socket in that directory), fsync off.
// Running as root, initdb and postgres run as the `postgres` user (else `nobody`) through
// setpriv, which also gives the server PR_SET_PDEATHSIG: it dies with the test process even
// if the test crashes. stop() (and the destructor) shuts it down fast, SIGKILL after 10 s,
// and removes the directory.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace kaiwu::meta::testing {

class PgServer {
 public:
  // The server, or nullptr with *why set (no PostgreSQL binaries, initdb or start failed).
  static std::unique_ptr<PgServer> start(std::string* why);
  // The directory holding initdb, pg_ctl and postgres, or "" when none is installed
  // (KAIWU_PG_BIN, else /usr/lib/postgresql/<newest>/bin).
  static std::string bin_dir();

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  void stop();
  // Stops the server fast and starts it again on the same data and port (clients see their
  // connections drop). False with *why set when it does not come back.
  bool restart(std::string* why);
  int port() const { return port_; }
  // libpq conninfo for a database of this server as the superuser `postgres`.
  std::string conninfo(const std::string& dbname = "postgres") const;

 private:
  PgServer() = default;
  // Spawns postgres on dir_/data and waits until it accepts connections.
  bool launch(std::string* why);
  // Fast shutdown (SIGINT), SIGKILL after the timeout.
  void shut_down();

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace kaiwu::meta::testing
