// Cryptographic primitives of SecurityPolicy Basic256Sha256 (OPC 10000-7 §6.6.165) on
// OpenSSL 3, and the client's application instance certificate (OPC 10000-4 §6.1, Part 6 §6.2).
//   AsymmetricSignatureAlgorithm   RSA-PKCS#1-v1.5 with SHA-256
//   AsymmetricEncryptionAlgorithm  RSA-OAEP (SHA-1, MGF1-SHA-1)
//   SymmetricSignatureAlgorithm    HMAC-SHA256 (32-byte keys and signatures)
//   SymmetricEncryptionAlgorithm   AES-256-CBC (32-byte keys, 16-byte blocks and IVs)
//   KeyDerivationAlgorithm         P_SHA256 (RFC 5246 §5)
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace kaiwu::drivers::opcua {

using PKey = std::shared_ptr<EVP_PKEY>;

constexpr std::string_view kPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";
constexpr std::string_view kPolicyBasic256Sha256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
constexpr std::string_view kRsaOaepUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";
constexpr std::string_view kRsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
constexpr std::size_t kOaepSha1Overhead = 42;  // plaintext block = key bytes - 42

std::string random_bytes(std::size_t n);
std::string sha1(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
// P_SHA256(secret, seed) truncated to `length` bytes (RFC 5246 §5; Part 6 §6.7.5).
std::string p_sha256(std::string_view secret, std::string_view seed, std::size_t length);

// AES-256-CBC without padding: `data` must be a multiple of 16 bytes.
Result<std::string> aes256_cbc(std::string_view key, std::string_view iv, std::string_view data, bool encrypt);

// RSA: key size in bytes (modulus), signatures, OAEP-SHA1 (block by block for long data).
std::size_t rsa_bytes(const PKey& key);
Result<std::string> rsa_sign_sha256(const PKey& private_key, std::string_view data);
Status rsa_verify_sha256(const PKey& public_key, std::string_view data, std::string_view signature);
Result<std::string> rsa_oaep_encrypt(const PKey& public_key, std::string_view plain);
Result<std::string> rsa_oaep_decrypt(const PKey& private_key, std::string_view cipher);

// A DER X.509 certificate and its public key.
struct Certificate {
  std::string der;
  PKey public_key;
  std::string application_uri;  // from subjectAltName URI, empty if none
  bool time_valid = false;      // now is within notBefore … notAfter
};
Result<Certificate> parse_certificate(std::string_view der);

struct ApplicationIdentity {
  Certificate certificate;
  PKey private_key;
};
// Loads `<dir>/own/cert.der` and `<dir>/own/private/key.pem`, or creates them: RSA-2048,
// self-signed for 5 years, subjectAltName URI:<application_uri>, DNS:<hostname>, key usages
// digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyCertSign and extended
// key usages serverAuth, clientAuth (Part 6 §6.2.2 Table 40).
Result<ApplicationIdentity> load_or_create_identity(const std::string& dir, const std::string& application_uri,
                                                    const std::string& hostname);

// Server certificate trust: true when a file in `<dir>` holds exactly these DER bytes (.der)
// or the same certificate in PEM (.pem/.crt).
bool certificate_trusted(const std::string& dir, std::string_view der);

}  // namespace kaiwu::drivers::opcua
