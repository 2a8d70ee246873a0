// APP packages: a set of text files (manifest.json, the Lua code, optional ui/ assets) and a
// detached Ed25519 signature over their canonical digest.
//
// Wire form (what `kaiwu app pack` writes and POST /api/v1/apps/packages takes):
//   {"format":"kaiwu-app/1","files":{"manifest.json":"…","main.lua":"…"},"signature":"<base64url>"}
// Canonical digest: SHA-256 of "kaiwu-app-package/1\n" followed, for each file in byte order of
// its path, by "<path>\n<size in decimal>\n<content>\n". The signature is Ed25519 (RFC 8032,
// pure) over those 32 bytes, so changing any byte of any file, adding or removing a file
// invalidates it. Keys are PEM (PKCS#8 private, SubjectPublicKeyInfo public), as written by
// `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "apps/manifest.hpp"
#include "core/result.hpp"

namespace kaiwu::apps {

inline constexpr std::size_t kMaxPackageBytes = 4u << 20;
inline constexpr std::size_t kMaxPackageFiles = 64;

struct Package {
  std::map<std::string, std::string> files;  // path → content (UTF-8 text)
  std::string signature;                     // raw 64 bytes; empty: unsigned
};

// Parses the wire form. kInvalidArgument naming the problem (bad path, too large, not JSON).
Result<Package> parse_package(std::string_view text);
std::string package_json(const Package& p);
// Reads every regular file under dir (relative paths, '/'-separated) into an unsigned package.
Result<Package> pack_directory(const std::string& dir);

std::string canonical_digest(const Package& p);  // raw 32 bytes

// Ed25519 through OpenSSL 3 (EVP_PKEY_ED25519).
Result<std::string> sign_digest(std::string_view private_key_pem, std::string_view digest);
// kPermissionDenied "signature does not verify" on a mismatch, kInvalidArgument for a bad key.
Status verify_digest(std::string_view public_key_pem, std::string_view digest, std::string_view signature);
// SHA-256 hex of the raw 32-byte public key: a stable id for a key, whatever its PEM layout.
// kInvalidArgument when pem holds no Ed25519 public key.
Result<std::string> public_key_fingerprint(std::string_view public_key_pem);
// A new Ed25519 private key (PEM PKCS#8), and the PEM public key of a private key.
Result<std::string> generate_private_key();
Result<std::string> public_key_of(std::string_view private_key_pem);
// Splits text holding several PEM public keys into one string each.
std::vector<std::string> split_pem_keys(std::string_view text);

// A package whose content is valid: manifest parsed, code present and compiling, every file
// referenced (ui entry) present. Signature not yet checked.
struct CheckedPackage {
  Package package;
  Manifest manifest;
  std::string digest;  // raw
  const std::string& code() const { return package.files.at(manifest.code); }
};
// kInvalidArgument listing every problem with file:line or JSON pointer.
Result<CheckedPackage> check_package(Package p);

// The first key of keys (PEM) that verifies the package's signature: its fingerprint.
// kPermissionDenied "package is not signed" / "signature does not match any trusted key of
// publisher X".
Result<std::string> verify_package(const CheckedPackage& p, const std::vector<std::string>& keys);

}  // namespace kaiwu::apps
