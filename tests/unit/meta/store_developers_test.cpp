// Conformance: developer portal accounts (meta::DeveloperStore, schema version 8), which
// every SQL metadata store implements (SqlStore), on SQLite and PostgreSQL alike.
#include "meta/developer_store.hpp"
#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

DeveloperAccount pending(std::string email, std::string token_hash) {
  DeveloperAccount a;
  a.email = std::move(email);
  a.name = "Alice";
  a.organisation = "Acme";
  a.password_hash = "$argon2id$fake";
  a.token_hash = std::move(token_hash);
  a.token_expires_ms = 2000;
  a.token_sent_ms = 1000;
  return a;
}

DeveloperStore& developers(MetadataStore& store) {
  auto* d = dynamic_cast<DeveloperStore*>(&store);
  if (d == nullptr) throw SetupFailed("the metadata store does not keep developer accounts");
  return *d;
}

TEST_P(StoreConformance, DeveloperCreateFindAndUniqueEmail) {
  DeveloperStore* dev = &developers(store());
  auto a = dev->create_developer(pending("alice@example.com", "h1"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->id.empty());
  EXPECT_GT(a->created_ms, 0);
  auto by_email = dev->find_developer_by_email("alice@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->id, a->id);
  EXPECT_EQ(by_email->organisation, "Acme");
  EXPECT_FALSE(by_email->verified);
  auto by_token = dev->find_developer_by_token("h1");
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->token_expires_ms, 2000);
  auto dup = dev->create_developer(pending("alice@example.com", "h2"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists);
  EXPECT_NE(dup.error().message.find("email"), std::string::npos);
  EXPECT_EQ(dev->find_developer_by_token("").error().code, Errc::kNotFound);
  EXPECT_EQ(dev->find_developer_by_email("bob@example.com").error().code, Errc::kNotFound);
  auto missing = dev->create_developer(pending("", "h3"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreConformance, DeveloperVerifyClearsTokenAndLinksSandbox) {
  DeveloperStore* dev = &developers(store());
  auto a = *dev->create_developer(pending("alice@example.com", "h1"));
  ASSERT_TRUE(dev->create_developer(pending("bob@example.com", "h2")));
  a.verified = true;
  a.verified_ms = 1500;
  a.token_hash.clear();
  a.user_id = "u-1";
  a.tenant_id = "t-1";
  a.enterprise_id = "e-1";
  ASSERT_TRUE(dev->update_developer(a));
  EXPECT_EQ(dev->find_developer_by_token("h1").error().code, Errc::kNotFound);
  auto by_user = dev->find_developer_by_user("u-1");
  ASSERT_TRUE(by_user);
  EXPECT_TRUE(by_user->verified);
  EXPECT_EQ(by_user->tenant_id, "t-1");
  auto verified = dev->list_verified_developers();
  ASSERT_TRUE(verified);
  ASSERT_EQ(verified->size(), 1u);
  EXPECT_EQ((*verified)[0].email, "alice@example.com");
  DeveloperAccount ghost = a;
  ghost.id = "nope";
  EXPECT_EQ(dev->update_developer(ghost).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace kaiwu::meta::testing
