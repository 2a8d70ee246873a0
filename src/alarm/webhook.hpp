// WebhookNotifier: POSTs every alarm change to the tenant's enabled notification targets.
//
//   bus (alarm events) ─► subscriber thread: looks up the tenant's targets, queues one delivery
//   per target (bounded: beyond queue_capacity deliveries are dropped and counted)
//   ─► worker thread: POST {"event":"alarm.<change>","ts":ms,"alarm":{…}} with the target's
//   secret header; a failure (connection error, timeout, non-2xx) is retried after
//   first_backoff, doubling each time, up to max_attempts in all.
//
// Metrics: kaiwu_webhook_deliveries_total{result="sent|failed|dropped"}, kaiwu_webhook_retries_total.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "bus/bus.hpp"
#include "core/metrics.hpp"
#include "meta/store.hpp"

namespace kaiwu::alarm {

struct WebhookOptions {
  std::size_t queue_capacity = 1000;
  int max_attempts = 4;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds timeout{5000};
};

class WebhookNotifier {
 public:
  WebhookNotifier(meta::MetadataStore& store, bus::Bus& bus, MetricsRegistry& metrics, WebhookOptions options = {});
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Stops taking events and ends the worker (pending deliveries are abandoned). Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaiwu::alarm
