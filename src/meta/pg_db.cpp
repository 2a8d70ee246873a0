#include "meta/pg_db.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "meta/schema.hpp"

namespace kaiwu::meta::pg {

namespace {

// Statements kept prepared per connection; beyond this the statement runs unprepared.
constexpr std::size_t kMaxPrepared = 256;
// How long a call waits for a free connection before kUnavailable.
constexpr auto kAcquireTimeout = std::chrono::seconds(10);

using ResultPtr = std::shared_ptr<pg_result>;

ResultPtr own(PGresult* r) { return ResultPtr(r, PQclear); }

std::string_view field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v == nullptr ? std::string_view{} : std::string_view(v);
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

// "UNIQUE constraint failed: t.a, t.b" (SQLite's wording, which describe_unique maps to a
// field name) from the table and the "Key (a, lower(b))=(…) already exists." detail.
std::string unique_columns(const PGresult* r) {
  const std::string table(field(r, PG_DIAG_TABLE_NAME));
  std::string_view detail = field(r, PG_DIAG_MESSAGE_DETAIL);
  constexpr std::string_view kKey = "Key (";
  const auto start = detail.find(kKey);
  const auto end = detail.find(")=(");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start) {
    return fmt::format("UNIQUE constraint failed: {}", field(r, PG_DIAG_CONSTRAINT_NAME));
  }
  std::string_view cols = detail.substr(start + kKey.size(), end - start - kKey.size());
  std::string out = "UNIQUE constraint failed: ";
  bool first = true;
  while (!cols.empty()) {
    const auto comma = cols.find(", ");
    std::string_view col = cols.substr(0, comma);
    cols = comma == std::string_view::npos ? std::string_view{} : cols.substr(comma + 2);
    if (const auto open = col.find('('); open != std::string_view::npos) {  // lower(username)
      col.remove_prefix(open + 1);
      col = col.substr(0, col.find_first_of("):"));
    }
    out += fmt::format("{}{}.{}", first ? "" : ", ", table, col);
    first = false;
  }
  return out;
}

Error to_error(const PGresult* r, const PGconn* conn) {
  if (r == nullptr) {
    return Error{Errc::kUnavailable,
                 fmt::format("database unavailable: {}", trimmed(PQerrorMessage(conn)))};
  }
  const std::string_view state = field(r, PG_DIAG_SQLSTATE);
  const std::string text = trimmed(PQresultErrorMessage(r));
  if (state == "23505") {
    return Error{Errc::kAlreadyExists,
                 fmt::format("{} ({})", sqlite::describe_unique(unique_columns(r)),
                             text)};
  }
  if (state == "23503") {
    return Error{Errc::kFailedPrecondition,
                 fmt::format("referenced object missing or still referenced ({})", text)};
  }
  if (state.starts_with("23") || state.starts_with("22")) {
    return Error{Errc::kInvalidArgument, text};  // other integrity and data errors
  }
  if (state == "40001" || state == "40P01" || state.starts_with("08") || state == "53300" ||
      state.starts_with("57P") || state.empty()) {
    return Error{Errc::kUnavailable, fmt::format("database unavailable: {}", text)};
  }
  if (state == "XX001" || state == "XX002") {
    return Error{Errc::kCorruption, fmt::format("database corrupt: {}", text)};
  }
  return Error{Errc::kIo, fmt::format("database error: {}", text)};
}

class ResultRow final : public Row {
 public:
  ResultRow(const PGresult* r, int row) : r_(r), row_(row) {}
  std::string text(int col) const override {
    if (PQgetisnull(r_, row_, col)) return {};
    return std::string(PQgetvalue(r_, row_, col),
                       static_cast<std::size_t>(PQgetlength(r_, row_, col)));
  }
  std::int64_t int64(int col) const override {
    if (PQgetisnull(r_, row_, col)) return 0;
    const std::string_view v(PQgetvalue(r_, row_, col));
    if (v == "t") return 1;  // a boolean expression
    if (v == "f") return 0;
    std::int64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
  }
  std::optional<double> real(int col) const override {
    if (PQgetisnull(r_, row_, col)) return std::nullopt;
    return std::strtod(PQgetvalue(r_, row_, col), nullptr);
  }

 private:
  const PGresult* r_;
  int row_;
};

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

// One server connection and the statements prepared on it (SQL text -> statement name).
struct Conn {
  PGconn* pg = nullptr;
  std::unordered_map<std::string, std::string> prepared;
  ~Conn() {
    if (pg != nullptr) PQfinish(pg);
  }
  bool healthy() const { return PQstatus(pg) == CONNECTION_OK; }
};

namespace {

Result<std::unique_ptr<Conn>> connect(const std::string& conninfo) {
  auto c = std::make_unique<Conn>();
  c->pg = PQconnectdb(conninfo.c_str());
  if (c->pg == nullptr) return fail(Errc::kUnavailable, "cannot connect to PostgreSQL: no memory");
  if (PQstatus(c->pg) != CONNECTION_OK) {
    return fail(Errc::kUnavailable,
                fmt::format("cannot connect to PostgreSQL: {}", trimmed(PQerrorMessage(c->pg))));
  }
  PQsetNoticeProcessor(c->pg, ignore_notice, nullptr);
  return c;
}

Status simple(Conn& c, const char* sql) {
  auto r = own(PQexec(c.pg, sql));
  const auto st = PQresultStatus(r.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return ok();
  return std::unexpected(to_error(r.get(), c.pg));
}

}  // namespace

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  bool quoted = false;
  int n = 0;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

// A connection borrowed from the pool, returned (or dropped when broken) at scope exit.
class Db::Lease {
 public:
  Lease(Db* db, std::unique_ptr<Conn> c) : db_(db), conn_(std::move(c)) {}
  Lease(Lease&&) noexcept = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (conn_) db_->release(std::move(conn_));
  }
  Conn& operator*() const { return *conn_; }

 private:
  Db* db_;
  std::unique_ptr<Conn> conn_;
};

Db::Db(std::string conninfo, std::size_t pool_size, std::unique_ptr<Conn> first)
    : conninfo_(std::move(conninfo)), pool_size_(pool_size == 0 ? 1 : pool_size) {
  idle_.push_back(std::move(first));
  open_ = 1;
}

Db::~Db() = default;

Result<std::unique_ptr<Db>> Db::open(const std::string& conninfo, std::size_t pool_size) {
  auto first = KAIWU_TRY(connect(conninfo));
  return std::unique_ptr<Db>(new Db(conninfo, pool_size, std::move(first)));
}

Result<Db::Lease> Db::acquire() {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, kAcquireTimeout,
                       [&] { return !idle_.empty() || open_ < pool_size_; })) {
    return fail(Errc::kUnavailable, "no PostgreSQL connection free");
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (!c->healthy()) {
      PQreset(c->pg);
      c->prepared.clear();
      if (!c->healthy()) {
        Error e{Errc::kUnavailable,
                fmt::format("PostgreSQL connection lost: {}", trimmed(PQerrorMessage(c->pg)))};
        release(std::move(c));
        return std::unexpected(std::move(e));
      }
    }
    return Lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  auto c = connect(conninfo_);
  if (!c) {
    std::lock_guard relock(mu_);
    --open_;
    freed_.notify_one();
    return std::unexpected(c.error());
  }
  return Lease(this, std::move(*c));
}

void Db::release(std::unique_ptr<Conn> conn) {
  std::lock_guard lock(mu_);
  if (conn->healthy() && PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
    freed_.notify_one();
    return;
  }
  --open_;  // left mid-transaction, or broken
  if (!conn->healthy()) {
    // The server restarted or the network failed: the idle connections are most likely dead
    // too (libpq notices only on use), so drop them rather than fail one call per connection.
    open_ -= idle_.size();
    idle_.clear();
  }
  freed_.notify_all();
}

Db::Pin* Db::pin_of_this_thread() {
  std::lock_guard lock(mu_);
  auto it = pins_.find(std::this_thread::get_id());
  return it == pins_.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<pg_result>> Db::exec_on(Conn& c, const Query& q, bool in_tx) {
  const std::string text = number_placeholders(q.sql());
  const std::vector<Value> params = q.params();
  std::vector<std::string> storage(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (std::holds_alternative<std::monostate>(v)) continue;
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      storage[i] = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      storage[i] = fmt::format("{}", *d);
    } else {
      storage[i] = std::get<std::string>(v);
      if (storage[i].find('\0') != std::string::npos) {
        return fail(Errc::kInvalidArgument, "text must not contain NUL bytes");
      }
    }
    values[i] = storage[i].c_str();
  }
  const int count = static_cast<int>(params.size());

  if (in_tx) KAIWU_TRY_STATUS(simple(c, "SAVEPOINT kaiwu_stmt"));
  PGresult* raw = nullptr;
  auto it = c.prepared.find(text);
  if (it == c.prepared.end() && c.prepared.size() < kMaxPrepared) {
    std::string name = fmt::format("k{}", c.prepared.size());
    auto prep = own(PQprepare(c.pg, name.c_str(), text.c_str(), count, nullptr));
    if (PQresultStatus(prep.get()) == PGRES_COMMAND_OK) {
      it = c.prepared.emplace(text, std::move(name)).first;
    } else {
      Error e = to_error(prep.get(), c.pg);
      if (in_tx) (void)simple(c, "ROLLBACK TO SAVEPOINT kaiwu_stmt; RELEASE SAVEPOINT kaiwu_stmt");
      return std::unexpected(std::move(e));
    }
  }
  if (it != c.prepared.end()) {
    raw = PQexecPrepared(c.pg, it->second.c_str(), count, values.data(), nullptr, nullptr, 0);
  } else {
    raw = PQexecParams(c.pg, text.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0);
  }
  auto r = own(raw);
  const auto st = PQresultStatus(r.get());
  if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
    if (in_tx) KAIWU_TRY_STATUS(simple(c, "RELEASE SAVEPOINT kaiwu_stmt"));
    return r;
  }
  Error e = to_error(r.get(), c.pg);
  if (in_tx) (void)simple(c, "ROLLBACK TO SAVEPOINT kaiwu_stmt; RELEASE SAVEPOINT kaiwu_stmt");
  return std::unexpected(std::move(e));
}

Result<std::shared_ptr<pg_result>> Db::exec(const Query& q) {
  if (Pin* pin = pin_of_this_thread()) return exec_on(*pin->conn, q, pin->tx);
  auto lease = KAIWU_TRY(acquire());
  return exec_on(*lease, q, false);
}

Status Db::script(const std::string& sql) {
  if (Pin* pin = pin_of_this_thread()) return simple(*pin->conn, sql.c_str());
  auto lease = KAIWU_TRY(acquire());
  return simple(*lease, sql.c_str());
}

Result<std::int64_t> Db::run(const Query& q) {
  auto r = KAIWU_TRY(exec(q));
  const std::string_view n = PQcmdTuples(r.get());
  std::int64_t changed = 0;
  std::from_chars(n.data(), n.data() + n.size(), changed);
  return changed;
}

Status Db::each(const Query& q, const std::function<Status(const Row&)>& fn) {
  auto r = KAIWU_TRY(exec(q));
  const int rows = PQntuples(r.get());
  for (int i = 0; i < rows; ++i) KAIWU_TRY_STATUS(fn(ResultRow(r.get(), i)));
  return ok();
}

Status Db::with_pin(bool tx, const std::function<Status()>& fn) {
  auto lease = KAIWU_TRY(acquire());
  Conn& c = *lease;
  if (tx) KAIWU_TRY_STATUS(simple(c, "BEGIN"));
  {
    std::lock_guard lock(mu_);
    pins_[std::this_thread::get_id()] = Pin{&c, 1, tx};
  }
  auto unpin = [&] {
    std::lock_guard lock(mu_);
    pins_.erase(std::this_thread::get_id());
  };
  Status result;
  try {
    result = fn();
  } catch (...) {
    unpin();
    if (tx) (void)simple(c, "ROLLBACK");
    throw;
  }
  unpin();
  if (!tx) return result;
  if (result) result = simple(c, "COMMIT");
  if (!result) (void)simple(c, "ROLLBACK");
  return result;
}

Status Db::transaction(const std::function<Status()>& fn) {
  Pin* pin = pin_of_this_thread();
  if (pin == nullptr) return with_pin(true, fn);
  if (!pin->tx) {
    KAIWU_TRY_STATUS(simple(*pin->conn, "BEGIN"));
    pin->tx = true;
    Status result = fn();
    pin->tx = false;
    if (result) result = simple(*pin->conn, "COMMIT");
    if (!result) (void)simple(*pin->conn, "ROLLBACK");
    return result;
  }
  // Savepoints all share one name: ROLLBACK TO / RELEASE act on the innermost of that name.
  KAIWU_TRY_STATUS(simple(*pin->conn, "SAVEPOINT nested"));
  ++pin->depth;
  Status result;
  try {
    result = fn();
  } catch (...) {
    --pin->depth;
    (void)simple(*pin->conn, "ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested");
    throw;
  }
  --pin->depth;
  if (result) result = simple(*pin->conn, "RELEASE SAVEPOINT nested");
  if (!result) (void)simple(*pin->conn, "ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested");
  return result;
}

Status Db::pinned(const std::function<Status()>& fn) {
  if (pin_of_this_thread() != nullptr) return fn();
  return with_pin(false, fn);
}

}  // namespace kaiwu::meta::pg
