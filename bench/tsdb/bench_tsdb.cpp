// bench_tsdb: Kaiwu's storage engine against InfluxDB 1.6 and VictoriaMetrics 1.79 on the same
// generated industrial dataset, in the same run. Prints a table with ratios and the design's
// performance bars, and writes a JSON result file (bench/results/tsdb-<UTC stamp>.json).
//
//   bench_tsdb                       # default dataset (~11 M samples), Kaiwu + both peers
//   bench_tsdb --devices 2 --hours 2 # small
//   bench_tsdb --no-peers            # Kaiwu only
//   bench_tsdb --peers-only          # peers only (no engine needed)
//
// See bench/tsdb/README.md for the dataset and for exactly what each figure measures.
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "common.hpp"
#include "datagen.hpp"
#include "peers.hpp"

#ifndef KAIWU_BENCH_NO_ENGINE
#include "core/errc.hpp"
#include "tsdb/engine.hpp"
#include "tsdb/store.hpp"
#endif

#ifndef KAIWU_BENCH_RESULTS_DIR
#define KAIWU_BENCH_RESULTS_DIR "bench/results"
#endif
#ifndef KAIWU_BENCH_SOURCE_DIR
#define KAIWU_BENCH_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace kaiwu::bench::tsdb;
using Clock = std::chrono::steady_clock;

namespace {

struct KaiwuOptions {
  std::string workdir;
  std::string durability = "fsync";
  std::size_t batch = 10'000;
  std::vector<int> writers{1, 2};
  int warmup = 20;
  bool keep = false;
};

#ifndef KAIWU_BENCH_NO_ENGINE

double value_as_double(const kaiwu::tsdb::Value& v) {
  switch (v.index()) {
    case 0: return std::get<double>(v);
    case 1: return static_cast<double>(std::get<std::int64_t>(v));
    case 2: return std::get<bool>(v) ? 1.0 : 0.0;
    default: return std::nan("");
  }
}

std::string error_text(const kaiwu::Error& e) { return std::string(kaiwu::errc_name(e.code)) + ": " + e.message; }

template <typename F>
LatencyStats time_calls(std::size_t n, int warmup, F&& one) {
  for (int w = 0; w < warmup && n > 0; ++w) one(static_cast<std::size_t>(w) % n);
  std::vector<double> ms;
  std::size_t mismatches = 0;
  std::string first;
  for (std::size_t i = 0; i < n; ++i) {
    auto [elapsed, mismatch] = one(i);
    ms.push_back(elapsed);
    if (!mismatch.empty() && mismatches++ == 0) first = mismatch;
  }
  auto s = latency_stats(std::move(ms));
  s.mismatches = mismatches;
  s.first_mismatch = first;
  return s;
}

// Writes the dataset with `writers` threads (devices split by device % writers); returns
// (wall seconds, CPU seconds of this process).
std::pair<double, double> ingest(kaiwu::tsdb::TelemetryStore& store, const Dataset& ds, int writers, std::size_t batch) {
  auto batches = make_point_batches(ds, writers, batch);
  std::barrier sync(writers + 1);
  std::mutex mu;
  std::string error;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      sync.arrive_and_wait();
      for (const auto& b : batches[static_cast<std::size_t>(t)]) {
        auto st = store.write(std::span<const kaiwu::tsdb::Point>(b));
        if (!st) {
          std::lock_guard lock(mu);
          if (error.empty()) error = "write: " + error_text(st.error());
          return;
        }
      }
    });
  }
  const double cpu0 = self_cpu_seconds();
  sync.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& th : threads) th.join();
  const double wall = seconds_since(t0);
  const double cpu = self_cpu_seconds() - cpu0;
  if (!error.empty()) throw std::runtime_error(error);
  return {wall, cpu};
}

SystemResult run_kaiwu(const Dataset& ds, const QuerySet& qs, const KaiwuOptions& o) {
  SystemResult r;
  r.name = "kaiwu";
  r.version = command_output("git -C '" KAIWU_BENCH_SOURCE_DIR "' describe --always --dirty");
  r.notes.emplace_back("durability", o.durability);
  r.notes.emplace_back("batch", std::to_string(o.batch) + " points per write()");
  try {
    for (std::size_t run = 0; run < o.writers.size(); ++run) {
      const int w = o.writers[run];
      const fs::path dir = fs::path(o.workdir) / ("kaiwu-w" + std::to_string(w));
      fs::remove_all(dir);
      fs::create_directories(dir);
      auto opened = kaiwu::tsdb::open_engine(dir.string(), o.durability);
      if (!opened) throw std::runtime_error("open_engine: " + error_text(opened.error()));
      std::unique_ptr<kaiwu::tsdb::TelemetryStore> store = std::move(*opened);

      std::cerr << "kaiwu: loading with " << w << " writer(s)…\n";
      auto [wall, cpu] = ingest(*store, ds, w, o.batch);
      const double rate = static_cast<double>(ds.size()) / wall;
      const double per_cpu = cpu > 0 ? static_cast<double>(ds.size()) / cpu : 0;
      std::cerr << "  " << ds.size() << " samples in " << wall << " s (" << rate / 1e6 << " M/s), CPU " << cpu << " s\n";
      if (run == 0) {
        r.samples = ds.size();
        r.writers = w;
        r.ingest_s = wall;
        r.ingest_rate = rate;
        r.client_cpu_s = cpu;
        r.server_cpu_s = cpu;
        r.rate_per_cpu = per_cpu;

        // Flush heads, then compact (the peers get their compaction too), and measure.
        const auto t_flush = Clock::now();
        if (auto st = store->flush(); !st) throw std::runtime_error("flush: " + error_text(st.error()));
        const double flush_s = seconds_since(t_flush);
        const auto du_flush = disk_usage(dir.string());
        if (auto st = store->compact(); !st) throw std::runtime_error("compact: " + error_text(st.error()));
        r.settle_s = seconds_since(t_flush);
        r.notes.emplace_back("flush_s", std::to_string(flush_s));
        r.notes.emplace_back("du_after_flush_bytes", std::to_string(du_flush.allocated));
        auto du = disk_usage(dir.string());
        {
          std::string parts;  // du of each top-level entry of the engine directory
          std::error_code ec;
          for (const auto& e : fs::directory_iterator(dir, ec))
            parts += (parts.empty() ? "" : ", ") + e.path().filename().string() + " " + std::to_string(disk_usage(e.path().string()).allocated);
          r.notes.emplace_back("du_by_entry_bytes", parts);
        }
        r.disk_bytes = du.allocated;
        r.disk_apparent_bytes = du.apparent;
        r.bytes_per_sample = static_cast<double>(r.disk_bytes) / static_cast<double>(r.samples);
        if (auto stats = store->stats()) {
          r.stored_samples = stats->samples;
          r.engine_disk_bytes = stats->disk_bytes;
          r.notes.emplace_back("stats", "series " + std::to_string(stats->series) + ", chunks " + std::to_string(stats->chunks) +
                                            ", chunk_bytes " + std::to_string(stats->chunk_bytes) + ", head_samples " +
                                            std::to_string(stats->head_samples) + ", engine bytes/sample " +
                                            std::to_string(stats->bytes_per_sample));
        } else {
          r.notes.emplace_back("stats", "failed: " + error_text(stats.error()));
        }

        const std::string& tenant = ds.opt.tenant;
        r.latest = time_calls(qs.latest.size(), o.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
          const auto& q = qs.latest[i];
          std::string keys[1] = {q.key};
          auto t0 = Clock::now();
          auto res = store->latest(tenant, q.device, std::span<const std::string>(keys));
          double ms = seconds_since(t0) * 1e3;
          if (!res) return {ms, error_text(res.error())};
          for (const auto& lv : *res) {
            if (lv.key != q.key) continue;
            if (lv.sample.ts != q.ts || !close_enough(value_as_double(lv.sample.value), q.value, 0))
              return {ms, q.device + "/" + q.key + ": got " + std::to_string(value_as_double(lv.sample.value)) + "@" +
                              std::to_string(lv.sample.ts) + ", want " + std::to_string(q.value) + "@" + std::to_string(q.ts)};
            return {ms, ""};
          }
          return {ms, q.device + "/" + q.key + ": missing"};
        });
        r.agg = time_calls(qs.agg.size(), o.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
          const auto& q = qs.agg[i];
          kaiwu::tsdb::AggQuery aq;
          aq.tenant = tenant;
          aq.device = q.device;
          aq.keys = {q.key};
          aq.from = q.from;
          aq.to = q.to;
          aq.interval = 60'000;
          aq.agg = kaiwu::tsdb::Agg::kAvg;
          auto t0 = Clock::now();
          auto res = store->aggregate(aq);
          double ms = seconds_since(t0) * 1e3;
          if (!res) return {ms, error_text(res.error())};
          for (const auto& kb : *res) {
            if (kb.key != q.key) continue;
            if (kb.buckets.size() != q.buckets.size())
              return {ms, q.device + "/" + q.key + ": " + std::to_string(kb.buckets.size()) + " buckets, want " + std::to_string(q.buckets.size())};
            for (std::size_t b = 0; b < kb.buckets.size(); ++b)
              if (kb.buckets[b].ts != q.buckets[b].first || !close_enough(value_as_double(kb.buckets[b].value), q.buckets[b].second, 1e-9))
                return {ms, q.device + "/" + q.key + ": bucket " + std::to_string(b) + " differs (" +
                                std::to_string(value_as_double(kb.buckets[b].value)) + " vs " + std::to_string(q.buckets[b].second) + ")"};
            return {ms, ""};
          }
          return {ms, q.device + "/" + q.key + ": missing"};
        });
      } else {
        r.writers2 = w;
        r.ingest2_s = wall;
        r.ingest2_rate = rate;
        r.cpu2_s = cpu;
        r.rate2_per_cpu = per_cpu;
      }
      store.reset();
      if (!o.keep) fs::remove_all(dir);
    }
    r.ran = true;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

#endif  // KAIWU_BENCH_NO_ENGINE

// ---------------------------------------------------------------------------------------------
// Report.

std::string fmt_num(double v, int prec = 2) {
  if (v == 0) return "-";
  char buf[64];
  if (prec >= 3 && std::fabs(v) < 1e4)  // latencies and bytes/sample: significant digits
    std::snprintf(buf, sizeof buf, "%.4g", v);
  else if (std::fabs(v) >= 1e6)
    std::snprintf(buf, sizeof buf, "%.*f M", prec, v / 1e6);
  else if (std::fabs(v) >= 1e4)
    std::snprintf(buf, sizeof buf, "%.*f k", prec, v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string fmt_ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3gx", a / b);
  return buf;
}

// Kaiwu's ingest rate with the given writer count (0 when not measured).
double kaiwu_rate(const SystemResult& k, int writers) {
  if (k.writers == writers) return k.ingest_rate;
  if (k.writers2 == writers) return k.ingest2_rate;
  return 0;
}

boost::json::object latency_json(const LatencyStats& s) {
  boost::json::object o;
  o["n"] = s.n;
  o["p50_ms"] = s.p50_ms;
  o["p99_ms"] = s.p99_ms;
  o["mean_ms"] = s.mean_ms;
  o["max_ms"] = s.max_ms;
  o["mismatches"] = s.mismatches;
  if (!s.first_mismatch.empty()) o["first_mismatch"] = s.first_mismatch;
  return o;
}

boost::json::object system_json(const SystemResult& r) {
  boost::json::object o;
  o["ran"] = r.ran;
  o["version"] = r.version;
  if (!r.error.empty()) o["error"] = r.error;
  if (!r.ran) return o;
  boost::json::object ing;
  ing["samples"] = r.samples;
  ing["writers"] = r.writers;
  ing["seconds"] = r.ingest_s;
  ing["samples_per_s"] = r.ingest_rate;
  ing["server_cpu_s"] = r.server_cpu_s;
  ing["client_cpu_s"] = r.client_cpu_s;
  ing["samples_per_cpu_s"] = r.rate_per_cpu;
  if (r.retries) ing["retried_writes"] = r.retries;
  o["ingest"] = ing;
  if (r.writers2) {
    boost::json::object ing2;
    ing2["writers"] = r.writers2;
    ing2["seconds"] = r.ingest2_s;
    ing2["samples_per_s"] = r.ingest2_rate;
    ing2["cpu_s"] = r.cpu2_s;
    ing2["samples_per_cpu_s"] = r.rate2_per_cpu;
    o["ingest_2"] = ing2;
  }
  boost::json::object disk;
  disk["settle_s"] = r.settle_s;
  disk["du_bytes"] = r.disk_bytes;
  disk["apparent_bytes"] = r.disk_apparent_bytes;
  if (r.engine_disk_bytes) disk["engine_bytes"] = r.engine_disk_bytes;
  disk["bytes_per_sample"] = r.bytes_per_sample;
  disk["stored_samples"] = r.stored_samples;
  o["disk"] = disk;
  o["latest"] = latency_json(r.latest);
  o["agg_1day_1m"] = latency_json(r.agg);
  if (r.peak_rss_bytes) o["peak_rss_bytes"] = r.peak_rss_bytes;
  boost::json::object notes;
  for (const auto& [k, v] : r.notes) notes[k] = v;
  o["notes"] = notes;
  return o;
}

void print_table(const Dataset& ds, const QuerySet& qs, const SystemResult& k, const SystemResult& ix, const SystemResult& vm) {
  const SystemResult* cols[3] = {&k, &ix, &vm};
  auto cell = [](const SystemResult& r, double v, int prec = 2) { return r.ran ? fmt_num(v, prec) : std::string(r.error.empty() ? "skipped" : "failed"); };
  std::printf("\n%-34s %16s %16s %16s %13s %13s\n", "", "Kaiwu", "InfluxDB", "VictoriaMetrics", "Kaiwu/Influx", "Kaiwu/VM");
  auto row = [&](const char* label, double kv, double iv, double vv, int prec = 2, bool ratio = true) {
    std::printf("%-34s %16s %16s %16s %13s %13s\n", label, cell(k, kv, prec).c_str(), cell(ix, iv, prec).c_str(), cell(vm, vv, prec).c_str(),
                ratio && ix.ran && k.ran ? fmt_ratio(kv, iv).c_str() : "-", ratio && vm.ran && k.ran ? fmt_ratio(kv, vv).c_str() : "-");
  };
  for (int w : {1, 2, 3, 4, 8}) {
    double kv = kaiwu_rate(k, w);
    double iv = ix.writers == w ? ix.ingest_rate : 0, vv = vm.writers == w ? vm.ingest_rate : 0;
    if (kv == 0 && iv == 0 && vv == 0) continue;
    char label[64];
    std::snprintf(label, sizeof label, "ingest, %d writer%s (samples/s)", w, w == 1 ? "" : "s");
    row(label, kv, iv, vv);
  }
  row("ingest per CPU-second (samples)", k.rate_per_cpu, ix.rate_per_cpu, vm.rate_per_cpu);
  row("disk, du (bytes/sample)", k.bytes_per_sample, ix.bytes_per_sample, vm.bytes_per_sample, 3);
  row("disk, du (MB)", static_cast<double>(k.disk_bytes) / 1e6, static_cast<double>(ix.disk_bytes) / 1e6, static_cast<double>(vm.disk_bytes) / 1e6);
  row("flush + compaction (s)", k.settle_s, ix.settle_s, vm.settle_s, 2, false);
  row("latest p50 (ms)", k.latest.p50_ms, ix.latest.p50_ms, vm.latest.p50_ms, 3);
  row("latest p99 (ms)", k.latest.p99_ms, ix.latest.p99_ms, vm.latest.p99_ms, 3);
  row("1-day 1-min avg p50 (ms)", k.agg.p50_ms, ix.agg.p50_ms, vm.agg.p50_ms, 3);
  row("1-day 1-min avg p99 (ms)", k.agg.p99_ms, ix.agg.p99_ms, vm.agg.p99_ms, 3);
  std::printf("(ratios are Kaiwu / peer: above 1 is better for rates, below 1 is better for bytes and latencies;\n"
              " per-CPU = samples / CPU seconds of the storing process: Kaiwu's whole process, the peer's server)\n");
  for (const SystemResult* r : cols) {
    if (!r->ran) {
      if (!r->error.empty()) std::printf("%s: %s\n", r->name.c_str(), r->error.c_str());
      continue;
    }
    if (r->stored_samples && r->stored_samples != r->samples)
      std::printf("%s: WARNING stored %llu samples, wrote %llu\n", r->name.c_str(), static_cast<unsigned long long>(r->stored_samples),
                  static_cast<unsigned long long>(r->samples));
    if (r->latest.mismatches) std::printf("%s: WARNING %zu latest answers wrong, e.g. %s\n", r->name.c_str(), r->latest.mismatches, r->latest.first_mismatch.c_str());
    if (r->agg.mismatches) std::printf("%s: WARNING %zu aggregate answers wrong, e.g. %s\n", r->name.c_str(), r->agg.mismatches, r->agg.first_mismatch.c_str());
  }
  (void)ds;
  if (!qs.agg.empty())
    std::printf("aggregate range: %zu samples per query (%s)\n", qs.agg.front().samples,
                qs.agg.front().samples >= 86'400 ? "a full day at 1 Hz" : "the whole dataset, shorter than a day");
}

struct Bar {
  std::string name;
  std::string want;
  double value = 0;
  std::optional<bool> pass;  // empty: not measured
};

std::vector<Bar> bars(const QuerySet& qs, const SystemResult& k, const SystemResult& ix) {
  std::vector<Bar> out;
  auto add = [&](std::string name, std::string want, bool measured, double v, bool pass) {
    Bar b{std::move(name), std::move(want), v, std::nullopt};
    if (measured) b.pass = pass;
    out.push_back(std::move(b));
  };
  add("ingest per core (samples per CPU-second, 1 writer)", ">= 1000000", k.ran, k.rate_per_cpu, k.rate_per_cpu >= 1e6);
  add("disk bytes/sample", "<= 1.5", k.ran, k.bytes_per_sample, k.bytes_per_sample <= 1.5);
  add("latest p99 (ms)", "<= 1", k.ran, k.latest.p99_ms, k.latest.p99_ms <= 1);
  bool full_day = !qs.agg.empty() && qs.agg.front().samples >= 86'400;
  add("1-day range aggregate p99 (ms)", "<= 5", k.ran && full_day, k.agg.p99_ms, k.agg.p99_ms <= 5);
  double kr = ix.ran ? kaiwu_rate(k, ix.writers) : 0;
  add("ingest vs InfluxDB (same writers)", ">= 2x", k.ran && ix.ran && kr > 0, ix.ingest_rate > 0 ? kr / ix.ingest_rate : 0,
      ix.ingest_rate > 0 && kr >= 2 * ix.ingest_rate);
  add("disk vs InfluxDB", "<= 0.5x", k.ran && ix.ran, ix.bytes_per_sample > 0 ? k.bytes_per_sample / ix.bytes_per_sample : 0,
      k.bytes_per_sample <= 0.5 * ix.bytes_per_sample);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_tsdb: Kaiwu's storage engine vs InfluxDB 1.6 and VictoriaMetrics on the same industrial dataset", "bench_tsdb"};
  DatasetOptions dopt;
  KaiwuOptions kopt;
  PeerOptions popt;
  int queries = 200;
  bool no_peers = false, peers_only = false, no_influx = false, no_vm = false, keep = false, verbose = true;
  std::string out, out_format, workdir;
  app.add_option("--devices", dopt.devices, "devices (machines)")->capture_default_str();
  app.add_option("--hours", dopt.hours, "hours of data (a 1-day aggregate needs >= 24)")->capture_default_str();
  app.add_option("--keys", dopt.keys, "1 Hz keys per device (catalogue order; > 11 adds analog channels)")->capture_default_str();
  app.add_option("--vib-axes", dopt.vib_axes, "1 kHz vibration keys per device (0..3)")->capture_default_str();
  app.add_option("--vib-every", dopt.vib_every_s, "seconds between vibration bursts (0 = none)")->capture_default_str();
  app.add_option("--vib-burst-ms", dopt.vib_burst_ms, "samples (ms at 1 kHz) per vibration burst")->capture_default_str();
  app.add_option("--classes", dopt.classes, "signal classes to include: analog,counter,step,bool,vib")->capture_default_str();
  app.add_option("--seed", dopt.seed, "generator seed")->capture_default_str();
  app.add_option("--ts-jitter-ms", dopt.ts_jitter_ms, "jitter of 1 Hz timestamps, ms (0 = on the second)")->capture_default_str();
  app.add_flag("--decimal-mul", dopt.decimal_mul, "scale registers by multiplying (x*0.01, not exactly decimal) instead of dividing");
  app.add_option("--slice-s", dopt.slice_s, "stream interleaving: seconds per gateway message round")->capture_default_str();
  app.add_option("--end-ms", dopt.end_ms, "end of the data, ms since epoch (0 = now, floored to the minute)")->capture_default_str();
  app.add_option("--durability", kopt.durability, "Kaiwu durability: fsync, batch or none")->capture_default_str();
  app.add_option("--batch", kopt.batch, "points per Kaiwu write()")->capture_default_str();
  app.add_option("--writers", kopt.writers, "Kaiwu writer thread counts, one load each (the first is queried)")->capture_default_str()->delimiter(',');
  app.add_option("--peer-conns", popt.conns, "concurrent HTTP writers per peer")->capture_default_str();
  app.add_option("--lines-per-batch", popt.lines_per_batch, "line-protocol lines per peer POST")->capture_default_str();
  app.add_option("--queries", queries, "timed queries of each kind")->capture_default_str();
  app.add_option("--warmup", kopt.warmup, "untimed queries before the timed ones")->capture_default_str();
  app.add_option("--settle-timeout", popt.settle_timeout_s, "seconds to wait for peer compaction")->capture_default_str();
  app.add_option("--workdir", workdir, "where data directories go (default $TMPDIR or /tmp)");
  app.add_flag("--keep", keep, "keep the data directories");
  app.add_flag("--no-peers", no_peers, "Kaiwu only");
  app.add_flag("--peers-only", peers_only, "peers only (no Kaiwu engine)");
  app.add_flag("--no-influx", no_influx, "skip InfluxDB");
  app.add_flag("--no-vm", no_vm, "skip VictoriaMetrics");
  app.add_flag("!--quiet", verbose, "less progress output");
  app.add_option("--out", out, "JSON result file (default " KAIWU_BENCH_RESULTS_DIR "/tsdb-<UTC stamp>.json)");
  // bench/run.sh passes Google Benchmark's flags to every bench_* binary.
  app.add_option("--benchmark_out", out, "same as --out")->group("");
  app.add_option("--benchmark_out_format", out_format, "ignored (always JSON)")->group("");
  CLI11_PARSE(app, argc, argv);

#ifdef KAIWU_BENCH_NO_ENGINE
  if (!peers_only) {
    std::cerr << "bench_tsdb was built without the engine (KAIWU_BENCH_NO_ENGINE): running the peers only\n";
    peers_only = true;
  }
#endif
  if (peers_only && no_peers) {
    std::cerr << "--peers-only and --no-peers exclude each other\n";
    return 2;
  }
  if (kopt.writers.empty() || std::any_of(kopt.writers.begin(), kopt.writers.end(), [](int w) { return w < 1 || w > 64; })) {
    std::cerr << "--writers: 1..64 each\n";
    return 2;
  }
  install_peer_cleanup();

  if (workdir.empty()) {
    const char* t = std::getenv("TMPDIR");
    workdir = t && *t ? t : "/tmp";
  }
  // Work directories of earlier runs that were killed (their pid is gone) are removed.
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(workdir, ec)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("kaiwu-bench-tsdb-")) continue;
      const std::string pid = name.substr(17);
      if (pid.empty() || !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
      if (!fs::exists("/proc/" + pid)) fs::remove_all(e.path(), ec);
    }
  }
  const fs::path work = fs::path(workdir) / ("kaiwu-bench-tsdb-" + std::to_string(::getpid()));
  fs::create_directories(work);
  kopt.workdir = work.string();
  kopt.keep = keep;
  popt.workdir = work.string();
  popt.keep = keep;
  popt.verbose = verbose;
  popt.warmup = kopt.warmup;

  const auto machine = machine_info(work.string());
  const std::string date = utc_iso();
  std::printf("bench_tsdb %s on %u CPUs (%u usable), %.1f GiB, %s; load %.2f; workdir %s (%s)\n", date.c_str(), machine.nproc, machine.affinity,
              static_cast<double>(machine.mem_total) / (1 << 30), machine.cpu_model.c_str(), machine.loadavg1, work.c_str(), machine.workdir_fs.c_str());

  Dataset ds;
  double gen_s = 0;
  try {
    auto t0 = Clock::now();
    ds = generate(dopt);
    gen_s = seconds_since(t0);
  } catch (const std::exception& e) {
    std::cerr << "dataset: " << e.what() << "\n";
    return 2;
  }
  std::printf("dataset: %s (generated in %.1f s)\n", ds.describe().c_str(), gen_s);
  std::fflush(stdout);
  const QuerySet qs = make_queries(ds, queries, dopt.seed);

  SystemResult kaiwu_r, influx_r, vm_r;
  kaiwu_r.name = "kaiwu";
  influx_r.name = "influxdb";
  vm_r.name = "victoriametrics";
  if (!peers_only) {
#ifndef KAIWU_BENCH_NO_ENGINE
    kaiwu_r = run_kaiwu(ds, qs, kopt);
    if (!kaiwu_r.error.empty()) std::cerr << "kaiwu: " << kaiwu_r.error << "\n";
#endif
  }
  if (!no_peers) {
    if (!no_influx) {
      std::cerr << "influxdb: starting, loading…\n";
      influx_r = run_influxdb(ds, qs, popt);
      if (!influx_r.error.empty()) std::cerr << "influxdb: " << influx_r.error << "\n";
    }
    if (!no_vm) {
      std::cerr << "victoriametrics: starting, loading…\n";
      vm_r = run_victoriametrics(ds, qs, popt);
      if (!vm_r.error.empty()) std::cerr << "victoriametrics: " << vm_r.error << "\n";
    }
  }

  print_table(ds, qs, kaiwu_r, influx_r, vm_r);
  const auto bar_list = bars(qs, kaiwu_r, influx_r);
  if (kaiwu_r.ran) {
    std::printf("\nperformance bars (DESIGN.md):\n");
    for (const auto& b : bar_list)
      std::printf("  %-52s %-11s %14s  %s\n", b.name.c_str(), b.want.c_str(), fmt_num(b.value, 3).c_str(),
                  !b.pass ? "n/a" : *b.pass ? "PASS" : "FAIL");
  }

  // JSON.
  boost::json::object root;
  root["benchmark"] = "tsdb";
  root["date"] = date;
  {
    boost::json::object m;
    m["nproc"] = machine.nproc;
    m["usable_cpus"] = machine.affinity;
    m["mem_total_bytes"] = machine.mem_total;
    m["cpu_model"] = machine.cpu_model;
    m["kernel"] = machine.kernel;
    m["hostname"] = machine.hostname;
    m["loadavg1_at_start"] = machine.loadavg1;
    m["workdir_fs"] = machine.workdir_fs;
    root["machine"] = m;
  }
  {
    boost::json::object d;
    d["description"] = ds.describe();
    d["seed"] = dopt.seed;
    d["devices"] = dopt.devices;
    d["hours"] = dopt.hours;
    d["keys"] = dopt.keys;
    d["vib_axes"] = dopt.vib_axes;
    d["vib_every_s"] = dopt.vib_every_s;
    d["vib_burst_ms"] = dopt.vib_burst_ms;
    d["classes"] = dopt.classes;
    d["ts_jitter_ms"] = dopt.ts_jitter_ms;
    d["decimal_mul"] = dopt.decimal_mul;
    d["slice_s"] = dopt.slice_s;
    d["start_ms"] = ds.start_ms;
    d["end_ms"] = ds.end_ms;
    d["series"] = ds.series.size();
    d["samples"] = ds.size();
    boost::json::object by_class;
    for (auto c : {SignalClass::kAnalog, SignalClass::kCounter, SignalClass::kStep, SignalClass::kBool, SignalClass::kVibration}) {
      boost::json::object cc;
      cc["series"] = ds.series_of_class(c);
      cc["samples"] = ds.samples_of_class(c);
      by_class[class_name(c)] = cc;
    }
    d["by_class"] = by_class;
    d["generate_s"] = gen_s;
    root["dataset"] = d;
  }
  {
    boost::json::object o;
    o["durability"] = kopt.durability;
    o["batch_points"] = kopt.batch;
    boost::json::array wr;
    for (int w : kopt.writers) wr.push_back(w);
    o["kaiwu_writers"] = wr;
    o["peer_conns"] = popt.conns;
    o["lines_per_batch"] = popt.lines_per_batch;
    o["queries"] = queries;
    o["warmup"] = kopt.warmup;
    if (!qs.agg.empty()) o["agg_range_samples"] = qs.agg.front().samples;
    root["options"] = o;
  }
  {
    boost::json::object s;
    s["kaiwu"] = system_json(kaiwu_r);
    s["influxdb"] = system_json(influx_r);
    s["victoriametrics"] = system_json(vm_r);
    root["systems"] = s;
  }
  {
    boost::json::object ratios;
    for (const SystemResult* p : {&influx_r, &vm_r}) {
      if (!kaiwu_r.ran || !p->ran) continue;
      boost::json::object r;
      double kr = kaiwu_rate(kaiwu_r, p->writers);
      if (kr > 0) r["ingest_same_writers"] = kr / p->ingest_rate;
      if (p->rate_per_cpu > 0) r["ingest_per_cpu"] = kaiwu_r.rate_per_cpu / p->rate_per_cpu;
      if (p->bytes_per_sample > 0) r["bytes_per_sample"] = kaiwu_r.bytes_per_sample / p->bytes_per_sample;
      if (p->latest.p50_ms > 0) r["latest_p50"] = kaiwu_r.latest.p50_ms / p->latest.p50_ms;
      if (p->latest.p99_ms > 0) r["latest_p99"] = kaiwu_r.latest.p99_ms / p->latest.p99_ms;
      if (p->agg.p50_ms > 0) r["agg_p50"] = kaiwu_r.agg.p50_ms / p->agg.p50_ms;
      if (p->agg.p99_ms > 0) r["agg_p99"] = kaiwu_r.agg.p99_ms / p->agg.p99_ms;
      ratios[p == &influx_r ? "kaiwu_over_influxdb" : "kaiwu_over_victoriametrics"] = r;
    }
    root["ratios"] = ratios;
  }
  {
    boost::json::array b;
    for (const auto& x : bar_list) {
      boost::json::object o;
      o["bar"] = x.name;
      o["want"] = x.want;
      o["value"] = x.value;
      if (x.pass) o["pass"] = *x.pass;
      else o["pass"] = nullptr;
      b.push_back(o);
    }
    root["bars"] = b;
  }

  if (out.empty()) out = std::string(KAIWU_BENCH_RESULTS_DIR) + "/tsdb-" + utc_stamp() + ".json";
  try {
    if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
    std::ofstream f(out);
    f << boost::json::serialize(root) << "\n";
    if (!f) throw std::runtime_error("write failed");
    std::printf("\nresults: %s\n", out.c_str());
  } catch (const std::exception& e) {
    std::cerr << "cannot write " << out << ": " << e.what() << "\n";
  }

  if (!keep) {
    std::error_code ec;
    fs::remove_all(work, ec);
  } else {
    std::printf("data kept in %s\n", work.c_str());
  }
  const bool failed = (!peers_only && !kaiwu_r.ran) || (!no_peers && !no_influx && !influx_r.ran) || (!no_peers && !no_vm && !vm_r.ran);
  return failed ? 1 : 0;
}
