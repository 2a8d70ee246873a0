// Signals: "something changed, look again" between the nodes of a cluster, over NATS core
// subjects kaiwu.signal.<topic> (at most once, no payload needed). A node that changes shared
// state (rule chains, APP subscriptions) in the metadata database raises the topic; the others
// run their handler at once instead of waiting for their slow safety-net poll. NoEcho: a node
// never receives its own signals (it has applied its change already).
//
// raise() never blocks (libnats buffers, also while reconnecting). Handlers run on a libnats
// thread and must not block: they wake a thread of their own.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "core/result.hpp"

namespace kaiwu::cluster {

class Signals {
 public:
  // servers: bus.nats_url (comma-separated); kUnavailable when no server answers.
  static Result<std::unique_ptr<Signals>> connect(const std::string& servers, const std::string& node_name,
                                                  MetricsRegistry& metrics);
  ~Signals();

  // topic: [a-z_]+. Subscribe before the work it triggers may be needed; handlers live until
  // the destructor (which unsubscribes and waits for running handlers).
  Status subscribe(const std::string& topic, std::function<void()> handler);
  void raise(const std::string& topic);

  struct Impl;

 private:
  explicit Signals(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::cluster
