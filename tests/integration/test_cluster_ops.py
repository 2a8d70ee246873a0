"""A real local cluster brought up by scripts/cluster-up.sh in a temporary directory (three
nats-server processes as one JetStream cluster, PostgreSQL, ClickHouse, three `kaiwu serve`
nodes on free loopback ports) and torn down by scripts/cluster-down.sh (by PID).

Scenarios that need no cross-node MQTT subscriber delivery: REST CRUD through one node seen on
the others (one login valid everywhere), MQTT telemetry into node 1 read exactly from node 3,
a rule chain created through node 1 in every node's engine (ChainSync) raising an alarm for
telemetry that arrives on node 2, and then, under load
(paho devices publishing QoS 1 at a bounded rate through all three nodes), `kill -9` of one Kaiwu
node and of one NATS server: the devices reconnect to another node and every sample that got a
PUBACK is queryable afterwards. Finally cluster-up.sh restarts exactly the members that died.
Skips when nats-server, PostgreSQL or ClickHouse are not installed."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import ADMIN_PASSWORD, credit_code, wait_for  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402  (python3-paho-mqtt)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UP = os.path.join(ROOT, "scripts", "cluster-up.sh")
DOWN = os.path.join(ROOT, "scripts", "cluster-down.sh")

MISSING = [what for what, ok in (
    ("nats-server", shutil.which("nats-server")),
    ("PostgreSQL", glob.glob("/usr/lib/postgresql/*/bin/initdb")),
    ("clickhouse-server", os.access("/usr/sbin/clickhouse-server", os.X_OK))) if not ok]


class Node:
    """One kaiwu node of the cluster, with the harness's HTTP client."""
    url = harness.Server.url
    request = harness.Server.request
    login = harness.Server.login

    def __init__(self, http_url, mqtt_port):
        self.port = int(http_url.rsplit(":", 1)[1])
        self.mqtt_port = int(mqtt_port)


class Cluster:
    def __init__(self):
        # tmpfs when there is one: removing ClickHouse's and PostgreSQL's files from a busy disk
        # takes longer than the whole test.
        parent = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="kaiwu-it-cluster-", dir=parent)
        self.env = dict(os.environ, KAIWU_BIN=os.path.abspath(harness.KAIWU),
                        KAIWU_CLUSTER_PORT_BASE="auto", KAIWU_ADMIN_PASSWORD=ADMIN_PASSWORD)
        # The cluster's processes run in their own sessions (as cluster-up.sh starts them): if this
        # test dies without its cleanup (a ctest timeout's SIGKILL), the watchdog stops them.
        self.watchdog = subprocess.Popen(
            ["/bin/sh", "-c", f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; \"$0\" \"$1\"; rm -rf \"$1\"",
             DOWN, self.dir], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up(self):
        out = subprocess.run([UP, self.dir], env=self.env, capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError(f"cluster-up.sh failed ({out.returncode}):\n{out.stdout}\n{out.stderr}\n"
                               + self.logs())
        with open(os.path.join(self.dir, "cluster.env")) as f:
            self.endpoints = dict(line.strip().split("=", 1) for line in f if "=" in line and line[0] != "#")
        self.nodes = [Node(self.endpoints[f"KAIWU_NODE{i}_HTTP"], self.endpoints[f"KAIWU_NODE{i}_MQTT_PORT"])
                      for i in (1, 2, 3)]
        return out.stdout

    def down(self, *members):
        return subprocess.run([DOWN, self.dir, *members], capture_output=True, text=True, timeout=180)

    def pid(self, member):
        with open(os.path.join(self.dir, "pids", f"{member}.pid")) as f:
            return int(f.read())

    def logs(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "kaiwu-*", "server.log"))):
            with open(path, "rb") as f:
                out.append(f"--- {path}\n" + f.read()[-2500:].decode("utf-8", "replace"))
        return "\n".join(out)

    def destroy(self):
        out = self.down()
        if os.environ.get("KAIWU_CLUSTER_VERBOSE"):
            print(out.stdout, out.stderr, file=sys.stderr)
        self.watchdog.kill()
        self.watchdog.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


CHAIN = {"nodes": [
    {"id": "hot", "type": "threshold", "params": {"key": "temp", "high": 80, "hysteresis": 5},
     "next": {"Raised": ["alarm"]}},
    {"id": "alarm", "type": "create_alarm", "params": {"alarmType": "ClusterHot", "severity": "major"}},
]}


class Device(threading.Thread):
    """A paho device publishing {"seq": n} QoS 1 at `rate` per second, one message in flight;
    when its node goes away it connects to the next one. Records every PUBACKed (ts, node)."""

    def __init__(self, token, nodes, first, t0, rate, stop):
        super().__init__(daemon=True)
        self.token, self.nodes, self.node, self.t0, self.rate, self.stop = token, nodes, first, t0, rate, stop
        self.acked = []  # (ts, node index, time.time())
        self.unacked = 0
        self.connects = []  # node index of every successful connect

    def connect(self):
        while not self.stop.is_set():
            for k in range(len(self.nodes)):
                idx = (self.node + k) % len(self.nodes)
                c = paho.Client(client_id=f"cl-{self.token[:10]}", protocol=paho.MQTTv311)
                c.username_pw_set(self.token)
                state = {"rc": None, "up": threading.Event(), "lost": threading.Event()}
                c.on_connect = lambda _c, _u, _f, rc, s=state: (s.update(rc=rc), s["up"].set())
                c.on_disconnect = lambda _c, _u, _rc, s=state: s["lost"].set()
                try:
                    c.connect("127.0.0.1", self.nodes[idx].mqtt_port, keepalive=10)
                except OSError:
                    continue
                c.loop_start()
                if state["up"].wait(5) and state["rc"] == 0:
                    self.node = idx
                    self.connects.append(idx)
                    return c, state
                c.loop_stop()
                c.disconnect()
            time.sleep(0.2)
        return None, None

    def run(self):
        c, state = self.connect()
        n = 0
        while c and not self.stop.is_set():
            started = time.time()
            ts = self.t0 + n
            n += 1
            try:
                info = c.publish("v1/devices/me/telemetry", json.dumps({"ts": ts, "values": {"seq": n}}), qos=1)
                info.wait_for_publish(5)
                ok = info.is_published()
            except (RuntimeError, ValueError):
                ok = False
            if ok:
                self.acked.append((ts, self.node, time.time()))
            else:
                self.unacked += 1
            if not ok or state["lost"].is_set():
                c.loop_stop()
                c.disconnect()
                self.node = (self.node + 1) % len(self.nodes)
                c, state = self.connect()
                continue
            time.sleep(max(0.0, 1.0 / self.rate - (time.time() - started)))
        if c:
            c.loop_stop()
            c.disconnect()


@unittest.skipIf(MISSING, f"missing {', '.join(MISSING)} (scripts/install-deps.sh)")
class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        try:
            cls.cluster.up()
            n1 = cls.cluster.nodes[0]
            admin = n1.login("admin", ADMIN_PASSWORD)
            _, cls.tenant, _ = n1.request("POST", "/api/v1/tenants", {"name": "cluster"}, admin)
            n1.request("POST", "/api/v1/users", {"username": "cl-adm", "password": "password-1",
                                                 "role": "tenant-admin", "tenantId": cls.tenant["id"]}, admin)
            cls.tok = n1.login("cl-adm", "password-1")
            _, cls.ent, _ = n1.request("POST", "/api/v1/enterprises", {
                "name": "cluster works", "industry": "机械", "creditCode": credit_code("91320000MA1CLNT01")}, cls.tok)
        except Exception:
            cls.cluster.destroy()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.destroy()

    def node(self, i):
        return self.cluster.nodes[i - 1]

    def req(self, i, method, path, body=None, expect=200):
        status, data, _ = self.node(i).request(method, path, body, self.tok)
        self.assertEqual(status, expect, f"node {i}: {method} {path}: {data}\n{self.cluster.logs()[-3000:]}")
        return data

    def device(self, name, via=1):
        return self.req(via, "POST", "/api/v1/devices", {"name": name, "enterpriseId": self.ent["id"],
                                                        "category": "running", "protocol": "mqtt"}, 201)

    def test_1_rest_crud_through_one_node_is_seen_on_the_others(self):
        dev = self.device("press-1", via=1)
        for i in (2, 3):  # the same token (one signing key) and the same row (PostgreSQL)
            self.assertEqual(self.req(i, "GET", f"/api/v1/devices/{dev['id']}")["name"], "press-1")
        self.req(2, "PATCH", f"/api/v1/devices/{dev['id']}", {"label": "line 7"})
        self.assertEqual(self.req(3, "GET", f"/api/v1/devices/{dev['id']}")["label"], "line 7")
        self.req(2, "POST", f"/api/v1/devices/{dev['id']}/attributes/server", {"limit": 75}, 204)
        self.assertEqual(self.req(1, "GET", f"/api/v1/devices/{dev['id']}/attributes?scope=server")["server"],
                         {"limit": 75})
        names = [d["name"] for d in self.req(3, "GET", "/api/v1/devices?limit=100")["items"]]
        self.assertIn("press-1", names)
        self.req(3, "DELETE", f"/api/v1/devices/{dev['id']}", expect=204)
        self.req(1, "GET", f"/api/v1/devices/{dev['id']}", expect=404)

    def publish(self, port, token, payloads):
        c = paho.Client(client_id=f"pub-{token[:8]}", protocol=paho.MQTTv311)
        c.username_pw_set(token)
        c.connect("127.0.0.1", port, keepalive=30)
        c.loop_start()
        try:
            infos = [c.publish("v1/devices/me/telemetry", json.dumps(p), qos=1) for p in payloads]
            for info in infos:
                info.wait_for_publish(10)
                self.assertTrue(info.is_published())  # PUBACK: the samples are in ClickHouse
        finally:
            c.loop_stop()
            c.disconnect()

    def test_2_mqtt_into_node_1_is_read_exactly_on_node_3(self):
        dev = self.device("meter-1")
        t0 = 1_700_000_040_000  # a multiple of 60 s
        values = [round(100 + i * 0.25, 2) for i in range(120)]
        self.publish(self.node(1).mqtt_port, dev["accessToken"],
                     [{"ts": t0 + i * 1000, "values": {"p": v}} for i, v in enumerate(values)])
        base = f"/api/v1/devices/{dev['id']}/telemetry"
        got = self.req(3, "GET", f"{base}?keys=p&from={t0}&to={t0 + 120000}&limit=1000")
        self.assertEqual(got["p"], [{"ts": t0 + i * 1000, "value": v} for i, v in enumerate(values)])
        self.assertEqual(self.req(2, "GET", f"{base}/latest?keys=p")["p"], {"ts": t0 + 119000, "value": values[-1]})
        avg = self.req(3, "GET", f"{base}?keys=p&from={t0}&to={t0 + 120000}&agg=avg&interval=60000")["p"]
        self.assertEqual([b["ts"] for b in avg], [t0, t0 + 60000])
        for b, half in zip(avg, (values[:60], values[60:])):
            self.assertAlmostEqual(b["value"], sum(half) / 60, places=9)

    def alarms(self, i, dev_id):
        items = self.req(i, "GET", "/api/v1/alarms?status=active")["items"]
        return [a for a in items if a["type"] == "ClusterHot" and a["deviceId"] == dev_id]

    def rule_chains_on(self, i):
        _, text, _ = self.node(i).request("GET", "/metrics")
        return [float(line.split()[1]) for line in text.splitlines() if line.startswith("kaiwu_rules_chains ")]

    def ensure_chain(self, nodes=(1, 2, 3)):
        """The ClusterHot chain, created through node 1 and, within ChainSync's 2 s period, in every
        node's engine (the rules consumer group hands a device's telemetry to any node)."""
        if not getattr(ClusterTest, "chain", None):
            ClusterTest.chain = self.req(1, "POST", "/api/v1/rulechains",
                                         {"name": "hot", "definition": CHAIN, "enabled": True}, 201)
        wait_for(lambda: all(self.rule_chains_on(i) == [1.0] for i in nodes), timeout=15,
                 what="the chain in every node's engine")

    def test_3_rule_chain_raises_an_alarm_for_telemetry_on_another_node(self):
        self.ensure_chain()
        dev = self.device("boiler-1")
        self.publish(self.node(2).mqtt_port, dev["accessToken"], [{"temp": 60}, {"temp": 91.5}])
        active = wait_for(lambda: self.alarms(3, dev["id"]), timeout=20, what="the ClusterHot alarm")
        self.assertEqual((len(active), active[0]["severity"]), (1, "major"))
        self.assertEqual(self.alarms(1, dev["id"]), active)  # one alarm, the same on every node
        # Disabled through node 3: gone from every engine.
        self.req(3, "POST", f"/api/v1/rulechains/{ClusterTest.chain['id']}/disable")
        wait_for(lambda: all(self.rule_chains_on(i) == [0.0] for i in (1, 2, 3)), timeout=15,
                 what="the chain gone from every engine")
        self.req(2, "POST", f"/api/v1/rulechains/{ClusterTest.chain['id']}/enable")
        self.ensure_chain()

    def test_4_kill_a_kaiwu_node_and_a_nats_server_under_load(self):
        devices = [self.device(f"loaded-{k}") for k in range(6)]
        stop = threading.Event()
        t0 = int(time.time() * 1000)
        pubs = [Device(d["accessToken"], self.cluster.nodes, k % 3, t0 + k * 1_000_000, 20, stop)
                for k, d in enumerate(devices)]
        for p in pubs:
            p.start()
        try:
            wait_for(lambda: all(len(p.acked) >= 20 for p in pubs), timeout=30, what="load on all nodes")
            on_node2 = [p for p in pubs if p.node == 1]
            self.assertEqual(len(on_node2), 2)
            killed_at = time.time()
            os.kill(self.cluster.pid("kaiwu-2"), signal.SIGKILL)
            os.kill(self.cluster.pid("nats-1"), signal.SIGKILL)  # node 1's preferred server
            # Every device keeps getting PUBACKs, those of node 2 from another node.
            wait_for(lambda: all(sum(a[2] > killed_at + 3 for a in p.acked) >= 40 for p in pubs), timeout=60,
                     what="PUBACKs after the kills")
        finally:
            stop.set()
            for p in pubs:
                p.join(15)
        for p in on_node2:
            after = {node for _, node, at in p.acked if at > killed_at}
            self.assertTrue(after and 1 not in after, f"node-2 device acked after the kill by {after}")
        total = sum(len(p.acked) for p in pubs)
        # Every PUBACKed sample is there, read through each surviving node.
        for k, (d, p) in enumerate(zip(devices, pubs)):
            lo, hi = t0 + k * 1_000_000, t0 + k * 1_000_000 + 100_000
            got = self.req(1 + 2 * (k % 2), "GET",
                           f"/api/v1/devices/{d['id']}/telemetry?keys=seq&from={lo}&to={hi}&limit=100000")
            stored = {s["ts"]: s["value"] for s in got.get("seq", [])}
            missing = [ts for ts, _, _ in p.acked if ts not in stored]
            self.assertEqual(missing, [], f"device {k}: {len(missing)} PUBACKed samples missing")
            self.assertTrue(all(stored[ts] == ts - lo + 1 for ts, _, _ in p.acked))
        print(f"\n  {total} PUBACKed samples from {len(pubs)} devices all stored; "
              f"{sum(p.unacked for p in pubs)} publishes unanswered at the kill; "
              f"reconnects {sum(len(p.connects) - 1 for p in pubs)}", file=sys.stderr)
        # The surviving cluster still runs rules (two NATS servers keep the R3 streams' quorum) ...
        self.ensure_chain(nodes=(1, 3))
        dev = self.device("boiler-after-kill")
        self.publish(self.node(3).mqtt_port, dev["accessToken"], [{"temp": 50}, {"temp": 95}])
        wait_for(lambda: self.alarms(1, dev["id"]), timeout=30, what="an alarm after the kills")
        # ... and cluster-up.sh restarts exactly the two members that died.
        before = {m: self.cluster.pid(m) for m in ("kaiwu-1", "kaiwu-3", "nats-2", "nats-3", "postgres", "clickhouse")}
        out = self.cluster.up()
        self.assertIn("kaiwu-1 already running", out)
        self.assertNotIn("kaiwu-2 already running", out)
        self.assertNotIn("nats-1 already running", out)
        self.assertEqual({m: self.cluster.pid(m) for m in before}, before)
        got = self.req(2, "GET", f"/api/v1/devices/{devices[0]['id']}/telemetry/latest?keys=seq")
        self.assertEqual(got["seq"]["ts"], max(ts for ts, _, _ in pubs[0].acked))


if __name__ == "__main__":
    unittest.main(verbosity=2)
