// StoreAuthenticator against a hand-written fake of meta::MetadataStore: only the user and API
// key lookups are real; every other method fails with kInternal so an unexpected call shows.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "http/auth.hpp"

namespace kaiwu::http {
namespace {

using model::Role;

std::unexpected<Error> unused() { return fail(Errc::kInternal, "not used by StoreAuthenticator"); }

class FakeStore final : public meta::MetadataStore {
 public:
  std::map<std::string, model::User> users;                   // by id
  std::map<std::string, model::ApiKey> keys;                  // by hash
  std::vector<meta::Scope> get_user_scopes;                   // scope of each get_user call
  std::vector<std::pair<std::string, std::int64_t>> touched;  // touch_api_key calls

  Result<model::User> get_user(const meta::Scope& s, const std::string& id) override {
    get_user_scopes.push_back(s);
    auto it = users.find(id);
    if (it == users.end()) return fail(Errc::kNotFound, "user " + id + " not found");
    return it->second;
  }
  Result<model::ApiKey> find_api_key_by_hash(const std::string& hash) override {
    auto it = keys.find(hash);
    if (it == keys.end()) return fail(Errc::kNotFound, "api key not found");
    return it->second;
  }
  Status touch_api_key(const std::string& id, std::int64_t time_ms) override {
    touched.emplace_back(id, time_ms);
    return ok();
  }

  // Everything else is outside what authentication needs.
  Status transaction(const std::function<Status()>&) override { return unused(); }
  int schema_version() const override { return 0; }
  Result<model::Tenant> create_tenant(const model::Tenant&) override { return unused(); }
  Result<model::Tenant> get_tenant(const std::string&) override { return unused(); }
  Result<meta::PageOf<model::Tenant>> list_tenants(const meta::TenantFilter&,
                                                   const meta::Page&) override {
    return unused();
  }
  Result<model::Tenant> update_tenant(const model::Tenant&) override { return unused(); }
  Status delete_tenant(const std::string&) override { return unused(); }
  Result<model::Park> create_park(const meta::Scope&, const model::Park&) override {
    return unused();
  }
  Result<model::Park> get_park(const meta::Scope&, const std::string&) override { return unused(); }
  Result<meta::PageOf<model::Park>> list_parks(const meta::Scope&, const meta::ParkFilter&,
                                               const meta::Page&) override {
    return unused();
  }
  Result<model::Park> update_park(const meta::Scope&, const model::Park&) override {
    return unused();
  }
  Status delete_park(const meta::Scope&, const std::string&) override { return unused(); }
  Result<model::Enterprise> create_enterprise(const meta::Scope&,
                                              const model::Enterprise&) override {
    return unused();
  }
  Result<model::Enterprise> get_enterprise(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<meta::PageOf<model::Enterprise>> list_enterprises(const meta::Scope&,
                                                           const meta::EnterpriseFilter&,
                                                           const meta::Page&) override {
    return unused();
  }
  Result<model::Enterprise> update_enterprise(const meta::Scope&,
                                              const model::Enterprise&) override {
    return unused();
  }
  Status delete_enterprise(const meta::Scope&, const std::string&) override { return unused(); }
  Result<model::User> create_user(const meta::Scope&, const model::User&) override {
    return unused();
  }
  Result<model::User> find_user_by_username(const std::string&) override { return unused(); }
  Result<meta::PageOf<model::User>> list_users(const meta::Scope&, const meta::UserFilter&,
                                               const meta::Page&) override {
    return unused();
  }
  Result<model::User> update_user(const meta::Scope&, const model::User&) override {
    return unused();
  }
  Status delete_user(const meta::Scope&, const std::string&) override { return unused(); }
  Status record_login(const std::string&, std::int64_t) override { return unused(); }
  Result<std::size_t> count_users() override { return unused(); }
  Result<model::ApiKey> create_api_key(const meta::Scope&, const model::ApiKey&) override {
    return unused();
  }
  Result<model::ApiKey> get_api_key(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<meta::PageOf<model::ApiKey>> list_api_keys(const meta::Scope&, const meta::ApiKeyFilter&,
                                                    const meta::Page&) override {
    return unused();
  }
  Status delete_api_key(const meta::Scope&, const std::string&) override { return unused(); }
  Result<model::DeviceProfile> create_profile(const meta::Scope&,
                                              const model::DeviceProfile&) override {
    return unused();
  }
  Result<model::DeviceProfile> get_profile(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<meta::PageOf<model::DeviceProfile>> list_profiles(const meta::Scope&,
                                                           const meta::ProfileFilter&,
                                                           const meta::Page&) override {
    return unused();
  }
  Result<model::DeviceProfile> update_profile(const meta::Scope&,
                                              const model::DeviceProfile&) override {
    return unused();
  }
  Status delete_profile(const meta::Scope&, const std::string&) override { return unused(); }
  Result<model::DeviceProfile> find_profile_by_provision_key(const std::string&) override { return unused(); }
  Result<model::Device> create_device(const meta::Scope&, const model::Device&) override {
    return unused();
  }
  Result<model::Device> get_device(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<model::Device> find_device_by_token(const std::string&) override { return unused(); }
  Result<model::Device> find_device_by_cert_fingerprint(const std::string&) override { return unused(); }
  Result<meta::PageOf<model::Device>> list_devices(const meta::Scope&, const meta::DeviceFilter&,
                                                   const meta::Page&) override {
    return unused();
  }
  Result<model::Device> update_device(const meta::Scope&, const model::Device&) override {
    return unused();
  }
  Status delete_device(const meta::Scope&, const std::string&) override { return unused(); }
  Status touch_device(const std::string&, std::int64_t) override { return unused(); }
  Status set_attributes(const meta::Scope&, const std::string&, model::AttributeScope,
                        const std::vector<std::pair<std::string, std::string>>&) override {
    return unused();
  }
  Result<std::vector<model::Attribute>> get_attributes(const meta::Scope&, const std::string&,
                                                       std::optional<model::AttributeScope>,
                                                       const std::vector<std::string>&) override {
    return unused();
  }
  Status delete_attributes(const meta::Scope&, const std::string&, model::AttributeScope,
                           const std::vector<std::string>&) override {
    return unused();
  }
  Status append_audit(const model::AuditEntry&) override { return unused(); }
  Result<meta::PageOf<model::AuditEntry>> list_audit(const meta::Scope&, const meta::AuditFilter&,
                                                     const meta::Page&) override {
    return unused();
  }
  Result<meta::AlarmRaised> raise_alarm(const meta::Scope&, const model::Alarm&, const std::string&) override {
    return unused();
  }
  Result<model::Alarm> get_alarm(const meta::Scope&, const std::string&) override { return unused(); }
  Result<model::Alarm> find_open_alarm(const meta::Scope&, const std::string&, const std::string&) override {
    return unused();
  }
  Result<meta::PageOf<model::Alarm>> list_alarms(const meta::Scope&, const meta::AlarmFilter&,
                                                 const meta::Page&) override {
    return unused();
  }
  Result<meta::AlarmCounts> count_alarms(const meta::Scope&, const meta::AlarmFilter&) override { return unused(); }
  Result<model::Alarm> acknowledge_alarm(const meta::Scope&, const std::string&, const std::string&,
                                         std::int64_t) override {
    return unused();
  }
  Result<model::Alarm> clear_alarm(const meta::Scope&, const std::string&, const std::string&, std::int64_t) override {
    return unused();
  }
  Result<std::vector<model::AlarmHistoryEntry>> alarm_history(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<model::NotificationTarget> create_notification_target(const meta::Scope&,
                                                               const model::NotificationTarget&) override {
    return unused();
  }
  Result<model::NotificationTarget> get_notification_target(const meta::Scope&, const std::string&) override {
    return unused();
  }
  Result<meta::PageOf<model::NotificationTarget>> list_notification_targets(const meta::Scope&,
                                                                            const meta::Page&) override {
    return unused();
  }
  Result<model::NotificationTarget> update_notification_target(const meta::Scope&,
                                                               const model::NotificationTarget&) override {
    return unused();
  }
  Status delete_notification_target(const meta::Scope&, const std::string&) override { return unused(); }
};

class StoreAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::User u;
    u.id = "u-park";
    u.tenant_id = "t-1";
    u.park_id = "p-1";
    u.username = "parker";
    u.role = Role::kParkAdmin;
    store_.users[u.id] = u;

    model::User off = u;
    off.id = "u-off";
    off.username = "gone-fishing";
    off.disabled = true;
    store_.users[off.id] = off;
  }

  Request with_auth(std::string value) {
    Request req;
    req.headers.emplace_back("authorization", std::move(value));
    return req;
  }

  std::string token_for(const std::string& user_id, std::int64_t expires_ms) {
    return jwt_.sign(TokenClaims{user_id, "ignored", now_ms(), expires_ms});
  }

  void expect_unauthenticated(const Request& req, std::string_view message) {
    auto p = auth_.authenticate(req);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code, Errc::kUnauthenticated);
    EXPECT_EQ(p.error().message, message);
  }

  FakeStore store_;
  Jwt jwt_{"0123456789abcdef0123456789abcdef"};
  StoreAuthenticator auth_{store_, jwt_};
};

TEST_F(StoreAuthenticatorTest, MissingOrForeignSchemeIsRejected) {
  expect_unauthenticated(Request{}, "missing Authorization header");
  // InfluxDB v1 clients send Basic credentials; only an API key is accepted as the password.
  expect_unauthenticated(with_auth("Basic YWxpY2U6c2VjcmV0"),
                         "Basic credentials must carry an API key as the password");
  expect_unauthenticated(with_auth("Basic !!!"), "malformed Basic credentials");
  expect_unauthenticated(with_auth("Digest username=alice"),
                         "Authorization must be 'Bearer <token>'");
}

TEST_F(StoreAuthenticatorTest, JwtOfActiveUserGivesPrincipalFromStore) {
  auto p = auth_.authenticate(with_auth("Bearer " + token_for("u-park", now_ms() + 60'000)));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->user_id, "u-park");
  EXPECT_EQ(p->username, "parker");  // from the store, not the token
  EXPECT_EQ(p->role, Role::kParkAdmin);
  EXPECT_EQ(p->tenant_id, "t-1");
  EXPECT_EQ(p->park_id, "p-1");
  EXPECT_EQ(p->enterprise_id, "");
  EXPECT_FALSE(p->via_api_key);
  // Users are looked up platform-wide: the token alone does not name a tenant.
  ASSERT_EQ(store_.get_user_scopes.size(), 1u);
  EXPECT_TRUE(store_.get_user_scopes[0].is_platform());
  EXPECT_TRUE(store_.touched.empty());
}

TEST_F(StoreAuthenticatorTest, AuthSchemeIsCaseInsensitive) {
  // RFC 9110 §11.1: the authentication scheme is case-insensitive.
  std::string token = token_for("u-park", now_ms() + 60'000);
  EXPECT_TRUE(auth_.authenticate(with_auth("bearer " + token)).has_value());
  EXPECT_TRUE(auth_.authenticate(with_auth("BEARER  " + token)).has_value());
}

TEST_F(StoreAuthenticatorTest, DeletedOrDisabledUserIsRejected) {
  expect_unauthenticated(with_auth("Bearer " + token_for("u-deleted", now_ms() + 60'000)),
                         "user no longer exists");
  expect_unauthenticated(with_auth("Bearer " + token_for("u-off", now_ms() + 60'000)),
                         "user is disabled");
}

TEST_F(StoreAuthenticatorTest, ExpiredOrForgedJwtIsRejected) {
  expect_unauthenticated(with_auth("Bearer " + token_for("u-park", now_ms() - 1'000)),
                         "token expired");
  Jwt other("fedcba9876543210fedcba9876543210");
  std::string forged = other.sign(TokenClaims{"u-park", "parker", now_ms(), now_ms() + 60'000});
  expect_unauthenticated(with_auth("Bearer " + forged), "invalid token: signature mismatch");
  expect_unauthenticated(with_auth("Bearer "), "invalid token: not a JWT");
  EXPECT_TRUE(store_.get_user_scopes.empty());  // rejected before the store is asked
}

TEST_F(StoreAuthenticatorTest, ApiKeyGivesKeyPrincipalAndIsTouched) {
  NewApiKey nk = generate_api_key();
  model::ApiKey k;
  k.id = "key-1";
  k.tenant_id = "t-1";
  k.enterprise_id = "e-5";
  k.user_id = "u-park";
  k.role = Role::kDeveloper;
  k.prefix = nk.prefix;
  k.hash = nk.hash;
  store_.keys[k.hash] = k;

  for (std::string header : {"Bearer " + nk.key, "Token " + nk.key}) {
    std::int64_t before = now_ms();
    auto p = auth_.authenticate(with_auth(header));
    ASSERT_TRUE(p.has_value()) << header << ": " << p.error().message;
    EXPECT_TRUE(p->via_api_key);
    EXPECT_EQ(p->api_key_id, "key-1");
    EXPECT_EQ(p->user_id, "u-park");
    EXPECT_EQ(p->username, "apikey:" + nk.prefix);
    EXPECT_EQ(p->role, Role::kDeveloper);
    EXPECT_EQ(p->tenant_id, "t-1");
    EXPECT_EQ(p->enterprise_id, "e-5");
    ASSERT_FALSE(store_.touched.empty());
    EXPECT_EQ(store_.touched.back().first, "key-1");
    EXPECT_GE(store_.touched.back().second, before);
  }
  EXPECT_EQ(store_.touched.size(), 2u);
}

TEST_F(StoreAuthenticatorTest, UnknownOrExpiredApiKeyIsRejected) {
  expect_unauthenticated(with_auth("Token " + generate_api_key().key), "unknown API key");

  NewApiKey nk = generate_api_key();
  model::ApiKey k;
  k.id = "key-old";
  k.tenant_id = "t-1";
  k.prefix = nk.prefix;
  k.hash = nk.hash;
  k.expires_ms = now_ms() - 1;
  store_.keys[k.hash] = k;
  expect_unauthenticated(with_auth("Bearer " + nk.key), "API key expired");
  EXPECT_TRUE(store_.touched.empty());
}

}  // namespace
}  // namespace kaiwu::http
