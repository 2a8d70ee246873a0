// Small cryptographic helpers on OpenSSL: random tokens, SHA-256, HMAC-SHA256, base64url.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kaiwu::crypto {

// n cryptographically random bytes.
std::string random_bytes(std::size_t n);
// A random token of n bytes, rendered as lowercase hex (2n characters).
std::string random_hex(std::size_t n);
// A random token of n bytes, rendered base64url without padding.
std::string random_token(std::size_t n);

std::string sha256(std::string_view data);      // raw 32 bytes
std::string sha256_hex(std::string_view data);  // 64 hex characters
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

// Compares in time independent of where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(std::string_view raw);

// SHA-256 over the DER encoding of the first certificate in `pem`, as 64 lowercase hex digits
// (what `openssl x509 -noout -fingerprint -sha256` prints, without colons). nullopt when `pem`
// holds no parsable certificate.
std::optional<std::string> certificate_fingerprint(std::string_view pem);

}  // namespace kaiwu::crypto
