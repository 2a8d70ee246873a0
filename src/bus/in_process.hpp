// The embedded Bus: fan-out inside one process. Each subscription owns a bounded queue drained
// by its own thread, or by tasks posted to the executor it supplied (one drain task at a time,
// so delivery stays in order even on a multi-threaded executor).
//
// Metrics: kaiwu_bus_published_total{kind}, kaiwu_bus_delivered_total{subscriber},
// kaiwu_bus_dropped_total{subscriber}, kaiwu_bus_critical_dropped_total{subscriber},
// kaiwu_bus_queued{subscriber} (gauge).
#pragma once

#include <memory>

#include "bus/bus.hpp"
#include "core/metrics.hpp"

namespace kaiwu::bus {

class InProcessBus final : public Bus {
 public:
  explicit InProcessBus(MetricsRegistry& metrics);
  // Subscriptions may outlive the bus (they stop receiving); destroy them before the objects
  // their handlers use.
  ~InProcessBus() override;

  void publish(MessagePtr message) override;
  using Bus::publish;
  std::unique_ptr<Subscription> subscribe(SubscribeOptions options, Handler handler) override;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace kaiwu::bus
