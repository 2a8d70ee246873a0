// The edge's uplink: an MQTT client (MQTT 5.0 on the wire, so a PUBACK carries a reason code)
// speaking the ThingsBoard gateway API to a Kaiwu platform (or any ThingsBoard-compatible one).
//
// Session state machine (one coroutine, on the executor given at construction):
//
//   idle ─▶ connecting (TCP, TLS, CONNECT/CONNACK, SUBSCRIBE v1/gateway/rpc + subscriptions,
//                       session events)
//     ▲          │ ok                                   │ error
//     │          ▼                                      ▼
//     └── backoff (0.5 s doubling to 30 s) ◀── online: send queue records (QoS 1, window of
//                                              max_inflight), events, PINGREQ; read PUBACKs, RPCs
//
// Records leave the forward queue only when their PUBACK arrives (in order: the cursor moves
// over the acknowledged prefix). A PUBACK with 0x99 Payload Format Invalid or 0x95 Packet Too
// Large drops that record (counted as rejected); any other error ends the session and the
// record is sent again after the backoff.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edge/config.hpp"
#include "edge/forward_queue.hpp"

namespace kaiwu::edge {

inline constexpr const char* kTelemetryTopic = "v1/gateway/telemetry";
inline constexpr const char* kConnectTopic = "v1/gateway/connect";
inline constexpr const char* kDisconnectTopic = "v1/gateway/disconnect";
inline constexpr const char* kAttributesTopic = "v1/gateway/attributes";
inline constexpr const char* kRpcTopic = "v1/gateway/rpc";
// The gateway device's own attributes (ThingsBoard device API): shared ones arrive here, client
// ones are published here; requests go to …/request/<n>, answers come on …/response/<n>.
inline constexpr const char* kSelfAttributesTopic = "v1/devices/me/attributes";

struct UplinkStats {
  bool connected = false;
  std::uint64_t sessions = 0;         // successful CONNACKs
  std::uint64_t connect_failures = 0;
  std::uint64_t published = 0;        // record PUBLISHes sent (resends included)
  std::uint64_t acked = 0;            // record PUBACKs received
  std::uint64_t rejected = 0;         // records the platform refused as malformed (dropped)
  std::uint64_t events_dropped = 0;   // connect/disconnect/attributes while offline or over the bound
  std::uint64_t rpc_requests = 0;
  std::string last_error;
};

class Uplink {
 public:
  struct Hooks {
    // (topic, payload) pairs sent first in every session (gateway connect of each device).
    std::function<std::vector<std::pair<std::string, std::string>>()> on_session;
    // The payload of a PUBLISH on v1/gateway/rpc (a server-side RPC to a device behind us).
    std::function<void(std::string)> on_rpc;
    // A PUBLISH on another subscribed topic (UplinkConfig::subscriptions): (topic, payload).
    std::function<void(std::string, std::string)> on_message;
  };

  Uplink(boost::asio::any_io_executor executor, UplinkConfig config, ForwardQueue& queue, Hooks hooks);
  ~Uplink();

  // Starts the session loop. Call once, from any thread.
  void start();
  // Ends the session (DISCONNECT if online) and the loop; the queue keeps what was not acked.
  void stop();
  // New records were appended to the queue. Any thread.
  void wake();
  // Sends a QoS 1 message outside the queue (gateway connect/disconnect, attributes, RPC
  // replies) if online; dropped and counted otherwise (at most 1,000 wait). Any thread.
  void send_event(std::string topic, std::string payload);

  UplinkStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kaiwu::edge
