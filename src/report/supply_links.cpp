#include "report/supply_links.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <utility>

#include "core/ids.hpp"
#include "meta/sql.hpp"

namespace kaiwu::report {

using meta::sql::Db;
using meta::sql::Query;
using meta::sql::Row;

namespace {

constexpr std::string_view kColumns =
    "SELECT id, tenant_id, supplier_enterprise_id, customer_enterprise_id, material, created_ms FROM supply_links";

Result<SupplyLink> read_link(const Row& r) {
  return SupplyLink{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.int64(5)};
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

Query by_id(std::string_view head, const std::string& tenant_id, const std::string& id) {
  Query q(head);
  q.where("id = ?", {id});
  if (!tenant_id.empty()) q.where("tenant_id = ?", {tenant_id});
  return q;
}

Result<SupplyLink> find(Db& db, const std::string& tenant_id, const std::string& id) {
  auto link = KAIWU_TRY(db.one(by_id(kColumns, tenant_id, id), read_link));
  if (!link) return fail(Errc::kNotFound, fmt::format("supply link {} not found", id));
  return std::move(*link);
}

Status check_unique(Db& db, const SupplyLink& l) {
  Query dup("SELECT COUNT(*) FROM supply_links");
  dup.where("tenant_id = ?", {l.tenant_id})
      .where("supplier_enterprise_id = ?", {l.supplier_enterprise_id})
      .where("customer_enterprise_id = ?", {l.customer_enterprise_id})
      .where("material = ?", {l.material})
      .where("id <> ?", {l.id});
  if (KAIWU_TRY(db.scalar(dup)) > 0)
    return fail(Errc::kAlreadyExists, fmt::format("enterprise {} already supplies {} with \"{}\"",
                                                  l.supplier_enterprise_id, l.customer_enterprise_id, l.material));
  return ok();
}

}  // namespace

Result<SupplyLink> SupplyLinkStore::create(const SupplyLink& in) {
  if (in.supplier_enterprise_id == in.customer_enterprise_id)
    return fail(Errc::kInvalidArgument, "customerEnterpriseId: an enterprise cannot supply itself");
  return on<SupplyLink>(db_, [&](Db& db) -> Result<SupplyLink> {
    SupplyLink l = in;
    l.id = new_id();
    l.created_ms = now_ms();
    KAIWU_TRY_STATUS(check_unique(db, l));
    KAIWU_TRY_STATUS(db.run(Query(
        "INSERT INTO supply_links (id, tenant_id, supplier_enterprise_id, customer_enterprise_id, material, "
        "created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        {l.id, l.tenant_id, l.supplier_enterprise_id, l.customer_enterprise_id, l.material, l.created_ms})));
    return l;
  });
}

Result<SupplyLink> SupplyLinkStore::get(const std::string& tenant_id, const std::string& id) {
  return on<SupplyLink>(db_, [&](Db& db) { return find(db, tenant_id, id); });
}

Result<std::vector<SupplyLink>> SupplyLinkStore::list(const std::string& tenant_id, std::size_t limit) {
  return on<std::vector<SupplyLink>>(db_, [&](Db& db) {
    Query q(kColumns);
    if (!tenant_id.empty()) q.where("tenant_id = ?", {tenant_id});
    q.tail("ORDER BY id LIMIT ?", {static_cast<std::int64_t>(limit)});
    return db.all(q, read_link);
  });
}

Result<SupplyLink> SupplyLinkStore::set_material(const std::string& tenant_id, const std::string& id,
                                                 const std::string& material) {
  return on<SupplyLink>(db_, [&](Db& db) -> Result<SupplyLink> {
    auto l = KAIWU_TRY(find(db, tenant_id, id));
    l.material = material;
    KAIWU_TRY_STATUS(check_unique(db, l));
    KAIWU_TRY_STATUS(db.run(Query("UPDATE supply_links SET material = ? WHERE id = ?", {l.material, l.id})));
    return l;
  });
}

Status SupplyLinkStore::remove(const std::string& tenant_id, const std::string& id) {
  return db_.with_db([&](Db& db) -> Status {
    auto n = KAIWU_TRY(db.run(by_id("DELETE FROM supply_links", tenant_id, id)));
    if (n == 0) return fail(Errc::kNotFound, fmt::format("supply link {} not found", id));
    return ok();
  });
}

namespace {

// Who typically supplies whom in an industrial park, and with what (demo data only).
struct TypicalLink {
  std::string_view supplier_industry, customer_industry, material;
};
constexpr std::array<TypicalLink, 10> kTypical{{
    {"热力和燃气", "机械", "蒸汽"},
    {"热力和燃气", "电子", "蒸汽"},
    {"热力和燃气", "食品", "蒸汽"},
    {"热力和燃气", "医药", "蒸汽"},
    {"热力和燃气", "纺织", "蒸汽"},
    {"电子", "机械", "控制器"},
    {"机械", "汽车", "机加工零部件"},
    {"电子", "汽车", "车规芯片"},
    {"纺织", "汽车", "座椅面料"},
    {"机械", "建材", "设备备件"},
}};

}  // namespace

Status seed_demo_supply_links(meta::MetadataStore& store, const std::string& tenant_id) {
  auto* sql = dynamic_cast<meta::SqlStore*>(&store);
  if (!sql) return ok();
  SupplyLinkStore links(*sql);
  if (!KAIWU_TRY(links.list(tenant_id, 1)).empty()) return ok();
  auto page = KAIWU_TRY(store.list_enterprises(meta::Scope::tenant(tenant_id), {}, meta::Page{100, {}, 0}));
  for (const auto& t : kTypical)
    for (const auto& s : page.items)
      for (const auto& c : page.items)
        if (s.industry == t.supplier_industry && c.industry == t.customer_industry && s.id != c.id)
          KAIWU_TRY(links.create({{}, tenant_id, s.id, c.id, std::string(t.material), 0}));
  return ok();
}

}  // namespace kaiwu::report
