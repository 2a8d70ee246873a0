#include "cluster/signals.hpp"

#include <fmt/format.h>
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "cluster/nats_servers.hpp"

namespace kaiwu::cluster {
namespace {

std::string subject_of(const std::string& topic) { return "kaiwu.signal." + topic; }

}  // namespace

struct Signals::Impl {
  explicit Impl(MetricsRegistry& m)
      : raised(m.counter("kaiwu_cluster_signals_sent_total", "change signals sent to the other nodes")),
        received(m.counter("kaiwu_cluster_signals_received_total", "change signals received from other nodes")) {}
  struct Sub;
  natsConnection* conn = nullptr;
  std::vector<std::unique_ptr<Sub>> subs;
  Counter& raised;
  Counter& received;
};

namespace {

}  // namespace

struct Signals::Impl::Sub {
  natsSubscription* sub = nullptr;
  std::function<void()> handler;
  Counter* received = nullptr;
};

namespace {

void on_signal(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  natsMsg_Destroy(msg);
  auto* sub = static_cast<Signals::Impl::Sub*>(closure);
  sub->received->inc();
  sub->handler();
}

}  // namespace

Result<std::unique_ptr<Signals>> Signals::connect(const std::string& servers, const std::string& node_name,
                                                  MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(metrics);
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = set_nats_servers(o, servers);
  if (s == NATS_OK) s = natsOptions_SetName(o, (node_name + "-signals").c_str());
  if (s == NATS_OK) s = natsOptions_SetNoEcho(o, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 100);
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2'000);
  if (s == NATS_OK) s = natsConnection_Connect(&impl->conn, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK)
    return fail(Errc::kUnavailable, fmt::format("signals: NATS connect to {}: {}", servers, natsStatus_GetText(s)));
  return std::unique_ptr<Signals>(new Signals(std::move(impl)));
}

Signals::Signals(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Signals::~Signals() {
  // Drain: no new deliveries, and the handlers running now end before their objects go.
  for (auto& s : impl_->subs) {
    if (natsSubscription_Drain(s->sub) == NATS_OK) natsSubscription_WaitForDrainCompletion(s->sub, 2'000);
    natsSubscription_Destroy(s->sub);
  }
  natsConnection_Destroy(impl_->conn);
}

Status Signals::subscribe(const std::string& topic, std::function<void()> handler) {
  auto sub = std::make_unique<Impl::Sub>(Impl::Sub{nullptr, std::move(handler), &impl_->received});
  natsStatus s = natsConnection_Subscribe(&sub->sub, impl_->conn, subject_of(topic).c_str(), on_signal, sub.get());
  if (s == NATS_OK) s = natsConnection_Flush(impl_->conn);
  if (s != NATS_OK) {
    if (sub->sub) natsSubscription_Destroy(sub->sub);
    return fail(Errc::kUnavailable, fmt::format("signals: subscribe {}: {}", topic, natsStatus_GetText(s)));
  }
  impl_->subs.push_back(std::move(sub));
  return ok();
}

void Signals::raise(const std::string& topic) {
  const natsStatus s = natsConnection_Publish(impl_->conn, subject_of(topic).c_str(), "1", 1);
  if (s != NATS_OK) {
    spdlog::warn("signals: '{}' not sent ({}); the other nodes see the change at their next poll", topic,
                 natsStatus_GetText(s));
    return;
  }
  impl_->raised.inc();
}

}  // namespace kaiwu::cluster
