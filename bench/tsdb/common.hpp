// Shared pieces of bench_tsdb: the query set (with the answers expected from the dataset), the
// per-system result record, latency statistics, du, CPU time and machine information.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "datagen.hpp"

namespace kaiwu::bench::tsdb {

// The queries every system runs, and what they must answer.
struct QuerySet {
  struct Latest {
    std::uint32_t series = 0;
    std::string device, key;
    std::int64_t ts = 0;  // timestamp of the last sample
    double value = 0;     // numeric value of the last sample
    std::int64_t period_ms = 1000;  // how often the series is sampled (vibration: burst period)
  };
  struct Agg {
    std::uint32_t series = 0;
    std::string device, key;
    std::int64_t from = 0, to = 0;  // [from, to), minute aligned
    std::vector<std::pair<std::int64_t, double>> buckets;  // (bucket start, mean), empty ones omitted
    std::size_t samples = 0;  // samples in the range
    bool regular = true;      // sampled at 1 Hz (not vibration bursts)
  };
  std::vector<Latest> latest;
  std::vector<Agg> agg;
};

// n queries of each kind: latest over every 1 Hz series round-robin (devices and keys mixed,
// seeded shuffle), aggregates over the analog series: avg per minute over the last 24 h of
// the dataset (or all of it when shorter). When a class is missing (--classes) the aggregates
// fall back to counters and steps, then booleans, then vibration; latest falls back to vibration.
QuerySet make_queries(const Dataset& ds, int n, std::uint64_t seed);

struct LatencyStats {
  std::size_t n = 0;
  double p50_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
  std::size_t mismatches = 0;   // answers that differ from the dataset
  std::string first_mismatch;   // the first such difference, for the report
};
LatencyStats latency_stats(std::vector<double> ms);

struct SystemResult {
  std::string name;      // "kaiwu", "influxdb", "victoriametrics"
  std::string version;
  bool ran = false;
  std::string error;     // why it did not run / failed
  std::uint64_t samples = 0;   // samples written
  int writers = 0;             // writer threads / HTTP connections
  double ingest_s = 0;         // wall clock, first write to last acknowledgement
  double ingest_rate = 0;      // samples / ingest_s
  double server_cpu_s = 0;     // CPU seconds of the server process during ingest (peers)
  double client_cpu_s = 0;     // CPU seconds of this process during ingest
  double rate_per_cpu = 0;     // samples per CPU-second of the storing process (Kaiwu: this process; peers: the server)
  // Kaiwu's second ingest run (other writer count); zeros when not run.
  int writers2 = 0;
  double ingest2_s = 0, ingest2_rate = 0, cpu2_s = 0, rate2_per_cpu = 0;
  std::uint64_t retries = 0;   // HTTP writes retried (peer busy)
  double settle_s = 0;         // flush / compaction until the size settled
  std::uint64_t disk_bytes = 0;          // du (allocated blocks) of the data directories
  std::uint64_t disk_apparent_bytes = 0; // sum of file sizes
  std::uint64_t engine_disk_bytes = 0;   // what the engine itself reports (Kaiwu stats().disk_bytes)
  double bytes_per_sample = 0;           // disk_bytes / samples
  std::uint64_t stored_samples = 0;      // read back from the system after loading (0 = unknown)
  std::uint64_t peak_rss_bytes = 0;      // server VmHWM (peers)
  LatencyStats latest, agg;
  std::vector<std::pair<std::string, std::string>> notes;
};

// du: allocated bytes (st_blocks × 512) and apparent bytes of every file below path (hard
// links once). Missing path = zeros.
struct DiskUsage {
  std::uint64_t allocated = 0;
  std::uint64_t apparent = 0;
  std::uint64_t files = 0;
};
DiskUsage disk_usage(const std::string& path);

// CPU seconds (user + system) of this process so far.
double self_cpu_seconds();
// CPU seconds of another process (from /proc/PID/stat), -1 when gone.
double proc_cpu_seconds(int pid);
// VmHWM of another process in bytes (0 when unknown).
std::uint64_t proc_peak_rss(int pid);

struct MachineInfo {
  unsigned nproc = 0;         // online CPUs
  unsigned affinity = 0;      // CPUs this process may run on
  std::uint64_t mem_total = 0;
  std::string cpu_model;
  std::string kernel;
  std::string hostname;
  double loadavg1 = 0;        // at start: the machine is shared
  std::string workdir_fs;     // filesystem type of the work directory
};
MachineInfo machine_info(const std::string& workdir);

// "2025-01-31T120000Z" (UTC) and ISO-8601 "2025-01-31T12:00:00Z".
std::string utc_stamp();
std::string utc_iso();

// Output of a command (first line trimmed), "" on failure.
std::string command_output(const std::string& cmd);

// Relative difference check used by the answer checks.
bool close_enough(double a, double b, double rel);

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace kaiwu::bench::tsdb
