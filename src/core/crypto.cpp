#include "core/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace kaiwu::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");  // the OS entropy source is broken
  return out;
}

std::string to_hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string random_hex(std::size_t n) { return to_hex(random_bytes(n)); }
std::string random_token(std::size_t n) { return base64url_encode(random_bytes(n)); }

namespace {
// OpenSSL 3's one-shot HMAC fails on a null data pointer even when the length is 0, so empty
// views (whose data() may be null) point at a real, empty buffer instead.
const unsigned char* bytes(std::string_view s) {
  static constexpr unsigned char kEmpty[1] = {0};
  return s.data() ? reinterpret_cast<const unsigned char*>(s.data()) : kEmpty;
}
}  // namespace

std::string sha256(std::string_view data) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  if (EVP_Digest(bytes(data), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != md.size())
    throw std::runtime_error("EVP_Digest(SHA-256) failed");  // OpenSSL itself is broken
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  // An empty result would compare equal to an empty signature, so failure must not be silent.
  if (HMAC(EVP_sha256(), bytes(key), static_cast<int>(key.size()), bytes(data), data.size(),
           md.data(), &len) == nullptr ||
      len != md.size())
    throw std::runtime_error("HMAC(SHA-256) failed");  // OpenSSL itself is broken
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string base64url_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  if (data.size() - i == 1) {
    std::uint32_t v = byte(i) << 16;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
  } else if (data.size() - i == 2) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  // Padding is optional, but when present it must complete the last group of four (RFC 4648 §5).
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 0 && (padding > 2 || text.size() % 4 != 0)) return std::nullopt;
  text.remove_suffix(padding);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xFF);
    }
  }
  // Leftover bits must be zero (RFC 4648 §3.5): otherwise several texts would decode to the same
  // bytes, and a signature or token could be altered without changing what it decodes to.
  if ((acc & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> certificate_fingerprint(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return std::nullopt;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return std::nullopt;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool good = X509_digest(cert, EVP_sha256(), md, &len) == 1;
  X509_free(cert);
  if (!good) return std::nullopt;
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace kaiwu::crypto
