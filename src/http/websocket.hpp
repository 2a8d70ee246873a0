// WebSocket endpoints on the HTTP server without Beast in the interface: the server accepts
// the upgrade on a registered path and talks to the application through these two objects.
// Used for MQTT over WebSocket (/mqtt) and the live feed (/api/v1/ws).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kaiwu::http {

// The accepted WebSocket, as the application sees it. Every method may be called from any
// thread (work is posted to the connection's own executor).
class WsPeer {
 public:
  virtual ~WsPeer() = default;
  virtual void send_binary(std::string bytes) = 0;
  virtual void send_text(std::string text) = 0;
  virtual void close() = 0;  // after what was sent
  // Closes now with a close code (RFC 6455 §7.4) and reason, dropping what is still queued; if
  // a write is stuck (the peer does not read) the connection is cut after a short grace period.
  virtual void close_now(std::uint16_t code, std::string reason) {
    (void)code;
    (void)reason;
    close();
  }
  // Messages given to send_* and not yet written to the socket (0 when not tracked).
  virtual std::size_t pending() const { return 0; }
  virtual void pause_reading(bool paused) = 0;
  virtual std::string remote() const = 0;
};

struct Request;

// The application's side of one WebSocket. Callbacks come from the HTTP io thread, in order.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_message(std::string_view data, bool binary) = 0;
  virtual void on_close() = 0;  // exactly once, after the last on_message
};

struct WsEndpoint {
  std::string path;         // e.g. "/mqtt"
  std::string subprotocol;  // echoed when the client offers it, e.g. "mqtt"; "" = none
  std::size_t max_message_bytes = 1 << 20;
  // Called once the WebSocket is open; returns the handler for its messages.
  std::function<std::shared_ptr<WsHandler>(std::shared_ptr<WsPeer> peer)> open;
  // Instead of open, when the handler needs the upgrade request (query, headers): a nullptr
  // result closes the WebSocket.
  std::function<std::shared_ptr<WsHandler>(std::shared_ptr<WsPeer> peer, const Request& upgrade)> open_request;
};

}  // namespace kaiwu::http
