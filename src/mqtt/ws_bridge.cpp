#include "mqtt/ws_bridge.hpp"

#include <memory>

namespace kaiwu::mqtt {
namespace {

class WsLink final : public Link {
 public:
  explicit WsLink(std::shared_ptr<http::WsPeer> peer) : peer_(std::move(peer)) {}
  void send(std::string bytes) override { peer_->send_binary(std::move(bytes)); }
  void close() override { peer_->close(); }
  void pause_reading(bool paused) override { peer_->pause_reading(paused); }
  std::string remote() const override { return peer_->remote() + " (ws)"; }

 private:
  std::shared_ptr<http::WsPeer> peer_;
};

class Bridge final : public http::WsHandler {
 public:
  using Post = std::function<void(std::function<void()>)>;
  Bridge(Broker& broker, Post post, std::shared_ptr<http::WsPeer> peer)
      : broker_(broker), post_(std::move(post)), id_(std::make_shared<Broker::ConnId>(0)) {
    auto link = std::make_shared<WsLink>(std::move(peer));
    post_([&broker = broker_, id = id_, link] { *id = broker.attach(link); });
  }
  void on_message(std::string_view data, bool) override {
    post_([&broker = broker_, id = id_, bytes = std::string(data)] {
      broker.on_bytes(*id, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    });
  }
  void on_close() override {
    post_([&broker = broker_, id = id_] { broker.on_closed(*id); });
  }

 private:
  Broker& broker_;
  Post post_;
  std::shared_ptr<Broker::ConnId> id_;  // written and read on the broker's thread only
};

}  // namespace

http::WsEndpoint websocket_endpoint(Broker& broker, std::function<void(std::function<void()>)> post_to_broker,
                                    std::string path, std::size_t max_message_bytes) {
  http::WsEndpoint e;
  e.path = std::move(path);
  e.subprotocol = "mqtt";
  e.max_message_bytes = max_message_bytes;
  e.open = [&broker, post = std::move(post_to_broker)](std::shared_ptr<http::WsPeer> peer) {
    return std::make_shared<Bridge>(broker, post, std::move(peer));
  };
  return e;
}

}  // namespace kaiwu::mqtt
