#include "rules/engine.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <variant>

namespace kaiwu::rules {

namespace {

struct TickTask {};
using Task = std::variant<Message, TickTask>;

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct RuleEngine::Impl {
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Task> queue;  // guarded by mu
    bool stopping = false;   // guarded by mu
    std::thread thread;
  };

  Actions& actions;
  EngineOptions options;
  Clock clock;
  Counter& processed;
  Counter& dropped;
  Counter& failures;
  Gauge& queued;
  Gauge& chains_gauge;

  mutable std::shared_mutex chains_mu;
  // tenant → chain id → chain; guarded by chains_mu
  std::unordered_map<std::string, std::map<std::string, std::shared_ptr<Chain>>> chains;

  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<bool> stopped{false};
  std::mutex inline_mu;      // serialises the inline sandbox
  Sandbox inline_sandbox;    // for process() and workers == 0; guarded by inline_mu

  Impl(Actions& a, MetricsRegistry& m, EngineOptions o, Clock c)
      : actions(a),
        options(o),
        clock(c ? std::move(c) : Clock(system_ms)),
        processed(m.counter("kaiwu_rules_messages_total", "messages run through rule chains")),
        dropped(m.counter("kaiwu_rules_dropped_total", "messages dropped because the rule queue was full")),
        failures(m.counter("kaiwu_rules_node_failures_total", "rule node executions that failed")),
        queued(m.gauge("kaiwu_rules_queued", "messages waiting for the rule engine")),
        chains_gauge(m.gauge("kaiwu_rules_chains", "enabled rule chains")),
        inline_sandbox(o.limits, clock) {}

  std::vector<std::pair<std::string, std::shared_ptr<Chain>>> chains_of(const std::string& tenant) const {
    std::shared_lock lock(chains_mu);
    std::vector<std::pair<std::string, std::shared_ptr<Chain>>> out;
    auto it = chains.find(tenant);
    if (it == chains.end()) return out;
    out.assign(it->second.begin(), it->second.end());
    return out;
  }

  std::vector<std::pair<std::string, std::shared_ptr<Chain>>> all_chains() const {
    std::shared_lock lock(chains_mu);
    std::vector<std::pair<std::string, std::shared_ptr<Chain>>> out;
    for (const auto& [tenant, list] : chains) out.insert(out.end(), list.begin(), list.end());
    return out;
  }

  void run(const Task& task, Sandbox& sandbox) {
    if (const auto* msg_in = std::get_if<Message>(&task)) {
      const auto list = chains_of(msg_in->tenant_id);
      const Message* msg = msg_in;
      Message prepared;
      if (!list.empty() && options.prepare) {
        prepared = *msg_in;
        if (!options.prepare(prepared)) {
          processed.inc();
          return;
        }
        msg = &prepared;
      }
      for (auto& [id, chain] : list) {
        NodeContext ctx{actions, sandbox, clock(), id};
        run_chain(*chain, *msg, ctx, false);
        if (ctx.failures) failures.inc(ctx.failures);
      }
      processed.inc();
      return;
    }
    for (auto& [id, chain] : all_chains()) {
      NodeContext ctx{actions, sandbox, clock(), id};
      tick_chain(*chain, ctx, false);
      if (ctx.failures) failures.inc(ctx.failures);
    }
  }

  void worker_loop(Worker& w) {
    Sandbox sandbox(options.limits, clock);
    for (;;) {
      Task task;
      {
        std::unique_lock lock(w.mu);
        w.cv.wait(lock, [&] { return w.stopping || !w.queue.empty(); });
        if (w.queue.empty()) return;
        task = std::move(w.queue.front());
        w.queue.pop_front();
      }
      queued.add(-1);
      run(task, sandbox);
    }
  }

  bool enqueue(std::size_t index, Task task) {
    Worker& w = *workers[index];
    {
      std::lock_guard lock(w.mu);
      if (w.stopping || w.queue.size() >= options.queue_capacity) {
        dropped.inc();
        return false;
      }
      w.queue.push_back(std::move(task));
    }
    queued.add(1);
    w.cv.notify_one();
    return true;
  }

  void run_inline(const Task& task) {
    std::lock_guard lock(inline_mu);
    run(task, inline_sandbox);
  }
};

RuleEngine::RuleEngine(Actions& actions, MetricsRegistry& metrics, EngineOptions options, Clock clock)
    : impl_(std::make_unique<Impl>(actions, metrics, options, std::move(clock))) {
  for (unsigned i = 0; i < options.workers; ++i) impl_->workers.push_back(std::make_unique<Impl::Worker>());
  for (auto& w : impl_->workers) {
    Impl::Worker* worker = w.get();
    Impl* impl = impl_.get();
    w->thread = std::thread([impl, worker] { impl->worker_loop(*worker); });
  }
}

RuleEngine::~RuleEngine() { stop(); }

void RuleEngine::set_chain(const std::string& tenant, const std::string& chain_id,
                           std::shared_ptr<Chain> chain) {
  if (!chain) {
    remove_chain(tenant, chain_id);
    return;
  }
  std::unique_lock lock(impl_->chains_mu);
  impl_->chains[tenant][chain_id] = std::move(chain);
  std::size_t n = 0;
  for (const auto& [t, list] : impl_->chains) n += list.size();
  impl_->chains_gauge.set(static_cast<double>(n));
}

void RuleEngine::remove_chain(const std::string& tenant, const std::string& chain_id) {
  std::unique_lock lock(impl_->chains_mu);
  if (auto it = impl_->chains.find(tenant); it != impl_->chains.end()) {
    it->second.erase(chain_id);
    if (it->second.empty()) impl_->chains.erase(it);
  }
  std::size_t n = 0;
  for (const auto& [t, list] : impl_->chains) n += list.size();
  impl_->chains_gauge.set(static_cast<double>(n));
}

std::size_t RuleEngine::chain_count() const {
  std::shared_lock lock(impl_->chains_mu);
  std::size_t n = 0;
  for (const auto& [t, list] : impl_->chains) n += list.size();
  return n;
}

bool RuleEngine::submit(Message msg) {
  if (impl_->stopped) {
    impl_->dropped.inc();
    return false;
  }
  if (impl_->workers.empty()) {
    impl_->run_inline(Task(std::move(msg)));
    return true;
  }
  const std::size_t index = std::hash<std::string>{}(msg.device_id) % impl_->workers.size();
  return impl_->enqueue(index, Task(std::move(msg)));
}

void RuleEngine::tick() {
  if (impl_->stopped) return;
  if (impl_->workers.empty()) {
    impl_->run_inline(Task(TickTask{}));
    return;
  }
  (void)impl_->enqueue(0, Task(TickTask{}));
}

void RuleEngine::process(const Message& msg) { impl_->run_inline(Task(msg)); }
void RuleEngine::process_tick() { impl_->run_inline(Task(TickTask{})); }

void RuleEngine::stop() {
  if (impl_->stopped.exchange(true)) return;
  for (auto& w : impl_->workers) {
    {
      std::lock_guard lock(w->mu);
      w->stopping = true;
    }
    w->cv.notify_all();
  }
  for (auto& w : impl_->workers)
    if (w->thread.joinable()) w->thread.join();
}

RuleEngine::Stats RuleEngine::stats() const {
  Stats s;
  s.processed = impl_->processed.value();
  s.dropped = impl_->dropped.value();
  s.failures = impl_->failures.value();
  for (const auto& w : impl_->workers) {
    std::lock_guard lock(w->mu);
    s.queued += w->queue.size();
  }
  return s;
}

}  // namespace kaiwu::rules
