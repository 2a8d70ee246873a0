#include "bus/in_process.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace kaiwu::bus {

namespace {

// One subscription's queue and consumer.
class Consumer : public std::enable_shared_from_this<Consumer> {
 public:
  Consumer(SubscribeOptions options, Handler handler, MetricsRegistry& m)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        delivered_metric_(m.counter("kaiwu_bus_delivered_total", "bus messages handled by a subscriber",
                                    {{"subscriber", options_.name}})),
        dropped_metric_(m.counter("kaiwu_bus_dropped_total", "bus messages dropped because a subscriber's queue was full",
                                  {{"subscriber", options_.name}})),
        critical_metric_(m.counter("kaiwu_bus_critical_dropped_total",
                                   "bus messages dropped for a critical subscriber (alert on this)",
                                   {{"subscriber", options_.name}})),
        queued_metric_(m.gauge("kaiwu_bus_queued", "bus messages waiting for a subscriber", {{"subscriber", options_.name}})) {}

  void start() {
    if (!options_.post) thread_ = std::thread([self = shared_from_this()] { self->run_thread(); });
  }

  bool accepts(const Message& m) const {
    return options_.wants(m.kind()) && (options_.tenant.empty() || options_.tenant == m.tenant());
  }

  void offer(const MessagePtr& m) {
    bool schedule = false;
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      if (queue_.size() >= options_.capacity) {
        drop();
        return;
      }
      queue_.push_back(m);
      queued_metric_.add(1);
      if (options_.post && !draining_) schedule = draining_ = true;
      wake = queue_.size() == 1;  // the consumer thread waits only on an empty queue
    }
    if (options_.post)
      schedule_drain(schedule);
    else if (wake)
      cv_.notify_one();
  }

  // After this returns the handler is not running and never runs again.
  void stop() {
    {
      std::unique_lock lock(mu_);
      stopped_ = true;
      queued_metric_.add(-static_cast<double>(queue_.size()));
      queue_.clear();
      cv_.notify_all();
      idle_cv_.wait(lock, [this] { return !running_handler_; });
    }
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();
      else
        thread_.join();
    }
  }

  SubscriptionStats stats() const {
    std::lock_guard lock(mu_);
    return {delivered_, dropped_, queue_.size()};
  }

 private:
  void drop() {  // mu_ held
    ++dropped_;
    dropped_metric_.inc();
    if (!options_.critical) return;
    critical_metric_.inc();
    if (dropped_ == 1 || dropped_ % 10'000 == 0)
      spdlog::error("bus: critical subscriber {} fell behind; {} messages dropped so far", options_.name, dropped_);
  }

  // Takes the next message and marks the handler running; nullptr when stopped or empty.
  MessagePtr take(std::unique_lock<std::mutex>& lock) {
    if (stopped_ || queue_.empty()) return nullptr;
    MessagePtr m = std::move(queue_.front());
    queue_.pop_front();
    queued_metric_.add(-1);
    running_handler_ = true;
    lock.unlock();
    return m;
  }

  void handle(const MessagePtr& m) {
    try {
      handler_(m);
    } catch (const std::exception& e) {
      spdlog::error("bus: subscriber {} threw: {}", options_.name, e.what());
    } catch (...) {
      spdlog::error("bus: subscriber {} threw", options_.name);
    }
    delivered_metric_.inc();
    std::lock_guard lock(mu_);
    ++delivered_;
    running_handler_ = false;
    idle_cv_.notify_all();
  }

  void run_thread() {
    while (true) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      auto m = take(lock);
      handle(m);
    }
  }

  void schedule_drain(bool schedule) {
    if (!schedule) return;
    options_.post([self = shared_from_this()] { self->drain_some(); });
  }

  // Posted mode: handle a bounded number of messages, then yield the executor.
  void drain_some() {
    for (int i = 0; i < 64; ++i) {
      std::unique_lock lock(mu_);
      auto m = take(lock);
      if (!m) {
        draining_ = false;
        return;
      }
      handle(m);
    }
    schedule_drain(true);
  }

  SubscribeOptions options_;
  Handler handler_;
  Counter& delivered_metric_;
  Counter& dropped_metric_;
  Counter& critical_metric_;
  Gauge& queued_metric_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // queue_ or stopped_ changed
  std::condition_variable idle_cv_;  // running_handler_ became false
  std::deque<MessagePtr> queue_;     // guarded by mu_
  bool stopped_ = false;             // guarded by mu_
  bool draining_ = false;            // posted mode: a drain task is scheduled; guarded by mu_
  bool running_handler_ = false;     // guarded by mu_
  std::uint64_t delivered_ = 0;      // guarded by mu_
  std::uint64_t dropped_ = 0;        // guarded by mu_
};

}  // namespace

struct InProcessBus::Shared {
  std::mutex mu;
  // Copy-on-write list: publish takes the current snapshot under mu and fans out without it.
  std::shared_ptr<const std::vector<std::shared_ptr<Consumer>>> consumers =
      std::make_shared<const std::vector<std::shared_ptr<Consumer>>>();  // guarded by mu
  MetricsRegistry& metrics;
  std::array<Counter*, kKindCount> published{};

  explicit Shared(MetricsRegistry& m) : metrics(m) {
    for (std::size_t k = 0; k < kKindCount; ++k)
      published[k] = &m.counter("kaiwu_bus_published_total", "messages published on the bus",
                                {{"kind", std::string(kind_name(static_cast<Kind>(k)))}});
  }

  void remove(const Consumer* c) {
    std::lock_guard lock(mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Consumer>>>();
    for (const auto& x : *consumers)
      if (x.get() != c) next->push_back(x);
    consumers = std::move(next);
  }
};

namespace {
class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::weak_ptr<InProcessBus::Shared> bus, std::shared_ptr<Consumer> consumer)
      : bus_(std::move(bus)), consumer_(std::move(consumer)) {}
  ~InProcessSubscription() override {
    if (auto bus = bus_.lock()) bus->remove(consumer_.get());
    consumer_->stop();
  }
  SubscriptionStats stats() const override { return consumer_->stats(); }

 private:
  std::weak_ptr<InProcessBus::Shared> bus_;
  std::shared_ptr<Consumer> consumer_;
};
}  // namespace

InProcessBus::InProcessBus(MetricsRegistry& metrics) : shared_(std::make_shared<Shared>(metrics)) {}

InProcessBus::~InProcessBus() = default;

void InProcessBus::publish(MessagePtr message) {
  if (!message) return;
  shared_->published[static_cast<std::size_t>(message->kind())]->inc();
  std::shared_ptr<const std::vector<std::shared_ptr<Consumer>>> snapshot;
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
  auto consumer = std::make_shared<Consumer>(std::move(options), std::move(handler), shared_->metrics);
  consumer->start();
  {
    std::lock_guard lock(shared_->mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Consumer>>>(*shared_->consumers);
    next->push_back(consumer);
    shared_->consumers = std::move(next);
  }
  return std::make_unique<InProcessSubscription>(shared_, std::move(consumer));
}

}  // namespace kaiwu::bus
