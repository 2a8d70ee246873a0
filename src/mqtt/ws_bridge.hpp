// MQTT over WebSocket (MQTT 5.0 §6): an HTTP WebSocket endpoint (subprotocol "mqtt", binary
// frames) whose connections are fed to the broker like TCP ones. The HTTP server and the broker
// run on different threads: bytes and closes are posted to the broker's thread in order.
#pragma once

#include <functional>
#include <string>

#include "http/websocket.hpp"
#include "mqtt/broker.hpp"

namespace kaiwu::mqtt {

http::WsEndpoint websocket_endpoint(Broker& broker, std::function<void(std::function<void()>)> post_to_broker,
                                    std::string path = "/mqtt", std::size_t max_message_bytes = 1 << 20);

}  // namespace kaiwu::mqtt
