#include "device/gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <future>
#include <map>
#include <mutex>

#include <boost/json.hpp>

#include "core/ids.hpp"
#include "core/json_parse.hpp"
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
  Publisher publisher;

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
};

namespace {
constexpr std::string_view kMe = "v1/devices/me/";
constexpr std::string_view kGateway = "v1/gateway/";

bool under(std::string_view topic, std::string_view prefix) { return topic.starts_with(prefix); }
}  // namespace

DeviceGateway::DeviceGateway(meta::MetadataStore& store, tsdb::TelemetryStore& telemetry, MetricsRegistry& metrics,
                             unsigned threads)
    : impl_(std::make_unique<Impl>(store, telemetry, metrics, threads)) {}

DeviceGateway::~DeviceGateway() { stop(); }

void DeviceGateway::stop() { impl_->pool.join(); }

std::expected<mqtt::ClientIdentity, ReasonCode> DeviceGateway::authenticate(const mqtt::Connect& c,
                                                                            std::string_view remote) {
  if (!c.username || c.username->empty()) return std::unexpected(ReasonCode::kBadUserNameOrPassword);
  if (!c.password) {
    // ThingsBoard convention: the device access token is the username, no password.
    auto device = impl_->store.find_device_by_token(*c.username);
    if (!device) {
      spdlog::info("mqtt {}: unknown device token", remote);
      return std::unexpected(ReasonCode::kBadUserNameOrPassword);
    }
    return mqtt::ClientIdentity{device->tenant_id, device->name, device->id, true, device->is_gateway};
  }
  auto user = impl_->store.find_user_by_username(*c.username);
  if (!user || user->disabled || !http::verify_password(user->password_hash, *c.password)) {
    spdlog::info("mqtt {}: bad username or password for {}", remote, *c.username);
    return std::unexpected(ReasonCode::kBadUserNameOrPassword);
  }
  return mqtt::ClientIdentity{user->tenant_id, user->username, {}, false, false};
}

bool DeviceGateway::may_publish(const mqtt::ClientIdentity& who, std::string_view topic) {
  if (who.is_device) return under(topic, kMe) || (who.is_gateway && under(topic, kGateway));
  if (under(topic, "$")) return false;
  return !under(topic, kMe);
}

bool DeviceGateway::may_subscribe(const mqtt::ClientIdentity& who, std::string_view filter) {
  if (auto shared = mqtt::parse_shared_filter(filter)) filter = shared->filter;
  if (who.is_device) return under(filter, kMe) || (who.is_gateway && under(filter, kGateway));
  if (under(filter, "$SYS")) return who.tenant_id.empty();  // platform statistics: platform admins
  return !under(filter, kMe) && !under(filter, "$");
}

bool DeviceGateway::intercept(const mqtt::ClientIdentity& who, const mqtt::Publish& p,
                              std::function<void(ReasonCode)> done) {
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
  bool telemetry = p.topic == "v1/devices/me/telemetry";
  bool attributes = p.topic == "v1/devices/me/attributes";
  if (!telemetry && !attributes) return false;
  Impl* impl = impl_.get();
  if (telemetry) {
    auto samples = ingest::parse_telemetry_json(p.payload, now_ms());
    if (!samples) {
      impl->rejected.inc();
      spdlog::info("mqtt device {}: telemetry rejected: {}", who.device_id, samples.error().message);
      done(ReasonCode::kPayloadFormatInvalid);
      return true;
    }
    auto points = std::make_shared<std::vector<tsdb::Point>>();
    points->reserve(samples->size());
    for (auto& s : *samples) points->push_back({who.tenant_id, who.device_id, std::move(s.key), s.ts, std::move(s.value)});
    boost::asio::post(impl->pool, [impl, points, done = std::move(done), device = who.device_id] {
      auto st = impl->telemetry.write(*points);
      if (!st) {
        spdlog::warn("mqtt device {}: telemetry not stored: {}", device, st.error().message);
        done(st.error().code == Errc::kInvalidArgument ? ReasonCode::kPayloadFormatInvalid
                                                       : ReasonCode::kImplementationSpecificError);
        return;
      }
      impl->ingested.inc(points->size());
      done(ReasonCode::kSuccess);
    });
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
  });
  return true;
}

void DeviceGateway::set_publisher(Publisher publisher) { impl_->publisher = std::move(publisher); }

bool DeviceGateway::is_online(const std::string& device_id) const {
  std::lock_guard lock(impl_->mu);
  return impl_->online_devices.contains(device_id);
}

Result<std::string> DeviceGateway::call_rpc(const std::string& tenant, const std::string& device_id,
                                            const std::string& method, const std::string& params_json,
                                            std::chrono::milliseconds timeout) {
  if (!impl_->publisher) return fail(Errc::kUnavailable, "MQTT is not running");
  if (!is_online(device_id)) return fail(Errc::kUnavailable, "device is not connected");
  std::uint64_t id = impl_->next_rpc++;
  std::future<std::string> reply;
  {
    std::lock_guard lock(impl_->mu);
    reply = impl_->rpcs[{device_id, id}].promise.get_future();
  }
  boost::json::object request{{"method", method}};
  auto params = parse_json(params_json.empty() ? std::string_view("null") : std::string_view(params_json));
  request["params"] = params ? std::move(*params) : boost::json::value(nullptr);
  mqtt::Publish p;
  p.qos = mqtt::QoS::k1;
  p.topic = "v1/devices/" + device_id + "/rpc/request/" + std::to_string(id);
  p.payload = boost::json::serialize(request);
  impl_->publisher(tenant, std::move(p));
  if (reply.wait_for(timeout) == std::future_status::ready) return reply.get();
  std::lock_guard lock(impl_->mu);
  impl_->rpcs.erase({device_id, id});
  return fail(Errc::kTimeout, "device did not answer within " + std::to_string(timeout.count()) + " ms");
}

void DeviceGateway::on_online(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  {
    std::lock_guard lock(impl_->mu);
    ++impl_->online_devices[who.device_id];
  }
  impl_->online.add(1);
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

void DeviceGateway::on_offline(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->online_devices.find(who.device_id);
    if (it != impl_->online_devices.end() && --it->second <= 0) impl_->online_devices.erase(it);
  }
  impl_->online.add(-1);
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

}  // namespace kaiwu::device
