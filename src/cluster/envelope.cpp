#include "cluster/envelope.hpp"

#include "mqtt/codec.hpp"
#include "mqtt/wire.hpp"

namespace kaiwu::cluster {
namespace {

constexpr std::uint8_t kForward = 1, kClaim = 2, kRetained = 3;

void put_i64(mqtt::wire::Writer& w, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  w.u32(static_cast<std::uint32_t>(u >> 32));
  w.u32(static_cast<std::uint32_t>(u));
}

void put_publish(std::string& out, mqtt::Publish p) {
  if (p.qos != mqtt::QoS::k0 && p.packet_id == 0) p.packet_id = 1;  // a frame needs one; not used
  if (p.qos == mqtt::QoS::k0) p.packet_id = 0;
  p.dup = false;
  p.properties.topic_alias.reset();
  p.properties.subscription_identifiers.clear();
  out += mqtt::encode(p, mqtt::Version::k5);
}

std::unexpected<Error> bad(std::string_view what, std::string_view why) {
  return fail(Errc::kInvalidArgument, "cluster " + std::string(what) + ": " + std::string(why));
}

// The fields before the frame, read with the MQTT reader; `what` names the envelope in errors.
class In {
 public:
  In(std::span<const std::uint8_t> bytes, std::string_view what) : r_(bytes), what_(what) {}
  Status tag(std::uint8_t want) {
    auto t = r_.u8("tag");
    if (!t || *t != want) return bad(what_, "unknown envelope");
    return ok();
  }
  Result<std::string> str(std::string_view field) {
    auto s = r_.binary(field);
    if (!s) return bad(what_, s.error().message);
    return std::move(*s);
  }
  Result<std::int64_t> i64(std::string_view field) {
    auto hi = r_.u32(field);
    auto lo = r_.u32(field);
    if (!hi || !lo) return bad(what_, std::string(field) + " truncated");
    return static_cast<std::int64_t>((static_cast<std::uint64_t>(*hi) << 32) | *lo);
  }
  Result<mqtt::Publish> publish() {
    std::string frame = r_.rest();
    auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size());
    auto header = mqtt::peek_frame(bytes, mqtt::kMaxPacketSize);
    if (!header || !*header || (*header)->frame_size() != bytes.size())
      return bad(what_, "not one whole PUBLISH frame");
    auto packet = mqtt::decode(bytes, mqtt::Version::k5);
    if (!packet) return bad(what_, packet.error().message);
    auto* p = std::get_if<mqtt::Publish>(&*packet);
    if (!p) return bad(what_, "not a PUBLISH");
    return std::move(*p);
  }

 private:
  mqtt::wire::Reader r_;
  std::string_view what_;
};

}  // namespace

std::string encode(const Forwarded& f) {
  std::string out;
  mqtt::wire::Writer w(&out);
  w.u8(kForward);
  w.str(f.node);
  w.str(f.tenant);
  w.str(f.origin);
  put_i64(w, f.expires_ms);
  put_publish(out, f.message);
  return out;
}

std::string encode(const Claim& c) {
  std::string out;
  mqtt::wire::Writer w(&out);
  w.u8(kClaim);
  w.str(c.node);
  w.str(c.tenant);
  w.str(c.client_id);
  put_i64(w, c.since_ms);
  return out;
}

std::string encode(const RetainedEntry& r) {
  std::string out;
  mqtt::wire::Writer w(&out);
  w.u8(kRetained);
  w.str(r.tenant);
  put_i64(w, r.expires_ms);
  put_publish(out, r.message);
  return out;
}

Result<Forwarded> decode_forwarded(std::span<const std::uint8_t> bytes) {
  In in(bytes, "forward");
  KAIWU_TRY_STATUS(in.tag(kForward));
  Forwarded f;
  f.node = KAIWU_TRY(in.str("node"));
  f.tenant = KAIWU_TRY(in.str("tenant"));
  f.origin = KAIWU_TRY(in.str("origin"));
  f.expires_ms = KAIWU_TRY(in.i64("expires"));
  f.message = KAIWU_TRY(in.publish());
  return f;
}

Result<Claim> decode_claim(std::span<const std::uint8_t> bytes) {
  In in(bytes, "claim");
  KAIWU_TRY_STATUS(in.tag(kClaim));
  Claim c;
  c.node = KAIWU_TRY(in.str("node"));
  c.tenant = KAIWU_TRY(in.str("tenant"));
  c.client_id = KAIWU_TRY(in.str("client id"));
  c.since_ms = KAIWU_TRY(in.i64("since"));
  return c;
}

Result<RetainedEntry> decode_retained(std::span<const std::uint8_t> bytes) {
  In in(bytes, "retained");
  KAIWU_TRY_STATUS(in.tag(kRetained));
  RetainedEntry r;
  r.tenant = KAIWU_TRY(in.str("tenant"));
  r.expires_ms = KAIWU_TRY(in.i64("expires"));
  r.message = KAIWU_TRY(in.publish());
  return r;
}

}  // namespace kaiwu::cluster
