"""Industrial APPs against the real binary: signed packages (keys made with `openssl genpkey`,
packed and signed with `kaiwu app`), tamper rejection, publish → review → listed, two
enterprises (one subscribed), enterprise-scoped host API, permission refusal, open invocation
with API keys across tenants, telemetry and schedule triggers, run logs, ratings, subscriber
counts, visits and the OpenAPI document."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, credit_code  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "apps", "hello-energy")
APP = "hello-energy"


def openssl_keypair(directory, name):
    priv = os.path.join(directory, f"{name}.pem")
    pub = os.path.join(directory, f"{name}.pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub], check=True, capture_output=True)
    return priv, pub


def kaiwu_app(*args):
    return subprocess.run([KAIWU, "app", *args], capture_output=True, text=True, timeout=30)


def wait_for(predicate, timeout=10.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


class AppsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="kaiwu-app-keys-")
        cls.platform_priv, cls.platform_pub = openssl_keypair(cls.keys, "platform")
        cls.dev_priv, cls.dev_pub = openssl_keypair(cls.keys, "developer")
        cls.stranger_priv, _ = openssl_keypair(cls.keys, "stranger")
        cls.server = Server(extra_sets=[f"apps.trusted_keys={cls.platform_pub}"]).start()
        s, admin = cls.server, cls.server.login("admin", ADMIN_PASSWORD)
        cls.admin = admin
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "factory"}, admin)
        _, u, _ = s.request("POST", "/api/v1/tenants", {"name": "elsewhere"}, admin)
        cls.tenant = t
        for name, tenant, role in [("fadm", t, "tenant-admin"), ("uadm", u, "tenant-admin"), ("dev", t, "developer")]:
            st, body, _ = s.request("POST", "/api/v1/users", {"username": name, "password": "password-1", "role": role,
                                                             "tenantId": tenant["id"]}, admin)
            assert st == 201, body
        cls.tok = s.login("fadm", "password-1")
        cls.other_tok = s.login("uadm", "password-1")
        cls.dev_tok = s.login("dev", "password-1")
        cls.ent_a = cls.make(cls.tok, "/api/v1/enterprises", {"name": "A co", "industry": "电子",
                                                              "creditCode": credit_code("91320000MA1APPT0A")})
        cls.ent_b = cls.make(cls.tok, "/api/v1/enterprises", {"name": "B co", "industry": "机械",
                                                              "creditCode": credit_code("91320000MA1APPT0B")})
        cls.ent_c = cls.make(cls.other_tok, "/api/v1/enterprises", {"name": "C co", "industry": "电力",
                                                                    "creditCode": credit_code("91320000MA1APPT0C")})
        cls.dev_a = cls.make(cls.tok, "/api/v1/devices", {"name": "meter-a", "enterpriseId": cls.ent_a["id"],
                                                          "category": "running", "protocol": "http"})
        cls.dev_b = cls.make(cls.tok, "/api/v1/devices", {"name": "meter-b", "enterpriseId": cls.ent_b["id"],
                                                          "category": "running", "protocol": "http"})
        cls.key_a = cls.make(cls.tok, "/api/v1/apikeys", {"name": "erp-a", "enterpriseId": cls.ent_a["id"],
                                                          "role": "engineer"})["key"]
        cls.key_b = cls.make(cls.tok, "/api/v1/apikeys", {"name": "erp-b", "enterpriseId": cls.ent_b["id"],
                                                          "role": "engineer"})["key"]
        cls.key_c = cls.make(cls.other_tok, "/api/v1/apikeys", {"name": "erp-c", "enterpriseId": cls.ent_c["id"],
                                                                "role": "engineer"})["key"]
        cls.ent_admin = cls.make(cls.tok, "/api/v1/users", {"username": "aadm", "password": "password-1",
                                                            "role": "enterprise-admin", "enterpriseId": cls.ent_a["id"]})
        cls.ent_admin_tok = s.login("aadm", "password-1")
        cls.package_path = os.path.join(cls.keys, "hello.kapp.json")
        cls.published = False

    @classmethod
    def make(cls, token, path, body):
        status, data, _ = cls.server.request("POST", path, body, token)
        assert status == 201, f"POST {path}: {status} {data}"
        return data

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.keys, ignore_errors=True)

    def req(self, method, path, body=None, token=None, expect=200, raw=None):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok, raw=raw)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def packed(self, key):
        r = kaiwu_app("pack", EXAMPLE, "-k", key, "-o", self.package_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.package_path, "rb") as f:
            return f.read()

    def publish(self):
        """Developer registers a key, uploads the signed example, the platform admin approves it."""
        if AppsTest.published:
            return
        with open(self.dev_pub) as f:
            self.req("POST", "/api/v1/apps/publishers/kaiwu-examples/keys", {"publicKey": f.read()}, self.dev_tok, 201)
        v = self.req("POST", "/api/v1/apps/packages", token=self.dev_tok, expect=201, raw=self.packed(self.dev_priv))
        self.assertEqual((v["appId"], v["version"], v["status"]), (APP, "1.0.0", "pending"))
        self.assertEqual(v["manifest"]["domain"], "energy_carbon")
        listed = self.req("GET", "/api/v1/apps")["items"]
        self.assertNotIn(APP, [a["id"] for a in listed])
        pending = self.req("GET", "/api/v1/apps/reviews", token=self.admin)["items"]
        self.assertEqual([(p["appId"], p["version"]) for p in pending], [(APP, "1.0.0")])
        self.req("POST", f"/api/v1/apps/{APP}/versions/1.0.0/review", {"approve": True}, self.tok, 403)
        approved = self.req("POST", f"/api/v1/apps/{APP}/versions/1.0.0/review", {"approve": True}, self.admin)
        self.assertEqual(approved["status"], "approved")
        AppsTest.published = True

    def subscribe_a(self):
        self.publish()
        subs = self.req("GET", f"/api/v1/apps/{APP}/subscriptions")["items"]
        if not any(s["enterpriseId"] == self.ent_a["id"] for s in subs):
            s = self.req("POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": self.ent_a["id"],
                                                                       "plan": "metered"}, expect=201)
            self.assertEqual(s["plan"], "metered")

    def invoke(self, fn, key, expect, body=None):
        return self.req("POST", f"/api/v1/apps/{APP}/functions/{fn}", body or {}, key, expect)

    def test_01_cli_verify_and_tamper_rejection(self):
        self.packed(self.dev_priv)
        ok = kaiwu_app("verify", self.package_path, "-p", self.dev_pub)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("hello-energy 1.0.0: signature OK", ok.stdout)
        wrong = kaiwu_app("verify", self.package_path, "-p", self.platform_pub)
        self.assertNotEqual(wrong.returncode, 0)
        # One byte of the code changed after signing: refused on upload.
        pkg = json.loads(self.packed(self.platform_priv))
        code = pkg["files"]["main.lua"]
        i = code.index("power_x2 = p * 2")
        pkg["files"]["main.lua"] = code[:i] + code[i:].replace("* 2", "* 3", 1)
        err = self.req("POST", "/api/v1/apps/packages", token=self.dev_tok, expect=403, raw=json.dumps(pkg).encode())
        self.assertIn("signature does not match", err["error"]["message"])
        # Signed by a key nobody trusts.
        err = self.req("POST", "/api/v1/apps/packages", token=self.dev_tok, expect=403, raw=self.packed(self.stranger_priv))
        self.assertIn("kaiwu-examples", err["error"]["message"])
        # Validation errors point at the problem; viewers of another tenant cannot upload at all.
        bad = json.loads(self.packed(self.platform_priv))
        manifest = json.loads(bad["files"]["manifest.json"])
        manifest["domain"] = "energy"
        bad["files"]["manifest.json"] = json.dumps(manifest)
        err = self.req("POST", "/api/v1/apps/packages", token=self.dev_tok, expect=400, raw=json.dumps(bad).encode())
        self.assertIn("manifest.json /domain", err["error"]["message"])
        report = self.req("POST", "/api/v1/apps/packages/validate", token=self.dev_tok, raw=json.dumps(bad).encode())
        self.assertFalse(report["valid"])
        self.assertIn("/domain", report["errors"][0])

    def test_02_publish_review_list(self):
        self.publish()
        apps = {a["id"]: a for a in self.req("GET", "/api/v1/apps", token=self.other_tok)["items"]}
        self.assertIn(APP, apps)
        a = apps[APP]
        self.assertEqual(a["listedVersion"], "1.0.0")
        self.assertEqual(a["manifest"]["name"], {"zh": "能耗小助手", "en": "Hello Energy"})
        self.assertEqual(a["manifest"]["domainLabel"], "节能减排")
        self.assertNotIn(APP, [a["id"] for a in self.req("GET", "/api/v1/apps?domain=safety")["items"]])
        self.req("GET", f"/api/v1/apps/{APP}/versions", token=self.dev_tok)
        self.req("GET", f"/api/v1/apps/{APP}/versions", token=self.tok, expect=403)
        html = self.server.request("GET", f"/api/v1/apps/{APP}/ui/index.html")
        self.assertEqual(html[0], 200)
        self.assertIn("Hello Energy", html[1])
        # The console's APP SDK comes first in <head>; inline code may run, nothing may be fetched.
        head = html[1].index("<head>") + len("<head>")
        self.assertTrue(html[1][head:].startswith('<script src="/app-sdk.js"></script>'), html[1][:200])
        csp = html[2]["Content-Security-Policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertIn("script-src 'self' 'unsafe-inline'", csp)
        self.assertIn("sandbox allow-scripts allow-downloads", csp)

    def test_03_scoped_invocation_with_api_keys(self):
        self.subscribe_a()
        self.req("POST", f"/api/v1/devices/{self.dev_a['id']}/telemetry", {"power": 10.5})
        self.req("POST", f"/api/v1/devices/{self.dev_b['id']}/telemetry", {"power": 99})
        r = self.invoke("summary", self.key_a, 200)
        self.assertTrue(r["ok"])
        self.assertEqual(r["result"]["total"], 10.5)
        self.assertEqual([d["name"] for d in r["result"]["devices"]], ["meter-a"])  # meter-b is invisible
        self.assertEqual(r["result"]["enterpriseId"], self.ent_a["id"])
        self.assertEqual(len(r["log"]), 1)
        # Not subscribed (same tenant), another tenant's key, a JWT of another tenant: all 404.
        self.invoke("summary", self.key_b, 404)
        err = self.invoke("summary", self.key_c, 404)
        self.assertEqual(err["error"]["code"], "not_found")
        self.req("POST", f"/api/v1/apps/{APP}/functions/summary?enterpriseId={self.ent_a['id']}", {},
                 self.other_tok, 404)
        # A tenant admin acts for a named enterprise of their own tenant.
        r = self.req("POST", f"/api/v1/apps/{APP}/functions/summary?enterpriseId={self.ent_a['id']}", {}, self.tok)
        self.assertEqual(r["result"]["total"], 10.5)
        # A park admin only for enterprises in their park: A co is in none, so it is "not found".
        park = self.req("POST", "/api/v1/parks", {"name": "Apps park", "level": "provincial", "region": "江苏省苏州市"},
                        expect=201)
        self.req("POST", "/api/v1/users", {"username": "padm", "password": "password-1", "role": "park-admin",
                                           "parkId": park["id"]}, expect=201)
        padm = self.server.login("padm", "password-1")
        err = self.req("POST", f"/api/v1/apps/{APP}/functions/summary?enterpriseId={self.ent_a['id']}", {}, padm, 404)
        self.assertEqual(err["error"]["message"], f"app {APP} not found")
        self.req("POST", f"/api/v1/apps/{APP}/visit?enterpriseId={self.ent_a['id']}", {}, padm, 404)
        # Functions without an http trigger are not callable from outside.
        self.invoke("tick", self.key_a, 404)
        # Per-call plan: the calls were counted.
        subs = self.req("GET", f"/api/v1/apps/{APP}/subscriptions")["items"]
        self.assertGreaterEqual([s for s in subs if s["enterpriseId"] == self.ent_a["id"]][0]["calls"], 2)

    def test_04_missing_permission_is_a_clear_error(self):
        self.subscribe_a()
        err = self.invoke("raise_flag", self.key_a, 403)
        self.assertIn("does not declare 'alarms:write'", err["error"]["message"])
        self.assertEqual(self.req("GET", "/api/v1/alarms?status=active")["items"], [])

    def test_05_telemetry_and_schedule_triggers(self):
        self.subscribe_a()
        self.req("POST", f"/api/v1/devices/{self.dev_a['id']}/telemetry", {"power": 21})
        self.req("POST", f"/api/v1/devices/{self.dev_b['id']}/telemetry", {"power": 50})

        def derived():
            latest = self.req("GET", f"/api/v1/devices/{self.dev_a['id']}/telemetry/latest?keys=power_x2")
            return latest.get("power_x2", {}).get("value") == 42 and latest

        self.assertTrue(wait_for(derived), "the telemetry trigger did not write power_x2")
        other = self.req("GET", f"/api/v1/devices/{self.dev_b['id']}/telemetry/latest?keys=power_x2")
        self.assertNotIn("power_x2", other)  # enterprise B did not subscribe

        def scheduled():
            runs = self.req("GET", f"/api/v1/apps/{APP}/runs?limit=100")["items"]
            return [r for r in runs if r["trigger"] == "schedule" and r["ok"]]

        runs = wait_for(scheduled, timeout=8)
        self.assertTrue(runs, "the schedule trigger did not fire")
        self.assertEqual(runs[0]["function"], "tick")
        self.assertTrue(runs[0]["log"][0].startswith("tick at"))
        # Run logs: the publisher sees them, the tenant admin sees their own, another tenant none.
        self.assertTrue(self.req("GET", f"/api/v1/apps/{APP}/runs", token=self.dev_tok)["items"])
        self.assertEqual(self.req("GET", f"/api/v1/apps/{APP}/runs", token=self.other_tok)["items"], [])
        telemetry_runs = [r for r in self.req("GET", f"/api/v1/apps/{APP}/runs?limit=100")["items"]
                          if r["trigger"] == "telemetry"]
        self.assertTrue(telemetry_runs)
        self.assertTrue(all(r["enterpriseId"] == self.ent_a["id"] for r in telemetry_runs))

    def test_06_ratings_subscribers_visits(self):
        self.subscribe_a()
        self.req("POST", f"/api/v1/apps/{APP}/ratings", {"stars": 2, "comment": "slow"}, self.ent_admin_tok, 201)
        self.req("POST", f"/api/v1/apps/{APP}/ratings", {"stars": 5, "comment": "fixed"}, self.ent_admin_tok, 201)
        self.req("POST", f"/api/v1/apps/{APP}/ratings", {"stars": 3}, self.tok, 201)
        self.req("POST", f"/api/v1/apps/{APP}/ratings", {"stars": 9}, self.tok, 400)
        ratings = self.req("GET", f"/api/v1/apps/{APP}/ratings")["items"]
        self.assertEqual(sorted(r["stars"] for r in ratings), [3, 5])
        a = self.req("GET", f"/api/v1/apps/{APP}")
        self.assertEqual(a["rating"], {"average": 4.0, "count": 2})
        self.assertEqual(a["subscribers"], 1)
        self.req("POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": self.ent_b["id"]}, expect=201)
        self.req("POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": self.ent_b["id"]}, expect=409)
        self.req("POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": self.ent_c["id"]}, expect=404)
        self.assertEqual(self.req("GET", f"/api/v1/apps/{APP}")["subscribers"], 2)
        self.assertEqual(self.invoke("summary", self.key_b, 200)["result"]["total"], 50)
        self.req("DELETE", f"/api/v1/apps/{APP}/subscriptions/{self.ent_b['id']}", expect=204)
        self.assertEqual(self.req("GET", f"/api/v1/apps/{APP}")["subscribers"], 1)
        self.invoke("summary", self.key_b, 404)
        self.req("POST", f"/api/v1/apps/{APP}/visit", token=self.ent_admin_tok, expect=204)
        self.req("POST", "/api/v1/apps/nope/visit", token=self.ent_admin_tok, expect=404)

    def test_07_openapi_lists_app_routes(self):
        doc = self.req("GET", "/api/v1/openapi.json")
        for path, method in [("/api/v1/apps/{appId}/functions/{fn}", "post"), ("/api/v1/apps/packages", "post"),
                             ("/api/v1/apps/{appId}/subscriptions", "post"), ("/api/v1/apps/{appId}/visit", "post"),
                             ("/api/v1/apps/{appId}/runs", "get"), ("/api/v1/apps/{appId}/ratings", "post")]:
            self.assertIn(method, doc["paths"][path], path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
