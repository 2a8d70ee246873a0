"""The APP host API's platform services against the real binary: APP storage (persistent across a
restart, per enterprise), model invocation, XLSX files written with libxlsxwriter and downloaded
by the same enterprise only (read back independently with openpyxl); the built-in APP installer
(platform key in the data dir, idempotent, new versions listed, a package altered in the data
dir not trusted)."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import urllib.request
import zipfile

import openpyxl

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, credit_code, wait_for  # noqa: E402
from test_apps import openssl_keypair  # noqa: E402

PROBE_MANIFEST = {
    "id": "host-probe", "version": "1.0.0", "name": {"zh": "宿主探针", "en": "Host probe"},
    "domain": "operations", "publisher": "kaiwu-tests", "origin": "self_built", "form": "built_on_platform",
    "permissions": ["devices:read", "telemetry:read", "storage", "files:write", "models:invoke"],
    "functions": [{"name": n} for n in ["report", "put", "get", "stats"]],
    "triggers": [{"type": "http", "function": n} for n in ["report", "put", "get", "stats"]],
}
PROBE_CODE = """
function report(input, ctx)
  local rows = {}
  for i = 1, 3 do rows[i] = {"meter-" .. i, i * 1.5, i} end
  return kaiwu.files.xlsx(input.name or "月报", {
    {name = "能耗", title = "2026年11月 能耗月报", columns = {"表计", "电量 kWh", "序号"}, rows = rows},
    {name = "Summary", columns = {"total", "ok"}, rows = {{9.0, true}}},
  })
end
function put(input, ctx) return kaiwu.store.put(input.key, input.value) end
function get(input, ctx) return {value = kaiwu.store.get(input.key)} end
function stats(input, ctx) return kaiwu.models.invoke("kaiwu.stats.descriptive", {x = input.x}) end
"""


NET_CODE = """
function fetch(input, ctx)
  return kaiwu.http.request{method = input.method, url = input.url, headers = input.headers, body = input.body,
                            timeoutMs = input.timeoutMs}
end
"""

# Writes `derived` for every `power`; if its own write triggered it again it would never stop.
WRITER_CODE = """
function on_power(input, ctx)
  kaiwu.telemetry.write(input.deviceId, {derived = input.values.power * 2, power = input.values.power})
end
"""
# Sees the writer's `derived` on the bus and keeps it.
WATCHER_CODE = """
function on_derived(input, ctx) kaiwu.store.put("seen", input.values.derived) end
function seen(input, ctx) return {value = kaiwu.store.get("seen")} end
"""


class Peer(BaseHTTPRequestHandler):
    """The ERP an APP talks to, on 127.0.0.1."""

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except BrokenPipeError:  # the APP's timeout closed the connection first (/slow)
                pass

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(2)
            return self.reply(200, b"late")
        if self.path == "/big":
            return self.reply(200, b"x" * (2 << 20))
        if self.path == "/redirect":
            return self.reply(302, b"", [("Location", "http://example.com/")])
        self.reply(200, json.dumps({"path": self.path, "token": self.headers.get("X-Token")}).encode(),
                   [("Content-Type", "application/json"), ("X-Peer", "erp")])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply(201, b"got " + body)


def write_app(directory, manifest, code):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, ensure_ascii=False)
    with open(os.path.join(directory, "main.lua"), "w") as f:
        f.write(code)


class AppHostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kaiwu-apphost-")
        cls.priv, cls.pub = openssl_keypair(cls.tmp, "platform")
        cls.peer = ThreadingHTTPServer(("127.0.0.1", 0), Peer)
        cls.peer_port = cls.peer.server_address[1]
        threading.Thread(target=cls.peer.serve_forever, daemon=True).start()
        cls.server = Server(extra_sets=[f"apps.trusted_keys={cls.pub}", "apps.http_outbound=on"]).start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "host"}, cls.admin)
        st, _, _ = s.request("POST", "/api/v1/users", {"username": "hadm", "password": "password-1",
                                                      "role": "tenant-admin", "tenantId": t["id"]}, cls.admin)
        assert st == 201
        cls.tok = s.login("hadm", "password-1")
        cls.ent_a = cls.make("/api/v1/enterprises", {"name": "A", "industry": "电子",
                                                     "creditCode": credit_code("91320000MA1HPRB0A")})
        cls.ent_b = cls.make("/api/v1/enterprises", {"name": "B", "industry": "机械",
                                                     "creditCode": credit_code("91320000MA1HPRB0B")})
        cls.key_a = cls.make("/api/v1/apikeys", {"name": "a", "enterpriseId": cls.ent_a["id"], "role": "engineer"})["key"]
        cls.key_b = cls.make("/api/v1/apikeys", {"name": "b", "enterpriseId": cls.ent_b["id"], "role": "engineer"})["key"]
        cls.install("host-probe", PROBE_MANIFEST, PROBE_CODE)
        cls.install("net-probe", dict(PROBE_MANIFEST, id="net-probe", permissions=["http:outbound"],
                                      httpHosts=[f"127.0.0.1:{cls.peer_port}"], functions=[{"name": "fetch"}],
                                      triggers=[{"type": "http", "function": "fetch"}]), NET_CODE)
        cls.install("writer", dict(PROBE_MANIFEST, id="writer", permissions=["telemetry:write"],
                                   functions=[{"name": "on_power"}],
                                   triggers=[{"type": "telemetry", "function": "on_power"}]), WRITER_CODE)
        cls.install("watcher", dict(PROBE_MANIFEST, id="watcher", permissions=["storage"],
                                    functions=[{"name": "on_derived"}, {"name": "seen"}],
                                    triggers=[{"type": "telemetry", "function": "on_derived", "keys": ["derived"]},
                                              {"type": "http", "function": "seen"}]), WATCHER_CODE)

    @classmethod
    def make(cls, path, body):
        status, data, _ = cls.server.request("POST", path, body, cls.tok)
        assert status == 201, f"POST {path}: {status} {data}"
        return data

    @classmethod
    def install(cls, app_id, manifest, code):
        """Packs and signs with the platform key, uploads, approves, subscribes A and B."""
        directory = os.path.join(cls.tmp, app_id)
        write_app(directory, manifest, code)
        out = os.path.join(cls.tmp, app_id + ".kapp.json")
        r = subprocess.run([KAIWU, "app", "pack", directory, "-k", cls.priv, "-o", out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        s = cls.server
        with open(out, "rb") as f:
            st, v, _ = s.request("POST", "/api/v1/apps/packages", raw=f.read(), token=cls.admin)
        assert st == 201, v
        st, v, _ = s.request("POST", f"/api/v1/apps/{app_id}/versions/{manifest['version']}/review",
                             {"approve": True}, cls.admin)
        assert st == 200, v
        for ent in (cls.ent_a, cls.ent_b):
            st, v, _ = s.request("POST", f"/api/v1/apps/{app_id}/subscriptions", {"enterpriseId": ent["id"]}, cls.tok)
            assert st == 201, v

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.peer.shutdown()
        cls.peer.server_close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def call(self, fn, body, key, expect=200, app="host-probe"):
        status, data, _ = self.server.request("POST", f"/api/v1/apps/{app}/functions/{fn}", body, key)
        self.assertEqual(status, expect, data)
        return data

    def download(self, file_id, key, app="host-probe"):
        req = urllib.request.Request(self.server.url(f"/api/v1/apps/{app}/files/{file_id}"))
        req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def test_01_xlsx_report_downloads_and_reads_back(self):
        r = self.call("report", {"name": "月报"}, self.key_a)["result"]
        self.assertEqual(r["name"], "月报.xlsx")
        self.assertGreater(r["size"], 1000)
        status, data, headers = self.download(r["id"], self.key_a)
        self.assertEqual(status, 200)
        self.assertEqual(len(data), r["size"])
        self.assertEqual(headers["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertIn("filename*=UTF-8''%E6%9C%88%E6%8A%A5.xlsx", headers["Content-Disposition"])
        self.assertIn("xl/workbook.xml", zipfile.ZipFile(io.BytesIO(data)).namelist())
        wb = openpyxl.load_workbook(io.BytesIO(data))
        self.assertEqual(wb.sheetnames, ["能耗", "Summary"])
        ws = wb["能耗"]
        self.assertEqual(ws["A1"].value, "2026年11月 能耗月报")
        self.assertEqual([c.value for c in ws[2]], ["表计", "电量 kWh", "序号"])
        self.assertEqual([c.value for c in ws[3]], ["meter-1", 1.5, 1])
        self.assertEqual([c.value for c in ws[5]], ["meter-3", 4.5, 3])
        self.assertEqual(ws["B4"].data_type, "n")  # numbers stay numbers
        self.assertTrue(ws["A2"].font.b)          # header bold
        self.assertGreater(ws.column_dimensions["B"].width, 8)
        self.assertEqual([c.value for c in wb["Summary"][2]], [9, True])
        # Enterprise B (also subscribed) cannot fetch A's file; an unknown id is 404 too.
        self.assertEqual(self.download(r["id"], self.key_b)[0], 404)
        self.assertEqual(self.download("nope", self.key_a)[0], 404)
        self.assertEqual(self.download("../../meta.db", self.key_a)[0], 404)

    def test_02_store_is_per_enterprise_and_persistent(self):
        tariff = {"peak": 1.2, "valley": 0.35, "periods": [[8, 11], [18, 21]]}
        self.assertTrue(self.call("put", {"key": "tariff", "value": tariff}, self.key_a)["result"])
        self.assertEqual(self.call("get", {"key": "tariff"}, self.key_a)["result"]["value"], tariff)
        self.assertEqual(self.call("get", {"key": "tariff"}, self.key_b)["result"], {})
        big = self.call("put", {"key": "big", "value": "x" * 70000}, self.key_a, expect=422)
        self.assertIn("at most 65536", big["error"])
        self.server.stop()
        self.server.start()
        self.assertEqual(self.call("get", {"key": "tariff"}, self.key_a)["result"]["value"], tariff)

    def test_03_models_invoke(self):
        out = self.call("stats", {"x": [2, 4, 4, 4, 5, 5, 7, 9]}, self.key_a)["result"]
        self.assertEqual(out["mean"], 5)
        self.assertEqual(out["stdevPopulation"], 2)

    def test_04_http_request_to_listed_hosts_only(self):
        base = f"http://127.0.0.1:{self.peer_port}"
        r = self.call("fetch", {"url": base + "/orders?id=7", "headers": {"X-Token": "t-1"}}, self.key_a, app="net-probe")
        res = r["result"]
        self.assertEqual(res["status"], 200)
        self.assertEqual(json.loads(res["body"]), {"path": "/orders?id=7", "token": "t-1"})
        self.assertEqual(res["headers"]["x-peer"], "erp")
        r = self.call("fetch", {"method": "POST", "url": base + "/orders", "body": "qty=3"}, self.key_a, app="net-probe")
        self.assertEqual((r["result"]["status"], r["result"]["body"]), (201, "got qty=3"))
        # Not followed: a redirect could leave the listed hosts.
        r = self.call("fetch", {"url": base + "/redirect"}, self.key_a, app="net-probe")
        self.assertEqual(r["result"]["status"], 302)
        for body, expect in [({"url": f"http://127.0.0.1:{self.peer_port + 1}/"}, "is not listed in the manifest's httpHosts"),
                             ({"url": f"http://localhost:{self.peer_port}/"}, "is not listed"),
                             ({"url": "ftp://127.0.0.1/"}, "must be http:// or https://"),
                             ({"url": base + "/slow", "timeoutMs": 300}, "did not answer within 300 ms"),
                             ({"url": base + "/big"}, "larger than 1 MiB"),
                             ({"url": base + "/", "headers": {"X-Bad": "a\r\nInjected: 1"}}, "is not a valid header")]:
            err = self.call("fetch", body, self.key_a, expect=422, app="net-probe")
            self.assertIn(expect, err["error"])

    def test_05_telemetry_write_reaches_the_bus_but_not_its_writer(self):
        st, dev, _ = self.server.request("POST", "/api/v1/devices", {"name": "meter", "enterpriseId": self.ent_a["id"],
                                                                     "category": "running", "protocol": "http"}, self.tok)
        self.assertEqual(st, 201, dev)
        st, _, _ = self.server.request("POST", f"/api/v1/devices/{dev['id']}/telemetry", {"power": 21}, self.tok)
        self.assertEqual(st, 200)
        # The watcher (another APP) sees the writer's derived value on the bus.
        seen = wait_for(lambda: self.call("seen", {}, self.key_a, app="watcher")["result"].get("value"), timeout=10)
        self.assertEqual(seen, 42)
        time.sleep(1.0)
        st, runs, _ = self.server.request("GET", "/api/v1/apps/writer/runs?limit=100", token=self.tok)
        mine = [r for r in runs["items"] if r["enterpriseId"] == self.ent_a["id"]]
        self.assertEqual(len(mine), 1, mine)  # its own write did not trigger it again
        self.assertTrue(mine[0]["ok"], mine[0])


BUILTIN_MANIFEST = {
    "id": "kaiwu-probe", "version": "1.0.0", "name": {"zh": "内置探针", "en": "Built-in probe"},
    "domain": "quality", "publisher": "kaiwu", "origin": "self_built", "form": "built_on_platform",
    "permissions": ["storage"], "functions": [{"name": "hello"}],
    "triggers": [{"type": "http", "function": "hello"}], "plans": [{"id": "free", "type": "free"}],
}


class BuiltinInstallTest(unittest.TestCase):
    """A temp built-in dir holding one APP (with a README.md the package leaves out)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kaiwu-builtin-")
        self.builtin = os.path.join(self.tmp, "builtin")
        self.write("1.0.0", "v1")
        with open(os.path.join(self.builtin, "probe", "README.md"), "w") as f:
            f.write("# probe\n")
        self.server = Server(extra_sets=[f"apps.builtin_dir={self.builtin}"]).start()
        self.admin = self.server.login("admin", ADMIN_PASSWORD)

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, version, word):
        write_app(os.path.join(self.builtin, "probe"), dict(BUILTIN_MANIFEST, version=version),
                  f'function hello(input, ctx) return {{word = "{word}"}} end\n')

    def req(self, method, path, body=None, expect=200, token=None):
        status, data, _ = self.server.request(method, path, body, token or self.admin)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def restart(self):
        self.server.stop()
        self.server.start()
        self.admin = self.server.login("admin", ADMIN_PASSWORD)

    def versions(self):
        return [(v["version"], v["status"]) for v in self.req("GET", "/api/v1/apps/kaiwu-probe/versions")["items"]]

    def test_installs_once_adds_new_versions_and_refuses_altered_packages(self):
        app = self.req("GET", "/api/v1/apps/kaiwu-probe")
        self.assertEqual(app["listedVersion"], "1.0.0")
        self.assertEqual(app["manifest"]["publisher"], "kaiwu")
        key = os.path.join(self.server.data_dir, "apps-platform.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        with open(key) as f:
            self.assertIn("BEGIN PRIVATE KEY", f.read())
        # Started again: the same version is not added twice.
        self.restart()
        self.assertEqual(self.versions(), [("1.0.0", "approved")])
        # A new version in the directory: added, approved by the platform and listed.
        self.write("1.1.0", "v2")
        self.restart()
        self.assertEqual(sorted(self.versions()), [("1.0.0", "approved"), ("1.1.0", "approved")])
        self.assertEqual(self.req("GET", "/api/v1/apps/kaiwu-probe")["listedVersion"], "1.1.0")
        # The same version with other content: the installed package stays, the log names the fix.
        self.write("1.1.0", "v2-changed")
        self.restart()
        self.assertIn("changed but keeps version 1.1.0; bump the version", self.server.read_log())
        self.assertEqual(sorted(self.versions()), [("1.0.0", "approved"), ("1.1.0", "approved")])
        listed = [a["id"] for a in self.req("GET", "/api/v1/apps")["items"]]
        self.assertIn("kaiwu-probe", listed)
        # A tenant subscribes and calls it.
        _, t, _ = self.server.request("POST", "/api/v1/tenants", {"name": "b"}, self.admin)
        self.req("POST", "/api/v1/users", {"username": "badm", "password": "password-1", "role": "tenant-admin",
                                           "tenantId": t["id"]}, 201)
        tok = self.server.login("badm", "password-1")
        ent = self.req("POST", "/api/v1/enterprises", {"name": "E", "industry": "电子",
                                                       "creditCode": credit_code("91320000MA1BLTN0E")}, 201, tok)
        ent2 = self.req("POST", "/api/v1/enterprises", {"name": "F", "industry": "电子",
                                                        "creditCode": credit_code("91320000MA1BLTN0F")}, 201, tok)
        self.req("POST", "/api/v1/apps/kaiwu-probe/subscriptions", {"enterpriseId": ent["id"]}, 201, tok)
        key_e = self.req("POST", "/api/v1/apikeys", {"name": "k", "enterpriseId": ent["id"], "role": "engineer"},
                         201, tok)["key"]
        r = self.req("POST", "/api/v1/apps/kaiwu-probe/functions/hello", {}, token=key_e)
        self.assertEqual(r["result"], {"word": "v2"})
        # The installed package altered in the data dir (meta.db): not trusted any more.
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.server.data_dir, "meta.db"))
        (text,) = db.execute("SELECT package FROM app_versions WHERE app_id = 'kaiwu-probe' AND version = '1.1.0'").fetchone()
        pkg = json.loads(text)
        pkg["files"]["main.lua"] = pkg["files"]["main.lua"].replace("v2", "evil")
        db.execute("UPDATE app_versions SET package = ? WHERE app_id = 'kaiwu-probe' AND version = '1.1.0'",
                   (json.dumps(pkg),))
        db.commit()
        db.close()
        self.restart()
        tok = self.server.login("badm", "password-1")
        self.assertIn("signature does not match", self.server.read_log())
        err = self.req("POST", "/api/v1/apps/kaiwu-probe/functions/hello", {}, token=key_e, expect=404)
        self.assertEqual(err["error"]["code"], "not_found")
        err = self.req("POST", "/api/v1/apps/kaiwu-probe/subscriptions", {"enterpriseId": ent2["id"]}, 403, tok)
        self.assertIn("signature does not match", err["error"]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
