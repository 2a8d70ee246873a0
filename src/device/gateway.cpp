#include "device/gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "http/auth.hpp"
#include "ingest/telemetry_json.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::device {

using mqtt::ReasonCode;

struct DeviceGateway::Impl {
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

void DeviceGateway::on_online(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  impl_->online.add(1);
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

void DeviceGateway::on_offline(const mqtt::ClientIdentity& who) {
  if (!who.is_device) return;
  impl_->online.add(-1);
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, id = who.device_id] { (void)impl->store.touch_device(id, now_ms()); });
}

}  // namespace kaiwu::device
