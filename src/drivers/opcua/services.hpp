// OPC UA services used by the client (OPC 10000-4 §5), as UA Binary message bodies
// (OPC 10000-6 §5.2.6: the ExpandedNodeId of the DefaultBinary encoding, then the fields).
// Sans-I/O: encode_* returns the body for a secure channel message; decode_* reads a body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "drivers/opcua/binary.hpp"
#include "drivers/opcua/types.hpp"

namespace kaiwu::drivers::opcua {

// Numeric ids (namespace 0) of the *_Encoding_DefaultBinary nodes (OPC 10000-6 Annex A, NodeIds.csv).
namespace type_ids {
constexpr std::uint32_t kServiceFault = 397;
constexpr std::uint32_t kGetEndpointsRequest = 428, kGetEndpointsResponse = 431;
constexpr std::uint32_t kOpenSecureChannelRequest = 446, kOpenSecureChannelResponse = 449;
constexpr std::uint32_t kCloseSecureChannelRequest = 452;
constexpr std::uint32_t kCreateSessionRequest = 461, kCreateSessionResponse = 464;
constexpr std::uint32_t kActivateSessionRequest = 467, kActivateSessionResponse = 470;
constexpr std::uint32_t kCloseSessionRequest = 473, kCloseSessionResponse = 476;
constexpr std::uint32_t kBrowseRequest = 527, kBrowseResponse = 530;
constexpr std::uint32_t kBrowseNextRequest = 533, kBrowseNextResponse = 536;
constexpr std::uint32_t kReadRequest = 631, kReadResponse = 634;
constexpr std::uint32_t kWriteRequest = 673, kWriteResponse = 676;
constexpr std::uint32_t kCreateMonitoredItemsRequest = 751, kCreateMonitoredItemsResponse = 754;
constexpr std::uint32_t kCreateSubscriptionRequest = 787, kCreateSubscriptionResponse = 790;
constexpr std::uint32_t kPublishRequest = 826, kPublishResponse = 829;
constexpr std::uint32_t kDeleteSubscriptionsRequest = 847, kDeleteSubscriptionsResponse = 850;
constexpr std::uint32_t kAnonymousIdentityToken = 321, kUserNameIdentityToken = 324;
constexpr std::uint32_t kDataChangeNotification = 811, kStatusChangeNotification = 820;
constexpr std::uint32_t kEventNotificationList = 916;
}  // namespace type_ids

// Part 4 §7.15 MessageSecurityMode.
enum class SecurityMode : std::uint32_t { kInvalid = 0, kNone = 1, kSign = 2, kSignAndEncrypt = 3 };
// Part 4 §7.42 UserTokenType.
enum class UserTokenType : std::uint32_t { kAnonymous = 0, kUserName = 1, kCertificate = 2, kIssuedToken = 3 };

constexpr std::uint32_t kAttributeValue = 13;  // Part 6 Annex A.1 AttributeId Value

// Part 4 §7.32 RequestHeader / §7.33 ResponseHeader.
struct RequestHeader {
  NodeId authentication_token;
  std::int64_t timestamp = 0;
  std::uint32_t request_handle = 0;
  std::uint32_t timeout_hint = 0;  // ms
};
struct ResponseHeader {
  std::int64_t timestamp = 0;
  std::uint32_t request_handle = 0;
  std::uint32_t service_result = 0;
};

// Reads the body's type id and ResponseHeader. A ServiceFault, a Bad service result or a type
// other than `expected` is an error naming the status (kUnavailable for channel/session
// problems, kUnauthenticated for identity rejections, kInvalidArgument otherwise).
Result<ResponseHeader> open_response(Decoder& d, std::uint32_t expected);
// The Errc a Bad service-level StatusCode maps to.
Errc errc_for_status(std::uint32_t status);

struct OpenSecureChannelRequest {
  std::uint32_t request_type = 0;  // 0 Issue, 1 Renew
  SecurityMode mode = SecurityMode::kNone;
  std::string client_nonce;
  std::uint32_t requested_lifetime = 600000;
};
struct OpenSecureChannelResponse {
  std::uint32_t channel_id = 0;
  std::uint32_t token_id = 0;
  std::int64_t created_at = 0;
  std::uint32_t revised_lifetime = 0;
  std::string server_nonce;
};

struct ApplicationDescription {
  std::string application_uri;
  std::string product_uri;
  LocalizedText application_name;
  std::uint32_t application_type = 1;  // 0 Server, 1 Client
  std::string gateway_server_uri;
  std::string discovery_profile_uri;
  std::vector<std::string> discovery_urls;
};
struct UserTokenPolicy {
  std::string policy_id;
  UserTokenType token_type = UserTokenType::kAnonymous;
  std::string issued_token_type;
  std::string issuer_endpoint_url;
  std::string security_policy_uri;
};
struct EndpointDescription {
  std::string endpoint_url;
  ApplicationDescription server;
  std::string server_certificate;
  SecurityMode security_mode = SecurityMode::kInvalid;
  std::string security_policy_uri;
  std::vector<UserTokenPolicy> user_identity_tokens;
  std::string transport_profile_uri;
  std::uint8_t security_level = 0;
};

struct SignatureData {
  std::string algorithm;
  std::string signature;
};

struct CreateSessionRequest {
  ApplicationDescription client;
  std::string server_uri;
  std::string endpoint_url;
  std::string session_name;
  std::string client_nonce;
  std::string client_certificate;
  double requested_timeout_ms = 120000;
  std::uint32_t max_response_message_size = 0;
};
struct CreateSessionResponse {
  NodeId session_id;
  NodeId authentication_token;
  double revised_timeout_ms = 0;
  std::string server_nonce;
  std::string server_certificate;
  std::vector<EndpointDescription> endpoints;
  SignatureData server_signature;
  std::uint32_t max_request_message_size = 0;
};

struct ActivateSessionRequest {
  SignatureData client_signature;
  ExtensionObject identity_token;
  SignatureData user_token_signature;
};
struct ActivateSessionResponse {
  std::string server_nonce;
  std::vector<std::uint32_t> results;
};

// Part 4 §7.36.3/§7.36.4 identity tokens, as ExtensionObjects.
ExtensionObject anonymous_identity(std::string_view policy_id);
ExtensionObject username_identity(std::string_view policy_id, std::string_view user, std::string_view password,
                                  std::string_view encryption_algorithm);

struct BrowseDescription {
  NodeId node;
  std::uint32_t direction = 0;  // 0 Forward, 1 Inverse, 2 Both
  NodeId reference_type = NodeId::num(0, 33);  // HierarchicalReferences
  bool include_subtypes = true;
  std::uint32_t node_class_mask = 0;
  std::uint32_t result_mask = 0x3F;  // all fields
};
struct ReferenceDescription {
  NodeId reference_type;
  bool is_forward = true;
  ExpandedNodeId node;
  QualifiedName browse_name;
  LocalizedText display_name;
  std::uint32_t node_class = 0;  // 1 Object, 2 Variable, 4 Method, …
  ExpandedNodeId type_definition;
};
struct BrowseResult {
  std::uint32_t status = 0;
  std::string continuation_point;
  std::vector<ReferenceDescription> references;
};

struct WriteValue {
  NodeId node;
  std::uint32_t attribute = kAttributeValue;
  DataValue value;
};

struct CreateSubscriptionRequest {
  double publishing_interval_ms = 1000;
  std::uint32_t lifetime_count = 60;
  std::uint32_t max_keep_alive_count = 10;
  std::uint32_t max_notifications = 0;
  bool publishing_enabled = true;
  std::uint8_t priority = 0;
};
struct CreateSubscriptionResponse {
  std::uint32_t subscription_id = 0;
  double revised_publishing_interval_ms = 0;
  std::uint32_t revised_lifetime_count = 0;
  std::uint32_t revised_max_keep_alive_count = 0;
};

struct MonitoredItemCreate {
  NodeId node;
  std::uint32_t client_handle = 0;
  double sampling_interval_ms = -1;  // -1: the publishing interval
  std::uint32_t queue_size = 10;
};
struct MonitoredItemResult {
  std::uint32_t status = 0;
  std::uint32_t monitored_item_id = 0;
};

struct ItemNotification {
  std::uint32_t client_handle = 0;
  DataValue value;
};
struct PublishResponse {
  std::uint32_t subscription_id = 0;
  std::vector<std::uint32_t> available_sequence_numbers;
  bool more_notifications = false;
  std::uint32_t sequence_number = 0;
  std::int64_t publish_time = 0;
  std::vector<ItemNotification> data_changes;
  std::optional<std::uint32_t> status_change;  // StatusChangeNotification (e.g. BadTimeout)
};
struct SubscriptionAck {
  std::uint32_t subscription_id = 0;
  std::uint32_t sequence_number = 0;
};

// Request bodies (type id + RequestHeader + fields).
std::string encode_open_secure_channel(const RequestHeader& h, const OpenSecureChannelRequest& r);
std::string encode_close_secure_channel(const RequestHeader& h);
std::string encode_get_endpoints(const RequestHeader& h, std::string_view endpoint_url);
std::string encode_create_session(const RequestHeader& h, const CreateSessionRequest& r);
std::string encode_activate_session(const RequestHeader& h, const ActivateSessionRequest& r);
std::string encode_close_session(const RequestHeader& h, bool delete_subscriptions);
std::string encode_browse(const RequestHeader& h, const std::vector<BrowseDescription>& nodes,
                          std::uint32_t max_references);
std::string encode_browse_next(const RequestHeader& h, const std::vector<std::string>& continuation_points,
                               bool release);
std::string encode_read(const RequestHeader& h, const std::vector<NodeId>& nodes, double max_age_ms);
std::string encode_write(const RequestHeader& h, const std::vector<WriteValue>& values);
std::string encode_create_subscription(const RequestHeader& h, const CreateSubscriptionRequest& r);
std::string encode_create_monitored_items(const RequestHeader& h, std::uint32_t subscription_id,
                                          const std::vector<MonitoredItemCreate>& items);
std::string encode_publish(const RequestHeader& h, const std::vector<SubscriptionAck>& acks);
std::string encode_delete_subscriptions(const RequestHeader& h, const std::vector<std::uint32_t>& ids);

// Response bodies (the whole body, type id included).
Result<OpenSecureChannelResponse> decode_open_secure_channel(std::string_view body);
Result<std::vector<EndpointDescription>> decode_get_endpoints(std::string_view body);
Result<CreateSessionResponse> decode_create_session(std::string_view body);
Result<ActivateSessionResponse> decode_activate_session(std::string_view body);
Status decode_close_session(std::string_view body);
Result<std::vector<BrowseResult>> decode_browse(std::string_view body, bool next);
Result<std::vector<DataValue>> decode_read(std::string_view body);
Result<std::vector<std::uint32_t>> decode_write(std::string_view body);
Result<CreateSubscriptionResponse> decode_create_subscription(std::string_view body);
Result<std::vector<MonitoredItemResult>> decode_create_monitored_items(std::string_view body);
Result<PublishResponse> decode_publish(std::string_view body);
Status decode_delete_subscriptions(std::string_view body);

}  // namespace kaiwu::drivers::opcua
