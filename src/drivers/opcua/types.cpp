#include "drivers/opcua/types.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

namespace kaiwu::drivers::opcua {

std::string_view builtin_type_name(BuiltinType t) {
  static constexpr std::string_view kNames[] = {
      "Null", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64",
      "UInt64", "Float", "Double", "String", "DateTime", "Guid", "ByteString", "XmlElement",
      "NodeId", "ExpandedNodeId", "StatusCode", "QualifiedName", "LocalizedText",
      "ExtensionObject", "DataValue", "Variant", "DiagnosticInfo"};
  const auto i = static_cast<std::size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "Unknown";
}

namespace {

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "09087e75-8e5e-499b-954f-f2a9603db28a" (Part 6 §5.1.3 string form).
bool parse_guid(std::string_view s, Guid& g) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  std::string digits;
  for (char c : s) {
    if (c == '-') continue;
    if (hex(c) < 0) return false;
    digits.push_back(c);
  }
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(hex(digits[2 * i]) * 16 + hex(digits[2 * i + 1])); };
  g.data1 = (std::uint32_t{byte(0)} << 24) | (std::uint32_t{byte(1)} << 16) | (std::uint32_t{byte(2)} << 8) | byte(3);
  g.data2 = static_cast<std::uint16_t>((byte(4) << 8) | byte(5));
  g.data3 = static_cast<std::uint16_t>((byte(6) << 8) | byte(7));
  for (std::size_t i = 0; i < 8; ++i) g.data4[i] = byte(8 + i);
  return true;
}

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

bool base64_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.assign(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return true;
}

}  // namespace

Result<NodeId> parse_node_id(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::kInvalidArgument, fmt::format("invalid NodeId '{}': {}", text, why));
  };
  NodeId id;
  std::string_view rest = text;
  if (rest.starts_with("ns=")) {
    const auto semi = rest.find(';');
    if (semi == std::string_view::npos) return bad("missing ';' after ns=");
    std::uint32_t ns = 0;
    if (!parse_u32(rest.substr(3, semi - 3), ns) || ns > 0xFFFF) return bad("namespace index");
    id.ns = static_cast<std::uint16_t>(ns);
    rest.remove_prefix(semi + 1);
  }
  if (rest.size() < 2 || rest[1] != '=') return bad("expected i=, s=, g= or b=");
  const std::string_view value = rest.substr(2);
  switch (rest[0]) {
    case 'i':
      if (!parse_u32(value, id.numeric)) return bad("numeric identifier");
      return id;
    case 's':
      if (value.empty()) return bad("empty string identifier");
      if (value.size() > 4096) return bad("string identifier longer than 4096 bytes");
      id.kind = NodeId::Kind::kString;
      id.text = std::string(value);
      return id;
    case 'g':
      id.kind = NodeId::Kind::kGuid;
      if (!parse_guid(value, id.guid)) return bad("GUID identifier");
      return id;
    case 'b':
      id.kind = NodeId::Kind::kOpaque;
      if (value.empty() || !base64_decode(value, id.text)) return bad("base64 opaque identifier");
      return id;
    default: return bad("expected i=, s=, g= or b=");
  }
}

std::string format_node_id(const NodeId& id) {
  std::string out = id.ns != 0 ? fmt::format("ns={};", id.ns) : std::string();
  switch (id.kind) {
    case NodeId::Kind::kNumeric: out += fmt::format("i={}", id.numeric); break;
    case NodeId::Kind::kString: out += "s=" + id.text; break;
    case NodeId::Kind::kGuid: {
      const auto& g = id.guid;
      out += fmt::format("g={:08x}-{:04x}-{:04x}-{:02x}{:02x}-", g.data1, g.data2, g.data3, g.data4[0], g.data4[1]);
      for (std::size_t i = 2; i < 8; ++i) out += fmt::format("{:02x}", g.data4[i]);
      break;
    }
    case NodeId::Kind::kOpaque: out += "b=" + base64_encode(id.text); break;
  }
  return out;
}

std::string status_name(std::uint32_t status) {
  // Part 4 §7.39 / Part 6 Annex A status codes a client meets in practice.
  static constexpr std::pair<std::uint32_t, std::string_view> kCodes[] = {
      {0x00000000, "Good"}, {0x40000000, "Uncertain"}, {0x80000000, "Bad"},
      {0x80010000, "BadUnexpectedError"}, {0x80020000, "BadInternalError"},
      {0x80030000, "BadOutOfMemory"}, {0x80040000, "BadResourceUnavailable"},
      {0x80050000, "BadCommunicationError"}, {0x80060000, "BadEncodingError"},
      {0x80070000, "BadDecodingError"}, {0x80080000, "BadEncodingLimitsExceeded"},
      {0x80090000, "BadUnknownResponse"}, {0x800a0000, "BadTimeout"},
      {0x800b0000, "BadServiceUnsupported"}, {0x800c0000, "BadShutdown"},
      {0x800d0000, "BadServerNotConnected"}, {0x800e0000, "BadServerHalted"},
      {0x800f0000, "BadNothingToDo"}, {0x80100000, "BadTooManyOperations"},
      {0x80120000, "BadCertificateInvalid"}, {0x80130000, "BadSecurityChecksFailed"},
      {0x80140000, "BadCertificateTimeInvalid"}, {0x80170000, "BadCertificateUriInvalid"},
      {0x80180000, "BadCertificateUseNotAllowed"}, {0x801a0000, "BadCertificateUntrusted"},
      {0x801f0000, "BadUserAccessDenied"}, {0x80200000, "BadIdentityTokenInvalid"},
      {0x80210000, "BadIdentityTokenRejected"}, {0x80220000, "BadSecureChannelIdInvalid"},
      {0x80240000, "BadNonceInvalid"}, {0x80250000, "BadSessionIdInvalid"},
      {0x80260000, "BadSessionClosed"}, {0x80270000, "BadSessionNotActivated"},
      {0x80280000, "BadSubscriptionIdInvalid"}, {0x802a0000, "BadRequestHeaderInvalid"},
      {0x802b0000, "BadTimestampsToReturnInvalid"}, {0x802c0000, "BadRequestCancelledByClient"},
      {0x80310000, "BadNoCommunication"}, {0x80320000, "BadWaitingForInitialData"},
      {0x80330000, "BadNodeIdInvalid"}, {0x80340000, "BadNodeIdUnknown"},
      {0x80350000, "BadAttributeIdInvalid"}, {0x80360000, "BadIndexRangeInvalid"},
      {0x803a0000, "BadNotReadable"}, {0x803b0000, "BadNotWritable"},
      {0x803c0000, "BadOutOfRange"}, {0x803d0000, "BadNotSupported"},
      {0x803e0000, "BadNotFound"}, {0x80410000, "BadMonitoringModeInvalid"},
      {0x80420000, "BadMonitoredItemIdInvalid"}, {0x80540000, "BadSecurityModeRejected"},
      {0x80550000, "BadSecurityPolicyRejected"}, {0x80560000, "BadTooManySessions"},
      {0x80570000, "BadUserSignatureInvalid"}, {0x80580000, "BadApplicationSignatureInvalid"},
      {0x80700000, "BadMaxAgeInvalid"}, {0x80730000, "BadWriteNotSupported"},
      {0x80740000, "BadTypeMismatch"}, {0x80780000, "BadTooManyPublishRequests"},
      {0x80790000, "BadNoSubscription"}, {0x807a0000, "BadSequenceNumberUnknown"},
      {0x807b0000, "BadMessageNotAvailable"}, {0x807d0000, "BadTcpServerTooBusy"},
      {0x807e0000, "BadTcpMessageTypeInvalid"}, {0x807f0000, "BadTcpSecureChannelUnknown"},
      {0x80800000, "BadTcpMessageTooLarge"}, {0x80810000, "BadTcpNotEnoughResources"},
      {0x80820000, "BadTcpInternalError"}, {0x80830000, "BadTcpEndpointUrlInvalid"},
      {0x80850000, "BadRequestTimeout"}, {0x80860000, "BadSecureChannelClosed"},
      {0x80870000, "BadSecureChannelTokenUnknown"}, {0x80880000, "BadSequenceNumberInvalid"},
      {0x80890000, "BadConfigurationError"}, {0x808a0000, "BadNotConnected"},
      {0x808b0000, "BadDeviceFailure"}, {0x808c0000, "BadSensorFailure"},
      {0x808d0000, "BadOutOfService"}, {0x809b0000, "BadNoData"},
      {0x809e0000, "BadDataUnavailable"}, {0x80ae0000, "BadConnectionClosed"},
      {0x80af0000, "BadInvalidState"}, {0x80b10000, "BadNoDataAvailable"},
      {0x80b80000, "BadRequestTooLarge"}, {0x80b90000, "BadResponseTooLarge"},
      {0x80be0000, "BadProtocolVersionUnsupported"}, {0x80db0000, "BadTooManyMonitoredItems"},
      {0x80e60000, "BadSecurityModeInsufficient"}, {0x002f0000, "GoodOverload"},
      {0x00a50000, "GoodNoData"}, {0x40900000, "UncertainLastUsableValue"},
      {0x40920000, "UncertainInitialValue"}, {0x40950000, "UncertainSubNormal"},
  };
  const std::uint32_t code = status & 0xFFFF0000u;
  for (const auto& [value, name] : kCodes) {
    if (value == code) return std::string(name);
  }
  return fmt::format("0x{:08X}", status);
}

}  // namespace kaiwu::drivers::opcua
