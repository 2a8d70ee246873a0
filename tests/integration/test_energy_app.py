"""The built-in 节能减排 APP (apps/builtin/energy) against the real binary: listed by the built-in
installer, or else packed and signed with a test key, uploaded and approved like any package, then
subscribed; KNOWN telemetry written through the
device API (meter kWh totals across valley/peak/flat hours, a meter replaced mid-hour, boiler gas
steam and water totals, CNC part counts with a shift reset) for a baseline day B and a
day D; the APP's numbers are checked against the hand arithmetic below, and its XLSX report is
read back with openpyxl. Another enterprise's meter must not show up.

Hand arithmetic (default settings; tariff hours vvvvvvvv pppp fffff pppp fff, local UTC+8;
prices valley 0.26, peak 1.105, flat 0.65 CNY/kWh; gas 3.60 CNY/m³, water 4.00 CNY/m³;
CO2 0.5366 kg/kWh, 2.1622 kg/m³ gas; tce 0.1229 kgce/kWh, 1.2143 kgce/m³):

Day B  meter-w1 600 (00:10) 700 (07:50) 800 (11:50) 900 (16:50) 950 (20:50) 1000 (23:50)
         → valley 100, peak 100 + 50 = 150, flat 100 + 50 = 150            = 400 kWh
       meter-w2 5000 (00:10) 5100 (23:50) → flat 100                       = 100 kWh
       boiler gas 10000 (00:10) 10500 (23:50) = 500 m³;  cnc parts 0 (08:10) 80 (20:50) = 80
       B: 500 kWh (valley 100, peak 150, flat 250), cost 100·0.26 + 150·1.105 + 250·0.65
          = 26 + 165.75 + 162.5 = 354.25, + gas 500·3.6 = 1800 → 2154.25 CNY;
          CO2 500·0.5366/1000 + 500·2.1622/1000 = 0.2683 + 1.0811 = 1.3494 t
Day D  meter-w1 1080 (07:50) 1090 (08:30) 1130 (11:50) 1135 (12:10) 1185 (16:50) 1200 (17:30)
                1260 (20:50) 1262 (21:10) 1300 (23:50)
         → valley 80, peak 10 + 40 + 15 + 60 = 125, flat 5 + 50 + 2 + 38 = 95 = 300 kWh
       meter-w2 5150 (09:10) 5160 (09:40) 5170 (10:20) | replaced: 2 (10:30) 12 (10:50) | 40 (13:30)
         → 09 h peak 60; 10 h peak 10 + 2 + 10 = 22 (the new meter counts from 0); 13 h flat 28
                                                                           = 110 kWh
       D: 410 kWh, valley 80, peak 125 + 82 = 207, flat 95 + 28 = 123
          cost 80·0.26 + 207·1.105 + 123·0.65 = 20.8 + 228.735 + 79.95 = 329.485 CNY
       boiler gas 10800 (12:50) 11000 (23:50) = 500 m³ → 1800 CNY, 1.0811 t CO2
       boiler water 100 (08:00) 130 (20:00) = 30 m³ → 120 CNY; steam total 50 (14:00) 53 (14:50)
          54 (15:10) = 3 + 1 = 4 t (self-generated: no cost, no CO2)
       cnc parts 80 (08:10) 150 (12:00) | shift reset: 0 (16:00) | 30 (20:00) = 70 + 30 = 100
       D total cost 329.485 + 1800 + 120 = 2249.485; CO2 410·0.5366/1000 = 0.220006 + 1.0811
          = 1.301106 t; tce (410·0.1229 + 500·1.2143)/1000 = (50.389 + 607.15)/1000 = 0.657539
       intensity 410/100 = 4.1 kWh/part, 1301.106/100 = 13.01106 kgCO2/part, 22.49485 CNY/part
Savings of D against baseline B (per unit of output, scale 100/80 = 1.25):
       kWh 500·1.25 = 625 expected − 410 = 215 saved (34.4 %)
       CO2 1.3494·1.25 = 1.68675 − 1.301106 = 0.385644 t;  cost 2154.25·1.25 = 2692.8125 − 2249.485
       = 443.3275 CNY
"""

import datetime
import io
import os
import sys
import unittest
import urllib.request

import openpyxl

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, Server, credit_code, setup_tenant, subscribe_builtin  # noqa: E402

APP = "kaiwu-energy"
CST = datetime.timezone(datetime.timedelta(hours=8))


def pick_days():
    """Baseline day B and day D, a few days back, in the same month (local time)."""
    d = datetime.datetime.now(CST).date() - datetime.timedelta(days=3)
    if d.day == 1:
        d -= datetime.timedelta(days=1)
    return d - datetime.timedelta(days=1), d


def at(day, hhmm):
    h, m = map(int, hhmm.split(":"))
    return int(datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=CST).timestamp() * 1000)


class EnergyAppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_sets=[f"apps.builtin_dir={BUILTIN_APPS}"]).start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        _, cls.tok, cls.ent, first = setup_tenant(s, cls.admin, "energy", "meter-w1", protocol="http")
        cls.other = cls.make("/api/v1/enterprises", {"name": "Energy B", "industry": "电子",
                                                     "creditCode": credit_code("91320000MA1ENRG0B")})
        cls.dev = {"meter-w1": first}
        for name in ("meter-w2", "boiler-1", "cnc-1"):
            cls.dev[name] = cls.make("/api/v1/devices", {"name": name, "enterpriseId": cls.ent["id"],
                                                         "category": "running", "protocol": "http"})
        for name, shop in [("meter-w1", "W1"), ("meter-w2", "W2"), ("boiler-1", "W2"), ("cnc-1", "W1")]:
            st, body, _ = s.request("POST", f"/api/v1/devices/{cls.dev[name]['id']}/attributes/server",
                                    {"workshop": shop}, cls.tok)
            assert st == 204, body
        cls.stranger = cls.make("/api/v1/devices", {"name": "meter-b", "enterpriseId": cls.other["id"],
                                                   "category": "running", "protocol": "http"})
        cls.B, cls.D = pick_days()
        cls.write_known_telemetry()
        manifest = subscribe_builtin(s, cls.tok, "energy", cls.ent["id"])
        assert manifest["id"] == APP and manifest["domain"] == "energy_carbon", manifest

    @classmethod
    def make(cls, path, body):  # a 201 Created, as the tenant admin
        st, data, _ = cls.server.request("POST", path, body, cls.tok)
        assert st == 201, (path, st, data)
        return data

    @classmethod
    def write(cls, name, day, rows):
        device = cls.stranger if name == "meter-b" else cls.dev[name]
        batch = [{"ts": at(day, hhmm), "values": values} for hhmm, values in rows]
        st, body, _ = cls.server.request("POST", f"/api/v1/devices/{device['id']}/telemetry", batch, cls.tok)
        assert st in (200, 201, 204), body

    @classmethod
    def write_known_telemetry(cls):
        B, D = cls.B, cls.D
        kwh = lambda v: {"energy_kwh": v}  # noqa: E731
        cls.write("meter-w1", B, [("00:10", kwh(600)), ("07:50", kwh(700)), ("11:50", kwh(800)),
                                  ("16:50", kwh(900)), ("20:50", kwh(950)), ("23:50", kwh(1000))])
        cls.write("meter-w1", D, [("07:50", kwh(1080)), ("08:30", kwh(1090)), ("11:50", kwh(1130)),
                                  ("12:10", kwh(1135)), ("16:50", kwh(1185)), ("17:30", kwh(1200)),
                                  ("20:50", kwh(1260)), ("21:10", kwh(1262)), ("23:50", kwh(1300))])
        cls.write("meter-w2", B, [("00:10", kwh(5000)), ("23:50", kwh(5100))])
        cls.write("meter-w2", D, [("09:10", kwh(5150)), ("09:40", kwh(5160)), ("10:20", kwh(5170)),
                                  ("10:30", kwh(2)), ("10:50", kwh(12)), ("13:30", kwh(40))])
        cls.write("boiler-1", B, [("00:10", {"gas_total_m3": 10000}), ("23:50", {"gas_total_m3": 10500})])
        cls.write("boiler-1", D, [("08:00", {"water_total_m3": 100}), ("12:50", {"gas_total_m3": 10800}),
                                  ("14:00", {"steam_total_t": 50.0}), ("14:50", {"steam_total_t": 53.0}),
                                  ("15:10", {"steam_total_t": 54.0}), ("20:00", {"water_total_m3": 130}),
                                  ("23:50", {"gas_total_m3": 11000})])
        cls.write("cnc-1", B, [("08:10", {"part_count": 0}), ("20:50", {"part_count": 80})])
        cls.write("cnc-1", D, [("08:10", {"part_count": 80}), ("12:00", {"part_count": 150}),
                               ("16:00", {"part_count": 0}), ("20:00", {"part_count": 30})])
        cls.write("meter-b", D, [("00:10", kwh(1e6)), ("12:10", kwh(2e6))])  # another enterprise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def call(self, fn, body=None, expect=200, enterprise=None):
        path = f"/api/v1/apps/{APP}/functions/{fn}?enterpriseId={(enterprise or self.ent)['id']}"
        st, data, _ = self.server.request("POST", path, body or {}, self.tok)
        self.assertEqual(st, expect, f"{fn}: {data}")
        return data.get("result") if expect == 200 else data

    def caught_up(self):
        for _ in range(30):  # 35 days back, within each call's time budget
            if self.call("refresh")["caughtUp"]:
                return
        self.fail("refresh never caught up")

    def summary(self, **rng):
        self.caught_up()
        return self.call("summary", rng)

    def test_01_day_totals_cost_carbon_intensity(self):
        s = self.summary(**{"from": self.D.isoformat(), "to": self.D.isoformat()})
        self.assertAlmostEqual(s["electricityKwh"], 410, places=6)
        self.assertEqual({k: round(v, 6) for k, v in s["byPeriod"].items()},
                         {"sharp": 0, "peak": 207, "flat": 123, "valley": 80})
        self.assertAlmostEqual(s["cost"]["electricity"], 329.485, places=4)
        self.assertAlmostEqual(s["gasM3"], 500, places=6)
        self.assertAlmostEqual(s["cost"]["gas"], 1800, places=4)
        self.assertAlmostEqual(s["waterM3"], 30, places=6)
        self.assertAlmostEqual(s["cost"]["water"], 120, places=4)
        self.assertAlmostEqual(s["steamT"], 4, places=6)
        self.assertAlmostEqual(s["cost"]["total"], 2249.485, places=4)
        self.assertAlmostEqual(s["co2T"]["electricity"], 0.220006, places=6)
        self.assertAlmostEqual(s["co2T"]["gas"], 1.0811, places=6)
        self.assertAlmostEqual(s["co2T"]["total"], 1.301106, places=6)
        self.assertAlmostEqual(s["tce"], 0.657539, places=6)
        self.assertAlmostEqual(s["output"], 100, places=6)
        self.assertAlmostEqual(s["intensity"]["kwhPerUnit"], 4.1, places=6)
        self.assertAlmostEqual(s["intensity"]["kgco2PerUnit"], 13.01106, places=5)
        self.assertAlmostEqual(s["intensity"]["costPerUnit"], 22.49485, places=5)
        self.assertEqual(s["days"], 1)
        # Hourly load profile: the replaced meter's hour 10 counts 10 + 2 + 10.
        self.assertAlmostEqual(s["hourly"][10], 22, places=6)
        self.assertAlmostEqual(s["hourly"][9], 60, places=6)

    def test_02_per_meter_and_workshop_and_scoping(self):
        s = self.summary(**{"from": self.D.isoformat(), "to": self.D.isoformat()})
        meters = {m["name"]: m for m in s["meters"]}
        self.assertEqual(set(meters), {"meter-w1", "meter-w2", "boiler-1", "cnc-1"})  # not meter-b
        self.assertAlmostEqual(meters["meter-w1"]["electricityKwh"], 300, places=6)
        self.assertEqual(meters["meter-w1"]["byPeriod"], {"sharp": 0, "peak": 125, "flat": 95, "valley": 80})
        self.assertAlmostEqual(meters["meter-w2"]["electricityKwh"], 110, places=6)
        self.assertAlmostEqual(meters["meter-w2"]["cost"]["electricity"], 82 * 1.105 + 28 * 0.65, places=4)
        self.assertEqual(meters["meter-w2"]["workshop"], "W2")
        self.assertAlmostEqual(meters["cnc-1"]["output"], 100, places=6)
        shops = {w["workshop"]: w for w in s["workshops"]}
        self.assertEqual(set(shops), {"W1", "W2"})
        self.assertAlmostEqual(shops["W1"]["electricityKwh"], 300, places=6)
        self.assertAlmostEqual(shops["W1"]["intensity"]["kwhPerUnit"], 3.0, places=6)  # 300 kWh / 100 parts
        self.assertAlmostEqual(shops["W2"]["electricityKwh"], 110, places=6)
        self.assertAlmostEqual(shops["W2"]["gasM3"], 500, places=6)
        self.assertAlmostEqual(shops["W2"]["co2T"]["total"], (110 * 0.5366 + 500 * 2.1622) / 1000, places=6)
        # The other enterprise does not subscribe: its calls are refused.
        self.call("summary", {}, expect=404, enterprise=self.other)

    def test_03_baseline_and_savings(self):
        self.call("settings_put", {"baseline": {"from": self.B.isoformat(), "to": self.B.isoformat()}})
        try:
            base = self.summary(**{"from": self.B.isoformat(), "to": self.B.isoformat()})
            self.assertAlmostEqual(base["electricityKwh"], 500, places=6)
            self.assertAlmostEqual(base["cost"]["total"], 2154.25, places=4)
            self.assertAlmostEqual(base["co2T"]["total"], 1.3494, places=6)
            self.assertAlmostEqual(base["output"], 80, places=6)
            s = self.summary(**{"from": self.D.isoformat(), "to": self.D.isoformat()})
            b = s["baseline"]
            self.assertEqual(b["mode"], "output")
            self.assertAlmostEqual(b["electricityKwh"]["expected"], 625, places=6)
            self.assertAlmostEqual(b["electricityKwh"]["saved"], 215, places=6)
            self.assertAlmostEqual(b["electricityKwh"]["pct"], 34.4, places=2)
            self.assertAlmostEqual(b["co2T"]["saved"], 0.385644, places=6)
            self.assertAlmostEqual(b["cost"]["saved"], 443.3275, places=3)
        finally:
            self.call("settings_put", {"clearBaseline": True})

    def test_04_tariff_and_factors_are_settings(self):
        # All hours flat at 1 CNY/kWh and a provincial grid factor of 0.6: cost = kWh, CO2 = 0.6 kg/kWh.
        self.call("settings_put", {"tariff": {"hours": "f" * 24, "prices": {"flat": 1.0}}, "co2": {"electricity": 0.6}})
        try:
            s = self.summary(**{"from": self.D.isoformat(), "to": self.D.isoformat()})
            self.assertAlmostEqual(s["cost"]["electricity"], 410, places=4)
            self.assertEqual(s["byPeriod"]["flat"], 410)
            self.assertAlmostEqual(s["co2T"]["electricity"], 0.246, places=6)
            cfg = self.call("settings_get")
            self.assertEqual(cfg["settings"]["tariff"]["prices"]["peak"], 1.105)  # merged, not replaced
            self.assertIn("2022", cfg["sources"]["co2_electricity"])
        finally:
            self.call("settings_put", {"reset": True})
        err = self.call("settings_put", {"tariff": {"hours": "xx"}}, expect=422)  # the APP's error
        self.assertTrue(err["error"].startswith("tariff.hours must be 24 letters"), err)
        self.assertEqual(self.call("settings_get")["settings"]["tariff"]["hours"], "vvvvvvvvppppfffffppppfff")

    def test_05_monthly_xlsx(self):
        self.caught_up()
        month = self.D.strftime("%Y-%m")
        out = self.call("export_month", {"month": month})
        f = out["file"]
        self.assertTrue(f["name"].endswith(".xlsx"), f)
        req = urllib.request.Request(self.server.url(f"/api/v1/apps/{APP}/files/{f['id']}?enterpriseId={self.ent['id']}"),
                                     headers={"Authorization": f"Bearer {self.tok}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertIn("spreadsheetml", resp.headers["Content-Type"])
            data = resp.read()
        self.assertEqual(len(data), f["size"])
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        summary = wb["Summary 汇总"]
        rows = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r and r[0]}
        # B + D: 500 + 410 kWh, 1000 m³ gas, 80 + 100 parts, 2154.25 + 2249.485 CNY.
        self.assertAlmostEqual(rows["电 Electricity"], 910, places=6)
        self.assertAlmostEqual(rows["峰 Peak"], 150 + 207, places=6)
        self.assertAlmostEqual(rows["天然气 Natural gas"], 1000, places=6)
        self.assertAlmostEqual(rows["产量 Output"], 180, places=6)
        self.assertAlmostEqual(rows["总费用 Total cost"], 4403.735, places=3)
        self.assertAlmostEqual(rows["总排放 CO2 total"], 1.3494 + 1.301106, places=6)
        self.assertAlmostEqual(rows["单位产品电耗 kWh per unit"], 910 / 180, places=5)
        meters = list(wb["Meters 计量点"].iter_rows(values_only=True))
        by_name = {r[0]: r for r in meters[1:]}
        self.assertEqual(by_name["meter-w1"][1], "W1")
        self.assertAlmostEqual(by_name["meter-w1"][2], 700, places=6)
        daily = list(wb["Daily 日明细"].iter_rows(values_only=True))
        self.assertEqual([r[0] for r in daily[1:]], [self.B.isoformat(), self.D.isoformat()])
        self.assertAlmostEqual(daily[2][1], 410, places=6)
        self.assertIn("Settings 参数", wb.sheetnames)

    def test_06_park_total_sums_enterprises(self):
        t = self.summary(**{"from": self.D.isoformat(), "to": self.D.isoformat()})
        one = self.call("totals", {"from": self.D.isoformat(), "to": self.D.isoformat()})
        self.assertAlmostEqual(one["electricityKwh"], t["electricityKwh"], places=6)
        self.assertEqual(one["enterpriseId"], self.ent["id"])
        park = self.call("park_total", {"items": [one, one]})
        self.assertAlmostEqual(park["electricityKwh"], 820, places=6)
        self.assertAlmostEqual(park["cost"]["total"], 2 * 2249.485, places=3)
        self.assertAlmostEqual(park["intensity"]["kwhPerUnit"], 4.1, places=6)
        self.assertEqual(park["enterprises"], 2)

    def test_07_refresh_is_incremental_and_idempotent(self):
        self.caught_up()
        again = self.call("refresh")
        self.assertTrue(again["caughtUp"])
        self.assertLessEqual(again["hours"], 1)  # nothing rescanned
        before = self.call("summary", {"from": self.D.isoformat(), "to": self.D.isoformat()})["electricityKwh"]
        self.call("rebuild")  # the same hours again: set, not added
        self.caught_up()
        after = self.call("summary", {"from": self.D.isoformat(), "to": self.D.isoformat()})["electricityKwh"]
        self.assertAlmostEqual(after, before, places=6)
        self.assertAlmostEqual(after, 410, places=6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
