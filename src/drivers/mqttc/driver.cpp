#include "drivers/mqttc/driver.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <set>

#include "core/json_parse.hpp"
#include "drivers/mqttc/mapping.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::drivers::mqttc {

namespace {

using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kMinBackoff = std::chrono::milliseconds(200);
constexpr auto kMaxBackoff = std::chrono::seconds(10);
constexpr std::size_t kMaxOut = 1 << 20;  // encoded packets waiting for the writer
constexpr mqtt::Version kVersion = mqtt::Version::k311;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const DriverInfo kInfo{
    "mqtt", "1.0", "MQTT 3.1.1 client of a third-party broker: JSON payloads mapped to points",
    R"({"type":"object","properties":{)"
    R"("ca_file":{"type":"string","description":"PEM CA file for mqtts:// endpoints"},)"
    R"("client_id":{"type":"string"},"username":{"type":"string"},"password":{"type":"string"},)"
    R"("keepalive":{"type":"string","pattern":"^[0-9]+$","default":"30"},)"
    R"("qos":{"type":"string","enum":["0","1","2"],"default":"0"},)"
    R"("clean_session":{"type":"string","enum":["true","false"],"default":"true"},)"
    R"("ts":{"type":"string","description":"JSON path of the payload's timestamp: ms epoch or ISO 8601"},)"
    R"("write_topic":{"type":"string","description":"topic for writes, payload {\"<key>\":value}"},)"
    R"("max_payload":{"type":"string","pattern":"^[0-9]+$","default":"262144"}}})",
    true};

struct Options {
  std::string host;
  std::string port = "1883";
  bool tls = false;       // mqtts://
  std::string ca_file;    // PEM trust anchors for mqtts:// (default: the system's)
  std::string client_id, write_topic;
  std::optional<std::string> username, password;
  unsigned keepalive = 30;
  mqtt::QoS qos = mqtt::QoS::k0;
  bool clean = true;
  std::optional<std::vector<PathStep>> ts;
  std::uint32_t max_payload = 262144;
};

template <typename T>
Result<T> number_option(const DeviceSettings& s, std::string_view name, T def, T lo, T hi) {
  auto it = s.options.find(name);
  if (it == s.options.end()) return def;
  T v{};
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < lo || v > hi)
    return fail(Errc::kInvalidArgument, fmt::format("mqtt option {} must be {}-{}", name, lo, hi));
  return v;
}

Result<Options> parse_options(const DeviceSettings& s) {
  Options o;
  std::string_view ep = s.endpoint;
  if (ep.starts_with("mqtt://")) ep.remove_prefix(7);
  else if (ep.starts_with("tcp://")) ep.remove_prefix(6);
  else if (ep.starts_with("mqtts://") || ep.starts_with("ssl://")) {
    ep.remove_prefix(ep.find("://") + 3);
    o.tls = true;
    o.port = "8883";
  } else if (ep.find("://") != std::string_view::npos)
    return fail(Errc::kInvalidArgument,
                fmt::format("mqtt endpoint '{}': only mqtt://, tcp://, mqtts:// and ssl:// are supported", ep));
  if (const auto colon = ep.rfind(':'); colon != std::string_view::npos && ep.find(']', colon) == std::string_view::npos) {
    o.host = std::string(ep.substr(0, colon));
    o.port = std::string(ep.substr(colon + 1));
    unsigned port = 0;
    auto [p, ec] = std::from_chars(o.port.data(), o.port.data() + o.port.size(), port);
    if (ec != std::errc() || p != o.port.data() + o.port.size() || port == 0 || port > 65535)
      return fail(Errc::kInvalidArgument, fmt::format("mqtt endpoint '{}': bad port", s.endpoint));
  } else {
    o.host = std::string(ep);
  }
  if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  if (o.host.empty()) return fail(Errc::kInvalidArgument, fmt::format("mqtt endpoint '{}' needs a host", s.endpoint));
  auto opt = [&](std::string_view k) -> const std::string* {
    auto it = s.options.find(k);
    return it == s.options.end() ? nullptr : &it->second;
  };
  o.client_id = opt("client_id") ? *opt("client_id") : "kaiwu-" + s.name;
  if (o.client_id.size() > 256) return fail(Errc::kInvalidArgument, "mqtt option client_id is too long");
  if (opt("username")) o.username = *opt("username");
  if (opt("password")) o.password = *opt("password");
  if (opt("ca_file")) {
    if (!o.tls) return fail(Errc::kInvalidArgument, "mqtt option ca_file needs an mqtts:// endpoint");
    o.ca_file = *opt("ca_file");
  }
  if (o.password && !o.username)
    return fail(Errc::kInvalidArgument, "mqtt option password needs a username (MQTT 3.1.1 §3.1.2.9)");
  o.keepalive = KAIWU_TRY(number_option<unsigned>(s, "keepalive", 30, 1, 65535));
  const auto qos = KAIWU_TRY(number_option<unsigned>(s, "qos", 0, 0, 2));
  o.qos = static_cast<mqtt::QoS>(qos);
  o.max_payload = KAIWU_TRY(number_option<std::uint32_t>(s, "max_payload", 262144, 64, 16u << 20));
  if (const auto* c = opt("clean_session")) {
    if (*c != "true" && *c != "false") return fail(Errc::kInvalidArgument, "mqtt option clean_session must be true or false");
    o.clean = *c == "true";
  }
  if (const auto* ts = opt("ts")) {
    auto steps = parse_path(*ts);
    if (!steps) return fail(Errc::kInvalidArgument, "mqtt option ts: " + steps.error().message);
    o.ts = std::move(*steps);
  }
  if (const auto* w = opt("write_topic")) {
    if (!mqtt::valid_topic_name(*w))
      return fail(Errc::kInvalidArgument, fmt::format("mqtt option write_topic '{}' is not a topic name", *w));
    o.write_topic = *w;
  }
  return o;
}

Status check_points(std::span<const PointConfig> points) {
  for (const auto& p : points) {
    auto a = parse_address(p.address);
    if (!a) return fail(Errc::kInvalidArgument, fmt::format("point '{}': {}", p.key, a.error().message));
  }
  return ok();
}

}  // namespace

struct MqttDriver::State {
  explicit State(asio::any_io_executor e) : ex(e), wake_timer(e), backoff_timer(e) {}

  struct Known {
    PointConfig config;
    Address address;
    bool pushed = false;  // subscribe()d: readings go to the sink
  };

  asio::any_io_executor ex;
  asio::steady_timer wake_timer, backoff_timer;
  DeviceSettings settings;
  Options opt;
  std::unique_ptr<tcp::socket> socket;
  std::unique_ptr<asio::ssl::context> ssl_ctx;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  bool stopping = false, online = false, running = false, wake_pending = false;
  std::string out;
  std::map<std::string, Known, std::less<>> points;
  std::set<std::string, std::less<>> filters;
  std::map<std::string, Reading, std::less<>> latest;
  ReadingSink sink;
  Health health;
  std::uint64_t messages = 0;
  std::uint16_t last_packet_id = 0;
  struct AckWait {
    asio::steady_timer* timer = nullptr;
    bool acked = false;
  };
  std::map<std::uint16_t, AckWait*> ack_waits;  // writes waiting for PUBACK (QoS 1) or PUBCOMP (QoS 2)
  // MQTT 3.1.1 §4.3.3 receiver, method B: ids of QoS 2 PUBLISHes delivered once and answered
  // with PUBREC, until the broker's PUBREL releases them (a resent PUBLISH is not delivered again).
  std::set<std::uint16_t> qos2_received;
  std::chrono::steady_clock::time_point last_sent, last_received;

  std::uint16_t next_packet_id() {
    do {
      if (++last_packet_id == 0) last_packet_id = 1;
    } while (ack_waits.contains(last_packet_id));
    return last_packet_id;
  }
  void complete_write(std::uint16_t packet_id) {  // PUBACK (QoS 1) or PUBCOMP (QoS 2)
    if (auto it = ack_waits.find(packet_id); it != ack_waits.end()) {
      it->second->acked = true;
      it->second->timer->cancel();
      ack_waits.erase(it);
    }
  }
  void release_ack_waits() {  // the session ended (clean session): writes waiting for an ack fail
    for (auto& [id, w] : ack_waits) w->timer->cancel();
    ack_waits.clear();
    qos2_received.clear();
  }
  void wake() {
    wake_pending = true;
    wake_timer.cancel();
  }
  void close() {
    boost::system::error_code ec;
    if (socket) socket->close(ec);
    if (tls) tls->lowest_layer().close(ec);
  }
  bool has_transport() const { return socket || tls; }
  void queue(const mqtt::Packet& p) { out += mqtt::encode(p, kVersion); }
  void queue_subscribe(const std::vector<std::string>& list) {
    // Chunks keep each SUBSCRIBE small whatever the number of filters.
    for (std::size_t i = 0; i < list.size(); i += 64) {
      mqtt::Subscribe sub;
      sub.packet_id = next_packet_id();
      for (std::size_t j = i; j < list.size() && j < i + 64; ++j) sub.subscriptions.push_back({list[j], opt.qos});
      queue(sub);
    }
    wake();
  }
  void failure(std::string message) {
    ++health.failures;
    health.last_error = std::move(message);
  }

  void add_points(std::span<const PointConfig> list, bool pushed);
  asio::awaitable<Status> write_all(const std::string& bytes);
  asio::awaitable<Result<mqtt::Packet>> read_packet(std::string& buffer);
  asio::awaitable<Status> connect(std::string& buffer);
  asio::awaitable<Status> reader(std::string buffer);
  asio::awaitable<Status> writer();
  Status on_packet(mqtt::Packet&& packet);
  void on_publish(const mqtt::Publish& p);
};

void MqttDriver::State::add_points(std::span<const PointConfig> list, bool pushed) {
  std::vector<std::string> added;
  for (const auto& p : list) {
    auto it = points.find(p.key);
    if (it == points.end() || it->second.config.address != p.address) {
      auto a = parse_address(p.address);
      if (!a) continue;  // validate() reports it; read() answers with an error Reading
      if (filters.insert(a->filter).second) added.push_back(a->filter);
      it = points.insert_or_assign(p.key, Known{p, std::move(*a), pushed}).first;
    }
    it->second.config = p;
    it->second.pushed = it->second.pushed || pushed;
  }
  if (online && !added.empty()) queue_subscribe(added);
}

asio::awaitable<Status> MqttDriver::State::write_all(const std::string& bytes) {
  auto [ec, n] = tls ? co_await asio::async_write(*tls, asio::buffer(bytes), kAsTuple)
                     : co_await asio::async_write(*socket, asio::buffer(bytes), kAsTuple);
  if (ec) co_return fail(Errc::kUnavailable, "writing to the broker: " + ec.message());
  last_sent = std::chrono::steady_clock::now();
  co_return ok();
}

asio::awaitable<Result<mqtt::Packet>> MqttDriver::State::read_packet(std::string& buffer) {
  while (true) {
    // MQTT 3.1.1 §2.2.3: the Remaining Length comes first; a packet over max_payload (+ topic
    // and header slack) is refused before its body is buffered.
    auto header = mqtt::peek_frame(mqtt::bytes_of(buffer), opt.max_payload + 65'600);
    if (!header) co_return std::unexpected(header.error().to_error());
    if (*header && buffer.size() >= (*header)->frame_size()) {
      const auto size = (*header)->frame_size();
      auto packet = mqtt::decode(mqtt::bytes_of(std::string_view(buffer).substr(0, size)), kVersion);
      buffer.erase(0, size);
      if (!packet) co_return std::unexpected(packet.error().to_error());
      last_received = std::chrono::steady_clock::now();
      co_return std::move(*packet);
    }
    char chunk[16384];
    auto [ec, n] = tls ? co_await tls->async_read_some(asio::buffer(chunk), kAsTuple)
                       : co_await socket->async_read_some(asio::buffer(chunk), kAsTuple);
    if (ec) co_return fail(Errc::kUnavailable, "reading from the broker: " + ec.message());
    buffer.append(chunk, n);
  }
}

asio::awaitable<Status> MqttDriver::State::connect(std::string& buffer) {
  const auto limit = std::max<std::chrono::milliseconds>(settings.timeout, std::chrono::milliseconds(1000));
  const std::string where = opt.host + ":" + opt.port;
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, limit);
  auto resolved = co_await (resolver.async_resolve(opt.host, opt.port, kAsTuple) || timer.async_wait(kAsTuple));
  if (resolved.index() == 1) co_return fail(Errc::kTimeout, "resolving " + opt.host);
  auto [rec, endpoints] = std::get<0>(resolved);
  if (rec) co_return fail(Errc::kUnavailable, "resolving " + opt.host + ": " + rec.message());
  socket.reset();
  tls.reset();
  tcp::socket* raw = nullptr;
  if (opt.tls) {
    tls = std::make_unique<asio::ssl::stream<tcp::socket>>(ex, *ssl_ctx);
    tls->set_verify_mode(asio::ssl::verify_peer);
    tls->set_verify_callback(asio::ssl::host_name_verification(opt.host));
    SSL_set_tlsext_host_name(tls->native_handle(), opt.host.c_str());
    raw = &tls->next_layer();
  } else {
    socket = std::make_unique<tcp::socket>(ex);
    raw = socket.get();
  }
  auto connected = co_await (asio::async_connect(*raw, endpoints, kAsTuple) || timer.async_wait(kAsTuple));
  if (connected.index() == 1) co_return fail(Errc::kTimeout, "connecting to broker " + where);
  if (auto [ec, ep] = std::get<0>(connected); ec)
    co_return fail(Errc::kUnavailable, "connecting to broker " + where + ": " + ec.message());
  boost::system::error_code ignored;
  raw->set_option(tcp::no_delay(true), ignored);
  if (tls) {
    auto hs = co_await (tls->async_handshake(asio::ssl::stream_base::client, kAsTuple) || timer.async_wait(kAsTuple));
    if (hs.index() == 1) co_return fail(Errc::kTimeout, "TLS handshake with broker " + where);
    if (auto [hec] = std::get<0>(hs); hec)
      co_return fail(Errc::kUnavailable, "TLS handshake with broker " + where + ": " + hec.message());
  }
  // MQTT 3.1.1 §3.1: CONNECT, then wait for CONNACK (§3.2).
  mqtt::Connect c;
  c.version = kVersion;
  c.clean_start = opt.clean;
  c.keep_alive = static_cast<std::uint16_t>(opt.keepalive);
  c.client_id = opt.client_id;
  c.username = opt.username;
  c.password = opt.password;
  buffer.clear();
  out.clear();
  if (auto st = co_await write_all(mqtt::encode(c, kVersion)); !st) co_return st;
  auto r = co_await (read_packet(buffer) || timer.async_wait(kAsTuple));
  if (r.index() == 1) co_return fail(Errc::kTimeout, "no CONNACK from broker " + where);
  auto packet = std::move(std::get<0>(r));
  if (!packet) co_return std::unexpected(packet.error());
  const auto* ack = std::get_if<mqtt::Connack>(&*packet);
  if (!ack) co_return fail(Errc::kUnavailable, "broker " + where + " answered CONNECT without a CONNACK");
  if (ack->reason != mqtt::ReasonCode::kSuccess) {
    const bool auth = ack->reason == mqtt::ReasonCode::kBadUserNameOrPassword ||
                      ack->reason == mqtt::ReasonCode::kNotAuthorized;
    co_return fail(auth ? Errc::kUnauthenticated : Errc::kUnavailable,
                   fmt::format("broker {} refused the connection: {}", where, mqtt::reason_code_name(ack->reason)));
  }
  co_return ok();
}

void MqttDriver::State::on_publish(const mqtt::Publish& p) {
  ++messages;
  ++health.requests;
  health.last_success_ms = now_ms();
  std::optional<Result<boost::json::value>> doc;
  auto parsed = [&]() -> const Result<boost::json::value>& {
    if (!doc) doc = parse_json(p.payload);
    return *doc;
  };
  std::int64_t ts = health.last_success_ms;
  if (opt.ts) {
    Result<std::int64_t> t = fail(Errc::kInvalidArgument, "payload is not JSON");
    if (const auto& d = parsed(); d) {
      auto v = lookup(*d, *opt.ts);
      t = v ? parse_timestamp(**v) : Result<std::int64_t>(std::unexpected(v.error()));
    }
    if (t) ts = *t;
    else failure(fmt::format("topic '{}': timestamp: {} (receive time used)", p.topic, t.error().message));
  }
  std::vector<Reading> pushed;
  for (auto& [key, k] : points) {
    if (!mqtt::topic_matches(k.address.filter, p.topic)) continue;
    Result<tsdb::Value> raw = fail(Errc::kInvalidArgument, "");
    if (k.address.steps.empty()) {
      raw = convert_text(p.payload, k.config.type);
    } else if (const auto& d = parsed(); !d) {
      raw = fail(Errc::kInvalidArgument, "payload is not JSON: " + d.error().message);
    } else if (auto v = lookup(*d, k.address.steps); !v) {
      raw = std::unexpected(v.error());
    } else {
      raw = convert(**v, k.config.type);
    }
    Reading r{key, ts, fail(Errc::kInvalidArgument, "")};
    if (raw) {
      r.value = to_engineering(k.config, *raw);
    } else {
      r.value = fail(raw.error().code, fmt::format("point '{}' (topic '{}', path '{}'): {}", key, p.topic,
                                                   k.address.path, raw.error().message));
      failure(r.value.error().message);
    }
    latest.insert_or_assign(key, r);
    if (k.pushed && sink) pushed.push_back(std::move(r));
  }
  if (!pushed.empty()) sink(std::move(pushed));
}

Status MqttDriver::State::on_packet(mqtt::Packet&& packet) {
  if (auto* p = std::get_if<mqtt::Publish>(&packet)) {
    if (p->qos == mqtt::QoS::k1) {
      queue(mqtt::Puback{p->packet_id, mqtt::ReasonCode::kSuccess, {}});
      wake();
    } else if (p->qos == mqtt::QoS::k2) {  // §4.3.3: PUBREC now, deliver only the first time
      if (opt.qos != mqtt::QoS::k2)
        return fail(Errc::kInvalidArgument, "broker sent a QoS 2 PUBLISH on a QoS ≤ 1 subscription");
      queue(mqtt::Pubrec{p->packet_id, mqtt::ReasonCode::kSuccess, {}});
      wake();
      if (!qos2_received.insert(p->packet_id).second) return ok();
    }
    on_publish(*p);
    return ok();
  }
  if (auto* rel = std::get_if<mqtt::Pubrel>(&packet)) {  // §4.3.3: the id may be reused now
    qos2_received.erase(rel->packet_id);
    queue(mqtt::Pubcomp{rel->packet_id, mqtt::ReasonCode::kSuccess, {}});
    wake();
    return ok();
  }
  if (auto* rec = std::get_if<mqtt::Pubrec>(&packet)) {  // §4.3.3 sender: our write was received
    if (ack_waits.contains(rec->packet_id)) {
      queue(mqtt::Pubrel{rec->packet_id, mqtt::ReasonCode::kSuccess, {}});
      wake();
    }
    return ok();
  }
  if (auto* comp = std::get_if<mqtt::Pubcomp>(&packet)) {
    complete_write(comp->packet_id);
    return ok();
  }
  if (auto* s = std::get_if<mqtt::Suback>(&packet)) {
    for (const auto reason : s->reasons)
      if (static_cast<std::uint8_t>(reason) >= 0x80) failure("broker refused a subscription (SUBACK 0x80)");
    return ok();
  }
  if (std::holds_alternative<mqtt::Connack>(packet) || std::holds_alternative<mqtt::Connect>(packet) ||
      std::holds_alternative<mqtt::Subscribe>(packet))
    return fail(Errc::kInvalidArgument, fmt::format("unexpected {} from the broker", mqtt::packet_type_name(mqtt::packet_type(packet))));
  if (auto* a = std::get_if<mqtt::Puback>(&packet)) {
    complete_write(a->packet_id);
    return ok();
  }
  return ok();  // PINGRESP, UNSUBACK
}

asio::awaitable<Status> MqttDriver::State::reader(std::string buffer) {
  while (true) {
    auto packet = co_await read_packet(buffer);
    if (!packet) co_return std::unexpected(packet.error());
    if (auto st = on_packet(std::move(*packet)); !st) co_return st;
  }
}

asio::awaitable<Status> MqttDriver::State::writer() {
  const auto keepalive = std::chrono::seconds(opt.keepalive);
  while (!stopping) {
    const auto now = std::chrono::steady_clock::now();
    // MQTT 3.1.1 §3.1.2.10: PINGREQ within the keep-alive; the broker answers PINGRESP.
    if (now - last_received > keepalive * 3 / 2) co_return fail(Errc::kTimeout, "broker stopped answering");
    if (out.empty() && now - last_sent >= keepalive / 2) queue(mqtt::Pingreq{});
    if (!out.empty()) {
      std::string bytes = std::move(out);
      out.clear();
      if (auto st = co_await write_all(bytes); !st) co_return st;
      continue;
    }
    if (wake_pending) {
      wake_pending = false;
      continue;
    }
    wake_timer.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(keepalive) / 4);
    co_await wake_timer.async_wait(kAsTuple);
    wake_pending = false;
  }
  co_return ok();
}

namespace {

asio::awaitable<void> run_loop(std::shared_ptr<MqttDriver::State> s, std::string buffer) {
  auto backoff = kMinBackoff;
  while (!s->stopping) {
    if (s->online) {
      s->last_sent = s->last_received = std::chrono::steady_clock::now();
      auto r = co_await (s->reader(std::move(buffer)) || s->writer());
      const Status st = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      s->online = false;
      s->health.connected = false;
      s->release_ack_waits();
      s->close();
      if (s->stopping) break;
      if (!st) {
        s->failure("session ended: " + st.error().message);
        spdlog::warn("mqtt driver '{}': session ended: {}", s->settings.name, st.error().message);
      }
    }
    s->backoff_timer.expires_after(backoff);
    co_await s->backoff_timer.async_wait(kAsTuple);
    if (s->stopping) break;
    buffer.clear();
    if (auto st = co_await s->connect(buffer); !st) {
      s->close();
      ++(st.error().code == Errc::kTimeout ? s->health.timeouts : s->health.failures);
      s->health.last_error = st.error().message;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
      continue;
    }
    if (s->stopping) break;  // stop() came while connecting
    backoff = kMinBackoff;
    ++s->health.reconnects;
    s->online = true;
    s->health.connected = true;
    s->queue_subscribe({s->filters.begin(), s->filters.end()});
  }
  s->close();
  s->running = false;
}

}  // namespace

MqttDriver::MqttDriver(asio::any_io_executor executor) : state_(std::make_shared<State>(executor)) {}

MqttDriver::~MqttDriver() {
  state_->stopping = true;
  state_->sink = nullptr;
  state_->backoff_timer.cancel();
  state_->wake_timer.cancel();
  state_->release_ack_waits();
  state_->close();
}

const DriverInfo& MqttDriver::info() const { return kInfo; }

Status MqttDriver::validate(const DeviceSettings& settings, std::span<const PointConfig> points) const {
  if (auto o = parse_options(settings); !o) return std::unexpected(o.error());
  return check_points(points);
}

asio::awaitable<Status> MqttDriver::start(DeviceSettings settings) {
  auto& s = *state_;
  if (s.running) co_return fail(Errc::kFailedPrecondition, "mqtt driver already started");
  auto opt = parse_options(settings);
  if (!opt) co_return std::unexpected(opt.error());
  s.settings = std::move(settings);
  s.opt = std::move(*opt);
  if (s.opt.tls) {
    s.ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    if (!s.opt.ca_file.empty()) s.ssl_ctx->load_verify_file(s.opt.ca_file, ec);
    else s.ssl_ctx->set_default_verify_paths(ec);
    if (ec)
      co_return fail(Errc::kInvalidArgument, fmt::format("mqtt option ca_file '{}': {}", s.opt.ca_file, ec.message()));
  }
  s.stopping = false;
  std::string buffer;
  if (auto st = co_await s.connect(buffer); !st) {
    s.close();
    s.health.last_error = st.error().message;
    co_return st;
  }
  s.online = true;
  s.health.connected = true;
  s.running = true;
  if (!s.filters.empty()) s.queue_subscribe({s.filters.begin(), s.filters.end()});
  asio::co_spawn(s.ex, run_loop(state_, std::move(buffer)), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("mqtt driver loop ended: {}", x.what());
    }
  });
  co_return ok();
}

asio::awaitable<std::vector<Reading>> MqttDriver::read(std::span<const PointConfig> points) {
  auto& s = *state_;
  s.add_points(points, false);
  std::vector<Reading> out;
  out.reserve(points.size());
  for (const auto& p : points) {
    if (auto a = parse_address(p.address); !a) {
      out.push_back({p.key, now_ms(), fail(Errc::kInvalidArgument, fmt::format("point '{}': {}", p.key, a.error().message))});
      continue;
    }
    auto it = s.latest.find(p.key);
    if (it == s.latest.end()) {
      out.push_back({p.key, now_ms(),
                     fail(Errc::kUnavailable, fmt::format("point '{}': no value yet on '{}'", p.key, p.address))});
      continue;
    }
    out.push_back(it->second);
  }
  co_return out;
}

asio::awaitable<Status> MqttDriver::write(const PointConfig& point, tsdb::Value value) {
  auto& s = *state_;
  if (!point.writable) co_return fail(Errc::kPermissionDenied, fmt::format("point '{}' is not writable", point.key));
  if (s.opt.write_topic.empty())
    co_return fail(Errc::kFailedPrecondition,
                   fmt::format("point '{}': device '{}' has no write_topic option", point.key, s.settings.name));
  auto raw = to_raw(point, value);
  if (!raw) co_return std::unexpected(raw.error());
  if (!s.online) co_return fail(Errc::kUnavailable, "not connected to the broker");
  if (s.out.size() > kMaxOut) co_return fail(Errc::kResourceExhausted, "too many writes waiting for the broker");
  mqtt::Publish pub;
  pub.qos = s.opt.qos;
  pub.topic = s.opt.write_topic;
  if (pub.qos != mqtt::QoS::k0) pub.packet_id = s.next_packet_id();
  pub.payload = json_object(point.key, *raw);
  s.queue(pub);
  s.wake();
  ++s.health.requests;
  if (pub.qos == mqtt::QoS::k0) co_return ok();
  // QoS 1 (MQTT 3.1.1 §4.3.2): done when the broker's PUBACK arrives; QoS 2 (§4.3.3): PUBREC
  // → PUBREL → done at PUBCOMP.
  asio::steady_timer timer(s.ex, s.settings.timeout);
  State::AckWait wait{&timer, false};
  s.ack_waits[pub.packet_id] = &wait;
  co_await timer.async_wait(kAsTuple);
  if (wait.acked) co_return ok();
  s.ack_waits.erase(pub.packet_id);
  if (!s.online) co_return fail(Errc::kUnavailable, fmt::format("point '{}': connection lost before PUBACK", point.key));
  ++s.health.timeouts;
  co_return fail(Errc::kTimeout, fmt::format("point '{}': no {} from the broker within {} ms", point.key,
                                             pub.qos == mqtt::QoS::k2 ? "PUBCOMP" : "PUBACK",
                                             s.settings.timeout.count()));
}

asio::awaitable<Status> MqttDriver::subscribe(std::span<const PointConfig> points, ReadingSink sink) {
  if (auto st = check_points(points); !st) co_return st;
  state_->sink = std::move(sink);
  state_->add_points(points, true);
  co_return ok();
}

asio::awaitable<void> MqttDriver::stop() {
  auto& s = *state_;
  if (s.online && s.has_transport()) (void)co_await s.write_all(mqtt::encode(mqtt::Disconnect{}, kVersion));
  s.stopping = true;
  s.backoff_timer.cancel();
  s.wake();
  s.release_ack_waits();
  s.close();
  asio::steady_timer timer(s.ex);
  for (int i = 0; i < 1000 && s.running; ++i) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(kAsTuple);
  }
  s.sink = nullptr;
  s.online = false;
  s.health.connected = false;
}

Health MqttDriver::health() const { return state_->health; }

std::uint64_t MqttDriver::messages() const { return state_->messages; }

std::unique_ptr<Driver> make_mqtt_driver(asio::any_io_executor executor) {
  return std::make_unique<MqttDriver>(executor);
}

}  // namespace kaiwu::drivers::mqttc
