#!/usr/bin/python3
"""MQTT ingest benchmark: Kaiwu (durable QoS 1 ingest) against mosquitto (pure pass-through),
same machine, same load, same run. See bench/mqtt/README.md.

Usage: /usr/bin/python3 bench/mqtt/run.py [--build build] [--connections 50] [--duration 20] ...
"""

import argparse
import ctypes
import datetime
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ADMIN_PASSWORD = "bench-admin-secret-1"
MOSQUITTO = "/usr/sbin/mosquitto"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def credit_code(first17):
    """GB 32100-2015 check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    return first17 + alphabet[(31 - total % 31) % 31]


class Rest:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, token=None, ok=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        resp = self.conn.getresponse()
        data = resp.read()
        parsed = json.loads(data) if data else None
        if resp.status not in ok:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
        return parsed


def provision(http_port, n_devices, token_file):
    rest = Rest(http_port)
    admin = rest.call("POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["token"]
    tenant = rest.call("POST", "/api/v1/tenants", {"name": "bench"}, admin)
    rest.call("POST", "/api/v1/users", {"username": "bench-admin", "password": "password-1",
                                        "role": "tenant-admin", "tenantId": tenant["id"]}, admin)
    tok = rest.call("POST", "/api/v1/auth/login", {"username": "bench-admin", "password": "password-1"})["token"]
    ent = rest.call("POST", "/api/v1/enterprises", {"name": "bench works", "industry": "汽车",
                                                    "creditCode": credit_code("91440300MA5BENCH1")}, tok)
    with open(token_file, "w") as f:
        for i in range(n_devices):
            dev = rest.call("POST", "/api/v1/devices", {"name": f"bench-{i:05d}", "enterpriseId": ent["id"],
                                                        "category": "processing", "protocol": "mqtt"}, tok)
            f.write(dev["accessToken"] + "\n")
    return tok, ent


class Procs:
    """Every process started here; all killed at the end, also on error."""

    def __init__(self):
        self.procs = []

    def start(self, args, log_path, env=None):
        log = open(log_path, "ab")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent)
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=15):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                self.stop(p)
            except Exception:  # noqa: BLE001 — keep stopping the others
                pass


def run_bench(kaiwu, args, procs, log_path, server_pid):
    """Runs `kaiwu bench mqtt` and returns its JSON, adding the server's CPU seconds."""
    p = subprocess.Popen([kaiwu, "bench", "mqtt", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=die_with_parent)
    procs.procs.append(p)
    c0 = cpu_s(server_pid)
    out, err = p.communicate(timeout=600)
    c1 = cpu_s(server_pid)
    with open(log_path, "a") as f:
        f.write(err)
    if p.returncode != 0 or not out.strip():
        raise RuntimeError(f"kaiwu bench mqtt {' '.join(args)} failed ({p.returncode}): {err[-2000:]}")
    r = json.loads(out.strip().splitlines()[-1])
    r["server_cpu_s"] = round(c1 - c0, 3)
    return r


def idle_phase(kaiwu, base_args, n, seconds, procs, server_pid):
    """Opens n idle connections; samples the server's RSS once all are connected."""
    rss_before = rss_kib(server_pid)
    p = subprocess.Popen([kaiwu, "bench", "mqtt", "--idle", "--connections", str(n), "--duration", str(seconds),
                          *base_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=die_with_parent)
    procs.procs.append(p)
    line = p.stderr.readline()  # "ready <connected>" once every connect finished
    if not line.startswith("ready"):
        p.kill()
        raise RuntimeError(f"idle client: {line!r} {p.stderr.read()[-2000:]}")
    time.sleep(min(2.0, seconds / 2))
    rss_during = 0
    for _ in range(3):
        rss_during = max(rss_during, rss_kib(server_pid))
        time.sleep(0.2)
    out, _ = p.communicate(timeout=seconds + 60)
    r = json.loads(out.strip().splitlines()[-1])
    time.sleep(1.0)
    r.update({"server_rss_before_kib": rss_before, "server_rss_idle_kib": rss_during,
              "server_rss_after_kib": rss_kib(server_pid),
              "rss_per_connection_bytes": round((rss_during - rss_before) * 1024 / max(1, r["connected"]))})
    return r


def machine_info(kaiwu):
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        rev = ""
    mosq = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True).stdout.splitlines()[:1]
    kv = subprocess.run([kaiwu, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cores": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem_kib / 1048576, 1),
            "kernel": platform.release(), "machine": platform.machine(), "git": rev,
            "mosquitto": mosq[0] if mosq else "", "kaiwu": kv}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build dir holding the kaiwu binary")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--qos", type=int, default=1, choices=(0, 1))
    ap.add_argument("--payload-bytes", type=int, default=64)
    ap.add_argument("--inflight", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20, help="seconds of load per broker")
    ap.add_argument("--messages", type=int, default=0, help="stop at this many PUBACKs instead (0: --duration only)")
    ap.add_argument("--idle-connections", type=int, default=2000)
    ap.add_argument("--idle-seconds", type=float, default=8)
    ap.add_argument("--workdir", default=None, help="parent of the temporary data directories (real disk)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    kaiwu = os.path.join(a.build, "kaiwu")
    if not os.access(kaiwu, os.X_OK):
        sys.exit(f"no kaiwu binary at {kaiwu} (build it, or pass --build)")
    if not os.access(MOSQUITTO, os.X_OK):
        sys.exit(f"{MOSQUITTO} missing (Debian package mosquitto)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * a.idle_connections + 1024
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.idle_connections + 256:
        sys.exit(f"RLIMIT_NOFILE {soft}/{hard} too low for {a.idle_connections} idle connections")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    work = tempfile.mkdtemp(prefix="kaiwu-bench-mqtt-", dir=a.workdir)
    procs = Procs()
    result = {"benchmark": "mqtt", "date": stamp, "machine": machine_info(kaiwu),
              "load": {"connections": a.connections, "qos": a.qos, "payload_bytes": a.payload_bytes,
                       "inflight": a.inflight, "duration_s": a.duration, "messages": a.messages},
              "idle": {"connections": a.idle_connections, "seconds": a.idle_seconds}}
    load_args = ["--connections", str(a.connections), "--qos", str(a.qos), "--payload-bytes", str(a.payload_bytes),
                 "--inflight", str(a.inflight), "--duration", str(a.duration), "--messages", str(a.messages)]
    try:
        # --- mosquitto: pure pass-through, no persistence, anonymous.
        mport = free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {mport} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "log_type error\nlog_type warning\nmax_connections -1\n")
        mosq = procs.start([MOSQUITTO, "-c", conf], os.path.join(work, "mosquitto.log"))
        wait_port(mport, mosq)
        time.sleep(0.3)
        m_base = rss_kib(mosq.pid)
        print(f"mosquitto pid {mosq.pid} on :{mport}, idle RSS {m_base} KiB", flush=True)
        mq = run_bench(kaiwu, ["--port", str(mport), "--topic", "bench/t", *load_args], procs,
                       os.path.join(work, "client.log"), mosq.pid)
        print("mosquitto load:", json.dumps(mq), flush=True)
        mi = idle_phase(kaiwu, ["--port", str(mport)], a.idle_connections, a.idle_seconds, procs, mosq.pid)
        print("mosquitto idle:", json.dumps(mi), flush=True)
        result["mosquitto"] = {"rss_start_kib": m_base, "load": mq, "idle": mi}
        procs.stop(mosq)

        # --- Kaiwu: device telemetry through the MQTT device API, durable (fsync) storage.
        data = os.path.join(work, "kaiwu-data")
        hport, kport = free_port(), free_port()
        env = dict(os.environ, KAIWU_ADMIN_PASSWORD=ADMIN_PASSWORD)
        kw = procs.start([kaiwu, "serve", "--data", data, "--set", "http.address=127.0.0.1",
                          "--set", f"http.port={hport}", "--set", "mqtt.address=127.0.0.1",
                          "--set", f"mqtt.port={kport}", "--set", "mqtt.connects_per_minute_per_address=0"],
                         os.path.join(work, "kaiwu.log"), env=env)
        wait_port(hport, kw)
        wait_port(kport, kw)
        time.sleep(0.5)
        k_base = rss_kib(kw.pid)
        print(f"kaiwu pid {kw.pid} http :{hport} mqtt :{kport}, idle RSS {k_base} KiB", flush=True)
        tokens = os.path.join(work, "tokens.txt")
        t = time.time()
        n_dev = max(a.connections, a.idle_connections)
        provision(hport, n_dev, tokens)
        print(f"provisioned {n_dev} devices in {time.time() - t:.1f} s", flush=True)
        k_prov = rss_kib(kw.pid)
        kq = run_bench(kaiwu, ["--port", str(kport), "--token-file", tokens, *load_args], procs,
                       os.path.join(work, "client.log"), kw.pid)
        print("kaiwu load:", json.dumps(kq), flush=True)
        ki = idle_phase(kaiwu, ["--port", str(kport), "--token-file", tokens], a.idle_connections, a.idle_seconds,
                        procs, kw.pid)
        print("kaiwu idle:", json.dumps(ki), flush=True)
        result["kaiwu"] = {"rss_start_kib": k_base, "rss_after_provisioning_kib": k_prov, "durability": "fsync",
                           "load": kq, "idle": ki}
        procs.stop(kw)
        if kw.returncode not in (0, None):
            result["kaiwu"]["exit_code"] = kw.returncode

        ratio = kq["rate_per_s"] / mq["rate_per_s"] if mq["rate_per_s"] else None
        result["summary"] = {
            "mosquitto_rate_per_s": mq["rate_per_s"], "kaiwu_rate_per_s": kq["rate_per_s"],
            "kaiwu_over_mosquitto": round(ratio, 3) if ratio else None,
            "bar_met": bool(ratio and ratio >= 1.0),
            "mosquitto_rss_per_idle_conn_bytes": mi["rss_per_connection_bytes"],
            "kaiwu_rss_per_idle_conn_bytes": ki["rss_per_connection_bytes"],
            "kaiwu_100k_idle_projection_mib": round((ki["server_rss_before_kib"] * 1024 +
                                                     ki["rss_per_connection_bytes"] * 100_000) / 2**20),
            "kaiwu_idle_server_rss_mib": round(k_base / 1024, 1),
        }
        out = a.out or os.path.join(ROOT, "bench", "results", f"mqtt-{stamp}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
            f.write("\n")
        s = result["summary"]
        print()
        print(f"QoS {a.qos}, {a.connections} connections, {a.payload_bytes}-byte payloads, inflight {a.inflight}")
        print(f"  mosquitto pass-through : {s['mosquitto_rate_per_s']:>10.0f} msg/s")
        print(f"  Kaiwu durable ingest   : {s['kaiwu_rate_per_s']:>10.0f} msg/s")
        print(f"  ratio Kaiwu/mosquitto  : {s['kaiwu_over_mosquitto']}  (bar: >= 1.0 -> "
              f"{'met' if s['bar_met'] else 'NOT met'})")
        print(f"  idle RSS per connection: mosquitto {s['mosquitto_rss_per_idle_conn_bytes']} B, "
              f"Kaiwu {s['kaiwu_rss_per_idle_conn_bytes']} B ({a.idle_connections} connections)")
        print(f"  Kaiwu idle server RSS  : {s['kaiwu_idle_server_rss_mib']} MiB (bar <= 50 MB); "
              f"100k idle projection {s['kaiwu_100k_idle_projection_mib']} MiB (bar <= 1024)")
        print(f"results: {out}")
        return 0
    except Exception as e:  # noqa: BLE001
        print(f"bench/mqtt: FAILED: {e}", file=sys.stderr)
        for name in ("kaiwu.log", "mosquitto.log", "client.log"):
            p = os.path.join(work, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    tail = f.read()[-3000:].decode("utf-8", "replace")
                print(f"--- {name} (tail)\n{tail}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
