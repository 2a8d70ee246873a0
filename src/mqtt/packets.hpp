// MQTT 3.1.1 and 5.0 control packets as plain values (no I/O, no ownership tricks).
//
// One struct per packet type; `Packet` is their variant. The same structs serve both protocol
// versions: fields that MQTT 3.1.1 lacks (reason codes on acknowledgements, properties, AUTH)
// keep their defaults when a 3.1.1 packet is decoded and are left out when one is encoded.
// See codec.hpp for the wire format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kaiwu::mqtt {

// Protocol Level byte of CONNECT (MQTT 3.1.1 §3.1.2.2, MQTT 5.0 §3.1.2.2).
enum class Version : std::uint8_t { k311 = 4, k5 = 5 };

// MQTT 5.0 §4.3; 3 is reserved and never a valid value.
enum class QoS : std::uint8_t { k0 = 0, k1 = 1, k2 = 2 };

// MQTT 5.0 §2.1.2 (AUTH is reserved in 3.1.1).
enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// Every MQTT 5.0 reason code (§2.4). Some values have several names, one per packet type.
// MQTT 3.1.1 CONNACK return codes and SUBACK failure are mapped onto these (see codec.hpp).
enum class ReasonCode : std::uint8_t {
  kSuccess = 0x00,
  kNormalDisconnection = 0x00,
  kGrantedQoS0 = 0x00,
  kGrantedQoS1 = 0x01,
  kGrantedQoS2 = 0x02,
  kDisconnectWithWillMessage = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQoSNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

// The spec's name of a reason code ("Malformed Packet"); "Unknown" for values §2.4 lacks.
std::string_view reason_code_name(ReasonCode code);
// Whether `code` may appear in a packet of `type` (MQTT 5.0 §3.x.2.1 tables).
bool reason_code_allowed(PacketType type, ReasonCode code);

using UserProperty = std::pair<std::string, std::string>;

// Every MQTT 5.0 property (§2.2.2.2); absent unless set. Binary Data is kept in std::string.
// Only the properties allowed in a packet type are decoded from or encoded into it.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;   // 0x01: 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval;   // 0x02, seconds
  std::optional<std::string> content_type;                // 0x03
  std::optional<std::string> response_topic;              // 0x08
  std::optional<std::string> correlation_data;            // 0x09, binary
  std::vector<std::uint32_t> subscription_identifiers;    // 0x0B, 1..268'435'455, in order
  std::optional<std::uint32_t> session_expiry_interval;   // 0x11, seconds
  std::optional<std::string> assigned_client_identifier;  // 0x12
  std::optional<std::uint16_t> server_keep_alive;         // 0x13, seconds
  std::optional<std::string> authentication_method;       // 0x15
  std::optional<std::string> authentication_data;         // 0x16, binary
  std::optional<bool> request_problem_information;        // 0x17
  std::optional<std::uint32_t> will_delay_interval;       // 0x18, seconds
  std::optional<bool> request_response_information;       // 0x19
  std::optional<std::string> response_information;        // 0x1A
  std::optional<std::string> server_reference;            // 0x1C
  std::optional<std::string> reason_string;               // 0x1F
  std::optional<std::uint16_t> receive_maximum;           // 0x21, non-zero
  std::optional<std::uint16_t> topic_alias_maximum;       // 0x22
  std::optional<std::uint16_t> topic_alias;               // 0x23, non-zero
  std::optional<std::uint8_t> maximum_qos;                // 0x24, 0 or 1
  std::optional<bool> retain_available;                   // 0x25
  std::vector<UserProperty> user_properties;              // 0x26, order and repeats kept
  std::optional<std::uint32_t> maximum_packet_size;       // 0x27, non-zero
  std::optional<bool> wildcard_subscription_available;    // 0x28
  std::optional<bool> subscription_identifier_available;  // 0x29
  std::optional<bool> shared_subscription_available;      // 0x2A

  bool operator==(const Properties&) const = default;
};

// Will Message of CONNECT (MQTT 5.0 §3.1.2.5, §3.1.3.2-4).
struct Will {
  std::string topic;
  std::string payload;  // binary
  QoS qos = QoS::k0;
  bool retain = false;
  Properties properties;  // MQTT 5.0 Will Properties (§3.1.3.2)

  bool operator==(const Will&) const = default;
};

// MQTT 5.0 §3.1. `version` is what decode_connect read from the Protocol Level; encode() writes
// the Version it is given instead.
struct Connect {
  Version version = Version::k5;
  bool clean_start = true;  // 3.1.1: Clean Session
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties properties;

  bool operator==(const Connect&) const = default;
};

// MQTT 5.0 §3.2. In 3.1.1 the return code maps to `reason` (1 → 0x84, 2 → 0x85, 3 → 0x88,
// 4 → 0x86, 5 → 0x87, as MQTT 5.0 Table 3-1 pairs them).
struct Connack {
  bool session_present = false;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;

  bool operator==(const Connack&) const = default;
};

// MQTT 5.0 §3.3. `packet_id` is on the wire only for QoS 1 and 2.
struct Publish {
  bool dup = false;
  QoS qos = QoS::k0;
  bool retain = false;
  std::string topic;  // may be empty in 5.0 when properties.topic_alias is set
  std::uint16_t packet_id = 0;
  Properties properties;
  std::string payload;

  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 5.0 §3.4-3.7): the same fields, distinct types.
// 3.1.1 carries only the packet id.
template <PacketType kType>
struct PublishResponse {
  static constexpr PacketType kPacketType = kType;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;

  bool operator==(const PublishResponse&) const = default;
};
using Puback = PublishResponse<PacketType::kPuback>;
using Pubrec = PublishResponse<PacketType::kPubrec>;
using Pubrel = PublishResponse<PacketType::kPubrel>;
using Pubcomp = PublishResponse<PacketType::kPubcomp>;

// Retain Handling subscription option (MQTT 5.0 §3.8.3.1); 3 is a Protocol Error.
enum class RetainHandling : std::uint8_t {
  kSendAtSubscribe = 0,
  kSendAtSubscribeIfNew = 1,
  kDoNotSend = 2,
};

// One Topic Filter and its Subscription Options (MQTT 5.0 §3.8.3.1). 3.1.1 has only the QoS.
struct Subscription {
  std::string filter;
  QoS qos = QoS::k0;
  bool no_local = false;
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::kSendAtSubscribe;

  bool operator==(const Subscription&) const = default;
};

struct Subscribe {  // MQTT 5.0 §3.8
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<Subscription> subscriptions;  // at least one

  bool operator==(const Subscribe&) const = default;
};

// MQTT 5.0 §3.9; one reason per subscription. 3.1.1 return codes are 0x00-0x02 and 0x80.
struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;

  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {  // MQTT 5.0 §3.10
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;  // at least one

  bool operator==(const Unsubscribe&) const = default;
};

// MQTT 5.0 §3.11; one reason per filter. 3.1.1 carries only the packet id (reasons empty).
struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;

  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {  // MQTT 5.0 §3.12
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {  // MQTT 5.0 §3.13
  bool operator==(const Pingresp&) const = default;
};

// MQTT 5.0 §3.14; 3.1.1 DISCONNECT has no variable header.
struct Disconnect {
  ReasonCode reason = ReasonCode::kNormalDisconnection;
  Properties properties;

  bool operator==(const Disconnect&) const = default;
};

// MQTT 5.0 §3.15 (5.0 only).
struct Auth {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;

  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

// The control packet type of a packet value.
PacketType packet_type(const Packet& packet);
// "PUBLISH", "SUBACK", …
std::string_view packet_type_name(PacketType type);

}  // namespace kaiwu::mqtt
