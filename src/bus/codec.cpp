#include "bus/codec.hpp"

#include <bit>
#include <cstring>
#include <fmt/format.h>

namespace kaiwu::bus {

namespace {

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<std::uint8_t>(v));
  }
  void i64(std::int64_t v) { varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void f64(double v) {
    auto bits = std::bit_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  void str(const std::string& s) {
    varint(s.size());
    out_ += s;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}

  Result<std::uint8_t> u8(const char* what) {
    if (pos_ >= b_.size()) return truncated(what);
    return static_cast<std::uint8_t>(b_[pos_++]);
  }
  Result<std::uint64_t> varint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) return truncated(what);
      auto byte = static_cast<std::uint8_t>(b_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    return bad(what, "varint longer than 10 bytes");
  }
  Result<std::int64_t> i64(const char* what) {
    auto v = KAIWU_TRY(varint(what));
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }
  Result<double> f64(const char* what) {
    if (b_.size() - pos_ < 8) return truncated(what);
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(b_[pos_++]) << (8 * i);
    return std::bit_cast<double>(bits);
  }
  Result<std::string> str(const char* what) {
    auto n = KAIWU_TRY(varint(what));
    if (n > b_.size() - pos_) return truncated(what);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  // An enum stored as u8, checked against its number of values.
  template <typename E>
  Result<E> enumerator(const char* what, unsigned count) {
    auto v = KAIWU_TRY(u8(what));
    if (v >= count) return bad(what, fmt::format("value {} out of range", v));
    return static_cast<E>(v);
  }
  std::size_t remaining() const { return b_.size() - pos_; }
  std::size_t pos() const { return pos_; }

  std::unexpected<Error> truncated(const char* what) const { return bad(what, "truncated"); }
  std::unexpected<Error> bad(const char* what, const std::string& why) const {
    return fail(Errc::kInvalidArgument, fmt::format("bus message: {} at byte {}: {}", what, pos_, why));
  }

 private:
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

void write(Writer& w, const Telemetry& t) {
  w.str(t.tenant);
  w.str(t.device);
  w.varint(t.samples.size());
  for (const auto& s : t.samples) {
    w.str(s.key);
    w.i64(s.ts);
    w.u8(static_cast<std::uint8_t>(s.value.index()));
    std::visit(
        [&w](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, double>) w.f64(v);
          else if constexpr (std::is_same_v<V, std::int64_t>) w.i64(v);
          else if constexpr (std::is_same_v<V, bool>) w.u8(v ? 1 : 0);
          else w.str(v);
        },
        s.value);
  }
}

void write(Writer& w, const AttributeChange& a) {
  w.str(a.tenant);
  w.str(a.device);
  w.u8(static_cast<std::uint8_t>(a.scope));
  w.str(a.values_json);
  w.i64(a.ts);
}

void write(Writer& w, const DeviceLifecycle& l) {
  w.str(l.tenant);
  w.str(l.device);
  w.u8(static_cast<std::uint8_t>(l.event));
  w.i64(l.ts);
}

void write(Writer& w, const AlarmEvent& e) {
  const auto& a = e.alarm;
  w.u8(static_cast<std::uint8_t>(e.change));
  for (const auto* s : {&a.id, &a.tenant_id, &a.device_id, &a.enterprise_id, &a.park_id, &a.type}) w.str(*s);
  w.u8(static_cast<std::uint8_t>(a.severity));
  w.u8(static_cast<std::uint8_t>((a.acknowledged ? 1 : 0) | (a.cleared ? 2 : 0)));
  w.i64(a.start_ms);
  w.i64(a.last_ms);
  w.i64(a.count);
  w.i64(a.ack_ms);
  w.str(a.ack_by);
  w.i64(a.clear_ms);
  w.str(a.clear_by);
  w.str(a.details_json);
  w.i64(a.updated_ms);
}

Result<Value> read_value(Reader& r) {
  auto tag = KAIWU_TRY(r.u8("value tag"));
  switch (tag) {
    case 0: return Value{KAIWU_TRY(r.f64("double value"))};
    case 1: return Value{KAIWU_TRY(r.i64("integer value"))};
    case 2: {
      auto b = KAIWU_TRY(r.u8("bool value"));
      if (b > 1) return r.bad("bool value", "not 0 or 1");
      return Value{b == 1};
    }
    case 3: return Value{KAIWU_TRY(r.str("string value"))};
    default: return r.bad("value tag", fmt::format("unknown tag {}", tag));
  }
}

Result<Payload> read_telemetry(Reader& r) {
  Telemetry t;
  t.tenant = KAIWU_TRY(r.str("tenant"));
  t.device = KAIWU_TRY(r.str("device"));
  auto n = KAIWU_TRY(r.varint("sample count"));
  if (n > r.remaining() / 3) return r.bad("sample count", "larger than the message");  // ≥ 3 bytes a sample
  t.samples.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Sample s;
    s.key = KAIWU_TRY(r.str("sample key"));
    s.ts = KAIWU_TRY(r.i64("sample ts"));
    s.value = KAIWU_TRY(read_value(r));
    t.samples.push_back(std::move(s));
  }
  return Payload{std::move(t)};
}

Result<Payload> read_attributes(Reader& r) {
  AttributeChange a;
  a.tenant = KAIWU_TRY(r.str("tenant"));
  a.device = KAIWU_TRY(r.str("device"));
  a.scope = KAIWU_TRY(r.enumerator<model::AttributeScope>("attribute scope", 3));
  a.values_json = KAIWU_TRY(r.str("attribute values"));
  a.ts = KAIWU_TRY(r.i64("attribute ts"));
  return Payload{std::move(a)};
}

Result<Payload> read_lifecycle(Reader& r) {
  DeviceLifecycle l;
  l.tenant = KAIWU_TRY(r.str("tenant"));
  l.device = KAIWU_TRY(r.str("device"));
  l.event = KAIWU_TRY(r.enumerator<LifecycleEvent>("lifecycle event", 4));
  l.ts = KAIWU_TRY(r.i64("lifecycle ts"));
  return Payload{std::move(l)};
}

Result<Payload> read_alarm(Reader& r) {
  AlarmEvent e;
  auto& a = e.alarm;
  e.change = KAIWU_TRY(r.enumerator<AlarmChange>("alarm change", 4));
  for (auto* s : {&a.id, &a.tenant_id, &a.device_id, &a.enterprise_id, &a.park_id, &a.type}) *s = KAIWU_TRY(r.str("alarm field"));
  a.severity = KAIWU_TRY(r.enumerator<model::AlarmSeverity>("alarm severity", 4));
  auto flags = KAIWU_TRY(r.u8("alarm flags"));
  if (flags > 3) return r.bad("alarm flags", "unknown bits");
  a.acknowledged = flags & 1;
  a.cleared = flags & 2;
  a.start_ms = KAIWU_TRY(r.i64("alarm start"));
  a.last_ms = KAIWU_TRY(r.i64("alarm last"));
  a.count = KAIWU_TRY(r.i64("alarm count"));
  a.ack_ms = KAIWU_TRY(r.i64("alarm ack time"));
  a.ack_by = KAIWU_TRY(r.str("alarm ack by"));
  a.clear_ms = KAIWU_TRY(r.i64("alarm clear time"));
  a.clear_by = KAIWU_TRY(r.str("alarm clear by"));
  a.details_json = KAIWU_TRY(r.str("alarm details"));
  a.updated_ms = KAIWU_TRY(r.i64("alarm updated"));
  return Payload{std::move(e)};
}

}  // namespace

std::string encode_message(const Message& m) {
  Writer w;
  w.u8(kCodecVersion);
  w.u8(static_cast<std::uint8_t>(m.kind()));
  std::visit([&w](const auto& p) { write(w, p); }, m.payload);
  return w.take();
}

Result<Message> decode_message(std::span<const std::byte> bytes) {
  Reader r(bytes);
  auto version = KAIWU_TRY(r.u8("version"));
  if (version != kCodecVersion) return r.bad("version", fmt::format("unsupported version {}", version));
  auto kind = KAIWU_TRY(r.enumerator<Kind>("kind", kKindCount));
  Result<Payload> p = [&]() -> Result<Payload> {
    switch (kind) {
      case Kind::kTelemetry: return read_telemetry(r);
      case Kind::kAttributes: return read_attributes(r);
      case Kind::kLifecycle: return read_lifecycle(r);
      case Kind::kAlarm: return read_alarm(r);
    }
    return r.bad("kind", "unknown");
  }();
  if (!p) return std::unexpected(p.error());
  if (r.remaining() != 0) return r.bad("end", fmt::format("{} trailing bytes", r.remaining()));
  return Message{std::move(*p)};
}

}  // namespace kaiwu::bus
