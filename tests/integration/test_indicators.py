"""MIIT indicators (GET /api/v1/platform/indicators) and the solution catalogue (/api/v1/solutions)
of the real binary on a seeded data set: two tenants, enterprises of several industries with SME
and paid flags, parks of two levels, devices of every category and four protocols, telemetry
through the HTTP device API and the user telemetry route (daily-active devices), subscriptions
to and visits of the built-in APPs, and two solutions. Every figure is compared with a count made
by hand from the seed; tenant B's admin sees only tenant B; other roles are refused."""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, Server, credit_code, setup_tenant  # noqa: E402

DOMAINS = ["safety", "energy_carbon", "quality", "supply_chain", "rnd", "production", "operations",
           "warehousing", "maintenance"]


def figures(doc):
    out = {}
    for ind in doc["indicators"]:
        for f in ind["figures"]:
            assert f["id"] not in out, f["id"]
            for key in ("nameZh", "nameEn", "unit", "definitionZh", "definitionEn", "query", "source"):
                assert key in f, (f["id"], key)
            assert f["definitionZh"] and f["definitionEn"] and f["query"], f["id"]
            out[f["id"]] = f
    return out


class IndicatorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(extra_sets=[f"apps.builtin_dir={BUILTIN_APPS}"]).start(timeout=60)
        cls.admin = cls.s.login("admin", ADMIN_PASSWORD)
        cls.seed()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    @classmethod
    def req(cls, method, path, body=None, token=None, expect=200):
        status, data, _ = cls.s.request(method, path, body, token=token)
        assert status == expect, f"{method} {path}: {status} {data}"
        return data

    @classmethod
    def seed(cls):
        s, r = cls.s, cls.req
        # Tenant A: enterprise 电子 (setup_tenant) with a running MQTT device, plus two more.
        cls.ta, cls.tok_a, ent_a, dev_a = setup_tenant(s, cls.admin, "inda", "press-1")
        ent_svc = r("POST", "/api/v1/enterprises", {"name": "服务公司", "industry": "服务业", "sme": True,
                                                     "paid": True, "creditCode": credit_code("91320000MA1FWC001")},
                    cls.tok_a, 201)
        ent_mech = r("POST", "/api/v1/enterprises", {"name": "机械公司", "industry": "机械", "sme": True,
                                                      "creditCode": credit_code("91320000MA1JXC001")}, cls.tok_a, 201)
        r("POST", "/api/v1/devices", {"name": "lathe-1", "enterpriseId": ent_mech["id"],
                                                  "category": "processing", "protocol": "modbus-tcp"}, cls.tok_a, 201)
        r("POST", "/api/v1/devices", {"name": "agv-1", "enterpriseId": ent_mech["id"], "category": "mobile",
                                      "protocol": "opcua"}, cls.tok_a, 201)
        cls.dev_other = r("POST", "/api/v1/devices", {"name": "sensor-1", "enterpriseId": ent_svc["id"],
                                                       "category": "other", "protocol": "http"}, cls.tok_a, 201)
        r("POST", "/api/v1/parks", {"name": "国家园区", "level": "national"}, cls.tok_a, 201)
        r("POST", "/api/v1/parks", {"name": "省级园区", "level": "provincial"}, cls.tok_a, 201)
        # Tenant B: one enterprise (电子) with one running MQTT device.
        cls.tb, cls.tok_b, ent_b, dev_b = setup_tenant(s, cls.admin, "indb", "press-9")
        # Telemetry: A's press through the device API (twice: still one active device), A's sensor
        # through the user route, B's press through the device API. The lathe sends nothing.
        tok_press = dev_a["accessToken"]
        for _ in range(2):
            r("POST", f"/api/v1/{tok_press}/telemetry", {"t": 1}, expect=200)
        r("POST", f"/api/v1/devices/{cls.dev_other['id']}/telemetry", {"t": 2}, cls.tok_a)
        r("POST", f"/api/v1/{dev_b['accessToken']}/telemetry", {"t": 3}, expect=200)
        # APPs: A's 电子 enterprise subscribes to OEE and energy, B's to OEE; A visits both.
        for app in ("kaiwu-oee", "kaiwu-energy"):
            r("POST", f"/api/v1/apps/{app}/subscriptions", {"enterpriseId": ent_a["id"], "plan": "free"}, cls.tok_a, 201)
            r("POST", f"/api/v1/apps/{app}/visit?enterpriseId={ent_a['id']}", None, cls.tok_a, 204)
        r("POST", "/api/v1/apps/kaiwu-oee/subscriptions", {"enterpriseId": ent_b["id"], "plan": "free"}, cls.tok_b, 201)
        # Solutions.
        r("POST", "/api/v1/solutions", {"id": "mech-quality", "nameZh": "机械质量", "nameEn": "Machining quality",
                                        "industries": ["机械", "电子"], "domains": ["production", "quality"],
                                        "appIds": ["kaiwu-oee", "kaiwu-spc"], "modelIds": ["kaiwu.spc.chart"],
                                        "technologies": ["ai", "bigdata"], "cases": 2}, cls.admin, 201)
        r("POST", "/api/v1/solutions", {"id": "energy", "nameZh": "能源", "nameEn": "Energy", "industries": ["电子"],
                                        "domains": ["energy_carbon"], "appIds": ["kaiwu-energy"], "cases": 1},
          cls.admin, 201)
        cls.today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        cls.models = r("GET", "/api/v1/models?limit=1000", token=cls.admin)["items"]

    def indicators(self, token, query=""):
        return self.req("GET", f"/api/v1/platform/indicators{query}", token=token)

    def test_platform_figures_equal_hand_counts(self):
        doc = self.indicators(self.admin, f"?asOf={self.today}")
        self.assertEqual(doc["asOf"], self.today)
        self.assertEqual(doc["month"], self.today[:7])
        self.assertEqual(doc["tenantId"], "")
        f = figures(doc)
        v = {k: x["value"] for k, x in f.items()}
        self.assertEqual(v["devices.total"], 5)
        self.assertEqual(v["devices.byCategory"], {"running": 2, "processing": 1, "mobile": 1, "other": 1})
        self.assertEqual(f["devices.byCategory"]["labels"]["processing"]["zh"], "加工设备")
        self.assertEqual(v["devices.connected"], 2)  # the two presses used the device API
        self.assertEqual(v["devices.dailyActive"], 3)  # A's press and sensor, B's press
        self.assertEqual(v["protocols.count"], 8)
        self.assertEqual(v["protocols.list"]["mqtt"], 2)
        self.assertEqual(v["protocols.list"]["modbus-tcp"], 1)
        self.assertEqual(v["protocols.list"]["opcua"], 1)
        self.assertEqual(v["protocols.list"]["http"], 1)
        self.assertEqual(v["protocols.list"]["dlt645"], 0)
        public = [m for m in self.models if not m.get("tenantId") and not m.get("deprecated")]
        self.assertEqual(v["models.total"], len(public))
        by_type = {}
        for m in public:
            by_type[m["type"]] = by_type.get(m["type"], 0) + 1
        self.assertEqual({k: n for k, n in v["models.byType"].items() if n}, by_type)
        self.assertEqual(v["apps.total"], 5)
        self.assertEqual(v["apps.byDomain"], {d: int(d in ("energy_carbon", "production", "maintenance", "safety",
                                                             "quality")) for d in DOMAINS})
        self.assertEqual((v["apps.selfBuilt"], v["apps.partner"]), (5, 0))
        self.assertEqual((v["apps.builtOnPlatform"], v["apps.cloudified"]), (5, 0))
        self.assertEqual(v["apps.monthlyActive"], 2)  # OEE and energy (visited; ticks only for subscribers)
        top = v["killerApps.top5"]
        self.assertEqual(len(top), 5)
        self.assertEqual((top[0]["appId"], top[0]["subscribers"]), ("kaiwu-oee", 2))
        self.assertEqual((top[1]["appId"], top[1]["subscribers"]), ("kaiwu-energy", 1))
        self.assertEqual([t["subscribers"] for t in top[2:]], [0, 0, 0])
        self.assertTrue(all(t["crossPlatformInvocation"] for t in top[:2]))
        self.assertEqual(top[0]["monthlyRevenueMinor"], 0)  # free plans
        self.assertEqual(v["enterprises.total"], 4)
        self.assertEqual(v["enterprises.industrial"], 3)  # 服务业 is not industry
        self.assertEqual(v["enterprises.paying"], 1)
        self.assertEqual(v["smes.total"], 2)
        self.assertEqual(v["developers.registered"], 0)
        self.assertEqual(v["developers.active"], 0)
        self.assertEqual(v["solutions.total"], 2)
        self.assertEqual(v["solutions.industries"], {"机械": 1, "电子": 2})
        self.assertEqual(v["solutions.domains"], {"production": 1, "quality": 1, "energy_carbon": 1})
        self.assertEqual(v["solutions.technologies"], {"ai": 1, "bigdata": 1})
        self.assertEqual(v["solutions.cases"], 3)
        self.assertEqual(v["parks.total"], 2)
        self.assertEqual(v["parks.byLevel"], {"national": 1, "provincial": 1, "municipal": 0, "other": 0})
        self.assertEqual(v["revenue.month"], 0)
        for doc_id in ("tech.patents", "tech.copyrights", "cases.ministry", "smes.contractAmount", "revenue.financing"):
            self.assertIsNone(f[doc_id]["value"])
            self.assertEqual(f[doc_id]["source"], "documentary")
        self.assertEqual(f["devices.total"]["source"], "live")

    def test_daily_calls_match_metering(self):
        # Schedule triggers call the subscribed APPs in the background: compare with the metering
        # records of the same day, read before and after (equal readings bracket the figure).
        for _ in range(20):
            def calls():
                items = self.req("GET", f"/api/v1/metering/daily?from={self.today}&to={self.today}",
                                 token=self.admin)["items"]
                out = {}
                for i in items:
                    if i["kind"] == "app_call":
                        out[i["subjectId"]] = out.get(i["subjectId"], 0) + i["count"]
                return out
            before = calls()
            top = figures(self.indicators(self.admin))["killerApps.top5"]["value"]
            if before == calls():
                for row in top:
                    self.assertEqual(row["dailyCalls"], before.get(row["appId"], 0), row)
                return
        self.fail("metering kept changing")

    def test_tenant_admin_sees_only_their_tenant(self):
        v = {k: x["value"] for k, x in figures(self.indicators(self.tok_b)).items()}
        self.assertEqual(v["devices.total"], 1)
        self.assertEqual(v["devices.byCategory"], {"running": 1, "processing": 0, "mobile": 0, "other": 0})
        self.assertEqual(v["devices.dailyActive"], 1)
        self.assertEqual(v["enterprises.total"], 1)
        self.assertEqual(v["parks.total"], 0)
        self.assertEqual(v["apps.total"], 1)  # only what B subscribes to
        self.assertEqual(v["killerApps.top5"][0]["subscribers"], 1)
        self.assertEqual(v["smes.total"], 0)
        a = {k: x["value"] for k, x in figures(self.indicators(self.tok_a)).items()}
        self.assertEqual(a["devices.total"], 4)
        self.assertEqual(a["devices.dailyActive"], 2)
        self.assertEqual(a["enterprises.industrial"], 2)
        self.assertEqual(a["apps.total"], 2)
        self.assertEqual(a["apps.monthlyActive"], 2)
        self.assertEqual(a["parks.byLevel"]["national"], 1)
        # The platform admin may look at one tenant.
        one = self.indicators(self.admin, f"?tenantId={self.tb['id']}")
        self.assertEqual(one["tenantId"], self.tb["id"])
        self.assertEqual(figures(one)["devices.total"]["value"], 1)

    def test_other_days_and_bad_input(self):
        v = figures(self.indicators(self.admin, "?asOf=2020-01-02"))
        self.assertEqual(v["devices.dailyActive"]["value"], 0)
        self.assertEqual(v["apps.monthlyActive"]["value"], 0)
        status, body, _ = self.s.request("GET", "/api/v1/platform/indicators?asOf=2026-13-01", token=self.admin)
        self.assertEqual(status, 400)
        self.assertIn("asOf", str(body))

    def test_other_roles_are_refused(self):
        self.req("POST", "/api/v1/users", {"username": "inda-viewer", "password": "password-1", "role": "viewer"},
                 self.tok_a, 201)
        viewer = self.s.login("inda-viewer", "password-1")
        status, _, _ = self.s.request("GET", "/api/v1/platform/indicators", token=viewer)
        self.assertEqual(status, 403)
        status, _, _ = self.s.request("GET", "/api/v1/platform/indicators")
        self.assertEqual(status, 401)
        # Everyone signed in reads the catalogue; only platform admins write it.
        self.assertEqual(len(self.req("GET", "/api/v1/solutions", token=viewer)["items"]), 2)
        status, _, _ = self.s.request("POST", "/api/v1/solutions", {"nameZh": "x", "nameEn": "x",
                                                                    "industries": ["机械"], "domains": ["quality"]},
                                      token=self.tok_a)
        self.assertEqual(status, 403)

    def test_solution_errors_point_at_the_field(self):
        base = {"nameZh": "甲", "nameEn": "A", "industries": ["机械"], "domains": ["quality"]}
        cases = [({"appIds": ["kaiwu-nope"]}, "appIds[0]: no APP kaiwu-nope"),
                 ({"modelIds": ["kaiwu.spc.chart", "nope"]}, "modelIds[1]: no model nope"),
                 ({"industries": ["钢铁"]}, "industries[0]"),
                 ({"domains": ["energy"]}, "domains[0]"),
                 ({"technologies": ["6g"]}, "technologies[0]"),
                 ({"cases": -3}, "cases"),
                 ({"colour": "red"}, "colour: unknown field")]
        for extra, message in cases:
            status, body, _ = self.s.request("POST", "/api/v1/solutions", dict(base, **extra), token=self.admin)
            self.assertEqual(status, 400, (extra, body))
            self.assertIn(message, body["error"]["message"])
        created = self.req("POST", "/api/v1/solutions", dict(base, id="tmp-sol"), self.admin, 201)
        self.assertEqual(created["industries"], ["机械"])
        changed = self.req("PATCH", "/api/v1/solutions/tmp-sol", {"cases": 4, "technologies": ["5g"]}, self.admin)
        self.assertEqual((changed["cases"], changed["technologies"], changed["nameEn"]), (4, ["5g"], "A"))
        status, body, _ = self.s.request("PATCH", "/api/v1/solutions/tmp-sol", {"domains": []}, token=self.admin)
        self.assertEqual(status, 400, body)
        self.req("DELETE", "/api/v1/solutions/tmp-sol", None, self.admin, 204)
        self.req("GET", "/api/v1/solutions/tmp-sol", token=self.admin, expect=404)


if __name__ == "__main__":
    unittest.main()
