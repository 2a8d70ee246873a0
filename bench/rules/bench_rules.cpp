// Rule engine throughput: messages/s through a 5-node chain with a Lua transform
// (filter → script_transform → threshold → write_telemetry → mqtt_publish), side effects into a
// counting fake. Two figures: inline on one thread (RuleEngine::process) and through the
// engine's queues with its worker threads (submit, then stop() to drain).
// Prints the figures and writes JSON to --benchmark_out=PATH (bench/run.sh passes it) or
// bench/results/rules-<UTC stamp>.json. Usage: bench_rules [--messages N] [--benchmark_out=PATH]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "rules/engine.hpp"

namespace {

using namespace kaiwu;  // NOLINT(google-build-using-namespace): a benchmark's main

constexpr const char* kChain = R"J({"nodes":[
  {"id":"filter","type":"filter","params":{"keys":["temp"]},"next":{"True":["xform"]}},
  {"id":"xform","type":"script_transform","params":{"script":
    "local t = msg.data.temp\nmsg.data.tempF = t * 9 / 5 + 32\nmsg.data.load = round(msg.data.power / 1000, 2)\nreturn msg"},
   "next":{"Success":["hot"]}},
  {"id":"hot","type":"threshold","params":{"key":"temp","high":80,"hysteresis":5,"durationMs":5000},
   "next":{"Normal":["derived"],"Raised":["derived"],"Active":["derived"],"Cleared":["derived"]}},
  {"id":"derived","type":"write_telemetry","params":{"keys":["tempF","load"]},"next":{"Success":["sink"]}},
  {"id":"sink","type":"mqtt_publish","params":{"topic":"derived/${deviceName}","qos":0}}]})J";

class CountingActions final : public rules::Actions {
 public:
  std::atomic<std::uint64_t> writes{0}, publishes{0}, other{0};
  Status write_telemetry(const std::string&, const std::string&, std::int64_t,
                         const std::map<std::string, rules::Value>&) override {
    writes.fetch_add(1, std::memory_order_relaxed);
    return ok();
  }
  Status raise_alarm(const rules::AlarmRequest&) override { return count(); }
  Status clear_alarm(const rules::AlarmRequest&) override { return count(); }
  Result<std::string> send_rpc(const rules::RpcRequest&) override {
    other.fetch_add(1);
    return std::string();
  }
  Status publish_mqtt(const rules::MqttPublishRequest&) override {
    publishes.fetch_add(1, std::memory_order_relaxed);
    return ok();
  }
  Status post_webhook(const rules::WebhookRequest&) override { return count(); }
  void log(rules::LogLevel, const std::string&) override { other.fetch_add(1); }
  Result<std::vector<std::pair<std::string, std::string>>> get_attributes(
      const std::string&, const std::string&, const std::string&, const std::vector<std::string>&) override {
    return std::vector<std::pair<std::string, std::string>>{};
  }

 private:
  Status count() {
    other.fetch_add(1);
    return ok();
  }
};

rules::Message message(std::uint64_t i) {
  rules::Message m;
  m.tenant_id = "t1";
  m.device_id = fmt::format("dev-{:04}", i % 1000);
  m.device_name = fmt::format("boiler-{:04}", i % 1000);
  m.profile_id = "p1";
  m.ts = 1'700'000'000'000 + static_cast<std::int64_t>(i / 1000) * 1000;
  m.data = {{"temp", 60.0 + static_cast<double>(i % 40)}, {"power", 1500.0 + static_cast<double>(i % 97)}};
  return m;
}

struct Figure {
  double seconds = 0;
  double per_second = 0;
};

Figure run(unsigned workers, std::uint64_t n, CountingActions& actions) {
  MetricsRegistry metrics;
  rules::RuleEngine engine(actions, metrics, rules::EngineOptions{workers, 1u << 20, {}, {}});
  engine.set_chain("t1", "bench", *rules::compile_chain(kChain));
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    if (workers == 0) engine.process(message(i));
    else while (!engine.submit(message(i))) std::this_thread::yield();
  }
  engine.stop();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Figure{s, static_cast<double>(n) / s};
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 200'000;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc) n = std::stoull(argv[++i]);
    else if (std::strncmp(argv[i], "--benchmark_out=", 16) == 0) out = argv[i] + 16;
    else if (std::strncmp(argv[i], "--benchmark_out_format=", 23) == 0) continue;
    else {
      std::cerr << "usage: bench_rules [--messages N] [--benchmark_out=PATH]\n";
      return 2;
    }
  }
  if (out.empty()) {
    char stamp[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%SZ", std::gmtime(&t));
    out = std::string(KAIWU_BENCH_RESULTS_DIR) + "/rules-" + stamp + ".json";
  }
  CountingActions inline_actions;
  const Figure one = run(0, n, inline_actions);
  CountingActions pooled_actions;
  const Figure two = run(2, n, pooled_actions);
  if (inline_actions.writes != n || pooled_actions.publishes != n) {
    std::cerr << "bench_rules: expected " << n << " writes and publishes, got " << inline_actions.writes << " and "
              << pooled_actions.publishes << "\n";
    return 1;
  }
  fmt::print("rules: 5-node chain with a Lua transform, {} messages\n", n);
  fmt::print("  inline, 1 thread : {:>10.0f} messages/s ({:.2f} s)\n", one.per_second, one.seconds);
  fmt::print("  engine, 2 workers: {:>10.0f} messages/s ({:.2f} s)\n", two.per_second, two.seconds);
  std::ofstream f(out);
  f << fmt::format(
      "{{\"benchmark\":\"rules\",\"chain\":\"filter>script_transform>threshold>write_telemetry>mqtt_publish\","
      "\"messages\":{},\"inline_messages_per_second\":{:.0f},\"workers2_messages_per_second\":{:.0f}}}\n",
      n, one.per_second, two.per_second);
  if (!f) {
    std::cerr << "bench_rules: cannot write " << out << "\n";
    return 1;
  }
  fmt::print("  written to {}\n", out);
  return 0;
}
