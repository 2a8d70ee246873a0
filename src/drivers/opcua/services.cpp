#include "drivers/opcua/services.hpp"

#include <fmt/format.h>

namespace kaiwu::drivers::opcua {

namespace {

void type_id(Encoder& e, std::uint32_t id) { e.node_id(NodeId::num(0, id)); }

// Part 4 §7.32 RequestHeader.
void request_header(Encoder& e, const RequestHeader& h) {
  e.node_id(h.authentication_token);
  e.datetime(h.timestamp);
  e.u32(h.request_handle);
  e.u32(0);            // ReturnDiagnostics: none
  e.null_string();     // AuditEntryId
  e.u32(h.timeout_hint);
  e.extension_object({});  // AdditionalHeader
}

void start(std::uint32_t id, const RequestHeader& h, Encoder& e) {
  type_id(e, id);
  request_header(e, h);
}

void application_description(Encoder& e, const ApplicationDescription& a) {
  e.string(a.application_uri);
  e.string(a.product_uri);
  e.localized_text(a.application_name);
  e.u32(a.application_type);
  e.opt_string(a.gateway_server_uri);
  e.opt_string(a.discovery_profile_uri);
  e.string_array(a.discovery_urls);
}

ApplicationDescription application_description(Decoder& d) {
  ApplicationDescription a;
  a.application_uri = d.string();
  a.product_uri = d.string();
  a.application_name = d.localized_text();
  a.application_type = d.u32();
  a.gateway_server_uri = d.string();
  a.discovery_profile_uri = d.string();
  a.discovery_urls = d.string_array();
  return a;
}

EndpointDescription endpoint_description(Decoder& d) {
  EndpointDescription ep;
  ep.endpoint_url = d.string();
  ep.server = application_description(d);
  ep.server_certificate = d.bytestring();
  ep.security_mode = static_cast<SecurityMode>(d.u32());
  ep.security_policy_uri = d.string();
  const std::size_t n = d.array_length(21);
  for (std::size_t i = 0; i < n && d.ok(); ++i) {
    UserTokenPolicy p;
    p.policy_id = d.string();
    p.token_type = static_cast<UserTokenType>(d.u32());
    p.issued_token_type = d.string();
    p.issuer_endpoint_url = d.string();
    p.security_policy_uri = d.string();
    ep.user_identity_tokens.push_back(std::move(p));
  }
  ep.transport_profile_uri = d.string();
  ep.security_level = d.u8();
  return ep;
}

std::vector<EndpointDescription> endpoint_array(Decoder& d) {
  std::vector<EndpointDescription> v;
  const std::size_t n = d.array_length(40);
  for (std::size_t i = 0; i < n && d.ok(); ++i) v.push_back(endpoint_description(d));
  return v;
}

void signature_data(Encoder& e, const SignatureData& s) {
  e.opt_string(s.algorithm);
  e.opt_string(s.signature);
}

std::vector<std::uint32_t> status_array(Decoder& d) {
  std::vector<std::uint32_t> v;
  const std::size_t n = d.array_length(4);
  for (std::size_t i = 0; i < n && d.ok(); ++i) v.push_back(d.status());
  return v;
}

void skip_diagnostic_infos(Decoder& d) {
  const std::size_t n = d.array_length(1);
  for (std::size_t i = 0; i < n && d.ok(); ++i) d.skip_diagnostic_info();
}

void read_value_id(Encoder& e, const NodeId& node, std::uint32_t attribute) {
  e.node_id(node);
  e.u32(attribute);
  e.null_string();              // IndexRange
  e.qualified_name({0, {}});    // DataEncoding: default
}

Status finish(Decoder& d) {
  KAIWU_TRY_STATUS(d.status_result());
  return ok();
}

}  // namespace

Errc errc_for_status(std::uint32_t status) {
  switch (status & 0xFFFF0000u) {
    case 0x801f0000:  // BadUserAccessDenied
    case 0x80200000:  // BadIdentityTokenInvalid
    case 0x80210000:  // BadIdentityTokenRejected
    case 0x80570000:  // BadUserSignatureInvalid
      return Errc::kUnauthenticated;
    case 0x80130000:  // BadSecurityChecksFailed
    case 0x801a0000:  // BadCertificateUntrusted
    case 0x80120000:  // BadCertificateInvalid
    case 0x80550000:  // BadSecurityPolicyRejected
    case 0x80540000:  // BadSecurityModeRejected
      return Errc::kPermissionDenied;
    case 0x800a0000:  // BadTimeout
    case 0x80850000:  // BadRequestTimeout
      return Errc::kTimeout;
    case 0x80220000: case 0x80250000: case 0x80260000: case 0x80270000: case 0x800c0000:
    case 0x800d0000: case 0x800e0000: case 0x80860000: case 0x80870000: case 0x807f0000:
    case 0x80ae0000: case 0x80050000: case 0x80790000: case 0x80280000: case 0x80780000:
      return Errc::kUnavailable;
    default: return Errc::kInvalidArgument;
  }
}

Result<ResponseHeader> open_response(Decoder& d, std::uint32_t expected) {
  const NodeId type = d.node_id();
  ResponseHeader h;
  h.timestamp = d.datetime();
  h.request_handle = d.u32();
  h.service_result = d.status();
  d.skip_diagnostic_info();
  (void)d.string_array();
  (void)d.extension_object();
  KAIWU_TRY_STATUS(d.status_result());
  if (type == NodeId::num(0, type_ids::kServiceFault) || status_is_bad(h.service_result)) {
    return fail(errc_for_status(h.service_result), "OPC UA service fault: " + status_name(h.service_result));
  }
  if (type != NodeId::num(0, expected)) {
    return fail(Errc::kInvalidArgument,
                fmt::format("OPC UA: expected response type i={} but got {}", expected, format_node_id(type)));
  }
  return h;
}

ExtensionObject anonymous_identity(std::string_view policy_id) {
  Encoder e;
  e.string(policy_id);
  return ExtensionObject{NodeId::num(0, type_ids::kAnonymousIdentityToken), 1, std::move(e.bytes())};
}

ExtensionObject username_identity(std::string_view policy_id, std::string_view user, std::string_view password,
                                  std::string_view encryption_algorithm) {
  Encoder e;
  e.string(policy_id);
  e.string(user);
  e.bytestring(password);
  e.opt_string(encryption_algorithm);
  return ExtensionObject{NodeId::num(0, type_ids::kUserNameIdentityToken), 1, std::move(e.bytes())};
}

// Part 4 §5.5.2.2 OpenSecureChannel.
std::string encode_open_secure_channel(const RequestHeader& h, const OpenSecureChannelRequest& r) {
  Encoder e;
  start(type_ids::kOpenSecureChannelRequest, h, e);
  e.u32(0);  // ClientProtocolVersion
  e.u32(r.request_type);
  e.u32(static_cast<std::uint32_t>(r.mode));
  e.opt_string(r.client_nonce);
  e.u32(r.requested_lifetime);
  return std::move(e.bytes());
}

std::string encode_close_secure_channel(const RequestHeader& h) {
  Encoder e;
  start(type_ids::kCloseSecureChannelRequest, h, e);
  return std::move(e.bytes());
}

// Part 4 §5.4.4 GetEndpoints.
std::string encode_get_endpoints(const RequestHeader& h, std::string_view endpoint_url) {
  Encoder e;
  start(type_ids::kGetEndpointsRequest, h, e);
  e.string(endpoint_url);
  e.i32(0);  // LocaleIds
  e.i32(0);  // ProfileUris
  return std::move(e.bytes());
}

// Part 4 §5.6.2 CreateSession.
std::string encode_create_session(const RequestHeader& h, const CreateSessionRequest& r) {
  Encoder e;
  start(type_ids::kCreateSessionRequest, h, e);
  application_description(e, r.client);
  e.opt_string(r.server_uri);
  e.string(r.endpoint_url);
  e.string(r.session_name);
  e.opt_string(r.client_nonce);
  e.opt_string(r.client_certificate);
  e.f64(r.requested_timeout_ms);
  e.u32(r.max_response_message_size);
  return std::move(e.bytes());
}

// Part 4 §5.6.3 ActivateSession.
std::string encode_activate_session(const RequestHeader& h, const ActivateSessionRequest& r) {
  Encoder e;
  start(type_ids::kActivateSessionRequest, h, e);
  signature_data(e, r.client_signature);
  e.i32(0);  // ClientSoftwareCertificates
  e.i32(1);  // LocaleIds
  e.string("en");
  e.extension_object(r.identity_token);
  signature_data(e, r.user_token_signature);
  return std::move(e.bytes());
}

std::string encode_close_session(const RequestHeader& h, bool delete_subscriptions) {
  Encoder e;
  start(type_ids::kCloseSessionRequest, h, e);
  e.boolean(delete_subscriptions);
  return std::move(e.bytes());
}

// Part 4 §5.8.2 Browse.
std::string encode_browse(const RequestHeader& h, const std::vector<BrowseDescription>& nodes,
                          std::uint32_t max_references) {
  Encoder e;
  start(type_ids::kBrowseRequest, h, e);
  e.node_id({});   // View.ViewId: the whole address space
  e.datetime(0);   // View.Timestamp
  e.u32(0);        // View.ViewVersion
  e.u32(max_references);
  e.i32(static_cast<std::int32_t>(nodes.size()));
  for (const auto& b : nodes) {
    e.node_id(b.node);
    e.u32(b.direction);
    e.node_id(b.reference_type);
    e.boolean(b.include_subtypes);
    e.u32(b.node_class_mask);
    e.u32(b.result_mask);
  }
  return std::move(e.bytes());
}

// Part 4 §5.8.3 BrowseNext.
std::string encode_browse_next(const RequestHeader& h, const std::vector<std::string>& continuation_points,
                               bool release) {
  Encoder e;
  start(type_ids::kBrowseNextRequest, h, e);
  e.boolean(release);
  e.i32(static_cast<std::int32_t>(continuation_points.size()));
  for (const auto& c : continuation_points) e.bytestring(c);
  return std::move(e.bytes());
}

// Part 4 §5.10.2 Read: Value attributes, timestamps Both (2).
std::string encode_read(const RequestHeader& h, const std::vector<NodeId>& nodes, double max_age_ms) {
  Encoder e;
  start(type_ids::kReadRequest, h, e);
  e.f64(max_age_ms);
  e.u32(2);
  e.i32(static_cast<std::int32_t>(nodes.size()));
  for (const auto& n : nodes) read_value_id(e, n, kAttributeValue);
  return std::move(e.bytes());
}

// Part 4 §5.10.4 Write.
std::string encode_write(const RequestHeader& h, const std::vector<WriteValue>& values) {
  Encoder e;
  start(type_ids::kWriteRequest, h, e);
  e.i32(static_cast<std::int32_t>(values.size()));
  for (const auto& w : values) {
    e.node_id(w.node);
    e.u32(w.attribute);
    e.null_string();
    e.data_value(w.value);
  }
  return std::move(e.bytes());
}

// Part 4 §5.13.2 CreateSubscription.
std::string encode_create_subscription(const RequestHeader& h, const CreateSubscriptionRequest& r) {
  Encoder e;
  start(type_ids::kCreateSubscriptionRequest, h, e);
  e.f64(r.publishing_interval_ms);
  e.u32(r.lifetime_count);
  e.u32(r.max_keep_alive_count);
  e.u32(r.max_notifications);
  e.boolean(r.publishing_enabled);
  e.u8(r.priority);
  return std::move(e.bytes());
}

// Part 4 §5.12.2 CreateMonitoredItems: Value attribute, Reporting mode, timestamps Both.
std::string encode_create_monitored_items(const RequestHeader& h, std::uint32_t subscription_id,
                                          const std::vector<MonitoredItemCreate>& items) {
  Encoder e;
  start(type_ids::kCreateMonitoredItemsRequest, h, e);
  e.u32(subscription_id);
  e.u32(2);
  e.i32(static_cast<std::int32_t>(items.size()));
  for (const auto& m : items) {
    read_value_id(e, m.node, kAttributeValue);
    e.u32(2);  // MonitoringMode Reporting
    e.u32(m.client_handle);
    e.f64(m.sampling_interval_ms);
    e.extension_object({});  // Filter: default DataChangeFilter (status/value)
    e.u32(m.queue_size);
    e.boolean(true);  // DiscardOldest
  }
  return std::move(e.bytes());
}

// Part 4 §5.13.5 Publish.
std::string encode_publish(const RequestHeader& h, const std::vector<SubscriptionAck>& acks) {
  Encoder e;
  start(type_ids::kPublishRequest, h, e);
  e.i32(static_cast<std::int32_t>(acks.size()));
  for (const auto& a : acks) {
    e.u32(a.subscription_id);
    e.u32(a.sequence_number);
  }
  return std::move(e.bytes());
}

std::string encode_delete_subscriptions(const RequestHeader& h, const std::vector<std::uint32_t>& ids) {
  Encoder e;
  start(type_ids::kDeleteSubscriptionsRequest, h, e);
  e.i32(static_cast<std::int32_t>(ids.size()));
  for (auto id : ids) e.u32(id);
  return std::move(e.bytes());
}

Result<OpenSecureChannelResponse> decode_open_secure_channel(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kOpenSecureChannelResponse));
  OpenSecureChannelResponse r;
  (void)d.u32();  // ServerProtocolVersion
  r.channel_id = d.u32();
  r.token_id = d.u32();
  r.created_at = d.datetime();
  r.revised_lifetime = d.u32();
  r.server_nonce = d.bytestring();
  KAIWU_TRY_STATUS(finish(d));
  return r;
}

Result<std::vector<EndpointDescription>> decode_get_endpoints(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kGetEndpointsResponse));
  auto eps = endpoint_array(d);
  KAIWU_TRY_STATUS(finish(d));
  return eps;
}

Result<CreateSessionResponse> decode_create_session(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kCreateSessionResponse));
  CreateSessionResponse r;
  r.session_id = d.node_id();
  r.authentication_token = d.node_id();
  r.revised_timeout_ms = d.f64();
  r.server_nonce = d.bytestring();
  r.server_certificate = d.bytestring();
  r.endpoints = endpoint_array(d);
  const std::size_t certs = d.array_length(8);  // SignedSoftwareCertificate: two ByteStrings
  for (std::size_t i = 0; i < certs && d.ok(); ++i) {
    (void)d.bytestring();
    (void)d.bytestring();
  }
  r.server_signature.algorithm = d.string();
  r.server_signature.signature = d.bytestring();
  r.max_request_message_size = d.u32();
  KAIWU_TRY_STATUS(finish(d));
  return r;
}

Result<ActivateSessionResponse> decode_activate_session(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kActivateSessionResponse));
  ActivateSessionResponse r;
  r.server_nonce = d.bytestring();
  r.results = status_array(d);
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return r;
}

Status decode_close_session(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kCloseSessionResponse));
  return finish(d);
}

Result<std::vector<BrowseResult>> decode_browse(std::string_view body, bool next) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, next ? type_ids::kBrowseNextResponse : type_ids::kBrowseResponse));
  std::vector<BrowseResult> results;
  const std::size_t n = d.array_length(12);
  for (std::size_t i = 0; i < n && d.ok(); ++i) {
    BrowseResult r;
    r.status = d.status();
    r.continuation_point = d.bytestring();
    const std::size_t refs = d.array_length(10);
    for (std::size_t j = 0; j < refs && d.ok(); ++j) {
      ReferenceDescription ref;
      ref.reference_type = d.node_id();
      ref.is_forward = d.boolean();
      ref.node = d.expanded_node_id();
      ref.browse_name = d.qualified_name();
      ref.display_name = d.localized_text();
      ref.node_class = d.u32();
      ref.type_definition = d.expanded_node_id();
      r.references.push_back(std::move(ref));
    }
    results.push_back(std::move(r));
  }
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return results;
}

Result<std::vector<DataValue>> decode_read(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kReadResponse));
  std::vector<DataValue> values;
  const std::size_t n = d.array_length(1);
  for (std::size_t i = 0; i < n && d.ok(); ++i) values.push_back(d.data_value());
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return values;
}

Result<std::vector<std::uint32_t>> decode_write(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kWriteResponse));
  auto results = status_array(d);
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return results;
}

Result<CreateSubscriptionResponse> decode_create_subscription(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kCreateSubscriptionResponse));
  CreateSubscriptionResponse r;
  r.subscription_id = d.u32();
  r.revised_publishing_interval_ms = d.f64();
  r.revised_lifetime_count = d.u32();
  r.revised_max_keep_alive_count = d.u32();
  KAIWU_TRY_STATUS(finish(d));
  return r;
}

Result<std::vector<MonitoredItemResult>> decode_create_monitored_items(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kCreateMonitoredItemsResponse));
  std::vector<MonitoredItemResult> results;
  const std::size_t n = d.array_length(23);
  for (std::size_t i = 0; i < n && d.ok(); ++i) {
    MonitoredItemResult r;
    r.status = d.status();
    r.monitored_item_id = d.u32();
    (void)d.f64();  // RevisedSamplingInterval
    (void)d.u32();  // RevisedQueueSize
    (void)d.extension_object();  // FilterResult
    results.push_back(r);
  }
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return results;
}

namespace {
// Part 4 §7.25.2 DataChangeNotification: MonitoredItems[] {ClientHandle, DataValue}, DiagnosticInfos.
void data_change(std::string_view body, PublishResponse& r, Decoder& outer) {
  Decoder d(body);
  const std::size_t n = d.array_length(5);
  for (std::size_t i = 0; i < n && d.ok(); ++i) {
    ItemNotification item;
    item.client_handle = d.u32();
    item.value = d.data_value();
    r.data_changes.push_back(std::move(item));
  }
  skip_diagnostic_infos(d);
  if (!d.ok()) outer.fail("malformed DataChangeNotification");
}
}  // namespace

Result<PublishResponse> decode_publish(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kPublishResponse));
  PublishResponse r;
  r.subscription_id = d.u32();
  const std::size_t avail = d.array_length(4);
  for (std::size_t i = 0; i < avail && d.ok(); ++i) r.available_sequence_numbers.push_back(d.u32());
  r.more_notifications = d.boolean();
  r.sequence_number = d.u32();
  r.publish_time = d.datetime();
  const std::size_t n = d.array_length(2);
  for (std::size_t i = 0; i < n && d.ok(); ++i) {
    const ExtensionObject eo = d.extension_object();
    if (eo.encoding != 1) continue;
    if (eo.type_id == NodeId::num(0, type_ids::kDataChangeNotification)) {
      data_change(eo.body, r, d);
    } else if (eo.type_id == NodeId::num(0, type_ids::kStatusChangeNotification)) {
      Decoder s(eo.body);
      r.status_change = s.status();
      if (!s.ok()) d.fail("malformed StatusChangeNotification");
    }  // EventNotificationList: not used by this client
  }
  (void)status_array(d);  // Results of the acknowledgements
  skip_diagnostic_infos(d);
  KAIWU_TRY_STATUS(finish(d));
  return r;
}

Status decode_delete_subscriptions(std::string_view body) {
  Decoder d(body);
  KAIWU_TRY(open_response(d, type_ids::kDeleteSubscriptionsResponse));
  return finish(d);
}

}  // namespace kaiwu::drivers::opcua
