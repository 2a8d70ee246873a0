"""Built-in APPs kaiwu-pdm (predictive maintenance) and kaiwu-safety (safety & emissions) against
the real binary: each APP is packed, signed with a test platform key, uploaded, approved and
subscribed; KNOWN telemetry goes in through the device API (access token) and every number the
APPs return is recomputed here independently (python3's math/statistics, a plain DFT)."""

import cmath
import io
import math
import os
import random
import statistics
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, Server, setup_tenant, subscribe_builtin  # noqa: E402

HOUR, MINUTE, DAY = 3_600_000, 60_000, 86_400_000


# --- independent reference computations -------------------------------------------------------

def vibration_reference(x):
    n = len(x)
    rms = math.sqrt(sum(v * v for v in x) / n)
    m = sum(x) / n
    m2 = sum((v - m) ** 2 for v in x) / n
    m4 = sum((v - m) ** 4 for v in x) / n
    peak = max(abs(v) for v in x)
    return {"rms": rms, "kurtosis": m4 / (m2 * m2), "crestFactor": peak / rms}


def band_energy_reference(x, fs, lo, hi):
    """Rectangular window, zero-padded to a power of two, single-sided amplitude a_k = 2|X_k|/N
    (1× at DC and Nyquist); band energy = Σ a_k²/2 (a_0² at DC) over f_k in [lo, hi)."""
    n = 1
    while n < len(x):
        n *= 2
    xs = list(x) + [0.0] * (n - len(x))
    e = 0.0
    for k in range(n // 2 + 1):
        f = k * fs / n
        if f < lo or f >= hi:
            continue
        X = sum(xs[i] * cmath.exp(-2j * math.pi * k * i / n) for i in range(n))
        a = (1 if k in (0, n // 2) else 2) * abs(X) / len(x)
        e += a * a if k == 0 else a * a / 2
    return e


def ewma_last(x, alpha):
    s = x[0]
    for v in x[1:]:
        s = alpha * v + (1 - alpha) * s
    return s


class BuiltinAppsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_sets=[f"apps.builtin_dir={BUILTIN_APPS}"]).start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        _, cls.tok, cls.ent, pump = setup_tenant(s, cls.admin, "plant", "pump-01", industry="机械", protocol="http")
        cls.key = cls.make("/api/v1/apikeys", {"name": "mes", "enterpriseId": cls.ent["id"], "role": "engineer"})["key"]
        cls.devices = {"pump-01": pump}
        for name in ("pump-02", "gas-01", "stack-01"):
            cls.devices[name] = cls.make("/api/v1/devices", {"name": name, "enterpriseId": cls.ent["id"],
                                                             "category": "running", "protocol": "http"})
        cls.now = int(__import__("time").time() * 1000)
        cls.plant_pdm()
        for folder in ("pdm", "safety"):
            subscribe_builtin(s, cls.tok, folder, cls.ent["id"])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def make(cls, path, body):
        status, data, _ = cls.server.request("POST", path, body, cls.tok)
        assert status == 201, f"POST {path}: {status} {data}"
        return data

    @classmethod
    def send(cls, device, points):
        """Telemetry through the device API with the device's access token, in batches."""
        token = cls.devices[device]["accessToken"]
        for i in range(0, len(points), 500):
            st, body, _ = cls.server.request("POST", f"/api/v1/{token}/telemetry", points[i:i + 500])
            assert st == 200, f"{device}: {st} {body}"

    def call(self, app, fn, body=None, expect=200):
        st, data, _ = self.server.request("POST", f"/api/v1/apps/{app}/functions/{fn}", body or {}, self.key)
        self.assertEqual(st, expect, f"{app}.{fn}: {data}")
        return data["result"] if expect == 200 else data

    # --- predictive maintenance ---------------------------------------------------------------

    @classmethod
    def plant_pdm(cls):
        rng = random.Random(7)
        now = cls.now
        # pump-01: 256 s of a 1 Hz waveform (0.05 Hz running + 0.2 Hz defect + noise) ending 2 s ago.
        cls.wave = [round(1.0 * math.sin(2 * math.pi * 0.05 * i) + 1.2 * math.sin(2 * math.pi * 0.2 * i)
                          + rng.gauss(0, 0.1), 4) for i in range(256)]
        end = now - 2000
        points = [{"ts": end - (255 - i) * 1000, "values": {"vib_wave_mm_s": v}} for i, v in enumerate(cls.wave)]
        # Level and bearing temperature: a quiet hour 55–12 min ago (the baseline); test_01 adds
        # 9 minutes at a raised level after the first assessment has taken the baseline.
        cls.levels, cls.temps = [], []
        for ts in range(now - 55 * MINUTE, now - 12 * MINUTE, 10_000):
            lv, tc = round(rng.gauss(2.5, 0.1), 3), round(rng.gauss(58, 0.3), 2)
            cls.levels.append(lv)
            cls.temps.append(tc)
            points.append({"ts": ts, "values": {"vibration_mm_s": lv, "bearing_temp_c": tc}})
        cls.send("pump-01", points)
        # pump-02: a planted linear degradation of the health index, hourly, HI = 90 − 1.5·k.
        cls.h0 = now - now % HOUR - 23 * HOUR
        cls.send("pump-02", [{"ts": cls.h0 + k * HOUR, "values": {"health_index": 90 - 1.5 * k}} for k in range(24)])

    def test_01_features_health_and_anomaly(self):
        dev = self.devices["pump-01"]["id"]
        quiet = self.call("kaiwu-pdm", "assess", {"deviceId": dev})["assets"][0]
        # The first assessment takes the baseline: the running level and temperature of the last hour.
        b = quiet["baseline"]
        self.assertAlmostEqual(b["level"]["mean"], statistics.mean(self.levels), places=9)
        self.assertAlmostEqual(b["level"]["sd"], statistics.stdev(self.levels), places=9)
        self.assertAlmostEqual(b["temp"]["mean"], statistics.mean(self.temps), places=9)
        self.assertIsNone(quiet.get("level"))  # no level in the newest 10 minutes yet
        recent = list(range(self.now - 9 * MINUTE, self.now - 2000, 10_000))
        self.send("pump-01", [{"ts": ts, "values": {"vibration_mm_s": 3.4, "bearing_temp_c": 67.5}} for ts in recent])
        a = self.call("kaiwu-pdm", "assess", {"deviceId": dev})["assets"][0]
        f = a["features"]
        ref = vibration_reference(self.wave)
        self.assertEqual(f["samples"], 256)
        self.assertAlmostEqual(f["sampleRateHz"], 1.0, places=9)
        for k in ("rms", "kurtosis", "crestFactor"):
            self.assertAlmostEqual(f[k], ref[k], places=9, msg=k)
        for name, lo, hi in (("running", 0, 0.1), ("defect", 0.15, 0.25), ("high", 0.25, 0.5)):
            self.assertAlmostEqual(f["bandEnergy"][name], band_energy_reference(self.wave, 1.0, lo, hi), places=9,
                                   msg=name)
        # The defect band holds about the 1.2 mm/s sine's mean square, 1.2²/2.
        self.assertAlmostEqual(f["bandEnergy"]["defect"], 0.72, delta=0.05)
        # Health index by the documented formula.
        e_def = band_energy_reference(self.wave, 1.0, 0.15, 0.25)
        sev = lambda x, good, alarm: min(1, max(0, (x - good) / (alarm - good)))  # noqa: E731
        s_v, s_d, s_t = sev(3.4, 2.3, 4.5), sev(math.sqrt(2 * e_def), 0.2, 2.0), sev(67.5, 60, 75)
        self.assertAlmostEqual(a["level"], 3.4, places=9)
        self.assertAlmostEqual(a["temperature"], 67.5, places=9)
        self.assertAlmostEqual(a["healthIndex"], 100 * (1 - (0.5 * s_v + 0.3 * s_d + 0.2 * s_t)), places=6)
        # Anomaly score against that baseline: |EWMA of the newest window − μ| / max(σ, 2 % of μ).
        self.assertEqual(a["baseline"], b)  # kept, not retaken
        z_level = abs(ewma_last([3.4] * len(recent), 0.3) - statistics.mean(self.levels)) / \
            max(statistics.stdev(self.levels), 0.02 * statistics.mean(self.levels))
        z_temp = abs(67.5 - statistics.mean(self.temps)) / max(statistics.stdev(self.temps), 0.02 * statistics.mean(self.temps))
        self.assertAlmostEqual(a["anomalyScore"], max(z_level, z_temp), places=6)
        self.assertGreater(a["anomalyScore"], 3)
        self.assertTrue(a["anomaly"])
        # Written back as derived telemetry of the device.
        st, latest, _ = self.server.request(
            "GET", f"/api/v1/devices/{self.devices['pump-01']['id']}/telemetry/latest?keys=health_index,vib_rms,band_defect",
            token=self.tok)
        self.assertEqual(st, 200)
        self.assertAlmostEqual(latest["health_index"]["value"], a["healthIndex"], places=6)
        self.assertAlmostEqual(latest["vib_rms"]["value"], ref["rms"], places=9)
        self.assertIsNone(a.get("workOrder"))  # HI above 40 and no RUL: no automatic work order

    def test_02_rul_of_a_planted_linear_degradation(self):
        dev = self.devices["pump-02"]["id"]
        t = self.call("kaiwu-pdm", "trend", {"deviceId": dev})
        self.assertEqual(t["n"], 24)
        self.assertEqual(t["status"], "degrading")
        self.assertEqual(t["fit"]["model"], "linear")
        self.assertAlmostEqual(t["fit"]["slopePerHour"], -1.5, places=9)
        self.assertAlmostEqual(t["fit"]["intercept"], 90, places=9)
        self.assertAlmostEqual(t["fit"]["r2"], 1.0, places=9)
        # By hand: HI = 90 − 1.5 h reaches 20 at h = 70/1.5 = 46.667; the newest point is h = 23.
        self.assertAlmostEqual(t["rulHours"], 70 / 1.5 - 23, places=6)
        self.assertEqual(t["predictedCrossingTs"], self.h0 + round(70 / 1.5 * HOUR))
        # RUL < 168 h: assessing opens one work order, and only one.
        first = self.call("kaiwu-pdm", "assess", {"deviceId": dev})["assets"][0]
        second = self.call("kaiwu-pdm", "assess", {"deviceId": dev})["assets"][0]
        self.assertTrue(first["workOrder"])
        self.assertEqual(first["workOrder"], second["workOrder"])
        orders = self.call("kaiwu-pdm", "workorders", {"deviceId": dev})["items"]
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders[0]["state"], "open")
        self.assertIn("remaining useful life 23.7 h", orders[0]["reason"])
        st, alarms, _ = self.server.request("GET", f"/api/v1/alarms?deviceId={dev}", token=self.tok)
        self.assertIn("MaintenanceDue", [al["type"] for al in alarms["items"]])

    def test_03_work_order_states(self):
        dev = self.devices["pump-01"]["id"]
        w = self.call("kaiwu-pdm", "workorder_create", {"deviceId": dev, "reason": "noise at inspection"})
        self.assertTrue(w["created"])
        wid = w["workOrder"]["id"]
        again = self.call("kaiwu-pdm", "workorder_create", {"deviceId": dev, "reason": "again"})
        self.assertFalse(again["created"])
        self.assertEqual(again["workOrder"]["id"], wid)

        def move(to, expect=200, **extra):
            return self.call("kaiwu-pdm", "workorder_transition", {"id": wid, "to": to, **extra}, expect)

        self.assertIn("illegal transition open → in_progress", move("in_progress", 422)["error"])
        self.assertIn("needs an assignee", move("assigned", 422)["error"])
        self.assertEqual(move("assigned", assignee="Li Lei")["workOrder"]["assignee"], "Li Lei")
        move("done", 422)
        move("in_progress")
        self.assertEqual(move("done")["workOrder"]["state"], "done")
        move("cancelled", 422)
        move("open", 422)
        hist = self.call("kaiwu-pdm", "workorders", {"deviceId": dev})["items"][0]["history"]
        self.assertEqual([h["state"] for h in hist], ["open", "assigned", "in_progress", "done"])
        # Done: a new order may be opened; cancelling works from open.
        w2 = self.call("kaiwu-pdm", "workorder_create", {"deviceId": dev})
        self.assertTrue(w2["created"])
        self.assertNotEqual(w2["workOrder"]["id"], wid)
        c = self.call("kaiwu-pdm", "workorder_transition", {"id": w2["workOrder"]["id"], "to": "cancelled"})
        self.assertEqual(c["workOrder"]["state"], "cancelled")
        self.call("kaiwu-pdm", "workorder_transition", {"id": "WO-999999", "to": "done"}, 422)

    # --- safety & emissions -------------------------------------------------------------------

    def test_10_gas_event_with_evidence(self):
        dev = self.devices["gas-01"]["id"]
        base = self.now - 30 * MINUTE
        co = [2, 3, 30, 60, 70, 40, 10] + [2] * 6  # quiet from 10 (below 25 − 10 %) for 60 s: closed
        self.send("gas-01", [{"ts": base + i * 10_000, "values": {"co_ppm": v, "lel_pct": 1.0, "temperature": 25.0}}
                             for i, v in enumerate(co)])
        r = self.call("kaiwu-safety", "check", {"deviceId": dev, "from": base - 1, "to": base + 200_000})
        levels = [(e["key"], e["level"]) for e in r["events"]]
        self.assertEqual(levels, [("co_ppm", "warning"), ("co_ppm", "alarm")])  # opened, then escalated
        ev = [e for e in self.call("kaiwu-safety", "events", {"deviceId": dev})["items"]][0]
        self.assertEqual((ev["level"], ev["limit"], ev["max"]), ("alarm", 50, 70))
        self.assertEqual((ev["start"], ev["maxTs"], ev["end"]), (base + 20_000, base + 40_000, base + 60_000))
        self.assertEqual(ev["samples"], 4)  # 30, 60, 70, 40 at or above the warning level
        st, alarms, _ = self.server.request("GET", f"/api/v1/alarms?deviceId={dev}", token=self.tok)
        gas = [al for al in alarms["items"] if al["type"] == "GasOverLimit"]
        self.assertTrue(gas)
        self.assertEqual(gas[0]["severity"], "critical")

    def test_10b_a_value_flickering_at_the_limit_is_one_event(self):
        dev = self.devices["gas-01"]["id"]
        base = self.now - 20 * MINUTE
        # 20 is under the clear level (25 − 10 % = 22.5) but only for 10 s; 23 is inside the deadband;
        # the run of quiet values from the second 20 lasts 70 s and closes the event.
        co = [30, 20, 30, 23, 30, 20] + [2] * 7
        self.send("gas-01", [{"ts": base + i * 10_000, "values": {"co_ppm": v, "lel_pct": 1.0, "temperature": 25.0}}
                             for i, v in enumerate(co)])
        r = self.call("kaiwu-safety", "check", {"deviceId": dev, "from": base - 1, "to": base + 200_000})
        self.assertEqual([(e["key"], e["level"]) for e in r["events"]], [("co_ppm", "warning")])
        ev = [e for e in self.call("kaiwu-safety", "events", {"deviceId": dev})["items"] if e["start"] == base][0]
        self.assertEqual((ev["level"], ev["samples"], ev["max"], ev["end"]), ("warning", 3, 30, base + 50_000))

    def stack_day(self):
        """The planted day (local, three days ago): its first ms and ISO date; planted once."""
        import datetime
        day = (self.now + 8 * HOUR) // DAY - 3
        day_start = day * DAY - 8 * HOUR  # 00:00 at UTC+8
        if not getattr(BuiltinAppsTest, "stack_planted", False):
            self.plant_stack(day_start)
            BuiltinAppsTest.stack_planted = True
        return day_start, (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()

    def plant_stack(self, day_start):
        """Minute values (mid-minute) for four local hours of one day:
        10:00 SO₂ 30, O₂ 9 · 11:00 SO₂ 40, O₂ 10 (over the limit once corrected) · 12:00 only 30
        minutes (invalid) · 13:00 exactly 45 minutes, SO₂ 20, O₂ 9 (valid)."""
        points = []
        for hour, so2, o2, minutes in ((10, 30, 9.0, 60), (11, 40, 10.0, 60), (12, 30, 9.0, 30), (13, 20, 9.0, 45)):
            h = day_start + hour * HOUR
            for m in range(minutes):
                points.append({"ts": h + m * MINUTE + 30_000,
                               "values": {"so2_mg_m3": so2, "nox_mg_m3": 100, "dust_mg_m3": 10, "o2_pct": o2}})
        self.send("stack-01", points)

    def test_11_emissions_exceedance_and_report(self):
        dev = self.devices["stack-01"]["id"]
        day_start, date = self.stack_day()
        corr = lambda c, o2: c * (21 - 3.5) / (21 - o2)  # noqa: E731  GB 13271-2014 formula (1)
        so2 = [corr(30, 9), corr(40, 10), corr(20, 9)]
        self.assertAlmostEqual(so2[1], 63.63636363, places=6)
        # An explicit check of that afternoon: the 11:00 hour is an exceedance with its evidence.
        r = self.call("kaiwu-safety", "check", {"deviceId": dev, "to": day_start + 14 * HOUR + 5 * MINUTE})
        over = [e for e in r["events"] if e["type"] == "EmissionOverLimit"]
        self.assertEqual([(e["key"], e["start"]) for e in over], [("so2_mg_m3", day_start + 11 * HOUR)])
        self.assertAlmostEqual(over[0]["max"], so2[1], places=9)
        self.assertAlmostEqual(over[0]["measured"], 40, places=9)
        self.assertAlmostEqual(over[0]["o2"], 10, places=9)
        self.assertEqual((over[0]["limit"], over[0]["minutes"]), (50, 60))
        st, alarms, _ = self.server.request("GET", f"/api/v1/alarms?deviceId={dev}", token=self.tok)
        em = [al for al in alarms["items"] if al["type"] == "EmissionOverLimit"]
        self.assertEqual(len(em), 1)
        self.assertEqual(em[0]["severity"], "critical")
        # Daily report: valid hours (≥ 45 minute values), exceedance hours, max, mean.
        rep = self.call("kaiwu-safety", "report", {"date": date, "deviceId": dev, "xlsx": False})
        self.assertEqual(rep["date"], date)
        rows = {row["pollutant"]: row for row in rep["rows"]}
        self.assertEqual((rows["so2_mg_m3"]["validHours"], rows["so2_mg_m3"]["exceedanceHours"]), (3, 1))
        self.assertAlmostEqual(rows["so2_mg_m3"]["max"], max(so2), places=9)
        self.assertAlmostEqual(rows["so2_mg_m3"]["mean"], statistics.mean(so2), places=9)
        self.assertFalse(rows["so2_mg_m3"]["compliant"])
        nox = [corr(100, 9), corr(100, 10), corr(100, 9)]
        self.assertEqual((rows["nox_mg_m3"]["validHours"], rows["nox_mg_m3"]["exceedanceHours"]), (3, 0))
        self.assertAlmostEqual(rows["nox_mg_m3"]["mean"], statistics.mean(nox), places=9)
        self.assertTrue(rows["dust_mg_m3"]["compliant"])


    def test_12_limits_are_settings(self):
        dev = self.devices["stack-01"]["id"]
        _, date = self.stack_day()
        bad = self.call("kaiwu-safety", "config", {"set": {"referenceO2": "six"}}, 422)
        self.assertIn("referenceO2 must be a number", bad["error"])
        self.assertIn("unknown setting", self.call("kaiwu-safety", "config", {"set": {"o3": 1}}, 422)["error"])
        # Another reference O₂ (6 %) and a stricter SO₂ limit (35): the same hours judged again.
        pollutants = self.call("kaiwu-safety", "config")["settings"]["pollutants"]
        for p in pollutants:
            if p["key"] == "so2_mg_m3":
                p["limit"] = 35
        self.call("kaiwu-safety", "config", {"set": {"referenceO2": 6, "pollutants": pollutants}})
        try:
            rows = {r["pollutant"]: r for r in self.call("kaiwu-safety", "report",
                                                         {"date": date, "deviceId": dev, "xlsx": False})["rows"]}
            so2 = [c * (21 - 6) / (21 - o2) for c, o2 in ((30, 9), (40, 10), (20, 9))]  # 37.5, 54.5, 25
            self.assertEqual((rows["so2_mg_m3"]["limit"], rows["so2_mg_m3"]["exceedanceHours"]), (35, 2))
            self.assertAlmostEqual(rows["so2_mg_m3"]["mean"], statistics.mean(so2), places=9)
        finally:
            self.call("kaiwu-safety", "config", {"set": {"referenceO2": 3.5, "pollutants":
                                                         self.call("kaiwu-safety", "config")["defaults"]["pollutants"]}})

    def test_13_daily_report_xlsx(self):
        dev = self.devices["stack-01"]["id"]
        _, date = self.stack_day()
        rep = self.call("kaiwu-safety", "report", {"date": date, "deviceId": dev})
        so2 = [c * (21 - 3.5) / (21 - o2) for c, o2 in ((30, 9), (40, 10), (20, 9))]
        f = rep["file"]
        self.assertEqual(f["name"], f"compliance-{date}.xlsx")
        # Download it as the API key's enterprise and read the cells back.
        req = urllib.request.Request(self.server.url(f"/api/v1/apps/kaiwu-safety/files/{f['id']}"),
                                     headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertIn("spreadsheetml", resp.headers["Content-Type"])
            data = resp.read()
        self.assertEqual(len(data), f["size"])
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(data))
        cells = [[c.value for c in row] for row in wb["Compliance"].iter_rows()]
        header = next(i for i, row in enumerate(cells) if row[0] == "Device")
        body = {row[2]: row for row in cells[header + 1:] if row[0]}
        self.assertEqual(cells[header][4:6], ["Valid hours", "Exceedance hours"])
        self.assertEqual(body["a21026"][0], "stack-01")
        self.assertEqual(body["a21026"][3:6], [50, 3, 1])  # numbers stay numbers
        self.assertAlmostEqual(body["a21026"][6], max(so2), places=9)
        self.assertAlmostEqual(body["a21026"][7], statistics.mean(so2), places=9)
        self.assertEqual(body["a21026"][8], "N")
        self.assertEqual(body["a21002"][3:6], [200, 3, 0])
        self.assertEqual(body["a34013"][8], "Y")
        hourly = [[c.value for c in row] for row in wb["Hourly"].iter_rows()]
        eleven = [r for r in hourly if r[1] == f"{date} 11:00" and r[2] == "a21026"]
        self.assertEqual(len(eleven), 1)
        self.assertEqual(eleven[0][3:5], [40, 10])
        self.assertAlmostEqual(eleven[0][5], so2[1], places=9)
        self.assertEqual(eleven[0][6:9], [60, "Y", "Y"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
