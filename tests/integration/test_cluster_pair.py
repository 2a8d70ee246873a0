"""Two `kaiwu serve` nodes in cluster mode that share a real PostgreSQL (metadata, started by this
test in a temp directory) and a real nats-server with JetStream (bus, leases), each with its own
embedded telemetry store and data directory (so nothing passes through a shared disk).

The signed example APP (hello-energy, schedule trigger every 1000 ms) and the built-in energy APP
are subscribed by one enterprise before node B starts, so both nodes run them:
- an XLSX the energy APP writes through node A downloads from node B (the file is in the
  metadata database, table app_files; no .xlsx on either node's disk);
- the schedule fires once per period cluster-wide (one node holds the (APP, enterprise) lease in
  the KV bucket KAIWU_LEASES), not once per node;
- a rule chain created, disabled, enabled and deleted through node A is in (out of) node B's
  engine within 2 s (a signal on kaiwu.signal.rulechains; B's poll is 30 s), and one created
  through A and disabled through B leaves A's engine;
- a subscription made through node B runs on node A within 2 s, and ends there after the
  unsubscription (signal kaiwu.signal.apps);
- after `kill -9` of the holder the survivor takes the lease over (within bus.lease_ms) and the
  schedule fires again, once per period.
Skips when nats-server or the PostgreSQL server binaries are missing."""

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import openpyxl  # noqa: E402  (python3-openpyxl)

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, KAIWU, Server, credit_code, subscribe_builtin, wait_for  # noqa: E402
from test_apps import APP, EXAMPLE, openssl_keypair  # noqa: E402
from test_bus_nats import NatsServer  # noqa: E402
from test_postgres import CHAIN, Postgres, pg_bin_dir  # noqa: E402

LEASE_MS = 3000
PERIOD_S = 1.0  # hello-energy's schedule trigger


def metric(server, name):
    status, text, _ = server.request("GET", "/metrics")
    assert status == 200, text
    m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else None


@unittest.skipIf(pg_bin_dir() is None or shutil.which("nats-server") is None,
                 "needs PostgreSQL server binaries and nats-server")
class ClusterPairTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres(pg_bin_dir()).start()
        cls.addClassCleanup(cls.pg.stop)
        cls.nats = NatsServer()
        cls.addClassCleanup(cls.nats.stop)
        cls.dir = tempfile.mkdtemp(prefix="kaiwu-it-pair-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.platform_priv, cls.platform_pub = openssl_keypair(cls.dir, "platform")
        cls.dev_priv, cls.dev_pub = openssl_keypair(cls.dir, "developer")
        cls.sets = ["meta.backend=postgres", f"meta.postgres_url={cls.pg.url()}", "bus.backend=nats",
                    f"bus.nats_url={cls.nats.url()}", f"bus.lease_ms={LEASE_MS}",
                    f"apps.trusted_keys={cls.platform_pub}", f"apps.builtin_dir={BUILTIN_APPS}"]
        cls.a = cls.node("a")
        cls.seed()
        # Node B signs the built-in APPs with the same platform key as node A (as an operator
        # would deploy it) and loads the subscription at start.
        os.makedirs(os.path.join(cls.dir, "b"))
        shutil.copy(os.path.join(cls.a.data_dir, "apps-platform.key"), os.path.join(cls.dir, "b"))
        cls.b = cls.node("b")
        cls.tok = {cls.a: cls.a.login("fadm", "password-1"), cls.b: cls.b.login("fadm", "password-1")}

    @classmethod
    def node(cls, name):
        data = os.path.join(cls.dir, name)
        os.makedirs(data, exist_ok=True)
        server = Server(data_dir=data, extra_sets=cls.sets + [f"bus.node_name=node-{name}"]).start(timeout=60)
        cls.addClassCleanup(server.cleanup)
        return server

    @classmethod
    def call(cls, s, method, path, body=None, token=None, expect=200, raw=None):
        status, data, _ = s.request(method, path, body, token=token, raw=raw)
        if status != expect:
            raise AssertionError(f"{method} {path}: {status} {data}")
        return data

    @classmethod
    def seed(cls):
        s = cls.a
        admin = s.login("admin", ADMIN_PASSWORD)
        factory = cls.call(s, "POST", "/api/v1/tenants", {"name": "factory"}, admin, 201)
        devs = cls.call(s, "POST", "/api/v1/tenants", {"name": "devs"}, admin, 201)
        for name, tenant, role in [("fadm", factory, "tenant-admin"), ("dev", devs, "developer")]:
            cls.call(s, "POST", "/api/v1/users", {"username": name, "password": "password-1", "role": role,
                                                  "tenantId": tenant["id"]}, admin, 201)
        tok, dev_tok = s.login("fadm", "password-1"), s.login("dev", "password-1")
        cls.ent = cls.call(s, "POST", "/api/v1/enterprises",
                           {"name": "A co", "industry": "电子", "creditCode": credit_code("91320000MA1PGBP0A")}, tok, 201)
        with open(cls.dev_pub) as f:
            cls.call(s, "POST", "/api/v1/apps/publishers/kaiwu-examples/keys", {"publicKey": f.read()}, dev_tok, 201)
        path = os.path.join(cls.dir, "hello.kapp.json")
        subprocess.run([KAIWU, "app", "pack", EXAMPLE, "-k", cls.dev_priv, "-o", path], check=True,
                       capture_output=True, timeout=30)
        with open(path, "rb") as f:
            package = f.read()
        cls.call(s, "POST", "/api/v1/apps/packages", token=dev_tok, expect=201, raw=package)
        cls.call(s, "POST", f"/api/v1/apps/{APP}/versions/1.0.0/review", {"approve": True}, admin)
        cls.call(s, "POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": cls.ent["id"], "plan": "free"},
                 tok, 201)
        subscribe_builtin(s, tok, "energy", cls.ent["id"])  # writes XLSX files

    def req(self, s, method, path, body=None, expect=200, raw=None):
        return self.call(s, method, path, body, self.tok[s], expect, raw)

    def scheduled_since(self, s, since_ms):
        """Schedule runs started at or after since_ms (the run log is shared), oldest first."""
        items = self.req(s, "GET", f"/api/v1/apps/{APP}/runs?trigger=schedule&limit=100")["items"]
        return sorted(r["startedAt"] for r in items if r["startedAt"] >= since_ms)

    def assert_once_per_period(self, s, window_s):
        start = int(time.time() * 1000)
        time.sleep(window_s + 0.6)  # + the run log's flush interval
        starts = [t for t in self.scheduled_since(s, start) if t < start + window_s * 1000]
        # One node: window/period runs (±1 for the phase); two nodes would give twice as many.
        self.assertGreaterEqual(len(starts), window_s / PERIOD_S - 1, starts)
        self.assertLessEqual(len(starts), window_s / PERIOD_S + 1, starts)
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertGreaterEqual(min(gaps), PERIOD_S * 1000 * 0.75, f"two runs in one period: {starts}")
        return starts

    def acquisitions(self, s):
        """How often node s acquired hello-energy's schedule lease (its log says so)."""
        return s.read_log().count(f"acquired 'app-schedule|{APP}|{self.ent['id']}'")

    def holder(self):
        holders = [s for s in (self.a, self.b) if self.acquisitions(s) > 0]
        return holders[0] if len(holders) == 1 else None

    def test_2_app_file_written_on_one_node_downloads_from_the_other(self):
        month = time.strftime("%Y-%m", time.gmtime())
        out = self.call(self.a, "POST", f"/api/v1/apps/kaiwu-energy/functions/export_month?enterpriseId={self.ent['id']}",
                        {"month": month}, self.tok[self.a])
        f = out["result"]["file"]
        path = f"/api/v1/apps/kaiwu-energy/files/{f['id']}?enterpriseId={self.ent['id']}"
        # No file on either node's disk: the bytes are in the shared metadata database.
        for s in (self.a, self.b):
            found = [n for _, _, names in os.walk(s.data_dir) for n in names if n.endswith(".xlsx")]
            self.assertEqual(found, [], s.data_dir)
        req = urllib.request.Request(self.b.url(path), headers={"Authorization": f"Bearer {self.tok[self.b]}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertIn("spreadsheetml", resp.headers["Content-Type"])
            data = resp.read()
        self.assertEqual(len(data), f["size"])
        self.assertEqual(data[:2], b"PK")
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        self.assertIn("Summary 汇总", wb.sheetnames)
        req = urllib.request.Request(self.a.url(path), headers={"Authorization": f"Bearer {self.tok[self.a]}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(resp.read(), data)
        # Only the owner: an unknown id is a 404 on both nodes.
        for s in (self.a, self.b):
            st, _, _ = s.request("GET", path.replace(f["id"], "0" * len(f["id"])), token=self.tok[s])
            self.assertEqual(st, 404)
        self.assertEqual(self.pg.query(f"SELECT size FROM app_files WHERE id = '{f['id']}'"), str(f["size"]))

    def test_3_rule_chain_change_reaches_the_other_node_at_once(self):
        # ChainSync polls every 30 s now: only the signal (kaiwu.signal.rulechains) explains < 2 s.
        before = metric(self.b, "kaiwu_rules_chains") or 0
        chain = self.req(self.a, "POST", "/api/v1/rulechains",
                         {"name": "hot", "definition": CHAIN, "enabled": True}, expect=201)
        t0 = time.time()
        wait_for(lambda: metric(self.b, "kaiwu_rules_chains") == before + 1, timeout=2,
                 what="node B's engine has the chain created through node A")
        seen_s = time.time() - t0
        self.req(self.a, "POST", f"/api/v1/rulechains/{chain['id']}/disable")
        wait_for(lambda: metric(self.b, "kaiwu_rules_chains") == before, timeout=2,
                 what="node B's engine dropped the chain disabled through node A")
        self.req(self.a, "POST", f"/api/v1/rulechains/{chain['id']}/enable")
        wait_for(lambda: metric(self.b, "kaiwu_rules_chains") == before + 1, timeout=2, what="enabled again")
        self.req(self.a, "DELETE", f"/api/v1/rulechains/{chain['id']}", expect=204)
        wait_for(lambda: metric(self.b, "kaiwu_rules_chains") == before, timeout=2, what="deleted")
        # Created through A, disabled through B: gone from A too (A's own sync knew the chain).
        chain = self.req(self.a, "POST", "/api/v1/rulechains",
                         {"name": "hot2", "definition": CHAIN, "enabled": True}, expect=201)
        wait_for(lambda: metric(self.b, "kaiwu_rules_chains") == before + 1, timeout=2, what="on B")
        self.req(self.b, "POST", f"/api/v1/rulechains/{chain['id']}/disable")
        wait_for(lambda: metric(self.a, "kaiwu_rules_chains") == before, timeout=2,
                 what="node A's engine dropped its own chain disabled through node B")
        self.req(self.b, "DELETE", f"/api/v1/rulechains/{chain['id']}", expect=204)
        self.assertGreaterEqual(metric(self.a, "kaiwu_cluster_signals_sent_total"), 4)
        self.assertGreaterEqual(metric(self.b, "kaiwu_cluster_signals_received_total"), 4)
        print(f"\n  chain on node B {seen_s * 1000:.0f} ms after its creation on node A", file=sys.stderr)

    def test_4_subscription_made_on_one_node_runs_on_the_other_at_once(self):
        ent = self.req(self.b, "POST", "/api/v1/enterprises",
                       {"name": "B co", "industry": "电子", "creditCode": credit_code("91320000MA1PGBP0B")}, expect=201)
        call = f"/api/v1/apps/{APP}/functions/summary?enterpriseId={ent['id']}"
        self.call(self.a, "POST", call, {}, self.tok[self.a], expect=404)  # not subscribed yet
        self.req(self.b, "POST", f"/api/v1/apps/{APP}/subscriptions", {"enterpriseId": ent["id"], "plan": "free"},
                 expect=201)
        # Node A's runtime reloads on the signal kaiwu.signal.apps (its safety-net pass is a minute).
        wait_for(lambda: self.a.request("POST", call, {}, token=self.tok[self.a])[0] == 200, timeout=2,
                 what="node A runs the APP for the enterprise subscribed through node B")
        self.req(self.b, "DELETE", f"/api/v1/apps/{APP}/subscriptions/{ent['id']}", expect=204)
        wait_for(lambda: self.a.request("POST", call, {}, token=self.tok[self.a])[0] == 404, timeout=2,
                 what="node A stopped running it after the unsubscription through node B")

    def test_9_schedule_fires_once_per_period_and_survives_the_holder(self):
        holder = wait_for(self.holder, timeout=LEASE_MS / 1000 + 5, what="exactly one lease holder")
        survivor = self.b if holder is self.a else self.a
        self.assert_once_per_period(survivor, 6)

        holder.stop(signal.SIGKILL)
        killed_ms = int(time.time() * 1000)
        # The lease expires on the NATS server within bus.lease_ms; the survivor takes it over.
        taken = wait_for(lambda: self.scheduled_since(survivor, killed_ms + 200),
                         timeout=LEASE_MS / 1000 + 5, what="a schedule run after the holder died")
        took_over_ms = taken[0] - killed_ms
        self.assertLessEqual(took_over_ms, LEASE_MS + 2500)
        self.assertEqual(self.acquisitions(survivor), 1)
        self.assertGreaterEqual(metric(survivor, "kaiwu_cluster_leases_held"), 1.0)
        self.assert_once_per_period(survivor, 5)
        print(f"\n  takeover {took_over_ms} ms after kill -9 (lease {LEASE_MS} ms)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
