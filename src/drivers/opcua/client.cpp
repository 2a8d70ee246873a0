#include "drivers/opcua/client.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include "drivers/opcua/binary.hpp"

namespace kaiwu::drivers::opcua {

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kReceiveBufferSize = 65536;
constexpr std::size_t kMaxChunksPerResponse = 4096;

std::int64_t now_datetime() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return datetime_from_unix_ms(ms);
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string policy_uri(std::string_view name) {
  return std::string(name == "Basic256Sha256" ? kPolicyBasic256Sha256 : kPolicyNone);
}

std::string_view mode_name(SecurityMode m) {
  switch (m) {
    case SecurityMode::kNone: return "None";
    case SecurityMode::kSign: return "Sign";
    case SecurityMode::kSignAndEncrypt: return "SignAndEncrypt";
    default: return "Invalid";
  }
}

}  // namespace

Result<std::string> transport_endpoint(std::string_view url) {
  constexpr std::string_view kScheme = "opc.tcp://";
  if (!url.starts_with(kScheme)) {
    return fail(Errc::kInvalidArgument, fmt::format("OPC UA endpoint '{}' must start with opc.tcp://", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return fail(Errc::kInvalidArgument, fmt::format("OPC UA endpoint '{}' needs host:port", url));
  }
  return std::string(rest);
}

Client::Client(asio::any_io_executor executor, ClientConfig config)
    : executor_(std::move(executor)), config_(std::move(config)) {}

Client::~Client() {
  if (transport_) transport_->close();
}

RequestHeader Client::next_header() {
  RequestHeader h;
  h.authentication_token = authentication_token_;
  h.timestamp = now_datetime();
  h.request_handle = next_handle_++;
  h.timeout_hint = static_cast<std::uint32_t>(config_.timeout.count());
  return h;
}

asio::awaitable<void> Client::lock_send() {
  while (send_locked_) {
    asio::steady_timer waiter(executor_, std::chrono::steady_clock::time_point::max());
    send_waiters_.push_back(&waiter);
    co_await waiter.async_wait(kAsTuple);
  }
  send_locked_ = true;
}

void Client::unlock_send() {
  send_locked_ = false;
  if (!send_waiters_.empty()) {
    send_waiters_.front()->cancel();
    send_waiters_.pop_front();
  }
}

asio::awaitable<Result<std::string>> Client::read_frame(std::chrono::milliseconds timeout) {
  std::string chunk(kReceiveBufferSize, '\0');
  for (;;) {
    auto header = peek_header(buffer_, kReceiveBufferSize);
    if (!header) co_return std::unexpected(header.error());
    if (*header && buffer_.size() >= (*header)->size) {
      std::string frame = buffer_.substr(0, (*header)->size);
      buffer_.erase(0, (*header)->size);
      co_return frame;
    }
    if (!transport_) co_return fail(Errc::kUnavailable, "OPC UA: not connected");
    auto n = co_await transport_->read_some(std::as_writable_bytes(std::span(chunk.data(), chunk.size())), timeout);
    if (!n) co_return std::unexpected(n.error());
    buffer_.append(chunk.data(), *n);
  }
}

// Part 6 §7.1.2.3: Hello → Acknowledge (or Error).
asio::awaitable<Status> Client::open_transport(std::unique_ptr<Transport>& transport) {
  const auto endpoint = transport_endpoint(config_.endpoint_url);
  if (!endpoint) co_return std::unexpected(endpoint.error());
  auto made = make_transport(executor_, *endpoint);
  if (!made) co_return std::unexpected(made.error());
  transport = std::move(*made);
  buffer_.clear();
  auto opened = co_await transport->open(config_.timeout);
  if (!opened) co_return opened;
  Hello hello;
  hello.receive_buffer_size = kReceiveBufferSize;
  hello.send_buffer_size = kReceiveBufferSize;
  hello.max_message_size = config_.max_message_size;
  hello.endpoint_url = config_.endpoint_url;
  const std::string bytes = encode_hello(hello);
  auto written = co_await transport->write(std::as_bytes(std::span(bytes.data(), bytes.size())));
  if (!written) co_return written;
  auto frame = co_await read_frame(config_.timeout);
  if (!frame) co_return std::unexpected(frame.error());
  if (frame->starts_with("ERR")) {
    auto err = decode_error(*frame);
    co_return fail(Errc::kUnavailable, err ? fmt::format("OPC UA server refused the connection: {} {}",
                                                         status_name(err->error), err->reason)
                                           : err.error().message);
  }
  auto ack = decode_acknowledge(*frame);
  if (!ack) co_return std::unexpected(ack.error());
  ack_ = *ack;
  co_return ok();
}

Result<SecurityConfig> Client::security_for(const EndpointDescription* endpoint) {
  SecurityConfig s;
  s.policy_uri = policy_uri(config_.security_policy);
  s.mode = config_.mode;
  if (endpoint == nullptr) return s;
  if (!identity_) {
    auto id = load_or_create_identity(config_.pki_dir, config_.application_uri, host_name());
    if (!id) return std::unexpected(id.error());
    identity_ = std::move(*id);
  }
  s.client_private_key = identity_->private_key;
  s.client_certificate = identity_->certificate.der;
  s.server_certificate = KAIWU_TRY(parse_certificate(endpoint->server_certificate));
  // Part 4 §6.1.3: the certificate must be valid now and name the server's ApplicationUri.
  if (!s.server_certificate.time_valid) {
    return fail(Errc::kPermissionDenied, "OPC UA server certificate is expired or not yet valid");
  }
  if (s.server_certificate.application_uri != endpoint->server.application_uri) {
    return fail(Errc::kPermissionDenied,
                fmt::format("OPC UA server certificate is for '{}' but the server is '{}' (BadCertificateUriInvalid)",
                            s.server_certificate.application_uri, endpoint->server.application_uri));
  }
  if (config_.trust != "any" && !certificate_trusted(config_.trust, endpoint->server_certificate)) {
    return fail(Errc::kPermissionDenied,
                fmt::format("OPC UA server certificate (application {}) is not in the trusted directory {}",
                            s.server_certificate.application_uri, config_.trust));
  }
  return s;
}

// Part 4 §5.5.2: OpenSecureChannel (Issue), answered before the reader loop runs.
asio::awaitable<Status> Client::open_channel(const SecurityConfig& security) {
  channel_ = std::make_unique<SecureChannel>(security);
  channel_->set_send_buffer_size(std::min(ack_.receive_buffer_size, kReceiveBufferSize));
  channel_->set_max_chunk_count(ack_.max_chunk_count);
  const std::string nonce = channel_->make_nonce();
  OpenSecureChannelRequest r{0, security.mode, nonce, config_.channel_lifetime_ms};
  const std::uint32_t request_id = next_request_id_++;
  auto chunk = channel_->encode_open(request_id, encode_open_secure_channel(next_header(), r));
  if (!chunk) co_return std::unexpected(chunk.error());
  auto written = co_await transport_->write(std::as_bytes(std::span(chunk->data(), chunk->size())));
  if (!written) co_return written;
  auto frame = co_await read_frame(config_.timeout);
  if (!frame) co_return std::unexpected(frame.error());
  if (frame->starts_with("ERR")) {
    auto err = decode_error(*frame);
    co_return fail(err ? errc_for_status(err->error) : Errc::kUnavailable,
                   err ? fmt::format("OPC UA OpenSecureChannel refused: {} {}", status_name(err->error), err->reason)
                       : err.error().message);
  }
  auto received = channel_->decode_chunk(*frame);
  if (!received) co_return std::unexpected(received.error());
  auto response = decode_open_secure_channel(received->body);
  if (!response) co_return std::unexpected(response.error());
  auto installed = channel_->install_token(*response, nonce);
  if (!installed) co_return installed;
  const auto lifetime = std::chrono::milliseconds(std::max<std::uint32_t>(response->revised_lifetime, 1000));
  token_renew_at_ = std::chrono::steady_clock::now() + lifetime * 3 / 4;
  co_return ok();
}

asio::awaitable<Status> Client::send(MessageType type, std::uint32_t request_id, const std::string& body) {
  co_await lock_send();
  Status status = ok();
  if (!transport_ || !channel_ || !transport_->is_open()) {
    status = fail(Errc::kUnavailable, "OPC UA: not connected");
  } else if (type == MessageType::kOpen) {
    auto chunk = channel_->encode_open(request_id, body);
    if (chunk) {
      status = co_await transport_->write(std::as_bytes(std::span(chunk->data(), chunk->size())));
    } else {
      status = std::unexpected(chunk.error());
    }
  } else {
    auto chunks = channel_->encode_message(type, request_id, body);
    if (!chunks) status = std::unexpected(chunks.error());
    for (std::size_t i = 0; status && chunks && i < chunks->size(); ++i) {
      const auto& c = (*chunks)[i];
      status = co_await transport_->write(std::as_bytes(std::span(c.data(), c.size())));
    }
  }
  unlock_send();
  co_return status;
}

// Part 6 §6.7.6 / Part 4 §5.5.2: renew the token before 75 % of its lifetime has passed.
asio::awaitable<Status> Client::renew_if_due() {
  if (renewing_ || std::chrono::steady_clock::now() < token_renew_at_) co_return ok();
  renewing_ = true;
  const std::string nonce = channel_->make_nonce();
  OpenSecureChannelRequest r{1, channel_->mode(), nonce, config_.channel_lifetime_ms};
  auto body = co_await request(encode_open_secure_channel(next_header(), r), config_.timeout, MessageType::kOpen);
  renewing_ = false;
  if (!body) co_return std::unexpected(body.error());
  auto response = decode_open_secure_channel(*body);
  if (!response) co_return std::unexpected(response.error());
  auto installed = channel_->install_token(*response, nonce);
  if (!installed) co_return installed;
  const auto lifetime = std::chrono::milliseconds(std::max<std::uint32_t>(response->revised_lifetime, 1000));
  token_renew_at_ = std::chrono::steady_clock::now() + lifetime * 3 / 4;
  ++renewals_;
  co_return ok();
}

asio::awaitable<Result<std::string>> Client::request(std::string body, std::chrono::milliseconds timeout,
                                                     MessageType type) {
  if (!reader_running_ || !channel_) co_return fail(Errc::kUnavailable, "OPC UA: not connected");
  if (type == MessageType::kMessage) {
    auto renewed = co_await renew_if_due();
    if (!renewed) {
      break_connection("renewing the secure channel: " + renewed.error().message);
      co_return std::unexpected(renewed.error());
    }
  }
  const std::uint32_t id = next_request_id_++;
  Pending pending(executor_);
  pending_[id] = &pending;
  ++requests_;
  auto sent = co_await send(type, id, body);
  if (sent && !pending.result) {
    pending.timer.expires_after(timeout);
    co_await pending.timer.async_wait(kAsTuple);
  }
  pending_.erase(id);
  if (!sent) co_return std::unexpected(sent.error());
  if (!pending.result) co_return fail(Errc::kTimeout, fmt::format("OPC UA: no response within {} ms", timeout.count()));
  co_return std::move(*pending.result);
}

void Client::deliver(ReceivedChunk chunk) {
  const auto it = pending_.find(chunk.request_id);
  if (it == pending_.end()) return;  // answered after its timeout
  Pending& p = *it->second;
  if (p.result) return;
  if (chunk.chunk == 'A') {  // §6.7.3: abort chunk carries Error (StatusCode) and Reason
    Decoder d(chunk.body);
    const std::uint32_t code = d.status();
    const std::string reason = d.string();
    p.result = fail(errc_for_status(code), fmt::format("OPC UA response aborted: {} {}", status_name(code), reason));
  } else {
    p.partial += chunk.body;
    if (p.partial.size() > config_.max_message_size || ++p.chunks > kMaxChunksPerResponse) {
      p.result = fail(Errc::kPayloadTooLarge, "OPC UA response exceeds the maximum message size");
    } else if (chunk.chunk == 'F') {
      p.result = std::move(p.partial);
    }
  }
  if (p.result) p.timer.cancel();
}

void Client::break_connection(const std::string& why) {
  open_ = false;
  last_error_ = why;
  for (auto& [id, p] : pending_) {
    if (!p->result) {
      p->result = fail(Errc::kUnavailable, "OPC UA connection lost: " + why);
      p->timer.cancel();
    }
  }
  if (transport_) transport_->close();
}

asio::awaitable<void> Client::reader_loop(std::uint64_t generation) {
  reader_running_ = true;
  while (generation == generation_ && transport_ && transport_->is_open()) {
    auto frame = co_await read_frame(std::chrono::seconds(30));
    if (generation != generation_) break;
    if (!frame) {
      if (frame.error().code == Errc::kTimeout) continue;
      break_connection(frame.error().message);
      break;
    }
    if (frame->starts_with("ERR")) {
      auto err = decode_error(*frame);
      break_connection(err ? fmt::format("server error {} {}", status_name(err->error), err->reason)
                           : err.error().message);
      break;
    }
    auto chunk = channel_->decode_chunk(*frame);
    if (!chunk) {
      break_connection(chunk.error().message);
      break;
    }
    deliver(std::move(*chunk));
  }
  reader_running_ = false;
  if (reader_done_) reader_done_->cancel();
}

asio::awaitable<Result<std::vector<EndpointDescription>>> Client::discover() {
  const SecurityConfig none;  // a named object: g++ 12 mishandles temporaries bound across co_await
  auto opened = co_await open_transport(transport_);
  if (opened) opened = co_await open_channel(none);
  if (!opened) {
    if (transport_) transport_->close();
    co_return std::unexpected(opened.error());
  }
  asio::co_spawn(executor_, reader_loop(++generation_), asio::detached);
  auto endpoints = co_await get_endpoints();
  co_await close();
  co_return endpoints;
}

asio::awaitable<Status> Client::connect() {
  co_await close();
  std::vector<EndpointDescription> endpoints;
  const EndpointDescription* chosen = nullptr;
  if (config_.mode != SecurityMode::kNone) {
    auto found = co_await discover();
    if (!found) co_return std::unexpected(found.error());
    endpoints = std::move(*found);
    const std::string uri = policy_uri(config_.security_policy);
    for (const auto& ep : endpoints) {
      if (ep.security_policy_uri == uri && ep.security_mode == config_.mode) chosen = &ep;
    }
    if (chosen == nullptr) {
      co_return fail(Errc::kFailedPrecondition, fmt::format("OPC UA server offers no endpoint with {} / {}",
                                                            config_.security_policy, mode_name(config_.mode)));
    }
  }
  auto security = security_for(chosen);
  if (!security) co_return std::unexpected(security.error());
  auto opened = co_await open_transport(transport_);
  if (opened) opened = co_await open_channel(*security);
  if (!opened) {
    if (transport_) transport_->close();
    last_error_ = opened.error().message;
    co_return opened;
  }
  asio::co_spawn(executor_, reader_loop(++generation_), asio::detached);
  auto session = co_await create_session(endpoints);
  if (!session) {
    last_error_ = session.error().message;
    co_await close();
    co_return session;
  }
  open_ = true;
  co_return ok();
}

asio::awaitable<void> Client::close() {
  if (reader_running_ && transport_ && transport_->is_open() && channel_) {
    if (!authentication_token_.is_null()) {
      auto closed = co_await request(encode_close_session(next_header(), true), std::chrono::milliseconds(1000));
      if (closed) (void)decode_close_session(*closed);
    }
    // Part 4 §5.5.3: CloseSecureChannel has no response; the server closes the socket.
    (void)co_await send(MessageType::kClose, next_request_id_++, encode_close_secure_channel(next_header()));
  }
  open_ = false;
  authentication_token_ = NodeId{};
  if (transport_) transport_->close();
  if (reader_running_) {
    reader_done_.emplace(executor_, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    co_await reader_done_->async_wait(kAsTuple);
    reader_done_.reset();
  }
  ++generation_;
  break_connection(last_error_);
  channel_.reset();
}

}  // namespace kaiwu::drivers::opcua
