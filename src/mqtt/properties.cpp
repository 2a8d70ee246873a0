// MQTT 5.0 properties (§2.2.2): decoding with every check one packet allows, and encoding.
#include <cstdint>

#include "mqtt/topic.hpp"
#include "mqtt/wire.hpp"

namespace kaiwu::mqtt::wire {
namespace {

// Property identifiers, MQTT 5.0 §2.2.2.2 Table 2-4.
enum PropertyId : std::uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQoS = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

std::string_view property_name(std::uint32_t id) {
  switch (id) {
    case kPayloadFormatIndicator:
      return "Payload Format Indicator";
    case kMessageExpiryInterval:
      return "Message Expiry Interval";
    case kContentType:
      return "Content Type";
    case kResponseTopic:
      return "Response Topic";
    case kCorrelationData:
      return "Correlation Data";
    case kSubscriptionIdentifier:
      return "Subscription Identifier";
    case kSessionExpiryInterval:
      return "Session Expiry Interval";
    case kAssignedClientIdentifier:
      return "Assigned Client Identifier";
    case kServerKeepAlive:
      return "Server Keep Alive";
    case kAuthenticationMethod:
      return "Authentication Method";
    case kAuthenticationData:
      return "Authentication Data";
    case kRequestProblemInformation:
      return "Request Problem Information";
    case kWillDelayInterval:
      return "Will Delay Interval";
    case kRequestResponseInformation:
      return "Request Response Information";
    case kResponseInformation:
      return "Response Information";
    case kServerReference:
      return "Server Reference";
    case kReasonString:
      return "Reason String";
    case kReceiveMaximum:
      return "Receive Maximum";
    case kTopicAliasMaximum:
      return "Topic Alias Maximum";
    case kTopicAlias:
      return "Topic Alias";
    case kMaximumQoS:
      return "Maximum QoS";
    case kRetainAvailable:
      return "Retain Available";
    case kUserProperty:
      return "User Property";
    case kMaximumPacketSize:
      return "Maximum Packet Size";
    case kWildcardSubscriptionAvailable:
      return "Wildcard Subscription Available";
    case kSubscriptionIdentifierAvailable:
      return "Subscription Identifier Available";
    case kSharedSubscriptionAvailable:
      return "Shared Subscription Available";
    default:
      return "unknown property";
  }
}

constexpr std::uint64_t bits(std::initializer_list<PropertyId> ids) {
  std::uint64_t mask = 0;
  for (const PropertyId id : ids) mask |= std::uint64_t{1} << id;
  return mask;
}

// Which identifiers each packet may carry: the "Used in" column of Table 2-4.
std::uint64_t allowed(PropertyScope scope) {
  switch (scope) {
    case PropertyScope::kConnect:  // §3.1.2.11
      return bits({kSessionExpiryInterval, kAuthenticationMethod, kAuthenticationData,
                   kRequestProblemInformation, kRequestResponseInformation, kReceiveMaximum,
                   kTopicAliasMaximum, kUserProperty, kMaximumPacketSize});
    case PropertyScope::kWill:  // §3.1.3.2
      return bits({kPayloadFormatIndicator, kMessageExpiryInterval, kContentType, kResponseTopic,
                   kCorrelationData, kWillDelayInterval, kUserProperty});
    case PropertyScope::kConnack:  // §3.2.2.3
      return bits({kSessionExpiryInterval, kAssignedClientIdentifier, kServerKeepAlive,
                   kAuthenticationMethod, kAuthenticationData, kResponseInformation,
                   kServerReference, kReasonString, kReceiveMaximum, kTopicAliasMaximum,
                   kMaximumQoS, kRetainAvailable, kUserProperty, kMaximumPacketSize,
                   kWildcardSubscriptionAvailable, kSubscriptionIdentifierAvailable,
                   kSharedSubscriptionAvailable});
    case PropertyScope::kPublish:  // §3.3.2.3
      return bits({kPayloadFormatIndicator, kMessageExpiryInterval, kContentType, kResponseTopic,
                   kCorrelationData, kSubscriptionIdentifier, kTopicAlias, kUserProperty});
    case PropertyScope::kPublishResponse:  // §3.4.2.2, §3.5.2.2, §3.6.2.2, §3.7.2.2
    case PropertyScope::kSuback:           // §3.9.2.1
    case PropertyScope::kUnsuback:         // §3.11.2.1
      return bits({kReasonString, kUserProperty});
    case PropertyScope::kSubscribe:  // §3.8.2.1
      return bits({kSubscriptionIdentifier, kUserProperty});
    case PropertyScope::kUnsubscribe:  // §3.10.2.1
      return bits({kUserProperty});
    case PropertyScope::kDisconnect:  // §3.14.2.2
      return bits({kSessionExpiryInterval, kServerReference, kReasonString, kUserProperty});
    case PropertyScope::kAuth:  // §3.15.2.2
      return bits({kAuthenticationMethod, kAuthenticationData, kReasonString, kUserProperty});
  }
  return 0;
}

bool is_allowed(PropertyScope scope, std::uint32_t id) {
  return id < 64 && ((allowed(scope) >> id) & 1) != 0;
}

// User Property may repeat anywhere (§3.1.2.11.8 and its siblings); Subscription Identifier
// only in PUBLISH (§3.3.2.3.8), once in SUBSCRIBE (§3.8.2.1.2).
bool repeatable(std::uint32_t id, PropertyScope scope) {
  return id == kUserProperty || (id == kSubscriptionIdentifier && scope == PropertyScope::kPublish);
}

std::string named(std::uint32_t id) { return std::string(property_name(id)); }

CodecResult<bool> read_flag(Reader& r, std::uint32_t id) {
  const std::uint8_t v = KAIWU_TRY(r.u8(property_name(id)));
  if (v > 1) return protocol_error(named(id) + " is " + std::to_string(v) + ", must be 0 or 1");
  return v == 1;
}

CodecResult<std::uint16_t> read_nonzero_u16(Reader& r, std::uint32_t id) {
  const std::uint16_t v = KAIWU_TRY(r.u16(property_name(id)));
  if (v == 0) return protocol_error(named(id) + " is 0");
  return v;
}

// Reads the value of property `id` (already checked to be allowed) into `p`.
CodecResult<void> read_value(Reader& r, std::uint32_t id, Properties& p) {
  const std::string_view name = property_name(id);
  switch (id) {
    case kPayloadFormatIndicator: {
      const std::uint8_t v = KAIWU_TRY(r.u8(name));
      if (v > 1) return protocol_error(named(id) + " is " + std::to_string(v) + ", must be 0 or 1");
      p.payload_format_indicator = v;  // §3.3.2.3.2
      return {};
    }
    case kMessageExpiryInterval:
      p.message_expiry_interval = KAIWU_TRY(r.u32(name));
      return {};
    case kContentType:
      p.content_type = KAIWU_TRY(r.utf8(name));
      return {};
    case kResponseTopic: {
      std::string topic = KAIWU_TRY(r.utf8(name));
      // [MQTT-3.3.2-14]: a Topic Name, so no wildcards.
      if (!valid_topic_name(topic))
        return protocol_error("Response Topic is not a valid Topic Name");
      p.response_topic = std::move(topic);
      return {};
    }
    case kCorrelationData:
      p.correlation_data = KAIWU_TRY(r.binary(name));
      return {};
    case kSubscriptionIdentifier: {
      const std::uint32_t v = KAIWU_TRY(r.vbi(name));
      if (v == 0) return protocol_error("Subscription Identifier is 0");  // §3.8.2.1.2
      p.subscription_identifiers.push_back(v);
      return {};
    }
    case kSessionExpiryInterval:
      p.session_expiry_interval = KAIWU_TRY(r.u32(name));
      return {};
    case kAssignedClientIdentifier:
      p.assigned_client_identifier = KAIWU_TRY(r.utf8(name));
      return {};
    case kServerKeepAlive:
      p.server_keep_alive = KAIWU_TRY(r.u16(name));
      return {};
    case kAuthenticationMethod:
      p.authentication_method = KAIWU_TRY(r.utf8(name));
      return {};
    case kAuthenticationData:
      p.authentication_data = KAIWU_TRY(r.binary(name));
      return {};
    case kRequestProblemInformation:  // §3.1.2.11.7
      p.request_problem_information = KAIWU_TRY(read_flag(r, id));
      return {};
    case kWillDelayInterval:
      p.will_delay_interval = KAIWU_TRY(r.u32(name));
      return {};
    case kRequestResponseInformation:  // §3.1.2.11.6
      p.request_response_information = KAIWU_TRY(read_flag(r, id));
      return {};
    case kResponseInformation:
      p.response_information = KAIWU_TRY(r.utf8(name));
      return {};
    case kServerReference:
      p.server_reference = KAIWU_TRY(r.utf8(name));
      return {};
    case kReasonString:
      p.reason_string = KAIWU_TRY(r.utf8(name));
      return {};
    case kReceiveMaximum:  // §3.1.2.11.3, §3.2.2.3.3
      p.receive_maximum = KAIWU_TRY(read_nonzero_u16(r, id));
      return {};
    case kTopicAliasMaximum:
      p.topic_alias_maximum = KAIWU_TRY(r.u16(name));
      return {};
    case kTopicAlias:  // §3.3.2.3.4
      p.topic_alias = KAIWU_TRY(read_nonzero_u16(r, id));
      return {};
    case kMaximumQoS: {  // §3.2.2.3.4
      const std::uint8_t v = KAIWU_TRY(r.u8(name));
      if (v > 1) return protocol_error("Maximum QoS is " + std::to_string(v) + ", must be 0 or 1");
      p.maximum_qos = v;
      return {};
    }
    case kRetainAvailable:
      p.retain_available = KAIWU_TRY(read_flag(r, id));
      return {};
    case kUserProperty: {
      std::string key = KAIWU_TRY(r.utf8("User Property name"));
      std::string value = KAIWU_TRY(r.utf8("User Property value"));
      p.user_properties.emplace_back(std::move(key), std::move(value));
      return {};
    }
    case kMaximumPacketSize: {  // §3.1.2.11.4, §3.2.2.3.6
      const std::uint32_t v = KAIWU_TRY(r.u32(name));
      if (v == 0) return protocol_error("Maximum Packet Size is 0");
      p.maximum_packet_size = v;
      return {};
    }
    case kWildcardSubscriptionAvailable:
      p.wildcard_subscription_available = KAIWU_TRY(read_flag(r, id));
      return {};
    case kSubscriptionIdentifierAvailable:
      p.subscription_identifier_available = KAIWU_TRY(read_flag(r, id));
      return {};
    case kSharedSubscriptionAvailable:
      p.shared_subscription_available = KAIWU_TRY(read_flag(r, id));
      return {};
    default:
      return malformed("unknown property identifier " + std::to_string(id));
  }
}

CodecResult<Properties> read_all(Reader& reader, PropertyScope scope) {
  const std::uint32_t length = KAIWU_TRY(reader.vbi("Property Length"));
  Reader r = KAIWU_TRY(reader.sub(length, "Property Length"));
  Properties p;
  std::uint64_t seen = 0;
  while (!r.empty()) {
    const std::uint32_t id = KAIWU_TRY(r.vbi("property identifier"));
    if (!is_allowed(scope, id)) {
      // §2.2.2.2: an identifier not valid for the packet type is a Malformed Packet.
      const std::string shown =
          id < 256 ? hex_byte(static_cast<std::uint8_t>(id)) : std::to_string(id);
      return malformed("property " + shown + " (" + named(id) + ") is not allowed here");
    }
    const std::uint64_t bit = std::uint64_t{1} << id;
    if ((seen & bit) != 0 && !repeatable(id, scope)) {
      return protocol_error(named(id) + " appears more than once");
    }
    seen |= bit;
    KAIWU_TRY_STATUS(read_value(r, id, p));
  }
  // §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3: Authentication Data needs a method.
  if (p.authentication_data && !p.authentication_method) {
    return protocol_error("Authentication Data without Authentication Method");
  }
  return p;
}

void write_str_prop(Writer& w, PropertyId id, const std::optional<std::string>& v) {
  if (!v) return;
  w.u8(id);
  w.str(*v);
}

void write_u32_prop(Writer& w, PropertyId id, const std::optional<std::uint32_t>& v) {
  if (!v) return;
  w.u8(id);
  w.u32(*v);
}

void write_u16_prop(Writer& w, PropertyId id, const std::optional<std::uint16_t>& v) {
  if (!v) return;
  w.u8(id);
  w.u16(*v);
}

template <typename T>
void write_u8_prop(Writer& w, PropertyId id, const std::optional<T>& v) {
  if (!v) return;
  w.u8(id);
  w.u8(static_cast<std::uint8_t>(*v));
}

// The property list itself (no length), restricted to `mask`, in identifier order.
void write_list(Writer& w, const Properties& p, std::uint64_t mask) {
  auto on = [mask](PropertyId id) { return ((mask >> id) & 1) != 0; };
  if (on(kPayloadFormatIndicator))
    write_u8_prop(w, kPayloadFormatIndicator, p.payload_format_indicator);
  if (on(kMessageExpiryInterval))
    write_u32_prop(w, kMessageExpiryInterval, p.message_expiry_interval);
  if (on(kContentType)) write_str_prop(w, kContentType, p.content_type);
  if (on(kResponseTopic)) write_str_prop(w, kResponseTopic, p.response_topic);
  if (on(kCorrelationData)) write_str_prop(w, kCorrelationData, p.correlation_data);
  if (on(kSubscriptionIdentifier)) {
    for (const std::uint32_t id : p.subscription_identifiers) {
      w.u8(kSubscriptionIdentifier);
      w.vbi(id);
    }
  }
  if (on(kSessionExpiryInterval))
    write_u32_prop(w, kSessionExpiryInterval, p.session_expiry_interval);
  if (on(kAssignedClientIdentifier)) {
    write_str_prop(w, kAssignedClientIdentifier, p.assigned_client_identifier);
  }
  if (on(kServerKeepAlive)) write_u16_prop(w, kServerKeepAlive, p.server_keep_alive);
  if (on(kAuthenticationMethod)) write_str_prop(w, kAuthenticationMethod, p.authentication_method);
  if (on(kAuthenticationData)) write_str_prop(w, kAuthenticationData, p.authentication_data);
  if (on(kRequestProblemInformation)) {
    write_u8_prop(w, kRequestProblemInformation, p.request_problem_information);
  }
  if (on(kWillDelayInterval)) write_u32_prop(w, kWillDelayInterval, p.will_delay_interval);
  if (on(kRequestResponseInformation)) {
    write_u8_prop(w, kRequestResponseInformation, p.request_response_information);
  }
  if (on(kResponseInformation)) write_str_prop(w, kResponseInformation, p.response_information);
  if (on(kServerReference)) write_str_prop(w, kServerReference, p.server_reference);
  if (on(kReasonString)) write_str_prop(w, kReasonString, p.reason_string);
  if (on(kReceiveMaximum)) write_u16_prop(w, kReceiveMaximum, p.receive_maximum);
  if (on(kTopicAliasMaximum)) write_u16_prop(w, kTopicAliasMaximum, p.topic_alias_maximum);
  if (on(kTopicAlias)) write_u16_prop(w, kTopicAlias, p.topic_alias);
  if (on(kMaximumQoS)) write_u8_prop(w, kMaximumQoS, p.maximum_qos);
  if (on(kRetainAvailable)) write_u8_prop(w, kRetainAvailable, p.retain_available);
  if (on(kUserProperty)) {
    for (const auto& [key, value] : p.user_properties) {
      w.u8(kUserProperty);
      w.str(key);
      w.str(value);
    }
  }
  if (on(kMaximumPacketSize)) write_u32_prop(w, kMaximumPacketSize, p.maximum_packet_size);
  if (on(kWildcardSubscriptionAvailable)) {
    write_u8_prop(w, kWildcardSubscriptionAvailable, p.wildcard_subscription_available);
  }
  if (on(kSubscriptionIdentifierAvailable)) {
    write_u8_prop(w, kSubscriptionIdentifierAvailable, p.subscription_identifier_available);
  }
  if (on(kSharedSubscriptionAvailable)) {
    write_u8_prop(w, kSharedSubscriptionAvailable, p.shared_subscription_available);
  }
}

}  // namespace

std::string_view scope_name(PropertyScope scope) {
  switch (scope) {
    case PropertyScope::kConnect:
      return "CONNECT";
    case PropertyScope::kWill:
      return "CONNECT Will";
    case PropertyScope::kConnack:
      return "CONNACK";
    case PropertyScope::kPublish:
      return "PUBLISH";
    case PropertyScope::kPublishResponse:
      return "PUBACK/PUBREC/PUBREL/PUBCOMP";
    case PropertyScope::kSubscribe:
      return "SUBSCRIBE";
    case PropertyScope::kSuback:
      return "SUBACK";
    case PropertyScope::kUnsubscribe:
      return "UNSUBSCRIBE";
    case PropertyScope::kUnsuback:
      return "UNSUBACK";
    case PropertyScope::kDisconnect:
      return "DISCONNECT";
    case PropertyScope::kAuth:
      return "AUTH";
  }
  return "?";
}

CodecResult<Properties> decode_properties(Reader& reader, PropertyScope scope) {
  // Field names are prefixed only on failure, so the success path builds no strings.
  auto props = read_all(reader, scope);
  if (!props) {
    props.error().message =
        std::string(scope_name(scope)) + " properties: " + props.error().message;
  }
  return props;
}

void write_properties(Writer& writer, const Properties& props, PropertyScope scope) {
  Writer counter;
  write_list(counter, props, allowed(scope));
  writer.vbi(static_cast<std::uint32_t>(counter.size()));
  write_list(writer, props, allowed(scope));
}

bool no_properties(const Properties& props, PropertyScope scope) {
  Writer counter;
  write_list(counter, props, allowed(scope));
  return counter.size() == 0;
}

}  // namespace kaiwu::mqtt::wire
