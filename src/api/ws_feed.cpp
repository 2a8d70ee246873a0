#include "api/ws_feed.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "alarm/alarm_json.hpp"
#include "api/api.hpp"
#include "core/json_parse.hpp"
#include "http/auth.hpp"
#include "http/message.hpp"

namespace kaiwu::api {

namespace json = boost::json;

namespace {

// RFC 6455 §7.4.1 and the private range (4000–4999) for the feed's own reasons.
constexpr std::uint16_t kGoingAway = 1001;
constexpr std::uint16_t kPolicyViolation = 1008;
constexpr std::uint16_t kUnauthorized = 4401;

enum class SubKind { kTelemetry, kAlarms, kDeviceState };

struct Sub {
  SubKind kind = SubKind::kTelemetry;
  std::set<std::string, std::less<>> devices;  // empty: every device in scope (not for telemetry)
  std::set<std::string, std::less<>> keys;     // telemetry: empty means all keys
};

json::value sample_value(const bus::Value& v) {
  return std::visit([](const auto& x) { return json::value(x); }, v);
}

std::string error_text(std::string_view id, std::string_view code, std::string_view message) {
  json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty()) o["id"] = id;
  return json::serialize(o);
}

}  // namespace

// One WebSocket. Its state is guarded by mu; commands run on the feed's worker thread, fan-out
// on the bus thread.
struct Conn {
  enum class State { kAwaitingAuth, kReady, kClosed };
  std::shared_ptr<http::WsPeer> peer;
  std::mutex mu;
  State state = State::kAwaitingAuth;     // guarded by mu
  http::Principal principal;              // guarded by mu; set when state becomes kReady
  meta::Scope scope;                      // guarded by mu; set when state becomes kReady
  std::map<std::string, Sub> subs;        // guarded by mu
};

struct WsFeed::Impl : std::enable_shared_from_this<WsFeed::Impl> {
  bus::Bus& bus;
  meta::MetadataStore& store;
  http::Authenticator& auth;
  WsFeedOptions options;
  Gauge& connections;
  Counter& sent;
  Counter& slow;
  boost::asio::thread_pool worker{1};
  std::unique_ptr<bus::Subscription> subscription;

  std::mutex mu;
  std::set<std::shared_ptr<Conn>> conns;  // guarded by mu
  bool stopped = false;                   // guarded by mu

  // Device → enterprise, for scoping device-state events of enterprise/park users (bus thread).
  std::unordered_map<std::string, std::pair<std::string, std::string>> device_scope;  // bus thread only

  Impl(bus::Bus& b, meta::MetadataStore& s, http::Authenticator& a, MetricsRegistry& m, WsFeedOptions o)
      : bus(b),
        store(s),
        auth(a),
        options(o),
        connections(m.gauge("kaiwu_ws_feed_connections", "open live-feed WebSockets")),
        sent(m.counter("kaiwu_ws_feed_messages_total", "messages sent on live-feed WebSockets")),
        slow(m.counter("kaiwu_ws_feed_slow_disconnects_total", "live-feed WebSockets closed for falling behind")) {}

  void start() {
    bus::SubscribeOptions so{.name = "ws-feed", .capacity = options.bus_capacity};
    so.only({bus::Kind::kTelemetry, bus::Kind::kLifecycle, bus::Kind::kAlarm});
    subscription = bus.subscribe(std::move(so), [self = weak_from_this()](const bus::MessagePtr& m) {
      if (auto s = self.lock()) s->fan_out(*m);
    });
  }

  // --- connection lifecycle (io thread → worker) --------------------------------------------

  std::shared_ptr<http::WsHandler> open(std::shared_ptr<http::WsPeer> peer, const http::Request& req);

  void closed(const std::shared_ptr<Conn>& c) {
    {
      std::lock_guard lock(c->mu);
      c->state = Conn::State::kClosed;
      c->subs.clear();
    }
    std::lock_guard lock(mu);
    if (conns.erase(c)) connections.add(-1);
  }

  void send(Conn& c, std::string text) {
    if (c.peer->pending() >= options.max_pending) {
      bool first = false;
      {
        std::lock_guard lock(c.mu);
        first = c.state != Conn::State::kClosed;
        c.state = Conn::State::kClosed;
        c.subs.clear();
      }
      if (first) {
        slow.inc();
        spdlog::info("ws feed {}: {} messages not yet written; closing a slow subscriber", c.peer->remote(),
                     c.peer->pending());
        c.peer->close_now(kPolicyViolation, "too slow: outbound queue full");
      }
      return;
    }
    sent.inc();
    c.peer->send_text(std::move(text));
  }

  void authenticate(const std::shared_ptr<Conn>& c, const std::string& token) {
    http::Request req;
    req.headers.emplace_back("Authorization", "Bearer " + token);
    auto p = auth.authenticate(req);
    if (!p) {
      {
        std::lock_guard lock(c->mu);
        c->state = Conn::State::kClosed;
      }
      c->peer->send_text(error_text("", "unauthenticated", p.error().message));
      c->peer->close_now(kUnauthorized, "unauthorized");
      return;
    }
    {
      std::lock_guard lock(c->mu);
      if (c->state == Conn::State::kClosed) return;
      c->principal = *p;
      c->scope = http::scope_of(*p);
      c->state = Conn::State::kReady;
    }
    send(*c, json::serialize(json::object{{"type", "welcome"},
                                          {"user", p->username},
                                          {"tenantId", p->tenant_id},
                                          {"maxPending", options.max_pending}}));
  }

  // --- commands (worker thread) -------------------------------------------------------------

  void command(const std::shared_ptr<Conn>& c, const std::string& text) {
    Conn::State state;
    {
      std::lock_guard lock(c->mu);
      state = c->state;
    }
    if (state == Conn::State::kClosed) return;
    auto parsed = parse_json(text);
    if (!parsed || !parsed->is_object()) {
      send(*c, error_text("", "invalid_argument", "expected a JSON object"));
      return;
    }
    const auto& o = parsed->as_object();
    auto type = o.if_contains("type");
    std::string_view t = type && type->is_string() ? std::string_view(type->as_string()) : "";
    std::string id;
    if (auto v = o.if_contains("id"); v && v->is_string()) id = std::string(v->as_string());
    if (state == Conn::State::kAwaitingAuth) {
      auto token = o.if_contains("token");
      if (t != "auth" || !token || !token->is_string()) {
        send(*c, error_text(id, "unauthenticated", "send {\"type\":\"auth\",\"token\":…} first"));
        c->peer->close_now(kUnauthorized, "unauthorized");
        std::lock_guard lock(c->mu);
        c->state = Conn::State::kClosed;
        return;
      }
      authenticate(c, std::string(token->as_string()));
      return;
    }
    if (t == "ping") {
      send(*c, R"({"type":"pong"})");
    } else if (t == "subscribe") {
      subscribe(c, id, o);
    } else if (t == "unsubscribe") {
      bool found = false;
      {
        std::lock_guard lock(c->mu);
        found = c->subs.erase(id) > 0;
      }
      send(*c, found ? json::serialize(json::object{{"type", "unsubscribed"}, {"id", id}})
                     : error_text(id, "not_found", "no subscription " + id));
    } else {
      send(*c, error_text(id, "invalid_argument", "type must be subscribe, unsubscribe or ping"));
    }
  }

  // Reads "devices" (and "keys") of a subscription body; every device must be in scope.
  Status read_filter(const Conn& c, const json::object& body, Sub& sub, bool devices_required) {
    if (auto d = body.if_contains("devices")) {
      if (!d->is_array()) return fail(Errc::kInvalidArgument, "devices must be an array of ids");
      for (const auto& v : d->as_array()) {
        if (!v.is_string()) return fail(Errc::kInvalidArgument, "devices must be an array of ids");
        sub.devices.emplace(v.as_string());
      }
    }
    if (devices_required && sub.devices.empty())
      return fail(Errc::kInvalidArgument, "telemetry subscriptions name their devices");
    if (sub.devices.size() > options.max_devices)
      return fail(Errc::kInvalidArgument, "at most " + std::to_string(options.max_devices) + " devices");
    for (const auto& id : sub.devices) KAIWU_TRY_STATUS(store.get_device(c.scope, id));
    if (auto k = body.if_contains("keys")) {
      if (!k->is_array()) return fail(Errc::kInvalidArgument, "keys must be an array of names");
      for (const auto& v : k->as_array()) {
        if (!v.is_string()) return fail(Errc::kInvalidArgument, "keys must be an array of names");
        sub.keys.emplace(v.as_string());
      }
    }
    return ok();
  }

  void subscribe(const std::shared_ptr<Conn>& c, const std::string& id, const json::object& o) {
    if (id.empty() || id.size() > 64) {
      send(*c, error_text(id, "invalid_argument", "subscribe needs an \"id\" of 1..64 characters"));
      return;
    }
    Sub sub;
    const json::value* body = nullptr;
    if ((body = o.if_contains("telemetry"))) sub.kind = SubKind::kTelemetry;
    else if ((body = o.if_contains("alarms"))) sub.kind = SubKind::kAlarms;
    else if ((body = o.if_contains("deviceState"))) sub.kind = SubKind::kDeviceState;
    if (!body) {
      send(*c, error_text(id, "invalid_argument", "subscribe to one of telemetry, alarms, deviceState"));
      return;
    }
    static const json::object kEmpty;
    const json::object& filter = body->is_object() ? body->as_object() : kEmpty;
    if (!body->is_object() && !(body->is_bool() && body->as_bool())) {
      send(*c, error_text(id, "invalid_argument", "a subscription body is an object (or true)"));
      return;
    }
    if (auto st = read_filter(*c, filter, sub, sub.kind == SubKind::kTelemetry); !st) {
      send(*c, error_text(id, errc_name(st.error().code), st.error().message));
      return;
    }
    bool too_many = false;
    {
      std::lock_guard lock(c->mu);
      if (c->state != Conn::State::kReady) return;
      too_many = !c->subs.contains(id) && c->subs.size() >= options.max_subscriptions;
      if (!too_many) c->subs[id] = std::move(sub);
    }
    send(*c, too_many ? error_text(id, "resource_exhausted", "too many subscriptions on this connection")
                      : json::serialize(json::object{{"type", "subscribed"}, {"id", id}}));
  }

  // --- fan-out (bus thread) -----------------------------------------------------------------

  std::vector<std::shared_ptr<Conn>> snapshot() {
    std::lock_guard lock(mu);
    return {conns.begin(), conns.end()};
  }

  static bool tenant_visible(const Conn& c, const std::string& tenant) {
    return c.scope.tenant_id.empty() || c.scope.tenant_id == tenant;
  }

  // Enterprise and park of a device, cached (the bus thread may block on the store).
  const std::pair<std::string, std::string>& where_is(const std::string& tenant, const std::string& device) {
    auto it = device_scope.find(device);
    if (it != device_scope.end()) return it->second;
    if (device_scope.size() > 100'000) device_scope.clear();
    std::pair<std::string, std::string> place;
    if (auto d = store.get_device(meta::Scope::tenant(tenant), device)) {
      place.first = d->enterprise_id;
      if (auto e = store.get_enterprise(meta::Scope::tenant(tenant), d->enterprise_id)) place.second = e->park_id;
    }
    return device_scope.emplace(device, std::move(place)).first->second;
  }

  bool place_visible(const Conn& c, const std::string& enterprise, const std::string& park) {
    if (!c.scope.enterprise_id.empty() && c.scope.enterprise_id != enterprise) return false;
    if (!c.scope.park_id.empty() && c.scope.park_id != park) return false;
    return true;
  }

  void fan_out(const bus::Message& m) {
    auto all = snapshot();
    if (all.empty()) return;
    const std::string& tenant = m.tenant();
    for (const auto& c : all) {
      std::vector<std::string> out;
      {
        std::lock_guard lock(c->mu);
        if (c->state != Conn::State::kReady || !tenant_visible(*c, tenant)) continue;
        for (const auto& [id, sub] : c->subs) {
          auto text = render(*c, id, sub, m);
          if (!text.empty()) out.push_back(std::move(text));
        }
      }
      for (auto& text : out) send(*c, std::move(text));
    }
    if (m.kind() == bus::Kind::kLifecycle) {
      const auto& e = std::get<bus::DeviceLifecycle>(m.payload);
      if (e.event == bus::LifecycleEvent::kDeleted) device_scope.erase(e.device);
    }
  }

  // The message for one subscription, or "" when it does not match. c.mu held.
  std::string render(Conn& c, const std::string& id, const Sub& sub, const bus::Message& m) {
    switch (m.kind()) {
      case bus::Kind::kTelemetry: {
        if (sub.kind != SubKind::kTelemetry) return {};
        const auto& t = std::get<bus::Telemetry>(m.payload);
        if (!sub.devices.contains(t.device)) return {};
        json::array samples;
        for (const auto& s : t.samples) {
          if (!sub.keys.empty() && !sub.keys.contains(s.key)) continue;
          samples.push_back(json::object{{"key", s.key}, {"ts", s.ts}, {"value", sample_value(s.value)}});
        }
        if (samples.empty()) return {};
        return json::serialize(json::object{
            {"type", "telemetry"}, {"sub", id}, {"deviceId", t.device}, {"samples", std::move(samples)}});
      }
      case bus::Kind::kAlarm: {
        if (sub.kind != SubKind::kAlarms) return {};
        const auto& e = std::get<bus::AlarmEvent>(m.payload);
        if (!place_visible(c, e.alarm.enterprise_id, e.alarm.park_id)) return {};
        if (!sub.devices.empty() && !sub.devices.contains(e.alarm.device_id)) return {};
        return json::serialize(json::object{{"type", "alarm"},
                                            {"sub", id},
                                            {"event", bus::alarm_change_name(e.change)},
                                            {"alarm", alarm::to_json(e.alarm)}});
      }
      case bus::Kind::kLifecycle: {
        if (sub.kind != SubKind::kDeviceState) return {};
        const auto& e = std::get<bus::DeviceLifecycle>(m.payload);
        if (!sub.devices.empty() && !sub.devices.contains(e.device)) return {};
        if (!c.scope.enterprise_id.empty() || !c.scope.park_id.empty()) {
          const auto& [ent, park] = where_is(e.tenant, e.device);
          if (!place_visible(c, ent, park)) return {};
        }
        return json::serialize(json::object{{"type", "deviceState"},
                                            {"sub", id},
                                            {"deviceId", e.device},
                                            {"event", bus::lifecycle_name(e.event)},
                                            {"ts", e.ts}});
      }
      case bus::Kind::kAttributes: return {};
    }
    return {};
  }
};

namespace {

// The io thread's side: hands each frame to the worker.
class FeedHandler final : public http::WsHandler {
 public:
  FeedHandler(std::shared_ptr<WsFeed::Impl> feed, std::shared_ptr<Conn> conn)
      : feed_(std::move(feed)), conn_(std::move(conn)) {}
  void on_message(std::string_view data, bool binary) override {
    if (binary) {
      conn_->peer->send_text(error_text("", "invalid_argument", "send JSON text frames"));
      return;
    }
    boost::asio::post(feed_->worker, [feed = feed_, conn = conn_, text = std::string(data)] { feed->command(conn, text); });
  }
  void on_close() override { feed_->closed(conn_); }

 private:
  std::shared_ptr<WsFeed::Impl> feed_;
  std::shared_ptr<Conn> conn_;
};

}  // namespace

std::shared_ptr<http::WsHandler> WsFeed::Impl::open(std::shared_ptr<http::WsPeer> peer, const http::Request& req) {
  auto c = std::make_shared<Conn>();
  c->peer = std::move(peer);
  {
    std::lock_guard lock(mu);
    if (stopped) {
      c->peer->close_now(kGoingAway, "shutting down");
      return std::make_shared<FeedHandler>(shared_from_this(), c);
    }
    conns.insert(c);
    connections.add(1);
  }
  if (auto token = req.query_param("token"); token && !token->empty()) {
    boost::asio::post(worker, [self = shared_from_this(), c, t = std::string(*token)] { self->authenticate(c, t); });
  }
  return std::make_shared<FeedHandler>(shared_from_this(), c);
}

WsFeed::WsFeed(bus::Bus& bus, meta::MetadataStore& store, http::Authenticator& auth, MetricsRegistry& metrics,
               WsFeedOptions options)
    : impl_(std::make_shared<Impl>(bus, store, auth, metrics, options)) {
  impl_->start();
}

WsFeed::~WsFeed() { stop(); }

http::WsEndpoint WsFeed::endpoint(std::string path) {
  http::WsEndpoint e;
  e.path = std::move(path);
  e.max_message_bytes = 64 * 1024;
  e.open_request = [impl = impl_](std::shared_ptr<http::WsPeer> peer, const http::Request& req) {
    return impl->open(std::move(peer), req);
  };
  return e;
}

void WsFeed::stop() {
  impl_->subscription.reset();
  std::set<std::shared_ptr<Conn>> all;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    all.swap(impl_->conns);
    impl_->connections.add(-static_cast<double>(all.size()));
  }
  for (const auto& c : all) c->peer->close_now(kGoingAway, "shutting down");
  impl_->worker.join();
}

void register_feed_route(http::Router& r) {
  // The upgrade itself is served by the HTTP server before routing; this route documents the
  // feed in the OpenAPI document and answers a plain GET.
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/ws",
         .summary = "Live feed (WebSocket upgrade; ?token=<JWT or API key> or a first message "
                    "{\"type\":\"auth\",\"token\"}). Send {\"type\":\"subscribe\",\"id\",\"telemetry\":{\"devices\","
                    "\"keys\"}|\"alarms\":true|\"deviceState\":true}, {\"type\":\"unsubscribe\",\"id\"}, "
                    "{\"type\":\"ping\"}; receive telemetry / alarm / deviceState messages (src/api/README.md). "
                    "A subscriber more than 1000 messages behind is closed with 1008; a bad token with 4401. "
                    "A plain GET answers 426.",
         .tag = "live", .access = http::Access::anyone(),
         .query = {{"token", "string", "JWT or API key"}},
         .handler = [](http::Request&) -> Result<http::Response> {
           auto resp = http::Response::json(
               426, R"({"error":{"code":"failed_precondition","message":"/api/v1/ws is a WebSocket: send an Upgrade request"}})");
           resp.headers.emplace_back("Upgrade", "websocket");
           return resp;
         }});
}

}  // namespace kaiwu::api
