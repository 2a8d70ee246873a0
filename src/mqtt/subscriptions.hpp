// A topic tree of subscriptions for one tenant (MQTT 5.0 §4.7 matching, §4.8.2 shared
// subscriptions). Keys are session keys; options are whatever the broker stores per
// subscription.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/packets.hpp"

namespace kaiwu::mqtt {

struct SubOptions {
  QoS qos = QoS::k0;
  bool no_local = false;
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::kSendAtSubscribe;
  std::uint32_t subscription_id = 0;  // 0: none
};

class SubscriptionTree {
 public:
  SubscriptionTree();
  ~SubscriptionTree();
  // filter may be "$share/{group}/{filter}". Returns true when the subscription is new.
  bool add(std::string_view filter, const std::string& session, const SubOptions& options);
  bool remove(std::string_view filter, const std::string& session);
  std::size_t size() const { return count_; }

  // Calls fn(session, options) for every non-shared subscription matching topic, and
  // pick(group members) once per matching shared group: pick chooses who gets it.
  using Visit = std::function<void(const std::string& session, const SubOptions& options)>;
  using Pick = std::function<const std::string*(const std::map<std::string, SubOptions>& members)>;
  void match(std::string_view topic, const Visit& fn, const Pick& pick) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
};

}  // namespace kaiwu::mqtt
