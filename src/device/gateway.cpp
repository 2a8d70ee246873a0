#include "device/gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <tuple>

#include <boost/json.hpp>

#include "bus/publish.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "device/provisioning.hpp"
#include "http/auth.hpp"
#include "ingest/telemetry_json.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::device {

using mqtt::ReasonCode;

struct DeviceGateway::Impl {
  struct PendingRpc {
    std::promise<std::string> promise;
  };
  mutable std::mutex mu;
  std::map<std::string, int> online_devices;                          // device id → connections; guarded by mu
  std::map<std::pair<std::string, std::uint64_t>, PendingRpc> rpcs;   // (device, request id); guarded by mu
  std::atomic<std::uint64_t> next_rpc{1};
  std::map<std::string, std::string> gateway_enterprise;                 // gateway id → enterprise; guarded by mu
  // (gateway id, device name) → id of the device behind that gateway; guarded by mu
  std::map<std::pair<std::string, std::string>, std::string> behind;
  // Devices behind a gateway that the gateway reported connected → (gateway, name); guarded by mu
  std::map<std::string, std::pair<std::string, std::string>> behind_online;
  Publisher publisher;
  bus::Bus* bus = nullptr;
  RemoteDevices* remote = nullptr;
  metering::DeviceActivity* activity = nullptr;  // set before the broker starts

  // Telemetry from every connection is written in batches: while one write (one WAL fsync) is
  // in flight, new payloads queue up and the next write takes them all (group commit across
  // devices). Each payload's PUBACK waits for the write that holds it.
  struct IngestItem {
    std::vector<tsdb::Point> points;
    std::function<void(ReasonCode)> done;
  };
  std::mutex ingest_mu;
  std::vector<IngestItem> ingest_queue;  // guarded by ingest_mu
  bool ingest_running = false;           // guarded by ingest_mu
  static constexpr std::size_t kMaxBatchPoints = 50'000;

  void enqueue(std::vector<tsdb::Point> points, std::function<void(ReasonCode)> done) {
    bool start = false;
    {
      std::lock_guard lock(ingest_mu);
      ingest_queue.push_back({std::move(points), std::move(done)});
      start = !ingest_running;
      ingest_running = true;
    }
    if (start) boost::asio::post(pool, [this] { drain(); });
  }

  // Daily-active devices: each device of the accepted points, once per UTC day (the enterprise is
  // looked up for first sightings only; this runs on the pool, so the store read may block).
  void note_active(std::span<const tsdb::Point> points) {
    if (!activity) return;
    const std::int64_t now = now_ms();
    const std::string* last = nullptr;
    for (const auto& p : points) {
      if (last && *last == p.device) continue;
      last = &p.device;
      activity->seen(p.tenant, p.device, now, [&] {
        auto d = store.get_device(meta::Scope::tenant(p.tenant), p.device);
        return d ? d->enterprise_id : std::string();
      });
    }
  }

  static ReasonCode reason_of(const Error& e) {
    return e.code == Errc::kInvalidArgument ? ReasonCode::kPayloadFormatInvalid : ReasonCode::kImplementationSpecificError;
  }

  void drain() {
    while (true) {
      std::vector<IngestItem> batch;
      {
        std::lock_guard lock(ingest_mu);
        std::size_t n = 0, points = 0;
        while (n < ingest_queue.size() && (n == 0 || points + ingest_queue[n].points.size() <= kMaxBatchPoints))
          points += ingest_queue[n++].points.size();
        if (n == 0) {
          ingest_running = false;
          return;
        }
        batch.assign(std::make_move_iterator(ingest_queue.begin()), std::make_move_iterator(ingest_queue.begin() + n));
        ingest_queue.erase(ingest_queue.begin(), ingest_queue.begin() + n);
      }
      std::vector<tsdb::Point> all;
      for (auto& item : batch) all.insert(all.end(), std::make_move_iterator(item.points.begin()), std::make_move_iterator(item.points.end()));
      auto st = telemetry.write(all);
      if (st) {
        ingested.inc(all.size());
        for (auto& item : batch) item.done(ReasonCode::kSuccess);
        note_active(all);
        bus::publish_points(bus, all);  // durable now; one message per device run
        continue;
      }
      if (batch.size() == 1 || st.error().code != Errc::kInvalidArgument) {
        spdlog::warn("mqtt telemetry not stored ({} payloads): {}", batch.size(), st.error().message);
        for (auto& item : batch) item.done(reason_of(st.error()));
        continue;
      }
      // One bad payload (e.g. too far out of order) must not fail the others: write each alone.
      std::size_t offset = 0;
      for (auto& item : batch) {
        std::span<const tsdb::Point> mine(all.data() + offset, item.points.size());
        offset += item.points.size();
        auto one = telemetry.write(mine);
        if (one) ingested.inc(mine.size());
        if (one) note_active(mine);
        item.done(one ? ReasonCode::kSuccess : reason_of(one.error()));
        if (one) bus::publish_points(bus, std::vector<tsdb::Point>(mine.begin(), mine.end()));
      }
    }
  }

  meta::MetadataStore& store;
  tsdb::TelemetryStore& telemetry;
  boost::asio::thread_pool pool;
  Counter& ingested;
  Counter& rejected;
  Gauge& online;

  Impl(meta::MetadataStore& s, tsdb::TelemetryStore& t, MetricsRegistry& m, unsigned threads)
      : store(s),
        telemetry(t),
        pool(threads),
        ingested(m.counter("kaiwu_device_samples_ingested_total", "telemetry samples stored from MQTT devices")),
        rejected(m.counter("kaiwu_device_payloads_rejected_total", "MQTT device payloads rejected as invalid")),
        online(m.gauge("kaiwu_devices_online", "devices connected over MQTT")) {}

  void publish(const std::string& tenant, std::string topic, std::string payload) {
    if (!publisher) return;
    mqtt::Publish p;
    p.qos = mqtt::QoS::k1;
    p.topic = std::move(topic);
    p.payload = std::move(payload);
    publisher(tenant, std::move(p));
  }

  // The device named `name` behind a gateway: found by name in the gateway's enterprise or
  // created there. Blocking (the store): call on the pool.
  // `protocol` (e.g. from v1/gateway/connect) is recorded on creation and corrects an existing
  // device behind this gateway; default "mqtt".
  Result<std::string> device_behind(const mqtt::ClientIdentity& gw, const std::string& name,
                                    std::optional<model::Category> category,
                                    const std::string& protocol = {});

  // v1/gateway/attributes/request {"id","device","client":bool,"key"|"keys"} → answered on the
  // gateway's v1/gateway/attributes/response with "value" (one key) or "values". On the pool.
  void answer_gateway_attributes(const mqtt::ClientIdentity& gw, const boost::json::object& request);
};

namespace {
// Pending server-side RPCs to devices behind a gateway are keyed by gateway and device name,
// which is how the gateway's reply names them.
std::string gateway_rpc_key(std::string_view gateway_id, std::string_view name) {
  return "gw\x1f" + std::string(gateway_id) + '\x1f' + std::string(name);
}
}  // namespace

namespace {
constexpr std::string_view kMe = "v1/devices/me/";
constexpr std::string_view kGateway = "v1/gateway/";
// Provisioning connections (username "provision") each get a topic space of their own.
constexpr std::string_view kProvisionUser = "provision";
constexpr std::string_view kProvisionSpace = "$provision/";

bool is_provisioning(const mqtt::ClientIdentity& who) { return who.tenant_id.starts_with(kProvisionSpace); }

// ThingsBoard's topics have a leading slash; accept them without it too.
bool is_provision_topic(std::string_view topic, std::string_view name) {
  if (topic.starts_with('/')) topic.remove_prefix(1);
  return topic == name;
}

bool under(std::string_view topic, std::string_view prefix) { return topic.starts_with(prefix); }

// The <n> of ".../request/<n>": non-empty, one topic level.
std::optional<std::string> request_id(std::string_view topic, std::string_view prefix) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  auto id = topic.substr(prefix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

// An empty payload means {}.
Result<boost::json::object> payload_object(std::string_view payload) {
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) return boost::json::object{};
  auto parsed = KAIWU_TRY(parse_json(payload));
  if (!parsed.is_object()) return fail(Errc::kInvalidArgument, "expected a JSON object");
  return std::move(parsed.as_object());
}

// "a,b" or ["a","b"] → keys; whitespace around names is ignored.
std::vector<std::string> key_list(const boost::json::object& o, std::string_view field) {
  std::vector<std::string> out;
  auto it = o.find(field);
  if (it == o.end()) return out;
  auto add = [&out](std::string_view k) {
    auto b = k.find_first_not_of(' ');
    if (b == std::string_view::npos) return;
    k = k.substr(b, k.find_last_not_of(' ') - b + 1);
    out.emplace_back(k);
  };
  if (it->value().is_string()) {
    std::string_view s = it->value().as_string();
    while (true) {
      auto comma = s.find(',');
      add(s.substr(0, comma));
      if (comma == std::string_view::npos) break;
      s = s.substr(comma + 1);
    }
  } else if (it->value().is_array()) {
    for (const auto& v : it->value().as_array())
      if (v.is_string()) add(v.as_string());
  }
  return out;
}

boost::json::object attribute_object(const std::vector<model::Attribute>& attrs) {
  boost::json::object out;
  for (const auto& a : attrs) {
    auto v = parse_json(a.value_json);
    out[a.key] = v ? std::move(*v) : boost::json::value(a.value_json);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> attribute_pairs(const boost::json::object& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : o) out.emplace_back(std::string(k), boost::json::serialize(v));
  return out;
}

ReasonCode write_reason(const Error& e) {
  return e.code == Errc::kInvalidArgument ? ReasonCode::kPayloadFormatInvalid
                                           : ReasonCode::kImplementationSpecificError;
}
}  // namespace

Result<std::string> DeviceGateway::Impl::device_behind(const mqtt::ClientIdentity& gw, const std::string& name,
                                                       std::optional<model::Category> category,
                                                       const std::string& protocol) {
  if (name.empty()) return fail(Errc::kInvalidArgument, "gateway: empty device name");
  std::string enterprise;
  {
    std::lock_guard lock(mu);
    if (auto it = behind.find({gw.device_id, name}); it != behind.end()) return it->second;
    if (auto it = gateway_enterprise.find(gw.device_id); it != gateway_enterprise.end()) enterprise = it->second;
  }
  if (enterprise.empty()) {
    auto g = KAIWU_TRY(store.get_device(meta::Scope::tenant(gw.tenant_id), gw.device_id));
    enterprise = g.enterprise_id;
    std::lock_guard lock(mu);
    gateway_enterprise[gw.device_id] = enterprise;
  }
  meta::Scope scope = meta::Scope::tenant(gw.tenant_id);
  scope.enterprise_id = enterprise;
  meta::DeviceFilter f;
  f.q = name;
  f.enterprise_id = enterprise;
  auto find = [&]() -> Result<std::string> {
    auto page = KAIWU_TRY(store.list_devices(scope, f, meta::Page{1000, {}, 0}));
    for (auto& d : page.items) {
      if (d.name != name) continue;
      const bool correct = d.gateway_id == gw.device_id && ((!protocol.empty() && d.protocol != protocol) ||
                                                            (category && d.category != *category));
      if (correct) {  // telemetry may have created it before the connect that names these
        if (!protocol.empty()) d.protocol = protocol;
        if (category) d.category = *category;
        KAIWU_TRY(store.update_device(scope, d));
      }
      return d.id;
    }
    return std::string{};
  };
  std::string id = KAIWU_TRY(find());
  if (id.empty()) {
    model::Device d;
    d.tenant_id = gw.tenant_id;
    d.enterprise_id = enterprise;
    d.name = name;
    d.category = category.value_or(model::Category::kOther);
    d.protocol = protocol.empty() ? "mqtt" : protocol;
    d.gateway_id = gw.device_id;
    auto created = store.create_device(scope, d);
    if (created) {
      id = created->id;
      spdlog::info("mqtt gateway {}: created device {} ({})", gw.device_id, name, id);
      bus::publish_lifecycle(bus, gw.tenant_id, id, bus::LifecycleEvent::kCreated, now_ms());
    } else if (created.error().code == Errc::kAlreadyExists) {  // created concurrently
      id = KAIWU_TRY(find());
    }
    if (id.empty()) return std::unexpected(created.error());
  }
  std::lock_guard lock(mu);
  behind[{gw.device_id, name}] = id;
  return id;
}

void DeviceGateway::Impl::answer_gateway_attributes(const mqtt::ClientIdentity& gw, const boost::json::object& request) {
  const std::string name(request.at("device").as_string());
  boost::json::object reply{{"device", name}};
  if (auto id = request.find("id"); id != request.end()) reply["id"] = id->value();
  auto client = request.find("client");
  const auto attr_scope = client != request.end() && client->value().is_bool() && client->value().as_bool()
                              ? model::AttributeScope::kClient
                              : model::AttributeScope::kShared;
  std::vector<std::string> keys = key_list(request, "keys");
  auto single = request.find("key");
  const bool one = single != request.end() && single->value().is_string();
  if (one) keys = {std::string(single->value().as_string())};
  auto id = device_behind(gw, name, std::nullopt);
  auto attrs = id ? store.get_attributes(meta::Scope::tenant(gw.tenant_id), *id, attr_scope, keys)
                  : Result<std::vector<model::Attribute>>(std::unexpected(id.error()));
  if (!attrs) {
    spdlog::warn("mqtt gateway {}: attribute request for {}: {}", gw.device_id, name, attrs.error().message);
    reply["error"] = attrs.error().message;
  } else if (one) {
    auto values = attribute_object(*attrs);
    reply["value"] = values.empty() ? boost::json::value(nullptr) : values.begin()->value();
  } else {
    reply["values"] = attribute_object(*attrs);
  }
  publish(gw.tenant_id, "v1/gateways/" + gw.device_id + "/attributes/response", boost::json::serialize(reply));
}

DeviceGateway::DeviceGateway(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, MetricsRegistry& metrics,
                             unsigned threads)
    : impl_(std::make_unique<Impl>(store, telemetry, metrics, threads)) {}

DeviceGateway::~DeviceGateway() { stop(); }

void DeviceGateway::stop() { impl_->pool.join(); }

namespace {
// The credential check itself: a database lookup, and argon2 for users — run on the pool.
mqtt::BrokerHooks::AuthResult check_credentials(meta::MetadataStore& store, const std::optional<std::string>& username,
                                                const std::optional<std::string>& password,
                                                const mqtt::BrokerHooks::Peer& peer) {
  const std::string& remote = peer.remote;
  // X.509 device authentication: a client certificate registered to a device identifies it,
  // whatever the username says. An unregistered certificate falls through to the credentials.
  if (!peer.certificate.empty()) {
    if (auto device = store.find_device_by_cert_fingerprint(peer.certificate))
      return mqtt::ClientIdentity{device->tenant_id, device->name, device->id, true, device->is_gateway};
    if (!username || username->empty()) {
      spdlog::info("mqtt {}: client certificate {} is not registered to any device", remote, peer.certificate);
      return std::unexpected(ReasonCode::kNotAuthorized);
    }
  }
  if (!username || username->empty()) return std::unexpected(ReasonCode::kBadUserNameOrPassword);
  if (!password && *username == kProvisionUser)
    return mqtt::ClientIdentity{std::string(kProvisionSpace) + crypto::random_hex(8), *username, {}, false, false};
  if (!password) {
    // ThingsBoard convention: the device access token is the username, no password.
    auto device = store.find_device_by_token(*username);
    if (!device) {
      spdlog::info("mqtt {}: unknown device token", remote);
      return std::unexpected(ReasonCode::kBadUserNameOrPassword);
    }
    return mqtt::ClientIdentity{device->tenant_id, device->name, device->id, true, device->is_gateway};
  }
  auto user = store.find_user_by_username(*username);
  if (!user || user->disabled || !http::verify_password(user->password_hash, *password)) {
    spdlog::info("mqtt {}: bad username or password for {}", remote, *username);
    return std::unexpected(ReasonCode::kBadUserNameOrPassword);
  }
  return mqtt::ClientIdentity{user->tenant_id, user->username, {}, false, false};
}
}  // namespace

void DeviceGateway::authenticate(const mqtt::Connect& c, Peer peer, std::function<void(AuthResult)> done) {
  boost::asio::post(impl_->pool, [impl = impl_.get(), username = c.username, password = c.password,
                                  peer = std::move(peer), done = std::move(done)] {
    done(check_credentials(impl->store, username, password, peer));
  });
}

bool DeviceGateway::may_publish(const mqtt::ClientIdentity& who, std::string_view topic) {
  if (is_provisioning(who)) return is_provision_topic(topic, "provision/request");
  if (who.is_device) return under(topic, kMe) || (who.is_gateway && under(topic, kGateway));
  if (under(topic, "$")) return false;
  return !under(topic, kMe);
}

bool DeviceGateway::may_subscribe(const mqtt::ClientIdentity& who, std::string_view filter) {
  if (is_provisioning(who)) return is_provision_topic(filter, "provision/response");
  if (auto shared = mqtt::parse_shared_filter(filter)) filter = shared->filter;
  if (who.is_device) return under(filter, kMe) || (who.is_gateway && under(filter, kGateway));
  if (under(filter, "$SYS")) return who.tenant_id.empty();  // platform statistics: platform admins
  return !under(filter, kMe) && !under(filter, "$");
}

bool DeviceGateway::intercept(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                              std::function<void(ReasonCode)> done) {
  if (is_provisioning(who)) {
    // Answered on the matching response topic of this connection's own space.
    std::string response = p.topic.starts_with('/') ? "/provision/response" : "provision/response";
    boost::asio::post(impl_->pool, [impl = impl_.get(), who, payload = p.payload, response = std::move(response)] {
      auto body = provision_device(impl->store, payload, "mqtt");
      impl->publish(who.tenant_id, response,
                    body ? *body
                         : boost::json::serialize(boost::json::object{{"status", "FAILURE"},
                                                                       {"errorMsg", body.error().message}}));
    });
    done(ReasonCode::kSuccess);
    return true;
  }
  if (!who.is_device) return false;
  constexpr std::string_view kRpcResponse = "v1/devices/me/rpc/response/";
  if (p.topic.starts_with(kRpcResponse)) {
    std::string_view id_text = std::string_view(p.topic).substr(kRpcResponse.size());
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    std::lock_guard lock(impl_->mu);
    auto it = ec == std::errc{} && end == id_text.data() + id_text.size()
                  ? impl_->rpcs.find({who.device_id, id})
                  : impl_->rpcs.end();
    if (it != impl_->rpcs.end()) {
      it->second.promise.set_value(p.payload);
      impl_->rpcs.erase(it);
    }
    done(ReasonCode::kSuccess);
    return true;
  }
  Impl* impl = impl_.get();
  auto reject = [impl, &who, &p, &done](std::string_view why) {
    impl->rejected.inc();
    spdlog::info("mqtt device {}: {} rejected: {}", who.device_id, p.topic, why);
    done(ReasonCode::kPayloadFormatInvalid);
    return true;
  };
  if (auto n = request_id(p.topic, "v1/devices/me/attributes/request/")) {
    auto request = payload_object(p.payload);
    if (!request) return reject(request.error().message);
    auto client_keys = key_list(*request, "clientKeys");
    auto shared_keys = key_list(*request, "sharedKeys");
    done(ReasonCode::kSuccess);
    boost::asio::post(impl->pool, [impl, who, n = *n, client_keys = std::move(client_keys),
                                   shared_keys = std::move(shared_keys)] {
      auto scope = meta::Scope::tenant(who.tenant_id);
      bool all = client_keys.empty() && shared_keys.empty();
      boost::json::object out;
      for (auto [attr_scope, keys, name] : {std::tuple{model::AttributeScope::kClient, &client_keys, "client"},
                                            std::tuple{model::AttributeScope::kShared, &shared_keys, "shared"}}) {
        if (!all && keys->empty()) continue;
        auto attrs = impl->store.get_attributes(scope, who.device_id, attr_scope, *keys);
        if (!attrs) {
          spdlog::warn("mqtt device {}: attribute request failed: {}", who.device_id, attrs.error().message);
          return;
        }
        out[name] = attribute_object(*attrs);
      }
      impl->publish(who.tenant_id, "v1/devices/" + who.device_id + "/attributes/response/" + n,
                    boost::json::serialize(out));
    });
    return true;
  }
  if (auto n = request_id(p.topic, "v1/devices/me/rpc/request/")) {
    auto request = payload_object(p.payload);
    if (!request) return reject(request.error().message);
    auto method = request->find("method");
    boost::json::object reply;
    if (method != request->end() && method->value().is_string() && method->value().as_string() == "getCurrentTime")
      reply["time"] = now_ms();
    else
      reply["error"] = "unsupported method";
    impl->publish(who.tenant_id, "v1/devices/" + who.device_id + "/rpc/response/" + *n, boost::json::serialize(reply));
    done(ReasonCode::kSuccess);
    return true;
  }
  if (who.is_gateway && under(p.topic, kGateway)) return intercept_gateway(who, p, std::move(done));
  bool telemetry = p.topic == "v1/devices/me/telemetry";
  bool attributes = p.topic == "v1/devices/me/attributes";
  if (!telemetry && !attributes) return false;
  if (telemetry) {
    auto samples = ingest::parse_telemetry_json(p.payload, now_ms());
    if (!samples) {
      impl->rejected.inc();
      spdlog::info("mqtt device {}: telemetry rejected: {}", who.device_id, samples.error().message);
      done(ReasonCode::kPayloadFormatInvalid);
      return true;
    }
    std::vector<tsdb::Point> points;
    points.reserve(samples->size());
    for (auto& s : *samples) points.push_back({who.tenant_id, who.device_id, std::move(s.key), s.ts, std::move(s.value)});
    impl->enqueue(std::move(points), std::move(done));
    return true;
  }
  auto parsed = parse_json(p.payload);
  if (!parsed || !parsed->is_object()) {
    impl->rejected.inc();
    done(ReasonCode::kPayloadFormatInvalid);
    return true;
  }
  auto values = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  for (const auto& [k, v] : parsed->as_object()) values->emplace_back(std::string(k), boost::json::serialize(v));
  boost::asio::post(impl->pool, [impl, values, done = std::move(done), who] {
    auto st = impl->store.set_attributes(meta::Scope::tenant(who.tenant_id), who.device_id,
                                         model::AttributeScope::kClient, *values);
    done(st ? ReasonCode::kSuccess : ReasonCode::kPayloadFormatInvalid);
    if (st) bus::publish_attributes(impl->bus, who.tenant_id, who.device_id, model::AttributeScope::kClient, *values, now_ms());
  });
  return true;
}

bool DeviceGateway::intercept_gateway(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                                      std::function<void(ReasonCode)> done) {
  Impl* impl = impl_.get();
  auto reject = [impl, &who, &p, &done](std::string_view why) {
    impl->rejected.inc();
    spdlog::info("mqtt gateway {}: {} rejected: {}", who.device_id, p.topic, why);
    done(ReasonCode::kPayloadFormatInvalid);
    return true;
  };
  std::string_view verb = std::string_view(p.topic).substr(kGateway.size());
  if (verb != "connect" && verb != "disconnect" && verb != "telemetry" && verb != "attributes" &&
      verb != "rpc" && verb != "attributes/request")
    return false;  // anything else is routed in the gateway's own space
  auto body = payload_object(p.payload);
  if (!body) return reject(body.error().message);

  if (verb == "rpc") {
    // The reply to a server-side RPC to a device behind this gateway: {"device","id","data"}.
    auto device = body->find("device");
    auto id = body->find("id");
    if (device == body->end() || !device->value().is_string() || id == body->end() || !id->value().is_number())
      return reject("\"device\" and \"id\" are required");
    auto n = id->value().to_number<std::int64_t>();  // never throws for is_number()
    auto data = body->find("data");
    std::lock_guard lock(impl->mu);
    auto it = impl->rpcs.find({gateway_rpc_key(who.device_id, device->value().as_string()), static_cast<std::uint64_t>(n)});
    if (it != impl->rpcs.end()) {
      it->second.promise.set_value(data == body->end() ? "null" : boost::json::serialize(data->value()));
      impl->rpcs.erase(it);
    }
    done(ReasonCode::kSuccess);
    return true;
  }
  if (verb == "attributes/request") {
    auto request = std::make_shared<boost::json::object>(std::move(*body));
    auto device = request->find("device");
    if (device == request->end() || !device->value().is_string()) return reject("\"device\" must name the device");
    done(ReasonCode::kSuccess);
    boost::asio::post(impl->pool, [impl, who, request] { impl->answer_gateway_attributes(who, *request); });
    return true;
  }

  if (verb == "connect" || verb == "disconnect") {
    auto device = body->find("device");
    if (device == body->end() || !device->value().is_string() || device->value().as_string().empty())
      return reject("\"device\" must name the device");
    std::optional<model::Category> category;
    if (auto type = body->find("type"); type != body->end() && type->value().is_string())
      category = model::parse_category(type->value().as_string());
    std::string protocol;
    if (auto proto = body->find("protocol"); proto != body->end()) {
      if (!proto->value().is_string() || !model::is_protocol(proto->value().as_string()))
        return reject("unknown \"protocol\"");
      protocol = std::string(proto->value().as_string());
    }
    std::string name(device->value().as_string());
    {
      // connect looks the device up afresh (it may have been deleted or renamed); disconnect
      // forgets it.
      std::lock_guard lock(impl->mu);
      impl->behind.erase({who.device_id, name});
    }
    if (verb == "disconnect") {
      std::lock_guard lock(impl->mu);
      for (auto it = impl->behind_online.begin(); it != impl->behind_online.end();) {
        if (it->second.first == who.device_id && it->second.second == name) it = impl->behind_online.erase(it);
        else ++it;
      }
      done(ReasonCode::kSuccess);
      return true;
    }
    boost::asio::post(impl->pool, [impl, who, name = std::move(name), category, protocol = std::move(protocol),
                                   done = std::move(done)] {
      auto id = impl->device_behind(who, name, category, protocol);
      if (!id) {
        spdlog::warn("mqtt gateway {}: device {}: {}", who.device_id, name, id.error().message);
        done(write_reason(id.error()));
        return;
      }
      (void)impl->store.touch_device(*id, now_ms());
      {
        std::lock_guard lock(impl->mu);
        impl->behind_online[*id] = {who.device_id, name};
      }
      done(ReasonCode::kSuccess);
    });
    return true;
  }

  if (verb == "telemetry") {
    auto batches = std::make_shared<std::vector<std::pair<std::string, std::vector<ingest::TelemetrySample>>>>();
    std::int64_t now = now_ms();
    for (const auto& [name, v] : *body) {
      auto samples = ingest::parse_telemetry_json(boost::json::serialize(v), now);
      if (!samples) return reject(std::string(name) + ": " + samples.error().message);
      batches->emplace_back(std::string(name), std::move(*samples));
    }
    boost::asio::post(impl->pool, [impl, who, batches, done = std::move(done)] {
      std::vector<tsdb::Point> points;
      for (auto& [name, samples] : *batches) {
        auto id = impl->device_behind(who, name, std::nullopt);
        if (!id) {
          spdlog::warn("mqtt gateway {}: device {}: {}", who.device_id, name, id.error().message);
          done(write_reason(id.error()));
          return;
        }
        for (auto& s : samples) points.push_back({who.tenant_id, *id, std::move(s.key), s.ts, std::move(s.value)});
      }
      impl->enqueue(std::move(points), std::move(done));  // batched with everyone else's telemetry
    });
    return true;
  }

  // attributes: {"device name": {"k": v, …}, …} → client attributes of each device.
  using Values = std::vector<std::pair<std::string, std::string>>;
  auto batches = std::make_shared<std::vector<std::pair<std::string, Values>>>();
  for (const auto& [name, v] : *body) {
    if (!v.is_object()) return reject(std::string(name) + ": expected a JSON object");
    batches->emplace_back(std::string(name), attribute_pairs(v.as_object()));
  }
  boost::asio::post(impl->pool, [impl, who, batches, done = std::move(done)] {
    for (const auto& [name, values] : *batches) {
      auto id = impl->device_behind(who, name, std::nullopt);
      Status st = id ? impl->store.set_attributes(meta::Scope::tenant(who.tenant_id), *id,
                                                  model::AttributeScope::kClient, values)
                     : Status(std::unexpected(id.error()));
      if (!st) {
        spdlog::warn("mqtt gateway {}: attributes of {}: {}", who.device_id, name, st.error().message);
        done(write_reason(st.error()));
        return;
      }
      bus::publish_attributes(impl->bus, who.tenant_id, *id, model::AttributeScope::kClient, values, now_ms());
    }
    done(ReasonCode::kSuccess);
  });
  return true;
}

void DeviceGateway::notify_shared_attributes(const model::Device& device, const std::string& json_object_text) {
  if (device.gateway_id.empty()) {
    impl_->publish(device.tenant_id, "v1/devices/" + device.id + "/attributes", json_object_text);
    return;
  }
  // ThingsBoard gateway API: {"device": name, "data": {…}} on the gateway's v1/gateway/attributes.
  auto data = parse_json(json_object_text);
  boost::json::object message{{"device", device.name}, {"data", data ? std::move(*data) : boost::json::value()}};
  impl_->publish(device.tenant_id, "v1/gateways/" + device.gateway_id + "/attributes", boost::json::serialize(message));
}

void DeviceGateway::set_publisher(Publisher publisher) { impl_->publisher = std::move(publisher); }

void DeviceGateway::set_bus(bus::Bus* bus) { impl_->bus = bus; }

void DeviceGateway::set_activity(metering::DeviceActivity* activity) { impl_->activity = activity; }

bool DeviceGateway::is_online(const std::string& device_id) const {
  std::lock_guard lock(impl_->mu);
  if (impl_->online_devices.contains(device_id)) return true;
  auto it = impl_->behind_online.find(device_id);
  return it != impl_->behind_online.end() && impl_->online_devices.contains(it->second.first);
}

void DeviceGateway::set_remote(RemoteDevices* remote) { impl_->remote = remote; }

Result<std::string> DeviceGateway::call_rpc(const model::Device& device, const std::string& method,
                                            const std::string& params_json, std::chrono::milliseconds timeout) {
  if (impl_->remote && !is_online(device.id)) return impl_->remote->call_rpc(device, method, params_json, timeout);
  return call_rpc_local(device, method, params_json, timeout);
}

Result<std::string> DeviceGateway::call_rpc_local(const model::Device& device, const std::string& method,
                                                  const std::string& params_json, std::chrono::milliseconds timeout) {
  if (!impl_->publisher) return fail(Errc::kUnavailable, "MQTT is not running");
  if (!is_online(device.id)) return fail(Errc::kUnavailable, "device is not connected");
  const bool behind = !device.gateway_id.empty();
  const std::string key = behind ? gateway_rpc_key(device.gateway_id, device.name) : device.id;
  std::uint64_t id = impl_->next_rpc++;
  std::future<std::string> reply;
  {
    std::lock_guard lock(impl_->mu);
    reply = impl_->rpcs[{key, id}].promise.get_future();
  }
  boost::json::object request{{"method", method}};
  auto params = parse_json(params_json.empty() ? std::string_view("null") : std::string_view(params_json));
  request["params"] = params ? std::move(*params) : boost::json::value(nullptr);
  mqtt::Publish p;
  p.qos = mqtt::QoS::k1;
  if (behind) {
    // ThingsBoard gateway API: {"device": name, "data": {"id", "method", "params"}}.
    request["id"] = id;
    p.topic = "v1/gateways/" + device.gateway_id + "/rpc";
    p.payload = boost::json::serialize(boost::json::object{{"device", device.name}, {"data", std::move(request)}});
  } else {
    p.topic = "v1/devices/" + device.id + "/rpc/request/" + std::to_string(id);
    p.payload = boost::json::serialize(request);
  }
  impl_->publisher(device.tenant_id, std::move(p));
  if (reply.wait_for(timeout) == std::future_status::ready) return reply.get();
  std::lock_guard lock(impl_->mu);
  impl_->rpcs.erase({key, id});
  return fail(Errc::kTimeout, "device did not answer within " + std::to_string(timeout.count()) + " ms");
}

void DeviceGateway::on_online(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  bool first = false;
  {
    std::lock_guard lock(impl_->mu);
    first = ++impl_->online_devices[who.device_id] == 1;
  }
  impl_->online.add(1);
  if (first && impl_->remote) impl_->remote->reachable(who.device_id, true);
  if (first) bus::publish_lifecycle(impl_->bus, who.tenant_id, who.device_id, bus::LifecycleEvent::kConnected, now_ms());
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

void DeviceGateway::on_offline(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  bool last = false;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->online_devices.find(who.device_id);
    if (it != impl_->online_devices.end() && --it->second <= 0) {
      last = true;
      impl_->online_devices.erase(it);
      if (who.is_gateway) {  // the next session looks its devices up afresh
        auto& b = impl_->behind;
        b.erase(b.lower_bound({who.device_id, std::string{}}), b.lower_bound({who.device_id + '\0', std::string{}}));
        impl_->gateway_enterprise.erase(who.device_id);
        std::erase_if(impl_->behind_online, [&](const auto& e) { return e.second.first == who.device_id; });
      }
    }
  }
  impl_->online.add(-1);
  if (last && impl_->remote) impl_->remote->reachable(who.device_id, false);
  if (last) bus::publish_lifecycle(impl_->bus, who.tenant_id, who.device_id, bus::LifecycleEvent::kDisconnected, now_ms());
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

}  // namespace kaiwu::device
