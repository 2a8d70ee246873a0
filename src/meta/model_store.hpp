// ModelStore: the versioned catalogue of industrial models (models/ owns what a manifest means;
// this stores it). A model version is (owner, id, version): owner is a tenant, or none for the
// platform-wide public models every tenant sees. A tenant's own model shadows a public one with
// the same id.
//
// Contract:
//  - add_model_version: kAlreadyExists "model <id> version <v> already exists"; kNotFound for an
//    unknown tenant; seq is assigned (1, 2, … per model, publication order).
//  - get_model: the tenant's own model, else the public one; version "" = the highest seq.
//    kNotFound "model <id> not found" (also for another tenant's model) or
//    "model <id> has no version <v>".
//  - Listing returns the latest version of each model; counts count models (not versions) by
//    the type of their latest version.
// Thread-safe; calls block on disk: never call from an io_context thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta {

struct ModelRecord {
  std::string tenant_id;  // empty: public (platform-wide)
  std::string id;
  std::string version;
  std::int64_t seq = 0;
  std::string type;  // research_simulation | business_process | mechanism | data_algorithm
  std::string name_zh, name_en;
  std::string manifest;  // JSON text
  bool deprecated = false;
  std::string created_by;
  std::int64_t created_ms = 0;
};

struct ModelQuery {
  std::string tenant_id;             // the caller's tenant ("" with all_tenants: platform view)
  bool all_tenants = false;          // every tenant's models and the public ones
  bool include_public = true;
  bool public_only = false;
  std::string type;                  // "" = any
  std::string q;                     // id or name contains
  bool include_deprecated = false;
};

class ModelStore {
 public:
  virtual ~ModelStore() = default;
  virtual Result<ModelRecord> add_model_version(const ModelRecord& m) = 0;
  virtual Result<ModelRecord> get_model(const std::string& tenant_id, const std::string& id,
                                        const std::string& version) = 0;
  // Every version of the model get_model would find, newest first.
  virtual Result<std::vector<ModelRecord>> list_model_versions(const std::string& tenant_id,
                                                               const std::string& id) = 0;
  virtual Result<PageOf<ModelRecord>> list_models(const ModelQuery& q, const Page& p) = 0;
  // owner "" = the public model. version "" = every version. kNotFound when nothing matched.
  virtual Status set_model_deprecated(const std::string& owner, const std::string& id,
                                      const std::string& version, bool deprecated) = 0;
  // (type, number of models) for the four types, zeros included.
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> count_models_by_type(
      const ModelQuery& q) = 0;
};

// One implementation on the sql::Db seam (sql_model_store.cpp), two ways to open it. SQLite: its
// own connection to the metadata database file (WAL lets it share the file with SqliteStore),
// calls serialised. PostgreSQL: its own pool of pool_size connections to the cluster's metadata
// database (every node sees one catalogue). Both apply pending migrations on open, like the
// metadata stores.
Result<std::unique_ptr<ModelStore>> open_sqlite_model_store(const std::string& path);
Result<std::unique_ptr<ModelStore>> open_pg_model_store(const std::string& conninfo, std::size_t pool_size = 4);

}  // namespace kaiwu::meta
