#include "drivers/opcua/crypto.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kaiwu::drivers::opcua {

namespace {

namespace fs = std::filesystem;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

PKey own(EVP_PKEY* k) { return PKey(k, EVP_PKEY_free); }

std::string openssl_error(std::string_view what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  return fmt::format("{}: {}", what, e != 0 ? buf : "failed");
}

const unsigned char* u(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(Errc::kIo, "cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file(const fs::path& p, std::string_view data, fs::perms perms) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(data.data(), static_cast<std::streamsize>(data.size()))) {
    return fail(Errc::kIo, "cannot write " + p.string());
  }
  out.close();
  std::error_code ec;
  fs::permissions(p, perms, ec);
  return ok();
}

std::string to_der(X509* x) {
  const int n = i2d_X509(x, nullptr);
  if (n <= 0) return {};
  std::string der(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(x, &p);
  return der;
}

bool add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

Result<ApplicationIdentity> create_identity(const std::string& application_uri, const std::string& hostname) {
  PKey key = own(EVP_RSA_gen(2048));
  if (!key) return fail(Errc::kInternal, openssl_error("RSA key generation"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::string serial = random_bytes(16);
  serial[0] = static_cast<char>(serial[0] & 0x7F);
  BIGNUM* bn = BN_bin2bn(u(serial), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 5L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, u("Kaiwu OPC UA Client"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, u("Kaiwu"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "DC", MBSTRING_UTF8, u(hostname), static_cast<int>(hostname.size()), -1, 0);
  X509_set_issuer_name(cert.get(), name);
  const bool exts =
      add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
      add_ext(cert.get(), NID_key_usage,
              "critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment,keyCertSign") &&
      add_ext(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") &&
      add_ext(cert.get(), NID_subject_key_identifier, "hash") &&
      add_ext(cert.get(), NID_authority_key_identifier, "keyid:always") &&
      add_ext(cert.get(), NID_subject_alt_name, fmt::format("URI:{},DNS:{}", application_uri, hostname));
  if (!exts) return fail(Errc::kInternal, openssl_error("certificate extensions"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return fail(Errc::kInternal, openssl_error("signing the certificate"));
  }
  ApplicationIdentity id;
  id.certificate = KAIWU_TRY(parse_certificate(to_der(cert.get())));
  id.private_key = key;
  return id;
}

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy: nothing secure can continue
  }
  return out;
}

std::string sha1(std::string_view data) {
  std::string out(SHA_DIGEST_LENGTH, '\0');
  SHA1(u(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), u(data), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

// RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)); output = HMAC(secret, A(i) + seed)...
std::string p_sha256(std::string_view secret, std::string_view seed, std::size_t length) {
  std::string out;
  std::string a(seed);
  while (out.size() < length) {
    a = hmac_sha256(secret, a);
    out += hmac_sha256(secret, a + std::string(seed));
  }
  out.resize(length);
  return out;
}

Result<std::string> aes256_cbc(std::string_view key, std::string_view iv, std::string_view data, bool encrypt) {
  if (key.size() != 32 || iv.size() != 16 || data.size() % 16 != 0) {
    return fail(Errc::kInvalidArgument, "AES-256-CBC: bad key, IV or block alignment");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, u(key), u(iv), encrypt ? 1 : 0) != 1) {
    return fail(Errc::kInternal, openssl_error("AES init"));
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::string out(data.size() + 16, '\0');
  int n = 0;
  int m = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n, u(data), static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n, &m) != 1) {
    return fail(Errc::kInvalidArgument, openssl_error("AES-256-CBC"));
  }
  out.resize(static_cast<std::size_t>(n + m));
  return out;
}

std::size_t rsa_bytes(const PKey& key) { return key ? static_cast<std::size_t>(EVP_PKEY_get_size(key.get())) : 0; }

Result<std::string> rsa_sign_sha256(const PKey& private_key, std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, private_key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return fail(Errc::kInternal, openssl_error("RSA sign init"));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, u(data), data.size()) != 1) {
    return fail(Errc::kInternal, openssl_error("RSA sign"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, u(data), data.size()) != 1) {
    return fail(Errc::kInternal, openssl_error("RSA sign"));
  }
  sig.resize(len);
  return sig;
}

Status rsa_verify_sha256(const PKey& public_key, std::string_view data, std::string_view signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, public_key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return fail(Errc::kInternal, openssl_error("RSA verify init"));
  }
  if (EVP_DigestVerify(ctx.get(), u(signature), signature.size(), u(data), data.size()) != 1) {
    ERR_clear_error();
    return fail(Errc::kPermissionDenied, "OPC UA: asymmetric signature check failed");
  }
  return ok();
}

namespace {
Result<CtxPtr> oaep_ctx(const PKey& key, bool encrypt) {
  CtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha1()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha1()) != 1) {
    return fail(Errc::kInternal, openssl_error("RSA-OAEP init"));
  }
  return ctx;
}
}  // namespace

Result<std::string> rsa_oaep_encrypt(const PKey& public_key, std::string_view plain) {
  const std::size_t key_bytes = rsa_bytes(public_key);
  if (key_bytes <= kOaepSha1Overhead) return fail(Errc::kInvalidArgument, "RSA key too small");
  const std::size_t block = key_bytes - kOaepSha1Overhead;
  auto ctx = KAIWU_TRY(oaep_ctx(public_key, true));
  std::string out;
  for (std::size_t off = 0; off < plain.size(); off += block) {
    const auto part = plain.substr(off, block);
    std::string c(key_bytes, '\0');
    std::size_t len = c.size();
    if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(c.data()), &len, u(part), part.size()) != 1) {
      return fail(Errc::kInternal, openssl_error("RSA-OAEP encrypt"));
    }
    c.resize(len);
    out += c;
  }
  return out;
}

Result<std::string> rsa_oaep_decrypt(const PKey& private_key, std::string_view cipher) {
  const std::size_t key_bytes = rsa_bytes(private_key);
  if (key_bytes == 0 || cipher.size() % key_bytes != 0) {
    return fail(Errc::kInvalidArgument, "OPC UA: encrypted data is not a whole number of RSA blocks");
  }
  auto ctx = KAIWU_TRY(oaep_ctx(private_key, false));
  std::string out;
  for (std::size_t off = 0; off < cipher.size(); off += key_bytes) {
    const auto part = cipher.substr(off, key_bytes);
    std::string p(key_bytes, '\0');
    std::size_t len = p.size();
    if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(p.data()), &len, u(part), part.size()) != 1) {
      ERR_clear_error();
      return fail(Errc::kPermissionDenied, "OPC UA: RSA-OAEP decryption failed");
    }
    p.resize(len);
    out += p;
  }
  return out;
}

Result<Certificate> parse_certificate(std::string_view der) {
  const unsigned char* p = u(der);
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    ERR_clear_error();
    return fail(Errc::kInvalidArgument, "OPC UA: invalid DER certificate");
  }
  Certificate c;
  c.der = to_der(x.get());
  c.public_key = own(X509_get_pubkey(x.get()));
  c.time_valid = X509_cmp_current_time(X509_get0_notBefore(x.get())) < 0 &&
                 X509_cmp_current_time(X509_get0_notAfter(x.get())) > 0;
  if (!c.public_key || EVP_PKEY_get_base_id(c.public_key.get()) != EVP_PKEY_RSA) {
    return fail(Errc::kInvalidArgument, "OPC UA: certificate without an RSA public key");
  }
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      if (n->type == GEN_URI) {
        const auto* s = n->d.uniformResourceIdentifier;
        c.application_uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s)));
        break;
      }
    }
    GENERAL_NAMES_free(names);
  }
  return c;
}

Result<ApplicationIdentity> load_or_create_identity(const std::string& dir, const std::string& application_uri,
                                                    const std::string& hostname) {
  const fs::path cert_path = fs::path(dir) / "own" / "cert.der";
  const fs::path key_path = fs::path(dir) / "own" / "private" / "key.pem";
  std::error_code ec;
  if (fs::exists(cert_path, ec) && fs::exists(key_path, ec)) {
    const std::string der = KAIWU_TRY(read_file(cert_path));
    const std::string pem = KAIWU_TRY(read_file(key_path));
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PKey key = own(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return fail(Errc::kInvalidArgument, openssl_error("reading " + key_path.string()));
    ApplicationIdentity id;
    id.certificate = KAIWU_TRY(parse_certificate(der));
    id.private_key = key;
    if (id.certificate.application_uri != application_uri) {
      return fail(Errc::kInvalidArgument,
                  fmt::format("{} is for application URI '{}', not '{}'", cert_path.string(),
                              id.certificate.application_uri, application_uri));
    }
    return id;
  }
  fs::create_directories(key_path.parent_path(), ec);
  if (ec) return fail(Errc::kIo, fmt::format("creating {}: {}", key_path.parent_path().string(), ec.message()));
  fs::permissions(key_path.parent_path(), fs::perms::owner_all, ec);
  auto id = KAIWU_TRY(create_identity(application_uri, hostname));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), id.private_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(Errc::kInternal, openssl_error("writing the private key"));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  KAIWU_TRY_STATUS(write_file(key_path, std::string_view(data, static_cast<std::size_t>(len)),
                              fs::perms::owner_read | fs::perms::owner_write));
  KAIWU_TRY_STATUS(write_file(cert_path, id.certificate.der,
                              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                  fs::perms::others_read));
  return id;
}

bool certificate_trusted(const std::string& dir, std::string_view der) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    auto content = read_file(entry.path());
    if (!content) continue;
    if (*content == der) return true;
    BioPtr bio(BIO_new_mem_buf(content->data(), static_cast<int>(content->size())));
    X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (x && to_der(x.get()) == der) return true;
  }
  return false;
}

}  // namespace kaiwu::drivers::opcua
