#include "apps/package.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/crypto.hpp"
#include "core/json_parse.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu::apps {
namespace json = boost::json;

namespace {

constexpr std::string_view kFormat = "kaiwu-app/1";
constexpr std::string_view kDigestDomain = "kaiwu-app-package/1\n";
constexpr std::size_t kMaxPathBytes = 128;
constexpr std::size_t kEd25519SignatureBytes = 64;  // RFC 8032 §5.1.6

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Status check_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxPathBytes)
    return fail(Errc::kInvalidArgument, fmt::format("file path '{}' must be 1..128 bytes", path));
  if (path.front() == '/' || path.back() == '/')
    return fail(Errc::kInvalidArgument, fmt::format("file path '{}' must be relative", path));
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return fail(Errc::kInvalidArgument, fmt::format("file path '{}' has an empty, . or .. segment", path));
    for (char c : part) {
      const bool good = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
      if (!good) return fail(Errc::kInvalidArgument, fmt::format("file path '{}' may use only [A-Za-z0-9._-/]", path));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return ok();
}

// An Ed25519 key read from PEM by read (PEM_read_bio_PUBKEY or PEM_read_bio_PrivateKey).
template <typename Read>
Result<PkeyPtr> read_ed25519(std::string_view pem, Read read, std::string_view what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return fail(Errc::kInternal, "cannot allocate a BIO");
  PkeyPtr key(read(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
    return fail(Errc::kInvalidArgument, fmt::format("not a PEM Ed25519 {} key", what));
  return key;
}

Result<PkeyPtr> read_public_key(std::string_view pem) { return read_ed25519(pem, PEM_read_bio_PUBKEY, "public"); }

// "line 3: boom" from the sandbox → "main.lua:3: boom".
Result<PkeyPtr> read_private_key(std::string_view pem) {
  return read_ed25519(pem, PEM_read_bio_PrivateKey, "private");
}

// The PEM text a writer puts into a memory BIO.
template <typename Write>
Result<std::string> pem_text(Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get()) != 1) return fail(Errc::kInternal, "cannot write a PEM key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string lua_location(const std::string& file, const std::string& message) {
  constexpr std::string_view kLine = "line ";
  if (message.starts_with(kLine)) {
    const auto colon = message.find(':');
    if (colon != std::string::npos)
      return fmt::format("{}:{}:{}", file, message.substr(kLine.size(), colon - kLine.size()), message.substr(colon + 1));
  }
  return fmt::format("{}: {}", file, message);
}

}  // namespace

Result<Package> parse_package(std::string_view text) {
  if (text.size() > kMaxPackageBytes * 2) return fail(Errc::kPayloadTooLarge, "package is larger than 8 MiB");
  auto v = KAIWU_TRY(parse_json(text));
  if (!v.is_object()) return fail(Errc::kInvalidArgument, "package must be a JSON object");
  const auto& o = v.get_object();
  for (const auto& [k, _] : o) {
    if (k != "format" && k != "files" && k != "signature")
      return fail(Errc::kInvalidArgument, fmt::format("package: unknown field '{}'", std::string_view(k)));
  }
  if (const auto* f = o.if_contains("format"); f && (!f->is_string() || f->get_string() != kFormat))
    return fail(Errc::kInvalidArgument, fmt::format("package: format must be \"{}\"", kFormat));
  const auto* files = o.if_contains("files");
  if (!files || !files->is_object()) return fail(Errc::kInvalidArgument, "package: files must be an object path → text");
  Package p;
  std::size_t total = 0;
  if (files->get_object().size() > kMaxPackageFiles)
    return fail(Errc::kInvalidArgument, fmt::format("package has more than {} files", kMaxPackageFiles));
  for (const auto& [path, content] : files->get_object()) {
    KAIWU_TRY_STATUS(check_path(path));
    if (!content.is_string())
      return fail(Errc::kInvalidArgument, fmt::format("package: files/{} must be a string", std::string_view(path)));
    total += content.get_string().size();
    p.files.emplace(std::string(path), std::string(content.get_string()));
  }
  if (total > kMaxPackageBytes) return fail(Errc::kPayloadTooLarge, "package files exceed 4 MiB");
  if (const auto* sig = o.if_contains("signature")) {
    if (!sig->is_string()) return fail(Errc::kInvalidArgument, "package: signature must be base64url text");
    if (!sig->get_string().empty()) {
      auto raw = crypto::base64url_decode(sig->get_string());
      if (!raw || raw->size() != kEd25519SignatureBytes)
        return fail(Errc::kInvalidArgument, "package: signature must be 64 bytes in base64url");
      p.signature = std::move(*raw);
    }
  }
  return p;
}

std::string package_json(const Package& p) {
  json::object files;
  for (const auto& [path, content] : p.files) files[path] = content;
  json::object o{{"format", kFormat}, {"files", std::move(files)}};
  o["signature"] = p.signature.empty() ? std::string() : crypto::base64url_encode(p.signature);
  return json::serialize(o);
}

Result<Package> pack_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(Errc::kNotFound, fmt::format("{} is not a directory", dir));
  Package p;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    KAIWU_TRY_STATUS(check_path(rel));
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in.good() && !in.eof()) return fail(Errc::kIo, fmt::format("cannot read {}", it->path().string()));
    p.files.emplace(std::move(rel), buf.str());
  }
  if (ec) return fail(Errc::kIo, fmt::format("{}: {}", dir, ec.message()));
  return p;
}

std::string canonical_digest(const Package& p) {
  std::string data(kDigestDomain);
  for (const auto& [path, content] : p.files) {  // std::map: byte order of the paths
    data += fmt::format("{}\n{}\n", path, content.size());
    data += content;
    data += '\n';
  }
  return crypto::sha256(data);
}

Result<std::string> sign_digest(std::string_view private_key_pem, std::string_view digest) {
  auto key = KAIWU_TRY(read_private_key(private_key_pem));
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string sig(kEd25519SignatureBytes, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(digest.data()), digest.size()) != 1)
    return fail(Errc::kInternal, "Ed25519 signing failed");
  sig.resize(len);
  return sig;
}

Result<std::string> generate_private_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  if (!key) return fail(Errc::kInternal, "cannot generate an Ed25519 key");
  return pem_text([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
}

Result<std::string> public_key_of(std::string_view private_key_pem) {
  auto key = KAIWU_TRY(read_private_key(private_key_pem));
  return pem_text([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); });
}

Status verify_digest(std::string_view public_key_pem, std::string_view digest, std::string_view signature) {
  auto key = KAIWU_TRY(read_public_key(public_key_pem));
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return fail(Errc::kInternal, "cannot initialise Ed25519 verification");
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(), reinterpret_cast<const unsigned char*>(digest.data()),
                                  digest.size());
  if (rc != 1) return fail(Errc::kPermissionDenied, "signature does not verify");
  return ok();
}

Result<std::string> public_key_fingerprint(std::string_view public_key_pem) {
  auto key = KAIWU_TRY(read_public_key(public_key_pem));
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()), &len) != 1)
    return fail(Errc::kInvalidArgument, "cannot read the raw Ed25519 public key");
  raw.resize(len);
  return crypto::sha256_hex(raw);
}

std::vector<std::string> split_pem_keys(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
  constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const auto end = text.find(kEnd, pos);
    if (end == std::string_view::npos) break;
    out.emplace_back(text.substr(pos, end + kEnd.size() - pos));
    out.back() += '\n';
    pos = end + kEnd.size();
  }
  return out;
}

Result<CheckedPackage> check_package(Package p) {
  auto it = p.files.find("manifest.json");
  if (it == p.files.end()) return fail(Errc::kInvalidArgument, "package has no manifest.json");
  auto manifest = KAIWU_TRY(parse_manifest(it->second));
  std::vector<std::string> problems;
  auto code = p.files.find(manifest.code);
  if (code == p.files.end()) {
    problems.push_back(fmt::format("manifest.json /code: the package has no file {}", manifest.code));
  } else if (auto st = rules::Sandbox::check_syntax(code->second); !st) {
    problems.push_back(lua_location(manifest.code, st.error().message));
  }
  if (!manifest.ui_entry.empty() && !p.files.contains(manifest.ui_entry))
    problems.push_back(fmt::format("manifest.json /ui/entry: the package has no file {}", manifest.ui_entry));
  for (const auto& [path, _] : p.files) {
    if (path != "manifest.json" && path != manifest.code && !path.starts_with("ui/"))
      problems.push_back(fmt::format("{}: files other than manifest.json, the code and ui/… are not allowed", path));
  }
  if (!problems.empty()) return fail(Errc::kInvalidArgument, fmt::format("{}", fmt::join(problems, "; ")));
  CheckedPackage out{std::move(p), std::move(manifest), {}};
  out.digest = canonical_digest(out.package);
  return out;
}

Result<std::string> verify_package(const CheckedPackage& p, const std::vector<std::string>& keys) {
  if (p.package.signature.empty()) return fail(Errc::kPermissionDenied, "package is not signed");
  for (const auto& key : keys) {
    if (verify_digest(key, p.digest, p.package.signature)) return public_key_fingerprint(key);
  }
  return fail(Errc::kPermissionDenied,
              fmt::format("signature does not match any trusted key of publisher '{}' (package altered, or "
                          "signed with an unregistered key)",
                          p.manifest.publisher));
}

}  // namespace kaiwu::apps
