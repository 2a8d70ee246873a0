"""APPs, models and metering of `kaiwu serve` in cluster mode (meta.backend = postgres) against a
real PostgreSQL server this test starts itself (test_postgres.Postgres). A developer (in a tenant
of their own) uploads the signed example APP, the platform approves it, an enterprise of another
tenant subscribes and calls it with an API key; the persistent run log is read with paging and
filters by the enterprise's admin and by the developer (across subscribers); a built-in model is
invoked; the metering figures count exactly those calls and tool uses; the rows are checked in
PostgreSQL with psql (no metering.db file is written); after a restart the run log is still there.
Skips when no PostgreSQL server binaries are installed."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, credit_code  # noqa: E402
from test_apps import APP, EXAMPLE, openssl_keypair  # noqa: E402
from test_postgres import Postgres, pg_bin_dir  # noqa: E402


@unittest.skipIf(pg_bin_dir() is None, "no PostgreSQL server binaries (install postgresql)")
class PostgresAppsTest(unittest.TestCase):
    def setUp(self):
        self.pg = Postgres(pg_bin_dir()).start()
        self.addCleanup(self.pg.stop)
        self.dir = tempfile.mkdtemp(prefix="kaiwu-it-pg-apps-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.platform_priv, self.platform_pub = openssl_keypair(self.dir, "platform")
        self.dev_priv, self.dev_pub = openssl_keypair(self.dir, "developer")
        self.sets = ["meta.backend=postgres", f"meta.postgres_url={self.pg.url()}",
                     f"apps.trusted_keys={self.platform_pub}"]

    def serve(self):
        server = Server(data_dir=self.data_dir, extra_sets=self.sets).start()
        self.addCleanup(server.cleanup)
        return server

    def req(self, s, method, path, body=None, token=None, expect=200, raw=None):
        status, data, _ = s.request(method, path, body, token=token, raw=raw)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def packed(self):
        path = os.path.join(self.dir, "hello.kapp.json")
        r = subprocess.run([KAIWU, "app", "pack", EXAMPLE, "-k", self.dev_priv, "-o", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, "rb") as f:
            return f.read()

    def runs(self, s, token, query=""):
        return self.req(s, "GET", f"/api/v1/apps/{APP}/runs{query}", token=token)

    def test_marketplace_runs_models_and_metering_on_postgres(self):
        s = self.serve()
        admin = s.login("admin", ADMIN_PASSWORD)
        factory = self.req(s, "POST", "/api/v1/tenants", {"name": "factory"}, admin, 201)
        devs = self.req(s, "POST", "/api/v1/tenants", {"name": "devs"}, admin, 201)
        for name, tenant, role in [("fadm", factory, "tenant-admin"), ("dev", devs, "developer")]:
            self.req(s, "POST", "/api/v1/users", {"username": name, "password": "password-1", "role": role,
                                                  "tenantId": tenant["id"]}, admin, 201)
        tok, dev_tok = s.login("fadm", "password-1"), s.login("dev", "password-1")
        ent = self.req(s, "POST", "/api/v1/enterprises", {"name": "A co", "industry": "电子",
                                                          "creditCode": credit_code("91320000MA1PGAP0A")}, tok, 201)
        meter = self.req(s, "POST", "/api/v1/devices", {"name": "meter-a", "enterpriseId": ent["id"],
                                                        "category": "running", "protocol": "http"}, tok, 201)
        key = self.req(s, "POST", "/api/v1/apikeys", {"name": "erp", "enterpriseId": ent["id"],
                                                      "role": "engineer"}, tok, 201)["key"]

        # Developer: register the key, validate and upload the signed package; platform approves.
        with open(self.dev_pub) as f:
            self.req(s, "POST", "/api/v1/apps/publishers/kaiwu-examples/keys", {"publicKey": f.read()}, dev_tok, 201)
        package = self.packed()
        report = self.req(s, "POST", "/api/v1/apps/packages/validate", token=dev_tok, raw=package)
        self.assertEqual(report["errors"], [], report)
        v = self.req(s, "POST", "/api/v1/apps/packages", token=dev_tok, expect=201, raw=package)
        self.assertEqual((v["appId"], v["status"]), (APP, "pending"))
        self.req(s, "POST", f"/api/v1/apps/{APP}/versions/1.0.0/review", {"approve": True}, admin)
        self.assertIn(APP, [a["id"] for a in self.req(s, "GET", "/api/v1/apps", token=tok)["items"]])
        sub = self.req(s, "POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": ent["id"], "plan": "metered"},
                       tok, 201)
        self.assertEqual(sub["plan"], "metered")

        # Three open invocations with the enterprise's API key, one refused function.
        self.req(s, "POST", f"/api/v1/devices/{meter['id']}/telemetry", {"power": 10.5}, tok)
        for _ in range(3):
            r = self.req(s, "POST", f"/api/v1/apps/{APP}/functions/summary", {}, key)
            self.assertEqual(r["result"]["total"], 10.5)
        self.req(s, "POST", f"/api/v1/apps/{APP}/functions/raise_flag", {}, key, 403)
        subs = self.req(s, "GET", f"/api/v1/apps/{APP}/subscriptions", token=tok)["items"]
        # Every run counts on a per-call plan: the 4 calls plus the telemetry and schedule triggers'.
        self.assertGreaterEqual([x["calls"] for x in subs if x["enterpriseId"] == ent["id"]][0], 4)

        # The run log: filters and paging (the schedule trigger adds runs meanwhile: filter by trigger).
        http_runs = self.runs(s, tok, "?trigger=http&limit=100")["items"]
        self.assertEqual(sorted(r["function"] for r in http_runs), ["raise_flag", "summary", "summary", "summary"])
        failed = self.runs(s, tok, "?status=failed&trigger=http")["items"]
        self.assertEqual([r["function"] for r in failed], ["raise_flag"])
        self.assertIn("alarms:write", failed[0]["error"])
        first = self.runs(s, tok, "?trigger=http&limit=3")
        self.assertEqual(len(first["items"]), 3)
        self.assertIsNotNone(first["next"])
        rest = self.runs(s, tok, f"?trigger=http&limit=3&cursor={first['next']}")
        self.assertEqual(len(rest["items"]), 1)
        self.assertIsNone(rest["next"])
        self.assertEqual(len({r["id"] for r in first["items"] + rest["items"]}), 4)
        since = first["items"][0]["startedAt"] + 1
        self.assertEqual(self.runs(s, tok, f"?trigger=http&since={since}")["items"], [])
        self.req(s, "GET", f"/api/v1/apps/{APP}/runs?status=maybe", token=tok, expect=400)
        # The developer sees the runs of every subscriber (another tenant's enterprise).
        dev_view = self.runs(s, dev_tok, "?trigger=http&limit=100")["items"]
        self.assertEqual({r["enterpriseId"] for r in dev_view}, {ent["id"]})
        self.assertEqual(len(dev_view), 4)

        # A built-in model on the PostgreSQL catalogue.
        x = [2.5, 3.1, 4.7, 1.2, 5.5]
        out = self.req(s, "POST", "/api/v1/models/kaiwu.stats.descriptive/invoke", {"inputs": {"x": x}}, tok)
        self.assertAlmostEqual(out["outputs"]["mean"], statistics.fmean(x), places=12)

        # Metering in the shared PostgreSQL table: exactly the calls and tool uses made above.
        def app_calls_http():
            return self.pg.query("SELECT COUNT(*) FROM usage WHERE kind = 'app_call' AND actor_id <> 'trigger:schedule'"
                                 " AND actor_id <> 'trigger:telemetry'")
        deadline = time.time() + 5
        while app_calls_http() != "4" and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(app_calls_http(), "4")
        summary = self.req(s, "GET", "/api/v1/metering/summary", token=admin)
        self.assertEqual(summary["modelCalls"], 1)
        self.assertEqual(summary["failedCalls"], 1)
        self.assertGreaterEqual(summary["appCalls"], 4)
        tools = self.pg.query("SELECT function FROM usage WHERE kind = 'tool_call' ORDER BY id").split("\n")
        self.assertEqual(tools, ["package_validate", "package_upload", "run_logs"])
        self.assertEqual(summary["toolCalls"], 3)
        self.assertGreaterEqual(int(self.pg.query(f"SELECT COUNT(*) FROM app_runs WHERE app_id = '{APP}'")), 4)
        self.assertEqual(self.pg.query("SELECT COUNT(*) FROM models WHERE id = 'kaiwu.stats.descriptive'"), "1")
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "metering.db")))
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "meta.db")))

        # Restart: the run log and the usage records are still there.
        self.assertEqual(s.stop(), 0, s.read_log()[-2000:])
        s2 = self.serve()
        tok = s2.login("fadm", "password-1")
        again = self.runs(s2, tok, "?trigger=http&limit=100")["items"]
        self.assertEqual(sorted(r["id"] for r in again), sorted(r["id"] for r in http_runs))
        self.assertEqual(self.req(s2, "GET", "/api/v1/metering/summary", token=s2.login("admin", ADMIN_PASSWORD))
                         ["modelCalls"], 1)


if __name__ == "__main__":
    unittest.main()
