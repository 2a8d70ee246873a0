// SqliteStore as meta::DeveloperStore (schema version 6).
#include <gtest/gtest.h>

#include "meta/sqlite_store.hpp"

namespace kaiwu::meta {
namespace {

class DeveloperStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open(":memory:");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
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
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(DeveloperStoreTest, CreateFindAndUniqueEmail) {
  auto a = store_->create_developer(pending("alice@example.com", "h1"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->id.empty());
  EXPECT_GT(a->created_ms, 0);
  auto by_email = store_->find_developer_by_email("alice@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->id, a->id);
  EXPECT_EQ(by_email->organisation, "Acme");
  EXPECT_FALSE(by_email->verified);
  auto by_token = store_->find_developer_by_token("h1");
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->token_expires_ms, 2000);
  auto dup = store_->create_developer(pending("alice@example.com", "h2"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists);
  EXPECT_NE(dup.error().message.find("email"), std::string::npos);
  EXPECT_EQ(store_->find_developer_by_token("").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->find_developer_by_email("bob@example.com").error().code, Errc::kNotFound);
  auto missing = store_->create_developer(pending("", "h3"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kInvalidArgument);
}

TEST_F(DeveloperStoreTest, VerifyClearsTokenAndLinksSandbox) {
  auto a = *store_->create_developer(pending("alice@example.com", "h1"));
  ASSERT_TRUE(store_->create_developer(pending("bob@example.com", "h2")));
  a.verified = true;
  a.verified_ms = 1500;
  a.token_hash.clear();
  a.user_id = "u-1";
  a.tenant_id = "t-1";
  a.enterprise_id = "e-1";
  ASSERT_TRUE(store_->update_developer(a));
  EXPECT_EQ(store_->find_developer_by_token("h1").error().code, Errc::kNotFound);
  auto by_user = store_->find_developer_by_user("u-1");
  ASSERT_TRUE(by_user);
  EXPECT_TRUE(by_user->verified);
  EXPECT_EQ(by_user->tenant_id, "t-1");
  auto verified = store_->list_verified_developers();
  ASSERT_TRUE(verified);
  ASSERT_EQ(verified->size(), 1u);
  EXPECT_EQ((*verified)[0].email, "alice@example.com");
  DeveloperAccount ghost = a;
  ghost.id = "nope";
  EXPECT_EQ(store_->update_developer(ghost).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace kaiwu::meta
