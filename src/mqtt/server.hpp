// MQTT over TCP and TLS: accepts connections and shuttles bytes between sockets and the Broker, on one
// io_context thread (the broker's). Reading pauses while the broker applies back-pressure;
// a client that does not read its messages fast enough (more than max_write_queue_bytes
// waiting) is disconnected instead of slowing anyone else down.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "mqtt/broker.hpp"

namespace boost::asio {
class io_context;
}

namespace kaiwu::mqtt {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 1883;
  std::size_t max_write_queue_bytes = 16u << 20;
  std::uint32_t connects_per_minute_per_address = 600;  // 0: unlimited
  // MQTTS on tls_port when a certificate chain and key (PEM) are given.
  std::uint16_t tls_port = 8883;
  std::string cert;
  std::string key;
  // Client certificates are always requested (optional) on MQTTS; with a CA bundle (PEM) here
  // they must also chain to it.
  std::string client_ca;
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Broker& broker);
  ~Server();
  Status start();  // binds and starts the accept loop and the broker's 1 s tick
  std::uint16_t port() const;
  std::uint16_t tls_port() const;  // 0 when TLS is off
  void stop();     // stops accepting and asks the broker to disconnect everyone
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kaiwu::mqtt
