#include "edge/edge.hpp"

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "edge/payload.hpp"

namespace kaiwu::edge {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> run_rpc(std::shared_ptr<DevicePoller> poller, RpcRequest request,
                              std::function<void(std::string)> reply) {
  boost::json::object data;
  auto error = [&data](const std::string& why) {
    data["success"] = false;
    data["error"] = why;
  };
  const auto* params = request.params.is_object() ? &request.params.as_object() : nullptr;
  if (request.method == "write") {
    const auto* key = params ? params->if_contains("key") : nullptr;
    const auto* value = params ? params->if_contains("value") : nullptr;
    if (!key || !key->is_string() || !value) {
      error("write needs params {\"key\":…,\"value\":…}");
    } else if (auto v = json_to_value(*value); !v) {
      error(v.error().message);
    } else {
      auto st = co_await poller->write(std::string(key->as_string()), std::move(*v));
      if (st) data["success"] = true;
      else error(st.error().message);
    }
  } else if (request.method == "read") {
    std::vector<std::string> keys;
    if (params) {
      if (const auto* k = params->if_contains("key"); k && k->is_string()) keys.emplace_back(k->as_string());
      if (const auto* ks = params->if_contains("keys"); ks && ks->is_array())
        for (const auto& k : ks->as_array())
          if (k.is_string()) keys.emplace_back(k.as_string());
    }
    auto readings = co_await poller->read(std::move(keys));
    if (!readings) {
      error(readings.error().message);
    } else {
      boost::json::object values, errors;
      for (const auto& r : *readings) {
        if (r.value) values[r.key] = value_to_json(*r.value);
        else errors[r.key] = r.value.error().message;
      }
      data["success"] = errors.empty();
      data["values"] = std::move(values);
      if (!errors.empty()) data["errors"] = std::move(errors);
    }
  } else {
    error("unknown method \"" + request.method + "\" (the edge serves \"read\" and \"write\")");
  }
  reply(rpc_reply(request, data));
}

}  // namespace

Result<std::unique_ptr<Edge>> Edge::create(asio::any_io_executor executor, EdgeConfig config, DriverLookup lookup) {
  KAIWU_TRY_STATUS(validate_devices(config, lookup, executor));
  std::unique_ptr<Edge> e(new Edge());
  e->ex_ = executor;
  e->config_ = std::move(config);
  e->lookup_ = std::move(lookup);
  e->queue_ = KAIWU_TRY(ForwardQueue::open({e->config_.uplink.buffer_dir, e->config_.uplink.buffer_max_mb << 20, 0}));
  e->load_saved_remote();
  Edge* self = e.get();
  // The gateway device's own shared attributes (edgeConfig): pushed changes and the answers to
  // the request made at each session start.
  e->config_.uplink.subscriptions = {kSelfAttributesTopic, std::string(kSelfAttributesTopic) + "/response/+"};
  e->uplink_ = std::make_unique<Uplink>(
      executor, e->config_.uplink, *e->queue_,
      Uplink::Hooks{[self] { return self->session_events(); }, [self](std::string p) { self->on_rpc(std::move(p)); },
                    [self](std::string t, std::string p) { self->on_message(t, p); }});
  for (const auto& d : e->config_.devices) {
    auto driver = KAIWU_TRY(e->lookup_(d.driver, executor));
    e->pollers_.push_back(e->make_poller(d, std::move(driver)));
  }
  return e;
}

std::shared_ptr<DevicePoller> Edge::make_poller(const DeviceConfig& d, std::unique_ptr<drivers::Driver> driver) {
  return std::make_shared<DevicePoller>(
      ex_, d, std::move(driver),
      [this](const std::string& dev, std::vector<drivers::Reading> r) { on_readings(dev, std::move(r)); },
      [this](const std::string& dev, bool connected) { on_state(dev, connected); });
}

Edge::~Edge() { stop(); }

void Edge::start() {
  if (started_) return;
  started_ = true;
  auto q = queue_->stats();
  spdlog::info("edge: {} devices, {} records waiting in {} ({} bytes cut at recovery)", pollers_.size(), q.pending,
               config_.uplink.buffer_dir, q.recovered_bytes_cut);
  sync_thread_ = std::thread([this] { sync_loop(); });
  uplink_->start();
  for (auto& p : pollers_) p->start();
  health_timer_ = std::make_shared<asio::steady_timer>(ex_);
  report_health();
}

void Edge::report_health() {
  health_timer_->expires_after(std::chrono::seconds(30));
  health_timer_->async_wait([this, t = health_timer_](boost::system::error_code ec) {
    if (ec || !started_) return;
    // v1/gateway/attributes: {"dev":{"edge_connected":true,…}} → each device's client attributes.
    boost::json::object all;
    for (const auto& p : pollers_) {
      auto c = p->counters();
      all[p->config().settings.name] = boost::json::object{
          {"edge_connected", c.connected},          {"edge_polls", c.polls},
          {"edge_poll_failures", c.poll_failures},  {"edge_point_errors", c.point_errors},
          {"edge_missed_ticks", c.missed_ticks},    {"edge_reconnects", c.connects},
          {"edge_last_success_ms", c.last_success_ms}, {"edge_last_error", c.last_error}};
    }
    if (!all.empty()) uplink_->send_event(kAttributesTopic, boost::json::serialize(all));
    report_health();
  });
}

void Edge::stop() {
  if (!started_) return;
  started_ = false;
  if (health_timer_) asio::post(ex_, [t = health_timer_] { t->cancel(); });
  {
    std::lock_guard lock(mu_);
    for (auto& p : pollers_) p->stop();
  }
  uplink_->stop();
  {
    std::lock_guard lock(sync_mu_);
    sync_stop_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  (void)queue_->sync();
}

void Edge::sync_loop() {
  std::unique_lock lock(sync_mu_);
  while (!sync_stop_) {
    sync_cv_.wait_for(lock, std::chrono::milliseconds(100));
    lock.unlock();
    if (auto st = queue_->sync(); !st) spdlog::error("edge: {}", st.error().message);
    lock.lock();
  }
}

void Edge::on_readings(const std::string& device, std::vector<drivers::Reading> readings) {
  auto payload = telemetry_payload(device, readings);
  if (payload.empty()) return;
  auto seq = queue_->append(payload);
  {
    std::lock_guard lock(mu_);
    if (seq) ++records_;
    else ++append_failures_;
  }
  if (!seq) {
    spdlog::error("edge: device {}: {}", device, seq.error().message);
    return;
  }
  uplink_->wake();
}

void Edge::on_state(const std::string& device, bool connected) {
  std::string category = "other";
  std::string protocol;
  {
    std::lock_guard lock(mu_);
    for (const auto& d : config_.devices)
      if (d.settings.name == device) {
        category = d.category;
        protocol = d.driver;
      }
    connected_[device] = connected;
  }
  if (connected) uplink_->send_event(kConnectTopic, connect_payload(device, category, protocol));
  else uplink_->send_event(kDisconnectTopic, disconnect_payload(device));
}

std::vector<std::pair<std::string, std::string>> Edge::session_events() {
  // Every device is announced (so it exists on the platform with its category), then the
  // ones that are down are reported disconnected.
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(mu_);
  for (const auto& d : config_.devices)
    out.emplace_back(kConnectTopic, connect_payload(d.settings.name, d.category, d.driver));
  for (const auto& d : config_.devices)
    if (auto it = connected_.find(d.settings.name); it != connected_.end() && !it->second)
      out.emplace_back(kDisconnectTopic, disconnect_payload(d.settings.name));
  // Ask for the remote configuration (answered on …/attributes/response/<n>).
  out.emplace_back(std::string(kSelfAttributesTopic) + "/request/" + std::to_string(++attribute_request_),
                   std::string(R"({"sharedKeys":")") + kRemoteConfigKey + "\"}");
  return out;
}

void Edge::on_rpc(std::string payload) {
  auto request = parse_rpc_request(payload);
  if (!request) {
    spdlog::warn("edge: bad RPC request: {}", request.error().message);
    return;
  }
  for (auto& p : pollers_) {
    if (p->config().settings.name != request->device) continue;
    spdlog::info("edge: RPC {} to {}", request->method, request->device);
    Uplink* up = uplink_.get();
    asio::co_spawn(ex_, run_rpc(p, std::move(*request), [up](std::string reply) {
                     up->send_event(kRpcTopic, std::move(reply));
                   }),
                   asio::detached);
    return;
  }
  // Another gateway's device (the RPC topic is shared within a tenant): not ours to answer.
}

EdgeStats Edge::stats() const {
  EdgeStats s;
  s.uplink = uplink_->stats();
  s.queue = queue_->stats();
  std::lock_guard lock(mu_);
  for (const auto& p : pollers_) s.devices.emplace_back(p->config().settings.name, p->counters());
  s.records = records_;
  s.append_failures = append_failures_;
  s.remote_version = remote_version_;
  s.remote_applied = remote_applied_;
  s.remote_rejected = remote_rejected_;
  return s;
}

std::string Edge::summary() const {
  auto s = stats();
  std::size_t up = 0;
  std::uint64_t values = 0, missed = 0;
  for (const auto& [name, c] : s.devices) {
    up += c.connected ? 1 : 0;
    values += c.values;
    missed += c.missed_ticks;
  }
  return fmt::format("uplink {} (acked {}, rejected {}), devices {}/{} up, values {}, missed ticks {}, "
                     "queue {} pending / {} dropped / {} bytes",
                     s.uplink.connected ? "online" : "offline", s.uplink.acked, s.uplink.rejected, up, s.devices.size(),
                     values, missed, s.queue.pending, s.queue.dropped, s.queue.disk_bytes);
}

}  // namespace kaiwu::edge
