#include "store_conformance.hpp"

namespace kaiwu::meta::testing {

std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

void StoreConformance::SetUp() {
  if (GetParam().unavailable) {
    if (const std::string why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " made no store";
}

void StoreConformance::TearDown() {
  if (IsSkipped()) return;
  store_.reset();
  if (GetParam().cleanup) GetParam().cleanup();
}

model::Tenant StoreConformance::add_tenant(const std::string& name) {
  model::Tenant t;
  t.name = name;
  t.description = "tenant " + name;
  return must(store().create_tenant(t));
}

model::Park StoreConformance::add_park(const std::string& tenant_id, const std::string& name,
                                       const std::string& level) {
  model::Park p;
  p.tenant_id = tenant_id;
  p.name = name;
  p.region = "江苏省苏州市";
  p.level = level;
  p.address = "星湖街 " + name;
  return must(store().create_park(Scope::tenant(tenant_id), p));
}

model::Enterprise StoreConformance::add_enterprise(const std::string& tenant_id,
                                                   const std::string& name,
                                                   const std::string& park_id) {
  model::Enterprise e;
  e.tenant_id = tenant_id;
  e.park_id = park_id;
  e.name = name;
  e.industry = "机械";
  return must(store().create_enterprise(Scope::tenant(tenant_id), e));
}

model::DeviceProfile StoreConformance::add_profile(const std::string& tenant_id,
                                                   const std::string& name) {
  model::DeviceProfile p;
  p.tenant_id = tenant_id;
  p.name = name;
  p.thing_model = R"({"properties":[]})";
  return must(store().create_profile(Scope::tenant(tenant_id), p));
}

model::Device StoreConformance::add_device(const std::string& tenant_id,
                                           const std::string& enterprise_id,
                                           const std::string& name) {
  model::Device d;
  d.tenant_id = tenant_id;
  d.enterprise_id = enterprise_id;
  d.name = name;
  d.category = model::Category::kProcessing;
  d.protocol = "mqtt";
  return must(store().create_device(Scope::tenant(tenant_id), d));
}

model::User StoreConformance::add_user(const std::string& tenant_id, const std::string& username,
                                       model::Role role, const std::string& enterprise_id,
                                       const std::string& park_id) {
  model::User u;
  u.tenant_id = tenant_id;
  u.username = username;
  u.display_name = "User " + username;
  u.role = role;
  u.enterprise_id = enterprise_id;
  u.park_id = park_id;
  u.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  const Scope s = tenant_id.empty() ? Scope::platform() : Scope::tenant(tenant_id);
  return must(store().create_user(s, u));
}

model::ApiKey StoreConformance::add_api_key(const std::string& tenant_id, const std::string& name,
                                            const std::string& enterprise_id) {
  model::ApiKey k;
  k.tenant_id = tenant_id;
  k.enterprise_id = enterprise_id;
  k.name = name;
  k.role = model::Role::kEngineer;
  k.prefix = "kw_" + name.substr(0, 3);
  k.hash = "sha256-of-" + tenant_id + "-" + name;
  return must(store().create_api_key(Scope::tenant(tenant_id), k));
}

TwoTenantWorld StoreConformance::make_two_tenants() {
  TwoTenantWorld w;
  w.a = add_tenant("tenant-a");
  w.b = add_tenant("tenant-b");
  w.sa = Scope::tenant(w.a.id);
  w.sb = Scope::tenant(w.b.id);
  w.park = add_park(w.a.id, "a-park");
  w.ent = add_enterprise(w.a.id, "a-ent", w.park.id);
  w.profile = add_profile(w.a.id, "a-profile");
  model::Device gw;
  gw.enterprise_id = w.ent.id;
  gw.name = "a-gateway";
  gw.is_gateway = true;
  gw.profile_id = w.profile.id;
  w.device = must(store().create_device(w.sa, gw));
  w.user = add_user(w.a.id, "a-user", model::Role::kEngineer, w.ent.id);
  w.key = add_api_key(w.a.id, "a-key", w.ent.id);
  w.b_ent = add_enterprise(w.b.id, "b-ent");
  w.b_profile = add_profile(w.b.id, "b-profile");
  w.b_device = add_device(w.b.id, w.b_ent.id, "b-device");
  return w;
}

NarrowingWorld StoreConformance::make_narrowing() {
  using model::Role;
  NarrowingWorld w;
  w.t = add_tenant("t");
  const std::string& t = w.t.id;
  w.p1 = add_park(t, "p1");
  w.p2 = add_park(t, "p2");
  w.e1 = add_enterprise(t, "e1", w.p1.id);
  w.e2 = add_enterprise(t, "e2", w.p2.id);
  w.e3 = add_enterprise(t, "e3");
  w.d1 = add_device(t, w.e1.id, "d1");
  w.d2 = add_device(t, w.e2.id, "d2");
  w.d3 = add_device(t, w.e3.id, "d3");
  w.u1 = add_user(t, "u1", Role::kEngineer, w.e1.id);
  w.u2 = add_user(t, "u2", Role::kEngineer, w.e2.id);
  w.park_admin = add_user(t, "boss1", Role::kParkAdmin, "", w.p1.id);
  w.tenant_admin = add_user(t, "admin", Role::kTenantAdmin);
  w.k1 = add_api_key(t, "k1", w.e1.id);
  w.k2 = add_api_key(t, "k2", w.e2.id);
  w.k_tenant = add_api_key(t, "kt");
  w.profile = add_profile(t, "shared");
  w.park_scope = Scope{t, w.p1.id, ""};
  w.ent_scope = Scope{t, "", w.e1.id};
  return w;
}

std::vector<model::Device> StoreConformance::all_devices(const Scope& s, const DeviceFilter& f) {
  std::vector<model::Device> out;
  Page p;
  p.limit = 1000;
  while (true) {
    auto page = must(store().list_devices(s, f, p));
    out.insert(out.end(), page.items.begin(), page.items.end());
    if (page.next.empty()) return out;
    p.cursor = page.next;
  }
}

}  // namespace kaiwu::meta::testing
