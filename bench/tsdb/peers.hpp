// The peers of the storage benchmark: InfluxDB 1.6 (Debian `influxdb`, influxd) and
// VictoriaMetrics 1.79 (Debian `victoria-metrics`), each started by the benchmark on free
// loopback ports with its data in a temporary directory, loaded with the same dataset over
// HTTP (InfluxDB line protocol, which both accept), flushed and compacted, measured (du) and
// queried, then stopped.
//
// The servers never outlive the benchmark: each runs in its own process group with
// PR_SET_PDEATHSIG = SIGKILL (dies with us, even on SIGKILL), and the group is killed from the
// destructor, an atexit handler and SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers.
#pragma once

#include <cstdint>
#include <string>

#include "common.hpp"
#include "datagen.hpp"

namespace kaiwu::bench::tsdb {

struct PeerOptions {
  std::string workdir;                 // a fresh directory per peer is created below it
  int conns = 2;                       // concurrent HTTP writers (devices split like Kaiwu's threads)
  std::size_t lines_per_batch = 5000;  // lines per POST
  int warmup = 20;                     // untimed queries before the timed ones
  double settle_timeout_s = 600;       // give up waiting for compaction after this long
  bool keep = false;                   // keep the data directories
  bool verbose = false;
  std::string influxd = "influxd";
  std::string victoria = "victoria-metrics";
};

// Installs the cleanup handlers (idempotent; called by the peer runners too).
void install_peer_cleanup();

SystemResult run_influxdb(const Dataset& ds, const QuerySet& qs, const PeerOptions& opt);
SystemResult run_victoriametrics(const Dataset& ds, const QuerySet& qs, const PeerOptions& opt);

}  // namespace kaiwu::bench::tsdb
