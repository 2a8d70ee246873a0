// OPC UA Secure Conversation, client side (OPC 10000-6 §6.7), sans-I/O: turns request bodies
// into OPN/MSG/CLO chunks (sequence header, padding, signature, encryption) and received chunks
// back into bodies, for SecurityPolicy None and Basic256Sha256 (Sign, SignAndEncrypt).
//
// Token life cycle: encode_open(Issue) → install_token(response, nonce) → MSG/CLO with the
// token; encode_open(Renew) before 75 % of the lifetime → install_token again. Received chunks
// may carry the current or the previous token (§6.7.6: the server switches after the client).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/opcua/crypto.hpp"
#include "drivers/opcua/messages.hpp"
#include "drivers/opcua/services.hpp"

namespace kaiwu::drivers::opcua {

struct SecurityConfig {
  std::string policy_uri{kPolicyNone};
  SecurityMode mode = SecurityMode::kNone;
  PKey client_private_key;         // Basic256Sha256 only
  std::string client_certificate;  // DER
  Certificate server_certificate;  // from the endpoint description
};

struct ReceivedChunk {
  MessageType type = MessageType::kMessage;
  char chunk = 'F';  // 'F' final, 'C' more to come, 'A' abort
  std::uint32_t request_id = 0;
  std::string body;
};

class SecureChannel {
 public:
  explicit SecureChannel(SecurityConfig config);

  bool secured() const { return config_.mode != SecurityMode::kNone; }
  SecurityMode mode() const { return config_.mode; }
  // The peer's receive buffer (from Acknowledge) bounds the chunks this side sends.
  void set_send_buffer_size(std::uint32_t size) { send_buffer_size_ = size; }
  void set_max_chunk_count(std::uint32_t n) { max_chunk_count_ = n; }

  std::string make_nonce() const;  // 32 random bytes for Basic256Sha256, empty for None
  // One OPN chunk around an OpenSecureChannelRequest body (asymmetric security).
  Result<std::string> encode_open(std::uint32_t request_id, std::string_view body);
  // MSG or CLO chunks around a request body (symmetric security with the current token).
  Result<std::vector<std::string>> encode_message(MessageType type, std::uint32_t request_id,
                                                  std::string_view body);
  // Verifies / decrypts one received OPN, MSG or CLO chunk (a whole frame).
  Result<ReceivedChunk> decode_chunk(std::string_view frame);
  // After an OpenSecureChannelResponse: adopt channel id and token, derive keys (§6.7.5).
  Status install_token(const OpenSecureChannelResponse& response, std::string_view client_nonce);

  std::uint32_t channel_id() const { return channel_id_; }
  std::uint32_t token_id() const { return token_id_; }

 private:
  struct Keys {
    std::string signing;
    std::string encrypting;
    std::string iv;
  };
  struct TokenKeys {
    Keys client;  // secures what the client sends
    Keys server;  // secures what the server sends
  };
  std::string encode_symmetric_chunk(MessageType type, char chunk, std::uint32_t request_id,
                                     std::string_view body, Result<std::string>& error);
  Result<std::string> open_asymmetric(std::string_view frame, const ChunkHeader& h);
  Result<std::string> open_symmetric(std::string_view frame, const ChunkHeader& h);
  std::size_t max_symmetric_body() const;

  SecurityConfig config_;
  std::uint32_t send_buffer_size_ = 65536;
  std::uint32_t max_chunk_count_ = 0;
  std::uint32_t channel_id_ = 0;
  std::uint32_t token_id_ = 0;
  std::map<std::uint32_t, TokenKeys> keys_;  // current and previous token
  std::uint32_t send_sequence_ = 1;
  std::uint32_t last_received_sequence_ = 0;
  bool received_any_ = false;
};

}  // namespace kaiwu::drivers::opcua
