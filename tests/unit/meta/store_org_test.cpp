// Conformance: tenants, parks and enterprises.
#include <gtest/gtest.h>

#include <algorithm>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::Enterprise;
using model::Park;
using model::Tenant;

TEST_P(StoreConformance, SchemaVersionIsPositive) { EXPECT_GE(store().schema_version(), 1); }

TEST_P(StoreConformance, TenantCrud) {
  Tenant in;
  in.name = "苏州工业园";
  in.description = "first";
  const Tenant t = must(store().create_tenant(in));
  EXPECT_EQ(t.id.size(), 20u);
  EXPECT_GT(t.created_ms, 0);
  EXPECT_EQ(t.name, "苏州工业园");

  const Tenant got = must(store().get_tenant(t.id));
  EXPECT_EQ(got.id, t.id);
  EXPECT_EQ(got.name, "苏州工业园");
  EXPECT_EQ(got.description, "first");
  EXPECT_EQ(got.created_ms, t.created_ms);

  Tenant change = got;
  change.name = "Suzhou";
  change.description = "renamed";
  change.created_ms = 1;  // not mutable
  const Tenant updated = must(store().update_tenant(change));
  EXPECT_EQ(updated.name, "Suzhou");
  EXPECT_EQ(updated.description, "renamed");
  EXPECT_EQ(updated.created_ms, t.created_ms);
  EXPECT_EQ(must(store().get_tenant(t.id)).name, "Suzhou");

  must(store().delete_tenant(t.id));
  EXPECT_ERR(store().get_tenant(t.id), Errc::kNotFound, t.id);
  EXPECT_ERR(store().delete_tenant(t.id), Errc::kNotFound, t.id);
  change.id = "00000000000000000000";
  EXPECT_ERR(store().update_tenant(change), Errc::kNotFound, "tenant");
}

TEST_P(StoreConformance, CreateKeepsGivenIdAndTime) {
  Tenant in;
  in.id = "000000000000aabbccdd";
  in.name = "explicit";
  in.created_ms = 1234;
  const Tenant t = must(store().create_tenant(in));
  EXPECT_EQ(t.id, in.id);
  EXPECT_EQ(must(store().get_tenant(in.id)).created_ms, 1234);
  in.name = "other";
  EXPECT_ERR(store().create_tenant(in), Errc::kAlreadyExists, "id");
}

TEST_P(StoreConformance, TenantNameRequiredAndUnique) {
  EXPECT_ERR(store().create_tenant(Tenant{}), Errc::kInvalidArgument, "name");
  add_tenant("acme");
  Tenant dup;
  dup.name = "acme";
  EXPECT_ERR(store().create_tenant(dup), Errc::kAlreadyExists, "name");
  Tenant other = add_tenant("beta");
  other.name = "acme";
  EXPECT_ERR(store().update_tenant(other), Errc::kAlreadyExists, "name");
}

TEST_P(StoreConformance, TenantFilterIsCaseInsensitiveAndEscapesWildcards) {
  const Tenant a = add_tenant("Acme Corp");
  const Tenant b = add_tenant("acme east");
  const Tenant c = add_tenant("Beta 100% pure");
  const Tenant d = add_tenant("Beta_1");
  add_tenant("Beta 1000 pure");
  add_tenant("Beta11");

  auto names = [&](const std::string& q) {
    TenantFilter f;
    f.q = q;
    return ids_of(must(store().list_tenants(f, Page{})).items);
  };
  EXPECT_EQ(names("ACME"), (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(names("%"), (std::vector<std::string>{c.id}));
  EXPECT_EQ(names("_"), (std::vector<std::string>{d.id}));
  EXPECT_EQ(names("nobody"), std::vector<std::string>{});
  EXPECT_EQ(names("").size(), 6u);
}

TEST_P(StoreConformance, ParkCrudAndFilters) {
  const Tenant t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  Park in;
  in.name = "星湖园区";  // tenant_id left empty: taken from the scope
  in.region = "江苏省苏州市";
  in.level = "national";
  in.address = "1 Xinghu St";
  const Park p = must(store().create_park(s, in));
  EXPECT_EQ(p.tenant_id, t.id);
  EXPECT_FALSE(p.id.empty());

  const Park got = must(store().get_park(s, p.id));
  EXPECT_EQ(got.name, "星湖园区");
  EXPECT_EQ(got.region, "江苏省苏州市");
  EXPECT_EQ(got.level, "national");
  EXPECT_EQ(got.address, "1 Xinghu St");
  EXPECT_EQ(got.tenant_id, t.id);

  Park change = got;
  change.name = "Xinghu";
  change.level = "provincial";
  change.address = "";
  const Park updated = must(store().update_park(s, change));
  EXPECT_EQ(updated.name, "Xinghu");
  EXPECT_EQ(updated.level, "provincial");
  EXPECT_EQ(updated.address, "");
  EXPECT_EQ(updated.created_ms, p.created_ms);

  const Park p2 = add_park(t.id, "Jinji Lake", "municipal");
  const Park p3 = add_park(t.id, "xingang", "provincial");
  ParkFilter by_level;
  by_level.level = "provincial";
  EXPECT_EQ(ids_of(must(store().list_parks(s, by_level, Page{})).items),
            (std::vector<std::string>{p.id, p3.id}));
  ParkFilter by_name;
  by_name.q = "XIN";
  EXPECT_EQ(ids_of(must(store().list_parks(s, by_name, Page{})).items),
            (std::vector<std::string>{p.id, p3.id}));
  by_name.level = "municipal";
  EXPECT_TRUE(must(store().list_parks(s, by_name, Page{})).items.empty());

  must(store().delete_park(s, p2.id));
  EXPECT_ERR(store().get_park(s, p2.id), Errc::kNotFound, p2.id);
  EXPECT_EQ(must(store().list_parks(s, {}, Page{})).items.size(), 2u);
}

TEST_P(StoreConformance, ParkNameUniquePerTenant) {
  const Tenant t = add_tenant("t");
  const Tenant u = add_tenant("u");
  add_park(t.id, "Central");
  EXPECT_NO_THROW(add_park(u.id, "Central"));
  Park dup;
  dup.tenant_id = t.id;
  dup.name = "Central";
  EXPECT_ERR(store().create_park(Scope::tenant(t.id), dup), Errc::kAlreadyExists, "name");
}

TEST_P(StoreConformance, CreateNeedsAnExistingTenant) {
  Park p;
  p.name = "orphan";
  EXPECT_ERR(store().create_park(Scope::platform(), p), Errc::kInvalidArgument, "tenant_id");
  p.tenant_id = "00000000000000000000";
  EXPECT_ERR(store().create_park(Scope::platform(), p), Errc::kNotFound, "tenant");
}

TEST_P(StoreConformance, EnterpriseCrud) {
  const Tenant t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const Park park = add_park(t.id, "p");
  Enterprise in;
  in.park_id = park.id;
  in.name = "苏州精密机械有限公司";
  in.credit_code = "91320594MA1XXXXX0A";
  in.industry = "机械";
  in.sme = true;
  in.paid = false;
  in.address = "88 Suhong Rd";
  in.longitude = 120.7;
  in.latitude = 31.3;
  const Enterprise e = must(store().create_enterprise(s, in));
  EXPECT_EQ(e.tenant_id, t.id);

  const Enterprise got = must(store().get_enterprise(s, e.id));
  EXPECT_EQ(got.park_id, park.id);
  EXPECT_EQ(got.name, in.name);
  EXPECT_EQ(got.credit_code, in.credit_code);
  EXPECT_EQ(got.industry, "机械");
  EXPECT_TRUE(got.sme);
  EXPECT_FALSE(got.paid);
  EXPECT_EQ(got.address, "88 Suhong Rd");
  ASSERT_TRUE(got.longitude.has_value());
  ASSERT_TRUE(got.latitude.has_value());
  EXPECT_DOUBLE_EQ(*got.longitude, 120.7);
  EXPECT_DOUBLE_EQ(*got.latitude, 31.3);

  Enterprise change = got;
  change.park_id.clear();
  change.paid = true;
  change.sme = false;
  change.longitude.reset();
  change.latitude.reset();
  change.industry = "电子";
  const Enterprise updated = must(store().update_enterprise(s, change));
  EXPECT_EQ(updated.park_id, "");
  EXPECT_TRUE(updated.paid);
  EXPECT_FALSE(updated.sme);
  EXPECT_FALSE(updated.longitude.has_value());
  EXPECT_FALSE(updated.latitude.has_value());
  EXPECT_EQ(updated.industry, "电子");
  EXPECT_EQ(updated.created_ms, e.created_ms);

  must(store().delete_enterprise(s, e.id));
  EXPECT_ERR(store().get_enterprise(s, e.id), Errc::kNotFound, e.id);
  EXPECT_ERR(store().update_enterprise(s, change), Errc::kNotFound, e.id);
}

TEST_P(StoreConformance, EnterpriseWithoutCoordinatesReadsBackEmpty) {
  const Tenant t = add_tenant("t");
  const Enterprise e = add_enterprise(t.id, "no-geo");
  const Enterprise got = must(store().get_enterprise(Scope::tenant(t.id), e.id));
  EXPECT_FALSE(got.longitude.has_value());
  EXPECT_FALSE(got.latitude.has_value());
  EXPECT_EQ(got.park_id, "");
}

TEST_P(StoreConformance, EnterpriseFilters) {
  const Tenant t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const Park p1 = add_park(t.id, "p1");
  const Park p2 = add_park(t.id, "p2");
  auto make = [&](const std::string& name, const std::string& park, const std::string& industry,
                  bool sme, bool paid) {
    Enterprise e;
    e.name = name;
    e.park_id = park;
    e.industry = industry;
    e.sme = sme;
    e.paid = paid;
    return must(store().create_enterprise(s, e)).id;
  };
  const auto a = make("Alpha Machining", p1.id, "机械", true, false);
  const auto b = make("Beta Electronics", p1.id, "电子", false, true);
  const auto c = make("Gamma Power", p2.id, "电力", true, true);
  const auto d = make("alpha foods", "", "食品", false, false);

  auto list = [&](const EnterpriseFilter& f) {
    return ids_of(must(store().list_enterprises(s, f, Page{})).items);
  };
  using V = std::vector<std::string>;
  EnterpriseFilter f;
  EXPECT_EQ(list(f), (V{a, b, c, d}));
  f.q = "ALPHA";
  EXPECT_EQ(list(f), (V{a, d}));
  f = {};
  f.park_id = p1.id;
  EXPECT_EQ(list(f), (V{a, b}));
  f = {};
  f.industry = "电力";
  EXPECT_EQ(list(f), (V{c}));
  f = {};
  f.sme = true;
  EXPECT_EQ(list(f), (V{a, c}));
  f.sme = false;
  EXPECT_EQ(list(f), (V{b, d}));
  f = {};
  f.paid = true;
  EXPECT_EQ(list(f), (V{b, c}));
  f.sme = true;
  EXPECT_EQ(list(f), (V{c}));
  f.park_id = p1.id;
  EXPECT_EQ(list(f), V{});
}

TEST_P(StoreConformance, CreditCodeUniquePerTenantWhenPresent) {
  const Tenant t = add_tenant("t");
  const Tenant u = add_tenant("u");
  const Scope s = Scope::tenant(t.id);
  Enterprise e;
  e.name = "one";
  e.credit_code = "91320594MA1XXXXX0A";
  must(store().create_enterprise(s, e));
  e.name = "two";
  EXPECT_ERR(store().create_enterprise(s, e), Errc::kAlreadyExists, "credit_code");
  e.tenant_id.clear();
  EXPECT_TRUE(store().create_enterprise(Scope::tenant(u.id), e).has_value());
  // Empty codes never collide.
  e.credit_code.clear();
  e.name = "three";
  must(store().create_enterprise(s, e));
  e.name = "four";
  EXPECT_TRUE(store().create_enterprise(s, e).has_value());
}

TEST_P(StoreConformance, DeleteRestrictedWhileReferenced) {
  const Tenant t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const Park park = add_park(t.id, "p");
  const Enterprise e = add_enterprise(t.id, "e", park.id);
  std::vector<std::string> devices;
  for (int i = 0; i < 3; ++i) devices.push_back(add_device(t.id, e.id, "d" + std::to_string(i)).id);

  EXPECT_ERR(store().delete_enterprise(s, e.id), Errc::kFailedPrecondition,
             "enterprise still has 3 devices");
  EXPECT_ERR(store().delete_park(s, park.id), Errc::kFailedPrecondition,
             "park still has 1 enterprise");
  EXPECT_ERR(store().delete_tenant(t.id), Errc::kFailedPrecondition, "1 park");
  const auto tenant_error = store().delete_tenant(t.id);
  ASSERT_FALSE(tenant_error.has_value());
  EXPECT_NE(tenant_error.error().message.find("3 devices"), std::string::npos);

  // Nothing was deleted.
  EXPECT_TRUE(store().get_enterprise(s, e.id).has_value());
  EXPECT_TRUE(store().get_park(s, park.id).has_value());

  for (const auto& id : devices) must(store().delete_device(s, id));
  const model::User u = add_user(t.id, "worker", model::Role::kEngineer, e.id);
  EXPECT_ERR(store().delete_enterprise(s, e.id), Errc::kFailedPrecondition, "1 user");
  must(store().delete_user(s, u.id));
  must(store().delete_enterprise(s, e.id));
  must(store().delete_park(s, park.id));
  must(store().delete_tenant(t.id));
  EXPECT_ERR(store().get_tenant(t.id), Errc::kNotFound, t.id);
}

TEST_P(StoreConformance, ParkWithAdminCannotBeDeleted) {
  const Tenant t = add_tenant("t");
  const Park park = add_park(t.id, "p");
  add_user(t.id, "park-boss", model::Role::kParkAdmin, "", park.id);
  EXPECT_ERR(store().delete_park(Scope::tenant(t.id), park.id), Errc::kFailedPrecondition,
             "park still has 1 user");
}

TEST_P(StoreConformance, EnterpriseReferencesMustExist) {
  const Tenant t = add_tenant("t");
  Enterprise e;
  e.name = "e";
  e.park_id = "00000000000000000000";
  EXPECT_ERR(store().create_enterprise(Scope::tenant(t.id), e), Errc::kNotFound,
             "park 00000000000000000000 not found");
}

}  // namespace
}  // namespace kaiwu::meta::testing
