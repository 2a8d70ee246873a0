// The session and attribute/view/subscription services of Client (OPC 10000-4 §5.6–§5.13).
// g++ 12 reports a false -Wmismatched-new-delete on asio coroutine frames inlined here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <fmt/format.h>

#include "drivers/opcua/binary.hpp"
#include "drivers/opcua/client.hpp"

namespace kaiwu::drivers::opcua {

namespace {

// Picks the user token policy of `type` from the endpoint matching the channel's policy/mode,
// or from any endpoint if none matches.
const UserTokenPolicy* find_token_policy(const std::vector<EndpointDescription>& endpoints,
                                         std::string_view channel_policy, SecurityMode mode, UserTokenType type) {
  const UserTokenPolicy* fallback = nullptr;
  for (const auto& ep : endpoints) {
    for (const auto& p : ep.user_identity_tokens) {
      if (p.token_type != type) continue;
      if (ep.security_policy_uri == channel_policy && ep.security_mode == mode) return &p;
      if (fallback == nullptr) fallback = &p;
    }
  }
  return fallback;
}

bool oaep_sha1(std::string_view uri) {
  return uri == kPolicyBasic256Sha256 || uri == "http://opcfoundation.org/UA/SecurityPolicy#Basic256" ||
         uri == "http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep";
}

}  // namespace

// Part 4 §5.6.2 CreateSession; the server proves possession of its key by signing the client
// certificate and nonce (§5.6.2.2) when the channel is secured.
asio::awaitable<Status> Client::create_session(const std::vector<EndpointDescription>& endpoints) {
  CreateSessionRequest r;
  r.client.application_uri = config_.application_uri;
  r.client.product_uri = "urn:kaiwu";
  r.client.application_name = LocalizedText{"en", "Kaiwu OPC UA client"};
  r.endpoint_url = config_.endpoint_url;
  r.session_name = fmt::format("kaiwu-{}", next_handle_);
  r.client_nonce = random_bytes(32);
  if (channel_->secured()) r.client_certificate = identity_->certificate.der;
  r.requested_timeout_ms = config_.session_timeout_ms;
  r.max_response_message_size = config_.max_message_size;
  auto body = co_await request(encode_create_session(next_header(), r), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto session = decode_create_session(*body);
  if (!session) co_return std::unexpected(session.error());
  if (channel_->secured()) {
    auto cert = parse_certificate(session->server_certificate);
    if (!cert) co_return std::unexpected(cert.error());
    auto verified = rsa_verify_sha256(cert->public_key, r.client_certificate + r.client_nonce,
                                      session->server_signature.signature);
    if (!verified) co_return fail(Errc::kPermissionDenied, "OPC UA CreateSession: server signature check failed");
  }
  authentication_token_ = session->authentication_token;
  const auto& offered = session->endpoints.empty() ? endpoints : session->endpoints;
  auto activated = co_await activate_session(*session, offered);
  co_return activated;
}

// Part 4 §5.6.3 ActivateSession with an anonymous or user name identity token (§7.41); the
// password is encrypted (§7.41.2.3: length ‖ password ‖ server nonce, RSA-OAEP) when the token
// policy's securityPolicyUri, or else the channel's policy, is not None.
asio::awaitable<Status> Client::activate_session(const CreateSessionResponse& session,
                                                 const std::vector<EndpointDescription>& endpoints) {
  ActivateSessionRequest a;
  const std::string channel_policy = config_.security_policy == "Basic256Sha256"
                                         ? std::string(kPolicyBasic256Sha256)
                                         : std::string(kPolicyNone);
  if (channel_->secured()) {
    auto sig = rsa_sign_sha256(identity_->private_key, session.server_certificate + session.server_nonce);
    if (!sig) co_return std::unexpected(sig.error());
    a.client_signature = SignatureData{std::string(kRsaSha256Uri), std::move(*sig)};
  }
  if (config_.username.empty()) {
    const auto* p = find_token_policy(endpoints, channel_policy, config_.mode, UserTokenType::kAnonymous);
    if (p == nullptr) co_return fail(Errc::kUnauthenticated, "OPC UA server does not allow anonymous sessions");
    a.identity_token = anonymous_identity(p->policy_id);
  } else {
    const auto* p = find_token_policy(endpoints, channel_policy, config_.mode, UserTokenType::kUserName);
    if (p == nullptr) co_return fail(Errc::kUnauthenticated, "OPC UA server offers no user name login");
    const std::string token_policy = p->security_policy_uri.empty() ? channel_policy : p->security_policy_uri;
    if (token_policy == kPolicyNone) {
      a.identity_token = username_identity(p->policy_id, config_.username, config_.password, "");
    } else if (oaep_sha1(token_policy)) {
      auto cert = parse_certificate(session.server_certificate);
      if (!cert) co_return std::unexpected(cert.error());
      Encoder plain;
      plain.u32(static_cast<std::uint32_t>(config_.password.size() + session.server_nonce.size()));
      plain.raw(config_.password);
      plain.raw(session.server_nonce);
      auto secret = rsa_oaep_encrypt(cert->public_key, plain.bytes());
      if (!secret) co_return std::unexpected(secret.error());
      a.identity_token = username_identity(p->policy_id, config_.username, *secret, kRsaOaepUri);
    } else {
      co_return fail(Errc::kFailedPrecondition,
                     fmt::format("OPC UA user token policy '{}' is not supported", token_policy));
    }
  }
  auto body = co_await request(encode_activate_session(next_header(), a), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto activated = decode_activate_session(*body);
  if (!activated) {
    co_return fail(activated.error().code, "OPC UA ActivateSession rejected: " + activated.error().message);
  }
  co_return ok();
}

asio::awaitable<Result<std::vector<EndpointDescription>>> Client::get_endpoints() {
  auto body = co_await request(encode_get_endpoints(next_header(), config_.endpoint_url), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  co_return decode_get_endpoints(*body);
}

// Part 4 §5.8.2 Browse and §5.8.3 BrowseNext until no continuation point is left.
asio::awaitable<Result<std::vector<ReferenceDescription>>> Client::browse(NodeId node, std::uint32_t direction,
                                                                          std::uint32_t max_references) {
  BrowseDescription d;
  d.node = std::move(node);
  d.direction = direction;
  std::vector<BrowseDescription> nodes;
  nodes.push_back(std::move(d));
  auto body = co_await request(encode_browse(next_header(), nodes, max_references), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto results = decode_browse(*body, false);
  std::vector<ReferenceDescription> refs;
  for (int round = 0; round < 1000; ++round) {
    if (!results) co_return std::unexpected(results.error());
    if (results->size() != 1) co_return fail(Errc::kInvalidArgument, "OPC UA Browse: expected one result");
    auto& r = results->front();
    if (status_is_bad(r.status)) co_return fail(Errc::kNotFound, "OPC UA Browse: " + status_name(r.status));
    for (auto& ref : r.references) refs.push_back(std::move(ref));
    if (r.continuation_point.empty()) co_return refs;
    std::vector<std::string> points;
    points.push_back(r.continuation_point);
    body = co_await request(encode_browse_next(next_header(), points, false), config_.timeout);
    if (!body) co_return std::unexpected(body.error());
    results = decode_browse(*body, true);
  }
  co_return fail(Errc::kResourceExhausted, "OPC UA Browse: too many continuation rounds");
}

asio::awaitable<Result<std::vector<DataValue>>> Client::read(const std::vector<NodeId>& nodes) {
  auto body = co_await request(encode_read(next_header(), nodes, 0), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto values = decode_read(*body);
  if (values && values->size() != nodes.size()) {
    co_return fail(Errc::kInvalidArgument, fmt::format("OPC UA Read: {} results for {} nodes", values->size(),
                                                       nodes.size()));
  }
  co_return values;
}

asio::awaitable<Result<std::vector<std::uint32_t>>> Client::write(const std::vector<WriteValue>& values) {
  auto body = co_await request(encode_write(next_header(), values), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto results = decode_write(*body);
  if (results && results->size() != values.size()) {
    co_return fail(Errc::kInvalidArgument, "OPC UA Write: result count mismatch");
  }
  co_return results;
}

asio::awaitable<Result<CreateSubscriptionResponse>> Client::create_subscription(const CreateSubscriptionRequest& r) {
  auto body = co_await request(encode_create_subscription(next_header(), r), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  co_return decode_create_subscription(*body);
}

asio::awaitable<Result<std::vector<MonitoredItemResult>>> Client::create_monitored_items(
    std::uint32_t subscription_id, const std::vector<MonitoredItemCreate>& items) {
  auto body = co_await request(encode_create_monitored_items(next_header(), subscription_id, items), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  auto results = decode_create_monitored_items(*body);
  if (results && results->size() != items.size()) {
    co_return fail(Errc::kInvalidArgument, "OPC UA CreateMonitoredItems: result count mismatch");
  }
  co_return results;
}

asio::awaitable<Result<PublishResponse>> Client::publish(const std::vector<SubscriptionAck>& acks,
                                                         std::chrono::milliseconds timeout) {
  RequestHeader header = next_header();
  header.timeout_hint = static_cast<std::uint32_t>(timeout.count());
  auto body = co_await request(encode_publish(header, acks), timeout);
  if (!body) co_return std::unexpected(body.error());
  co_return decode_publish(*body);
}

asio::awaitable<Status> Client::delete_subscriptions(const std::vector<std::uint32_t>& ids) {
  auto body = co_await request(encode_delete_subscriptions(next_header(), ids), config_.timeout);
  if (!body) co_return std::unexpected(body.error());
  co_return decode_delete_subscriptions(*body);
}

}  // namespace kaiwu::drivers::opcua
