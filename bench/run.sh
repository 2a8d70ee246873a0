#!/usr/bin/env bash
# Runs every benchmark binary of a build and stores JSON results in bench/results/ (bench_http,
# bench_tsdb, bench_rules: each takes --benchmark_out=PATH).
# Usage: bench/run.sh [build-dir]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results"
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
host="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
echo "Kaiwu benchmarks on $host, $stamp"
found=0
# bench_modbus (bench/modbus/) takes --benchmark_out like the Google Benchmark binaries.
for b in "$build"/bench/bench_*; do
  [[ -x "$b" ]] || continue
  found=1
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_out="$out/$name-$stamp.json" --benchmark_out_format=json
done
[[ $found == 1 ]] || { echo "no benchmark binaries in $build/bench"; exit 1; }
echo "== mqtt (kaiwu bench mqtt: Kaiwu vs mosquitto)"
/usr/bin/python3 "$here/mqtt/run.py" --build "$build" --out "$out/mqtt-$stamp.json"
echo "== sim (kaiwu sim with 3,000 Modbus devices)"
/usr/bin/python3 "$here/sim/run.py" --build "$build" --out "$out/sim-$stamp.json"
echo "== cluster (ingest with 1, 2 and 3 kaiwu nodes on one NATS/PostgreSQL/ClickHouse; all share this machine's cores)"
/usr/bin/python3 "$here/bench_cluster.py" --build "$build" --out "$out/cluster-$stamp.json"
