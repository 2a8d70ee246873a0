#include "http/auth.hpp"

#include <argon2.h>
#include <boost/json.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/crypto.hpp"
#include "core/ids.hpp"

namespace kaiwu::http {
namespace json = boost::json;

namespace {
constexpr std::uint32_t kArgonTime = 3;
constexpr std::uint32_t kArgonMemoryKiB = 64 * 1024;
constexpr std::uint32_t kArgonParallelism = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::string_view kApiKeyPrefix = "kw_";

// "<scheme> …" with the scheme compared case-insensitively (RFC 9110 §11.1).
bool has_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  return std::equal(scheme.begin(), scheme.end(), header.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}
// "Basic base64(user:password)" → password, which must be an API key.
Result<std::string> api_key_from_basic(std::string_view encoded) {
  std::string text(encoded);
  while (!text.empty() && (text.back() == '=' || text.back() == ' ')) text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  auto decoded = crypto::base64url_decode(text);
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return fail(Errc::kUnauthenticated, "malformed Basic credentials");
  std::string password = decoded->substr(colon + 1);
  if (!password.starts_with(kApiKeyPrefix))
    return fail(Errc::kUnauthenticated, "Basic credentials must carry an API key as the password");
  return password;
}

}  // namespace

Status check_password_policy(std::string_view password) {
  if (password.size() < 8) return fail(Errc::kInvalidArgument, "password: must be at least 8 characters");
  if (password.size() > 256) return fail(Errc::kInvalidArgument, "password: must be at most 256 characters");
  return ok();
}

Result<std::string> hash_password(std::string_view password) {
  std::string salt = crypto::random_bytes(kSaltBytes);
  std::size_t len = argon2_encodedlen(kArgonTime, kArgonMemoryKiB, kArgonParallelism, kSaltBytes,
                                      kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(kArgonTime, kArgonMemoryKiB, kArgonParallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashBytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return fail(Errc::kInternal, std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  std::string enc(encoded);
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string Jwt::sign(const TokenClaims& c) const {
  std::string header = crypto::base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  json::object payload{{"sub", c.user_id},
                       {"name", c.username},
                       {"iat", c.issued_ms / 1000},
                       {"exp", c.expires_ms / 1000},
                       {"iss", "kaiwu"}};
  std::string body = crypto::base64url_encode(json::serialize(payload));
  std::string signing_input = header + "." + body;
  return signing_input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret_, signing_input));
}

Result<TokenClaims> Jwt::verify(std::string_view token, std::int64_t now) const {
  auto bad = [](std::string why) { return fail(Errc::kUnauthenticated, "invalid token: " + why); };
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return bad("not a JWT");
  auto signing_input = token.substr(0, d2);
  // Compared in its encoded form: RFC 7515 §2 allows one base64url spelling of the signature,
  // so padded or non-canonical variants of a valid token are rejected too.
  std::string expected = crypto::base64url_encode(crypto::hmac_sha256(secret_, signing_input));
  if (!crypto::constant_time_equal(token.substr(d2 + 1), expected)) return bad("signature mismatch");
  auto header = crypto::base64url_decode(token.substr(0, d1));
  auto payload = crypto::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  if (!header || !payload) return bad("bad encoding");
  boost::system::error_code ec;
  auto h = json::parse(*header, ec);
  if (ec || !h.is_object() || !h.as_object().contains("alg") || h.at("alg") != "HS256")
    return bad("unsupported header");
  auto p = json::parse(*payload, ec);
  if (ec || !p.is_object()) return bad("bad payload");
  const auto& o = p.as_object();
  auto* sub = o.if_contains("sub");
  auto* exp = o.if_contains("exp");
  if (!sub || !sub->is_string() || !exp || !exp->is_int64()) return bad("missing claims");
  TokenClaims c;
  c.user_id = std::string(sub->as_string());
  if (auto* name = o.if_contains("name"); name && name->is_string()) c.username = std::string(name->as_string());
  if (auto* iat = o.if_contains("iat"); iat && iat->is_int64()) c.issued_ms = iat->as_int64() * 1000;
  c.expires_ms = exp->as_int64() * 1000;
  if (c.expires_ms <= now) return fail(Errc::kUnauthenticated, "token expired");
  return c;
}

Result<std::string> load_or_create_secret(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (secret.size() < 32) return fail(Errc::kCorruption, path + ": secret shorter than 32 bytes");
    return secret;
  }
  std::string secret = crypto::random_bytes(32);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kIo, path + ": cannot create (" + std::strerror(errno) + ")");
  bool written = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return fail(Errc::kIo, path + ": cannot write secret");
  return secret;
}

NewApiKey generate_api_key() {
  NewApiKey k;
  k.key = std::string(kApiKeyPrefix) + crypto::random_token(24);
  k.prefix = k.key.substr(0, 10);
  k.hash = hash_api_key(k.key);
  return k;
}

std::string hash_api_key(std::string_view key) { return crypto::sha256_hex(key); }

Result<Principal> StoreAuthenticator::authenticate(const Request& req) {
  std::string_view auth = req.header("Authorization");
  std::string_view cred;
  std::string basic_password;  // owns the decoded Basic credential
  if (has_scheme(auth, "Bearer")) {
    cred = auth.substr(7);
  } else if (has_scheme(auth, "Token")) {
    cred = auth.substr(6);
  } else if (has_scheme(auth, "Basic")) {
    // InfluxDB v1 clients (Telegraf, influxdb-python) send user:password; the password is the
    // API key. User passwords are never accepted here.
    basic_password = KAIWU_TRY(api_key_from_basic(auth.substr(6)));
    cred = basic_password;
  } else if (auth.empty()) {
    auto p = req.query_param("p");  // InfluxDB v1 ?u=&p= query credentials
    if (!p || !p->starts_with(kApiKeyPrefix)) return fail(Errc::kUnauthenticated, "missing Authorization header");
    cred = *p;
  } else {
    return fail(Errc::kUnauthenticated, "Authorization must be 'Bearer <token>'");
  }
  while (!cred.empty() && cred.front() == ' ') cred.remove_prefix(1);
  std::int64_t now = now_ms();

  if (cred.starts_with(kApiKeyPrefix)) {
    auto key = store_.find_api_key_by_hash(hash_api_key(cred));
    if (!key) return fail(Errc::kUnauthenticated, "unknown API key");
    if (key->expires_ms && key->expires_ms <= now) return fail(Errc::kUnauthenticated, "API key expired");
    (void)store_.touch_api_key(key->id, now);
    Principal p;
    p.user_id = key->user_id;
    p.username = "apikey:" + key->prefix;
    p.role = key->role;
    p.tenant_id = key->tenant_id;
    p.enterprise_id = key->enterprise_id;
    p.via_api_key = true;
    p.api_key_id = key->id;
    return p;
  }

  auto claims = KAIWU_TRY(jwt_.verify(cred, now));
  auto user = store_.get_user(meta::Scope::platform(), claims.user_id);
  if (!user) return fail(Errc::kUnauthenticated, "user no longer exists");
  if (user->disabled) return fail(Errc::kUnauthenticated, "user is disabled");
  Principal p;
  p.user_id = user->id;
  p.username = user->username;
  p.role = user->role;
  p.tenant_id = user->tenant_id;
  p.park_id = user->park_id;
  p.enterprise_id = user->enterprise_id;
  return p;
}

meta::Scope scope_of(const Principal& p, std::string_view requested_tenant) {
  if (p.role == model::Role::kPlatformAdmin) return meta::Scope::tenant(std::string(requested_tenant));
  // Only platform admins live outside a tenant; anyone else without one sees nothing.
  if (p.tenant_id.empty()) return meta::Scope::tenant("-");
  meta::Scope s = meta::Scope::tenant(p.tenant_id);
  if (!p.enterprise_id.empty()) s.enterprise_id = p.enterprise_id;
  else if (p.role == model::Role::kParkAdmin) s.park_id = p.park_id;
  return s;
}

}  // namespace kaiwu::http
