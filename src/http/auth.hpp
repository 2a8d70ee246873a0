// Authentication: argon2id password hashes, HS256 JWTs, API keys, login rate limiting, and the
// mapping from a caller to the metadata Scope it may see — the one place tenant scoping is
// decided.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/rate_limiter.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "meta/store.hpp"

namespace kaiwu::http {

// argon2id, RFC 9106 second recommended option scaled for a server (t=3, m=64 MiB, p=1).
Result<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view encoded, std::string_view password);
// Rejects passwords that are too short or too long (8..256 bytes).
Status check_password_policy(std::string_view password);

struct TokenClaims {
  std::string user_id;
  std::string username;
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;
};

// HS256 JSON Web Tokens (RFC 7519) signed with a server secret.
class Jwt {
 public:
  explicit Jwt(std::string secret) : secret_(std::move(secret)) {}
  std::string sign(const TokenClaims& claims) const;
  // kUnauthenticated for malformed, badly signed or expired tokens.
  Result<TokenClaims> verify(std::string_view token, std::int64_t now_ms) const;

 private:
  std::string secret_;
};

// Reads the JWT secret from path, creating it (32 random bytes, mode 0600) on first start.
Result<std::string> load_or_create_secret(const std::string& path);

// API keys: "kw_" + 32 random base64url characters; only their SHA-256 is stored.
struct NewApiKey {
  std::string key;
  std::string prefix;
  std::string hash;
};
NewApiKey generate_api_key();
std::string hash_api_key(std::string_view key);

// Authenticates "Authorization: Bearer <JWT | API key>" or "Token <API key>" against the store.
// The user behind a JWT is looked up on every call, so disabling or deleting a user takes
// effect at once.
class StoreAuthenticator final : public Authenticator {
 public:
  StoreAuthenticator(meta::MetadataStore& store, const Jwt& jwt) : store_(store), jwt_(jwt) {}
  Result<Principal> authenticate(const Request& req) override;

 private:
  meta::MetadataStore& store_;
  const Jwt& jwt_;
};

using kaiwu::RateLimiter;  // core/rate_limiter.hpp; kept here for the http:: spelling

// The Scope a principal acts in. Platform admins act platform-wide unless they name a tenant;
// everyone else acts in their own tenant (a requested tenant is ignored), narrowed to their
// park (park-admin) or enterprise (users bound to one).
meta::Scope scope_of(const Principal& p, std::string_view requested_tenant = {});

}  // namespace kaiwu::http
