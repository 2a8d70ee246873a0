#include "pg_shared.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "pg_server.hpp"

namespace kaiwu::meta::testing {
namespace {

struct Shared {
  std::once_flag started;
  std::unique_ptr<PgServer> server;
  std::string why;
};

Shared& shared() {
  static Shared s;  // destroyed at exit: the server stops with the binary
  return s;
}

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

std::string pg_fresh_schema(std::string* why) {
  auto& s = shared();
  std::call_once(s.started, [&s] { s.server = PgServer::start(&s.why); });
  if (!s.server) {
    *why = "PostgreSQL not available: " + s.why;
    return {};
  }
  static std::atomic<int> counter{0};
  const std::string name = "kt_" + std::to_string(counter++);
  PGconn* c = PQconnectdb(s.server->conninfo().c_str());
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  PGresult* r = PQexec(c, ("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name).c_str());
  const bool good = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!good) *why = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!good) return {};
  return s.server->conninfo() + " options='-c search_path=" + name + "'";
}

}  // namespace kaiwu::meta::testing
