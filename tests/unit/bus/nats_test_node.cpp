// A consumer "node" in its own process for nats_cluster_test: joins a consumer group and reports
// on stdout ("ready", "got <device> <value>"); at value --block-at its handler never returns
// ("blocked <device> <value>"), so the test can SIGKILL it mid-handling.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "bus/nats_bus.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SERVERS GROUP BLOCK_AT ACK_WAIT_MS\n", argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout carries the protocol lines
  kaiwu::MetricsRegistry metrics;
  kaiwu::bus::NatsBusOptions o;
  o.servers = argv[1];
  o.node_name = "child-" + std::to_string(getpid());
  o.ack_wait_ms = std::stoll(argv[4]);
  auto bus = kaiwu::bus::NatsBus::connect(o, metrics);
  if (!bus) {
    std::fprintf(stderr, "%s\n", bus.error().message.c_str());
    return 1;
  }
  int block_at = std::stoi(argv[3]);
  kaiwu::bus::SubscribeOptions so{.name = "rules", .group = argv[2]};
  auto sub = (*bus)->subscribe(so, [block_at](const kaiwu::bus::MessagePtr& m) {
    const auto& t = std::get<kaiwu::bus::Telemetry>(m->payload);
    int v = static_cast<int>(std::get<double>(t.samples[0].value));
    if (v == block_at) {
      std::printf("blocked %s %d\n", t.device.c_str(), v);
      std::fflush(stdout);
      while (true) std::this_thread::sleep_for(std::chrono::hours(1));
    }
    std::printf("got %s %d\n", t.device.c_str(), v);
    std::fflush(stdout);
  });
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}
