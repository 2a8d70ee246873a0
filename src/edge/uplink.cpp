#include "edge/uplink.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <map>
#include <mutex>

#include "core/ids.hpp"
#include "mqtt/codec.hpp"

namespace kaiwu::edge {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxEvents = 1000;
constexpr std::size_t kReadBatchBytes = 256 * 1024;
constexpr auto kMinBackoff = std::chrono::milliseconds(500);
constexpr auto kMaxBackoff = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(10);
}  // namespace

struct Uplink::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor e, UplinkConfig c, ForwardQueue& q, Hooks h)
      : ex(e), config(std::move(c)), queue(q), hooks(std::move(h)), wake_timer(e), backoff_timer(e) {}

  asio::any_io_executor ex;
  UplinkConfig config;
  ForwardQueue& queue;
  Hooks hooks;
  asio::steady_timer wake_timer;
  asio::steady_timer backoff_timer;
  std::unique_ptr<asio::ssl::context> ssl_ctx;

  // Everything below is touched only on `ex`.
  std::unique_ptr<tcp::socket> socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  bool stopping = false;
  bool wake_pending = false;
  bool online = false;
  std::deque<std::pair<std::string, std::string>> events;
  std::string out;  // encoded packets waiting for the writer
  struct Inflight {
    std::uint16_t packet_id = 0;
    bool acked = false;
  };
  std::map<std::uint64_t, Inflight> inflight;        // queue seq → state
  std::map<std::uint16_t, std::uint64_t> by_packet;  // packet id → queue seq (records only)
  std::map<std::uint16_t, bool> event_ids;           // packet ids of events in flight
  std::uint64_t next_send = 0;
  std::uint16_t last_packet_id = 0;
  std::chrono::steady_clock::time_point last_sent, last_received;
  std::string session_error;

  mutable std::mutex stats_mu;
  UplinkStats stats;  // guarded by stats_mu

  template <typename F>
  void update(F&& f) {
    std::lock_guard lock(stats_mu);
    f(stats);
  }

  void wake() {
    wake_pending = true;
    wake_timer.cancel();
  }

  std::uint16_t next_packet_id() {
    do {
      if (++last_packet_id == 0) last_packet_id = 1;
    } while (by_packet.contains(last_packet_id) || event_ids.contains(last_packet_id));
    return last_packet_id;
  }

  void close() {
    boost::system::error_code ec;
    if (tls) tls->lowest_layer().close(ec);
    if (socket) socket->close(ec);
  }

  asio::awaitable<Result<std::size_t>> read_some(char* buf, std::size_t n) {
    auto [ec, got] = tls ? co_await tls->async_read_some(asio::buffer(buf, n), kAsTuple)
                         : co_await socket->async_read_some(asio::buffer(buf, n), kAsTuple);
    if (ec) co_return fail(Errc::kUnavailable, "reading: " + ec.message());
    co_return got;
  }

  asio::awaitable<Status> write_all(const std::string& bytes) {
    auto [ec, n] = tls ? co_await asio::async_write(*tls, asio::buffer(bytes), kAsTuple)
                       : co_await asio::async_write(*socket, asio::buffer(bytes), kAsTuple);
    if (ec) co_return fail(Errc::kUnavailable, "writing: " + ec.message());
    last_sent = std::chrono::steady_clock::now();
    co_return ok();
  }

  void queue_packet(const mqtt::Packet& p) { out += mqtt::encode(p, mqtt::Version::k5); }

  asio::awaitable<Status> connect_transport();
  asio::awaitable<Result<mqtt::Packet>> read_packet(std::string& buffer);
  asio::awaitable<Status> handshake(std::string& buffer);
  asio::awaitable<Status> reader(std::string buffer);
  asio::awaitable<Status> writer();
  Status on_packet(mqtt::Packet&& p);
  void fill_window();
  void ack_prefix();
};

asio::awaitable<Status> Uplink::State::connect_transport() {
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, kConnectTimeout);
  auto resolved = co_await (resolver.async_resolve(config.host, std::to_string(config.port), kAsTuple) ||
                            timer.async_wait(kAsTuple));
  if (resolved.index() == 1) co_return fail(Errc::kTimeout, "resolving " + config.host);
  auto [rec, endpoints] = std::get<0>(resolved);
  if (rec) co_return fail(Errc::kUnavailable, "resolving " + config.host + ": " + rec.message());
  tls.reset();
  socket.reset();
  tcp::socket* raw = nullptr;
  if (config.tls) {
    tls = std::make_unique<asio::ssl::stream<tcp::socket>>(ex, *ssl_ctx);
    raw = &tls->next_layer();
    if (!config.insecure) {
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_verify_callback(asio::ssl::host_name_verification(config.host));
    }
    SSL_set_tlsext_host_name(tls->native_handle(), config.host.c_str());
  } else {
    socket = std::make_unique<tcp::socket>(ex);
    raw = socket.get();
  }
  auto connected = co_await (asio::async_connect(*raw, endpoints, kAsTuple) || timer.async_wait(kAsTuple));
  if (connected.index() == 1) co_return fail(Errc::kTimeout, "connecting to " + config.url);
  if (auto [ec, ep] = std::get<0>(connected); ec)
    co_return fail(Errc::kUnavailable, "connecting to " + config.url + ": " + ec.message());
  boost::system::error_code ec;
  raw->set_option(tcp::no_delay(true), ec);
  if (tls) {
    auto hs = co_await (tls->async_handshake(asio::ssl::stream_base::client, kAsTuple) || timer.async_wait(kAsTuple));
    if (hs.index() == 1) co_return fail(Errc::kTimeout, "TLS handshake with " + config.url);
    if (auto [hec] = std::get<0>(hs); hec)
      co_return fail(Errc::kUnavailable, "TLS handshake with " + config.url + ": " + hec.message());
  }
  co_return ok();
}

asio::awaitable<Result<mqtt::Packet>> Uplink::State::read_packet(std::string& buffer) {
  while (true) {
    auto header = mqtt::peek_frame(mqtt::bytes_of(buffer));
    if (!header) co_return std::unexpected(header.error().to_error());
    if (*header && buffer.size() >= (*header)->frame_size()) {
      auto size = (*header)->frame_size();
      auto packet = mqtt::decode(mqtt::bytes_of(std::string_view(buffer).substr(0, size)), mqtt::Version::k5);
      buffer.erase(0, size);
      if (!packet) co_return std::unexpected(packet.error().to_error());
      last_received = std::chrono::steady_clock::now();
      co_return std::move(*packet);
    }
    char chunk[16384];
    auto n = co_await read_some(chunk, sizeof chunk);
    if (!n) co_return std::unexpected(n.error());
    buffer.append(chunk, *n);
  }
}

asio::awaitable<Status> Uplink::State::handshake(std::string& buffer) {
  mqtt::Connect c;
  c.version = mqtt::Version::k5;
  c.clean_start = true;
  c.keep_alive = static_cast<std::uint16_t>(config.keepalive_s);
  c.client_id = config.client_id;
  c.username = config.token;  // ThingsBoard convention: the access token, no password
  if (auto st = co_await write_all(mqtt::encode(c, mqtt::Version::k5)); !st) co_return st;
  asio::steady_timer timer(ex, kConnectTimeout);
  auto r = co_await (read_packet(buffer) || timer.async_wait(kAsTuple));
  if (r.index() == 1) co_return fail(Errc::kTimeout, "no CONNACK from " + config.url);
  auto packet = std::move(std::get<0>(r));
  if (!packet) co_return std::unexpected(packet.error());
  auto* ack = std::get_if<mqtt::Connack>(&*packet);
  if (!ack) co_return fail(Errc::kUnavailable, "expected CONNACK");
  if (ack->reason != mqtt::ReasonCode::kSuccess)
    co_return fail(Errc::kUnauthenticated,
                   fmt::format("platform refused the connection: {}", mqtt::reason_code_name(ack->reason)));
  mqtt::Subscribe sub;
  if (!config.rpc_topic.empty()) sub.subscriptions.push_back({config.rpc_topic, mqtt::QoS::k1});
  for (const auto& t : config.subscriptions) sub.subscriptions.push_back({t, mqtt::QoS::k1});
  if (!sub.subscriptions.empty()) {
    sub.packet_id = next_packet_id();
    event_ids[sub.packet_id] = true;
    queue_packet(sub);
  }
  if (hooks.on_session)
    for (auto& [topic, payload] : hooks.on_session()) events.emplace_front(std::move(topic), std::move(payload));
  co_return ok();
}

void Uplink::State::fill_window() {
  if (inflight.size() < config.max_inflight && next_send < queue.next_seq()) {
    auto records = queue.read(next_send, config.max_inflight - inflight.size(), kReadBatchBytes);
    if (!records) {
      spdlog::error("edge uplink: {}", records.error().message);
    } else {
      for (auto& r : *records) {
        mqtt::Publish p;
        p.qos = mqtt::QoS::k1;
        p.topic = config.record_topic;
        p.packet_id = next_packet_id();
        p.payload = std::move(r.payload);
        inflight[r.seq] = {p.packet_id, false};
        by_packet[p.packet_id] = r.seq;
        next_send = r.seq + 1;
        queue_packet(p);
      }
      if (!records->empty()) update([&](UplinkStats& s) { s.published += records->size(); });
    }
  }
  while (!events.empty() && event_ids.size() < 64) {
    mqtt::Publish p;
    p.qos = mqtt::QoS::k1;
    p.topic = std::move(events.front().first);
    p.payload = std::move(events.front().second);
    events.pop_front();
    p.packet_id = next_packet_id();
    event_ids[p.packet_id] = true;
    queue_packet(p);
  }
}

void Uplink::State::ack_prefix() {
  std::uint64_t through = 0;
  bool any = false;
  while (!inflight.empty() && inflight.begin()->second.acked) {
    through = inflight.begin()->first;
    any = true;
    inflight.erase(inflight.begin());
  }
  if (!any) return;
  if (auto st = queue.ack_before(through + 1); !st) spdlog::error("edge uplink: {}", st.error().message);
}

Status Uplink::State::on_packet(mqtt::Packet&& packet) {
  if (auto* ack = std::get_if<mqtt::Puback>(&packet)) {
    if (event_ids.erase(ack->packet_id)) return ok();
    auto it = by_packet.find(ack->packet_id);
    if (it == by_packet.end()) return ok();  // from an older session
    std::uint64_t seq = it->second;
    by_packet.erase(it);
    auto code = static_cast<std::uint8_t>(ack->reason);
    if (code >= 0x80) {
      if (ack->reason != mqtt::ReasonCode::kPayloadFormatInvalid && ack->reason != mqtt::ReasonCode::kPacketTooLarge)
        return fail(Errc::kUnavailable,
                    fmt::format("platform could not store record {}: {}", seq, mqtt::reason_code_name(ack->reason)));
      spdlog::warn("edge uplink: platform rejected record {} ({}); dropped", seq, mqtt::reason_code_name(ack->reason));
      update([](UplinkStats& s) { ++s.rejected; });
    } else {
      update([](UplinkStats& s) { ++s.acked; });
    }
    inflight[seq].acked = true;
    ack_prefix();
    wake();
    return ok();
  }
  if (auto* p = std::get_if<mqtt::Publish>(&packet)) {
    if (p->qos == mqtt::QoS::k1) {
      queue_packet(mqtt::Puback{p->packet_id, mqtt::ReasonCode::kSuccess, {}});
      wake();
    }
    if (p->topic == config.rpc_topic && hooks.on_rpc) {
      update([](UplinkStats& s) { ++s.rpc_requests; });
      hooks.on_rpc(std::move(p->payload));
    } else if (hooks.on_message) {
      hooks.on_message(std::move(p->topic), std::move(p->payload));
    }
    return ok();
  }
  if (auto* s = std::get_if<mqtt::Suback>(&packet)) {
    event_ids.erase(s->packet_id);
    for (auto r : s->reasons)
      if (static_cast<std::uint8_t>(r) >= 0x80)
        spdlog::warn("edge uplink: platform refused a subscription: {}", mqtt::reason_code_name(r));
    return ok();
  }
  if (auto* d = std::get_if<mqtt::Disconnect>(&packet))
    return fail(Errc::kUnavailable, fmt::format("platform disconnected: {}", mqtt::reason_code_name(d->reason)));
  return ok();  // PINGRESP and anything harmless
}

asio::awaitable<Status> Uplink::State::reader(std::string buffer) {
  while (true) {
    auto packet = co_await read_packet(buffer);
    if (!packet) co_return std::unexpected(packet.error());
    if (auto st = on_packet(std::move(*packet)); !st) co_return st;
  }
}

asio::awaitable<Status> Uplink::State::writer() {
  const auto keepalive = std::chrono::seconds(config.keepalive_s);
  while (!stopping) {
    fill_window();
    auto now = std::chrono::steady_clock::now();
    if (now - last_received > keepalive * 3 / 2) co_return fail(Errc::kTimeout, "platform stopped answering");
    if (out.empty() && now - last_sent >= keepalive / 2) queue_packet(mqtt::Pingreq{});
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
    wake_timer.expires_after(keepalive / 4);
    co_await wake_timer.async_wait(kAsTuple);
    wake_pending = false;
  }
  co_return ok();
}

namespace {

asio::awaitable<void> run_loop(std::shared_ptr<Uplink::State> s) {
  auto backoff = std::chrono::milliseconds(kMinBackoff);
  while (!s->stopping) {
    s->inflight.clear();
    s->by_packet.clear();
    s->event_ids.clear();
    s->out.clear();
    s->next_send = s->queue.first_unacked();
    std::string buffer;
    s->last_received = s->last_sent = std::chrono::steady_clock::now();
    Status st = co_await s->connect_transport();
    if (st) st = co_await s->handshake(buffer);
    if (st) {
      backoff = kMinBackoff;
      s->online = true;
      s->update([](UplinkStats& x) {
        x.connected = true;
        ++x.sessions;
      });
      spdlog::info("edge uplink: connected to {}", s->config.url);
      auto r = co_await (s->reader(std::move(buffer)) || s->writer());
      st = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
      s->online = false;
      s->update([](UplinkStats& x) { x.connected = false; });
      if (!st) spdlog::warn("edge uplink: session ended: {}", st.error().message);
    } else {
      s->update([](UplinkStats& x) { ++x.connect_failures; });
    }
    if (!st) s->update([&](UplinkStats& x) { x.last_error = st.error().message; });
    if (s->stopping) break;
    if (!st) spdlog::debug("edge uplink: {} (retry in {} ms)", st.error().message, backoff.count());
    s->close();
    // Events wait only for the session they were meant for.
    s->update([&](UplinkStats& x) { x.events_dropped += s->events.size(); });
    s->events.clear();
    s->backoff_timer.expires_after(backoff);
    co_await s->backoff_timer.async_wait(kAsTuple);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
  if (s->online && (s->socket || s->tls)) {
    (void)co_await s->write_all(mqtt::encode(mqtt::Disconnect{}, mqtt::Version::k5));
  }
  s->close();
}

}  // namespace

Uplink::Uplink(asio::any_io_executor executor, UplinkConfig config, ForwardQueue& queue, Hooks hooks)
    : state_(std::make_shared<State>(executor, std::move(config), queue, std::move(hooks))) {
  if (state_->config.tls) {
    state_->ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    if (!state_->config.ca_file.empty())
      state_->ssl_ctx->load_verify_file(state_->config.ca_file, ec);
    else
      state_->ssl_ctx->set_default_verify_paths(ec);
    if (ec) spdlog::warn("edge uplink: trust anchors: {}", ec.message());
  }
}

Uplink::~Uplink() { stop(); }

void Uplink::start() {
  asio::co_spawn(state_->ex, run_loop(state_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("edge uplink stopped: {}", x.what());
    }
  });
}

void Uplink::stop() {
  asio::post(state_->ex, [s = state_] {
    if (s->stopping) return;
    s->stopping = true;
    s->backoff_timer.cancel();
    s->wake();
    s->close();
  });
}

void Uplink::wake() {
  asio::post(state_->ex, [s = state_] { s->wake(); });
}

void Uplink::send_event(std::string topic, std::string payload) {
  asio::post(state_->ex, [s = state_, topic = std::move(topic), payload = std::move(payload)]() mutable {
    if (!s->online || s->events.size() >= kMaxEvents) {
      s->update([](UplinkStats& x) { ++x.events_dropped; });
      return;
    }
    s->events.emplace_back(std::move(topic), std::move(payload));
    s->wake();
  });
}

UplinkStats Uplink::stats() const {
  std::lock_guard lock(state_->stats_mu);
  return state_->stats;
}

}  // namespace kaiwu::edge
