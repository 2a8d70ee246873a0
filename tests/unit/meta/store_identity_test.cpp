// Conformance: users and API keys.
#include <gtest/gtest.h>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::ApiKey;
using model::Role;
using model::User;
using V = std::vector<std::string>;

TEST_P(StoreConformance, UserCrud) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  User in;
  in.username = "zhang.san";
  in.display_name = "张三";
  in.role = Role::kEnterpriseAdmin;
  in.enterprise_id = e.id;
  in.password_hash = "$argon2id$v=19$abc";
  const User u = must(store().create_user(s, in));
  EXPECT_EQ(u.tenant_id, t.id);
  EXPECT_FALSE(u.id.empty());
  EXPECT_GT(u.created_ms, 0);

  const User got = must(store().get_user(s, u.id));
  EXPECT_EQ(got.username, "zhang.san");
  EXPECT_EQ(got.display_name, "张三");
  EXPECT_EQ(got.role, Role::kEnterpriseAdmin);
  EXPECT_EQ(got.enterprise_id, e.id);
  EXPECT_EQ(got.park_id, "");
  EXPECT_EQ(got.password_hash, "$argon2id$v=19$abc");
  EXPECT_FALSE(got.disabled);
  EXPECT_EQ(got.last_login_ms, 0);

  User change = got;
  change.display_name = "Zhang San";
  change.role = Role::kViewer;
  change.disabled = true;
  change.password_hash = "$argon2id$v=19$new";
  change.enterprise_id.clear();
  const User updated = must(store().update_user(s, change));
  EXPECT_EQ(updated.display_name, "Zhang San");
  EXPECT_EQ(updated.role, Role::kViewer);
  EXPECT_TRUE(updated.disabled);
  EXPECT_EQ(updated.password_hash, "$argon2id$v=19$new");
  EXPECT_EQ(updated.enterprise_id, "");
  EXPECT_EQ(updated.created_ms, u.created_ms);

  must(store().delete_user(s, u.id));
  EXPECT_ERR(store().get_user(s, u.id), Errc::kNotFound, u.id);
  EXPECT_ERR(store().update_user(s, change), Errc::kNotFound, u.id);
  EXPECT_ERR(store().delete_user(s, u.id), Errc::kNotFound, u.id);
}

TEST_P(StoreConformance, EveryRoleRoundTrips) {
  const auto t = add_tenant("t");
  for (Role r : model::all_roles()) {
    const std::string name = "user-" + std::string(model::role_name(r));
    const std::string tenant = r == Role::kPlatformAdmin ? "" : t.id;
    const User u = add_user(tenant, name, r);
    EXPECT_EQ(must(store().find_user_by_username(name)).role, r) << name;
    EXPECT_EQ(must(store().get_user(Scope::platform(), u.id)).role, r) << name;
  }
}

TEST_P(StoreConformance, PlatformAdminsHaveNoTenant) {
  const auto t = add_tenant("t");
  User u;
  u.username = "root";
  u.role = Role::kPlatformAdmin;
  const User admin = must(store().create_user(Scope::platform(), u));
  EXPECT_EQ(admin.tenant_id, "");
  EXPECT_EQ(must(store().get_user(Scope::platform(), admin.id)).tenant_id, "");
  EXPECT_ERR(store().get_user(Scope::tenant(t.id), admin.id), Errc::kNotFound, admin.id);

  u.username = "tenant-root";
  EXPECT_ERR(store().create_user(Scope::tenant(t.id), u), Errc::kInvalidArgument, "platform-admin");
  u.role = Role::kTenantAdmin;
  EXPECT_ERR(store().create_user(Scope::platform(), u), Errc::kInvalidArgument, "tenant_id");
}

TEST_P(StoreConformance, UsernameUniqueAcrossPlatformIgnoringCase) {
  const auto t = add_tenant("t");
  const auto other = add_tenant("other");
  add_user(t.id, "alice");
  User dup;
  dup.username = "alice";
  EXPECT_ERR(store().create_user(Scope::tenant(other.id), dup), Errc::kAlreadyExists, "username");
  dup.username = "ALICE";
  EXPECT_ERR(store().create_user(Scope::tenant(t.id), dup), Errc::kAlreadyExists, "username");
  EXPECT_EQ(must(store().find_user_by_username("Alice")).username, "alice");

  User bob = add_user(t.id, "bob");
  bob.username = "alice";
  EXPECT_ERR(store().update_user(Scope::tenant(t.id), bob), Errc::kAlreadyExists, "username");
  EXPECT_EQ(must(store().get_user(Scope::tenant(t.id), bob.id)).username, "bob");
}

TEST_P(StoreConformance, FindUserByUsername) {
  const auto t = add_tenant("t");
  const User u = add_user(t.id, "li.si", Role::kEngineer);
  const User found = must(store().find_user_by_username("li.si"));
  EXPECT_EQ(found.id, u.id);
  EXPECT_EQ(found.tenant_id, t.id);
  EXPECT_EQ(found.password_hash, u.password_hash);
  EXPECT_ERR(store().find_user_by_username("li"), Errc::kNotFound, "li");
  EXPECT_ERR(store().find_user_by_username("li.si%"), Errc::kNotFound, "li.si%");
}

TEST_P(StoreConformance, RecordLoginAndCountUsers) {
  EXPECT_EQ(must(store().count_users()), 0u);
  const auto t = add_tenant("t");
  const User u = add_user(t.id, "a");
  add_user(t.id, "b");
  add_user("", "root", Role::kPlatformAdmin);
  EXPECT_EQ(must(store().count_users()), 3u);

  must(store().record_login(u.id, 1'700'000'000'123));
  const User got = must(store().get_user(Scope::tenant(t.id), u.id));
  EXPECT_EQ(got.last_login_ms, 1'700'000'000'123);
  EXPECT_EQ(got.display_name, u.display_name);
  EXPECT_EQ(got.password_hash, u.password_hash);
  EXPECT_ERR(store().record_login("00000000000000000000", 1), Errc::kNotFound, "user");
}

TEST_P(StoreConformance, UserFilters) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e1 = add_enterprise(t.id, "e1");
  const auto e2 = add_enterprise(t.id, "e2");
  const auto a = add_user(t.id, "wang_wu", Role::kEngineer, e1.id).id;
  User named;
  named.username = "operator7";
  named.display_name = "Wang Liu";
  named.role = Role::kViewer;
  named.enterprise_id = e2.id;
  const auto b = must(store().create_user(s, named)).id;
  const auto c = add_user(t.id, "zhao", Role::kEngineer, e2.id).id;
  const auto d = add_user(t.id, "wangxx", Role::kTenantAdmin).id;

  auto list = [&](const UserFilter& f) {
    return ids_of(must(store().list_users(s, f, Page{})).items);
  };
  UserFilter f;
  EXPECT_EQ(list(f), (V{a, b, c, d}));
  f.q = "WANG";  // username or display name
  EXPECT_EQ(list(f), (V{a, b, d}));
  f.q = "_";  // a literal underscore, not "any character"
  EXPECT_EQ(list(f), (V{a}));
  f = {};
  f.role = Role::kEngineer;
  EXPECT_EQ(list(f), (V{a, c}));
  f.enterprise_id = e2.id;
  EXPECT_EQ(list(f), (V{c}));
  f.role.reset();
  EXPECT_EQ(list(f), (V{b, c}));
}

TEST_P(StoreConformance, UserReferencesChecked) {
  const auto t = add_tenant("t");
  User u;
  u.username = "x";
  u.enterprise_id = "00000000000000000000";
  EXPECT_ERR(store().create_user(Scope::tenant(t.id), u), Errc::kNotFound, "enterprise");
  u.enterprise_id.clear();
  u.park_id = "00000000000000000001";
  EXPECT_ERR(store().create_user(Scope::tenant(t.id), u), Errc::kNotFound, "park");
  EXPECT_ERR(store().find_user_by_username("x"), Errc::kNotFound, "x");
}

TEST_P(StoreConformance, ApiKeyCrud) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto creator = add_user(t.id, "creator", Role::kTenantAdmin);
  ApiKey in;
  in.enterprise_id = e.id;
  in.user_id = creator.id;
  in.name = "SCADA bridge";
  in.role = Role::kEngineer;
  in.prefix = "kw_3f9a";
  in.hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  in.expires_ms = 1'900'000'000'000;
  const ApiKey k = must(store().create_api_key(s, in));
  EXPECT_EQ(k.tenant_id, t.id);
  EXPECT_FALSE(k.id.empty());

  const ApiKey got = must(store().get_api_key(s, k.id));
  EXPECT_EQ(got.enterprise_id, e.id);
  EXPECT_EQ(got.user_id, creator.id);
  EXPECT_EQ(got.name, "SCADA bridge");
  EXPECT_EQ(got.role, Role::kEngineer);
  EXPECT_EQ(got.prefix, "kw_3f9a");
  EXPECT_EQ(got.hash, in.hash);
  EXPECT_EQ(got.expires_ms, 1'900'000'000'000);
  EXPECT_EQ(got.last_used_ms, 0);

  const ApiKey by_hash = must(store().find_api_key_by_hash(in.hash));
  EXPECT_EQ(by_hash.id, k.id);
  EXPECT_ERR(store().find_api_key_by_hash("nope"), Errc::kNotFound, "api key");

  must(store().touch_api_key(k.id, 1'700'000'000'999));
  const ApiKey touched = must(store().get_api_key(s, k.id));
  EXPECT_EQ(touched.last_used_ms, 1'700'000'000'999);
  EXPECT_EQ(touched.name, "SCADA bridge");
  EXPECT_EQ(touched.expires_ms, 1'900'000'000'000);
  EXPECT_ERR(store().touch_api_key("00000000000000000000", 1), Errc::kNotFound, "api key");

  // A user who created keys stays until the keys are gone.
  EXPECT_ERR(store().delete_user(s, creator.id), Errc::kFailedPrecondition,
             "user still has 1 api key");
  must(store().delete_api_key(s, k.id));
  EXPECT_ERR(store().get_api_key(s, k.id), Errc::kNotFound, k.id);
  EXPECT_ERR(store().delete_api_key(s, k.id), Errc::kNotFound, k.id);
  must(store().delete_user(s, creator.id));
}

TEST_P(StoreConformance, ApiKeyHashUniqueAndFilters) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e1 = add_enterprise(t.id, "e1");
  const auto e2 = add_enterprise(t.id, "e2");
  const auto k1 = add_api_key(t.id, "one", e1.id).id;
  const auto k2 = add_api_key(t.id, "two", e2.id).id;
  const auto k3 = add_api_key(t.id, "three").id;
  const auto k4 = add_api_key(t.id, "four", e1.id).id;

  ApiKeyFilter f;
  EXPECT_EQ(ids_of(must(store().list_api_keys(s, f, Page{})).items), (V{k1, k2, k3, k4}));
  f.enterprise_id = e1.id;
  EXPECT_EQ(ids_of(must(store().list_api_keys(s, f, Page{})).items), (V{k1, k4}));

  ApiKey dup;
  dup.name = "dup";
  dup.hash = "sha256-of-" + t.id + "-one";
  EXPECT_ERR(store().create_api_key(s, dup), Errc::kAlreadyExists, "hash");
  dup.hash.clear();
  EXPECT_ERR(store().create_api_key(s, dup), Errc::kInvalidArgument, "hash");
}

TEST_P(StoreConformance, ApiKeyCreatorMustBeInTenantOrPlatform) {
  const auto t = add_tenant("t");
  const auto other = add_tenant("other");
  const auto stranger = add_user(other.id, "stranger");
  const auto root = add_user("", "root", Role::kPlatformAdmin);
  ApiKey k;
  k.name = "k";
  k.hash = "h1";
  k.user_id = stranger.id;
  EXPECT_ERR(store().create_api_key(Scope::tenant(t.id), k), Errc::kNotFound,
             "user " + stranger.id + " not found");
  k.user_id = root.id;
  EXPECT_EQ(must(store().create_api_key(Scope::tenant(t.id), k)).user_id, root.id);
}

}  // namespace
}  // namespace kaiwu::meta::testing
