#include "edge/poller.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <map>

#include "core/ids.hpp"

namespace kaiwu::edge {

namespace asio = boost::asio;

namespace {
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kMaxBackoff = std::chrono::seconds(30);

bool link_error(Errc c) { return c == Errc::kUnavailable || c == Errc::kTimeout; }
}  // namespace

DevicePoller::DevicePoller(asio::any_io_executor executor, DeviceConfig config, std::unique_ptr<drivers::Driver> driver,
                           Sink sink, StateSink on_state)
    : ex_(executor),
      config_(std::move(config)),
      driver_(std::move(driver)),
      sink_(std::move(sink)),
      on_state_(std::move(on_state)),
      timer_(std::make_unique<asio::steady_timer>(executor)) {
  std::map<std::uint32_t, std::size_t> by_interval;
  for (std::size_t i = 0; i < config_.points.size(); ++i) {
    const auto& p = config_.points[i];
    std::uint32_t interval = p.interval_ms ? p.interval_ms : config_.interval_ms;
    auto [it, fresh] = by_interval.emplace(interval, groups_.size());
    if (fresh) groups_.push_back(Group{std::chrono::milliseconds(interval), {}, {}, {}});
    groups_[it->second].points.push_back(p);
    groups_[it->second].index.push_back(i);
  }
  last_sent_.resize(config_.points.size());
}

DevicePoller::~DevicePoller() = default;

void DevicePoller::start() {
  asio::co_spawn(ex_, loop(shared_from_this()), [name = config_.settings.name](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("edge device {}: poller stopped: {}", name, x.what());
    }
  });
}

void DevicePoller::stop() {
  stopping_ = true;
  asio::post(ex_, [self = shared_from_this()] { self->timer_->cancel(); });
}

DeviceCounters DevicePoller::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void DevicePoller::set_connected(bool connected, const std::string& error) {
  if (!error.empty()) update([&](DeviceCounters& c) { c.last_error = error; });
  update([&](DeviceCounters& c) { c.connected = connected; });
  if (reported_ && connected == connected_) return;
  if (!reported_ || connected != connected_)
    spdlog::info("edge device {}: {}{}", config_.settings.name, connected ? "connected" : "disconnected",
                 error.empty() ? "" : " (" + error + ")");
  reported_ = true;
  connected_ = connected;
  if (on_state_) on_state_(config_.settings.name, connected);
}

asio::awaitable<void> DevicePoller::acquire() {
  asio::steady_timer t(ex_);
  while (busy_) {
    t.expires_after(std::chrono::milliseconds(2));
    co_await t.async_wait(kAsTuple);
  }
  busy_ = true;
}

asio::awaitable<bool> DevicePoller::connect() {
  auto backoff = std::chrono::milliseconds(1000);
  while (!stopping_) {
    co_await acquire();
    auto st = co_await driver_->start(config_.settings);
    release();
    if (st) {
      update([](DeviceCounters& c) { ++c.connects; });
      set_connected(true, {});
      co_return true;
    }
    update([](DeviceCounters& c) { ++c.connect_failures; });
    set_connected(false, st.error().message);
    timer_->expires_after(backoff);
    co_await timer_->async_wait(kAsTuple);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
  co_return false;
}

void DevicePoller::deliver(std::vector<drivers::Reading> readings, const std::vector<std::size_t>& index) {
  std::vector<drivers::Reading> out;
  std::int64_t now = now_ms();
  std::uint64_t suppressed = 0;
  for (std::size_t i = 0; i < readings.size() && i < index.size(); ++i) {
    auto& r = readings[i];
    if (!r.value) continue;
    auto& last = last_sent_[index[i]];
    if (!drivers::beyond_deadband(config_.points[index[i]], last, *r.value)) {
      ++suppressed;
      continue;
    }
    last = *r.value;
    if (r.ts == 0) r.ts = now;
    out.push_back(std::move(r));
  }
  update([&](DeviceCounters& c) {
    c.values += out.size();
    c.suppressed += suppressed;
  });
  if (!out.empty() && sink_) sink_(config_.settings.name, std::move(out));
}

asio::awaitable<void> DevicePoller::poll(Group& g) {
  co_await acquire();
  auto readings = co_await driver_->read(g.points);
  release();
  std::size_t good = 0;
  std::string error;
  bool link = false;
  for (const auto& r : readings) {
    if (r.value) {
      ++good;
    } else {
      error = r.key + ": " + r.value.error().message;
      link = link || link_error(r.value.error().code);
    }
  }
  std::size_t bad = readings.size() - good;
  update([&](DeviceCounters& c) {
    ++c.polls;
    if (good == 0 && bad > 0) ++c.poll_failures;
    else c.point_errors += bad;
    if (good > 0) c.last_success_ms = now_ms();
  });
  if (good == 0 && bad > 0 && link) {
    set_connected(false, error);
  } else {
    if (good > 0) set_connected(true, {});
    if (bad > 0) update([&](DeviceCounters& c) { c.last_error = error; });
  }
  for (std::size_t i = 0; i < readings.size(); ++i) readings[i].key = g.points[i].key;
  deliver(std::move(readings), g.index);
}

asio::awaitable<void> DevicePoller::loop(std::shared_ptr<DevicePoller> self) {
  if (co_await self->connect()) {
    if (self->config_.subscribe) {
      std::weak_ptr<DevicePoller> weak = self;
      std::vector<std::size_t> all(self->config_.points.size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      auto st = co_await self->driver_->subscribe(
          self->config_.points, [weak, all](std::vector<drivers::Reading> readings) {
            auto me = weak.lock();
            if (!me || me->stopping_) return;
            // Pushed readings name their keys; order them as the points for the deadband.
            std::vector<drivers::Reading> ordered;
            std::vector<std::size_t> index;
            for (auto& r : readings)
              for (std::size_t i = 0; i < me->config_.points.size(); ++i)
                if (me->config_.points[i].key == r.key) {
                  index.push_back(i);
                  ordered.push_back(std::move(r));
                  break;
                }
            me->deliver(std::move(ordered), index);
          });
      if (!st) spdlog::warn("edge device {}: subscribe failed: {}", self->config_.settings.name, st.error().message);
      while (!self->stopping_) {
        self->timer_->expires_after(std::chrono::seconds(3600));
        co_await self->timer_->async_wait(kAsTuple);
      }
    } else {
      auto now = std::chrono::steady_clock::now();
      for (auto& g : self->groups_) g.next = now;
      while (!self->stopping_ && !self->groups_.empty()) {
        Group* g = &self->groups_.front();
        for (auto& x : self->groups_)
          if (x.next < g->next) g = &x;
        self->timer_->expires_at(g->next);
        co_await self->timer_->async_wait(kAsTuple);
        if (self->stopping_) break;
        co_await self->poll(*g);
        g->next += g->interval;
        now = std::chrono::steady_clock::now();
        if (now >= g->next) {  // overran: skip the ticks that passed
          auto missed = (now - g->next) / g->interval + 1;
          g->next += g->interval * missed;
          self->update([&](DeviceCounters& c) { c.missed_ticks += static_cast<std::uint64_t>(missed); });
        }
      }
    }
  }
  co_await self->acquire();
  co_await self->driver_->stop();
  self->release();
  self->finished_ = true;
}

asio::awaitable<Status> DevicePoller::write(std::string key, tsdb::Value value) {
  const drivers::PointConfig* point = nullptr;
  for (const auto& p : config_.points)
    if (p.key == key) point = &p;
  if (!point) co_return fail(Errc::kNotFound, "no point \"" + key + "\" on device " + config_.settings.name);
  if (!point->writable) co_return fail(Errc::kPermissionDenied, "point \"" + key + "\" is not writable");
  co_await acquire();
  auto st = co_await driver_->write(*point, std::move(value));
  release();
  co_return st;
}

asio::awaitable<Result<std::vector<drivers::Reading>>> DevicePoller::read(std::vector<std::string> keys) {
  std::vector<drivers::PointConfig> points;
  if (keys.empty()) points = config_.points;
  for (const auto& k : keys) {
    const drivers::PointConfig* found = nullptr;
    for (const auto& p : config_.points)
      if (p.key == k) found = &p;
    if (!found) co_return fail(Errc::kNotFound, "no point \"" + k + "\" on device " + config_.settings.name);
    points.push_back(*found);
  }
  co_await acquire();
  auto readings = co_await driver_->read(points);
  release();
  for (std::size_t i = 0; i < readings.size() && i < points.size(); ++i) readings[i].key = points[i].key;
  co_return readings;
}

}  // namespace kaiwu::edge
