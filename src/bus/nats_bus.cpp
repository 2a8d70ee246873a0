#include "bus/nats_bus.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "bus/codec.hpp"
#include "bus/nats_impl.hpp"

namespace kaiwu::bus {

namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr const char* kMsgIdHeader = "Nats-Msg-Id";  // JetStream de-duplication header

bool every_power_of_ten(std::uint64_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

void on_disconnected(natsConnection*, void* closure) {
  auto* ev = static_cast<ConnEvents*>(closure);
  std::lock_guard lock(ev->mu);
  if (!ev->alive) return;
  ev->connected->set(0);
  spdlog::warn("bus: disconnected from NATS; reconnecting");
}

void on_reconnected(natsConnection* nc, void* closure) {
  auto* ev = static_cast<ConnEvents*>(closure);
  std::lock_guard lock(ev->mu);
  if (!ev->alive) return;
  ev->connected->set(1);
  ev->reconnects->inc();
  char url[256] = {};
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  spdlog::info("bus: reconnected to NATS at {}", url);
}

void on_closed(natsConnection*, void* closure) { delete static_cast<ConnEvents*>(closure); }

void on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* impl = static_cast<NatsBus::Impl*>(closure);
  std::lock_guard lock(impl->ack_mu);
  if (impl->closing) {
    natsMsg_Destroy(msg);
    return;
  }
  impl->inflight.fetch_sub(1, std::memory_order_relaxed);
  impl->publish_pending.add(-1);
  bool acked = pa != nullptr && pae == nullptr;
  if (!acked) {
    impl->publish_failed.inc();
    auto n = impl->publish_failed.value();
    if (every_power_of_ten(n))
      spdlog::warn("bus: publish to {} not acknowledged ({}); {} so far", natsMsg_GetSubject(msg),
                   pae && pae->ErrText ? pae->ErrText : natsStatus_GetText(pae ? pae->Err : NATS_ERR), n);
  }
  if (impl->options.on_publish_result) {
    const char* id = nullptr;
    natsMsgHeader_Get(msg, kMsgIdHeader, &id);
    impl->options.on_publish_result(id ? id : "", acked);
  }
  natsMsg_Destroy(msg);
}

std::vector<std::string> split_servers(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    auto s = list.substr(start, comma - start);
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (!s.empty()) out.push_back(s);
    start = comma + 1;
  }
  return out;
}

Status ensure_stream(NatsBus::Impl& impl, const StreamSpec& spec) {
  std::vector<std::string> subjects;
  for (auto k : spec.kinds) subjects.push_back(fmt::format("kaiwu.*.{}.*.*", kind_name(k)));
  std::vector<const char*> ptrs;
  for (const auto& s : subjects) ptrs.push_back(s.c_str());
  std::int64_t age_ms = spec.kinds.front() == Kind::kTelemetry ? impl.options.telemetry_max_age_ms
                        : spec.kinds.front() == Kind::kAlarm   ? impl.options.alarms_max_age_ms
                                                               : impl.options.events_max_age_ms;
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name.c_str();
  cfg.Subjects = ptrs.data();
  cfg.SubjectsLen = static_cast<int>(ptrs.size());
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.Discard = js_DiscardOld;
  cfg.Replicas = impl.options.replicas;
  cfg.MaxAge = age_ms * kNsPerMs;
  cfg.MaxBytes = impl.options.stream_max_bytes;
  cfg.Duplicates = 120'000 * kNsPerMs;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, impl.js, &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) s = js_UpdateStream(&si, impl.js, &cfg, nullptr, &jerr);
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) return fail(Errc::kUnavailable, nats_error(s, fmt::format("stream {}", spec.name).c_str()));
  return ok();
}

}  // namespace

std::string nats_error(natsStatus s, const char* what) {
  const char* last = nats_GetLastError(nullptr);
  return fmt::format("NATS {}: {}{}{}", what, natsStatus_GetText(s), last && *last ? ": " : "", last ? last : "");
}

std::vector<std::pair<const StreamSpec*, Kind>> stream_plan(const SubscribeOptions& options) {
  std::vector<std::pair<const StreamSpec*, Kind>> plan;
  for (const auto& spec : stream_specs())
    for (auto k : spec.kinds)
      if (options.wants(k)) plan.emplace_back(&spec, k);
  return plan;
}

NatsBus::Impl::Impl(NatsBusOptions o, MetricsRegistry& m)
    : options(std::move(o)),
      metrics(m),
      publish_dropped(m.counter("kaiwu_bus_publish_dropped_total",
                                "bus messages dropped at publish (pending window full or NATS refused)")),
      publish_failed(m.counter("kaiwu_bus_publish_failed_total", "bus publishes the stream did not acknowledge in time")),
      publish_pending(m.gauge("kaiwu_bus_publish_pending", "bus publishes awaiting their stream acknowledgement")),
      reconnects(m.counter("kaiwu_bus_nats_reconnects_total", "reconnections to NATS")),
      connected(m.gauge("kaiwu_bus_nats_connected", "1 while connected to NATS")) {
  for (std::size_t k = 0; k < kKindCount; ++k)
    published[k] = &m.counter("kaiwu_bus_published_total", "messages published on the bus",
                              {{"kind", std::string(kind_name(static_cast<Kind>(k)))}});
}

NatsBus::Impl::~Impl() {
  if (js) {
    // Wait for outstanding publish acks, take back the rest (their acks are then discarded), and
    // wait out a callback in progress: no ack callback reaches this object afterwards.
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = options.publish_timeout_ms;
    js_PublishAsyncComplete(js, &po);
    natsMsgList unacked{};  // (libnats 3.4 crashes here on a context that never published)
    if (inflight.load() > 0 && js_PublishAsyncGetPendingList(&unacked, js) == NATS_OK) natsMsgList_Destroy(&unacked);
    std::lock_guard lock(ack_mu);
    closing = true;
  }
  if (events) {
    std::lock_guard lock(events->mu);
    events->alive = false;
  }
  jsCtx_Destroy(js);
  if (conn)
    natsConnection_Destroy(conn);
  else
    delete events;  // never connected: no closed callback will come
}

NatsBus::NatsBus(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<NatsBus>> NatsBus::connect(NatsBusOptions options, MetricsRegistry& metrics) {
  if (options.node_name.empty()) {
    char host[128] = {};
    gethostname(host, sizeof host - 1);
    options.node_name = fmt::format("{}-{}", host, getpid());
  }
  if (options.partitions == 0) options.partitions = 1;
  if (options.publish_window == 0) options.publish_window = 1;
  auto servers = split_servers(options.servers);
  if (servers.empty()) return fail(Errc::kInvalidArgument, "bus.nats_url: no NATS server given");
  auto impl = std::make_shared<Impl>(std::move(options), metrics);
  // A node restarted within the stream's duplicate window must not reuse its message ids.
  std::random_device rd;
  impl->id_prefix = fmt::format("{}-{:08x}{:08x}-", impl->options.node_name, rd(), rd());

  std::vector<const char*> urls;
  for (const auto& s : servers) urls.push_back(s.c_str());
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(o, !impl->options.randomize_servers);
  if (s == NATS_OK) s = natsOptions_SetName(o, impl->options.node_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 100);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(o, 16 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2'000);
  impl->events = new ConnEvents{.connected = &impl->connected, .reconnects = &impl->reconnects};
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, on_disconnected, impl->events);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, on_reconnected, impl->events);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(o, on_closed, impl->events);
  if (s == NATS_OK) s = natsConnection_Connect(&impl->conn, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) return fail(Errc::kUnavailable, nats_error(s, fmt::format("connect to {}", impl->options.servers).c_str()));
  impl->connected.set(1);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5'000;
  jo.PublishAsync.MaxPending = static_cast<std::int64_t>(impl->options.publish_window) * 2;  // ours is the limit
  jo.PublishAsync.StallWait = 1;
  jo.PublishAsync.AckHandler = on_publish_ack;
  jo.PublishAsync.AckHandlerClosure = impl.get();
  s = natsConnection_JetStream(&impl->js, impl->conn, &jo);
  if (s != NATS_OK) return fail(Errc::kUnavailable, nats_error(s, "JetStream context"));

  // A fresh cluster elects its JetStream meta leader for a few seconds: retry until then.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (const auto& spec : stream_specs()) {
    while (true) {
      auto st = ensure_stream(*impl, spec);
      if (st) break;
      if (std::chrono::steady_clock::now() > deadline) return std::unexpected(st.error());
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  spdlog::info("bus: NATS JetStream at {} (node {}, replicas {}, {} partitions)", impl->options.servers,
               impl->options.node_name, impl->options.replicas, impl->options.partitions);
  return std::unique_ptr<NatsBus>(new NatsBus(std::move(impl)));
}

NatsBus::~NatsBus() {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = impl_->options.publish_timeout_ms;
  js_PublishAsyncComplete(impl_->js, &po);  // the last subscription may keep the connection longer
}

void NatsBus::publish(MessagePtr message) {
  if (!message) return;
  auto& impl = *impl_;
  impl.published[static_cast<std::size_t>(message->kind())]->inc();
  if (impl.inflight.fetch_add(1, std::memory_order_relaxed) >= static_cast<std::int64_t>(impl.options.publish_window)) {
    impl.inflight.fetch_sub(1, std::memory_order_relaxed);
    impl.publish_dropped.inc();
    if (every_power_of_ten(impl.publish_dropped.value()))
      spdlog::error("bus: {} publishes awaiting NATS acks; dropped {} messages so far", impl.options.publish_window,
                    impl.publish_dropped.value());
    return;
  }
  impl.publish_pending.add(1);
  auto body = encode_message(*message);
  auto subject = message_subject(*message, impl.options.partitions);
  auto id = impl.id_prefix + std::to_string(impl.next_id.fetch_add(1, std::memory_order_relaxed) + 1);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  if (s == NATS_OK) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = impl.options.publish_timeout_ms;
    po.MsgId = id.c_str();
    s = js_PublishMsgAsync(impl.js, &msg, &po);
  }
  if (s == NATS_OK) return;
  natsMsg_Destroy(msg);
  impl.inflight.fetch_sub(1, std::memory_order_relaxed);
  impl.publish_pending.add(-1);
  impl.publish_dropped.inc();
  if (every_power_of_ten(impl.publish_dropped.value()))
    spdlog::error("bus: {}; dropped {} messages so far", nats_error(s, "publish"), impl.publish_dropped.value());
  if (impl.options.on_publish_result) impl.options.on_publish_result(id, false);
}

std::unique_ptr<Subscription> NatsBus::subscribe(SubscribeOptions options, Handler handler) {
  if (options.name.empty()) options.name = "anonymous";
  if (options.capacity == 0) options.capacity = 1;
  if (options.group.empty()) return subscribe_fanout(impl_, std::move(options), std::move(handler));
  return subscribe_group(impl_, std::move(options), std::move(handler));
}

}  // namespace kaiwu::bus
