#include "cluster/node.hpp"

#include <fmt/format.h>
#include <nats/nats.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cluster/envelope.hpp"
#include "cluster/nats_servers.hpp"
#include "core/crypto.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::cluster {
namespace {

constexpr const char* kMsgSubject = "kaiwu.mqtt.msg";
constexpr const char* kClaimSubject = "kaiwu.mqtt.claim";
constexpr const char* kBucket = "KAIWU_MQTT_RETAINED";

std::span<const std::uint8_t> body(natsMsg* m) {
  return {reinterpret_cast<const std::uint8_t*>(natsMsg_GetData(m)), static_cast<std::size_t>(natsMsg_GetDataLength(m))};
}

std::unexpected<Error> nats_fail(natsStatus s, std::string_view what) {
  const char* detail = nats_GetLastError(nullptr);
  return fail(Errc::kUnavailable, fmt::format("cluster: NATS {}: {}{}{}", what, natsStatus_GetText(s),
                                              detail && *detail ? ": " : "", detail ? detail : ""));
}

Errc errc_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Errc::kInternal); ++i)
    if (errc_name(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  return Errc::kInternal;
}

std::string retained_key(const std::string& tenant, const std::string& topic) {
  return crypto::base64url_encode(tenant + '\0' + topic);
}

}  // namespace

struct ClusterNode::Impl {
  // What libnats callbacks hold: freed by the connection's closed callback, the last one.
  struct Handle {
    std::weak_ptr<Impl> impl;
  };

  Impl(ClusterOptions o, MetricsRegistry& m)
      : options(std::move(o)),
        forwarded(m.counter("kaiwu_cluster_forwarded_total", "MQTT messages handed to the other nodes")),
        received(m.counter("kaiwu_cluster_received_total", "MQTT messages received from other nodes")),
        dropped(m.counter("kaiwu_cluster_dropped_total",
                          "cluster messages lost here (NATS refused, retained queue full, malformed)")),
        rpc_out(m.counter("kaiwu_cluster_rpc_remote_total", "device RPCs sent to the node the device is on")),
        rpc_in(m.counter("kaiwu_cluster_rpc_served_total", "device RPCs served for other nodes")) {}

  ClusterOptions options;
  natsConnection* conn = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  Handle* handle = nullptr;

  std::mutex mu;  // guards everything down to rpc_subs
  bool running = false;
  mqtt::Broker* broker = nullptr;
  Post post;
  device::DeviceGateway* gateway = nullptr;
  natsSubscription* msg_sub = nullptr;
  natsSubscription* claim_sub = nullptr;
  std::map<std::string, natsSubscription*> rpc_subs;  // device id → kaiwu.rpc.<id>

  std::unique_ptr<boost::asio::thread_pool> pool;
  std::atomic<std::size_t> rpc_in_flight{0};

  // Retained writes, in order, on their own thread (kvStore_Put waits for the stream's ack).
  std::mutex kv_mu;
  std::condition_variable kv_cv;
  std::deque<std::pair<std::string, std::optional<std::string>>> kv_queue;  // key → value (none: delete)
  bool kv_stop = false;
  std::thread kv_thread;

  Counter& forwarded;
  Counter& received;
  Counter& dropped;
  Counter& rpc_out;
  Counter& rpc_in;

  void count_drop(std::string_view why) {
    dropped.inc();
    auto n = dropped.value();
    if ((n & (n - 1)) == 0) spdlog::warn("cluster: {} ({} cluster messages lost so far)", why, n);
  }

  void on_forward(natsMsg* msg);
  void on_claim(natsMsg* msg);
  void on_rpc(natsMsg* msg);
  void serve_rpc(std::string reply_to, std::string request);
  void respond(const std::string& reply_to, const boost::json::object& answer);
  void kv_loop();
  Status open_bucket();
  Result<std::vector<std::pair<std::string, mqtt::Publish>>> load_retained();
  void stop();
};

namespace {

template <void (ClusterNode::Impl::*Method)(natsMsg*)>
void deliver(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  if (auto impl = static_cast<ClusterNode::Impl::Handle*>(closure)->impl.lock()) ((*impl).*Method)(msg);
  natsMsg_Destroy(msg);
}

void on_closed(natsConnection*, void* closure) { delete static_cast<ClusterNode::Impl::Handle*>(closure); }

void on_async_error(natsConnection*, natsSubscription*, natsStatus err, void*) {
  spdlog::warn("cluster: NATS: {}", natsStatus_GetText(err));  // e.g. a slow consumer lost messages
}

}  // namespace

void ClusterNode::Impl::on_forward(natsMsg* msg) {
  auto f = decode_forwarded(body(msg));
  if (!f) return count_drop(f.error().message);  // (NoEcho: never this node's own)
  std::lock_guard lock(mu);
  if (!running) return;
  received.inc();
  post([b = broker, f = std::move(*f)]() mutable {
    b->publish_from_peer(f.tenant, std::move(f.message), f.expires_ms, std::move(f.origin));
  });
}

void ClusterNode::Impl::on_claim(natsMsg* msg) {
  auto c = decode_claim(body(msg));
  if (!c) return count_drop(c.error().message);
  std::lock_guard lock(mu);
  if (!running) return;
  post([b = broker, c = std::move(*c)] { b->release_session(c.tenant, c.client_id, c.since_ms); });
}

void ClusterNode::Impl::on_rpc(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  if (!reply || !*reply) return;
  std::string request(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  std::lock_guard lock(mu);
  if (!running) return;
  if (rpc_in_flight.fetch_add(1) >= options.max_rpc_in_flight) {
    rpc_in_flight.fetch_sub(1);
    respond(reply, {{"ok", false}, {"code", errc_name(Errc::kResourceExhausted)},
                    {"message", "too many device RPCs in progress on this node"}});
    return;
  }
  boost::asio::post(*pool, [this, to = std::string(reply), request = std::move(request)]() mutable {
    serve_rpc(std::move(to), std::move(request));
    rpc_in_flight.fetch_sub(1);
  });
}

// A peer's RPC to a device connected here: the same call as a local one.
void ClusterNode::Impl::serve_rpc(std::string reply_to, std::string request) {
  rpc_in.inc();
  auto parsed = parse_json(request);
  if (!parsed || !parsed->is_object()) {
    respond(reply_to, {{"ok", false}, {"code", errc_name(Errc::kInvalidArgument)}, {"message", "bad RPC envelope"}});
    return;
  }
  const auto& o = parsed->as_object();
  auto text = [&](const char* k) {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  model::Device d;
  d.id = text("device");
  d.tenant_id = text("tenant");
  d.gateway_id = text("gateway");
  d.name = text("name");
  auto* t = o.if_contains("timeoutMs");
  std::int64_t timeout = t && t->is_int64() ? t->as_int64() : 0;
  auto result = gateway->call_rpc_local(d, text("method"), text("params"), std::chrono::milliseconds(timeout));
  if (result) respond(reply_to, {{"ok", true}, {"reply", *result}});
  else respond(reply_to, {{"ok", false}, {"code", errc_name(result.error().code)}, {"message", result.error().message}});
}

void ClusterNode::Impl::respond(const std::string& reply_to, const boost::json::object& answer) {
  auto text = boost::json::serialize(answer);
  if (natsConnection_Publish(conn, reply_to.c_str(), text.data(), static_cast<int>(text.size())) != NATS_OK)
    count_drop("an RPC reply could not be sent");
}

void ClusterNode::Impl::kv_loop() {
  std::unique_lock lock(kv_mu);
  while (true) {
    kv_cv.wait(lock, [&] { return kv_stop || !kv_queue.empty(); });
    if (kv_queue.empty()) return;  // stopping and drained
    auto [key, value] = std::move(kv_queue.front());
    kv_queue.pop_front();
    lock.unlock();
    std::uint64_t rev = 0;
    natsStatus s = value ? kvStore_Put(&rev, kv, key.c_str(), value->data(), static_cast<int>(value->size()))
                         : kvStore_Delete(kv, key.c_str());
    if (s != NATS_OK) count_drop(fmt::format("retained message not stored in {}: {}", kBucket, natsStatus_GetText(s)));
    lock.lock();
  }
}

Status ClusterNode::Impl::open_bucket() {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = kBucket;
  cfg.History = 1;
  cfg.Replicas = options.replicas;
  cfg.StorageType = js_FileStorage;
  // A fresh JetStream cluster elects its meta leader for a few seconds: retry until then.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    natsStatus s = js_KeyValue(&kv, js, kBucket);
    if (s != NATS_OK) s = js_CreateKeyValue(&kv, js, &cfg);
    if (s == NATS_OK) return ok();
    if (std::chrono::steady_clock::now() > deadline) return nats_fail(s, fmt::format("key-value bucket {}", kBucket));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Result<std::vector<std::pair<std::string, mqtt::Publish>>> ClusterNode::Impl::load_retained() {
  std::vector<std::pair<std::string, mqtt::Publish>> out;
  kvStatus* status = nullptr;
  natsStatus s = kvStore_Status(&status, kv);
  if (s != NATS_OK) return nats_fail(s, "retained bucket status");
  bool empty = kvStatus_Values(status) == 0;
  kvStatus_Destroy(status);
  if (empty) return out;  // (a watcher on an empty bucket would only time out)
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.IgnoreDeletes = true;
  kvWatcher* w = nullptr;
  s = kvStore_WatchAll(&w, kv, &wo);
  if (s != NATS_OK) return nats_fail(s, "watching retained messages");
  while (true) {
    kvEntry* e = nullptr;
    s = kvWatcher_Next(&e, w, 10'000);
    if (s != NATS_OK || e == nullptr) break;  // null entry: the initial values are all here
    auto r = decode_retained({reinterpret_cast<const std::uint8_t*>(kvEntry_Value(e)),
                              static_cast<std::size_t>(kvEntry_ValueLen(e))});
    kvEntry_Destroy(e);
    if (!r) {
      count_drop(r.error().message);
      continue;
    }
    out.emplace_back(std::move(r->tenant), std::move(r->message));
  }
  kvWatcher_Destroy(w);
  if (s != NATS_OK) return nats_fail(s, "reading retained messages");
  return out;
}

void ClusterNode::Impl::stop() {
  std::vector<natsSubscription*> subs;
  {
    std::lock_guard lock(mu);
    if (!running) return;
    running = false;
    subs = {msg_sub, claim_sub};
    for (auto& [id, sub] : rpc_subs) subs.push_back(sub);
    rpc_subs.clear();
  }
  for (auto* sub : subs) {
    if (!sub) continue;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  pool->join();  // RPCs in progress end within their timeout
  {
    std::lock_guard lock(kv_mu);
    kv_stop = true;
  }
  kv_cv.notify_all();
  if (kv_thread.joinable()) kv_thread.join();
  natsConnection_FlushTimeout(conn, 1'000);  // the last forwards and replies leave
}

ClusterNode::ClusterNode(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClusterNode::~ClusterNode() {
  impl_->stop();
  kvStore_Destroy(impl_->kv);
  jsCtx_Destroy(impl_->js);
  if (impl_->conn) natsConnection_Destroy(impl_->conn);
  else delete impl_->handle;
}

const std::string& ClusterNode::node_name() const { return impl_->options.node_name; }

Result<std::unique_ptr<ClusterNode>> ClusterNode::connect(ClusterOptions options, MetricsRegistry& metrics) {
  if (options.node_name.empty()) {
    char host[128] = {};
    gethostname(host, sizeof host - 1);
    options.node_name = fmt::format("{}-{}", host, getpid());
  }
  const auto servers = split_nats_servers(options.servers);
  if (servers.empty()) return fail(Errc::kInvalidArgument, "bus.nats_url: no NATS server given");
  auto impl = std::make_shared<Impl>(std::move(options), metrics);
  impl->handle = new Impl::Handle{impl};
  std::vector<const char*> urls;
  for (const auto& s : servers) urls.push_back(s.c_str());
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(o, (impl->options.node_name + "-cluster").c_str());
  if (s == NATS_OK) s = natsOptions_SetNoEcho(o, true);  // a node never gets its own messages back
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(o, true);  // no thread per device subscription
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 100);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(o, 16 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2'000);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(o, on_async_error, nullptr);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(o, on_closed, impl->handle);
  if (s == NATS_OK) s = natsConnection_Connect(&impl->conn, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) {
    impl->conn = nullptr;
    auto error = nats_fail(s, "connect to " + impl->options.servers);
    ClusterNode dead(std::move(impl));  // frees the handle
    return error;
  }
  auto node = std::unique_ptr<ClusterNode>(new ClusterNode(impl));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5'000;
  s = natsConnection_JetStream(&impl->js, impl->conn, &jo);
  if (s != NATS_OK) return nats_fail(s, "JetStream context");
  KAIWU_TRY_STATUS(impl->open_bucket());
  impl->pool = std::make_unique<boost::asio::thread_pool>(std::max(1u, impl->options.rpc_threads));
  return node;
}

Status ClusterNode::start(mqtt::Broker& broker, Post post, device::DeviceGateway& gateway) {
  auto& impl = *impl_;
  auto retained = KAIWU_TRY(impl.load_retained());
  std::size_t n = retained.size();
  broker.replace_retained(std::move(retained));
  {
    std::lock_guard lock(impl.mu);
    impl.broker = &broker;
    impl.post = std::move(post);
    impl.gateway = &gateway;
    impl.running = true;
  }
  impl.kv_thread = std::thread([&impl] { impl.kv_loop(); });
  natsStatus s = natsConnection_Subscribe(&impl.msg_sub, impl.conn, kMsgSubject, deliver<&Impl::on_forward>, impl.handle);
  if (s == NATS_OK)
    s = natsConnection_Subscribe(&impl.claim_sub, impl.conn, kClaimSubject, deliver<&Impl::on_claim>, impl.handle);
  // Generous limits: a burst of forwarded messages waits here rather than being dropped.
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(impl.msg_sub, 1'000'000, 256 << 20);
  if (s == NATS_OK) s = natsConnection_Flush(impl.conn);
  if (s != NATS_OK) return nats_fail(s, "subscribe");
  spdlog::info("cluster: node {} joined over NATS at {} ({} retained messages loaded)", impl.options.node_name,
               impl.options.servers, n);
  return ok();
}

void ClusterNode::stop() { impl_->stop(); }

void ClusterNode::forward(const std::string& tenant, const mqtt::Publish& message, std::int64_t expires_ms,
                          const std::string& origin) {
  auto& impl = *impl_;
  auto bytes = encode(Forwarded{impl.options.node_name, tenant, origin, expires_ms, message});
  natsStatus s = natsConnection_Publish(impl.conn, kMsgSubject, bytes.data(), static_cast<int>(bytes.size()));
  if (s == NATS_OK) impl.forwarded.inc();
  else impl.count_drop(fmt::format("a message to {} not forwarded: {}", message.topic, natsStatus_GetText(s)));
  if (!message.retain) return;
  std::optional<std::string> value;
  if (!message.payload.empty()) value = encode(RetainedEntry{tenant, expires_ms, message});
  std::lock_guard lock(impl.kv_mu);
  if (impl.kv_queue.size() >= impl.options.kv_queue) return impl.count_drop("retained queue full");
  impl.kv_queue.emplace_back(retained_key(tenant, message.topic), std::move(value));
  impl.kv_cv.notify_one();
}

void ClusterNode::claimed(const std::string& tenant, const std::string& client_id, std::int64_t since_ms) {
  auto bytes = encode(Claim{impl_->options.node_name, tenant, client_id, since_ms});
  if (natsConnection_Publish(impl_->conn, kClaimSubject, bytes.data(), static_cast<int>(bytes.size())) != NATS_OK)
    impl_->count_drop("a session claim was not sent");
}

void ClusterNode::reachable(const std::string& device_id, bool yes) {
  auto& impl = *impl_;
  std::lock_guard lock(impl.mu);
  if (!impl.running) return;
  auto it = impl.rpc_subs.find(device_id);
  if (yes && it == impl.rpc_subs.end()) {
    natsSubscription* sub = nullptr;
    auto subject = "kaiwu.rpc." + device_id;
    if (natsConnection_Subscribe(&sub, impl.conn, subject.c_str(), deliver<&Impl::on_rpc>, impl.handle) == NATS_OK)
      impl.rpc_subs.emplace(device_id, sub);
    else impl.count_drop("cannot subscribe " + subject);
  } else if (!yes && it != impl.rpc_subs.end()) {
    natsSubscription_Unsubscribe(it->second);
    natsSubscription_Destroy(it->second);
    impl.rpc_subs.erase(it);
  }
}

Result<std::string> ClusterNode::call_rpc(const model::Device& device, const std::string& method,
                                          const std::string& params_json, std::chrono::milliseconds timeout) {
  auto& impl = *impl_;
  impl.rpc_out.inc();
  // A device behind a gateway is reached through the node its gateway is connected to.
  auto subject = "kaiwu.rpc." + (device.gateway_id.empty() ? device.id : device.gateway_id);
  auto request = boost::json::serialize(boost::json::object{
      {"tenant", device.tenant_id}, {"device", device.id}, {"gateway", device.gateway_id}, {"name", device.name},
      {"method", method}, {"params", params_json}, {"timeoutMs", timeout.count()}});
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, impl.conn, subject.c_str(), request.data(), static_cast<int>(request.size()),
                                        (timeout + impl.options.rpc_margin).count());
  // The same errors as a single node: not connected anywhere, or no answer in time.
  if (s == NATS_NO_RESPONDERS) return fail(Errc::kUnavailable, "device is not connected");
  if (s == NATS_TIMEOUT)
    return fail(Errc::kTimeout, "device did not answer within " + std::to_string(timeout.count()) + " ms");
  if (s != NATS_OK) return nats_fail(s, "device RPC");
  auto parsed = parse_json(std::string_view(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply))));
  natsMsg_Destroy(reply);
  if (!parsed || !parsed->is_object()) return fail(Errc::kInternal, "cluster: malformed RPC reply");
  const auto& o = parsed->as_object();
  auto text = [&](const char* k) {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  auto* okv = o.if_contains("ok");
  if (okv && okv->is_bool() && okv->as_bool()) return text("reply");
  return fail(errc_from_name(text("code")), text("message"));
}

}  // namespace kaiwu::cluster
