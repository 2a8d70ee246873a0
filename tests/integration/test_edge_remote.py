"""Remote configuration of `kaiwu edge`: the gateway's shared attribute edgeConfig, set through
the platform's REST API, adds a device and a point without a restart (values from the real
pymodbus peer arrive); a broken document is refused with edgeConfigStatus reporting why while the
old points keep arriving; a restart with the platform down polls the last good configuration."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, _die_with_parent, credit_code, free_port, wait_for  # noqa: E402

PEER = os.path.join(os.path.dirname(__file__), "edge_modbus_peer.py")


class EdgeRemoteConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kaiwu-edge-remote-")
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "edge-remote"}, admin)
        s.request("POST", "/api/v1/users", {"username": "remote-user", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, admin)
        cls.tok = s.login("remote-user", "password-1")
        st, ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "remote works", "industry": "机械",
                                                               "creditCode": credit_code("91320505MA1REMC01")}, cls.tok)
        assert st == 201, ent
        st, gw, _ = s.request("POST", "/api/v1/devices", {"name": "remote-gw", "enterpriseId": ent["id"],
                                                          "category": "other", "protocol": "mqtt",
                                                          "isGateway": True}, cls.tok)
        assert st == 201, gw
        cls.gateway = gw
        cls.modbus_port = free_port()
        cls.peer = subprocess.Popen(["/usr/bin/python3", PEER, str(cls.modbus_port)], preexec_fn=_die_with_parent)
        cls.edge = None
        cls.config = os.path.join(cls.tmp, "edge.toml")
        with open(cls.config, "w") as f:
            f.write(f"""
[uplink]
url = "mqtt://127.0.0.1:{s.mqtt_port}"
token = "{gw['accessToken']}"
keepalive_s = 10

[[device]]
name = "plc-a"
driver = "modbus-tcp"
endpoint = "127.0.0.1:{cls.modbus_port}"
unit = 1
interval_ms = 200

  [[device.point]]
  key = "temp"
  address = "hr:1"
  type = "int16"
  scale = 0.1
""")

    @classmethod
    def tearDownClass(cls):
        cls.stop_edge()
        cls.peer.kill()
        cls.peer.wait()
        cls.server.cleanup()
        if not os.environ.get("KAIWU_KEEP_DATA"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def start_edge(cls):
        cls.edge_log = open(os.path.join(cls.tmp, "edge.log"), "ab")
        cls.edge = subprocess.Popen([KAIWU, "edge", "--config", cls.config, "--data", cls.tmp],
                                    stdout=cls.edge_log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)

    @classmethod
    def stop_edge(cls):
        if cls.edge and cls.edge.poll() is None:
            cls.edge.send_signal(signal.SIGTERM)
            cls.edge.wait(15)
        if cls.edge:
            cls.edge_log.close()
        cls.edge = None

    def log_text(self):
        with open(os.path.join(self.tmp, "edge.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def device(self, name):
        st, page, _ = self.server.request("GET", "/api/v1/devices?limit=100", token=self.tok)
        for d in page["items"] if st == 200 else []:
            if d["name"] == name:
                return d
        return None

    def series(self, device_id, key, since=0):
        st, body, _ = self.server.request(
            "GET", f"/api/v1/devices/{device_id}/telemetry?keys={key}&from={since}"
                   f"&to={int(time.time() * 1000) + 60000}&limit=100000", token=self.tok)
        self.assertEqual(st, 200, body)
        return [(p["ts"], p["value"]) for p in body.get(key, [])]

    def push(self, doc):
        st, body, _ = self.server.request("POST", f"/api/v1/devices/{self.gateway['id']}/attributes/shared",
                                          {"edgeConfig": doc}, self.tok)
        self.assertEqual(st, 204, body)

    def status(self):
        st, body, _ = self.server.request("GET", f"/api/v1/devices/{self.gateway['id']}/attributes?scope=client"
                                                 "&keys=edgeConfigStatus", token=self.tok)
        self.assertEqual(st, 200, body)
        value = body.get("client", {}).get("edgeConfigStatus")
        return json.loads(value) if isinstance(value, str) else value

    def modbus_device(self, name, points, interval_ms=200):
        return {"name": name, "driver": "modbus-tcp", "endpoint": f"127.0.0.1:{self.modbus_port}", "unit": 1,
                "interval_ms": interval_ms, "category": "processing", "points": points}

    def test_remote_configuration(self):
        self.start_edge()
        a = wait_for(lambda: self.device("plc-a"), what="plc-a: " + self.log_text())
        wait_for(lambda: self.series(a["id"], "temp"), what="plc-a temp")

        # 1. v2 adds a point to plc-a and a new device plc-b: both arrive without a restart.
        temp = {"key": "temp", "address": "hr:1", "type": "int16", "scale": 0.1}
        good = {"version": 2, "devices": [
            self.modbus_device("plc-a", [temp, {"key": "flow", "address": "hr:2", "type": "float32"}]),
            self.modbus_device("plc-b", [{"key": "raw", "address": "hr:1", "type": "uint16"}], 300)]}
        pid = self.edge.pid
        self.push(good)
        b = wait_for(lambda: self.device("plc-b"), what="plc-b: " + self.log_text())
        raw = wait_for(lambda: self.series(b["id"], "raw"), what="plc-b raw")
        self.assertEqual(raw[-1][1], 1234)
        flow = wait_for(lambda: self.series(a["id"], "flow"), what="plc-a flow")
        self.assertEqual(flow[-1][1], 12.5)
        st = wait_for(lambda: (s := self.status()) and s.get("version") == 2 and s, what="status v2")
        self.assertEqual((st["ok"], st["error"], st["devices"]), (True, "", 2))
        self.assertEqual(self.edge.pid, pid)
        self.assertIsNone(self.edge.poll())
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "edge-buffer", "edge-config.json")))

        # 2. v3 is broken (an unknown data type): refused, reported, and v2 keeps running.
        bad = {"version": 3, "devices": [self.modbus_device("plc-a", [dict(temp, type="uint17")])]}
        self.push(bad)
        st = wait_for(lambda: (s := self.status()) and s.get("version") == 3 and s, what="status v3")
        self.assertFalse(st["ok"])
        self.assertTrue(st["error"].startswith('edgeConfig v3: device "plc-a" point "temp": type: '
                                               "unknown data type 'uint17'"), st["error"])
        now = int(time.time() * 1000)
        wait_for(lambda: self.series(b["id"], "raw", now) and self.series(a["id"], "flow", now)
                 and self.series(a["id"], "temp", now), what="v2 points after the broken push")
        # A document that parses but names an unknown driver is refused the same way.
        self.push({"version": 4, "devices": [dict(self.modbus_device("plc-c", [temp]), driver="profibus")]})
        st = wait_for(lambda: (s := self.status()) and s.get("version") == 4 and s, what="status v4")
        self.assertFalse(st["ok"])
        self.assertIn("profibus", st["error"])

        # 3. Removing plc-b stops its polling; the forward queue keeps working throughout.
        self.push({"version": 5, "devices": [good["devices"][0]]})
        wait_for(lambda: (s := self.status()) and s.get("version") == 5 and s["ok"], what="status v5")
        time.sleep(0.5)
        settled = int(time.time() * 1000)
        time.sleep(1.5)
        self.assertEqual(self.series(b["id"], "raw", settled), [])
        self.assertTrue(self.series(a["id"], "temp", settled))

        # 4. Back to v2 (plc-b again), then a restart with the platform down: v2 from disk polls,
        #    buffered, and arrives when the platform returns (which still holds the v2 document).
        self.push(good)
        wait_for(lambda: (s := self.status()) and s.get("version") == 2 and s["ok"], what="status v2 again")
        self.stop_edge()
        self.server.stop()
        down_from = int(time.time() * 1000)
        self.start_edge()
        time.sleep(3)
        down_to = int(time.time() * 1000)
        self.assertIsNone(self.edge.poll(), self.log_text())
        self.assertIn("running the saved remote configuration edgeConfig v2", self.log_text())
        self.server.start()
        self.tok = self.server.login("remote-user", "password-1")

        def buffered():
            pts = [p for p in self.series(b["id"], "raw", down_from) if p[0] <= down_to]
            return len(pts) >= 5 and pts
        pts = wait_for(buffered, timeout=30, what="plc-b samples from while the platform was down")
        self.assertTrue(all(v == 1234 for _, v in pts))
        flows = [p for p in self.series(a["id"], "flow", down_from) if p[0] <= down_to]
        self.assertTrue(flows)


if __name__ == "__main__":
    unittest.main()
