"""Park dashboard and enterprise profile (report/) against the real binary: KNOWN telemetry
written through the device API for two UTC days D (today − 3) and E (today − 2), alarms raised
through the API, and every figure compared with the hand arithmetic below; then the scoping
(park admin of another park, another tenant, enterprise users).

Enterprise A (park P1, 机械): meter, boiler, cnc-1 and cnc-2 (processing); B (park P1, 电子): no
devices; C (park P2): a meter whose energy never shows in P1.

Hand arithmetic (factors: 0.5366 kgCO2/kWh, 2.1622 kgCO2/m³ gas; 0.1229 kgce/kWh, 1.2143 kgce/m³):
  meter   D 00:30 1000 | 06:00 1200 | 18:00 1500   → first reading counts from itself: 200 + 300
                                                     = 500 kWh on D
          E 02:00 1600 | 03:00 10 (reset) | 04:00 30 → 100 + 10 + 20 = 130 kWh on E
  boiler  gas D 01:00 200 | 23:00 450                → 250 m³ on D
  CO2 D = (500·0.5366 + 250·2.1622)/1000 = (268.3 + 540.55)/1000 = 0.80885 t
  tce D = (500·0.1229 + 250·1.2143)/1000 = (61.45 + 303.575)/1000 = 0.365025 t
  CO2 E = 130·0.5366/1000 = 0.069758 t;  tce E = 130·0.1229/1000 = 0.015977 t
  cnc-1   state every 30 min on D: running (1) 00:00–16:00, stopped (3) 16:00–24:00; the 23:30
          sample holds 30 min into E (stopped). parts D 00:00 0 | 12:00 120 | 16:00 0 (shift
          reset) | 20:00 30 → 150 parts
  cnc-2   running every 30 min on D (24 h); 23:30 holds 30 min into E (running)
  operating rate D = (16 + 24) h / 48 h = 0.833333;  E = 0.5 h / 1 h = 0.5
  machines running D = 2, E = 1
  over the 5 days shown (today−4 … today): run 40.5 h / observed 49 h = 0.826531 (≥ 0.8: tag
  "high_utilisation"); 2 alarms in 5 days ≥ 5/3 → tag "alarm_prone"; B has no readings →
  "no_energy_data".
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

DAY = 86_400_000


def utc_midnight(days_back):
    d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=days_back)
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def at(day_ms, hhmm):
    h, m = map(int, hhmm.split(":"))
    return day_ms + (h * 60 + m) * 60_000


class ParkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        cls.tenant = cls.make("/api/v1/tenants", {"name": "park-t"}, cls.admin)
        cls.make("/api/v1/users", {"username": "park-t-adm", "password": "password-1", "role": "tenant-admin",
                                   "tenantId": cls.tenant["id"]}, cls.admin)
        cls.tok = s.login("park-t-adm", "password-1")
        cls.p1 = cls.make("/api/v1/parks", {"name": "P1", "level": "provincial"}, cls.tok)
        cls.p2 = cls.make("/api/v1/parks", {"name": "P2"}, cls.tok)
        cls.a = cls.ent("A 机械", "机械", cls.p1, "91320505MA1PARK0A", 120.60, 31.30)
        cls.b = cls.ent("B 电子", "电子", cls.p1, "91320505MA1PARK0B", 120.62, 31.28)
        cls.c = cls.ent("C 化工", "石化化工", cls.p2, "91320505MA1PARK0C", 120.70, 31.35)
        cls.dev = {}
        for name, ent, cat in [("meter", cls.a, "running"), ("boiler", cls.a, "other"), ("cnc-1", cls.a, "processing"),
                               ("cnc-2", cls.a, "processing"), ("meter-c", cls.c, "running")]:
            cls.dev[name] = cls.make("/api/v1/devices", {"name": name, "enterpriseId": ent["id"], "category": cat,
                                                         "protocol": "http"}, cls.tok)
        cls.user("p1-adm", "park-admin", parkId=cls.p1["id"])
        cls.user("p2-adm", "park-admin", parkId=cls.p2["id"])
        cls.user("a-view", "viewer", enterpriseId=cls.a["id"])
        cls.other = cls.make("/api/v1/tenants", {"name": "park-u"}, cls.admin)
        cls.make("/api/v1/users", {"username": "park-u-adm", "password": "password-1", "role": "tenant-admin",
                                   "tenantId": cls.other["id"]}, cls.admin)
        cls.D, cls.E = utc_midnight(3), utc_midnight(2)
        cls.write_known_telemetry()
        for t, sev, dev in [("Overheat", "critical", "cnc-1"), ("Vibration", "major", "cnc-2"),
                            ("Leak", "minor", "meter-c")]:
            st, body, _ = s.request("POST", "/api/v1/alarms", {"deviceId": cls.dev[dev]["id"], "type": t,
                                                                "severity": sev}, cls.tok)
            assert st == 201, body

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def make(cls, path, body, token):
        st, data, _ = cls.server.request("POST", path, body, token)
        assert st == 201, (path, st, data)
        return data

    @classmethod
    def ent(cls, name, industry, park, code, lon, lat):
        return cls.make("/api/v1/enterprises", {"name": name, "industry": industry, "parkId": park["id"],
                                                "creditCode": credit_code(code), "sme": True,
                                                "longitude": lon, "latitude": lat}, cls.tok)

    @classmethod
    def user(cls, username, role, **scope):
        cls.make("/api/v1/users", {"username": username, "password": "password-1", "role": role, **scope}, cls.tok)

    @classmethod
    def write(cls, name, rows):
        batch = [{"ts": ts, "values": values} for ts, values in rows]
        st, body, _ = cls.server.request("POST", f"/api/v1/devices/{cls.dev[name]['id']}/telemetry", batch, cls.tok)
        assert st in (200, 201, 204), body

    @classmethod
    def write_known_telemetry(cls):
        D, E = cls.D, cls.E
        kwh = lambda v: {"energy_kwh": v}  # noqa: E731
        cls.write("meter", [(at(D, "00:30"), kwh(1000)), (at(D, "06:00"), kwh(1200)), (at(D, "18:00"), kwh(1500)),
                            (at(E, "02:00"), kwh(1600)), (at(E, "03:00"), kwh(10)), (at(E, "04:00"), kwh(30))])
        # The boiler reports itself (device API with its access token): it counts as connected.
        token = cls.dev["boiler"]["accessToken"]
        st, body, _ = cls.server.request("POST", f"/api/v1/{token}/telemetry",
                                         [{"ts": at(D, "01:00"), "values": {"gas_total_m3": 200}},
                                          {"ts": at(D, "23:00"), "values": {"gas_total_m3": 450}}])
        assert st in (200, 201, 204), body
        cls.write("cnc-1", [(D + k * 1_800_000, {"state_code": 1 if k < 32 else 3}) for k in range(48)])
        cls.write("cnc-1", [(at(D, "00:00"), {"part_count": 0}), (at(D, "12:00"), {"part_count": 120}),
                            (at(D, "16:00"), {"part_count": 0}), (at(D, "20:00"), {"part_count": 30})])
        cls.write("cnc-2", [(D + k * 1_800_000, {"state_code": 1}) for k in range(48)])
        cls.write("meter-c", [(at(D, "01:00"), kwh(0)), (at(D, "02:00"), kwh(777))])

    def get(self, path, token, expect=200):
        st, data, _ = self.server.request("GET", path, token=token)
        self.assertEqual(st, expect, f"GET {path}: {data}")
        return data

    def day(self, trend, day_ms):
        return next(x for x in trend if x["dayMs"] == day_ms)

    def test_dashboard_figures_equal_the_hand_arithmetic(self):
        d = self.get(f"/api/v1/parks/{self.p1['id']}/dashboard?days=5", self.tok)
        self.assertEqual((d["days"], len(d["trend"]), d["park"]["id"]), (5, 5, self.p1["id"]))
        self.assertEqual(d["trend"][0]["dayMs"], utc_midnight(4))
        self.assertEqual(d["to"], datetime.datetime.now(datetime.timezone.utc).date().isoformat())
        dd, de = self.day(d["trend"], self.D), self.day(d["trend"], self.E)
        self.assertAlmostEqual(dd["electricityKwh"], 500, places=6)
        self.assertAlmostEqual(de["electricityKwh"], 130, places=6)
        self.assertAlmostEqual(dd["gasM3"], 250, places=6)
        self.assertAlmostEqual(dd["co2T"], 0.80885, places=6)
        self.assertAlmostEqual(dd["tce"], 0.365025, places=6)
        self.assertAlmostEqual(de["co2T"], 0.069758, places=6)
        self.assertAlmostEqual(dd["output"], 150, places=6)
        self.assertAlmostEqual(dd["operatingRate"], 40 / 48, places=5)
        self.assertAlmostEqual(de["operatingRate"], 0.5, places=5)
        self.assertEqual((dd["machines"], dd["machinesRunning"], de["machinesRunning"]), (2, 2, 1))
        t = d["totals"]
        self.assertAlmostEqual(t["electricityKwh"], 630, places=6)  # C's 777 kWh is in P2
        self.assertAlmostEqual(t["co2T"], 0.878608, places=6)
        self.assertAlmostEqual(t["operatingRate"], round(40.5 / 49, 6), places=5)
        self.assertEqual((t["enterprises"], t["devices"], t["alarmsRaised"]), (2, 4, 2))
        self.assertEqual(d["alarmsActive"]["total"], 2)
        self.assertEqual(d["alarmsActive"]["bySeverity"], {"critical": 1, "major": 1, "minor": 0, "warning": 0})
        rows = {e["id"]: e for e in d["enterprises"]}
        self.assertEqual(set(rows), {self.a["id"], self.b["id"]})
        a = rows[self.a["id"]]
        self.assertEqual((a["devices"], a["devicesConnected"], a["alarmsActive"], a["subscribedApps"]), (4, 1, 2, 0))
        self.assertEqual(a["connectedShare"], 0.25)
        self.assertAlmostEqual(a["co2PerOutputKg"], 878.608 / 150, places=5)
        self.assertEqual((a["longitude"], a["latitude"], a["industry"]), (120.60, 31.30, "机械"))
        self.assertIsNone(rows[self.b["id"]]["operatingRate"])  # no machines
        self.assertEqual([r["enterpriseId"] for r in d["rankings"]["electricityKwh"]], [self.a["id"], self.b["id"]])
        self.assertEqual(len(d["rankings"]["operatingRate"]), 1)
        self.assertEqual(len(self.get(f"/api/v1/parks/{self.p1['id']}/dashboard", self.tok)["trend"]), 30)

    def test_profile_of_an_enterprise(self):
        p = self.get(f"/api/v1/enterprises/{self.a['id']}/profile?days=5", self.tok)
        self.assertEqual((p["enterprise"]["industry"], p["park"]["id"], p["scale"]["sme"]), ("机械", self.p1["id"], True))
        self.assertEqual((p["devices"]["total"], p["devices"]["connected"]), (4, 1))
        self.assertEqual(p["devices"]["byCategory"], {"running": 1, "processing": 2, "mobile": 0, "other": 1})
        self.assertAlmostEqual(self.day(p["trend"], self.D)["electricityKwh"], 500, places=6)
        self.assertAlmostEqual(self.day(p["trend"], self.E)["co2T"], 0.069758, places=6)
        self.assertAlmostEqual(p["totals"]["tce"], 0.365025 + 0.015977, places=6)
        self.assertAlmostEqual(p["totals"]["annualisedTce"], round((0.365025 + 0.015977) * 365 / 5, 6), places=5)
        self.assertEqual(p["alarmsActive"]["total"], 2)
        tags = {t["code"]: t for t in p["tags"]}
        self.assertEqual(set(tags), {"high_utilisation", "alarm_prone", "sme"})
        self.assertAlmostEqual(tags["high_utilisation"]["value"], 40.5 / 49, places=5)
        self.assertIn("80", tags["high_utilisation"]["ruleZh"])
        b = self.get(f"/api/v1/enterprises/{self.b['id']}/profile?days=5", self.tok)
        self.assertEqual({t["code"] for t in b["tags"]}, {"sme", "no_energy_data"})
        self.get(f"/api/v1/enterprises/{self.a['id']}/profile?days=0", self.tok, 400)
        self.get(f"/api/v1/enterprises/{self.a['id']}/profile?days=x", self.tok, 400)

    def test_scoping(self):
        s = self.server
        p1, p2 = s.login("p1-adm", "password-1"), s.login("p2-adm", "password-1")
        viewer, stranger = s.login("a-view", "password-1"), s.login("park-u-adm", "password-1")
        dash = f"/api/v1/parks/{self.p1['id']}/dashboard?days=5"
        d = self.get(dash, p1)
        self.assertAlmostEqual(d["totals"]["electricityKwh"], 630, places=6)
        self.get(dash, p2, 404)        # park admin of another park
        self.get(dash, stranger, 404)  # another tenant's admin
        self.get(dash, viewer, 403)    # enterprise users see no park dashboard
        self.get(dash.replace(self.p1["id"], "no-such-park"), self.tok, 404)
        self.get(dash + f"&tenantId={self.tenant['id']}", self.admin)
        c = self.get(f"/api/v1/parks/{self.p2['id']}/dashboard?days=5", p2)
        self.assertAlmostEqual(c["totals"]["electricityKwh"], 777, places=6)
        self.assertEqual(c["alarmsActive"]["bySeverity"]["minor"], 1)
        prof = f"/api/v1/enterprises/{self.a['id']}/profile?days=5"
        self.assertEqual(self.get(prof, viewer)["enterprise"]["id"], self.a["id"])
        self.get(prof, p1)
        self.get(prof, p2, 404)
        self.get(prof, stranger, 404)
        self.get(f"/api/v1/enterprises/{self.b['id']}/profile", viewer, 404)  # not the viewer's enterprise
        self.get(dash, None, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
