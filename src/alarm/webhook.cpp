#include "alarm/webhook.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "alarm/alarm_json.hpp"
#include "alarm/http_client.hpp"
#include "core/ids.hpp"

namespace kaiwu::alarm {

using Clock = std::chrono::steady_clock;

struct WebhookNotifier::Impl {
  struct Delivery {
    std::string target_id;
    HttpPost request;
    int attempt = 0;
    std::chrono::milliseconds backoff{0};
  };

  meta::MetadataStore& store;
  WebhookOptions options;
  Counter& sent;
  Counter& failed;
  Counter& dropped;
  Counter& retries;

  std::mutex mu;
  std::condition_variable cv;
  std::multimap<Clock::time_point, Delivery> due;  // guarded by mu
  bool stopping = false;                           // guarded by mu
  std::thread worker;
  std::unique_ptr<bus::Subscription> subscription;

  Impl(meta::MetadataStore& s, MetricsRegistry& m, WebhookOptions o)
      : store(s),
        options(o),
        sent(m.counter("kaiwu_webhook_deliveries_total", "alarm webhook deliveries", {{"result", "sent"}})),
        failed(m.counter("kaiwu_webhook_deliveries_total", "alarm webhook deliveries", {{"result", "failed"}})),
        dropped(m.counter("kaiwu_webhook_deliveries_total", "alarm webhook deliveries", {{"result", "dropped"}})),
        retries(m.counter("kaiwu_webhook_retries_total", "alarm webhook attempts repeated after a failure")) {}

  void schedule(Delivery d, Clock::time_point when) {
    std::lock_guard lock(mu);
    if (stopping) return;
    if (due.size() >= options.queue_capacity) {
      dropped.inc();
      spdlog::warn("webhook queue full: dropped a delivery to {}", d.request.url);
      return;
    }
    due.emplace(when, std::move(d));
    cv.notify_one();
  }

  // Bus subscriber thread: one delivery per enabled target of the alarm's tenant.
  void on_event(const bus::MessagePtr& m) {
    const auto* ev = std::get_if<bus::AlarmEvent>(&m->payload);
    if (!ev) return;
    auto targets = store.list_notification_targets(meta::Scope::tenant(ev->alarm.tenant_id), meta::Page{1000, {}, 0});
    if (!targets) {
      spdlog::warn("webhooks: targets of tenant {}: {}", ev->alarm.tenant_id, targets.error().message);
      return;
    }
    if (targets->items.empty()) return;
    boost::json::object body{{"event", "alarm." + std::string(bus::alarm_change_name(ev->change))},
                             {"ts", now_ms()},
                             {"alarm", to_json(ev->alarm)}};
    std::string text = boost::json::serialize(body);
    for (const auto& t : targets->items) {
      if (!t.enabled) continue;
      Delivery d;
      d.target_id = t.id;
      d.request.url = t.url;
      d.request.body = text;
      d.request.timeout = options.timeout;
      if (!t.header_name.empty()) d.request.headers.emplace_back(t.header_name, t.header_value);
      d.backoff = options.first_backoff;
      schedule(std::move(d), Clock::now());
    }
  }

  void run() {
    std::unique_lock lock(mu);
    while (true) {
      if (stopping) return;
      if (due.empty()) {
        cv.wait(lock);
        continue;
      }
      auto when = due.begin()->first;
      if (when > Clock::now()) {
        cv.wait_until(lock, when);
        continue;
      }
      Delivery d = std::move(due.begin()->second);
      due.erase(due.begin());
      lock.unlock();
      attempt(std::move(d));
      lock.lock();
    }
  }

  void attempt(Delivery d) {
    ++d.attempt;
    auto status = http_post(d.request);
    if (status && *status >= 200 && *status < 300) {
      sent.inc();
      return;
    }
    std::string why = status ? "HTTP " + std::to_string(*status) : status.error().message;
    if (d.attempt >= options.max_attempts) {
      failed.inc();
      spdlog::warn("webhook {} ({}): giving up after {} attempts: {}", d.target_id, d.request.url, d.attempt, why);
      return;
    }
    retries.inc();
    spdlog::info("webhook {} ({}): attempt {} failed ({}), retrying in {} ms", d.target_id, d.request.url, d.attempt,
                 why, d.backoff.count());
    auto when = Clock::now() + d.backoff;
    d.backoff *= 2;
    schedule(std::move(d), when);
  }
};

WebhookNotifier::WebhookNotifier(meta::MetadataStore& store, bus::Bus& bus, MetricsRegistry& metrics,
                                 WebhookOptions options)
    : impl_(std::make_unique<Impl>(store, metrics, options)) {
  impl_->worker = std::thread([impl = impl_.get()] { impl->run(); });
  // A group: in a cluster each alarm change is notified once, by whichever node takes it.
  bus::SubscribeOptions so{.name = "alarm-webhooks", .capacity = 10'000, .group = "alarm-webhooks"};
  so.only({bus::Kind::kAlarm});
  impl_->subscription = bus.subscribe(std::move(so), [impl = impl_.get()](const bus::MessagePtr& m) { impl->on_event(m); });
}

WebhookNotifier::~WebhookNotifier() { stop(); }

void WebhookNotifier::stop() {
  impl_->subscription.reset();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->worker.joinable()) impl_->worker.join();
}

}  // namespace kaiwu::alarm
