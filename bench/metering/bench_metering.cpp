// Throughput of SqlMeter::record() (SQLite backend) on a real file: how many usage records per second callers
// can hand over (the queue is sized so nothing is dropped), and how long until all of them are in
// the file. Writes bench/results/metering-<UTC stamp>.json with the machine and date.
// With KAIWU_BENCH_PG_URL (a libpq conninfo) it also measures the PostgreSQL backend (cluster
// mode's shared usage table), one recording thread.
// Usage: bench_metering [records per thread, default 200000]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "metering/sql_meter.hpp"

using namespace kaiwu;  // NOLINT(google-build-using-namespace): a benchmark's main

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Run {
  double record_per_s = 0;
  double durable_ms = 0;
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;
};

// pg_url empty: SQLite in dir; else PostgreSQL.
Run run(const std::filesystem::path& dir, int threads, int per_thread, const std::string& pg_url = {}) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  MetricsRegistry metrics;
  metering::MeterOptions o;
  o.queue_capacity = static_cast<std::size_t>(threads * per_thread) + 1;
  auto meter = pg_url.empty() ? metering::SqlMeter::open_sqlite((dir / "metering.db").string(), metrics, o)
                              : metering::SqlMeter::open_postgres(pg_url, metrics, o);
  if (!meter) throw std::runtime_error(meter.error().message);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        metering::Record r;
        r.kind = metering::Kind::kAppCall;
        r.tenant_id = "tenant-0001";
        r.enterprise_id = "ent-0001";
        r.subject_id = "app-" + std::to_string(i % 50);
        r.actor_id = "key-" + std::to_string(t);
        r.function = "run";
        (*meter)->record(std::move(r));
      }
    });
  for (auto& t : ts) t.join();
  auto handed = std::chrono::steady_clock::now();
  (*meter)->stop();
  auto durable = std::chrono::steady_clock::now();
  Run out;
  const double secs = std::chrono::duration<double>(handed - start).count();
  out.record_per_s = threads * per_thread / secs;
  out.durable_ms = std::chrono::duration<double, std::milli>(durable - start).count();
  out.written = metrics.counter("kaiwu_metering_records_written_total", "").value();
  out.dropped = metrics.counter("kaiwu_metering_records_dropped_total", "").value();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int per_thread = argc > 1 ? std::stoi(argv[1]) : 200'000;
  auto dir = std::filesystem::temp_directory_path() / fmt::format("kaiwu-bench-metering-{}", ::getpid());
  Run one = run(dir, 1, per_thread);
  Run two = run(dir, 2, per_thread);
  const char* pg_url = std::getenv("KAIWU_BENCH_PG_URL");
  std::string pg_json;
  if (pg_url != nullptr && *pg_url != '\0') {
    Run pg = run(dir, 1, per_thread, pg_url);
    pg_json = fmt::format(",\"postgres_threads1\":{{\"record_per_second\":{:.0f},\"all_durable_ms\":{:.1f},"
                          "\"written\":{},\"dropped\":{}}}",
                          pg.record_per_s, pg.durable_ms, pg.written, pg.dropped);
  }
  std::filesystem::remove_all(dir);

  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::time_t now = std::time(nullptr);
  char stamp[32], iso[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%SZ", std::gmtime(&now));
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string json = fmt::format(
      "{{\"benchmark\":\"metering\",\"date\":\"{}\",\"machine\":{{\"host\":\"{}\",\"cpu\":\"{}\",\"cores\":{}}},"
      "\"records_per_thread\":{},"
      "\"threads1\":{{\"record_per_second\":{:.0f},\"all_durable_ms\":{:.1f},\"written\":{},\"dropped\":{}}},"
      "\"threads2\":{{\"record_per_second\":{:.0f},\"all_durable_ms\":{:.1f},\"written\":{},\"dropped\":{}}}{}}}\n",
      iso, host, cpu_model(), std::thread::hardware_concurrency(), per_thread, one.record_per_s, one.durable_ms,
      one.written, one.dropped, two.record_per_s, two.durable_ms, two.written, two.dropped, pg_json);
  std::cout << json;
  std::ofstream(fmt::format("{}/metering-{}.json", KAIWU_BENCH_RESULTS_DIR, stamp)) << json;
  return 0;
}
