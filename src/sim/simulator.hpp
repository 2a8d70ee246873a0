// Runs the virtual factory: steps it every tick_ms on an asio timer and publishes the devices
// named in [mqtt.tokens] as plain MQTT devices (ThingsBoard device API, QoS 1, through the
// edge's forward queue and uplink so nothing is lost while the platform restarts).
// Protocol servers (Modbus TCP, DL/T 645, HJ 212) read the same Factory.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "edge/forward_queue.hpp"
#include "edge/uplink.hpp"
#include "sim/factory.hpp"

namespace kaiwu::sim {

class Simulator {
 public:
  static Result<std::unique_ptr<Simulator>> create(boost::asio::any_io_executor executor, SimConfig config);
  ~Simulator();
  void start();
  void stop();  // any thread
  std::shared_ptr<Factory> factory() const { return factory_; }
  const SimConfig& config() const { return config_; }
  std::uint64_t published() const;
  // Called on the executor after each step (protocol servers copy the values); before start().
  void set_on_tick(std::function<void()> f) { on_tick_ = std::move(f); }  // telemetry records queued for MQTT devices

 private:
  struct MqttDevice {
    std::string name;
    std::unique_ptr<edge::ForwardQueue> queue;
    std::unique_ptr<edge::Uplink> uplink;
  };
  Simulator() = default;
  void tick();

  boost::asio::any_io_executor ex_;
  SimConfig config_;
  std::shared_ptr<Factory> factory_;
  std::vector<MqttDevice> mqtt_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::steady_clock::time_point next_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<bool> stopping_{false};
  std::function<void()> on_tick_;
};

}  // namespace kaiwu::sim
