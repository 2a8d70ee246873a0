#!/usr/bin/python3
"""Cluster ingest benchmark: MQTT QoS 1 telemetry into 1, 2 and 3 `kaiwu serve` nodes sharing one
set of engines (3-server NATS JetStream cluster with R3 streams, PostgreSQL, ClickHouse), all
started by scripts/cluster-up.sh on loopback ports in a temporary directory and stopped by
scripts/cluster-down.sh (by PID).

For each configuration the same number of MQTT device connections (`kaiwu bench mqtt`, one
client process per node, connections spread evenly over the nodes) publish 64-byte payloads
with 16 unacknowledged PUBLISHes each for a fixed time; the rate counts PUBACKs, and a PUBACK
means the sample is in ClickHouse. Printed: samples/s per configuration and the ratio to one
node, the CPU seconds each kind of process used, and the bus messages dropped.

CAVEAT: every process (the Kaiwu nodes, three NATS servers, PostgreSQL, ClickHouse and the load
generators) shares this machine's cores (2 on the development box), so this measures how the
cluster behaves when nodes are added on the SAME cores, not how it scales on separate machines.

Usage: /usr/bin/python3 bench/bench_cluster.py [--build build] [--connections 48] [--duration 15]
Results: bench/results/cluster-<UTC stamp>.json (machine, date, git revision, per-run figures).
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "mqtt"))
import run as mqtt_bench  # noqa: E402  (bench/mqtt/run.py: provisioning, CPU accounting, machine info)

UP = os.path.join(ROOT, "scripts", "cluster-up.sh")
DOWN = os.path.join(ROOT, "scripts", "cluster-down.sh")
MEMBERS = ("kaiwu-1", "kaiwu-2", "kaiwu-3", "nats-1", "nats-2", "nats-3", "postgres", "clickhouse")


def machine_busy_s():
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Cluster:
    def __init__(self, kaiwu, work):
        self.dir = os.path.join(work, "cluster")
        self.env = dict(os.environ, KAIWU_BIN=kaiwu, KAIWU_CLUSTER_PORT_BASE="auto",
                        KAIWU_ADMIN_PASSWORD=mqtt_bench.ADMIN_PASSWORD)

    def up(self):
        out = subprocess.run([UP, self.dir], env=self.env, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"cluster-up.sh: {out.stdout}\n{out.stderr}")
        with open(os.path.join(self.dir, "cluster.env")) as f:
            self.endpoints = dict(line.strip().split("=", 1) for line in f if "=" in line and line[0] != "#")

    def down(self, *members):
        out = subprocess.run([DOWN, self.dir, *members], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"cluster-down.sh: {out.stdout}\n{out.stderr}")

    def http_port(self, i):
        return int(self.endpoints[f"KAIWU_NODE{i}_HTTP"].rsplit(":", 1)[1])

    def mqtt_port(self, i):
        return int(self.endpoints[f"KAIWU_NODE{i}_MQTT_PORT"])

    def pids(self):
        out = {}
        for m in MEMBERS:
            try:
                with open(os.path.join(self.dir, "pids", f"{m}.pid")) as f:
                    out[m] = int(f.read())
            except OSError:
                pass
        return out

    def metric(self, i, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port(i)}/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def clickhouse_inserts(self):
        """INSERT queries the ClickHouse server ran since it started (system.events)."""
        req = urllib.request.Request(self.endpoints["KAIWU_CLICKHOUSE_URL"] + "/", method="POST",
                                     data=b"SELECT value FROM system.events WHERE event = 'InsertQuery'")
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.read().strip() or 0)

    def telemetry_bus_messages(self):
        """Messages in the KAIWU_TELEMETRY stream (nats-1's monitoring endpoint)."""
        with urllib.request.urlopen(self.endpoints["KAIWU_NATS1_MONITOR"] + "/jsz?streams=true", timeout=10) as r:
            jsz = json.loads(r.read())
        for account in jsz.get("account_details", []):
            for stream in account.get("stream_detail", []):
                if stream["name"] == "KAIWU_TELEMETRY":
                    return stream["state"]["messages"]
        return 0


def process_cpu(pids):
    """CPU seconds per member kind (kaiwu, nats, postgres, clickhouse): every process of the
    member's session (cluster-up.sh starts each in its own; PostgreSQL's backends included) plus
    the children its leader reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    kind_of = {pid: member.split("-")[0] for member, pid in pids.items()}
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session = int(fields[3])
        if session not in kind_of:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if int(entry) == session:
            ticks += int(fields[13]) + int(fields[14])
        out[kind_of[session]] = out.get(kind_of[session], 0.0) + ticks / tick
    return out


def run_config(cluster, kaiwu, nodes, token_files, a, work):
    """Load through `nodes` nodes at once; returns the summed figures."""
    per_node = [a.connections // nodes + (1 if i < a.connections % nodes else 0) for i in range(nodes)]
    dropped0 = sum(cluster.metric(i, "kaiwu_bus_publish_dropped_total") for i in range(1, nodes + 1))
    pids = cluster.pids()
    # Idle first: what the members burn with no load (consumers polling, heartbeats).
    idle0 = process_cpu(pids)
    time.sleep(a.idle_seconds)
    idle1 = process_cpu(pids)
    idle = {k: round((idle1[k] - idle0.get(k, 0.0)) / a.idle_seconds, 3) for k in idle1}
    cpu0, busy0 = process_cpu(pids), machine_busy_s()
    inserts0, bus0 = cluster.clickhouse_inserts(), cluster.telemetry_bus_messages()
    procs = []
    for i in range(nodes):
        args = [kaiwu, "bench", "mqtt", "--port", str(cluster.mqtt_port(i + 1)), "--token-file", token_files[i],
                "--connections", str(per_node[i]), "--qos", "1", "--payload-bytes", str(a.payload_bytes),
                "--inflight", str(a.inflight), "--duration", str(a.duration)]
        with open(os.path.join(work, "client.log"), "ab") as log:
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True,
                                          preexec_fn=mqtt_bench.die_with_parent))
    clients = []
    for p in procs:
        out, _ = p.communicate(timeout=a.duration + 300)
        if p.returncode != 0 or not out.strip():
            raise RuntimeError(f"kaiwu bench mqtt exited with {p.returncode} (see {work}/client.log)")
        clients.append(json.loads(out.strip().splitlines()[-1]))
    cpu1, busy1 = process_cpu(pids), machine_busy_s()
    time.sleep(0.5)  # the last acknowledged bus publishes
    inserts1, bus1 = cluster.clickhouse_inserts(), cluster.telemetry_bus_messages()
    dropped1 = sum(cluster.metric(i, "kaiwu_bus_publish_dropped_total") for i in range(1, nodes + 1))
    acked = sum(c["messages_acked"] for c in clients)
    used = {k: cpu1[k] - cpu0.get(k, 0.0) for k in cpu1}
    seconds = max(c["seconds"] for c in clients)
    return {
        "nodes": nodes, "connections": per_node, "messages_acked": acked, "seconds": seconds,
        "samples_per_s": round(sum(c["rate_per_s"] for c in clients), 1),
        "failed_connections": sum(c["failed"] for c in clients),
        "bus_publish_dropped": int(dropped1 - dropped0),
        # Batching: each node packs only its own connections' samples into INSERTs and bus messages.
        "clickhouse_inserts": inserts1 - inserts0,
        "samples_per_insert": round(acked / max(1, inserts1 - inserts0), 1),
        "telemetry_bus_messages": bus1 - bus0,
        "samples_per_bus_message": round(acked / max(1, bus1 - bus0), 2),
        "cpu_s": {k: round(v, 2) for k, v in used.items()} |
                 {"clients": round(sum(c["client_cpu_s"] for c in clients), 2),
                  "machine_busy": round(busy1 - busy0, 2),
                  "other_processes": round(busy1 - busy0 - sum(used.values()), 2)},
        "cpu_s_available": round(seconds * os.cpu_count(), 1),
        "idle_cpu_s_per_s": idle,
        "cpu_us_per_sample": {k: round(v * 1e6 / acked, 1) for k, v in used.items()} if acked else {},
        "load_average_1m": os.getloadavg()[0],
        "clients": clients,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build dir holding the kaiwu binary")
    ap.add_argument("--connections", type=int, default=48, help="MQTT device connections in every configuration")
    ap.add_argument("--payload-bytes", type=int, default=64)
    ap.add_argument("--inflight", type=int, default=16)
    ap.add_argument("--duration", type=float, default=15, help="seconds of load per configuration")
    ap.add_argument("--idle-seconds", type=float, default=5, help="idle CPU measurement before each load")
    ap.add_argument("--workdir", default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None,
                    help="parent of the temporary cluster directory (default /dev/shm: tmpfs, so that the "
                         "disk shared with other work does not dominate)")
    ap.add_argument("--keep", action="store_true", help="keep the cluster directory")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    kaiwu = os.path.abspath(os.path.join(a.build, "kaiwu"))
    if not os.access(kaiwu, os.X_OK):
        sys.exit(f"no kaiwu binary at {kaiwu} (build it, or pass --build)")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    work = tempfile.mkdtemp(prefix="kaiwu-bench-cluster-", dir=a.workdir)
    os.chmod(work, 0o711)  # the postgres user reaches work/cluster/postgres
    cluster = Cluster(kaiwu, work)
    result = {"benchmark": "cluster", "date": stamp, "machine": mqtt_bench.machine_info(kaiwu),
              "engines": {"nats": "3 servers, JetStream, R3 streams", "postgres": "1", "clickhouse": "1"},
              "load": {"connections": a.connections, "qos": 1, "payload_bytes": a.payload_bytes,
                       "inflight": a.inflight, "duration_s": a.duration},
              "workdir": a.workdir or tempfile.gettempdir(),
              "caveat": f"all nodes, engines and load generators share {os.cpu_count()} cores", "runs": []}
    try:
        cluster.up()
        print(f"cluster up in {cluster.dir}", flush=True)
        tokens_path = os.path.join(work, "tokens.txt")
        mqtt_bench.provision(cluster.http_port(1), a.connections, tokens_path)
        with open(tokens_path) as f:
            tokens = [t for t in f.read().split("\n") if t]
        for nodes in (1, 2, 3):
            # Exactly `nodes` Kaiwu nodes: start what is missing, stop the rest.
            cluster.up()
            if nodes < 3:
                cluster.down(*[f"kaiwu-{i}" for i in range(nodes + 1, 4)])
            time.sleep(2.0)
            token_files = []
            for i in range(nodes):
                path = os.path.join(work, f"tokens-{nodes}-{i + 1}.txt")
                with open(path, "w") as f:
                    f.write("\n".join(tokens[i::nodes]) + "\n")
                token_files.append(path)
            r = run_config(cluster, kaiwu, nodes, token_files, a, work)
            result["runs"].append(r)
            print(f"{nodes} node(s): {r['samples_per_s']:>9.0f} samples/s  ({r['messages_acked']} PUBACKs, "
                  f"bus dropped {r['bus_publish_dropped']}; CPU-s {r['cpu_s']}; "
                  f"CPU-us per sample {r['cpu_us_per_sample']})", flush=True)
        base = result["runs"][0]["samples_per_s"]
        result["summary"] = {f"{r['nodes']}_nodes": {"samples_per_s": r["samples_per_s"],
                                                     "ratio_to_1_node": round(r["samples_per_s"] / base, 3) if base else None}
                             for r in result["runs"]}
        out = a.out or os.path.join(HERE, "results", f"cluster-{stamp}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print()
        print(f"MQTT QoS 1 ingest into ClickHouse, {a.connections} connections spread over the nodes, "
              f"{a.payload_bytes}-byte payloads, {a.inflight} in flight each, {a.duration:g} s per configuration")
        for r in result["runs"]:
            s = result["summary"][f"{r['nodes']}_nodes"]
            per = r["cpu_us_per_sample"]
            print(f"  {r['nodes']} kaiwu node(s): {s['samples_per_s']:>9.0f} samples/s   ratio to 1 node "
                  f"{s['ratio_to_1_node']:<6}  CPU-us/sample: kaiwu {per.get('kaiwu')}, nats {per.get('nats')}, "
                  f"clickhouse {per.get('clickhouse')}; {r['samples_per_insert']} samples per INSERT, "
                  f"{r['samples_per_bus_message']} per bus message; idle CPU-s/s {r['idle_cpu_s_per_s']}; other processes {r['cpu_s']['other_processes']} CPU-s")
        print(f"  CAVEAT: {result['caveat']} (machine busy {result['runs'][-1]['cpu_s']['machine_busy']} of "
              f"{result['runs'][-1]['cpu_s_available']} CPU-s in the last run): adding nodes here adds no cores.")
        print(f"results: {out}")
        return 0
    except Exception as e:  # noqa: BLE001
        print(f"bench_cluster: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        cluster.down()
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
