"""Telemetry through the REST API against the real binary: every payload form, exact values and
timestamps back, aggregates, deletes, tenant isolation, persistence across restarts."""

import collections
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, setup_tenant  # noqa: E402


class TelemetryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.admin = cls.server.login("admin", ADMIN_PASSWORD)
        _, cls.tok, _, cls.dev = setup_tenant(cls.server, cls.admin, "alpha", "meter-1", protocol="dlt645")
        cls.base = f"/api/v1/devices/{cls.dev['id']}/telemetry"

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def req(self, method, path, body=None, expect=200, token=None):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def test_payload_forms_and_exact_values(self):
        t0 = 1_700_000_000_000
        # Doubles come back bit-exact, including ones whose shortest form needs 17 digits.
        tricky = [4999 * 0.1, 0.1 + 0.2, 1e-300, 123456789.123456789, -2.5e10]
        self.req("POST", self.base, [{"ts": t0 - 10 + i, "values": {"x": v}} for i, v in enumerate(tricky)])
        got = self.req("GET", f"{self.base}?keys=x&from={t0 - 10}&to={t0}")
        self.assertEqual([s["value"] for s in got["x"]], tricky)
        self.req("POST", self.base, {"voltage": 220.1, "energy": 12345, "on": True, "mode": "auto"})
        self.req("POST", self.base, {"ts": t0, "values": {"voltage": 219.9, "current": 5.25}})
        body = [{"ts": t0 + 1000, "values": {"voltage": 221.7}}, {"ts": t0 + 2000, "values": {"voltage": -0.0}}]
        self.assertEqual(self.req("POST", self.base, body)["written"], 2)
        got = self.req("GET", f"{self.base}?keys=voltage&from={t0}&to={t0 + 3000}")
        self.assertEqual(got["voltage"], [{"ts": t0, "value": 219.9}, {"ts": t0 + 1000, "value": 221.7},
                                          {"ts": t0 + 2000, "value": -0.0}])
        latest = self.req("GET", f"{self.base}/latest?keys=energy,on,mode,current")
        self.assertEqual(latest["energy"]["value"], 12345)
        self.assertIsInstance(latest["energy"]["value"], int)
        self.assertIs(latest["on"]["value"], True)
        self.assertEqual(latest["mode"]["value"], "auto")
        self.assertEqual(latest["current"], {"ts": t0, "value": 5.25})
        keys = self.req("GET", f"{self.base}/keys")
        self.assertEqual(keys, sorted(keys))
        self.assertLessEqual({"current", "energy", "mode", "on", "voltage"}, set(keys))

    def test_bad_payloads_rejected_with_reason(self):
        for payload, fragment in [(b'{"a":', "malformed JSON"), (b'{"a": null}', "null"),
                                  (b'{"ts": -5, "values": {"a": 1}}', "ts"),
                                  (b'[{"ts": 1, "values": 3}]', "values"), (b'42', "object")]:
            status, err, _ = self.server.request("POST", self.base, raw=payload, token=self.tok)
            self.assertEqual(status, 400, payload)
            self.assertIn(fragment, err["error"]["message"])

    def test_aggregates_and_delete(self):
        t0 = 1_600_000_000_000
        body = [{"ts": t0 + i * 1000, "values": {"p": float(i)}} for i in range(180)]
        self.req("POST", self.base, body)
        avg = self.req("GET", f"{self.base}?keys=p&from={t0}&to={t0 + 180000}&agg=avg&interval=60000")
        # Buckets are aligned to multiples of the interval since the epoch.
        groups = collections.defaultdict(list)
        for i in range(180):
            groups[(t0 + i * 1000) // 60000 * 60000].append(float(i))
        self.assertEqual(avg["p"], [{"ts": ts, "value": sum(v) / len(v)} for ts, v in sorted(groups.items())])
        cnt = self.req("GET", f"{self.base}?keys=p&from={t0}&to={t0 + 180000}&agg=count&interval=90000")
        expect = collections.Counter((t0 + i * 1000) // 90000 * 90000 for i in range(180))
        self.assertEqual(cnt["p"], [{"ts": ts, "value": n} for ts, n in sorted(expect.items())])
        desc = self.req("GET", f"{self.base}?keys=p&from={t0}&to={t0 + 180000}&order=desc&limit=2")
        self.assertEqual([s["ts"] for s in desc["p"]], [t0 + 179000, t0 + 178000])
        self.req("DELETE", f"{self.base}?keys=p&from={t0 + 10000}&to={t0 + 170000}", expect=204)
        left = self.req("GET", f"{self.base}?keys=p&from={t0}&to={t0 + 180000}")
        self.assertEqual(len(left["p"]), 20)
        self.req("GET", f"{self.base}?keys=p&agg=median", expect=400)
        self.req("DELETE", f"{self.base}?keys=p", expect=400)

    def test_other_tenant_cannot_touch(self):
        _, tok_b, _, _ = setup_tenant(self.server, self.admin, "beta", "meter-1", protocol="dlt645")
        for method, path in [("GET", f"{self.base}/latest"), ("GET", self.base), ("GET", f"{self.base}/keys"),
                             ("POST", self.base), ("DELETE", f"{self.base}?from=0&to=1")]:
            self.req(method, path, {"x": 1} if method == "POST" else None, expect=404, token=tok_b)

    def test_viewer_reads_but_cannot_write(self):
        _, ents, _ = self.server.request("GET", "/api/v1/enterprises", token=self.tok)
        self.server.request("POST", "/api/v1/users", {"username": "alpha-view", "password": "password-1",
                                                      "role": "viewer", "enterpriseId": ents["items"][0]["id"]}, self.tok)
        viewer = self.server.login("alpha-view", "password-1")
        self.req("GET", f"{self.base}/latest", token=viewer)
        self.req("POST", self.base, {"x": 1}, expect=403, token=viewer)


class TelemetryPersistenceTest(unittest.TestCase):
    def test_survives_restart_and_device_delete_removes_data(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, tok, _, dev = setup_tenant(server, admin, "gamma", "meter-1", protocol="dlt645")
            base = f"/api/v1/devices/{dev['id']}/telemetry"
            t0 = 1_650_000_000_000
            body = [{"ts": t0 + i, "values": {"v": i * 0.1}} for i in range(5000)]
            status, _, _ = server.request("POST", base, body, tok)
            self.assertEqual(status, 200)
            self.assertEqual(server.stop(), 0)
            server.start()
            tok = server.login("gamma-adm", "password-1")
            _, got, _ = server.request("GET", f"{base}?keys=v&from={t0}&to={t0 + 5000}&limit=100000", token=tok)
            self.assertEqual(len(got["v"]), 5000)
            self.assertEqual(got["v"][4999], {"ts": t0 + 4999, "value": 4999 * 0.1})
            status, _, _ = server.request("DELETE", f"/api/v1/devices/{dev['id']}", token=tok)
            self.assertEqual(status, 204)
            self.assertEqual(server.stop(), 0)
            out = subprocess.run([KAIWU, "admin", "tsdb-stats", "--data", server.data_dir],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("series           0", out.stdout)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
