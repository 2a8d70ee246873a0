#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kaiwu::crypto {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// FIPS 180-2 appendix B and the NIST example values for SHA-256.
TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, RawDigestIsThirtyTwoBytesOfTheHex) {
  std::string raw = sha256("abc");
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(to_hex(raw), sha256_hex("abc"));
  EXPECT_EQ(raw, from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST(Sha256, HashesEmbeddedNulBytes) {
  std::string with_nul("a\0b", 3);
  EXPECT_NE(sha256_hex(with_nul), sha256_hex("a"));
  EXPECT_NE(sha256_hex(with_nul), sha256_hex("ab"));
}

struct HmacVector {
  std::string key;
  std::string data;
  std::string hex;
};

// RFC 4231 §4.2-§4.8 (HMAC-SHA-256 results).
TEST(HmacSha256, Rfc4231Vectors) {
  const HmacVector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& v : vectors) {
    std::string mac = hmac_sha256(v.key, v.data);
    EXPECT_EQ(mac.size(), 32u);
    EXPECT_EQ(to_hex(mac), v.hex) << "data: " << v.data;
  }
}

// RFC 4231 §4.6: the test case whose output is truncated to 128 bits.
TEST(HmacSha256, Rfc4231TruncatedVector) {
  std::string mac = hmac_sha256(std::string(20, '\x0c'), "Test With Truncation");
  EXPECT_EQ(to_hex(mac).substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256, EmptyKeyAndData) {
  // Computed independently (Python hmac); a null key pointer must still give a full MAC.
  EXPECT_EQ(to_hex(hmac_sha256(std::string_view{}, std::string_view{})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(to_hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256, KeyAndDataBothMatter) {
  EXPECT_NE(hmac_sha256("k1", "data"), hmac_sha256("k2", "data"));
  EXPECT_NE(hmac_sha256("k1", "data"), hmac_sha256("k1", "datb"));
  EXPECT_EQ(hmac_sha256("k1", "data"), hmac_sha256("k1", "data"));
}

TEST(Hex, EncodesEveryByteLowercase) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex(std::string("\x00\x01\x7f\x80\xfe\xff", 6)), "00017f80feff");
  EXPECT_EQ(to_hex("\xAB\xCD"), "abcd");
}

// RFC 4648 §10, without padding as base64url is used in JWTs and tokens.
TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("\xfb\xef\xbe"), "----");
  EXPECT_EQ(base64url_encode("\xff\xff\xff"), "____");
  EXPECT_EQ(base64url_decode("-_8"), std::optional<std::string>("\xfb\xff"));
}

TEST(Base64Url, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (std::size_t n = 0; n <= all.size(); ++n) {
    std::string data = all.substr(all.size() - n);
    std::string text = base64url_encode(data);
    EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << n;
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << text;
    auto back = base64url_decode(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, data);
  }
}

TEST(Base64Url, RoundTripsRandomData) {
  for (int i = 0; i < 200; ++i) {
    std::string data = random_bytes(static_cast<std::size_t>(i));
    EXPECT_EQ(base64url_decode(base64url_encode(data)), std::optional<std::string>(data));
  }
}

TEST(Base64Url, AcceptsCompletePadding) {
  EXPECT_EQ(base64url_decode("Zg=="), std::optional<std::string>("f"));
  EXPECT_EQ(base64url_decode("Zm8="), std::optional<std::string>("fo"));
  EXPECT_EQ(base64url_decode("Zm9v"), std::optional<std::string>("foo"));
}

TEST(Base64Url, RejectsInvalidInput) {
  const char* invalid[] = {
      "Z",         // one character cannot encode a byte
      "Zm9vY",     // 5 characters: length % 4 == 1
      "Zm9v!",     // not in the alphabet
      "Zm+v",      // standard base64, not base64url
      "Zm/v",      //
      "Zm9 v",     // whitespace
      "Zm9v\n",    //
      "Zg=",       // padding that does not complete the group
      "Zg===",     // too much padding
      "====",      // only padding
      "Zm=8",      // padding in the middle
      "Zh",        // "f" with non-zero leftover bits (canonical is "Zg")
      "Zm9",       // "fo" with non-zero leftover bits (canonical is "Zm8")
      "\xc3\xa9",  // non-ASCII
  };
  for (const char* text : invalid) EXPECT_FALSE(base64url_decode(text).has_value()) << text;
}

// A JWT signature is 32 bytes, 43 characters with two spare bits in the last one. If those bits
// were ignored, four different signature texts would all verify.
TEST(Base64Url, SignatureTextsAreCanonical) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string mac = hmac_sha256("secret", "header.payload");
  std::string text = base64url_encode(mac);
  ASSERT_EQ(text.size(), 43u);
  ASSERT_EQ(base64url_decode(text), std::optional<std::string>(mac));
  std::size_t last = kAlphabet.find(text.back());
  ASSERT_EQ(last % 4, 0u);  // the spare bits of the canonical text are zero
  for (std::size_t spare = 1; spare < 4; ++spare) {
    std::string altered = text;
    altered.back() = kAlphabet[last + spare];
    EXPECT_FALSE(base64url_decode(altered).has_value()) << altered;
  }
}

TEST(Random, BytesHexAndTokenLengths) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 16u, 32u, 33u}) {
    EXPECT_EQ(random_bytes(n).size(), n);
    std::string hex = random_hex(n);
    EXPECT_EQ(hex.size(), 2 * n);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
    std::string token = random_token(n);
    EXPECT_EQ(token.size(), (4 * n + 2) / 3) << n;
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    auto raw = base64url_decode(token);
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->size(), n);
  }
  EXPECT_EQ(random_token(32).size(), 43u);
}

TEST(Random, TokensAreUnique) {
  std::set<std::string> tokens;
  std::set<std::string> hexes;
  for (int i = 0; i < 10'000; ++i) {
    tokens.insert(random_token(16));
    hexes.insert(random_hex(16));
  }
  EXPECT_EQ(tokens.size(), 10'000u);
  EXPECT_EQ(hexes.size(), 10'000u);
}

TEST(Random, BytesCoverTheByteRange) {
  std::string data = random_bytes(64 * 1024);
  std::set<unsigned char> seen(data.begin(), data.end());
  EXPECT_EQ(seen.size(), 256u);  // missing one of 256 values in 64 KiB: probability ~1e-109
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal("secret", "Secret"));  // differs first
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));  // differs last
  EXPECT_FALSE(constant_time_equal("secret", "secret!"));
  EXPECT_FALSE(constant_time_equal("secret", "secre"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
  std::string mac = hmac_sha256("k", "m");
  EXPECT_TRUE(constant_time_equal(mac, hmac_sha256("k", "m")));
  EXPECT_FALSE(constant_time_equal(mac, hmac_sha256("k", "n")));
}

}  // namespace
}  // namespace kaiwu::crypto
