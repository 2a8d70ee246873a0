// SqlSolutionStore: the solution catalogue in the metadata database (migration 11). A solution
// is one `solutions` row plus its members in `solution_members` (kind, member, position), so
// the coverage counts are plain GROUP BYs and a member list keeps the order it was given in.
#include <fmt/format.h>

#include <array>
#include <optional>
#include <utility>

#include "core/ids.hpp"
#include "meta/sql.hpp"
#include "report/solutions.hpp"

namespace kaiwu::report {

using meta::sql::Db;
using meta::sql::Query;
using meta::sql::Row;

namespace {

constexpr std::string_view kColumns =
    "SELECT id, name_zh, name_en, description_zh, description_en, cases, created_by, created_ms, updated_ms "
    "FROM solutions";

// kind code in solution_members → the member list of a Solution.
using Members = std::vector<std::string> Solution::*;
constexpr std::array<std::pair<std::string_view, Members>, 6> kKinds{{
    {"industry", &Solution::industries},
    {"domain", &Solution::domains},
    {"app", &Solution::app_ids},
    {"model", &Solution::model_ids},
    {"profile", &Solution::profile_ids},
    {"technology", &Solution::technologies}}};

Result<Solution> read_solution(const Row& r) {
  Solution s;
  s.id = r.text(0);
  s.name_zh = r.text(1);
  s.name_en = r.text(2);
  s.description_zh = r.text(3);
  s.description_en = r.text(4);
  s.cases = r.int64(5);
  s.created_by = r.text(6);
  s.created_ms = r.int64(7);
  s.updated_ms = r.int64(8);
  return s;
}

Status load_members(Db& db, std::vector<Solution>& out) {
  if (out.empty()) return ok();
  Query q("SELECT solution_id, kind, member FROM solution_members");
  if (out.size() == 1) q.where("solution_id = ?", {out[0].id});
  q.tail(" ORDER BY solution_id, kind, position");
  return db.each(q, [&](const Row& r) -> Status {
    const auto id = r.text(0);
    const auto kind = r.text(1);
    for (auto& s : out) {
      if (s.id != id) continue;
      for (const auto& [code, member] : kKinds)
        if (code == kind) (s.*member).push_back(r.text(2));
    }
    return ok();
  });
}

Status write_members(Db& db, const Solution& s) {
  KAIWU_TRY(db.run(Query("DELETE FROM solution_members WHERE solution_id = ?", {s.id})));
  for (const auto& [code, member] : kKinds) {
    const auto& list = s.*member;
    for (std::size_t i = 0; i < list.size(); ++i)
      KAIWU_TRY(db.run(Query("INSERT INTO solution_members (solution_id, kind, member, position) VALUES (?, ?, ?, ?)",
                             {s.id, std::string(code), list[i], static_cast<std::int64_t>(i)})));
  }
  return ok();
}

Result<Solution> find(Db& db, const std::string& id) {
  Query q(kColumns);
  q.where("id = ?", {id});
  auto one = KAIWU_TRY(db.one(q, read_solution));
  if (!one) return fail(Errc::kNotFound, fmt::format("solution {} not found", id));
  std::vector<Solution> v{std::move(*one)};
  KAIWU_TRY_STATUS(load_members(db, v));
  return std::move(v[0]);
}

template <typename T, typename F>
Result<T> on(meta::SqlStore& store, F&& fn) {
  std::optional<T> out;
  KAIWU_TRY_STATUS(store.with_db([&](Db& db) -> Status {
    auto r = fn(db);
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return ok();
  }));
  return std::move(*out);
}

}  // namespace

Result<Solution> SqlSolutionStore::create(const Solution& in) {
  return on<Solution>(db_, [&](Db& db) -> Result<Solution> {
    Solution s = in;
    if (s.id.empty()) s.id = new_id();
    s.created_ms = s.updated_ms = now_ms();
    if (KAIWU_TRY(db.scalar(Query("SELECT COUNT(*) FROM solutions WHERE id = ?", {s.id}))) > 0)
      return fail(Errc::kAlreadyExists, fmt::format("solution {} already exists", s.id));
    KAIWU_TRY(db.run(Query(
        "INSERT INTO solutions (id, name_zh, name_en, description_zh, description_en, cases, created_by, "
        "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {s.id, s.name_zh, s.name_en, s.description_zh, s.description_en, s.cases, s.created_by, s.created_ms,
         s.updated_ms})));
    KAIWU_TRY_STATUS(write_members(db, s));
    return s;
  });
}

Result<Solution> SqlSolutionStore::get(const std::string& id) {
  return on<Solution>(db_, [&](Db& db) { return find(db, id); });
}

Result<std::vector<Solution>> SqlSolutionStore::list() {
  return on<std::vector<Solution>>(db_, [&](Db& db) -> Result<std::vector<Solution>> {
    Query q(kColumns);
    q.tail(" ORDER BY id");
    auto all = KAIWU_TRY(db.all(q, read_solution));
    KAIWU_TRY_STATUS(load_members(db, all));
    return all;
  });
}

Result<Solution> SqlSolutionStore::update(const Solution& in) {
  return on<Solution>(db_, [&](Db& db) -> Result<Solution> {
    auto current = KAIWU_TRY(find(db, in.id));
    Solution s = in;
    s.created_by = current.created_by;
    s.created_ms = current.created_ms;
    s.updated_ms = now_ms();
    KAIWU_TRY(db.run(Query(
        "UPDATE solutions SET name_zh = ?, name_en = ?, description_zh = ?, description_en = ?, cases = ?, "
        "updated_ms = ? WHERE id = ?",
        {s.name_zh, s.name_en, s.description_zh, s.description_en, s.cases, s.updated_ms, s.id})));
    KAIWU_TRY_STATUS(write_members(db, s));
    return s;
  });
}

Status SqlSolutionStore::remove(const std::string& id) {
  return db_.with_db([&](Db& db) -> Status {
    KAIWU_TRY(db.run(Query("DELETE FROM solution_members WHERE solution_id = ?", {id})));
    if (KAIWU_TRY(db.run(Query("DELETE FROM solutions WHERE id = ?", {id}))) == 0)
      return fail(Errc::kNotFound, fmt::format("solution {} not found", id));
    return ok();
  });
}

}  // namespace kaiwu::report
