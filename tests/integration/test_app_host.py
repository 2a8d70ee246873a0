"""The APP host API's platform services against the real binary: APP storage (persistent across a
restart, per enterprise), model invocation, XLSX files written with libxlsxwriter and downloaded
by the same enterprise only (read back independently with openpyxl)."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request
import zipfile

import openpyxl

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, credit_code  # noqa: E402

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


def openssl_keypair(directory, name):
    priv = os.path.join(directory, f"{name}.pem")
    pub = os.path.join(directory, f"{name}.pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub], check=True, capture_output=True)
    return priv, pub


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
        cls.server = Server(extra_sets=[f"apps.trusted_keys={cls.pub}"]).start()
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
