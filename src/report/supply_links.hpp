// Supply links: declared supplier → customer relations between two enterprises of one tenant
// (table supply_links, schema version 12 of meta/schema.cpp and meta/pg_schema.cpp).
//
// SupplyLinkStore keeps them on the metadata store's own connection (meta::SqlStore::with_db),
// as apps::SqlAppStore does, rather than as new MetadataStore methods: the links are the report
// module's data, the same SQL runs on SQLite and PostgreSQL, and the MetadataStore interface
// (and every fake of it) stays as it is. The store checks only what the database knows (ids,
// duplicates, self links); whether the caller may manage both ends is the routes' job
// (meta::MetadataStore::get_enterprise in the caller's scope). Any thread may call it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "meta/sql_store.hpp"

namespace kaiwu::report {

struct SupplyLink {
  std::string id;
  std::string tenant_id;
  std::string supplier_enterprise_id;
  std::string customer_enterprise_id;
  std::string material;  // what flows, free text ("" : unspecified)
  std::int64_t created_ms = 0;
};

class SupplyLinkStore {
 public:
  explicit SupplyLinkStore(meta::SqlStore& db) : db_(db) {}

  // Fills id and created_ms. kInvalidArgument for a self link, kAlreadyExists for the same
  // supplier, customer and material twice in the tenant.
  Result<SupplyLink> create(const SupplyLink& link);
  // kNotFound unless the link exists in the tenant ("" : any tenant).
  Result<SupplyLink> get(const std::string& tenant_id, const std::string& id);
  // Links of a tenant ("" : every tenant), oldest first, at most `limit`.
  Result<std::vector<SupplyLink>> list(const std::string& tenant_id, std::size_t limit = 10000);
  // Changes the material; kAlreadyExists when that makes a duplicate.
  Result<SupplyLink> set_material(const std::string& tenant_id, const std::string& id,
                                  const std::string& material);
  Status remove(const std::string& tenant_id, const std::string& id);

 private:
  meta::SqlStore& db_;
};

// Demo data: links between the tenant's enterprises along typical industry pairs (热力和燃气
// supplies steam to 机械, 电子, 食品, 医药, 纺织; 机械, 电子 and 纺织 supply 汽车; …). Does
// nothing when the tenant has links already.
Status seed_demo_supply_links(meta::MetadataStore& store, const std::string& tenant_id);

}  // namespace kaiwu::report
