#!/usr/bin/python3
"""Benchmark of `kaiwu sim` at scale: thousands of simulated Modbus devices (several listeners,
units_per_server each), stepped every tick, while an independent client (python3-pymodbus) polls
every device's holding registers. Prints and stores the simulator's CPU (% of one core) and
memory (RSS), the achieved device reads per second and the errors.

Usage: bench/sim/run.py [--build build] [--devices 3000] [--seconds 20] [--out FILE]
Results: bench/results/sim-<UTC stamp>.json (with the machine and the date).
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine():
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1048576
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "arch": platform.machine(),
            "kernel": platform.release()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--devices", type=int, default=3000)
    ap.add_argument("--units-per-server", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--out")
    a = ap.parse_args()
    from pymodbus.client import ModbusTcpClient

    tmp = tempfile.mkdtemp(prefix="kaiwu-bench-sim-")
    cnc = a.devices * 6 // 10
    compressors = a.devices * 2 // 10
    boilers = a.devices - cnc - compressors
    conf = os.path.join(tmp, "sim.toml")
    with open(conf, "w") as f:
        f.write(f"""seed = 1
tick_ms = 1000
shifts = "always"
[devices]
cnc = {cnc}
compressors = {compressors}
boilers = {boilers}
meters = 2
stations = 0
sensors = 0
agvs = 0
[modbus]
listen = "127.0.0.1:0"
units_per_server = {a.units_per_server}
""")
    log_path = os.path.join(tmp, "sim.log")
    log = open(log_path, "wb")
    started = time.time()
    sim = subprocess.Popen([os.path.join(a.build, "kaiwu"), "sim", "--config", conf, "--data", tmp],
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        devices = []  # (name, port, unit)
        deadline = time.time() + 60
        while time.time() < deadline and len(devices) < a.devices:
            time.sleep(0.2)
            with open(log_path, errors="replace") as f:
                devices = re.findall(r"sim device (\S+) \([a-z]+, modbus-tcp port (\d+) unit (\d+)\)", f.read())
        if len(devices) < a.devices:
            sys.exit(f"kaiwu sim announced {len(devices)} of {a.devices} Modbus devices; see {log_path}")
        ready_s = time.time() - started
        ports = sorted({int(p) for _, p, _ in devices})
        clients = {p: ModbusTcpClient("127.0.0.1", port=p, timeout=3) for p in ports}
        for c in clients.values():
            c.connect()
        time.sleep(1.5)  # a tick or so
        cpu0, t0 = proc_cpu_seconds(sim.pid), time.time()
        reads = errors = 0
        rounds = 0
        while time.time() - t0 < a.seconds:
            for name, port, unit in devices:
                rr = clients[int(port)].read_holding_registers(0, 10, slave=int(unit))
                reads += 1
                if rr.isError():
                    errors += 1
                if time.time() - t0 >= a.seconds:
                    break
            rounds += 1
        wall = time.time() - t0
        cpu = proc_cpu_seconds(sim.pid) - cpu0
        rss = proc_rss_mb(sim.pid)
        for c in clients.values():
            c.close()
    finally:
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
        log.close()
    result = {"benchmark": "sim_scale", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(), "modbus_devices": a.devices, "cnc": cnc, "compressors": compressors,
              "boilers": boilers, "listeners": len(ports), "units_per_server": a.units_per_server,
              "tick_ms": 1000, "startup_seconds": round(ready_s, 2), "wall_seconds": round(wall, 2),
              "sim_cpu_percent_of_one_core": round(100 * cpu / wall, 1), "sim_rss_mb": round(rss, 1),
              "client_reads": reads, "client_reads_per_second": round(reads / wall), "read_errors": errors,
              "full_polling_rounds": rounds}
    print(json.dumps(result, indent=1))
    out = a.out or os.path.join(HERE, "..", "results", time.strftime("sim-%Y-%m-%dT%H%M%SZ.json", time.gmtime()))
    with open(out, "w") as f:
        json.dump(result, f)
        f.write("\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
