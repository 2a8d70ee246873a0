#include "sim/simulator.hpp"

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/ids.hpp"
#include "edge/payload.hpp"

namespace kaiwu::sim {

namespace asio = boost::asio;

Result<std::unique_ptr<Simulator>> Simulator::create(asio::any_io_executor executor, SimConfig config) {
  std::unique_ptr<Simulator> s(new Simulator());
  s->ex_ = executor;
  s->config_ = std::move(config);
  s->factory_ = std::make_shared<Factory>(s->config_);
  s->timer_ = std::make_unique<asio::steady_timer>(executor);
  if (!s->config_.mqtt_tokens.empty() && s->config_.mqtt_url.empty())
    return fail(Errc::kInvalidArgument, s->config_.origin + ": mqtt.url: required with [mqtt.tokens]");
  for (const auto& [name, token] : s->config_.mqtt_tokens) {
    if (!s->factory_->values(name))
      return fail(Errc::kInvalidArgument, s->config_.origin + ": mqtt.tokens." + name + ": no such simulated device");
    edge::UplinkConfig u;
    u.url = s->config_.mqtt_url;
    KAIWU_TRY_STATUS(edge::parse_uplink_url(u));
    u.token = token;
    u.client_id = "kaiwu-sim-" + name;
    u.record_topic = "v1/devices/me/telemetry";
    u.rpc_topic.clear();
    u.max_inflight = 8;
    MqttDevice d;
    d.name = name;
    auto dir = (std::filesystem::path(s->config_.data_dir) / "mqtt" / name).string();
    d.queue = KAIWU_TRY(edge::ForwardQueue::open({dir, 64ull << 20, 0}));
    d.uplink = std::make_unique<edge::Uplink>(executor, u, *d.queue, edge::Uplink::Hooks{});
    s->mqtt_.push_back(std::move(d));
  }
  return s;
}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
  for (auto& d : mqtt_) d.uplink->start();
  factory_->step(now_ms());
  next_ = std::chrono::steady_clock::now();
  tick();
  spdlog::info("sim: {} devices ({} over MQTT), seed {}, tick {} ms", factory_->devices().size(), mqtt_.size(),
               config_.seed, config_.tick_ms);
}

void Simulator::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& d : mqtt_) d.uplink->stop();
  asio::post(ex_, [t = timer_.get()] { t->cancel(); });
}

std::uint64_t Simulator::published() const { return published_; }

void Simulator::tick() {
  if (stopping_) return;
  std::int64_t now = now_ms();
  factory_->step(now);
  if (on_tick_) on_tick_();
  for (auto& d : mqtt_) {
    auto values = factory_->values(d.name);
    if (!values) continue;
    boost::json::object v;
    for (const auto& [k, x] : *values) v[k] = edge::value_to_json(x);
    auto payload = boost::json::serialize(boost::json::object{{"ts", now}, {"values", std::move(v)}});
    if (d.queue->append(payload)) {
      ++published_;
      d.uplink->wake();
    }
  }
  // Drift-free: the next tick is due one interval after the previous one.
  next_ += std::chrono::milliseconds(config_.tick_ms);
  auto now_steady = std::chrono::steady_clock::now();
  if (next_ < now_steady) next_ = now_steady;
  timer_->expires_at(next_);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

}  // namespace kaiwu::sim
