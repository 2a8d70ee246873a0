// bench_bus: the event bus end to end (publish → subscriber's handler), InProcessBus and NatsBus
// on a nats-server started here (JetStream, file storage, 127.0.0.1, free port), same run.
//   throughput: N one-sample telemetry messages from 64 devices, the publisher keeping at most
//     `window` messages ahead of the handler (so neither bus drops), for a fan-out subscriber
//     (ws-feed style) and a consumer group (rules style: on NATS one durable pull consumer per
//     partition, MaxAckPending 1);
//   latency: publish → handler at a paced 2,000 messages/s, p50/p99.
// Writes bench/results/bus-<UTC stamp>.json. Usage: bench_bus [--messages N] [--benchmark_out=PATH]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "bus/in_process.hpp"
#include "bus/nats_bus.hpp"
#include "nats_server.hpp"

namespace kaiwu::bus {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

MessagePtr message(int i, std::int64_t stamp) {
  return std::make_shared<const Message>(
      Message{Telemetry{"bench", "dev" + std::to_string(i % 64), {{"v", 1'700'000'000'000 + i, std::int64_t{stamp}}}}});
}

// Each group name once per run: a group's durable consumers keep what is published while it has
// no member.
SubscribeOptions options(bool group, std::size_t capacity, const char* group_name) {
  SubscribeOptions o{.name = group ? "bench-group" : "bench-fanout", .capacity = capacity};
  if (group) o.group = group_name;
  o.only({Kind::kTelemetry});
  return o;
}

struct Throughput {
  double per_second = 0;
  std::uint64_t delivered = 0;
};

Throughput throughput(Bus& bus, bool group, int n, int window) {
  std::atomic<std::uint64_t> handled{0};
  auto sub = bus.subscribe(options(group, static_cast<std::size_t>(window) * 2, "bench-throughput"), [&](const MessagePtr&) { ++handled; });
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    while (static_cast<std::int64_t>(i) - static_cast<std::int64_t>(handled.load()) >= window) std::this_thread::yield();
    bus.publish(message(i, 0));
  }
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (handled.load() < static_cast<std::uint64_t>(n) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  return {static_cast<double>(handled.load()) / s, handled.load()};
}

struct Latency {
  double p50_us = 0, p99_us = 0;
  std::size_t samples = 0;
};

Latency latency(Bus& bus, bool group, int n) {
  std::mutex mu;
  std::vector<double> us;
  auto sub = bus.subscribe(options(group, 100'000, "bench-latency"), [&](const MessagePtr& m) {
    auto sent = std::get<std::int64_t>(std::get<Telemetry>(m->payload).samples[0].value);
    std::lock_guard lock(mu);
    us.push_back(static_cast<double>(now_ns() - sent) / 1000.0);
  });
  auto next = Clock::now();
  for (int i = 0; i < n; ++i) {
    next += std::chrono::microseconds(500);  // 2,000 messages/s
    std::this_thread::sleep_until(next);
    bus.publish(message(i, now_ns()));
  }
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (us.size() >= static_cast<std::size_t>(n)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  sub.reset();
  std::lock_guard lock(mu);
  if (us.empty()) return {};
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], us.size()};
}

struct Figures {
  Throughput fanout, group;
  Latency fanout_latency, group_latency;
};

Figures measure(Bus& bus, int n) {
  Figures f;
  f.fanout = throughput(bus, false, n, 4096);
  f.group = throughput(bus, true, n / 4, 4096);
  f.fanout_latency = latency(bus, false, 2000);
  f.group_latency = latency(bus, true, 2000);
  return f;
}

std::string json(const Figures& f) {
  return fmt::format(
      R"({{"fanout_messages_per_second":{:.0f},"fanout_delivered":{},"group_messages_per_second":{:.0f},"group_delivered":{},)"
      R"("fanout_latency_p50_us":{:.0f},"fanout_latency_p99_us":{:.0f},"group_latency_p50_us":{:.0f},"group_latency_p99_us":{:.0f}}})",
      f.fanout.per_second, f.fanout.delivered, f.group.per_second, f.group.delivered, f.fanout_latency.p50_us,
      f.fanout_latency.p99_us, f.group_latency.p50_us, f.group_latency.p99_us);
}

void print(const char* name, const Figures& f) {
  fmt::print("  {:<10} fan-out {:>9.0f} msg/s  group {:>9.0f} msg/s  latency fan-out p50 {:>7.0f} µs p99 {:>7.0f} µs"
             "  group p50 {:>7.0f} µs p99 {:>7.0f} µs\n",
             name, f.fanout.per_second, f.group.per_second, f.fanout_latency.p50_us, f.fanout_latency.p99_us,
             f.group_latency.p50_us, f.group_latency.p99_us);
}

std::string machine() {
  utsname u{};
  uname(&u);
  std::ifstream mem("/proc/meminfo");
  std::string key;
  long kb = 0;
  mem >> key >> kb;
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return fmt::format("{} cores, {:.0f} GiB, {} {}, load {:.1f}", std::thread::hardware_concurrency(), kb / 1048576.0,
                     u.sysname, u.machine, load);
}

}  // namespace
}  // namespace kaiwu::bus

int main(int argc, char** argv) {
  using namespace kaiwu;
  int n = 100'000;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc) n = std::stoi(argv[++i]);
    else if (std::strncmp(argv[i], "--benchmark_out=", 16) == 0) out = argv[i] + 16;
    else if (std::strncmp(argv[i], "--benchmark_out_format=", 23) == 0) continue;
    else {
      std::cerr << "usage: bench_bus [--messages N] [--benchmark_out=PATH]\n";
      return 2;
    }
  }
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%SZ", std::gmtime(&t));
  if (out.empty()) out = std::string(KAIWU_BENCH_RESULTS_DIR) + "/bus-" + stamp + ".json";
  spdlog::set_level(spdlog::level::warn);

  MetricsRegistry m1;
  bus::InProcessBus in_process(m1);
  auto local = bus::measure(in_process, n);

  testing::TempDir dir;
  testing::NatsServer server("bench", dir.path());
  server.start();
  if (!server.wait_ready()) {
    std::cerr << "bench_bus: nats-server did not start\n";
    return 1;
  }
  MetricsRegistry m2;
  bus::NatsBusOptions o;
  o.servers = server.url();
  o.node_name = "bench";
  auto nats = bus::NatsBus::connect(o, m2);
  if (!nats) {
    std::cerr << "bench_bus: " << nats.error().message << "\n";
    return 1;
  }
  auto remote = bus::measure(**nats, n);
  nats->reset();

  auto host = bus::machine();
  fmt::print("bus: {} messages (group: {}), one sample each, 64 devices; {} ({})\n", n, n / 4, host, stamp);
  bus::print("inprocess", local);
  bus::print("nats", remote);
  double fan_ratio = local.fanout.per_second / std::max(1.0, remote.fanout.per_second);
  double group_ratio = local.group.per_second / std::max(1.0, remote.group.per_second);
  fmt::print("  in-process / NATS throughput: fan-out {:.1f}x, group {:.1f}x\n", fan_ratio, group_ratio);
  std::ofstream f(out);
  f << fmt::format(
      R"({{"benchmark":"bus","date":"{}","machine":"{}","messages":{},"nats_server":"nats-server 2.9 (Debian), JetStream file storage, R1, loopback",)"
      R"("inprocess":{},"nats":{},"ratio_inprocess_over_nats":{{"fanout":{:.2f},"group":{:.2f}}}}})",
      stamp, host, n, bus::json(local), bus::json(remote), fan_ratio, group_ratio)
    << "\n";
  fmt::print("wrote {}\n", out);
  return 0;
}
