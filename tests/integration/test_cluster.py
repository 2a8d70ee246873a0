"""Three stateless `kaiwu serve` nodes sharing real engines this test starts on loopback: one
PostgreSQL (metadata), three nats-server processes as one JetStream cluster (bus, cross-node
MQTT, retained bucket with 3 replicas), one ClickHouse (telemetry). Real peers only:
mosquitto_sub/mosquitto_pub and python3-paho-mqtt against the nodes' MQTT ports, urllib for the
REST API. Checks: a publish on node A reaches subscribers on B and C exactly once (QoS 1 kept);
retained messages are visible on every node, also on a node restarted after they changed; a
client id connecting to B takes the session over from A (DISCONNECT 0x8E); device RPC through A
to a device on B (and 503 / 504 as on one node); kill -9 of the node a device streams QoS 1
telemetry to, the device reconnects to another node, and every PUBACKed sample is in ClickHouse.
Skips without nats-server or PostgreSQL; the kill test also needs ClickHouse."""

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
import urllib.request

import paho.mqtt.client as paho

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, _die_with_parent, credit_code, free_port, wait_for  # noqa: E402
from test_clickhouse import CLICKHOUSE, ClickHouse  # noqa: E402
import test_postgres  # noqa: E402

NODES = 3
USER, PASSWORD = "cl-adm", "password-1"


class NatsCluster:
    """Three nats-server processes routed into one cluster with JetStream (R3 possible)."""

    def __init__(self, size=3):
        self.dir = tempfile.mkdtemp(prefix="kaiwu-it-natscl-")
        self.ports = [free_port() for _ in range(size)]
        self.routes = [free_port() for _ in range(size)]
        self.monitors = [free_port() for _ in range(size)]
        routes = ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)
        self.procs = []
        self.log = open(os.path.join(self.dir, "nats.log"), "ab")
        for i in range(size):
            self.procs.append(subprocess.Popen(
                ["nats-server", "-a", "127.0.0.1", "-p", str(self.ports[i]), "-m", str(self.monitors[i]),
                 "-js", "-sd", os.path.join(self.dir, f"js{i}"), "-n", f"nats-{i}",
                 "--cluster_name", "kaiwu-it", "--cluster", f"nats://127.0.0.1:{self.routes[i]}",
                 "--routes", routes],
                stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent))
        # Ready when every server sees a JetStream meta leader.
        wait_for(lambda: all(self._meta_leader(m) for m in self.monitors), timeout=30, what="NATS JetStream leader")

    def _meta_leader(self, monitor):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/jsz", timeout=2) as r:
                return json.loads(r.read()).get("meta_cluster", {}).get("leader")
        except OSError:
            return None

    def url(self):
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.ports)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def engines_missing():
    if not shutil.which("nats-server"):
        return "no nats-server"
    if test_postgres.pg_bin_dir() is None:
        return "no PostgreSQL server binaries"
    return None


def have_clickhouse():
    return bool(shutil.which(CLICKHOUSE) or os.path.exists(CLICKHOUSE))


class Client:
    """A paho client on one node that records what it receives."""

    def __init__(self, port, client_id, username, password=None, version=paho.MQTTv311):
        self.messages = []
        self.lock = threading.Lock()
        self.disconnects = []
        self.connected = threading.Event()
        self.c = paho.Client(client_id=client_id, protocol=version)
        self.c.username_pw_set(username, password)
        self.c.on_message = self._on_message
        self.c.on_connect = lambda *a: self.connected.set()
        self.c.on_disconnect = lambda _c, _u, rc, *rest: self.disconnects.append(rc)
        self.version = version
        if version == paho.MQTTv5:
            self.c.connect("127.0.0.1", port, keepalive=30, clean_start=True)
        else:
            self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        assert self.connected.wait(10), "no CONNACK"

    def _on_message(self, _c, _u, m):
        with self.lock:
            self.messages.append((m.topic, m.payload.decode(), m.qos, m.retain))

    def got(self):
        with self.lock:
            return list(self.messages)

    def subscribe(self, topic, qos=1):
        done = threading.Event()
        self.c.on_subscribe = lambda *a: done.set()
        self.c.subscribe(topic, qos=qos)
        assert done.wait(10), "no SUBACK"

    def close(self):
        self.c.loop_stop()
        try:
            self.c.disconnect()
        except Exception:  # noqa: BLE001 (already gone)
            pass


@unittest.skipIf(engines_missing(), engines_missing() or "")
class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cleanups = []
        try:
            cls.pg = test_postgres.Postgres(test_postgres.pg_bin_dir()).start()
            cls.cleanups.append(cls.pg.stop)
            cls.nats = NatsCluster()
            cls.cleanups.append(cls.nats.stop)
            cls.ch = None
            if have_clickhouse():  # optional: without it each node keeps telemetry in its own engine
                cls.ch = ClickHouse()
                cls.cleanups.append(cls.ch.stop)
            cls.dir = tempfile.mkdtemp(prefix="kaiwu-it-cluster-")
            cls.cleanups.append(lambda: shutil.rmtree(cls.dir, ignore_errors=True))
            key = os.path.join(cls.dir, "jwt.key")  # one signing key: a token works on every node
            with open(key, "wb") as f:
                f.write(os.urandom(48))
            os.chmod(key, 0o600)
            cls.nodes = []
            for i in range(NODES):
                cls.nodes.append(cls.make_node(i))
            for n in cls.nodes:  # all three start together (schema migration under a lock)
                n.start(wait=False)
            for n in cls.nodes:
                n.wait_healthy(timeout=60)
            admin = cls.nodes[0].login("admin", ADMIN_PASSWORD)
            a = cls.nodes[0]
            _, t, _ = a.request("POST", "/api/v1/tenants", {"name": "cluster"}, admin)
            a.request("POST", "/api/v1/users", {"username": USER, "password": PASSWORD,
                                                "role": "tenant-admin", "tenantId": t["id"]}, admin)
            cls.tok = a.login(USER, PASSWORD)
            _, cls.ent, _ = a.request("POST", "/api/v1/enterprises", {
                "name": "cluster co", "industry": "电子",
                "creditCode": credit_code("91320000MA1CLUX0C")}, cls.tok)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def make_node(cls, i):
        os.makedirs(os.path.join(cls.dir, f"node{i}"))
        sets = ["meta.backend=postgres", f"meta.postgres_url={cls.pg.url()}",
                "bus.backend=nats", f"bus.nats_url={cls.nats.url()}", "bus.replicas=3", f"bus.node_name=it-node-{i}",
                f"auth.jwt_key_file={os.path.join(cls.dir, 'jwt.key')}"]
        if cls.ch:
            sets += ["tsdb.backend=clickhouse", f"tsdb.clickhouse_url={cls.ch.url()}", "tsdb.clickhouse_database=kaiwu_cl"]
        return Server(data_dir=os.path.join(cls.dir, f"node{i}"), extra_sets=sets)

    @classmethod
    def tearDownClass(cls):
        for n in getattr(cls, "nodes", []):
            n.stop()
        for fn in reversed(cls.cleanups):
            fn()

    def setUp(self):
        for n in self.nodes:  # a test that killed a node restarts it
            if n.proc.poll() is not None:
                n.log.close()
                n.start(timeout=60)

    def device(self, name):
        status, dev, _ = self.nodes[0].request("POST", "/api/v1/devices", {
            "name": name, "enterpriseId": self.ent["id"], "category": "running", "protocol": "mqtt"}, self.tok)
        self.assertEqual(status, 201, dev)
        return dev

    def user(self, node, client_id, version=paho.MQTTv311):
        c = Client(node.mqtt_port, client_id, USER, PASSWORD, version)
        self.addCleanup(c.close)
        return c

    def test_publish_on_one_node_reaches_subscribers_on_the_others_once(self):
        a, b, c = self.nodes
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(b.mqtt_port), "-u", USER, "-P", PASSWORD,
                                "-i", "mosq-sub-b", "-q", "1", "-t", "plant/+/temp", "-v", "-C", "5", "-W", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        self.addCleanup(lambda: sub.poll() is None and sub.kill())
        paho_c = self.user(c, "paho-sub-c")
        paho_c.subscribe("plant/#", qos=1)
        time.sleep(1.0)  # mosquitto_sub has subscribed (it gives no signal); nothing is retained here
        for i in range(5):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(a.mqtt_port), "-u", USER, "-P", PASSWORD,
                            "-q", "1", "-t", f"plant/line{i}/temp", "-m", f"{20 + i}.5"], check=True, timeout=10)
        out, err = sub.communicate(timeout=30)
        self.assertEqual(out.splitlines(), [f"plant/line{i}/temp {20 + i}.5" for i in range(5)], err)
        wait_for(lambda: len(paho_c.got()) >= 5, timeout=10, what="5 messages on node C")
        time.sleep(0.5)  # nothing more comes: no loop, no duplicate
        self.assertEqual(paho_c.got(), [(f"plant/line{i}/temp", f"{20 + i}.5", 1, False) for i in range(5)])
        # A subscriber on the publishing node itself gets it once too (local delivery, no echo).
        local = self.user(a, "paho-sub-a")
        local.subscribe("plant/x", qos=0)
        pub = self.user(b, "paho-pub-b")
        pub.c.publish("plant/x", "from-b", qos=1).wait_for_publish(10)
        wait_for(lambda: local.got(), timeout=10, what="the message from B on A")
        time.sleep(0.5)
        self.assertEqual(local.got(), [("plant/x", "from-b", 0, False)])

    def test_retained_messages_are_cluster_wide_also_after_a_restart(self):
        a, b, c = self.nodes
        pub = self.user(a, "ret-pub")
        pub.c.publish("cfg/line1/setpoint", "72", qos=1, retain=True).wait_for_publish(10)
        pub.c.publish("cfg/line2/setpoint", "65", qos=1, retain=True).wait_for_publish(10)
        time.sleep(0.5)
        late_b = self.user(b, "ret-late-b")
        late_b.subscribe("cfg/#")
        wait_for(lambda: len(late_b.got()) >= 2, timeout=10, what="retained messages on B")
        self.assertEqual(sorted(late_b.got()), [("cfg/line1/setpoint", "72", 1, True), ("cfg/line2/setpoint", "65", 1, True)])
        # Node C is down while line1's is cleared and line3's is set: it learns both when it comes back.
        self.assertEqual(c.stop(), 0, c.read_log()[-4000:])  # a graceful stop; the log says why not
        pub.c.publish("cfg/line1/setpoint", "", qos=1, retain=True).wait_for_publish(10)
        pub.c.publish("cfg/line3/setpoint", "80", qos=1, retain=True).wait_for_publish(10)
        time.sleep(0.5)
        c.log.close()
        c.start(timeout=60)
        late_c = self.user(c, "ret-late-c")
        late_c.subscribe("cfg/#")
        wait_for(lambda: len(late_c.got()) >= 2, timeout=10, what="retained messages on restarted C")
        time.sleep(0.5)
        self.assertEqual(sorted(late_c.got()), [("cfg/line2/setpoint", "65", 1, True), ("cfg/line3/setpoint", "80", 1, True)])
        pub.c.publish("cfg/line2/setpoint", "", qos=1, retain=True).wait_for_publish(10)
        pub.c.publish("cfg/line3/setpoint", "", qos=1, retain=True).wait_for_publish(10)

    def test_session_takeover_across_nodes(self):
        a, b, _ = self.nodes
        first = self.user(a, "same-client", paho.MQTTv5)
        first.subscribe("takeover/t")
        second = self.user(b, "same-client", paho.MQTTv5)
        wait_for(lambda: first.disconnects, timeout=10, what="the old connection to be closed")
        self.assertEqual(getattr(first.disconnects[0], "value", first.disconnects[0]), 0x8E)  # Session taken over (MQTT 5.0 §3.1.4)
        first.c.loop_stop()  # no reconnect fight
        # The session lives on B now: a message published on A reaches the new connection only.
        second.subscribe("takeover/t")
        pub = self.user(a, "takeover-pub")
        pub.c.publish("takeover/t", "hello", qos=1).wait_for_publish(10)
        wait_for(lambda: second.got(), timeout=10, what="the message on the new session")
        self.assertEqual(second.got(), [("takeover/t", "hello", 1, False)])
        self.assertEqual(first.got(), [])
        # MQTT 3.1.1 has no DISCONNECT from the server: the connection on A is just closed.
        old = self.user(a, "v311-same")
        newer = self.user(self.nodes[2], "v311-same")
        wait_for(lambda: old.disconnects, timeout=10, what="the 3.1.1 connection on A to be closed")
        old.c.loop_stop()
        self.assertNotEqual(old.disconnects[0], 0)  # not a clean disconnect of its own
        self.assertEqual(newer.disconnects, [])

    def test_rpc_through_one_node_to_a_device_on_another(self):
        a, b, _ = self.nodes
        dev = self.device("cl-rpc-1")
        d = Client(b.mqtt_port, f"dev-{dev['id']}", dev["accessToken"])
        self.addCleanup(d.close)

        def answer(_c, _u, m):
            n = m.topic.rsplit("/", 1)[1]
            req = json.loads(m.payload)
            if req["method"] == "getSpeed":
                d.c.publish(f"v1/devices/me/rpc/response/{n}", json.dumps({"speed": req["params"]["x"] * 2}), qos=1)
        d.c.on_message = answer
        d.subscribe("v1/devices/me/rpc/request/+")
        status, body, _ = a.request("POST", f"/api/v1/devices/{dev['id']}/rpc",
                                    {"method": "getSpeed", "params": {"x": 21}, "timeoutMs": 5000}, self.tok)
        self.assertEqual((status, body), (200, {"speed": 42}))
        # Connected on B but silent: 504 on A, as on one node.
        status, body, _ = a.request("POST", f"/api/v1/devices/{dev['id']}/rpc",
                                    {"method": "ignored", "timeoutMs": 500}, self.tok)
        self.assertEqual(status, 504, body)
        self.assertEqual(body["error"]["code"], "timeout")
        # Connected nowhere: 503 from any node, quickly.
        offline = self.device("cl-rpc-2")
        started = time.time()
        status, body, _ = a.request("POST", f"/api/v1/devices/{offline['id']}/rpc",
                                    {"method": "getSpeed", "timeoutMs": 5000}, self.tok)
        self.assertEqual((status, body["error"]["code"]), (503, "unavailable"))
        self.assertLess(time.time() - started, 2.0)
        # And after the device left B, also 503.
        d.close()
        wait_for(lambda: a.request("POST", f"/api/v1/devices/{dev['id']}/rpc", {"method": "getSpeed", "params": {"x": 1},
                                   "timeoutMs": 500}, self.tok)[0] == 503, timeout=10, what="503 after disconnect")

    @unittest.skipIf(not have_clickhouse(), "needs a shared telemetry store (clickhouse-server)")
    def test_kill_node_during_qos1_stream_no_acknowledged_sample_lost(self):
        a, b, _ = self.nodes
        dev = self.device("cl-stream-1")
        t0 = 1_700_100_000_000
        acked, lock = set(), threading.Lock()
        total = 400

        def connect(node):
            c = paho.Client(client_id=f"dev-{dev['id']}", protocol=paho.MQTTv311, clean_session=True)
            c.username_pw_set(dev["accessToken"])
            c.max_inflight_messages_set(20)
            sent = {}

            def on_publish(_c, _u, mid):
                with lock:
                    if mid in sent:
                        acked.add(sent.pop(mid))
            c.on_publish = on_publish
            c.connect("127.0.0.1", node.mqtt_port, keepalive=5)
            c.loop_start()
            return c, sent

        def stream(c, sent, seqs, stop_when=None):
            for i in seqs:
                if stop_when and stop_when():
                    return i
                info = c.publish("v1/devices/me/telemetry", json.dumps({"ts": t0 + i, "values": {"seq": i}}), qos=1)
                if info.rc != paho.MQTT_ERR_SUCCESS:
                    return i
                with lock:
                    sent[info.mid] = i
                time.sleep(0.004)
            return None

        c, sent = connect(a)
        killer = threading.Timer(0.6, lambda: os.kill(a.proc.pid, signal.SIGKILL))
        killer.start()
        self.addCleanup(killer.cancel)
        stopped_at = stream(c, sent, range(total), stop_when=lambda: a.proc.poll() is not None)
        a.proc.wait(10)
        c.loop_stop()
        self.assertIsNotNone(stopped_at, "node A was killed during the stream")
        with lock:
            acked_before = set(acked)
        self.assertGreater(len(acked_before), 10)
        # The device reconnects to node B and resends everything not acknowledged (at least once).
        c2, sent2 = connect(b)
        self.addCleanup(c2.loop_stop)
        todo = [i for i in range(total) if i not in acked_before]
        self.assertIsNone(stream(c2, sent2, todo))
        wait_for(lambda: len(acked) == total, timeout=30, what="all samples acknowledged by node B")
        c2.disconnect()
        # Every acknowledged sample is in the shared telemetry store, exactly once, read through B.
        status, got, _ = b.request("GET", f"/api/v1/devices/{dev['id']}/telemetry?keys=seq&from={t0}"
                                   f"&to={t0 + total}&limit=10000", token=self.tok)
        self.assertEqual(status, 200, got)
        self.assertEqual([p["ts"] - t0 for p in got["seq"]], list(range(total)))
        self.assertEqual([p["value"] for p in got["seq"]], list(range(total)))
        self.assertTrue(acked_before.issubset({p["value"] for p in got["seq"]}))
        print(f"\n  kill -9 after {len(acked_before)} samples PUBACKed by node A (stopped at {stopped_at}); "
              f"all {total} in ClickHouse, read through node B", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
