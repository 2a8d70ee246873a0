"""Economic-operation analysis (report/economy*) against the real binary: supply links CRUD with
scoping, the industry map, the indices against a base period and the supply-chain view, on KNOWN
telemetry written through the device API and checked against the hand arithmetic below.

Days are UTC, relative to today T. Each enterprise has one processing machine (category
processing) that reports every hour on the hour: state_code (1 running, 0 stopped), its
energy_kwh counter and, while it runs, its part_count counter. The increase between two readings
counts on the day of the later one, so with a first reading at T-10 23:00 every day from T-9 on
has 24 increments (T-10 itself has no increase and no state: no data).

              base days T-9..T-3 and T-1        T-2               today T (hours 0..now)
  A 机械      runs 00-11 h: rate 12/24 = 0.5     runs 00-05: 0.25  runs: rate 1.0
              10 kWh/h = 240 kWh, 12 parts      5 kWh/h = 120, 6  10 kWh/h
  B 机械      runs 00-17: 0.75, 5 kWh/h = 120,  as base           stopped (state 0), 5 kWh/h
              18 parts
  C 电子      runs 00-05: 0.25, 20 kWh/h = 480,  as base           runs: 1.0
              no parts
Indices (from T-10 to T-1, default base = the first 7 days with data = T-9..T-3):
  operating rate, total: base (0.5 + 0.75 + 0.25) / 3 = 0.5; T-2 (0.25 + 0.75 + 0.25) / 3
                         = 0.416667 → 83.33; T-1 → 100
                  机械:  base (0.5 + 0.75) / 2 = 0.625; T-2 (0.25 + 0.75) / 2 = 0.5 → 80.0
                  电子:  0.25 every day → 100
  electricity, total: base 240 + 120 + 480 = 840 kWh/day; T-2 120 + 120 + 480 = 720 → 85.71
  output, total: base 12 + 18 = 30 parts/day; T-2 6 + 18 = 24 → 80.0
Supply chain today: A 1.0 vs base 0.5 → running; B 0 vs 0.75 → stopped; C 1.0 vs 0.25 → running.
  Links B→A (钢材), A→C (机加工零部件): A is at risk (its supplier B stopped), C is not.
Industry map (T-29..T): A 9 full days 7·240 + 120 + 240 = 2040 kWh + today's (hours+1)·10;
  operating rate (7·0.5 + 0.25 + 0.5 + 1.0) / 10 = 0.525; B (7·0.75 + 0.75 + 0.75 + 0) / 10 = 0.675.
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# enterprise → (running hours on base days, kWh per hour, makes parts)
PLAN = {"A": (12, 10, True), "B": (18, 5, True), "C": (6, 20, False)}


def day_str(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


class EconomyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        cls.now = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        cls.today = cls.now - cls.now % DAY_MS
        cls.t1, cls.tok = cls.tenant("econ-one")
        cls.t2, cls.tok2 = cls.tenant("econ-two")
        cls.park = cls.make(cls.tok, "/api/v1/parks", {"name": "高新区产业园", "level": "national"})
        cls.park_b = cls.make(cls.tok, "/api/v1/parks", {"name": "另一园区", "level": "provincial"})
        cls.ent = {}
        for i, (key, industry, lon) in enumerate([("A", "机械", 120.55), ("B", "机械", 120.60), ("C", "电子", 120.50)]):
            cls.ent[key] = cls.make(cls.tok, "/api/v1/enterprises", {
                "name": f"企业{key}", "industry": industry, "parkId": cls.park["id"], "longitude": lon,
                "latitude": 31.30 + i / 100, "creditCode": credit_code(f"91320505MA1EC0N{i}A")})
        cls.ent["D"] = cls.make(cls.tok, "/api/v1/enterprises", {"name": "园区外企业D", "industry": "电子",
                                                                  "parkId": cls.park_b["id"]})
        cls.other = cls.make(cls.tok2, "/api/v1/enterprises", {"name": "他租户企业", "industry": "机械"})
        cls.other_b = cls.make(cls.tok2, "/api/v1/enterprises", {"name": "他租户企业二", "industry": "电子"})
        cls.machine = {k: cls.make(cls.tok, "/api/v1/devices", {"name": f"cnc-{k}", "enterpriseId": cls.ent[k]["id"],
                                                                "category": "processing", "protocol": "http"})
                       for k in PLAN}
        cls.write_history()
        s.request("POST", "/api/v1/users", {"username": "econ-park-b", "password": "password-1",
                                            "role": "park-admin", "parkId": cls.park_b["id"]}, cls.tok)
        cls.park_b_tok = s.login("econ-park-b", "password-1")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def tenant(cls, name):
        s = cls.server
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": name}, cls.admin)
        s.request("POST", "/api/v1/users", {"username": f"{name}-adm", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, cls.admin)
        return t, s.login(f"{name}-adm", "password-1")

    @classmethod
    def make(cls, tok, path, body):
        st, data, _ = cls.server.request("POST", path, body, tok)
        assert st == 201, (path, st, data)
        return data

    @classmethod
    def plan_of(cls, key, day):
        """(running hours, kWh per hour, makes parts, running today) of an enterprise on a day."""
        hours, kwh, parts = PLAN[key]
        if day == cls.today - 2 * DAY_MS and key == "A":
            return 6, 5, parts
        if day == cls.today:
            return (0 if key == "B" else 24), kwh, parts
        return hours, kwh, parts

    @classmethod
    def write_history(cls):
        for key, dev in cls.machine.items():
            energy, parts = 1000.0, 0
            batch = [{"ts": cls.today - 10 * DAY_MS + 23 * HOUR_MS, "values": {"energy_kwh": energy, "part_count": 0}}]
            for d in range(9, -1, -1):
                day = cls.today - d * DAY_MS
                hours, kwh, makes = cls.plan_of(key, day)
                for h in range(24):
                    ts = day + h * HOUR_MS
                    if ts > cls.now:
                        break
                    running = h < hours
                    energy += kwh
                    values = {"energy_kwh": energy, "state_code": 1 if running else 0}
                    if makes:
                        parts += 1 if running else 0
                        values["part_count"] = parts
                    batch.append({"ts": ts, "values": values})
            st, body, _ = cls.server.request("POST", f"/api/v1/devices/{dev['id']}/telemetry", batch, cls.tok)
            assert st in (200, 201, 204), body
        cls.today_hours = (cls.now - cls.today) // HOUR_MS + 1  # readings written today

    def get(self, path, tok=None):
        st, body, _ = self.server.request("GET", path, token=tok or self.tok)
        self.assertEqual(st, 200, (path, body))
        return body

    # ---- supply links ----

    def link(self, s, c, material="", tok=None, want=201):
        st, body, _ = self.server.request("POST", "/api/v1/supply-links", {
            "supplierEnterpriseId": self.ent[s]["id"] if s in self.ent else s,
            "customerEnterpriseId": self.ent[c]["id"] if c in self.ent else c, "material": material}, tok or self.tok)
        self.assertEqual(st, want, body)
        return body

    def test_1_supply_link_crud_and_errors(self):
        ab = self.link("A", "B", "试样")
        self.assertEqual(ab["supplierName"], "企业A")
        self.assertEqual(ab["customerName"], "企业B")
        self.assertEqual(ab["tenantId"], self.t1["id"])
        got = self.get(f"/api/v1/supply-links/{ab['id']}")
        self.assertEqual(got["material"], "试样")
        st, body, _ = self.server.request("PATCH", f"/api/v1/supply-links/{ab['id']}", {"material": "铸件"}, self.tok)
        self.assertEqual((st, body["material"]), (200, "铸件"))
        dup = self.link("A", "B", "铸件", want=409)
        self.assertIn("already supplies", dup["error"]["message"])
        self_link = self.link("A", "A", want=400)
        self.assertIn("customerEnterpriseId", self_link["error"]["message"])
        st, body, _ = self.server.request("POST", "/api/v1/supply-links", {"supplierEnterpriseId": self.ent["A"]["id"]},
                                          self.tok)
        self.assertEqual(st, 400)
        self.assertIn("customerEnterpriseId", body["error"]["message"])
        st, body, _ = self.server.request("POST", "/api/v1/supply-links", {
            "supplierEnterpriseId": self.ent["A"]["id"], "customerEnterpriseId": self.ent["B"]["id"], "qty": 1}, self.tok)
        self.assertEqual(st, 400)
        self.assertIn("qty", body["error"]["message"])
        st, _, _ = self.server.request("DELETE", f"/api/v1/supply-links/{ab['id']}", token=self.tok)
        self.assertEqual(st, 204)
        st, _, _ = self.server.request("GET", f"/api/v1/supply-links/{ab['id']}", token=self.tok)
        self.assertEqual(st, 404)

    def test_2_scoping(self):
        # Another tenant's enterprise at either end: 400 naming the field; nothing is created.
        for s, c, field in [(self.other["id"], "A", "supplierEnterpriseId"), ("A", self.other["id"], "customerEnterpriseId")]:
            body = self.link(s, c, tok=self.tok, want=400)
            self.assertIn(field, body["error"]["message"])
        body = self.link("A", "B", tok=self.tok2, want=400)  # tenant two naming tenant one's enterprises
        self.assertIn("supplierEnterpriseId", body["error"]["message"])
        mine = self.link("C", "A", "边界测试")
        for method in ("GET", "DELETE"):
            st, _, _ = self.server.request(method, f"/api/v1/supply-links/{mine['id']}", token=self.tok2)
            self.assertEqual(st, 404, method)
        st, _, _ = self.server.request("PATCH", f"/api/v1/supply-links/{mine['id']}", {"material": "x"}, self.tok2)
        self.assertEqual(st, 404)
        self.assertEqual(self.get("/api/v1/supply-links", self.tok2)["items"], [])
        # A park admin of the other park manages neither end and does not see the link.
        body = self.link("A", "B", tok=self.park_b_tok, want=400)
        self.assertIn("supplierEnterpriseId", body["error"]["message"])
        st, _, _ = self.server.request("DELETE", f"/api/v1/supply-links/{mine['id']}", token=self.park_b_tok)
        self.assertEqual(st, 404)
        self.assertEqual(self.get("/api/v1/supply-links", self.park_b_tok)["items"], [])
        # …nor the other park's analysis.
        for path in ("industry-map", "indices", "supply-chain"):
            st, _, _ = self.server.request("GET", f"/api/v1/analysis/{path}?parkId={self.park['id']}",
                                           token=self.park_b_tok)
            self.assertEqual(st, 404, path)
            st, _, _ = self.server.request("GET", f"/api/v1/analysis/{path}?parkId={self.park['id']}", token=self.tok2)
            self.assertEqual(st, 404, path)
        two = self.get("/api/v1/analysis/industry-map", self.tok2)
        self.assertEqual({e["id"] for e in two["enterprises"]}, {self.other["id"], self.other_b["id"]})
        st, _, _ = self.server.request("DELETE", f"/api/v1/supply-links/{mine['id']}", token=self.tok)
        self.assertEqual(st, 204)

    # ---- analysis ----

    def test_3_indices_hand_computed(self):
        frm, to = day_str(self.today - 10 * DAY_MS), day_str(self.today - DAY_MS)
        out = self.get(f"/api/v1/analysis/indices?parkId={self.park['id']}&from={frm}&to={to}")
        self.assertEqual(out["base"]["from"], day_str(self.today - 9 * DAY_MS))
        self.assertEqual(out["base"]["to"], day_str(self.today - 3 * DAY_MS))
        self.assertTrue(out["base"]["default"])
        idx = {i["id"]: i for i in out["indices"]}
        self.assertEqual(set(idx), {"operatingRate", "electricity", "output"})
        for i in idx.values():
            self.assertIn("基期", i["methodZh"])
            self.assertIn("base", i["methodEn"])

        def series(index, group):
            return next(s for s in idx[index]["series"] if s["group"] == group)

        def at(index, group, days_back):
            points = {p["period"]: p for p in series(index, group)["points"]}
            return points[day_str(self.today - days_back * DAY_MS)]

        self.assertEqual(len(series("operatingRate", "total")["points"]), 10)
        self.assertIsNone(at("operatingRate", "total", 10)["index"])  # T-10: no data
        self.assertAlmostEqual(series("operatingRate", "total")["baseValue"], 0.5, places=4)
        self.assertAlmostEqual(at("operatingRate", "total", 2)["index"], 83.33, places=2)
        self.assertAlmostEqual(at("operatingRate", "total", 1)["index"], 100.0, places=2)
        self.assertAlmostEqual(series("operatingRate", "机械")["baseValue"], 0.625, places=4)
        self.assertAlmostEqual(at("operatingRate", "机械", 2)["index"], 80.0, places=2)
        self.assertAlmostEqual(at("operatingRate", "电子", 2)["index"], 100.0, places=2)
        self.assertAlmostEqual(series("electricity", "total")["baseValue"], 840.0, places=3)
        self.assertAlmostEqual(at("electricity", "total", 2)["value"], 720.0, places=3)
        self.assertAlmostEqual(at("electricity", "total", 2)["index"], 85.71, places=2)
        self.assertAlmostEqual(at("output", "total", 2)["index"], 80.0, places=2)
        self.assertIsNone(at("output", "电子", 2)["index"])  # C makes no parts: base 0

        # A named base (T-2 only) and weekly periods: the week holding T-2 against 0.416667.
        base = day_str(self.today - 2 * DAY_MS)
        out = self.get(f"/api/v1/analysis/indices?parkId={self.park['id']}&from={frm}&to={to}&base={base}/{base}")
        self.assertFalse(out["base"]["default"])
        rate = next(i for i in out["indices"] if i["id"] == "operatingRate")["series"][0]
        points = {p["period"]: p for p in rate["points"]}
        self.assertAlmostEqual(points[day_str(self.today - 3 * DAY_MS)]["index"], 120.0, places=2)  # 0.5 / 0.416667
        week = self.get(f"/api/v1/analysis/indices?from={frm}&to={to}&period=week")
        self.assertEqual(week["period"], "week")
        for p in next(i for i in week["indices"] if i["id"] == "electricity")["series"][0]["points"]:
            self.assertEqual(datetime.date.fromisoformat(p["period"]).weekday(), 0)  # Mondays

        for query, field in [("base=2026-11-01", "base"), ("base=2026-13-01/2026-13-02", "base"),
                             ("period=month", "period"), ("from=yesterday", "from"),
                             (f"from={to}&to={frm}", "from")]:
            st, body, _ = self.server.request("GET", f"/api/v1/analysis/indices?{query}", token=self.tok)
            self.assertEqual(st, 400, query)
            self.assertIn(field, body["error"]["message"], query)
        st, body, _ = self.server.request("GET", "/api/v1/analysis/indices?from=2020-01-01&to=2020-01-31",
                                          token=self.tok)
        self.assertEqual(st, 409, body)
        self.assertIn("base", body["error"]["message"])

    def test_4_supply_chain_status_and_risk(self):
        ba = self.link("B", "A", "钢材")
        ac = self.link("A", "C", "机加工零部件")
        out = self.get(f"/api/v1/analysis/supply-chain?parkId={self.park['id']}")
        nodes = {n["id"]: n for n in out["nodes"]}
        a, b, c = (nodes[self.ent[k]["id"]] for k in "ABC")
        self.assertEqual((a["status"], b["status"], c["status"]), ("running", "stopped", "running"))
        self.assertAlmostEqual(b["baseRate"], 0.75, places=4)
        self.assertAlmostEqual(b["todayRate"], 0.0, places=4)
        self.assertAlmostEqual(a["baseRate"], 0.5, places=4)
        self.assertTrue(a["atRisk"])
        self.assertEqual(a["stoppedSuppliers"], [self.ent["B"]["id"]])
        self.assertFalse(c["atRisk"])
        self.assertNotIn(self.ent["D"]["id"], nodes)  # another park, no link
        edges = {e["id"]: e for e in out["edges"]}
        self.assertEqual(edges[ba["id"]]["supplierStatus"], "stopped")
        self.assertEqual((edges[ac["id"]]["source"], edges[ac["id"]]["target"]), (self.ent["A"]["id"], self.ent["C"]["id"]))
        self.assertEqual(out["summary"]["atRisk"], 1)
        self.assertEqual(out["summary"]["stopped"], 1)
        self.assertIn("停产", out["method"]["zh"])
        # A link to an enterprise of another park brings it in (the tenant admin sees it).
        cd = self.link("C", "D", "芯片")
        out = self.get(f"/api/v1/analysis/supply-chain?parkId={self.park['id']}")
        self.assertIn(self.ent["D"]["id"], {n["id"] for n in out["nodes"]})
        self.assertEqual(len(out["edges"]), 3)
        # The park admin of D's park sees D and the link, not C's park figures.
        out = self.get("/api/v1/analysis/supply-chain", self.park_b_tok)
        self.assertEqual({n["id"] for n in out["nodes"]}, {self.ent["D"]["id"]})
        self.assertEqual(out["edges"], [])
        links = self.get("/api/v1/supply-links", self.park_b_tok)["items"]
        self.assertEqual([l["id"] for l in links], [cd["id"]])

    def test_5_industry_map(self):
        out = self.get(f"/api/v1/analysis/industry-map?parkId={self.park['id']}")
        rows = {e["id"]: e for e in out["enterprises"]}
        self.assertEqual(set(rows), {self.ent[k]["id"] for k in "ABC"})
        a, b = rows[self.ent["A"]["id"]], rows[self.ent["B"]["id"]]
        self.assertEqual(a["industry"], "机械")
        self.assertEqual(a["parkName"], "高新区产业园")
        self.assertAlmostEqual(a["longitude"], 120.55)
        self.assertAlmostEqual(a["latitude"], 31.30)
        self.assertEqual(a["devices"], 1)
        self.assertAlmostEqual(a["electricityKwh"], 2040 + self.today_hours * 10, places=3)
        self.assertAlmostEqual(a["operatingRate"], 0.525, places=4)
        self.assertAlmostEqual(b["operatingRate"], 0.675, places=4)
        self.assertEqual(a["alarms"], 0)
        by = {i["industry"]: i for i in out["byIndustry"]}
        self.assertEqual(out["byIndustry"][0]["industry"], "机械")
        self.assertEqual((by["机械"]["enterprises"], by["电子"]["enterprises"]), (2, 1))
        self.assertEqual(by["机械"]["devices"], 2)
        # Whole tenant: D (another park) too.
        out = self.get("/api/v1/analysis/industry-map")
        self.assertEqual(len(out["enterprises"]), 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
