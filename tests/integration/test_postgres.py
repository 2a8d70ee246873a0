"""`kaiwu serve` with its metadata on PostgreSQL (meta.backend = postgres) against a real server
this test starts itself: initdb into a temporary directory, postgres on 127.0.0.1 and a free
port (run as the `postgres` user through setpriv when the test runs as root, with the
parent-death signal so it dies with the test). A representative flow: tenant, enterprise,
device, a rule chain, MQTT telemetry authenticated by the device token (paho), the alarm the
chain raises; the rows are checked in PostgreSQL with psql; then a restart keeps everything.
Skips when no PostgreSQL server binaries are installed."""

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, _die_with_parent, credit_code, free_port  # noqa: E402


def pg_bin_dir():
    if os.environ.get("KAIWU_PG_BIN"):
        return os.environ["KAIWU_PG_BIN"]
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    dirs = [d for d in dirs if os.path.exists(os.path.join(d, "initdb"))]
    return dirs[-1] if dirs else None


class Postgres:
    """A throwaway PostgreSQL server; stop() shuts it down fast and removes its directory."""

    def __init__(self, bin_dir):
        self.bin = bin_dir
        self.dir = tempfile.mkdtemp(prefix="kaiwu-pg-it-")
        self.port = free_port()
        self.proc = None
        self.prefix = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pw = pwd.getpwnam("nobody")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["/usr/bin/setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                           "--clear-groups", "--pdeathsig=KILL", "--"]

    def start(self, timeout=30):
        data = os.path.join(self.dir, "data")
        subprocess.run(self.prefix + [f"{self.bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                                      "-E", "UTF8", "--locale=C", "-N"],
                       check=True, capture_output=True, timeout=120, preexec_fn=_die_with_parent)
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            self.prefix + [f"{self.bin}/postgres", "-D", data, "-k", self.dir, "-h", "127.0.0.1",
                           "-p", str(self.port), "-F"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: " + open(self.log.name).read())
            if subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("postgres did not start: " + open(self.log.name).read())

    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def query(self, sql):
        out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-d", self.url(), "-c", sql],
                             check=True, capture_output=True, text=True, timeout=30)
        return out.stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


CHAIN = {"nodes": [
    {"id": "hot", "type": "threshold", "params": {"key": "temp", "high": 80, "hysteresis": 5},
     "next": {"Raised": ["alarm"]}},
    {"id": "alarm", "type": "create_alarm", "params": {"alarmType": "HighTemp", "severity": "critical"}},
]}


@unittest.skipIf(pg_bin_dir() is None, "no PostgreSQL server binaries (install postgresql)")
class PostgresBackendTest(unittest.TestCase):
    def setUp(self):
        self.pg = Postgres(pg_bin_dir()).start()
        self.addCleanup(self.pg.stop)
        self.data_dir = tempfile.mkdtemp(prefix="kaiwu-it-pg-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.sets = ["meta.backend=postgres", f"meta.postgres_url={self.pg.url()}"]

    def serve(self):
        server = Server(data_dir=self.data_dir, extra_sets=self.sets).start()
        self.addCleanup(server.cleanup)
        return server

    def req(self, server, method, path, body=None, token=None, expect=200):
        status, data, _ = server.request(method, path, body, token)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def wait_for(self, server, fn, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = fn()
            if got:
                return got
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what}; server log:\n{server.read_log()[-3000:]}")

    def publish(self, server, token, payloads):
        c = mqtt.Client(client_id="pg-device", protocol=mqtt.MQTTv311)
        c.username_pw_set(token)
        connected = threading.Event()
        result = {}

        def on_connect(_c, _u, _f, rc, _p=None):
            result["rc"] = rc
            connected.set()
        c.on_connect = on_connect
        c.connect("127.0.0.1", server.mqtt_port, keepalive=30)
        c.loop_start()
        try:
            self.assertTrue(connected.wait(10))
            if result["rc"] != 0:
                return result["rc"]
            for p in payloads:
                c.publish("v1/devices/me/telemetry", json.dumps(p), qos=1).wait_for_publish(10)
            return 0
        finally:
            c.disconnect()
            c.loop_stop()

    def alarms(self, server, token):
        body = self.req(server, "GET", "/api/v1/alarms?status=active", token=token)
        return [a for a in body["items"] if a["type"] == "HighTemp"]

    def test_api_mqtt_alarm_flow_and_restart(self):
        s = self.serve()
        admin = s.login("admin", ADMIN_PASSWORD)
        tenant = self.req(s, "POST", "/api/v1/tenants", {"name": "pg-tenant"}, admin, 201)
        self.req(s, "POST", "/api/v1/users", {"username": "PG-Admin", "password": "password-1",
                                              "role": "tenant-admin", "tenantId": tenant["id"]}, admin, 201)
        tok = s.login("pg-admin", "password-1")  # usernames are case-insensitive on PostgreSQL too
        ent = self.req(s, "POST", "/api/v1/enterprises", {"name": "pg works", "industry": "机械",
                                                          "creditCode": credit_code("91320000MA1PGDB01")}, tok, 201)
        dev = self.req(s, "POST", "/api/v1/devices", {"name": "boiler", "enterpriseId": ent["id"],
                                                      "category": "running", "protocol": "mqtt"}, tok, 201)
        # Unique per enterprise: the second one is refused with the field named.
        status, err, _ = s.request("POST", "/api/v1/devices", {"name": "boiler", "enterpriseId": ent["id"],
                                                               "category": "running", "protocol": "mqtt"}, tok)
        self.assertEqual(status, 409, err)
        self.assertIn("device name already exists", err["error"]["message"])
        self.req(s, "POST", "/api/v1/rulechains", {"name": "hot", "definition": CHAIN, "enabled": True}, tok, 201)

        t0 = int(time.time() * 1000)
        self.assertEqual(self.publish(s, dev["accessToken"], [{"ts": t0, "values": {"temp": 70.5}},
                                                            {"ts": t0 + 1, "values": {"temp": 91.5}}]), 0)
        got = self.req(s, "GET", f"/api/v1/devices/{dev['id']}/telemetry?keys=temp&from={t0}&to={t0 + 2}", token=tok)
        self.assertEqual(got["temp"], [{"ts": t0, "value": 70.5}, {"ts": t0 + 1, "value": 91.5}])
        active = self.wait_for(s, lambda: self.alarms(s, tok), "the HighTemp alarm")
        self.assertEqual((len(active), active[0]["severity"], active[0]["deviceId"]), (1, "critical", dev["id"]))
        self.assertNotEqual(self.publish(s, "no-such-token", [{"temp": 1}]), 0)

        # The rows are in PostgreSQL, and nothing went to a SQLite file.
        self.assertEqual(self.pg.query(f"SELECT name FROM devices WHERE id = '{dev['id']}'"), "boiler")
        self.assertEqual(self.pg.query("SELECT COUNT(*) FROM alarms WHERE type = 'HighTemp' AND cleared = 0"), "1")
        self.assertEqual(self.pg.query("SELECT MAX(version) FROM schema_migrations"),
                         self.pg.query("SELECT COUNT(*) FROM schema_migrations"))
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "meta.db")))

        # Restart: logins, the device token, the chain and the alarm all survive.
        self.assertEqual(s.stop(), 0, s.read_log()[-2000:])
        s2 = self.serve()
        tok = s2.login("pg-admin", "password-1")
        self.assertEqual(self.req(s2, "GET", f"/api/v1/devices/{dev['id']}", token=tok)["name"], "boiler")
        self.assertEqual(len(self.alarms(s2, tok)), 1)
        chains = self.req(s2, "GET", "/api/v1/rulechains", token=tok)["items"]
        self.assertEqual([c["name"] for c in chains], ["hot"])
        self.assertEqual(self.publish(s2, dev["accessToken"], [{"ts": t0 + 2, "values": {"temp": 95}}]), 0)
        latest = self.req(s2, "GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys=temp", token=tok)
        self.assertEqual(latest["temp"], {"ts": t0 + 2, "value": 95})
        # Still one alarm: the re-trigger folds into it.
        again = self.wait_for(s2, lambda: [a for a in self.alarms(s2, tok) if a["count"] >= 2], "the folded alarm")
        self.assertEqual(again[0]["id"], active[0]["id"])

    def test_two_nodes_start_together_and_share_the_metadata(self):
        # Both migrate the empty database at once (advisory lock) and race to create the admin.
        nodes = [Server(extra_sets=self.sets).start(wait=False) for _ in range(2)]
        for n in nodes:
            self.addCleanup(n.cleanup)
        for n in nodes:
            n.wait_healthy(timeout=60)
        a, b = nodes
        tenant = self.req(a, "POST", "/api/v1/tenants", {"name": "shared"}, a.login("admin", ADMIN_PASSWORD), 201)
        got = self.req(b, "GET", f"/api/v1/tenants/{tenant['id']}", token=b.login("admin", ADMIN_PASSWORD))
        self.assertEqual(got["name"], "shared")
        self.assertEqual(self.pg.query("SELECT COUNT(*) FROM users WHERE username = 'admin'"), "1")


if __name__ == "__main__":
    unittest.main()
