// Names of packet types and reason codes, and which reason codes each packet may carry.
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <variant>

#include "mqtt/packets.hpp"

namespace kaiwu::mqtt {
namespace {

using R = ReasonCode;

bool one_of(ReasonCode code, std::initializer_list<ReasonCode> codes) {
  for (const ReasonCode c : codes) {
    if (c == code) return true;
  }
  return false;
}

}  // namespace

std::string_view reason_code_name(ReasonCode code) {
  switch (code) {  // MQTT 5.0 §2.4 Table 2-6
    case R::kSuccess:
      return "Success";
    case R::kGrantedQoS1:
      return "Granted QoS 1";
    case R::kGrantedQoS2:
      return "Granted QoS 2";
    case R::kDisconnectWithWillMessage:
      return "Disconnect with Will Message";
    case R::kNoMatchingSubscribers:
      return "No matching subscribers";
    case R::kNoSubscriptionExisted:
      return "No subscription existed";
    case R::kContinueAuthentication:
      return "Continue authentication";
    case R::kReAuthenticate:
      return "Re-authenticate";
    case R::kUnspecifiedError:
      return "Unspecified error";
    case R::kMalformedPacket:
      return "Malformed Packet";
    case R::kProtocolError:
      return "Protocol Error";
    case R::kImplementationSpecificError:
      return "Implementation specific error";
    case R::kUnsupportedProtocolVersion:
      return "Unsupported Protocol Version";
    case R::kClientIdentifierNotValid:
      return "Client Identifier not valid";
    case R::kBadUserNameOrPassword:
      return "Bad User Name or Password";
    case R::kNotAuthorized:
      return "Not authorized";
    case R::kServerUnavailable:
      return "Server unavailable";
    case R::kServerBusy:
      return "Server busy";
    case R::kBanned:
      return "Banned";
    case R::kServerShuttingDown:
      return "Server shutting down";
    case R::kBadAuthenticationMethod:
      return "Bad authentication method";
    case R::kKeepAliveTimeout:
      return "Keep Alive timeout";
    case R::kSessionTakenOver:
      return "Session taken over";
    case R::kTopicFilterInvalid:
      return "Topic Filter invalid";
    case R::kTopicNameInvalid:
      return "Topic Name invalid";
    case R::kPacketIdentifierInUse:
      return "Packet Identifier in use";
    case R::kPacketIdentifierNotFound:
      return "Packet Identifier not found";
    case R::kReceiveMaximumExceeded:
      return "Receive Maximum exceeded";
    case R::kTopicAliasInvalid:
      return "Topic Alias invalid";
    case R::kPacketTooLarge:
      return "Packet too large";
    case R::kMessageRateTooHigh:
      return "Message rate too high";
    case R::kQuotaExceeded:
      return "Quota exceeded";
    case R::kAdministrativeAction:
      return "Administrative action";
    case R::kPayloadFormatInvalid:
      return "Payload format invalid";
    case R::kRetainNotSupported:
      return "Retain not supported";
    case R::kQoSNotSupported:
      return "QoS not supported";
    case R::kUseAnotherServer:
      return "Use another server";
    case R::kServerMoved:
      return "Server moved";
    case R::kSharedSubscriptionsNotSupported:
      return "Shared Subscriptions not supported";
    case R::kConnectionRateExceeded:
      return "Connection rate exceeded";
    case R::kMaximumConnectTime:
      return "Maximum connect time";
    case R::kSubscriptionIdentifiersNotSupported:
      return "Subscription Identifiers not supported";
    case R::kWildcardSubscriptionsNotSupported:
      return "Wildcard Subscriptions not supported";
  }
  return "Unknown";
}

bool reason_code_allowed(PacketType type, ReasonCode code) {
  switch (type) {
    case PacketType::kConnack:  // §3.2.2.2 Table 3-1
      return one_of(code, {R::kSuccess,
                           R::kUnspecifiedError,
                           R::kMalformedPacket,
                           R::kProtocolError,
                           R::kImplementationSpecificError,
                           R::kUnsupportedProtocolVersion,
                           R::kClientIdentifierNotValid,
                           R::kBadUserNameOrPassword,
                           R::kNotAuthorized,
                           R::kServerUnavailable,
                           R::kServerBusy,
                           R::kBanned,
                           R::kBadAuthenticationMethod,
                           R::kTopicNameInvalid,
                           R::kPacketTooLarge,
                           R::kQuotaExceeded,
                           R::kPayloadFormatInvalid,
                           R::kRetainNotSupported,
                           R::kQoSNotSupported,
                           R::kUseAnotherServer,
                           R::kServerMoved,
                           R::kConnectionRateExceeded});
    case PacketType::kPuback:  // §3.4.2.1 Table 3-4
    case PacketType::kPubrec:  // §3.5.2.1 Table 3-5
      return one_of(code, {R::kSuccess, R::kNoMatchingSubscribers, R::kUnspecifiedError,
                           R::kImplementationSpecificError, R::kNotAuthorized, R::kTopicNameInvalid,
                           R::kPacketIdentifierInUse, R::kQuotaExceeded, R::kPayloadFormatInvalid});
    case PacketType::kPubrel:   // §3.6.2.1 Table 3-6
    case PacketType::kPubcomp:  // §3.7.2.1 Table 3-7
      return one_of(code, {R::kSuccess, R::kPacketIdentifierNotFound});
    case PacketType::kSuback:  // §3.9.3 Table 3-8
      return one_of(
          code, {R::kGrantedQoS0, R::kGrantedQoS1, R::kGrantedQoS2, R::kUnspecifiedError,
                 R::kImplementationSpecificError, R::kNotAuthorized, R::kTopicFilterInvalid,
                 R::kPacketIdentifierInUse, R::kQuotaExceeded, R::kSharedSubscriptionsNotSupported,
                 R::kSubscriptionIdentifiersNotSupported, R::kWildcardSubscriptionsNotSupported});
    case PacketType::kUnsuback:  // §3.11.3 Table 3-9
      return one_of(code, {R::kSuccess, R::kNoSubscriptionExisted, R::kUnspecifiedError,
                           R::kImplementationSpecificError, R::kNotAuthorized,
                           R::kTopicFilterInvalid, R::kPacketIdentifierInUse});
    case PacketType::kDisconnect:  // §3.14.2.1 Table 3-10
      return one_of(code, {R::kNormalDisconnection,
                           R::kDisconnectWithWillMessage,
                           R::kUnspecifiedError,
                           R::kMalformedPacket,
                           R::kProtocolError,
                           R::kImplementationSpecificError,
                           R::kNotAuthorized,
                           R::kServerBusy,
                           R::kServerShuttingDown,
                           R::kKeepAliveTimeout,
                           R::kSessionTakenOver,
                           R::kTopicFilterInvalid,
                           R::kTopicNameInvalid,
                           R::kReceiveMaximumExceeded,
                           R::kTopicAliasInvalid,
                           R::kPacketTooLarge,
                           R::kMessageRateTooHigh,
                           R::kQuotaExceeded,
                           R::kAdministrativeAction,
                           R::kPayloadFormatInvalid,
                           R::kRetainNotSupported,
                           R::kQoSNotSupported,
                           R::kUseAnotherServer,
                           R::kServerMoved,
                           R::kSharedSubscriptionsNotSupported,
                           R::kConnectionRateExceeded,
                           R::kMaximumConnectTime,
                           R::kSubscriptionIdentifiersNotSupported,
                           R::kWildcardSubscriptionsNotSupported});
    case PacketType::kAuth:  // §3.15.2.1 Table 3-11
      return one_of(code, {R::kSuccess, R::kContinueAuthentication, R::kReAuthenticate});
    default:
      return false;  // no reason code in the other packets
  }
}

std::string_view packet_type_name(PacketType type) {
  switch (type) {
    case PacketType::kConnect:
      return "CONNECT";
    case PacketType::kConnack:
      return "CONNACK";
    case PacketType::kPublish:
      return "PUBLISH";
    case PacketType::kPuback:
      return "PUBACK";
    case PacketType::kPubrec:
      return "PUBREC";
    case PacketType::kPubrel:
      return "PUBREL";
    case PacketType::kPubcomp:
      return "PUBCOMP";
    case PacketType::kSubscribe:
      return "SUBSCRIBE";
    case PacketType::kSuback:
      return "SUBACK";
    case PacketType::kUnsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::kUnsuback:
      return "UNSUBACK";
    case PacketType::kPingreq:
      return "PINGREQ";
    case PacketType::kPingresp:
      return "PINGRESP";
    case PacketType::kDisconnect:
      return "DISCONNECT";
    case PacketType::kAuth:
      return "AUTH";
  }
  return "reserved";
}

// packet_type() relies on the alternatives being declared in packet type order, CONNECT first.
static_assert(std::variant_size_v<Packet> == 15);
static_assert(std::is_same_v<std::variant_alternative_t<0, Packet>, Connect>);
static_assert(std::is_same_v<std::variant_alternative_t<2, Packet>, Publish>);
static_assert(std::is_same_v<std::variant_alternative_t<5, Packet>, Pubrel>);
static_assert(std::is_same_v<std::variant_alternative_t<7, Packet>, Subscribe>);
static_assert(std::is_same_v<std::variant_alternative_t<10, Packet>, Unsuback>);
static_assert(std::is_same_v<std::variant_alternative_t<13, Packet>, Disconnect>);
static_assert(std::is_same_v<std::variant_alternative_t<14, Packet>, Auth>);

PacketType packet_type(const Packet& packet) { return static_cast<PacketType>(packet.index() + 1); }

}  // namespace kaiwu::mqtt
