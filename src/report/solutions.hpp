// The solution catalogue (MIIT indicator 3.1, 解决方案供给): platform-wide bundles of APPs,
// models and device profiles for industries × APP domains, with the technologies they use and
// the number of cases. The coverage figures of the indicators (industries and domains covered)
// are counted from it. SqlSolutionStore keeps it in the metadata database (migration 11: tables
// `solutions` and `solution_members`, SQLite and PostgreSQL twins).
//
// Errors: kNotFound "solution <id> not found"; kInvalidArgument naming the field
// ("industries[2]: \"钢铁\" is not one of the form's 22 industries"; "appIds[0]: no APP
// kaiwu-x"); kAlreadyExists for a taken id. Thread-safe; calls block on the database.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "meta/sql_store.hpp"

namespace kaiwu::apps { class AppStore; }
namespace kaiwu::meta { class ModelStore; }

namespace kaiwu::report {

struct Solution {
  std::string id;
  std::string name_zh, name_en, description_zh, description_en;
  std::vector<std::string> industries;    // of model::industries() (the form's 22)
  std::vector<std::string> domains;       // the nine APP domain codes (apps::domain_name)
  std::vector<std::string> app_ids;       // APPs of the marketplace
  std::vector<std::string> model_ids;     // public models of the catalogue
  std::vector<std::string> profile_ids;   // device profiles
  std::vector<std::string> technologies;  // of technologies()
  std::int64_t cases = 0;                 // effective cases (deployments) of the solution
  std::string created_by;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

// The new-IT technologies the form names: 5g, bigdata, ai, digitaltwin, blockchain, arvr.
const std::vector<std::string>& technologies();
std::string_view technology_label_zh(std::string_view code);  // "5G", "大数据", …

// JSON (camelCase) both ways. solution_from_json applies the fields present in `body` to `into`
// (creating: names required) and checks every value but the references; unknown fields are
// refused by name.
boost::json::object solution_to_json(const Solution& s);
Status solution_from_json(const boost::json::object& body, Solution& into, bool creating);

// Every APP and model id must exist (apps: any APP of the marketplace; models: a public model
// or one of any tenant), every profile id must exist (platform scope). Null stores skip that
// check. kInvalidArgument "appIds[1]: no APP kaiwu-x".
class ReferenceChecker {
 public:
  virtual ~ReferenceChecker() = default;
  virtual bool app_exists(const std::string& id) = 0;
  virtual bool model_exists(const std::string& id) = 0;
  virtual bool profile_exists(const std::string& id) = 0;
};
Status check_references(const Solution& s, ReferenceChecker& refs);

class SolutionStore {
 public:
  virtual ~SolutionStore() = default;
  // Fills id (when empty), created_ms and updated_ms.
  virtual Result<Solution> create(const Solution& s) = 0;
  virtual Result<Solution> get(const std::string& id) = 0;
  virtual Result<std::vector<Solution>> list() = 0;  // by id
  // Replaces every mutable field of the solution with s.id.
  virtual Result<Solution> update(const Solution& s) = 0;
  virtual Status remove(const std::string& id) = 0;
};

// On the metadata store's connection (meta::SqlStore::with_db), SQLite or PostgreSQL.
class SqlSolutionStore final : public SolutionStore {
 public:
  explicit SqlSolutionStore(meta::SqlStore& db) : db_(db) {}
  Result<Solution> create(const Solution& s) override;
  Result<Solution> get(const std::string& id) override;
  Result<std::vector<Solution>> list() override;
  Result<Solution> update(const Solution& s) override;
  Status remove(const std::string& id) override;

 private:
  meta::SqlStore& db_;
};

}  // namespace kaiwu::report
