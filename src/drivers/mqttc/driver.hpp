// The `mqtt` driver: an MQTT 3.1.1 client of a third-party broker (mosquitto, EMQX …) that
// maps JSON payloads to points (address syntax and conversion: mapping.hpp).
//
// Endpoint "host:port", "mqtt://host:port" or "tcp://host:port" (default port 1883), or
// "mqtts://host:port" for TLS (default port 8883; the broker's certificate is verified against
// option ca_file, a PEM file, or the system's trust anchors, and must name the host).
// Options: client_id (default "kaiwu-<device>"), username, password, keepalive (s, default 30),
// qos (0 or 1, default 0: for subscriptions and writes), clean_session (true/false, default
// true), ts (JSON path of a timestamp in the payload: ms/s epoch or ISO 8601; else the
// receive time), write_topic (topic for writes: the payload is {"<point key>": raw value};
// with qos 1 write() completes at the broker's PUBACK),
// max_payload (bytes, default 262144: larger packets close the connection).
//
// State machine: start() connects (TCP, CONNECT/CONNACK; a refused CONNACK fails with
// kUnauthenticated naming the reason) and spawns the session loop: reader ‖ writer (PINGREQ
// every keepalive/2, the session ends when nothing arrives for 1.5 × keepalive), then on any
// error (socket closed, malformed packet, broker DISCONNECT) reconnect with backoff 0.2 s … 10 s
// and resubscribe to every known topic filter. read() and subscribe() add their points' filters
// (distinct) to the subscription. Each PUBLISH updates the latest value of every point whose
// filter matches; subscribe()'s sink gets those readings. A payload missing the path or of the
// wrong type gives that point an error Reading (Health.failures, last_error).
//
// Every coroutine and the sink run on the executor given at construction.
#pragma once

#include <memory>

#include "drivers/driver.hpp"

namespace kaiwu::drivers::mqttc {

class MqttDriver final : public Driver {
 public:
  struct State;

  explicit MqttDriver(asio::any_io_executor executor);
  ~MqttDriver() override;

  const DriverInfo& info() const override;
  Status validate(const DeviceSettings& settings, std::span<const PointConfig> points) const override;
  asio::awaitable<Status> start(DeviceSettings settings) override;
  asio::awaitable<std::vector<Reading>> read(std::span<const PointConfig> points) override;
  asio::awaitable<Status> write(const PointConfig& point, tsdb::Value value) override;
  asio::awaitable<Status> subscribe(std::span<const PointConfig> points, ReadingSink sink) override;
  asio::awaitable<void> stop() override;
  Health health() const override;

  std::uint64_t messages() const;  // PUBLISH packets received

 private:
  std::shared_ptr<State> state_;
};

std::unique_ptr<Driver> make_mqtt_driver(asio::any_io_executor executor);

}  // namespace kaiwu::drivers::mqttc
