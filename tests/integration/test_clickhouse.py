"""`kaiwu serve` with tsdb.backend=clickhouse against a real clickhouse-server (Debian's 18.16)
that this test starts on free loopback ports in a temporary directory and stops by PID: MQTT
telemetry in (QoS 1, paho), REST latest / range / aggregates out with exact values, the rows
really in ClickHouse, and the data still there after the Kaiwu node restarts."""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code, free_port  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402  (python3-paho-mqtt)

CLICKHOUSE = os.environ.get("KAIWU_CLICKHOUSE_SERVER", "/usr/sbin/clickhouse-server")


def _die_with_parent():
    os.setpgid(0, 0)
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class ClickHouse:
    """A private clickhouse-server: config in a temp dir (tmpfs when there is one), 127.0.0.1 only."""

    def __init__(self):
        parent = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="kaiwu-it-clickhouse-", dir=parent)
        self.http_port, self.tcp_port = free_port(), free_port()
        d = self.dir
        with open(os.path.join(d, "config.xml"), "w") as f:
            f.write(f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{self.http_port}</http_port>
  <tcp_port>{self.tcp_port}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
""")
        with open(os.path.join(d, "users.xml"), "w") as f:
            f.write("""<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
""")
        self.log = open(os.path.join(d, "stdout.log"), "wb")
        self.proc = subprocess.Popen([CLICKHOUSE, f"--config-file={d}/config.xml"], cwd=d, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clickhouse-server exited with {self.proc.returncode}")
            try:
                if self.sql("SELECT 1") == "1\n":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("clickhouse-server did not answer")

    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def sql(self, query):
        req = urllib.request.Request(self.url() + "/", data=query.encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClickHouseBackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(CLICKHOUSE, os.X_OK):
            raise unittest.SkipTest(f"{CLICKHOUSE} missing: run scripts/install-deps.sh")
        cls.ch = ClickHouse()
        cls.server = Server(extra_sets=["tsdb.backend=clickhouse", f"tsdb.clickhouse_url={cls.ch.url()}",
                                        "tsdb.clickhouse_database=kaiwu_it"])
        try:
            cls.server.start()
        except Exception:
            cls.ch.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.ch.stop()

    def req(self, method, path, body=None, expect=200, token=None):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def publish(self, token, payloads):
        c = paho.Client(client_id="ch-dev-1", protocol=paho.MQTTv311)
        c.username_pw_set(token)
        c.connect("127.0.0.1", self.server.mqtt_port, keepalive=30)
        c.loop_start()
        try:
            infos = [c.publish("v1/devices/me/telemetry", p, qos=1) for p in payloads]
            for info in infos:
                info.wait_for_publish(10)  # PUBACK: the sample is in ClickHouse
                self.assertTrue(info.is_published())
        finally:
            c.loop_stop()
            c.disconnect()

    def test_mqtt_in_rest_out_exact(self):
        admin = self.server.login("admin", ADMIN_PASSWORD)
        _, t, _ = self.server.request("POST", "/api/v1/tenants", {"name": "chtenant"}, admin)
        self.server.request("POST", "/api/v1/users", {"username": "ch-adm", "password": "password-1",
                                                      "role": "tenant-admin", "tenantId": t["id"]}, admin)
        self.tok = self.server.login("ch-adm", "password-1")
        ent = self.req("POST", "/api/v1/enterprises", {"name": "ch co", "industry": "电子",
                                                       "creditCode": credit_code("91320000MA1TEXT0C")}, expect=201)
        dev = self.req("POST", "/api/v1/devices", {"name": "press-1", "enterpriseId": ent["id"],
                                                   "category": "processing", "protocol": "mqtt"}, expect=201)
        base = f"/api/v1/devices/{dev['id']}/telemetry"

        t0 = 1_700_000_040_000  # a multiple of 60 s
        temps = [round(20 + i * 0.37, 2) for i in range(120)]
        payloads = []
        for i in range(120):
            values = {"temp": temps[i], "count": i * 3, "on": i % 2 == 0}
            if i % 40 == 0:
                values["mode"] = f"m{i}"
            payloads.append(json.dumps({"ts": t0 + i * 1000, "values": values}))
        payloads.append('{"ts": %d, "values": {"temp": 99.5}}' % (t0 + 5000))  # rewrite: last write wins
        temps[5] = 99.5
        self.publish(dev["accessToken"], payloads)

        latest = self.req("GET", f"{base}/latest?keys=temp,count,on,mode")
        self.assertEqual(latest["temp"], {"ts": t0 + 119000, "value": temps[119]})
        self.assertEqual(latest["count"], {"ts": t0 + 119000, "value": 357})
        self.assertIs(latest["on"]["value"], False)
        self.assertEqual(latest["mode"], {"ts": t0 + 80000, "value": "m80"})

        got = self.req("GET", f"{base}?keys=temp,mode&from={t0}&to={t0 + 120000}&limit=1000")
        self.assertEqual(got["temp"], [{"ts": t0 + i * 1000, "value": temps[i]} for i in range(120)])
        self.assertEqual(got["mode"], [{"ts": t0 + i * 1000, "value": f"m{i}"} for i in (0, 40, 80)])
        desc = self.req("GET", f"{base}?keys=count&from={t0}&to={t0 + 120000}&order=desc&limit=3")
        self.assertEqual(desc["count"], [{"ts": t0 + i * 1000, "value": i * 3} for i in (119, 118, 117)])

        buckets = [temps[0:60], temps[60:120]]
        expect = {
            "avg": [sum(b) / 60 for b in buckets], "min": [min(b) for b in buckets],
            "max": [max(b) for b in buckets], "sum": [sum(b) for b in buckets], "count": [60, 60],
            "first": [temps[0], temps[60]], "last": [temps[59], temps[119]],
        }
        for agg, values in expect.items():
            out = self.req("GET", f"{base}?keys=temp&from={t0}&to={t0 + 120000}&agg={agg}&interval=60000")
            self.assertEqual([b["ts"] for b in out["temp"]], [t0, t0 + 60000], agg)
            for b, want in zip(out["temp"], values):
                self.assertAlmostEqual(b["value"], want, places=9, msg=agg)
        on_avg = self.req("GET", f"{base}?keys=on&from={t0}&to={t0 + 120000}&agg=avg&interval=60000")
        self.assertEqual([b["value"] for b in on_avg["on"]], [0.5, 0.5])  # booleans count as 0/1

        # The rows are in ClickHouse (not in the node's data directory).
        rows = self.ch.sql(f"SELECT count() FROM kaiwu_it.samples WHERE device = '{dev['id']}'")
        self.assertGreaterEqual(int(rows), 120 * 3 + 3)
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "tsdb")))

        # A restarted node (stateless for telemetry) serves the same data.
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.tok = self.server.login("ch-adm", "password-1")
        again = self.req("GET", f"{base}?keys=temp&from={t0}&to={t0 + 120000}&limit=1000")
        self.assertEqual(again["temp"], got["temp"])
        self.assertEqual(self.req("GET", f"{base}/keys"), ["count", "mode", "on", "temp"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
