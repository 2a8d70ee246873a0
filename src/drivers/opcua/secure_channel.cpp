#include "drivers/opcua/secure_channel.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "drivers/opcua/binary.hpp"

namespace kaiwu::drivers::opcua {

namespace {

constexpr std::size_t kSymmetricSignatureSize = 32;  // HMAC-SHA256
constexpr std::size_t kAesBlock = 16;
constexpr std::size_t kSymmetricKeySize = 32;

std::unexpected<Error> security_error(std::string why) {
  return fail(Errc::kPermissionDenied, "OPC UA secure channel: " + std::move(why));
}

void patch_size(std::string& chunk) {
  const auto n = static_cast<std::uint32_t>(chunk.size());
  for (int i = 0; i < 4; ++i) chunk[4 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
}

void set_size(std::string& chunk, std::uint32_t n) {
  for (int i = 0; i < 4; ++i) chunk[4 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
}

// §6.7.2.5 padding: PaddingSize byte, PaddingSize bytes of that value, and ExtraPaddingSize
// (the high byte) when the encryption key is longer than 2048 bits.
std::string make_padding(std::size_t padding_size, bool extra) {
  std::string p(padding_size + 1, static_cast<char>(padding_size & 0xFF));
  if (extra) p.push_back(static_cast<char>((padding_size >> 8) & 0xFF));
  return p;
}

std::size_t padding_for(std::size_t used, std::size_t block) { return (block - used % block) % block; }

// Strips the padding that ends `plain` (which no longer holds the signature).
Result<std::size_t> padding_length(std::string_view plain, bool extra) {
  if (plain.empty()) return fail(Errc::kPermissionDenied, "OPC UA secure channel: no padding");
  std::size_t size = static_cast<std::uint8_t>(plain.back());
  std::size_t total = size + 1;
  if (extra) {
    if (plain.size() < 2) return fail(Errc::kPermissionDenied, "OPC UA secure channel: no padding");
    size = (size << 8) | static_cast<std::uint8_t>(plain[plain.size() - 2]);
    total = size + 2;
  }
  if (total > plain.size()) return fail(Errc::kPermissionDenied, "OPC UA secure channel: padding too long");
  return total;
}

std::string sequence_header(std::uint32_t seq, std::uint32_t request_id) {
  Encoder e;
  e.u32(seq);
  e.u32(request_id);
  return std::move(e.bytes());
}

}  // namespace

SecureChannel::SecureChannel(SecurityConfig config) : config_(std::move(config)) {}

std::string SecureChannel::make_nonce() const { return secured() ? random_bytes(32) : std::string(); }

// §6.7.2 / §6.7.4: OPN chunks use the asymmetric algorithms of the policy: signed with the
// client's private key, encrypted with the server's public key (both in Sign and SignAndEncrypt).
Result<std::string> SecureChannel::encode_open(std::uint32_t request_id, std::string_view body) {
  Encoder e;
  e.raw("OPNF");
  e.u32(0);
  e.u32(channel_id_);
  e.string(config_.policy_uri);
  if (secured()) {
    e.bytestring(config_.client_certificate);
    e.bytestring(sha1(config_.server_certificate.der));
  } else {
    e.null_string();
    e.null_string();
  }
  std::string chunk = std::move(e.bytes());
  const std::string plain_head = sequence_header(send_sequence_++, request_id) + std::string(body);
  if (!secured()) {
    chunk += plain_head;
    patch_size(chunk);
    return chunk;
  }
  const PKey& server_key = config_.server_certificate.public_key;
  const std::size_t cipher_block = rsa_bytes(server_key);
  if (cipher_block <= kOaepSha1Overhead) return security_error("server certificate key too small");
  const std::size_t plain_block = cipher_block - kOaepSha1Overhead;
  const std::size_t signature_size = rsa_bytes(config_.client_private_key);
  const bool extra = cipher_block > 256;
  const std::size_t used = plain_head.size() + 1 + (extra ? 1 : 0) + signature_size;
  std::string plain = plain_head + make_padding(padding_for(used, plain_block), extra);
  const std::size_t encrypted_size = (plain.size() + signature_size) / plain_block * cipher_block;
  set_size(chunk, static_cast<std::uint32_t>(chunk.size() + encrypted_size));
  if (chunk.size() + encrypted_size > send_buffer_size_) return security_error("OpenSecureChannel request too large");
  const std::string signature = KAIWU_TRY(rsa_sign_sha256(config_.client_private_key, chunk + plain));
  const std::string cipher = KAIWU_TRY(rsa_oaep_encrypt(server_key, plain + signature));
  if (cipher.size() != encrypted_size) return security_error("unexpected RSA output size");
  return chunk + cipher;
}

std::size_t SecureChannel::max_symmetric_body() const {
  constexpr std::size_t kHeader = kHeaderSize + 8;  // message header, channel id, token id
  const std::size_t room = send_buffer_size_ - kHeader;
  switch (config_.mode) {
    case SecurityMode::kSignAndEncrypt:
      return room / kAesBlock * kAesBlock - kSequenceHeaderSize - kSymmetricSignatureSize - 1;
    case SecurityMode::kSign: return room - kSequenceHeaderSize - kSymmetricSignatureSize;
    default: return room - kSequenceHeaderSize;
  }
}

std::string SecureChannel::encode_symmetric_chunk(MessageType type, char chunk_type, std::uint32_t request_id,
                                                  std::string_view body, Result<std::string>& error) {
  Encoder e;
  e.raw(message_type_tag(type));
  e.u8(static_cast<std::uint8_t>(chunk_type));
  e.u32(0);
  e.u32(channel_id_);
  e.u32(token_id_);
  std::string chunk = std::move(e.bytes());
  std::string plain = sequence_header(send_sequence_++, request_id) + std::string(body);
  if (!secured()) {
    chunk += plain;
    patch_size(chunk);
    return chunk;
  }
  const Keys& keys = keys_.at(token_id_).client;
  if (config_.mode == SecurityMode::kSignAndEncrypt) {
    plain += make_padding(padding_for(plain.size() + 1 + kSymmetricSignatureSize, kAesBlock), false);
  }
  set_size(chunk, static_cast<std::uint32_t>(chunk.size() + plain.size() + kSymmetricSignatureSize));
  const std::string signature = hmac_sha256(keys.signing, chunk + plain);
  if (config_.mode == SecurityMode::kSign) return chunk + plain + signature;
  auto cipher = aes256_cbc(keys.encrypting, keys.iv, plain + signature, true);
  if (!cipher) {
    error = std::unexpected(cipher.error());
    return {};
  }
  return chunk + *cipher;
}

// §6.7.2.1: a message is split into chunks that fit the peer's receive buffer.
Result<std::vector<std::string>> SecureChannel::encode_message(MessageType type, std::uint32_t request_id,
                                                               std::string_view body) {
  if (secured() && !keys_.contains(token_id_)) return security_error("no security token yet");
  const std::size_t max_body = max_symmetric_body();
  const std::size_t count = body.empty() ? 1 : (body.size() + max_body - 1) / max_body;
  if (max_chunk_count_ != 0 && count > max_chunk_count_) {
    return fail(Errc::kPayloadTooLarge, fmt::format("OPC UA request needs {} chunks, the server allows {}", count,
                                                    max_chunk_count_));
  }
  std::vector<std::string> chunks;
  Result<std::string> error = std::string();
  for (std::size_t i = 0; i < count; ++i) {
    const auto part = body.substr(i * max_body, max_body);
    chunks.push_back(encode_symmetric_chunk(type, i + 1 == count ? 'F' : 'C', request_id, part, error));
    if (!error) return std::unexpected(error.error());
  }
  return chunks;
}

Result<std::string> SecureChannel::open_asymmetric(std::string_view frame, const ChunkHeader& h) {
  if (h.asymmetric.policy_uri != config_.policy_uri) {
    return security_error(fmt::format("server answered with policy '{}'", h.asymmetric.policy_uri));
  }
  if (!secured()) return std::string(frame.substr(h.header_size));
  if (h.asymmetric.sender_certificate != config_.server_certificate.der) {
    return security_error("OpenSecureChannel response signed by another certificate");
  }
  if (h.asymmetric.receiver_thumbprint != sha1(config_.client_certificate)) {
    return security_error("OpenSecureChannel response for another client certificate");
  }
  std::string plain = KAIWU_TRY(rsa_oaep_decrypt(config_.client_private_key, frame.substr(h.header_size)));
  const std::size_t signature_size = rsa_bytes(config_.server_certificate.public_key);
  if (plain.size() < signature_size + kSequenceHeaderSize) return security_error("response too short");
  const std::string signature = plain.substr(plain.size() - signature_size);
  plain.resize(plain.size() - signature_size);
  const std::string signed_part = std::string(frame.substr(0, h.header_size)) + plain;
  KAIWU_TRY_STATUS(rsa_verify_sha256(config_.server_certificate.public_key, signed_part, signature));
  const bool extra = rsa_bytes(config_.client_private_key) > 256;
  const std::size_t pad = KAIWU_TRY(padding_length(plain, extra));
  plain.resize(plain.size() - pad);
  return plain;
}

Result<std::string> SecureChannel::open_symmetric(std::string_view frame, const ChunkHeader& h) {
  if (h.channel_id != channel_id_) return security_error(fmt::format("unknown channel id {}", h.channel_id));
  if (!secured()) return std::string(frame.substr(h.header_size));
  const auto it = keys_.find(h.token_id);
  if (it == keys_.end()) return security_error(fmt::format("unknown token id {}", h.token_id));
  const Keys& keys = it->second.server;
  std::string plain(frame.substr(h.header_size));
  if (config_.mode == SecurityMode::kSignAndEncrypt) {
    if (plain.size() % kAesBlock != 0) return security_error("encrypted part is not whole AES blocks");
    plain = KAIWU_TRY(aes256_cbc(keys.encrypting, keys.iv, plain, false));
  }
  if (plain.size() < kSymmetricSignatureSize + kSequenceHeaderSize) return security_error("chunk too short");
  const std::string signature = plain.substr(plain.size() - kSymmetricSignatureSize);
  plain.resize(plain.size() - kSymmetricSignatureSize);
  const std::string expected = hmac_sha256(keys.signing, std::string(frame.substr(0, h.header_size)) + plain);
  if (expected.size() != signature.size() || CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return security_error("message signature check failed");
  }
  if (config_.mode == SecurityMode::kSignAndEncrypt) {
    const std::size_t pad = KAIWU_TRY(padding_length(plain, false));
    plain.resize(plain.size() - pad);
  }
  return plain;
}

Result<ReceivedChunk> SecureChannel::decode_chunk(std::string_view frame) {
  const ChunkHeader h = KAIWU_TRY(decode_chunk_header(frame));
  std::string plain = h.frame.type == MessageType::kOpen ? KAIWU_TRY(open_asymmetric(frame, h))
                                                         : KAIWU_TRY(open_symmetric(frame, h));
  if (plain.size() < kSequenceHeaderSize) return security_error("chunk without a sequence header");
  Decoder d(plain);
  const std::uint32_t seq = d.u32();
  const std::uint32_t request_id = d.u32();
  // §6.7.2.4: sequence numbers increase by one, wrapping below 1024 after 4294966271.
  if (received_any_ && seq != last_received_sequence_ + 1 &&
      !(last_received_sequence_ > 4294966271u && seq < 1024)) {
    return security_error(fmt::format("sequence number {} after {}", seq, last_received_sequence_));
  }
  received_any_ = true;
  last_received_sequence_ = seq;
  return ReceivedChunk{h.frame.type, h.frame.chunk, request_id, plain.substr(kSequenceHeaderSize)};
}

// §6.7.5: client keys = P_SHA256(ServerNonce, ClientNonce), server keys = P_SHA256(ClientNonce,
// ServerNonce); each is SigningKey ‖ EncryptingKey ‖ InitializationVector.
Status SecureChannel::install_token(const OpenSecureChannelResponse& response, std::string_view client_nonce) {
  if (channel_id_ != 0 && response.channel_id != channel_id_) return security_error("channel id changed on renewal");
  if (secured()) {
    if (response.server_nonce.size() != 32) return security_error("server nonce must be 32 bytes");
    auto split = [](const std::string& material) {
      return Keys{material.substr(0, kSymmetricKeySize), material.substr(kSymmetricKeySize, kSymmetricKeySize),
                  material.substr(2 * kSymmetricKeySize, kAesBlock)};
    };
    const std::size_t length = 2 * kSymmetricKeySize + kAesBlock;
    TokenKeys keys{split(p_sha256(response.server_nonce, client_nonce, length)),
                   split(p_sha256(client_nonce, response.server_nonce, length))};
    // Keep the previous token for responses still in flight; drop older ones.
    while (keys_.size() > 1) keys_.erase(keys_.begin());
    keys_[response.token_id] = std::move(keys);
  }
  channel_id_ = response.channel_id;
  token_id_ = response.token_id;
  return ok();
}

}  // namespace kaiwu::drivers::opcua
