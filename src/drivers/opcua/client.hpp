// OPC UA client over a byte Transport (asio coroutines): UA TCP Hello/Acknowledge, one secure
// channel (None or Basic256Sha256 Sign/SignAndEncrypt) with token renewal, one session
// (anonymous or user name), and the services the driver needs. Requests may run concurrently:
// a reader coroutine reassembles chunks and completes each pending request by its RequestId.
//
// States:  closed ──connect()──▶ open ──I/O error, Bad channel/session──▶ broken ──connect()──▶ open
//          open ──close()──▶ closed (CloseSession, CloseSecureChannel, socket closed)
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "drivers/opcua/secure_channel.hpp"
#include "drivers/opcua/services.hpp"
#include "drivers/transport.hpp"

namespace kaiwu::drivers::opcua {

namespace asio = boost::asio;

struct ClientConfig {
  std::string endpoint_url;  // opc.tcp://host:port[/path]
  std::string security_policy = "None";  // None | Basic256Sha256
  SecurityMode mode = SecurityMode::kNone;
  std::string username;  // empty: anonymous
  std::string password;
  std::string pki_dir = "pki";          // own/cert.der, own/private/key.pem
  std::string trust = "any";            // "any" or a directory of trusted server certificates
  std::string application_uri = "urn:kaiwu:opcua:client";
  std::chrono::milliseconds timeout{5000};  // per request
  std::uint32_t channel_lifetime_ms = 600000;
  double session_timeout_ms = 60000;
  std::uint32_t max_message_size = 16 << 20;
};

// "opc.tcp://host:port/path" → ("host:port", URL); kInvalidArgument otherwise.
Result<std::string> transport_endpoint(std::string_view url);

class Client {
 public:
  Client(asio::any_io_executor executor, ClientConfig config);
  ~Client();

  asio::awaitable<Status> connect();
  asio::awaitable<void> close();
  bool is_open() const { return open_; }
  const std::string& last_error() const { return last_error_; }

  asio::awaitable<Result<std::vector<EndpointDescription>>> get_endpoints();
  // All references of `node` in `direction`, asking for at most `max_references` per answer and
  // following BrowseNext continuation points for the rest.
  asio::awaitable<Result<std::vector<ReferenceDescription>>> browse(NodeId node, std::uint32_t direction = 0,
                                                                    std::uint32_t max_references = 1000);
  asio::awaitable<Result<std::vector<DataValue>>> read(const std::vector<NodeId>& nodes);
  asio::awaitable<Result<std::vector<std::uint32_t>>> write(const std::vector<WriteValue>& values);
  asio::awaitable<Result<CreateSubscriptionResponse>> create_subscription(const CreateSubscriptionRequest& r);
  asio::awaitable<Result<std::vector<MonitoredItemResult>>> create_monitored_items(
      std::uint32_t subscription_id, const std::vector<MonitoredItemCreate>& items);
  asio::awaitable<Result<PublishResponse>> publish(const std::vector<SubscriptionAck>& acks,
                                                   std::chrono::milliseconds timeout);
  asio::awaitable<Status> delete_subscriptions(const std::vector<std::uint32_t>& ids);

  std::uint64_t requests() const { return requests_; }
  std::uint64_t renewals() const { return renewals_; }

 private:
  struct Pending {
    explicit Pending(asio::any_io_executor ex) : timer(ex, std::chrono::steady_clock::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<Result<std::string>> result;
    std::string partial;
    std::size_t chunks = 0;
  };

  RequestHeader next_header();
  asio::awaitable<Status> open_transport(std::unique_ptr<Transport>& transport);
  asio::awaitable<Result<std::string>> read_frame(std::chrono::milliseconds timeout);
  asio::awaitable<Status> open_channel(const SecurityConfig& security);
  asio::awaitable<Result<std::vector<EndpointDescription>>> discover();
  asio::awaitable<Status> create_session(const std::vector<EndpointDescription>& endpoints);
  asio::awaitable<Status> activate_session(const CreateSessionResponse& session,
                                           const std::vector<EndpointDescription>& endpoints);
  asio::awaitable<Result<std::string>> request(std::string body, std::chrono::milliseconds timeout,
                                               MessageType type = MessageType::kMessage);
  asio::awaitable<Status> send(MessageType type, std::uint32_t request_id, const std::string& body);
  asio::awaitable<Status> renew_if_due();
  asio::awaitable<void> reader_loop(std::uint64_t generation);
  void deliver(ReceivedChunk chunk);
  void break_connection(const std::string& why);
  asio::awaitable<void> lock_send();
  void unlock_send();
  Result<SecurityConfig> security_for(const EndpointDescription* endpoint);

  asio::any_io_executor executor_;
  ClientConfig config_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<SecureChannel> channel_;
  std::optional<ApplicationIdentity> identity_;
  std::string buffer_;  // received bytes not yet framed
  Acknowledge ack_;
  NodeId authentication_token_;
  std::uint32_t next_request_id_ = 1;
  std::uint32_t next_handle_ = 1;
  std::map<std::uint32_t, Pending*> pending_;
  bool open_ = false;
  bool reader_running_ = false;
  std::uint64_t generation_ = 0;
  std::string last_error_;
  std::chrono::steady_clock::time_point token_renew_at_{};
  bool renewing_ = false;
  bool send_locked_ = false;
  std::deque<asio::steady_timer*> send_waiters_;
  std::optional<asio::steady_timer> reader_done_;
  std::uint64_t requests_ = 0;
  std::uint64_t renewals_ = 0;
};

}  // namespace kaiwu::drivers::opcua
