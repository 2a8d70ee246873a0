// NatsBus subscriptions: fan-out (ordered consumers into a local queue) and consumer groups
// (durable pull consumers, one per stream partition). See nats_bus.hpp.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bus/codec.hpp"
#include "bus/local_queue.hpp"
#include "bus/nats_impl.hpp"

namespace kaiwu::bus {

namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kNsPerMs = 1'000'000;

Result<MessagePtr> decode(natsMsg* msg) {
  const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(msg));
  auto m = decode_message({data, static_cast<std::size_t>(natsMsg_GetDataLength(msg))});
  if (!m) return std::unexpected(m.error());
  return std::make_shared<const Message>(std::move(*m));
}

// ---- fan-out ----------------------------------------------------------------------------

// Owned by libnats' delivery thread until the subscription completes (on_fanout_complete).
struct FanoutTarget {
  std::shared_ptr<LocalQueue> queue;
};

void on_fanout_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* target = static_cast<FanoutTarget*>(closure);
  auto m = decode(msg);
  natsMsg_Destroy(msg);
  if (!m) {
    spdlog::warn("bus: undecodable message skipped: {}", m.error().message);
    return;
  }
  if (target->queue->accepts(**m)) target->queue->offer(*m);
}

void on_fanout_complete(void* closure) { delete static_cast<FanoutTarget*>(closure); }

class FanoutSubscription final : public Subscription {
 public:
  FanoutSubscription(std::shared_ptr<NatsBus::Impl> impl, std::shared_ptr<LocalQueue> queue)
      : impl_(std::move(impl)), queue_(std::move(queue)) {}

  ~FanoutSubscription() override {
    for (auto* s : subs_) natsSubscription_Unsubscribe(s);
    queue_->stop();
    for (auto* s : subs_) natsSubscription_Destroy(s);
  }

  // One ordered consumer on `stream` for subjects matching `filter`.
  Status add(const std::string& stream, const std::string& filter) {
    auto* target = new FanoutTarget{queue_};
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_Subscribe(&sub, impl_->js, filter.c_str(), on_fanout_msg, target, nullptr, &so, &jerr);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, on_fanout_complete, target);
    if (s != NATS_OK) {
      if (sub) natsSubscription_Destroy(sub);
      else delete target;
      return fail(Errc::kUnavailable, nats_error(s, fmt::format("ordered consumer on {}", filter).c_str()));
    }
    subs_.push_back(sub);
    return ok();
  }

  SubscriptionStats stats() const override { return queue_->stats(); }

 private:
  std::shared_ptr<NatsBus::Impl> impl_;
  std::shared_ptr<LocalQueue> queue_;
  std::vector<natsSubscription*> subs_;
};

// ---- consumer groups ----------------------------------------------------------------------

struct Partition {
  std::string stream;
  std::string durable;
  std::string filter;
  natsSubscription* sub = nullptr;  // this partition's thread only (and the destructor after join)
  std::uint64_t last_acked = 0;     // stream sequence; this partition's thread only
  bool warned = false;              // a bind failure was logged (once until it binds again)
  std::atomic<std::uint64_t> pending{0};
  std::thread thread;
};

// A handler run posted to the subscriber's executor, awaited by a partition thread.
struct PostedRun {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;    // guarded by mu
  bool finished = false;   // guarded by mu
  bool cancelled = false;  // guarded by mu
};

class GroupSubscription final : public Subscription {
 public:
  GroupSubscription(std::shared_ptr<NatsBus::Impl> impl, SubscribeOptions options, Handler handler)
      : impl_(std::move(impl)),
        options_(std::move(options)),
        handler_(std::make_shared<Handler>(std::move(handler))),
        delivered_metric_(impl_->metrics.counter("kaiwu_bus_delivered_total", "bus messages handled by a subscriber",
                                                 {{"subscriber", options_.name}})),
        redelivered_metric_(impl_->metrics.counter("kaiwu_bus_redelivered_total",
                                                   "bus messages NATS delivered again (unacknowledged in time)",
                                                   {{"subscriber", options_.name}})),
        pending_metric_(impl_->metrics.gauge("kaiwu_bus_consumer_pending",
                                             "bus messages waiting in the stream for a consumer group",
                                             {{"subscriber", options_.name}})) {
    auto prefix = subject_token(options_.group);
    if (!options_.tenant.empty()) prefix += "-" + subject_token(options_.tenant);
    for (const auto& [spec, kind] : stream_plan(options_)) {
      for (unsigned p = 0; p < impl_->options.partitions; ++p) {
        auto part = std::make_unique<Partition>();
        part->stream = spec->name;
        part->durable = fmt::format("{}-{}-{}", prefix, kind_name(kind), p);
        part->filter = filter_subject(options_.tenant, kind_name(kind), static_cast<int>(p));
        parts_.push_back(std::move(part));
      }
    }
  }

  // Starts the partition threads; each binds its consumer first (in parallel: a replicated
  // consumer takes a raft round to create). Returns once every partition has tried once, so
  // messages published after subscribe() are this group's; failed ones keep retrying.
  void start() {
    for (auto& part : parts_) part->thread = std::thread([this, p = part.get()] { run(*p); });
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait_for(lock, std::chrono::seconds(15), [this] { return tried_ == parts_.size(); });
  }

  ~GroupSubscription() override {
    {
      std::lock_guard lock(stop_mu_);
      stopped_ = true;
    }
    stop_cv_.notify_all();
    for (auto& part : parts_)
      if (part->thread.joinable()) part->thread.join();
    // Bound to durable consumers it did not create, libnats leaves them on the server.
    for (auto& part : parts_) natsSubscription_Destroy(part->sub);
  }

  SubscriptionStats stats() const override {
    std::size_t pending = 0;
    for (const auto& part : parts_) pending += part->pending.load(std::memory_order_relaxed);
    return {delivered_.load(), 0, pending};
  }

 private:
  bool stopping() {
    std::lock_guard lock(stop_mu_);
    return stopped_;
  }
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait_for(lock, d, [this] { return stopped_; });
  }

  bool bind(Partition& part) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = part.durable.c_str();
    cc.FilterSubject = part.filter.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = impl_->options.ack_wait_ms * kNsPerMs;
    cc.MaxAckPending = 1;  // per-device order: one message of the partition in flight
    cc.DeliverPolicy = js_DeliverNew;
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddConsumer(&ci, impl_->js, part.stream.c_str(), &cc, nullptr, &jerr);
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK && !part.warned)  // e.g. it exists with other settings: bind to it anyway, say so
      spdlog::warn("bus: {}", nats_error(s, fmt::format("consumer {}", part.durable).c_str()));

    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = part.stream.c_str();
    so.Consumer = part.durable.c_str();
    s = js_PullSubscribe(&part.sub, impl_->js, part.filter.c_str(), part.durable.c_str(), nullptr, &so, &jerr);
    if (s == NATS_OK) {
      part.warned = false;
      return true;
    }
    if (!part.warned) spdlog::warn("bus: {} (retrying)", nats_error(s, fmt::format("bind {}", part.durable).c_str()));
    part.warned = true;
    part.sub = nullptr;
    return false;
  }

  void run(Partition& part) {
    bind(part);
    {
      std::lock_guard lock(stop_mu_);
      ++tried_;
    }
    stop_cv_.notify_all();
    while (!stopping()) {
      if (!part.sub && !bind(part)) {
        pause(500ms);
        continue;
      }
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, part.sub, 1, impl_->options.fetch_wait_ms, &jerr);
      if (s == NATS_OK) {
        for (int i = 0; i < list.Count; ++i) handle(part, list.Msgs[i]);
        natsMsgList_Destroy(&list);
        continue;
      }
      natsMsgList_Destroy(&list);
      if (s == NATS_TIMEOUT) continue;
      if (s == NATS_NOT_FOUND || s == NATS_INVALID_SUBSCRIPTION) {  // consumer gone: recreate it
        natsSubscription_Destroy(part.sub);
        part.sub = nullptr;
      }
      pause(100ms);
    }
  }

  void handle(Partition& part, natsMsg* msg) {
    jsMsgMetaData* meta = nullptr;
    std::uint64_t seq = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      seq = meta->Sequence.Stream;
      part.pending.store(meta->NumPending, std::memory_order_relaxed);
      if (meta->NumDelivered > 1) redelivered_metric_.inc();
      jsMsgMetaData_Destroy(meta);
      update_pending();
    }
    if (seq != 0 && seq <= part.last_acked) {  // acked here already; that ack was lost
      natsMsg_Ack(msg, nullptr);
      return;
    }
    auto m = decode(msg);
    bool handled = true;
    if (m)
      handled = run_handler(*m);
    else
      spdlog::warn("bus: {} skipped an undecodable message: {}", options_.name, m.error().message);
    if (!handled) return;  // stopping: unacked, so another member gets it
    natsMsg_Ack(msg, nullptr);
    part.last_acked = seq;
  }

  void update_pending() {
    double sum = 0;
    for (const auto& p : parts_) sum += static_cast<double>(p->pending.load(std::memory_order_relaxed));
    pending_metric_.set(sum);
  }

  static void call(const Handler& h, const MessagePtr& m, const std::string& name) {
    try {
      h(m);
    } catch (const std::exception& e) {
      spdlog::error("bus: subscriber {} threw: {}", name, e.what());
    } catch (...) {
      spdlog::error("bus: subscriber {} threw", name);
    }
  }

  // One handler at a time per subscription. False when stopping before the handler ran.
  bool run_handler(const MessagePtr& m) {
    std::lock_guard lock(handler_mu_);
    if (stopping()) return false;
    if (options_.post) {
      if (!run_posted(m)) return false;
    } else {
      call(*handler_, m, options_.name);
    }
    delivered_.fetch_add(1);
    delivered_metric_.inc();
    return true;
  }

  bool run_posted(const MessagePtr& m) {
    auto run = std::make_shared<PostedRun>();
    options_.post([run, h = handler_, m, name = options_.name] {
      {
        std::lock_guard lock(run->mu);
        if (run->cancelled) return;
        run->started = true;
      }
      call(*h, m, name);
      std::lock_guard lock(run->mu);
      run->finished = true;
      run->cv.notify_all();
    });
    std::unique_lock lock(run->mu);
    while (!run->finished) {
      run->cv.wait_for(lock, 50ms);
      if (!run->started && !run->finished && stopping()) {
        run->cancelled = true;
        return false;
      }
    }
    return true;
  }

  std::shared_ptr<NatsBus::Impl> impl_;
  SubscribeOptions options_;
  std::shared_ptr<Handler> handler_;
  Counter& delivered_metric_;
  Counter& redelivered_metric_;
  Gauge& pending_metric_;
  std::vector<std::unique_ptr<Partition>> parts_;
  std::mutex handler_mu_;  // one handler at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;  // guarded by stop_mu_
  std::size_t tried_ = 0;  // partitions that tried to bind once; guarded by stop_mu_
  std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace

std::unique_ptr<Subscription> subscribe_fanout(std::shared_ptr<NatsBus::Impl> impl, SubscribeOptions options,
                                               Handler handler) {
  auto plan = stream_plan(options);
  auto tenant = options.tenant;
  auto queue = std::make_shared<LocalQueue>(std::move(options), std::move(handler), impl->metrics);
  queue->start();
  auto sub = std::make_unique<FanoutSubscription>(impl, std::move(queue));
  for (const auto& [spec, kind] : plan) {
    auto filter = filter_subject(tenant, kind_name(kind), -1);
    // Retried briefly: right after a server loss the stream may have no leader for a moment.
    Status st = sub->add(spec->name, filter);
    for (int attempt = 0; !st && attempt < 20; ++attempt) {
      std::this_thread::sleep_for(250ms);
      st = sub->add(spec->name, filter);
    }
    if (!st) spdlog::error("bus: fan-out subscription gets no {}: {}", filter, st.error().message);
  }
  return sub;
}

std::unique_ptr<Subscription> subscribe_group(std::shared_ptr<NatsBus::Impl> impl, SubscribeOptions options,
                                              Handler handler) {
  auto sub = std::make_unique<GroupSubscription>(std::move(impl), std::move(options), std::move(handler));
  sub->start();
  return sub;
}

}  // namespace kaiwu::bus
