#include "http/auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/crypto.hpp"

namespace kaiwu::http {
namespace {

namespace fs = std::filesystem;
using model::Role;

// ---------------------------------------------------------------- passwords

// argon2id costs ~0.2 s a hash, so the suite hashes twice and shares the results.
class PasswordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = hash_password("correct horse battery");
    auto b = hash_password("correct horse battery");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    ASSERT_TRUE(b.has_value()) << b.error().message;
    first_ = *a;
    second_ = *b;
  }
  static inline std::string first_;
  static inline std::string second_;
};

TEST_F(PasswordTest, EncodingIsArgon2idWithConfiguredCost) {
  EXPECT_TRUE(first_.starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << first_;
  EXPECT_EQ(first_.find('\0'), std::string::npos);
  // $argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>: six '$'-separated fields.
  EXPECT_EQ(std::count(first_.begin(), first_.end(), '$'), 5);
}

TEST_F(PasswordTest, VerifyAcceptsRightAndRejectsWrongPassword) {
  EXPECT_TRUE(verify_password(first_, "correct horse battery"));
  EXPECT_FALSE(verify_password(first_, "correct horse batterY"));
  EXPECT_FALSE(verify_password(first_, ""));
  EXPECT_FALSE(verify_password("not an argon2 hash", "correct horse battery"));
  EXPECT_FALSE(verify_password("", ""));
}

TEST_F(PasswordTest, SaltMakesHashesDiffer) {
  EXPECT_NE(first_, second_);
  EXPECT_TRUE(verify_password(second_, "correct horse battery"));
}

TEST(PasswordPolicy, Bounds) {
  EXPECT_FALSE(check_password_policy(""));
  EXPECT_FALSE(check_password_policy(std::string(7, 'a')));
  EXPECT_TRUE(check_password_policy(std::string(8, 'a')));
  EXPECT_TRUE(check_password_policy(std::string(256, 'a')));
  auto too_long = check_password_policy(std::string(257, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(too_long.error().message, "password: must be at most 256 characters");
  auto too_short = check_password_policy("short");
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(too_short.error().message, "password: must be at least 8 characters");
}

// ---------------------------------------------------------------- JWT

constexpr std::int64_t kNow = 1'700'000'000'000;  // whole seconds: JWT times are seconds

TokenClaims claims(std::int64_t expires_ms = kNow + 3'600'000) {
  return TokenClaims{"u-123", "alice", kNow, expires_ms};
}

// A token with arbitrary header and payload, correctly signed with secret.
std::string forge(std::string_view header, std::string_view payload, std::string_view secret) {
  std::string input = crypto::base64url_encode(header) + "." + crypto::base64url_encode(payload);
  return input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, input));
}

void expect_unauthenticated(const Result<TokenClaims>& r, std::string_view message) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kUnauthenticated);
  EXPECT_EQ(r.error().message, message);
}

TEST(Jwt, SignVerifyRoundTrip) {
  Jwt jwt("0123456789abcdef0123456789abcdef");
  std::string token = jwt.sign(claims());
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  auto header = crypto::base64url_decode(token.substr(0, token.find('.')));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header, R"({"alg":"HS256","typ":"JWT"})");

  auto c = jwt.verify(token, kNow + 1000);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->user_id, "u-123");
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->issued_ms, kNow);
  EXPECT_EQ(c->expires_ms, kNow + 3'600'000);
}

TEST(Jwt, PayloadHasRegisteredClaimsInSeconds) {
  Jwt jwt("secret-secret-secret-secret-1234");
  std::string token = jwt.sign(claims());
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  auto payload = crypto::base64url_decode(token.substr(first + 1, second - first - 1));
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(*payload,
            R"({"sub":"u-123","name":"alice","iat":1700000000,"exp":1700003600,"iss":"kaiwu"})");
}

TEST(Jwt, ExpiredTokenIsRejected) {
  Jwt jwt("0123456789abcdef0123456789abcdef");
  std::string token = jwt.sign(claims(kNow + 60'000));
  EXPECT_TRUE(jwt.verify(token, kNow + 59'999).has_value());
  expect_unauthenticated(jwt.verify(token, kNow + 60'000), "token expired");
  expect_unauthenticated(jwt.verify(token, kNow + 3'600'000), "token expired");
}

TEST(Jwt, TamperedPayloadIsRejected) {
  Jwt jwt("0123456789abcdef0123456789abcdef");
  std::string token = jwt.sign(claims());
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  std::string evil_payload = crypto::base64url_encode(
      R"({"sub":"admin","name":"alice","iat":1700000000,"exp":1700003600,"iss":"kaiwu"})");
  std::string tampered = token.substr(0, first + 1) + evil_payload + token.substr(second);
  expect_unauthenticated(jwt.verify(tampered, kNow), "invalid token: signature mismatch");
}

TEST(Jwt, TamperedSignatureIsRejected) {
  Jwt jwt("0123456789abcdef0123456789abcdef");
  std::string token = jwt.sign(claims());
  std::string tampered = token;
  char& c = tampered[token.rfind('.') + 10];
  c = c == 'A' ? 'Q' : 'A';
  expect_unauthenticated(jwt.verify(tampered, kNow), "invalid token: signature mismatch");
  // The last of 43 characters carries two unused bits: a sibling encoding of the same bytes is
  // not the signature either (RFC 7515 §2: one base64url form).
  std::string sibling = token;
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  sibling.back() = alphabet[alphabet.find(sibling.back()) ^ 1];
  ASSERT_NE(sibling, token);
  expect_unauthenticated(jwt.verify(sibling, kNow), "invalid token: signature mismatch");
  // Padding is not part of a JWS signature.
  expect_unauthenticated(jwt.verify(token + "=", kNow), "invalid token: signature mismatch");
  // Signature dropped entirely.
  expect_unauthenticated(jwt.verify(token.substr(0, token.rfind('.') + 1), kNow),
                         "invalid token: signature mismatch");
}

TEST(Jwt, WrongSecretIsRejected) {
  Jwt signer("0123456789abcdef0123456789abcdef");
  Jwt verifier("fedcba9876543210fedcba9876543210");
  expect_unauthenticated(verifier.verify(signer.sign(claims()), kNow),
                         "invalid token: signature mismatch");
}

TEST(Jwt, AlgNoneIsRejected) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  Jwt jwt(secret);
  const std::string payload = R"({"sub":"u-123","exp":1700003600})";
  // RFC 7519 §6.1 unsecured JWT: empty signature.
  std::string unsecured = crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                          crypto::base64url_encode(payload) + ".";
  expect_unauthenticated(jwt.verify(unsecured, kNow), "invalid token: signature mismatch");
  // Even with a valid HMAC, only HS256 headers are accepted.
  expect_unauthenticated(jwt.verify(forge(R"({"alg":"none"})", payload, secret), kNow),
                         "invalid token: unsupported header");
  expect_unauthenticated(jwt.verify(forge(R"({"typ":"JWT"})", payload, secret), kNow),
                         "invalid token: unsupported header");
  expect_unauthenticated(jwt.verify(forge("[1,2]", payload, secret), kNow),
                         "invalid token: unsupported header");
  // The same payload under a proper header verifies: the rejections above are the header's.
  EXPECT_TRUE(jwt.verify(forge(R"({"alg":"HS256"})", payload, secret), kNow).has_value());
}

TEST(Jwt, MalformedTokensAreRejected) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  Jwt jwt(secret);
  expect_unauthenticated(jwt.verify("", kNow), "invalid token: not a JWT");
  expect_unauthenticated(jwt.verify("nodots", kNow), "invalid token: not a JWT");
  expect_unauthenticated(jwt.verify("one.dot", kNow), "invalid token: not a JWT");
  expect_unauthenticated(jwt.verify("!!!.@@@.###", kNow), "invalid token: signature mismatch");
  expect_unauthenticated(jwt.verify("a.b.c.d", kNow), "invalid token: signature mismatch");
  // Correct signature over segments that are not base64url.
  std::string input = "!!!.@@@";
  std::string bad_b64 = input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, input));
  expect_unauthenticated(jwt.verify(bad_b64, kNow), "invalid token: bad encoding");
  // Correctly signed, but the payload is not JSON or lacks claims.
  const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";
  expect_unauthenticated(jwt.verify(forge(hs256, "not json", secret), kNow),
                         "invalid token: bad payload");
  expect_unauthenticated(jwt.verify(forge(hs256, R"({"exp":1700003600})", secret), kNow),
                         "invalid token: missing claims");
  expect_unauthenticated(jwt.verify(forge(hs256, R"({"sub":"u"})", secret), kNow),
                         "invalid token: missing claims");
  expect_unauthenticated(jwt.verify(forge(hs256, R"({"sub":"u","exp":"soon"})", secret), kNow),
                         "invalid token: missing claims");
}

// ---------------------------------------------------------------- secret file

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "kaiwu-http-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(SecretFileTest, CreatesThirtyTwoBytesWithMode0600) {
  std::string path = (dir_ / "jwt.secret").string();
  auto secret = load_or_create_secret(path);
  ASSERT_TRUE(secret.has_value()) << secret.error().message;
  EXPECT_EQ(secret->size(), 32u);

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);

  std::ifstream in(path, std::ios::binary);
  std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, *secret);
}

TEST_F(SecretFileTest, SecondCallReturnsTheSameBytes) {
  std::string path = (dir_ / "jwt.secret").string();
  auto first = load_or_create_secret(path);
  auto second = load_or_create_secret(path);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*first, *second);
  // A fresh file elsewhere gets different random bytes.
  auto other = load_or_create_secret((dir_ / "other.secret").string());
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(*other, *first);
}

TEST_F(SecretFileTest, LongerExistingSecretIsKept) {
  std::string path = (dir_ / "jwt.secret").string();
  std::string mine(48, 'k');
  std::ofstream(path, std::ios::binary) << mine;
  auto secret = load_or_create_secret(path);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(*secret, mine);
}

TEST_F(SecretFileTest, TooShortFileIsAnError) {
  std::string path = (dir_ / "jwt.secret").string();
  std::ofstream(path, std::ios::binary) << std::string(31, 'x');
  auto secret = load_or_create_secret(path);
  ASSERT_FALSE(secret.has_value());
  EXPECT_EQ(secret.error().code, Errc::kCorruption);
  EXPECT_NE(secret.error().message.find(path), std::string::npos);
}

TEST_F(SecretFileTest, MissingDirectoryIsAnIoError) {
  auto secret = load_or_create_secret((dir_ / "no-such-dir" / "jwt.secret").string());
  ASSERT_FALSE(secret.has_value());
  EXPECT_EQ(secret.error().code, Errc::kIo);
}

// ---------------------------------------------------------------- API keys

TEST(ApiKey, FormatPrefixAndHash) {
  NewApiKey k = generate_api_key();
  EXPECT_TRUE(k.key.starts_with("kw_")) << k.key;
  EXPECT_EQ(k.key.size(), 3u + 32u);  // "kw_" + base64url of 24 random bytes
  for (char c : k.key.substr(3))
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  EXPECT_EQ(k.prefix.size(), 10u);
  EXPECT_EQ(k.prefix, k.key.substr(0, 10));
  EXPECT_EQ(k.hash, crypto::sha256_hex(k.key));
  EXPECT_EQ(k.hash.size(), 64u);
  EXPECT_EQ(hash_api_key(k.key), k.hash);
}

TEST(ApiKey, HashIsSha256Hex) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKey, KeysAreUnique) {
  NewApiKey a = generate_api_key();
  NewApiKey b = generate_api_key();
  EXPECT_NE(a.key, b.key);
  EXPECT_NE(a.hash, b.hash);
}

// ---------------------------------------------------------------- rate limiter

TEST(RateLimiter, AllowsLimitPerWindowThenBlocks) {
  RateLimiter limiter(3, std::chrono::milliseconds(1000));
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 10'000));
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 10'100));
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 10'200));
  EXPECT_FALSE(limiter.allow("ip:10.0.0.1", 10'300));
  EXPECT_FALSE(limiter.allow("ip:10.0.0.1", 10'999));
  // The first attempt leaves the window at 11'000; one slot frees up.
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 11'000));
  EXPECT_FALSE(limiter.allow("ip:10.0.0.1", 11'050));
  // Long after the window, the full budget is back.
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 20'000));
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 20'000));
  EXPECT_TRUE(limiter.allow("ip:10.0.0.1", 20'000));
  EXPECT_FALSE(limiter.allow("ip:10.0.0.1", 20'000));
}

TEST(RateLimiter, BlockedAttemptsAreNotRecorded) {
  RateLimiter limiter(2, std::chrono::milliseconds(1000));
  EXPECT_TRUE(limiter.allow("k", 0));
  EXPECT_TRUE(limiter.allow("k", 100));
  EXPECT_FALSE(limiter.allow("k", 500));  // would occupy the window until 1'500 if recorded
  EXPECT_TRUE(limiter.allow("k", 1'000));
  EXPECT_TRUE(limiter.allow("k", 1'100));
  EXPECT_FALSE(limiter.allow("k", 1'200));
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter(1, std::chrono::milliseconds(60'000));
  EXPECT_TRUE(limiter.allow("user:alice", 5'000));
  EXPECT_FALSE(limiter.allow("user:alice", 5'001));
  EXPECT_TRUE(limiter.allow("user:bob", 5'002));
  EXPECT_FALSE(limiter.allow("user:bob", 5'003));
  EXPECT_TRUE(limiter.allow("ip:1.2.3.4", 5'004));
  // A sweep of stale keys long after does not disturb fresh ones.
  EXPECT_TRUE(limiter.allow("user:alice", 100'000));
  EXPECT_FALSE(limiter.allow("user:alice", 100'001));
  EXPECT_TRUE(limiter.allow("user:bob", 100'002));
}

// ---------------------------------------------------------------- scope_of

Principal person(Role role, std::string tenant, std::string park = {},
                 std::string enterprise = {}) {
  Principal p;
  p.user_id = "u1";
  p.username = "someone";
  p.role = role;
  p.tenant_id = std::move(tenant);
  p.park_id = std::move(park);
  p.enterprise_id = std::move(enterprise);
  return p;
}

void expect_scope(const meta::Scope& s, std::string_view tenant, std::string_view park,
                  std::string_view enterprise) {
  EXPECT_EQ(s.tenant_id, tenant);
  EXPECT_EQ(s.park_id, park);
  EXPECT_EQ(s.enterprise_id, enterprise);
}

TEST(ScopeOf, PlatformAdminIsPlatformWideUnlessATenantIsNamed) {
  Principal admin = person(Role::kPlatformAdmin, "");
  meta::Scope all = scope_of(admin);
  EXPECT_TRUE(all.is_platform());
  expect_scope(all, "", "", "");
  expect_scope(scope_of(admin, "t-9"), "t-9", "", "");
}

TEST(ScopeOf, TenantAdminIgnoresRequestedTenant) {
  Principal p = person(Role::kTenantAdmin, "t-1");
  expect_scope(scope_of(p), "t-1", "", "");
  expect_scope(scope_of(p, "t-2"), "t-1", "", "");
}

TEST(ScopeOf, ParkAdminIsNarrowedToPark) {
  Principal p = person(Role::kParkAdmin, "t-1", "park-7");
  expect_scope(scope_of(p, "t-2"), "t-1", "park-7", "");
}

TEST(ScopeOf, ParkIdIsIgnoredForOtherRoles) {
  Principal p = person(Role::kViewer, "t-1", "park-7");
  expect_scope(scope_of(p), "t-1", "", "");
}

TEST(ScopeOf, EnterpriseBoundUserGetsEnterprise) {
  expect_scope(scope_of(person(Role::kEnterpriseAdmin, "t-1", "", "e-3")), "t-1", "", "e-3");
  expect_scope(scope_of(person(Role::kEngineer, "t-1", "", "e-3"), "t-2"), "t-1", "", "e-3");
  Principal key = person(Role::kDeveloper, "t-1", "", "e-4");
  key.via_api_key = true;
  expect_scope(scope_of(key), "t-1", "", "e-4");
}

TEST(ScopeOf, NonPlatformPrincipalWithoutTenantMatchesNothing) {
  for (Role role : {Role::kTenantAdmin, Role::kParkAdmin, Role::kViewer}) {
    meta::Scope s = scope_of(person(role, "", "park-1", "e-1"), "t-1");
    EXPECT_FALSE(s.is_platform()) << model::role_name(role);
    expect_scope(s, "-", "", "");
  }
}

}  // namespace
}  // namespace kaiwu::http
