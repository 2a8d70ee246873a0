// Secure Conversation (OPC 10000-6 §6.7) without a network: P_SHA256 against Python's hmac,
// and chunks of one SecureChannel opened by a mirrored one (the "server"), for None, Sign and
// SignAndEncrypt, asymmetric (OPN) and symmetric (MSG) — including tampering and chunking.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "drivers/opcua/crypto.hpp"
#include "drivers/opcua/secure_channel.hpp"

namespace kaiwu::drivers::opcua {
namespace {

namespace fs = std::filesystem;

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

TEST(OpcUaCrypto, PSha256MatchesAnIndependentImplementation) {
  // Expected bytes computed with Python's hmac/hashlib (RFC 5246 §5 P_hash).
  EXPECT_EQ(hex(p_sha256("server-nonce-0123456789abcdef0123", "client-nonce-0123456789abcdef0123", 80)),
            "d1551c4702a57ff79f9f50ac5f974af648500e13de2d20ae0376be1a972faa6454ceafa9e12f87978fcf82f449f4022742d6"
            "ace7f7669c84f435688755a53710cb1ce76e83abdb028b0680507af58f96");
}

class OpcUaChannel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("kaiwu-opcua-channel-" + std::to_string(getpid()));
    auto c = load_or_create_identity((dir_ / "client").string(), "urn:kaiwu:test:client", "localhost");
    auto s = load_or_create_identity((dir_ / "server").string(), "urn:kaiwu:test:server", "localhost");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(s) << s.error().message;
    client_ = new ApplicationIdentity(*c);
    server_ = new ApplicationIdentity(*s);
  }
  static void TearDownTestSuite() {
    delete client_;
    delete server_;
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // `a` is the client; `b` is a mirror whose "client" keys are a's server keys, so each opens
  // what the other sends.
  static void pair(SecurityMode mode, std::unique_ptr<SecureChannel>& a, std::unique_ptr<SecureChannel>& b) {
    SecurityConfig ca{std::string(mode == SecurityMode::kNone ? kPolicyNone : kPolicyBasic256Sha256), mode,
                      client_->private_key, client_->certificate.der, server_->certificate};
    SecurityConfig cb{ca.policy_uri, mode, server_->private_key, server_->certificate.der, client_->certificate};
    a = std::make_unique<SecureChannel>(ca);
    b = std::make_unique<SecureChannel>(cb);
    const std::string na = a->make_nonce();
    const std::string nb = b->make_nonce();
    ASSERT_TRUE(a->install_token(OpenSecureChannelResponse{7, 1, 0, 600000, nb}, na));
    ASSERT_TRUE(b->install_token(OpenSecureChannelResponse{7, 1, 0, 600000, na}, nb));
  }

  static inline fs::path dir_;
  static inline ApplicationIdentity* client_ = nullptr;
  static inline ApplicationIdentity* server_ = nullptr;
};

TEST_F(OpcUaChannel, CertificateCarriesTheApplicationUriAndIsReloaded) {
  EXPECT_EQ(client_->certificate.application_uri, "urn:kaiwu:test:client");
  EXPECT_TRUE(client_->certificate.time_valid);
  EXPECT_EQ(rsa_bytes(client_->private_key), 256u);
  auto again = load_or_create_identity((dir_ / "client").string(), "urn:kaiwu:test:client", "localhost");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->certificate.der, client_->certificate.der);
  auto other = load_or_create_identity((dir_ / "client").string(), "urn:other", "localhost");
  EXPECT_FALSE(other);
  fs::create_directories(dir_ / "trusted");
  EXPECT_FALSE(certificate_trusted((dir_ / "trusted").string(), server_->certificate.der));
  fs::copy_file(dir_ / "server" / "own" / "cert.der", dir_ / "trusted" / "server.der");
  EXPECT_TRUE(certificate_trusted((dir_ / "trusted").string(), server_->certificate.der));
}

TEST_F(OpcUaChannel, AsymmetricOpenRoundTripsAndDetectsTampering) {
  std::unique_ptr<SecureChannel> a, b;
  pair(SecurityMode::kSignAndEncrypt, a, b);
  const std::string body(300, 'x');
  auto chunk = a->encode_open(42, body);
  ASSERT_TRUE(chunk) << chunk.error().message;
  EXPECT_EQ(chunk->find(body), std::string::npos);  // encrypted
  auto opened = b->decode_chunk(*chunk);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->type, MessageType::kOpen);
  EXPECT_EQ(opened->request_id, 42u);
  EXPECT_EQ(opened->body, body);
  auto again = a->encode_open(43, body);
  (*again)[again->size() - 5] ^= 1;
  EXPECT_FALSE(b->decode_chunk(*again));
}

TEST_F(OpcUaChannel, SymmetricModesRoundTripChunkAndDetectTampering) {
  for (SecurityMode mode : {SecurityMode::kNone, SecurityMode::kSign, SecurityMode::kSignAndEncrypt}) {
    std::unique_ptr<SecureChannel> a, b;
    pair(mode, a, b);
    a->set_send_buffer_size(8192);
    std::string body;
    for (int i = 0; i < 20000; ++i) body.push_back(static_cast<char>(i * 7));
    auto chunks = a->encode_message(MessageType::kMessage, 5, body);
    ASSERT_TRUE(chunks) << chunks.error().message;
    EXPECT_EQ(chunks->size(), 3u);
    std::string joined;
    for (std::size_t i = 0; i < chunks->size(); ++i) {
      EXPECT_LE((*chunks)[i].size(), 8192u);
      auto r = b->decode_chunk((*chunks)[i]);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->chunk, i + 1 == chunks->size() ? 'F' : 'C');
      EXPECT_EQ(r->request_id, 5u);
      joined += r->body;
    }
    EXPECT_EQ(joined, body);
    auto one = a->encode_message(MessageType::kMessage, 6, "hello");
    ASSERT_TRUE(one);
    std::string tampered = one->front();
    tampered[tampered.size() - 1] ^= 0x40;
    if (mode == SecurityMode::kNone) {
      EXPECT_TRUE(b->decode_chunk(tampered));  // nothing to check without security
    } else {
      EXPECT_FALSE(b->decode_chunk(tampered));
      EXPECT_TRUE(b->decode_chunk(one->front()));  // a forged chunk does not consume the sequence number
    }
  }
}

TEST_F(OpcUaChannel, SequenceNumbersMustIncreaseByOne) {
  std::unique_ptr<SecureChannel> a, b;
  pair(SecurityMode::kSign, a, b);
  auto first = a->encode_message(MessageType::kMessage, 1, "a");
  auto second = a->encode_message(MessageType::kMessage, 2, "b");
  auto third = a->encode_message(MessageType::kMessage, 3, "c");
  ASSERT_TRUE(b->decode_chunk(first->front()));
  EXPECT_FALSE(b->decode_chunk(third->front()));  // skipped one
  auto replay = b->decode_chunk(first->front());
  EXPECT_FALSE(replay);
}

TEST_F(OpcUaChannel, UnknownTokenAndChannelAreRejected) {
  std::unique_ptr<SecureChannel> a, b;
  pair(SecurityMode::kSignAndEncrypt, a, b);
  auto chunk = a->encode_message(MessageType::kMessage, 1, "x");
  std::string wrong_token = chunk->front();
  wrong_token[12] = 9;
  EXPECT_FALSE(b->decode_chunk(wrong_token));
  std::string wrong_channel = chunk->front();
  wrong_channel[8] = 8;
  EXPECT_FALSE(b->decode_chunk(wrong_channel));
}

}  // namespace
}  // namespace kaiwu::drivers::opcua
