// Packages: canonical digest, Ed25519 signatures, tamper detection, validation messages.
#include <gtest/gtest.h>

#include "apps/package.hpp"
#include "test_util.hpp"

namespace kaiwu::apps {
namespace {

using test::must;

TEST(Package, SignedPackageVerifiesWithItsKeyOnly) {
  const auto key = test::generate_key();
  const auto other = test::generate_key();
  auto checked = must(check_package(test::example_package(key.private_pem)));
  EXPECT_EQ(checked.digest.size(), 32u);
  EXPECT_EQ(checked.package.signature.size(), 64u);
  EXPECT_EQ(must(verify_package(checked, {other.public_pem, key.public_pem})), must(public_key_fingerprint(key.public_pem)));
  auto unknown = verify_package(checked, {other.public_pem});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kPermissionDenied);
  EXPECT_NE(unknown.error().message.find("kaiwu-examples"), std::string::npos);
  EXPECT_FALSE(verify_package(checked, {}));
}

TEST(Package, ChangingOneByteAnywhereBreaksTheSignature) {
  const auto key = test::generate_key();
  const auto signed_pkg = test::example_package(key.private_pem);
  const std::pair<std::string, std::string> edits[] = {{"main.lua", "\"devices\""}, {"manifest.json", "\"test\""}};
  for (const auto& [file, needle] : edits) {
    auto p = signed_pkg;
    auto& text = p.files[file];
    const auto at = text.find(needle);
    ASSERT_NE(at, std::string::npos) << file;
    text[at + 1] ^= 0x20;  // one byte: lower ↔ upper case, still valid Lua / JSON
    auto checked = must(check_package(p));
    auto v = verify_package(checked, {key.public_pem});
    ASSERT_FALSE(v) << file;
    EXPECT_EQ(v.error().code, Errc::kPermissionDenied);
  }
  auto extra = signed_pkg;
  extra.files["ui/x.html"] = "<p>added</p>";
  auto checked = must(check_package(extra));
  EXPECT_FALSE(verify_package(checked, {key.public_pem}));
  // The digest covers file boundaries: moving a byte from one file to another changes it.
  Package a, b;
  a.files = {{"a", "xy"}, {"b", "z"}};
  b.files = {{"a", "x"}, {"b", "yz"}};
  EXPECT_NE(canonical_digest(a), canonical_digest(b));
}

TEST(Package, UnsignedIsRefused) {
  auto checked = must(check_package(test::example_package()));
  auto v = verify_package(checked, {test::generate_key().public_pem});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("not signed"), std::string::npos);
}

TEST(Package, WireFormRoundTrips) {
  const auto key = test::generate_key();
  const auto p = test::example_package(key.private_pem);
  auto back = must(parse_package(package_json(p)));
  EXPECT_EQ(back.files, p.files);
  EXPECT_EQ(back.signature, p.signature);
  EXPECT_FALSE(parse_package(R"({"files":{"../etc/passwd":"x"}})"));
  EXPECT_FALSE(parse_package(R"({"files":{"/abs":"x"}})"));
  EXPECT_FALSE(parse_package(R"({"files":{"a":"x"},"signature":"short"})"));
  EXPECT_FALSE(parse_package(R"({"files":{},"extra":1})"));
}

TEST(Package, ValidationPointsAtFileAndLine) {
  auto p = test::example_package();
  p.files["main.lua"] = "function summary(input)\n  return (\nend\n";
  auto c = check_package(p);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("main.lua:3:"), std::string::npos) << c.error().message;
  p = test::example_package();
  p.files.erase("main.lua");
  c = check_package(p);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/code: the package has no file main.lua"), std::string::npos);
  p = test::example_package();
  p.files["secret.txt"] = "x";
  EXPECT_FALSE(check_package(p));
}

TEST(Package, KeysMustBeEd25519) {
  EXPECT_FALSE(public_key_fingerprint("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
  const auto k1 = test::generate_key();
  const auto k2 = test::generate_key();
  const auto split = split_pem_keys(k1.public_pem + "\n" + k2.public_pem);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(must(public_key_fingerprint(split[1])), must(public_key_fingerprint(k2.public_pem)));
}

}  // namespace
}  // namespace kaiwu::apps
