// The sql::Db of a PostgreSQL server, internal to meta/: a small pool of libpq connections,
// '?' placeholders numbered to $n, per-connection prepared statements, text-format rows, and
// conversion of SQLSTATEs to kaiwu::Error at this boundary. `PGconn` never leaves this folder.
//
// Thread-safe. A call outside transaction() borrows an idle connection for one statement
// (autocommit). transaction() pins one connection to the calling thread until it ends; every
// call that thread makes meanwhile runs on it, and nested transaction() calls are savepoints.
// Inside a transaction each statement runs under its own savepoint, so a failed statement
// (say a unique violation the caller handles) leaves the transaction usable, as in SQLite.
//
// Errors: unique violation kAlreadyExists naming the field; foreign-key violation
// kFailedPrecondition; other integrity/data errors kInvalidArgument; serialization failure,
// deadlock, connection loss, server shutdown, too many connections and pool exhaustion
// kUnavailable; data corruption kCorruption; anything else kIo. Messages carry the server's
// own text.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "meta/sql.hpp"

struct pg_result;  // libpq's PGresult

namespace kaiwu::meta::pg {

using sql::Query;
using sql::Row;
using sql::Value;

struct Conn;

// '?' placeholders outside quoted literals become $1, $2, …
std::string number_placeholders(std::string_view sql);

class Db final : public sql::Db {
 public:
  static constexpr std::size_t kDefaultPoolSize = 8;

  // Connects once to check conninfo (a libpq "key=value" string or postgresql:// URL);
  // kUnavailable when the server cannot be reached.
  static Result<std::unique_ptr<Db>> open(const std::string& conninfo,
                                          std::size_t pool_size = kDefaultPoolSize);
  ~Db() override;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status script(const std::string& sql) override;
  Result<std::int64_t> run(const Query& q) override;
  Status each(const Query& q, const std::function<Status(const Row&)>& fn) override;

  // Runs fn atomically on one connection pinned to this thread (see above). fn's error, or an
  // exception, rolls back.
  Status transaction(const std::function<Status()>& fn);
  // Runs fn with one connection pinned to this thread but no transaction (migrations take a
  // session advisory lock and run their own BEGIN/COMMIT).
  Status pinned(const std::function<Status()>& fn);

 private:
  struct Pin {
    Conn* conn = nullptr;
    int depth = 0;
    bool tx = false;
  };
  class Lease;

  Db(std::string conninfo, std::size_t pool_size, std::unique_ptr<Conn> first);

  Result<Lease> acquire();
  void release(std::unique_ptr<Conn> conn);
  // The connection pinned to this thread, or nullptr.
  Pin* pin_of_this_thread();
  Status with_pin(bool tx, const std::function<Status()>& fn);
  // Runs a statement on conn (under a savepoint when in_tx); returns the result.
  Result<std::shared_ptr<pg_result>> exec_on(Conn& conn, const Query& q, bool in_tx);
  Result<std::shared_ptr<pg_result>> exec(const Query& q);

  const std::string conninfo_;
  const std::size_t pool_size_;
  std::mutex mu_;
  std::condition_variable freed_;                 // signalled when a connection is released
  std::vector<std::unique_ptr<Conn>> idle_;       // guarded by mu_
  std::size_t open_ = 0;                          // guarded by mu_: idle + lent out
  std::unordered_map<std::thread::id, Pin> pins_;  // guarded by mu_
};

}  // namespace kaiwu::meta::pg
