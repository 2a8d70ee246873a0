#include "bus/in_process.hpp"

#include <array>
#include <mutex>
#include <vector>

#include "bus/local_queue.hpp"

namespace kaiwu::bus {

struct InProcessBus::Shared {
  std::mutex mu;
  // Copy-on-write list: publish takes the current snapshot under mu and fans out without it.
  std::shared_ptr<const std::vector<std::shared_ptr<LocalQueue>>> consumers =
      std::make_shared<const std::vector<std::shared_ptr<LocalQueue>>>();  // guarded by mu
  MetricsRegistry& metrics;
  std::array<Counter*, kKindCount> published{};

  explicit Shared(MetricsRegistry& m) : metrics(m) {
    for (std::size_t k = 0; k < kKindCount; ++k)
      published[k] = &m.counter("kaiwu_bus_published_total", "messages published on the bus",
                                {{"kind", std::string(kind_name(static_cast<Kind>(k)))}});
  }

  void remove(const LocalQueue* c) {
    std::lock_guard lock(mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<LocalQueue>>>();
    for (const auto& x : *consumers)
      if (x.get() != c) next->push_back(x);
    consumers = std::move(next);
  }
};

namespace {
class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::weak_ptr<InProcessBus::Shared> bus, std::shared_ptr<LocalQueue> consumer)
      : bus_(std::move(bus)), consumer_(std::move(consumer)) {}
  ~InProcessSubscription() override {
    if (auto bus = bus_.lock()) bus->remove(consumer_.get());
    consumer_->stop();
  }
  SubscriptionStats stats() const override { return consumer_->stats(); }

 private:
  std::weak_ptr<InProcessBus::Shared> bus_;
  std::shared_ptr<LocalQueue> consumer_;
};
}  // namespace

InProcessBus::InProcessBus(MetricsRegistry& metrics) : shared_(std::make_shared<Shared>(metrics)) {}

InProcessBus::~InProcessBus() = default;

void InProcessBus::publish(MessagePtr message) {
  if (!message) return;
  shared_->published[static_cast<std::size_t>(message->kind())]->inc();
  std::shared_ptr<const std::vector<std::shared_ptr<LocalQueue>>> snapshot;
  {
    std::lock_guard lock(shared_->mu);
    snapshot = shared_->consumers;
  }
  for (const auto& c : *snapshot)
    if (c->accepts(*message)) c->offer(message);
}

std::unique_ptr<Subscription> InProcessBus::subscribe(SubscribeOptions options, Handler handler) {
  if (options.name.empty()) options.name = "anonymous";
  if (options.capacity == 0) options.capacity = 1;
  auto consumer = std::make_shared<LocalQueue>(std::move(options), std::move(handler), shared_->metrics);
  consumer->start();
  {
    std::lock_guard lock(shared_->mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<LocalQueue>>>(*shared_->consumers);
    next->push_back(consumer);
    shared_->consumers = std::move(next);
  }
  return std::make_unique<InProcessSubscription>(shared_, std::move(consumer));
}

}  // namespace kaiwu::bus
