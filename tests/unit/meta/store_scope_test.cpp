// Conformance: tenant isolation and park / enterprise scope narrowing.
#include <gtest/gtest.h>

#include <algorithm>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::Role;
using V = std::vector<std::string>;

bool contains(const V& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST_P(StoreConformance, TwoTenantsOtherTenantsObjectsDoNotExistForGet) {
  const TwoTenantWorld w = make_two_tenants();
  EXPECT_ERR(store().get_park(w.sb, w.park.id), Errc::kNotFound, w.park.id);
  EXPECT_ERR(store().get_enterprise(w.sb, w.ent.id), Errc::kNotFound, w.ent.id);
  EXPECT_ERR(store().get_profile(w.sb, w.profile.id), Errc::kNotFound, w.profile.id);
  EXPECT_ERR(store().get_device(w.sb, w.device.id), Errc::kNotFound, w.device.id);
  EXPECT_ERR(store().get_user(w.sb, w.user.id), Errc::kNotFound, w.user.id);
  EXPECT_ERR(store().get_api_key(w.sb, w.key.id), Errc::kNotFound, w.key.id);
  // The owner and the platform see them.
  EXPECT_TRUE(store().get_device(w.sa, w.device.id).has_value());
  EXPECT_TRUE(store().get_device(Scope::platform(), w.device.id).has_value());
  EXPECT_TRUE(store().get_user(Scope::platform(), w.user.id).has_value());
}

TEST_P(StoreConformance, TwoTenantsOtherTenantsObjectsCannotBeUpdated) {
  const TwoTenantWorld w = make_two_tenants();
  model::Park park = w.park;
  park.name = "hijacked";
  EXPECT_ERR(store().update_park(w.sb, park), Errc::kNotFound, w.park.id);
  model::Enterprise ent = w.ent;
  ent.name = "hijacked";
  ent.park_id.clear();
  EXPECT_ERR(store().update_enterprise(w.sb, ent), Errc::kNotFound, w.ent.id);
  model::DeviceProfile profile = w.profile;
  profile.name = "hijacked";
  EXPECT_ERR(store().update_profile(w.sb, profile), Errc::kNotFound, w.profile.id);
  model::Device device = w.device;
  device.name = "hijacked";
  EXPECT_ERR(store().update_device(w.sb, device), Errc::kNotFound, w.device.id);
  device.enterprise_id = w.b_ent.id;
  device.profile_id.clear();
  EXPECT_ERR(store().update_device(w.sb, device), Errc::kNotFound, w.device.id);
  model::User user = w.user;
  user.display_name = "hijacked";
  user.enterprise_id.clear();
  EXPECT_ERR(store().update_user(w.sb, user), Errc::kNotFound, w.user.id);

  EXPECT_EQ(must(store().get_park(w.sa, w.park.id)).name, "a-park");
  EXPECT_EQ(must(store().get_enterprise(w.sa, w.ent.id)).name, "a-ent");
  EXPECT_EQ(must(store().get_profile(w.sa, w.profile.id)).name, "a-profile");
  EXPECT_EQ(must(store().get_device(w.sa, w.device.id)).name, "a-gateway");
  EXPECT_EQ(must(store().get_user(w.sa, w.user.id)).display_name, w.user.display_name);
}

TEST_P(StoreConformance, TwoTenantsOtherTenantsObjectsCannotBeDeleted) {
  const TwoTenantWorld w = make_two_tenants();
  EXPECT_ERR(store().delete_api_key(w.sb, w.key.id), Errc::kNotFound, w.key.id);
  EXPECT_ERR(store().delete_user(w.sb, w.user.id), Errc::kNotFound, w.user.id);
  EXPECT_ERR(store().delete_device(w.sb, w.device.id), Errc::kNotFound, w.device.id);
  EXPECT_ERR(store().delete_profile(w.sb, w.profile.id), Errc::kNotFound, w.profile.id);
  EXPECT_ERR(store().delete_enterprise(w.sb, w.ent.id), Errc::kNotFound, w.ent.id);
  EXPECT_ERR(store().delete_park(w.sb, w.park.id), Errc::kNotFound, w.park.id);
  EXPECT_TRUE(store().get_api_key(w.sa, w.key.id).has_value());
  EXPECT_TRUE(store().get_user(w.sa, w.user.id).has_value());
  EXPECT_TRUE(store().get_device(w.sa, w.device.id).has_value());
}

TEST_P(StoreConformance, TwoTenantsListsNeverShowOtherTenants) {
  const TwoTenantWorld w = make_two_tenants();
  const Page p;
  EXPECT_TRUE(must(store().list_parks(w.sb, {}, p)).items.empty());
  EXPECT_EQ(ids_of(must(store().list_enterprises(w.sb, {}, p)).items), V{w.b_ent.id});
  EXPECT_EQ(ids_of(must(store().list_profiles(w.sb, {}, p)).items), V{w.b_profile.id});
  EXPECT_EQ(ids_of(must(store().list_devices(w.sb, {}, p)).items), V{w.b_device.id});
  EXPECT_TRUE(must(store().list_users(w.sb, {}, p)).items.empty());
  EXPECT_TRUE(must(store().list_api_keys(w.sb, {}, p)).items.empty());

  // Filters naming the other tenant's objects find nothing either.
  DeviceFilter by_enterprise;
  by_enterprise.enterprise_id = w.ent.id;
  EXPECT_TRUE(must(store().list_devices(w.sb, by_enterprise, p)).items.empty());
  EnterpriseFilter by_park;
  by_park.park_id = w.park.id;
  EXPECT_TRUE(must(store().list_enterprises(w.sb, by_park, p)).items.empty());

  // The platform sees both tenants.
  const V all = ids_of(must(store().list_devices(Scope::platform(), {}, p)).items);
  EXPECT_TRUE(contains(all, w.device.id));
  EXPECT_TRUE(contains(all, w.b_device.id));
}

TEST_P(StoreConformance, TwoTenantsCreatesCannotReferenceAnotherTenant) {
  const TwoTenantWorld w = make_two_tenants();
  model::Device d;
  d.name = "intruder";
  d.enterprise_id = w.ent.id;
  EXPECT_ERR(store().create_device(w.sb, d), Errc::kNotFound,
             "enterprise " + w.ent.id + " not found");
  d.enterprise_id = w.b_ent.id;
  d.profile_id = w.profile.id;
  EXPECT_ERR(store().create_device(w.sb, d), Errc::kNotFound,
             "profile " + w.profile.id + " not found");
  d.profile_id.clear();
  d.gateway_id = w.device.id;
  EXPECT_ERR(store().create_device(w.sb, d), Errc::kNotFound, w.device.id);
  d.gateway_id.clear();
  d.tenant_id = w.a.id;  // naming another tenant than the scope's
  EXPECT_ERR(store().create_device(w.sb, d), Errc::kNotFound, "tenant");

  // Even the platform scope cannot make a cross-tenant reference.
  d.tenant_id = w.b.id;
  d.enterprise_id = w.ent.id;
  EXPECT_ERR(store().create_device(Scope::platform(), d), Errc::kNotFound, w.ent.id);

  model::Enterprise e;
  e.name = "intruder";
  e.park_id = w.park.id;
  EXPECT_ERR(store().create_enterprise(w.sb, e), Errc::kNotFound, "park " + w.park.id);
  model::User u;
  u.username = "intruder";
  u.enterprise_id = w.ent.id;
  EXPECT_ERR(store().create_user(w.sb, u), Errc::kNotFound, w.ent.id);
  model::ApiKey k;
  k.name = "intruder";
  k.hash = "intruder-hash";
  k.enterprise_id = w.ent.id;
  EXPECT_ERR(store().create_api_key(w.sb, k), Errc::kNotFound, w.ent.id);
  k.enterprise_id.clear();
  k.user_id = w.user.id;
  EXPECT_ERR(store().create_api_key(w.sb, k), Errc::kNotFound, w.user.id);

  EXPECT_EQ(ids_of(all_devices(w.sb)), V{w.b_device.id});
  EXPECT_EQ(must(store().count_users()), 1u);
}

TEST_P(StoreConformance, TwoTenantsUpdatesCannotMoveIntoAnotherTenant) {
  const TwoTenantWorld w = make_two_tenants();
  model::Device d = w.b_device;
  d.enterprise_id = w.ent.id;
  EXPECT_ERR(store().update_device(w.sb, d), Errc::kNotFound, w.ent.id);
  d.enterprise_id = w.b_ent.id;
  d.profile_id = w.profile.id;
  EXPECT_ERR(store().update_device(w.sb, d), Errc::kNotFound, w.profile.id);
  EXPECT_EQ(must(store().get_device(w.sb, w.b_device.id)).enterprise_id, w.b_ent.id);
  EXPECT_EQ(must(store().get_device(w.sb, w.b_device.id)).profile_id, "");
  model::Enterprise e = w.b_ent;
  e.park_id = w.park.id;
  EXPECT_ERR(store().update_enterprise(Scope::platform(), e), Errc::kNotFound, w.park.id);
}

TEST_P(StoreConformance, NarrowingParkScopeSeesItsParkAndWhatIsInIt) {
  const NarrowingWorld w = make_narrowing();
  const Scope& s = w.park_scope;
  const Page p;
  EXPECT_TRUE(store().get_park(s, w.p1.id).has_value());
  EXPECT_ERR(store().get_park(s, w.p2.id), Errc::kNotFound, w.p2.id);
  EXPECT_EQ(ids_of(must(store().list_parks(s, {}, p)).items), (V{w.p1.id, w.p2.id}));

  EXPECT_EQ(ids_of(must(store().list_enterprises(s, {}, p)).items), V{w.e1.id});
  EXPECT_ERR(store().get_enterprise(s, w.e2.id), Errc::kNotFound, w.e2.id);
  EXPECT_ERR(store().get_enterprise(s, w.e3.id), Errc::kNotFound, w.e3.id);

  EXPECT_EQ(ids_of(must(store().list_devices(s, {}, p)).items), V{w.d1.id});
  EXPECT_ERR(store().get_device(s, w.d2.id), Errc::kNotFound, w.d2.id);
  EXPECT_ERR(store().get_device(s, w.d3.id), Errc::kNotFound, w.d3.id);

  EXPECT_EQ(ids_of(must(store().list_users(s, {}, p)).items), (V{w.u1.id, w.park_admin.id}));
  EXPECT_ERR(store().get_user(s, w.u2.id), Errc::kNotFound, w.u2.id);
  EXPECT_ERR(store().get_user(s, w.tenant_admin.id), Errc::kNotFound, w.tenant_admin.id);

  EXPECT_EQ(ids_of(must(store().list_api_keys(s, {}, p)).items), V{w.k1.id});
  EXPECT_ERR(store().get_api_key(s, w.k2.id), Errc::kNotFound, w.k2.id);
  EXPECT_ERR(store().get_api_key(s, w.k_tenant.id), Errc::kNotFound, w.k_tenant.id);

  EXPECT_TRUE(store().get_profile(s, w.profile.id).has_value());
  EXPECT_EQ(must(store().list_profiles(s, {}, p)).items.size(), 1u);
}

TEST_P(StoreConformance, NarrowingParkScopeWritesStayInThePark) {
  const NarrowingWorld w = make_narrowing();
  const Scope& s = w.park_scope;
  model::Enterprise e;
  e.name = "new-in-park";
  const auto created = must(store().create_enterprise(s, e));
  EXPECT_EQ(created.park_id, w.p1.id);
  e.name = "elsewhere";
  e.park_id = w.p2.id;
  EXPECT_ERR(store().create_enterprise(s, e), Errc::kNotFound, "park " + w.p2.id);

  model::Device d;
  d.name = "x";
  d.enterprise_id = w.e2.id;
  EXPECT_ERR(store().create_device(s, d), Errc::kNotFound, "enterprise " + w.e2.id);
  d.enterprise_id = w.e1.id;
  EXPECT_EQ(must(store().create_device(s, d)).enterprise_id, w.e1.id);

  model::Enterprise move = w.e1;
  move.park_id = w.p2.id;
  EXPECT_ERR(store().update_enterprise(s, move), Errc::kNotFound, w.p2.id);
  move.park_id.clear();  // would leave the park scope
  EXPECT_ERR(store().update_enterprise(s, move), Errc::kFailedPrecondition, "scope");
  EXPECT_EQ(must(store().get_enterprise(s, w.e1.id)).park_id, w.p1.id);

  model::Park park;
  park.name = "p3";  // a new park is outside a park scope
  EXPECT_ERR(store().create_park(s, park), Errc::kFailedPrecondition, "scope");
  EXPECT_EQ(must(store().list_parks(Scope::tenant(w.t.id), {}, Page{})).items.size(), 2u);

  EXPECT_ERR(store().delete_device(s, w.d2.id), Errc::kNotFound, w.d2.id);
  EXPECT_ERR(store().delete_park(s, w.p2.id), Errc::kNotFound, w.p2.id);
  EXPECT_TRUE(store().get_device(Scope::tenant(w.t.id), w.d2.id).has_value());

  model::User u;
  u.username = "new-park-user";
  const auto user = must(store().create_user(s, u));
  EXPECT_EQ(user.park_id, w.p1.id);
}

TEST_P(StoreConformance, NarrowingEnterpriseScopeSeesOnlyItsEnterprise) {
  const NarrowingWorld w = make_narrowing();
  const Scope& s = w.ent_scope;
  const Page p;
  EXPECT_EQ(ids_of(must(store().list_enterprises(s, {}, p)).items), V{w.e1.id});
  EXPECT_ERR(store().get_enterprise(s, w.e2.id), Errc::kNotFound, w.e2.id);
  EXPECT_EQ(ids_of(must(store().list_devices(s, {}, p)).items), V{w.d1.id});
  EXPECT_ERR(store().get_device(s, w.d3.id), Errc::kNotFound, w.d3.id);
  EXPECT_EQ(ids_of(must(store().list_users(s, {}, p)).items), V{w.u1.id});
  EXPECT_ERR(store().get_user(s, w.park_admin.id), Errc::kNotFound, w.park_admin.id);
  EXPECT_EQ(ids_of(must(store().list_api_keys(s, {}, p)).items), V{w.k1.id});
  EXPECT_ERR(store().get_api_key(s, w.k_tenant.id), Errc::kNotFound, w.k_tenant.id);
  // Tenant-wide reads.
  EXPECT_EQ(ids_of(must(store().list_parks(s, {}, p)).items), (V{w.p1.id, w.p2.id}));
  EXPECT_TRUE(store().get_park(s, w.p2.id).has_value());
  EXPECT_TRUE(store().get_profile(s, w.profile.id).has_value());
}

TEST_P(StoreConformance, NarrowingEnterpriseScopeWritesStayInTheEnterprise) {
  const NarrowingWorld w = make_narrowing();
  const Scope& s = w.ent_scope;
  model::Device d;
  d.name = "new";
  const auto created = must(store().create_device(s, d));
  EXPECT_EQ(created.enterprise_id, w.e1.id);
  EXPECT_EQ(created.tenant_id, w.t.id);
  d.name = "other";
  d.enterprise_id = w.e2.id;
  EXPECT_ERR(store().create_device(s, d), Errc::kNotFound, w.e2.id);

  model::Device move = w.d1;
  move.enterprise_id = w.e3.id;
  EXPECT_ERR(store().update_device(s, move), Errc::kNotFound, w.e3.id);
  EXPECT_EQ(must(store().get_device(s, w.d1.id)).enterprise_id, w.e1.id);

  model::ApiKey k;
  k.name = "mine";
  k.hash = "mine-hash";
  EXPECT_EQ(must(store().create_api_key(s, k)).enterprise_id, w.e1.id);
  model::User u;
  u.username = "mine";
  EXPECT_EQ(must(store().create_user(s, u)).enterprise_id, w.e1.id);

  model::Enterprise e;
  e.name = "sibling";  // outside an enterprise scope
  EXPECT_ERR(store().create_enterprise(s, e), Errc::kFailedPrecondition, "scope");
  EXPECT_ERR(store().delete_enterprise(s, w.e2.id), Errc::kNotFound, w.e2.id);
  EXPECT_ERR(store().delete_user(s, w.u2.id), Errc::kNotFound, w.u2.id);
  EXPECT_ERR(store().delete_api_key(s, w.k2.id), Errc::kNotFound, w.k2.id);
}

}  // namespace
}  // namespace kaiwu::meta::testing
