#include "drivers/opcua/driver.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "drivers/opcua/client.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive on coroutine frames

namespace kaiwu::drivers::opcua {

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string option(const DeviceSettings& s, std::string_view key, std::string_view fallback = "") {
  const auto it = s.options.find(key);
  return it == s.options.end() ? std::string(fallback) : it->second;
}

Result<std::uint32_t> uint_option(const DeviceSettings& s, std::string_view key, std::uint32_t fallback,
                                  std::uint32_t min, std::uint32_t max) {
  const auto it = s.options.find(key);
  if (it == s.options.end()) return fallback;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < min || v > max) {
    return fail(Errc::kInvalidArgument, fmt::format("option {} must be an integer in [{}, {}]", key, min, max));
  }
  return v;
}

Result<ClientConfig> client_config(const DeviceSettings& s) {
  ClientConfig c;
  c.endpoint_url = s.endpoint.starts_with("opc.tcp://") ? s.endpoint : "opc.tcp://" + s.endpoint;
  KAIWU_TRY(transport_endpoint(c.endpoint_url));
  c.security_policy = option(s, "security", "None");
  if (c.security_policy != "None" && c.security_policy != "Basic256Sha256") {
    return fail(Errc::kInvalidArgument, "option security must be None or Basic256Sha256");
  }
  const std::string mode = option(s, "mode", c.security_policy == "None" ? "None" : "SignAndEncrypt");
  if (c.security_policy == "None") {
    if (mode != "None") return fail(Errc::kInvalidArgument, "option mode needs security = Basic256Sha256");
    c.mode = SecurityMode::kNone;
  } else if (mode == "Sign") {
    c.mode = SecurityMode::kSign;
  } else if (mode == "SignAndEncrypt") {
    c.mode = SecurityMode::kSignAndEncrypt;
  } else {
    return fail(Errc::kInvalidArgument, "option mode must be Sign or SignAndEncrypt");
  }
  c.username = option(s, "username");
  c.password = option(s, "password");
  if (c.username.empty() && !c.password.empty()) return fail(Errc::kInvalidArgument, "option password needs username");
  c.pki_dir = option(s, "pki", "pki/opcua");
  c.trust = option(s, "trust", c.pki_dir + "/trusted");
  c.application_uri = option(s, "application_uri", "urn:kaiwu:opcua:client");
  c.timeout = std::max(s.timeout, std::chrono::milliseconds(100));
  const std::string subscribe = option(s, "subscribe", "false");
  if (subscribe != "true" && subscribe != "false") return fail(Errc::kInvalidArgument, "option subscribe must be true or false");
  KAIWU_TRY(uint_option(s, "publishing_interval", 1000, 10, 3600000));
  KAIWU_TRY(uint_option(s, "sampling_interval", 0, 0, 3600000));
  return c;
}

class OpcUaDriver final : public Driver {
 public:
  explicit OpcUaDriver(asio::any_io_executor ex) : executor_(std::move(ex)) {}

  const DriverInfo& info() const override { return driver_info(); }

  Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const override {
    KAIWU_TRY(client_config(settings));
    for (const auto& p : points) {
      auto id = parse_node_id(p.address);
      if (!id) return fail(Errc::kInvalidArgument, fmt::format("point {}: {}", p.key, id.error().message));
    }
    return ok();
  }

  asio::awaitable<Status> start(DeviceSettings settings) override {
    auto config = client_config(settings);
    if (!config) co_return std::unexpected(config.error());
    settings_ = std::move(settings);
    publishing_interval_ms_ = *uint_option(settings_, "publishing_interval", 1000, 10, 3600000);
    sampling_interval_ms_ = *uint_option(settings_, "sampling_interval", 0, 0, 3600000);
    client_ = std::make_unique<Client>(executor_, *config);
    stopping_ = false;
    auto connected = co_await client_->connect();
    note(connected);
    co_return connected;
  }

  asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) override {
    std::vector<Reading> out(points.size());
    std::vector<NodeId> nodes;
    std::vector<std::size_t> index;  // position in `out` of each node
    for (std::size_t i = 0; i < points.size(); ++i) {
      out[i].key = points[i].key;
      out[i].ts = now_ms();
      auto id = parse_node_id(points[i].address);
      if (!id) {
        out[i].value = std::unexpected(id.error());
        continue;
      }
      nodes.push_back(std::move(*id));
      index.push_back(i);
    }
    if (nodes.empty()) co_return out;
    auto connected = co_await ensure_connected();
    // (no co_await inside ?: — g++ 12 destroys the temporary twice)
    Result<std::vector<DataValue>> values = std::unexpected(Error{Errc::kUnavailable, "opcua: not connected"});
    if (connected) {
      values = co_await client_->read(nodes);
    } else {
      values = std::unexpected(connected.error());
    }
    note(values);
    for (std::size_t j = 0; j < index.size(); ++j) {
      Reading& r = out[index[j]];
      if (!values) {
        r.value = std::unexpected(values.error());
        continue;
      }
      r = reading_from(points[index[j]], (*values)[j]);
    }
    co_return out;
  }

  asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) override {
    if (!point.writable) co_return fail(Errc::kPermissionDenied, fmt::format("point {} is not writable", point.key));
    auto id = parse_node_id(point.address);
    if (!id) co_return std::unexpected(id.error());
    auto raw = to_raw(point, value);
    if (!raw) co_return std::unexpected(raw.error());
    auto variant = value_to_variant(point.type, *raw);
    if (!variant) co_return std::unexpected(variant.error());
    auto connected = co_await ensure_connected();
    if (!connected) co_return connected;
    WriteValue w;
    w.node = std::move(*id);
    w.value.has_value = true;
    w.value.value = std::move(*variant);
    std::vector<WriteValue> values;
    values.push_back(std::move(w));
    auto results = co_await client_->write(values);
    note(results);
    if (!results) co_return std::unexpected(results.error());
    const std::uint32_t status = results->front();
    if (status_is_bad(status)) {
      co_return fail(status == 0x803b0000u || status == 0x801f0000u ? Errc::kPermissionDenied : Errc::kInvalidArgument,
                     fmt::format("point {}: write rejected: {}", point.key, status_name(status)));
    }
    co_return ok();
  }

  asio::awaitable<Status> subscribe(std::span<const PointConfig> points, ReadingSink sink) override {
    if (!client_) co_return fail(Errc::kFailedPrecondition, "opcua: subscribe before start");
    for (const auto& p : points) {
      auto id = parse_node_id(p.address);
      if (!id) co_return fail(Errc::kInvalidArgument, fmt::format("point {}: {}", p.key, id.error().message));
    }
    subscribed_.assign(points.begin(), points.end());
    sink_ = std::move(sink);
    auto created = co_await create_subscription();
    if (!created) co_return created;
    if (!publishing_) asio::co_spawn(executor_, publish_loop(), asio::detached);
    co_return ok();
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    if (!client_) co_return;
    if (subscription_id_ != 0 && client_->is_open()) {
      std::vector<std::uint32_t> ids(1, subscription_id_);
      (void)co_await client_->delete_subscriptions(ids);
    }
    subscription_id_ = 0;
    co_await client_->close();
    if (publishing_) {
      publish_done_.emplace(executor_, std::chrono::steady_clock::now() + std::chrono::seconds(10));
      co_await publish_done_->async_wait(kAsTuple);
      publish_done_.reset();
    }
    health_.connected = false;
    subscribed_.clear();  // a later start() begins without a subscription
    sink_ = nullptr;
  }

  Health health() const override {
    Health h = health_;
    h.connected = client_ && client_->is_open();
    if (client_) h.requests = client_->requests();
    return h;
  }

 private:
  template <typename R>
  void note(const R& result) {
    if (result) {
      health_.last_success_ms = now_ms();
      return;
    }
    ++health_.failures;
    if (result.error().code == Errc::kTimeout) ++health_.timeouts;
    health_.last_error = result.error().message;
  }

  asio::awaitable<Status> ensure_connected() {
    if (!client_) co_return fail(Errc::kFailedPrecondition, "opcua: not started");
    if (client_->is_open()) co_return ok();
    if (stopping_) co_return fail(Errc::kUnavailable, "opcua: stopping");
    if (connecting_) co_return fail(Errc::kUnavailable, "opcua: reconnecting to " + settings_.endpoint);
    connecting_ = true;
    auto connected = co_await client_->connect();
    connecting_ = false;
    ++health_.reconnects;
    note(connected);
    if (connected && !subscribed_.empty()) connected = co_await create_subscription();
    co_return connected;
  }

  Reading reading_from(const PointConfig& point, const DataValue& dv) const {
    Reading r;
    r.key = point.key;
    const std::int64_t ts = dv.source_timestamp != 0 ? dv.source_timestamp : dv.server_timestamp;
    r.ts = ts != 0 ? unix_ms_from_datetime(ts) : now_ms();
    if (dv.has_status && status_is_bad(dv.status)) {
      r.value = fail(dv.status == 0x80340000u || dv.status == 0x80330000u ? Errc::kNotFound : Errc::kUnavailable,
                     fmt::format("point {} ({}): {}", point.key, point.address, status_name(dv.status)));
      return r;
    }
    auto v = variant_to_value(dv.value);
    if (!v) {
      r.value = fail(v.error().code, fmt::format("point {}: {}", point.key, v.error().message));
      return r;
    }
    r.value = to_engineering(point, *v);
    return r;
  }

  // Part 4 §5.13.2 / §5.12.2: one subscription, one monitored item per point (client handle =
  // index in subscribed_).
  asio::awaitable<Status> create_subscription() {
    CreateSubscriptionRequest req;
    req.publishing_interval_ms = publishing_interval_ms_;
    auto sub = co_await client_->create_subscription(req);
    note(sub);
    if (!sub) co_return std::unexpected(sub.error());
    subscription_id_ = sub->subscription_id;
    keep_alive_ms_ = static_cast<std::uint32_t>(
        std::max(sub->revised_publishing_interval_ms, 1.0) * std::max<std::uint32_t>(sub->revised_max_keep_alive_count, 1));
    std::vector<MonitoredItemCreate> items;
    for (std::size_t i = 0; i < subscribed_.size(); ++i) {
      MonitoredItemCreate m;
      m.node = *parse_node_id(subscribed_[i].address);
      m.client_handle = static_cast<std::uint32_t>(i);
      m.sampling_interval_ms = sampling_interval_ms_ != 0 ? sampling_interval_ms_ : publishing_interval_ms_;
      items.push_back(std::move(m));
    }
    auto results = co_await client_->create_monitored_items(subscription_id_, items);
    note(results);
    if (!results) co_return std::unexpected(results.error());
    std::vector<Reading> errors;
    for (std::size_t i = 0; i < results->size(); ++i) {
      const auto status = (*results)[i].status;
      if (!status_is_bad(status)) continue;
      errors.push_back(Reading{subscribed_[i].key, now_ms(),
                               fail(Errc::kNotFound, fmt::format("point {} ({}): {}", subscribed_[i].key,
                                                                 subscribed_[i].address, status_name(status)))});
    }
    if (!errors.empty() && sink_) sink_(std::move(errors));
    co_return ok();
  }

  asio::awaitable<void> publish_loop() {
    publishing_ = true;
    std::vector<SubscriptionAck> acks;
    auto backoff = std::chrono::milliseconds(200);
    while (!stopping_) {
      if (!client_->is_open()) {
        asio::steady_timer wait(executor_, backoff);
        co_await wait.async_wait(kAsTuple);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
        acks.clear();
        if (!stopping_) (void)co_await ensure_connected();
        continue;
      }
      backoff = std::chrono::milliseconds(200);
      const auto timeout = std::chrono::milliseconds(keep_alive_ms_ * 2 + settings_.timeout.count() + 1000);
      auto r = co_await client_->publish(acks, timeout);
      acks.clear();
      if (stopping_) break;
      if (!r) {
        note(r);
        if (r.error().code == Errc::kUnavailable && client_->is_open()) {
          (void)co_await create_subscription();  // BadNoSubscription, BadSubscriptionIdInvalid
        }
        continue;
      }
      health_.last_success_ms = now_ms();
      if (!r->data_changes.empty()) acks.push_back({r->subscription_id, r->sequence_number});
      std::vector<Reading> readings;
      for (const auto& item : r->data_changes) {
        if (item.client_handle >= subscribed_.size()) continue;
        readings.push_back(reading_from(subscribed_[item.client_handle], item.value));
      }
      if (!readings.empty() && sink_) sink_(std::move(readings));
    }
    publishing_ = false;
    if (publish_done_) publish_done_->cancel();
  }

  asio::any_io_executor executor_;
  DeviceSettings settings_;
  std::unique_ptr<Client> client_;
  Health health_;
  bool stopping_ = false;
  bool connecting_ = false;
  bool publishing_ = false;
  std::vector<PointConfig> subscribed_;
  ReadingSink sink_;
  std::uint32_t subscription_id_ = 0;
  std::uint32_t publishing_interval_ms_ = 1000;
  std::uint32_t sampling_interval_ms_ = 0;
  std::uint32_t keep_alive_ms_ = 10000;
  std::optional<asio::steady_timer> publish_done_;
};

}  // namespace

const DriverInfo& driver_info() {
  static const DriverInfo info{
      "opcua", "1.0",
      "OPC UA client (UA Binary over TCP; SecurityPolicy None and Basic256Sha256; browse, read, write, "
      "subscriptions)",
      R"({"type":"object","additionalProperties":false,"properties":{)"
      R"("security":{"type":"string","enum":["None","Basic256Sha256"],"default":"None"},)"
      R"("mode":{"type":"string","enum":["None","Sign","SignAndEncrypt"],"description":"MessageSecurityMode; SignAndEncrypt by default with Basic256Sha256"},)"
      R"("username":{"type":"string","description":"empty: anonymous"},)"
      R"("password":{"type":"string","writeOnly":true},)"
      R"("pki":{"type":"string","default":"pki/opcua","description":"own/cert.der and own/private/key.pem, created if missing"},)"
      R"("trust":{"type":"string","description":"directory of trusted server certificates (default <pki>/trusted), or \"any\""},)"
      R"("application_uri":{"type":"string","default":"urn:kaiwu:opcua:client"},)"
      R"("subscribe":{"type":"string","enum":["true","false"],"default":"false","description":"deliver values by monitored items instead of polling"},)"
      R"("publishing_interval":{"type":"string","pattern":"^[0-9]+$","default":"1000","description":"ms"},)"
      R"("sampling_interval":{"type":"string","pattern":"^[0-9]+$","default":"0","description":"ms; 0: the publishing interval"}}})",
      true};
  return info;
}

std::unique_ptr<Driver> make_driver(asio::any_io_executor executor) {
  return std::make_unique<OpcUaDriver>(std::move(executor));
}

}  // namespace kaiwu::drivers::opcua
