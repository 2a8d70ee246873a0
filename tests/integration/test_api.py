"""End-to-end test of `kaiwu serve` through its REST API with an independent HTTP client:
tenancy, auth, CRUD, isolation between tenants, errors, OpenAPI, audit, persistence."""

import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import ADMIN_PASSWORD, KAIWU, Server, credit_code  # noqa: E402

THING_MODEL = {
    "properties": [
        {"identifier": "spindle_speed", "name": "主轴转速", "type": "float", "unit": "r/min",
         "min": 0, "max": 24000, "access": "r"},
        {"identifier": "state", "name": "状态", "type": "enum", "values": {"0": "idle", "1": "run"}},
    ],
    "events": [{"identifier": "overheat", "type": "alert"}],
    "services": [{"identifier": "reset", "inputs": [], "outputs": []}],
}


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_sets=["http.max_body_bytes=65536"]).start()
        cls.admin = cls.server.login("admin", ADMIN_PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def call(self, method, path, body=None, token=None, expect=None, **kw):
        status, data, headers = self.server.request(method, path, body, token=token, **kw)
        if expect is not None:
            self.assertEqual(status, expect, f"{method} {path}: {data}")
        return status, data

    def make_tenant(self, name):
        _, t = self.call("POST", "/api/v1/tenants", {"name": name}, self.admin, 201)
        self.call("POST", "/api/v1/users", {"username": f"{name}-admin", "password": "tenant-pass-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, self.admin, 201)
        return t, self.server.login(f"{name}-admin", "tenant-pass-1")

    def make_enterprise(self, token, name, code17="91320500MA1MXXX01"):
        _, park = self.call("POST", "/api/v1/parks", {"name": f"{name} park", "level": "provincial",
                                                      "region": "江苏省苏州市"}, token, 201)
        _, ent = self.call("POST", "/api/v1/enterprises",
                           {"name": name, "creditCode": credit_code(code17), "industry": "机械",
                            "sme": True, "parkId": park["id"], "longitude": 120.6, "latitude": 31.3},
                           token, 201)
        return park, ent

    def test_01_login_errors(self):
        status, body = self.call("POST", "/api/v1/auth/login", {"username": "admin", "password": "wrong-pass"})
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["code"], "unauthenticated")
        status, body = self.call("POST", "/api/v1/auth/login", {"username": "nobody", "password": "wrong-pass"})
        self.assertEqual(status, 401)
        self.call("GET", "/api/v1/devices", expect=401)
        self.call("GET", "/api/v1/devices", token="not-a-token", expect=401)
        _, me = self.call("GET", "/api/v1/auth/me", token=self.admin, expect=200)
        self.assertEqual(me["role"], "platform-admin")

    def test_02_full_flow_and_isolation(self):
        ta, a = self.make_tenant("acme")
        tb, b = self.make_tenant("globex")
        park, ent = self.make_enterprise(a, "苏州精密机械有限公司")
        self.assertEqual(ent["parkId"], park["id"])
        self.assertTrue(ent["sme"])
        self.assertEqual(ent["tenantId"], ta["id"])

        # Validation errors name the field.
        status, err = self.call("POST", "/api/v1/enterprises",
                                {"name": "bad", "creditCode": "91320500MA1MXXX01X", "industry": "机械"}, a)
        self.assertEqual(status, 400)
        self.assertIn("creditCode", err["error"]["message"])
        status, err = self.call("POST", "/api/v1/enterprises", {"name": "bad", "industry": "钢铁侠"}, a)
        self.assertEqual(status, 400)
        self.assertIn("industry", err["error"]["message"])

        _, profile = self.call("POST", "/api/v1/profiles", {"name": "CNC", "thingModel": THING_MODEL}, a, 201)
        self.assertEqual(profile["thingModel"]["properties"][0]["identifier"], "spindle_speed")
        bad_model = {"properties": [{"identifier": "x", "type": "float"}, {"identifier": "y", "type": "complex"}]}
        status, err = self.call("POST", "/api/v1/profiles", {"name": "bad", "thingModel": bad_model}, a)
        self.assertEqual(status, 400)
        self.assertIn("properties[1].type", err["error"]["message"])

        _, dev = self.call("POST", "/api/v1/devices",
                           {"name": "cnc-01", "enterpriseId": ent["id"], "category": "processing",
                            "protocol": "modbus-tcp", "profileId": profile["id"]}, a, 201)
        self.assertRegex(dev["accessToken"], r"^[A-Za-z0-9_-]{20}$")
        self.assertEqual(dev["category"], "processing")
        status, err = self.call("POST", "/api/v1/devices",
                                {"name": "cnc-01", "enterpriseId": ent["id"], "category": "processing"}, a)
        self.assertEqual(status, 409, err)
        status, err = self.call("POST", "/api/v1/devices",
                                {"name": "x", "enterpriseId": ent["id"], "category": "flying"}, a)
        self.assertEqual(status, 400)
        self.assertIn("category", err["error"]["message"])

        # An engineer of the enterprise sees the device.
        self.call("POST", "/api/v1/users", {"username": "eng-a", "password": "engineer-1", "role": "engineer",
                                            "enterpriseId": ent["id"]}, a, 201)
        eng = self.server.login("eng-a", "engineer-1")
        _, lst = self.call("GET", "/api/v1/devices", token=eng, expect=200)
        self.assertEqual([d["name"] for d in lst["items"]], ["cnc-01"])
        # …but cannot create tenants or grant higher roles.
        self.call("POST", "/api/v1/tenants", {"name": "nope"}, eng, 403)
        self.call("POST", "/api/v1/users", {"username": "x1", "password": "password-1", "role": "tenant-admin"},
                  eng, 403)

        # Tenant B sees nothing of tenant A: 404, never 403, on read, update and delete.
        for path in [f"/api/v1/devices/{dev['id']}", f"/api/v1/enterprises/{ent['id']}",
                     f"/api/v1/parks/{park['id']}", f"/api/v1/profiles/{profile['id']}"]:
            self.call("GET", path, token=b, expect=404)
            self.call("PATCH", path, {"name": "stolen"}, b, 404)
            self.call("DELETE", path, token=b, expect=404)
        self.call("GET", f"/api/v1/tenants/{ta['id']}", token=b, expect=403)
        for coll in ["devices", "enterprises", "parks", "profiles", "users"]:
            _, lst = self.call("GET", f"/api/v1/{coll}", token=b, expect=200)
            ids = {x["id"] for x in lst["items"]}
            self.assertFalse(ids & {dev["id"], ent["id"], park["id"], profile["id"]}, coll)
            for item in lst["items"]:
                self.assertEqual(item.get("tenantId"), tb["id"], coll)
        # Tenant B cannot attach a device to tenant A's enterprise or profile.
        _, ent_b = self.make_enterprise(b, "Globex Works", "91110000MA00ABCD1")
        status, _ = self.call("POST", "/api/v1/devices", {"name": "evil", "enterpriseId": ent["id"],
                                                          "category": "other"}, b)
        self.assertIn(status, (400, 404))
        status, _ = self.call("POST", "/api/v1/devices", {"name": "evil", "enterpriseId": ent_b["id"],
                                                          "category": "other", "profileId": profile["id"]}, b)
        self.assertIn(status, (400, 404))
        # A tenant admin naming another tenant is still confined to their own.
        _, lst = self.call("GET", f"/api/v1/devices?tenantId={ta['id']}", token=b, expect=200)
        self.assertNotIn(dev["id"], {d["id"] for d in lst["items"]})

        # The device is still intact after B's attempts.
        _, again = self.call("GET", f"/api/v1/devices/{dev['id']}", token=a, expect=200)
        self.assertEqual(again["name"], "cnc-01")
        _, upd = self.call("PATCH", f"/api/v1/devices/{dev['id']}", {"label": "line 1"}, a, 200)
        self.assertEqual(upd["label"], "line 1")

        # Referential integrity: an enterprise with devices cannot go.
        self.call("DELETE", f"/api/v1/enterprises/{ent['id']}", token=a, expect=409)

        # Audit rows were written, with actor, source and request id.
        _, audit = self.call("GET", "/api/v1/audit?objectType=device", token=a, expect=200)
        actions = [(x["action"], x["objectId"]) for x in audit["items"]]
        self.assertIn(("create", dev["id"]), actions)
        self.assertIn(("update", dev["id"]), actions)
        row = next(x for x in audit["items"] if x["action"] == "create")
        self.assertEqual(row["actor"], "acme-admin")
        self.assertEqual(row["source"], "127.0.0.1")
        self.assertRegex(row["requestId"], r"^[0-9a-f]{16}$")
        _, audit_b = self.call("GET", "/api/v1/audit", token=b, expect=200)
        self.assertFalse(any(x["objectId"] == dev["id"] for x in audit_b["items"]))
        _, logins = self.call("GET", "/api/v1/audit?action=login_failed", token=self.admin, expect=200)
        self.assertTrue(any(x["detail"] == "admin" for x in logins["items"]))

        type(self).state = {"a": a, "dev": dev, "ent": ent, "profile": profile}

    def test_03_pagination(self):
        _, tok = self.make_tenant("paging")
        _, ent = self.make_enterprise(tok, "Paging Co", "91440300MA5FPAGE1")
        made = []
        for i in range(25):
            _, d = self.call("POST", "/api/v1/devices", {"name": f"m-{i:02d}", "enterpriseId": ent["id"],
                                                         "category": "running"}, tok, 201)
            made.append(d["id"])
        seen, cursor = [], None
        while True:
            path = "/api/v1/devices?limit=10" + (f"&cursor={cursor}" if cursor else "")
            _, page = self.call("GET", path, token=tok, expect=200)
            self.assertLessEqual(len(page["items"]), 10)
            seen += [d["id"] for d in page["items"]]
            cursor = page["next"]
            if not cursor:
                break
        self.assertEqual(seen, made)
        _, page = self.call("GET", "/api/v1/devices?limit=5&offset=20", token=tok, expect=200)
        self.assertEqual([d["id"] for d in page["items"]], made[20:25])
        _, page = self.call("GET", "/api/v1/devices?q=m-1&category=running", token=tok, expect=200)
        self.assertEqual(len(page["items"]), 10)
        self.call("GET", "/api/v1/devices?limit=0", token=tok, expect=400)
        self.call("GET", "/api/v1/devices?category=nope", token=tok, expect=400)

    def test_04_bad_input(self):
        status, err = self.call("POST", "/api/v1/tenants", token=self.admin, raw=b'{"name": "x",')
        self.assertEqual(status, 400)
        self.assertIn("malformed JSON", err["error"]["message"])
        status, err = self.call("POST", "/api/v1/tenants", {"name": "x", "colour": "red"}, self.admin)
        self.assertEqual(status, 400)
        self.assertIn("colour", err["error"]["message"])
        status, err = self.call("POST", "/api/v1/tenants", token=self.admin, raw=b"x" * 100_000)
        self.assertEqual(status, 413)
        self.assertEqual(err["error"]["code"], "payload_too_large")
        status, err = self.call("GET", "/api/v1/no/such/route", token=self.admin)
        self.assertEqual(status, 404)
        self.assertEqual(err["error"]["code"], "not_found")
        status, _, headers = self.server.request("PUT", "/api/v1/tenants", {"name": "x"}, token=self.admin)
        self.assertEqual(status, 405)
        self.assertIn("POST", headers["Allow"])
        # The server still works after all that.
        self.call("GET", "/healthz", expect=200)

    def test_05_api_keys(self):
        _, tok = self.make_tenant("keys")
        _, ent = self.make_enterprise(tok, "Key Co", "91310000MA1KEYC01")
        _, key = self.call("POST", "/api/v1/apikeys", {"name": "telegraf", "enterpriseId": ent["id"],
                                                       "role": "engineer"}, tok, 201)
        self.assertTrue(key["key"].startswith("kw_"))
        _, lst = self.call("GET", "/api/v1/apikeys", token=tok, expect=200)
        self.assertNotIn("key", lst["items"][0])
        self.assertEqual(lst["items"][0]["prefix"], key["key"][:10])
        self.call("POST", "/api/v1/devices", {"name": "via-key", "category": "other"}, key["key"], 201)
        status, _, _ = self.server.request("GET", "/api/v1/devices", headers={"Authorization": "Token " + key["key"]})
        self.assertEqual(status, 200)
        self.call("POST", "/api/v1/tenants", {"name": "nope"}, key["key"], 403)
        self.call("DELETE", f"/api/v1/apikeys/{key['id']}", token=tok, expect=204)
        self.call("GET", "/api/v1/devices", token=key["key"], expect=401)

    def test_06_openapi_covers_routes(self):
        _, doc = self.call("GET", "/api/v1/openapi.json", expect=200)
        self.assertEqual(doc["openapi"], "3.0.3")
        paths = doc["paths"]
        used = [("post", "/api/v1/auth/login"), ("get", "/api/v1/auth/me"), ("post", "/api/v1/auth/password"),
                ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("get", "/api/v1/audit")]
        for coll in ["tenants", "parks", "enterprises", "users", "profiles", "devices"]:
            used += [("get", f"/api/v1/{coll}"), ("post", f"/api/v1/{coll}"), ("get", f"/api/v1/{coll}/{{id}}"),
                     ("patch", f"/api/v1/{coll}/{{id}}"), ("delete", f"/api/v1/{coll}/{{id}}")]
        used += [("get", "/api/v1/apikeys"), ("post", "/api/v1/apikeys"), ("delete", "/api/v1/apikeys/{id}")]
        for method, path in used:
            self.assertIn(path, paths)
            self.assertIn(method, paths[path], path)
        # Every documented operation answers (not 404 for "no route").
        for path, ops in paths.items():
            concrete = re.sub(r"\{[^}]+\}", "nonexistent", path)
            for method in ops:
                status, body, _ = self.server.request(method.upper(), concrete, token=self.admin,
                                                      raw=b"{}" if method in ("post", "patch") else None)
                if status == 404:
                    self.assertNotIn("no route", str(body), f"{method} {path}")

    def test_07_metrics_and_request_id(self):
        status, _, headers = self.server.request("GET", "/healthz", headers={"X-Request-Id": "trace-42"})
        self.assertEqual(headers["X-Request-Id"], "trace-42")
        status, text, headers = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('kaiwu_http_requests_total{method="GET",route="/healthz",status="200"}', text)
        self.assertIn("kaiwu_http_request_duration_seconds_bucket", text)
        self.assertIn("kaiwu_http_requests_in_flight", text)
        self.assertIn("trace-42", self.server.read_log())

    def test_08_login_rate_limit(self):
        codes = [self.call("POST", "/api/v1/auth/login", {"username": "victim", "password": f"guess-{i}"})[0]
                 for i in range(12)]
        self.assertEqual(codes[:10], [401] * 10)
        self.assertEqual(codes[10:], [429, 429])


class PersistenceTest(unittest.TestCase):
    def test_restart_keeps_data_and_admin_cli(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, t, _ = server.request("POST", "/api/v1/tenants", {"name": "persist"}, admin)
            _, p, _ = server.request("POST", "/api/v1/profiles", {"name": "meter", "tenantId": t["id"]}, admin)
            self.assertEqual(server.stop(), 0, "graceful SIGTERM exits 0")
            out = subprocess.run([KAIWU, "admin", "create-user", "--data", server.data_dir, "--username", "offline",
                                  "--password", "offline-pass", "--role", "tenant-admin", "--tenant", t["id"]],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stderr)
            server.start()
            tok = server.login("offline", "offline-pass")
            status, got, _ = server.request("GET", f"/api/v1/profiles/{p['id']}", token=tok)
            self.assertEqual(status, 200)
            self.assertEqual(got["name"], "meter")
            # The JWT key survived too: the old admin token still works.
            status, _, _ = server.request("GET", "/api/v1/tenants", token=admin)
            self.assertEqual(status, 200)
            mode = os.stat(os.path.join(server.data_dir, "jwt.key")).st_mode & 0o777
            self.assertEqual(mode, 0o600)
        finally:
            server.cleanup()

    def test_config_errors_name_key(self):
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([KAIWU, "serve", "--data", d, "--set", "http.port=abc"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 2)
            self.assertIn('http.port: "abc" (from --set)', out.stderr)
            env = dict(os.environ, KAIWU_LOG_LEVEL="loud")
            out = subprocess.run([KAIWU, "serve", "--data", d], capture_output=True, text=True, timeout=30, env=env)
            self.assertEqual(out.returncode, 2)
            self.assertIn("log.level", out.stderr)
            self.assertIn("KAIWU_LOG_LEVEL", out.stderr)
            cfg = os.path.join(d, "kaiwu.toml")
            with open(cfg, "w") as f:
                f.write("[http]\nport = 8080\nbogus = 1\n")
            out = subprocess.run([KAIWU, "serve", "--data", d, "--config", cfg], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(out.returncode, 2)
            self.assertIn("http.bogus", out.stderr)

    def test_https(self):
        with tempfile.TemporaryDirectory() as d:
            key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
            tls_port = harness.free_port()
            server = Server(extra_sets=[f"http.cert={cert}", f"http.key={key}", f"http.tls_port={tls_port}"]).start()
            try:
                ctx = ssl.create_default_context(cafile=cert)
                ctx.check_hostname = False
                with urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/healthz", context=ctx, timeout=10) as r:
                    self.assertEqual(r.status, 200)
                    self.assertEqual(r.headers["Server"], "kaiwu")
            finally:
                server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
