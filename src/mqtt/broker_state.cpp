// Saving and restoring the broker's durable state — sessions that outlive their connection
// (subscriptions, queued and in-flight messages, QoS 2 receive state, will) and retained
// messages — so persistent sessions survive a restart. The snapshot is written atomically
// (temporary file, fsync, rename); messages are stored as MQTT 5 PUBLISH frames.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mqtt/broker_impl.hpp"

namespace kaiwu::mqtt {
namespace {

constexpr std::uint8_t kFormat = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}
void put_i64(std::string& out, std::int64_t v) { put_varint(out, static_cast<std::uint64_t>(v)); }

class In {
 public:
  explicit In(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i_ >= s_.size()) return fail();
      auto b = static_cast<std::uint8_t>(s_[i_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  std::string bytes() {
    auto n = varint();
    if (!ok_ || n > s_.size() - i_) return fail(), std::string();
    std::string out(s_.substr(i_, n));
    i_ += n;
    return out;
  }
  bool done() const { return i_ == s_.size(); }

 private:
  std::uint64_t fail() {
    ok_ = false;
    i_ = s_.size();
    return 0;
  }
  std::string_view s_;
  std::size_t i_ = 0;
  bool ok_ = true;
};

std::string message_frame(const Message& m) {
  Publish p;
  p.qos = m.qos;
  p.retain = m.retain;
  p.topic = m.topic;
  p.packet_id = m.qos == QoS::k0 ? 0 : 1;  // a frame needs one; ignored on restore
  p.properties = m.properties;
  p.properties.topic_alias.reset();
  p.properties.subscription_identifiers.clear();
  p.payload = m.payload;
  return encode(p, Version::k5);
}

MessagePtr message_from(std::string_view frame, std::int64_t expires_ms, std::string origin) {
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size());
  auto packet = decode(bytes, Version::k5);
  if (!packet || !std::holds_alternative<Publish>(*packet)) return nullptr;
  return make_message(std::move(std::get<Publish>(*packet)), expires_ms, std::move(origin));
}

void put_outgoing(std::string& out, const Outgoing& o) {
  put_varint(out, o.packet_id);
  put_varint(out, static_cast<std::uint8_t>(o.qos));
  put_varint(out, o.retain ? 1 : 0);
  put_varint(out, o.subscription_id);
  put_varint(out, o.released ? 1 : 0);
  put_i64(out, o.message->expires_ms);
  put_bytes(out, o.message->origin);
  put_bytes(out, message_frame(*o.message));
}

bool read_outgoing(In& in, Outgoing& o) {
  o.packet_id = static_cast<std::uint16_t>(in.varint());
  o.qos = static_cast<QoS>(in.varint() & 3);
  o.retain = in.varint() != 0;
  o.subscription_id = static_cast<std::uint32_t>(in.varint());
  o.released = in.varint() != 0;
  auto expires = static_cast<std::int64_t>(in.varint());
  auto origin = in.bytes();
  auto frame = in.bytes();
  if (!in.ok()) return false;
  o.message = message_from(frame, expires, std::move(origin));
  return o.message != nullptr;
}

}  // namespace

std::string Broker::Impl::snapshot() const {
  std::string out;
  out.push_back(static_cast<char>(kFormat));
  std::int64_t now = clock();
  std::size_t persistent = 0;
  for (const auto& [key, s] : sessions) persistent += s->expiry_s > 0 ? 1 : 0;
  put_varint(out, persistent);
  for (const auto& [key, sp] : sessions) {
    const Session& s = *sp;
    if (s.expiry_s == 0) continue;
    put_bytes(out, s.key);
    put_bytes(out, s.client_id);
    put_bytes(out, s.who.tenant_id);
    put_bytes(out, s.who.username);
    put_bytes(out, s.who.device_id);
    put_varint(out, (s.who.is_device ? 1 : 0) | (s.who.is_gateway ? 2 : 0));
    put_varint(out, static_cast<std::uint8_t>(s.version));
    put_varint(out, s.expiry_s);
    put_i64(out, s.conn ? now : s.offline_since_ms);
    put_varint(out, s.next_packet_id);
    put_varint(out, s.subscriptions.size());
    for (const auto& [filter, o] : s.subscriptions) {
      put_bytes(out, filter);
      put_varint(out, static_cast<std::uint8_t>(o.qos) | (o.no_local ? 4 : 0) | (o.retain_as_published ? 8 : 0) |
                          static_cast<std::uint8_t>(o.retain_handling) << 4);
      put_varint(out, o.subscription_id);
    }
    put_varint(out, s.inflight.size());
    for (const auto& [pid, o] : s.inflight) put_outgoing(out, o);
    put_varint(out, s.queued.size());
    for (const auto& o : s.queued) put_outgoing(out, o);
    put_varint(out, s.incoming_qos2.size());
    for (auto id : s.incoming_qos2) put_varint(out, id);
    // The will of a session that is online or waiting for its delay.
    bool has_will = s.will.has_value();
    put_varint(out, has_will ? 1 : 0);
    if (has_will) {
      Message w;
      w.topic = s.will->topic;
      w.payload = s.will->payload;
      w.qos = s.will->qos;
      w.retain = s.will->retain;
      w.properties = s.will->properties;
      put_varint(out, s.will->properties.will_delay_interval.value_or(0));
      put_bytes(out, message_frame(w));
    }
  }
  std::size_t retained = 0;
  for (const auto& [tenant, space] : tenants) retained += space.retained.size();
  put_varint(out, retained);
  for (const auto& [tenant, space] : tenants) {
    for (const auto& [topic, m] : space.retained) {
      put_bytes(out, tenant);
      put_i64(out, m->expires_ms);
      put_bytes(out, message_frame(*m));
    }
  }
  return out;
}

Status Broker::Impl::restore(std::string_view bytes) {
  if (bytes.empty() || static_cast<std::uint8_t>(bytes[0]) != kFormat)
    return fail(Errc::kCorruption, "MQTT state: unknown format");
  In in(bytes.substr(1));
  auto bad = [] { return fail(Errc::kCorruption, "MQTT state is damaged"); };
  auto count = in.varint();
  for (std::uint64_t n = 0; n < count && in.ok(); ++n) {
    auto s = std::make_unique<Session>();
    s->key = in.bytes();
    s->client_id = in.bytes();
    s->who.tenant_id = in.bytes();
    s->who.username = in.bytes();
    s->who.device_id = in.bytes();
    auto flags = in.varint();
    s->who.is_device = flags & 1;
    s->who.is_gateway = flags & 2;
    s->version = static_cast<Version>(in.varint());
    s->expiry_s = static_cast<std::uint32_t>(in.varint());
    s->offline_since_ms = static_cast<std::int64_t>(in.varint());
    s->next_packet_id = static_cast<std::uint16_t>(std::max<std::uint64_t>(1, in.varint() & 0xFFFF));
    auto subs = in.varint();
    for (std::uint64_t i = 0; i < subs && in.ok(); ++i) {
      auto filter = in.bytes();
      auto bits = in.varint();
      SubOptions o;
      o.qos = static_cast<QoS>(bits & 3);
      o.no_local = bits & 4;
      o.retain_as_published = bits & 8;
      o.retain_handling = static_cast<RetainHandling>((bits >> 4) & 3);
      o.subscription_id = static_cast<std::uint32_t>(in.varint());
      s->subscriptions[filter] = o;
    }
    auto inflight = in.varint();
    for (std::uint64_t i = 0; i < inflight && in.ok(); ++i) {
      Outgoing o;
      if (!read_outgoing(in, o)) return bad();
      s->inflight.emplace(o.packet_id, std::move(o));
    }
    auto queued = in.varint();
    for (std::uint64_t i = 0; i < queued && in.ok(); ++i) {
      Outgoing o;
      if (!read_outgoing(in, o)) return bad();
      s->queued.push_back(std::move(o));
    }
    auto qos2 = in.varint();
    for (std::uint64_t i = 0; i < qos2 && in.ok(); ++i) s->incoming_qos2.insert(static_cast<std::uint16_t>(in.varint()));
    if (in.varint() == 1) {
      auto delay = static_cast<std::uint32_t>(in.varint());
      auto m = message_from(in.bytes(), 0, {});
      if (!m) return bad();
      Will w;
      w.topic = m->topic;
      w.payload = m->payload;
      w.qos = m->qos;
      w.retain = m->retain;
      w.properties = m->properties;
      if (delay) w.properties.will_delay_interval = delay;
      s->will = std::move(w);
      // The connection is gone after a restart: the will is due as after any abnormal end.
      s->will_due_ms = clock() + static_cast<std::int64_t>(std::min(delay, s->expiry_s)) * 1000;
    }
    if (!in.ok()) return bad();
    auto& space = tenants[s->who.tenant_id];
    for (const auto& [filter, o] : s->subscriptions) space.subscriptions.add(filter, s->key, o);
    sessions[s->key] = std::move(s);
  }
  auto retained = in.varint();
  for (std::uint64_t n = 0; n < retained && in.ok(); ++n) {
    auto tenant = in.bytes();
    auto expires = static_cast<std::int64_t>(in.varint());
    auto m = message_from(in.bytes(), expires, {});
    if (!m) return bad();
    tenants[tenant].retained[m->topic] = std::move(m);
  }
  if (!in.ok() || !in.done()) return bad();
  return ok();
}

Status Broker::Impl::save_state() {
  if (options.state_path.empty() || !dirty) return ok();
  std::string data = snapshot();
  std::string tmp = options.state_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kIo, tmp + ": " + std::strerror(errno));
  bool good = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!good || ::rename(tmp.c_str(), options.state_path.c_str()) != 0)
    return fail(Errc::kIo, "cannot write " + options.state_path + ": " + std::strerror(errno));
  dirty = false;
  return ok();
}

Status Broker::load_state() {
  const auto& path = impl_->options.state_path;
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return ok();
  std::ifstream f(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  KAIWU_TRY_STATUS(impl_->restore(data));
  spdlog::info("mqtt: restored {} sessions from {}", impl_->sessions.size(), path);
  return ok();
}

Status Broker::save_state() { return impl_->save_state(); }

}  // namespace kaiwu::mqtt
