"""The device-facing HTTP APIs against the real binary with independent clients: curl for the
ThingsBoard-compatible HTTP device API, python3-influxdb (InfluxDB's own Python client) for the
line protocol, urllib for attributes."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

try:
    from influxdb import InfluxDBClient
except ImportError:  # python3-influxdb is installed by scripts/install-deps.sh
    InfluxDBClient = None


class DeviceApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "dev-api"}, admin)
        s.request("POST", "/api/v1/users", {"username": "devapi-adm", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, admin)
        cls.tok = s.login("devapi-adm", "password-1")
        _, cls.ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "Dev API Co", "industry": "机械",
                                  "creditCode": credit_code("91330100MA2DEXAP1")}, cls.tok)
        _, cls.dev, _ = s.request("POST", "/api/v1/devices", {"name": "plc-7", "enterpriseId": cls.ent["id"],
                                  "category": "processing", "protocol": "http"}, cls.tok)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def curl(self, method, path, body=None):
        args = ["curl", "-s", "-o", "/dev/stdout", "-w", "\n%{http_code}", "-X", method, self.server.url(path)]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "-d", body]
        out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
        text, _, code = out.rpartition("\n")
        return int(code), text

    def test_http_device_api_with_curl(self):
        token = self.dev["accessToken"]
        code, _ = self.curl("POST", f"/api/v1/{token}/telemetry", '{"ts":1700000000000,"values":{"speed":1450.5}}')
        self.assertEqual(code, 200)
        code, _ = self.curl("POST", f"/api/v1/{token}/telemetry", '[{"ts":1700000001000,"values":{"speed":1460}}]')
        self.assertEqual(code, 200)
        code, text = self.curl("POST", "/api/v1/not-a-token/telemetry", '{"speed":1}')
        self.assertEqual(code, 401)
        self.assertIn("access token", json.loads(text)["error"]["message"])
        code, text = self.curl("POST", f"/api/v1/{token}/telemetry", '{"speed":')
        self.assertEqual(code, 400)
        _, got, _ = self.server.request("GET", f"/api/v1/devices/{self.dev['id']}/telemetry?keys=speed"
                                               "&from=1700000000000&to=1700000002000", token=self.tok)
        self.assertEqual(got["speed"], [{"ts": 1700000000000, "value": 1450.5}, {"ts": 1700000001000, "value": 1460}])
        _, d, _ = self.server.request("GET", f"/api/v1/devices/{self.dev['id']}", token=self.tok)
        self.assertIsNotNone(d["lastSeenAt"])

    def test_attributes_three_scopes(self):
        token = self.dev["accessToken"]
        code, _ = self.curl("POST", f"/api/v1/{token}/attributes", '{"firmware":"1.2.3","slots":4}')
        self.assertEqual(code, 200)
        s = self.server
        status, _, _ = s.request("POST", f"/api/v1/devices/{self.dev['id']}/attributes/shared",
                                 {"setpoint": 72.5, "mode": {"auto": True}}, self.tok)
        self.assertEqual(status, 204)
        status, _, _ = s.request("POST", f"/api/v1/devices/{self.dev['id']}/attributes/server",
                                 {"contract": "A-17"}, self.tok)
        self.assertEqual(status, 204)
        status, _, _ = s.request("POST", f"/api/v1/devices/{self.dev['id']}/attributes/client", {"x": 1}, self.tok)
        self.assertEqual(status, 400)
        code, text = self.curl("GET", f"/api/v1/{token}/attributes?clientKeys=firmware&sharedKeys=setpoint,mode")
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(text), {"client": {"firmware": "1.2.3"},
                                            "shared": {"setpoint": 72.5, "mode": {"auto": True}}})
        code, text = self.curl("GET", f"/api/v1/{token}/attributes")
        self.assertNotIn("contract", text)  # server attributes stay on the platform
        _, all_attrs, _ = s.request("GET", f"/api/v1/devices/{self.dev['id']}/attributes", token=self.tok)
        self.assertEqual(all_attrs["server"], {"contract": "A-17"})
        self.assertEqual(all_attrs["client"], {"firmware": "1.2.3", "slots": 4})
        status, _, _ = s.request("DELETE", f"/api/v1/devices/{self.dev['id']}/attributes/shared?keys=mode",
                                 token=self.tok)
        self.assertEqual(status, 204)
        _, shared, _ = s.request("GET", f"/api/v1/devices/{self.dev['id']}/attributes?scope=shared", token=self.tok)
        self.assertEqual(shared["shared"], {"setpoint": 72.5})

    @unittest.skipIf(InfluxDBClient is None, "python3-influxdb missing")
    def test_line_protocol_with_influx_client(self):
        s = self.server
        _, key, _ = s.request("POST", "/api/v1/apikeys", {"name": "telegraf", "enterpriseId": self.ent["id"],
                                                          "role": "engineer"}, self.tok)
        # As Telegraf's influxdb output does: Basic auth with the API key as the password.
        client = InfluxDBClient(host="127.0.0.1", port=s.port, database="plant", username="telegraf",
                                password=key["key"])
        points = [
            {"measurement": "telemetry", "tags": {"device": "boiler-2"}, "time": 1700000000000,
             "fields": {"steam_t": 181.25, "burner": True}},
            {"measurement": "power", "tags": {"device": "boiler-2"}, "time": 1700000001000,
             "fields": {"kw": 55.5, "pulses": 17}},
        ]
        self.assertTrue(client.write_points(points, time_precision="ms"))
        _, devices, _ = s.request("GET", "/api/v1/devices?q=boiler-2", token=self.tok)
        self.assertEqual(len(devices["items"]), 1)
        dev = devices["items"][0]
        self.assertEqual((dev["protocol"], dev["category"], dev["enterpriseId"]), ("influx", "other", self.ent["id"]))
        _, latest, _ = s.request("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest", token=self.tok)
        self.assertEqual(latest["steam_t"], {"ts": 1700000000000, "value": 181.25})
        self.assertEqual(latest["burner"]["value"], True)
        self.assertEqual(latest["power.kw"], {"ts": 1700000001000, "value": 55.5})
        self.assertEqual(latest["power.pulses"]["value"], 17)
        # Raw line protocol over HTTP (v2 path, seconds), a wrong key and a malformed line.
        status, _, _ = s.request("POST", "/api/v2/write?precision=s", raw=b"telemetry,device=boiler-2 level=3i 1700000002",
                                 headers={"Authorization": f"Token {key['key']}"})
        self.assertEqual(status, 204)
        _, latest, _ = s.request("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys=level", token=self.tok)
        self.assertEqual(latest["level"], {"ts": 1700000002000, "value": 3})
        status, _, _ = s.request("POST", "/write", raw=b"m f=1", headers={"Authorization": "Token kw_wrong"})
        self.assertEqual(status, 401)
        status, err, _ = s.request("POST", "/write", raw=b"m f=1\nm f=oops", headers={"Authorization": f"Token {key['key']}"})
        self.assertEqual(status, 400)
        self.assertIn("line 2", err["error"]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
