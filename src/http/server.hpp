// HTTP/1.1 server on Boost.Beast with C++20 coroutines: keep-alive, body-size limit (413),
// header and idle timeouts, HTTPS on its own port when a certificate is configured, a request
// id on every response and log line, Prometheus metrics, graceful shutdown.
//
// Network I/O runs on the io_context the caller owns; handlers run on the server's own pool of
// http.threads threads so blocking work (SQLite) never stalls the event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "http/websocket.hpp"

namespace boost::asio {
class io_context;
}

namespace kaiwu::http {

class Server {
 public:
  Server(boost::asio::io_context& io, const HttpConfig& config, const Router& router,
         MetricsRegistry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the plain port and, with a certificate, the TLS port; starts accepting.
  // kIo when a port is taken, kInvalidArgument when the certificate cannot be loaded.
  Status start();

  std::uint16_t port() const;      // bound plain port
  std::uint16_t tls_port() const;  // bound TLS port, 0 when TLS is off

  // Stops accepting, closes idle keep-alive connections and marks responses in flight
  // "Connection: close". Returns at once; the caller waits for in_flight() to reach zero (with a
  // grace period) before stopping the io_context. Call from the io_context's thread.
  void stop();
  // Requests being handled right now.
  int in_flight() const;

  // Serves WebSocket upgrades on endpoint.path (call before start()).
  void add_websocket(WsEndpoint endpoint);

  struct Impl;  // defined in server.cpp; public only so its session coroutines can name it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kaiwu::http
