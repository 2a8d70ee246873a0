// bench_clickhouse: the embedded engine against the ClickHouse backend, same dataset, same run,
// both through the TelemetryStore interface (the engine in-process, ClickHouse over HTTP to a
// clickhouse-server this benchmark starts on free loopback ports with its data on the same
// file system). Measures ingest, latest and 1-day aggregate query throughput and latency, disk
// use; prints embedded/ClickHouse ratios and writes bench/results/clickhouse-<stamp>.json.
#include <barrier>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "clickhouse_server.hpp"
#include "common.hpp"
#include "datagen.hpp"
#include "tsdb/clickhouse.hpp"
#include "tsdb/engine.hpp"

#ifndef KAIWU_BENCH_RESULTS_DIR
#define KAIWU_BENCH_RESULTS_DIR "bench/results"
#endif

namespace fs = std::filesystem;
using namespace kaiwu::bench::tsdb;
using Clock = std::chrono::steady_clock;

namespace {

struct Figures {
  std::string name;
  std::string error;
  double ingest_s = 0, ingest_rate = 0, client_cpu_s = 0, server_cpu_s = 0;
  double flush_s = 0;
  std::uint64_t disk_bytes = 0, stored_samples = 0;
  std::uint64_t disk_bytes_unmerged = 0;  // ClickHouse: du before OPTIMIZE … FINAL merged the parts
  std::uint64_t store_disk_bytes = 0;     // stats().disk_bytes (ClickHouse: active parts of samples only)
  double optimize_s = 0;
  LatencyStats latest, agg;
  double latest_qps = 0, agg_qps = 0;
};

double as_double(const kaiwu::tsdb::Value& v) {
  switch (v.index()) {
    case 0: return std::get<double>(v);
    case 1: return static_cast<double>(std::get<std::int64_t>(v));
    case 2: return std::get<bool>(v) ? 1.0 : 0.0;
    default: return std::nan("");
  }
}

// Times n calls of one(i) -> mismatch text ("" when the answer is right); returns the stats and
// the calls per second over the timed part.
template <typename F>
std::pair<LatencyStats, double> time_calls(std::size_t n, F&& one) {
  for (std::size_t w = 0; w < std::min<std::size_t>(n, 10); ++w) one(w);
  std::vector<double> ms;
  std::size_t mismatches = 0;
  std::string first;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto a = Clock::now();
    std::string mismatch = one(i);
    ms.push_back(seconds_since(a) * 1e3);
    if (!mismatch.empty() && mismatches++ == 0) first = mismatch;
  }
  double total = seconds_since(t0);
  auto s = latency_stats(std::move(ms));
  s.mismatches = mismatches;
  s.first_mismatch = first;
  return {s, total > 0 ? static_cast<double>(n) / total : 0};
}

void run(kaiwu::tsdb::TelemetryStore& store, const Dataset& ds, const QuerySet& qs, int writers, std::size_t batch,
         int server_pid, Figures& f) {
  auto batches = make_point_batches(ds, writers, batch);
  std::barrier sync(writers + 1);
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t)
    threads.emplace_back([&, t] {
      sync.arrive_and_wait();
      for (const auto& b : batches[static_cast<std::size_t>(t)])
        if (auto st = store.write(std::span<const kaiwu::tsdb::Point>(b)); !st) {
          std::lock_guard lock(mu);
          if (f.error.empty()) f.error = "write: " + st.error().message;
          return;
        }
    });
  const double cpu0 = self_cpu_seconds();
  const double srv0 = server_pid > 0 ? proc_cpu_seconds(server_pid) : 0;
  sync.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& th : threads) th.join();
  f.ingest_s = seconds_since(t0);
  f.client_cpu_s = self_cpu_seconds() - cpu0;
  f.server_cpu_s = server_pid > 0 ? proc_cpu_seconds(server_pid) - srv0 : f.client_cpu_s;
  f.ingest_rate = static_cast<double>(ds.size()) / f.ingest_s;
  if (!f.error.empty()) return;
  const auto tf = Clock::now();
  (void)store.flush();
  f.flush_s = seconds_since(tf);
  if (auto st = store.stats()) f.stored_samples = st->samples;

  const std::string& tenant = ds.opt.tenant;
  std::tie(f.latest, f.latest_qps) = time_calls(qs.latest.size(), [&](std::size_t i) -> std::string {
    const auto& q = qs.latest[i];
    std::string keys[1] = {q.key};
    auto res = store.latest(tenant, q.device, std::span<const std::string>(keys));
    if (!res) return res.error().message;
    if (res->size() != 1 || (*res)[0].sample.ts != q.ts || as_double((*res)[0].sample.value) != q.value)
      return q.device + "/" + q.key + ": wrong latest value";
    return "";
  });
  std::tie(f.agg, f.agg_qps) = time_calls(qs.agg.size(), [&](std::size_t i) -> std::string {
    const auto& q = qs.agg[i];
    kaiwu::tsdb::AggQuery aq{tenant, q.device, {q.key}, q.from, q.to, 60'000, kaiwu::tsdb::Agg::kAvg};
    auto res = store.aggregate(aq);
    if (!res) return res.error().message;
    const auto& b = (*res)[0].buckets;
    if (b.size() != q.buckets.size()) return q.device + "/" + q.key + ": bucket count differs";
    for (std::size_t k = 0; k < b.size(); ++k)
      if (b[k].ts != q.buckets[k].first || !close_enough(as_double(b[k].value), q.buckets[k].second, 1e-9))
        return q.device + "/" + q.key + ": bucket " + std::to_string(k) + " differs";
    return "";
  });
}

boost::json::object to_json(const Figures& f) {
  auto lat = [](const LatencyStats& s, double qps) {
    return boost::json::object{{"n", s.n}, {"p50_ms", s.p50_ms}, {"p99_ms", s.p99_ms}, {"mean_ms", s.mean_ms},
                               {"max_ms", s.max_ms}, {"queries_per_s", qps}, {"mismatches", s.mismatches},
                               {"first_mismatch", s.first_mismatch}};
  };
  return {{"error", f.error},
          {"ingest", {{"seconds", f.ingest_s}, {"samples_per_s", f.ingest_rate}, {"client_cpu_s", f.client_cpu_s},
                      {"server_cpu_s", f.server_cpu_s}}},
          {"flush_s", f.flush_s},
          {"disk_bytes", f.disk_bytes},
          {"disk_bytes_unmerged", f.disk_bytes_unmerged},
          {"store_disk_bytes", f.store_disk_bytes},
          {"optimize_s", f.optimize_s},
          {"bytes_per_sample", f.stored_samples ? static_cast<double>(f.disk_bytes) / static_cast<double>(f.stored_samples) : 0.0},
          {"stored_samples", f.stored_samples},
          {"latest", lat(f.latest, f.latest_qps)},
          {"agg_1day_1m", lat(f.agg, f.agg_qps)}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"embedded engine vs ClickHouse, same dataset, same run"};
  DatasetOptions dopt;
  dopt.devices = 4;
  int writers = 2, queries = 200;
  std::size_t batch = 10'000;
  std::string workdir = "/tmp", out, durability = "fsync";
  app.add_option("--devices", dopt.devices, "simulated machines");
  app.add_option("--hours", dopt.hours, "hours of data (a 1-day aggregate needs >= 24)");
  app.add_option("--vib-every", dopt.vib_every_s, "vibration burst period in s (0 = none)");
  app.add_option("--writers", writers, "writer threads");
  app.add_option("--batch", batch, "points per write()");
  app.add_option("--queries", queries, "timed queries of each kind");
  app.add_option("--durability", durability, "embedded engine durability: fsync | batch | none");
  app.add_option("--workdir", workdir, "both systems keep their data below this directory");
  std::string ignored_format;
  app.add_option("--out,--benchmark_out", out, "JSON result file (bench/run.sh passes --benchmark_out)");
  app.add_option("--benchmark_out_format", ignored_format, "ignored (always JSON)");
  CLI11_PARSE(app, argc, argv);

  const auto machine = machine_info(workdir);
  const std::string stamp = utc_stamp();
  std::cerr << "generating the dataset…\n";
  Dataset ds = generate(dopt);
  QuerySet qs = make_queries(ds, queries, dopt.seed);
  std::cerr << ds.describe() << "\n";
  const fs::path base = fs::path(workdir) / ("kaiwu-bench-clickhouse-" + std::to_string(::getpid()));
  fs::create_directories(base);

  Figures emb{.name = "embedded"};
  {
    auto store = kaiwu::tsdb::open_engine((base / "engine").string(), durability);
    if (!store) {
      emb.error = store.error().message;
    } else {
      std::cerr << "embedded engine: loading…\n";
      run(**store, ds, qs, writers, batch, 0, emb);
      (void)(*store)->compact();
      emb.disk_bytes = disk_usage((base / "engine").string()).allocated;
      if (auto st = (*store)->stats()) emb.store_disk_bytes = st->disk_bytes;
    }
  }
  Figures chf{.name = "clickhouse"};
  std::string ch_version;
  {
    auto server = kaiwu::testing::ClickHouseServer::start(base.string());
    if (!server) {
      chf.error = server.error().message;
    } else {
      if (auto v = (*server)->sql("SELECT version()")) ch_version = v->substr(0, v->find('\n'));
      kaiwu::tsdb::ClickHouseOptions o;
      o.url = (*server)->url();
      o.database = "bench";
      auto store = kaiwu::tsdb::open_clickhouse(o);
      if (!store) {
        chf.error = store.error().message;
      } else {
        std::cerr << "clickhouse " << ch_version << ": loading…\n";
        run(**store, ds, qs, writers, batch, (*server)->pid(), chf);
        // du right after the load counts every small part; merge them as the embedded engine
        // compacts, then measure again (both figures go to the JSON).
        chf.disk_bytes_unmerged = disk_usage((*server)->dir() + "/data").allocated;
        const auto t_opt = Clock::now();
        if (auto r = (*server)->sql("OPTIMIZE TABLE bench.samples FINAL"); !r) chf.error = "optimize: " + r.error().message;
        chf.optimize_s = seconds_since(t_opt);
        chf.disk_bytes = disk_usage((*server)->dir() + "/data").allocated;  // merged-away parts linger 8 min
        if (auto st = (*store)->stats()) chf.store_disk_bytes = st->disk_bytes;
      }
    }
  }
  fs::remove_all(base);

  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  std::printf("\n%-28s %14s %14s %10s\n", "", "embedded", "clickhouse", "emb/ch");
  auto row = [&](const char* what, double a, double b) { std::printf("%-28s %14.4g %14.4g %9.3gx\n", what, a, b, ratio(a, b)); };
  row("ingest samples/s", emb.ingest_rate, chf.ingest_rate);
  row("ingest samples/CPU-s (srv)", ratio(static_cast<double>(ds.size()), emb.server_cpu_s), ratio(static_cast<double>(ds.size()), chf.server_cpu_s));
  row("latest queries/s", emb.latest_qps, chf.latest_qps);
  row("latest p50 ms", emb.latest.p50_ms, chf.latest.p50_ms);
  row("latest p99 ms", emb.latest.p99_ms, chf.latest.p99_ms);
  row("1-day 1-min avg queries/s", emb.agg_qps, chf.agg_qps);
  row("1-day 1-min avg p50 ms", emb.agg.p50_ms, chf.agg.p50_ms);
  row("1-day 1-min avg p99 ms", emb.agg.p99_ms, chf.agg.p99_ms);
  row("disk B/sample, unmerged", ratio(static_cast<double>(emb.disk_bytes), static_cast<double>(ds.size())),
      ratio(static_cast<double>(chf.disk_bytes_unmerged), static_cast<double>(ds.size())));
  row("disk B/sample, stats()", ratio(static_cast<double>(emb.store_disk_bytes), static_cast<double>(ds.size())),
      ratio(static_cast<double>(chf.store_disk_bytes), static_cast<double>(ds.size())));
  row("disk bytes/sample (du)", ratio(static_cast<double>(emb.disk_bytes), static_cast<double>(ds.size())),
      ratio(static_cast<double>(chf.disk_bytes), static_cast<double>(ds.size())));
  for (const auto* f : {&emb, &chf}) {
    if (!f->error.empty()) std::printf("%s failed: %s\n", f->name.c_str(), f->error.c_str());
    if (f->latest.mismatches || f->agg.mismatches)
      std::printf("%s: %zu latest and %zu aggregate answers wrong (%s%s)\n", f->name.c_str(), f->latest.mismatches,
                  f->agg.mismatches, f->latest.first_mismatch.c_str(), f->agg.first_mismatch.c_str());
  }

  boost::json::object root{
      {"benchmark", "clickhouse"},
      {"date", utc_iso()},
      {"machine", {{"nproc", machine.nproc}, {"usable_cpus", machine.affinity}, {"mem_total_bytes", machine.mem_total},
                   {"cpu_model", machine.cpu_model}, {"kernel", machine.kernel}, {"hostname", machine.hostname},
                   {"loadavg1_at_start", machine.loadavg1}, {"workdir_fs", machine.workdir_fs}}},
      {"dataset", {{"description", ds.describe()}, {"samples", ds.size()}, {"series", ds.series.size()}}},
      {"options", {{"writers", writers}, {"batch_points", batch}, {"queries", queries}, {"embedded_durability", durability},
                   {"clickhouse_version", ch_version}}},
      {"systems", {{"embedded", to_json(emb)}, {"clickhouse", to_json(chf)}}},
      {"ratios_embedded_over_clickhouse",
       {{"ingest", ratio(emb.ingest_rate, chf.ingest_rate)},
        {"latest_qps", ratio(emb.latest_qps, chf.latest_qps)},
        {"agg_qps", ratio(emb.agg_qps, chf.agg_qps)},
        {"disk_bytes", ratio(static_cast<double>(emb.disk_bytes), static_cast<double>(chf.disk_bytes))}}}};
  if (out.empty()) out = std::string(KAIWU_BENCH_RESULTS_DIR) + "/clickhouse-" + stamp + ".json";
  std::ofstream(out) << boost::json::serialize(root) << "\n";
  std::cerr << "results: " << out << "\n";
  return emb.error.empty() && chf.error.empty() && !emb.latest.mismatches && !emb.agg.mismatches &&
                 !chf.latest.mismatches && !chf.agg.mismatches
             ? 0
             : 1;
}
