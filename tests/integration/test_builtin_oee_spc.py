"""The built-in OEE and SPC APPs (apps/builtin/oee, apps/builtin/spc) against the real binary:
each is packed, signed, uploaded, approved and subscribed like any APP; known telemetry is
written through the device API and the APPs' numbers are checked against arithmetic done here
(OEE by hand) and against python3's statistics module (SPC limits, Cp/Cpk/Pp/Ppk); planted
subgroups raise exactly the expected rule alarms."""

import json
import os
import random
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, Server, credit_code, subscribe_builtin, wait_for  # noqa: E402

H, MIN, DAY = 3_600_000, 60_000, 86_400_000
UTC8 = 8 * H


class BuiltinOeeSpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_sets=[f"apps.builtin_dir={BUILTIN_APPS}"]).start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "works"}, cls.admin)
        for name, role in [("tadm", "tenant-admin"), ("pub", "developer")]:
            st, body, _ = s.request("POST", "/api/v1/users", {"username": name, "password": "password-1", "role": role,
                                                             "tenantId": t["id"]}, cls.admin)
            assert st == 201, body
        cls.tok = s.login("tadm", "password-1")
        cls.dev_tok = s.login("pub", "password-1")
        cls.ent = cls.make("/api/v1/enterprises", {"name": "Works co", "industry": "机械",
                                                   "creditCode": credit_code("91320000MA1QEEP0A")})
        cls.other = cls.make("/api/v1/enterprises", {"name": "Other co", "industry": "机械",
                                                     "creditCode": credit_code("91320000MA1QEEP0B")})
        cls.dev = {}
        for name, ent, attrs in [("cnc-a1", cls.ent, {"workshop": "W1", "line": "W1-L1", "ideal_cycle_s": 60}),
                                 ("cnc-a2", cls.ent, {"workshop": "W1", "line": "W1-L2", "ideal_cycle_s": 50}),
                                 ("cnc-q", cls.ent, None),
                                 ("cnc-other", cls.other, {"workshop": "W9", "line": "W9-L1"})]:
            d = cls.make("/api/v1/devices", {"name": name, "enterpriseId": ent["id"], "category": "processing",
                                             "protocol": "http"})
            if attrs:
                st, body, _ = s.request("POST", f"/api/v1/devices/{d['id']}/attributes/server", attrs, cls.tok)
                assert st == 204, body
            cls.dev[name] = d
        for folder in ("oee", "spc"):
            subscribe_builtin(s, cls.tok, folder, cls.ent["id"])

    @classmethod
    def make(cls, path, body):
        status, data, _ = cls.server.request("POST", path, body, cls.tok)
        assert status == 201, f"POST {path}: {status} {data}"
        return data

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def req(self, method, path, body=None, token=None, expect=200):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def call(self, app, fn, body=None, expect=200):
        out = self.req("POST", f"/api/v1/apps/{app}/functions/{fn}?enterpriseId={self.ent['id']}", body or {},
                       expect=expect)
        if expect == 200:
            self.assertTrue(out["ok"], out)
            return out["result"]
        return out

    def telemetry(self, device, samples):
        """Writes [(ts, {k: v}), ...] through the device API (the device's access token), one request."""
        token = self.dev[device]["accessToken"]
        body = [{"ts": ts, "values": values} for ts, values in samples]
        self.req("POST", f"/api/v1/{token}/telemetry", body, token="")

    # ------------------------------------------------------------------------------------ OEE

    def shift_day(self):
        """Local (UTC+8) midnight of the day before yesterday, in UTC ms: that day's shift A
        (08:00–16:00, break 12:00–12:30 in the default calendar) is entirely in the past."""
        now = int(time.time() * 1000)
        return ((now + UTC8) // DAY - 2) * DAY - UTC8

    def write_shift(self, base):
        at = lambda h, m=0: base + h * H + m * MIN  # noqa: E731
        # cnc-a1: waits for material 09:00–09:20, faults 10:30–10:48, tool change 13:00–13:10 = 48 min;
        # runs through the lunch break (not planned time, so it does not count); 380 parts, 8 rejects.
        a1 = [(at(7, 59), {"part_count": 1000, "reject_count": 50, "state_code": 0, "downtime_reason": 0}),
              (at(8), {"state_code": 1, "downtime_reason": 0}),
              (at(9), {"state_code": 0, "downtime_reason": 1}), (at(9, 20), {"state_code": 1, "downtime_reason": 0}),
              (at(10, 30), {"state_code": 2, "downtime_reason": 4}), (at(10, 48), {"state_code": 1, "downtime_reason": 0}),
              (at(11, 59), {"part_count": 1200, "reject_count": 54}),
              (at(12, 15), {"part_count": 1200, "reject_count": 54}),
              (at(13), {"state_code": 0, "downtime_reason": 2}), (at(13, 10), {"state_code": 1, "downtime_reason": 0}),
              (at(15, 59), {"part_count": 1380, "reject_count": 58}),
              (at(16), {"state_code": 0, "downtime_reason": 0})]
        # cnc-a2: setup 08:00–08:28, waiting for material 14:00–14:12 = 40 min; 400 parts, 4 rejects;
        # its part counter was reset to 0 at 12:40 (a new counter is counted from 0).
        a2 = [(at(7, 59), {"part_count": 5000, "reject_count": 10, "state_code": 0, "downtime_reason": 0}),
              (at(8), {"state_code": 0, "downtime_reason": 3}), (at(8, 28), {"state_code": 1, "downtime_reason": 0}),
              (at(11, 0), {"part_count": 5150, "reject_count": 12}),
              (at(12, 40), {"part_count": 50, "reject_count": 13}),
              (at(14), {"state_code": 0, "downtime_reason": 1}), (at(14, 12), {"state_code": 1, "downtime_reason": 0}),
              (at(15, 30), {"part_count": 250, "reject_count": 14}),
              (at(16), {"state_code": 0, "downtime_reason": 0})]
        self.telemetry("cnc-a1", a1)
        self.telemetry("cnc-a2", a2)
        # Another enterprise's machine: never counted.
        self.telemetry("cnc-other", [(at(8), {"state_code": 1, "part_count": 1}), (at(15), {"part_count": 9999})])

    def test_01_oee_by_hand(self):
        base = self.shift_day()
        self.write_shift(base)
        r = self.call("kaiwu-oee", "oee", {"from": base + 8 * H, "to": base + 16 * H})
        machines = {m["name"]: m for m in r["machines"]}
        self.assertEqual(sorted(machines), ["cnc-a1", "cnc-a2"])  # cnc-q has no counter, cnc-other is elsewhere
        # cnc-a1 by hand: planned = 8 h − 30 min break = 450 min; downtime 20 + 18 + 10 = 48 min;
        # run = 402 min. A = 402/450 = 0.8933; P = 60 s × 380 / (402 × 60 s) = 0.9453;
        # Q = (380 − 8)/380 = 0.9789; OEE = 0.8933 × 0.9453 × 0.9789 = 0.8267 (= 372 × 60 / 27000).
        a1 = machines["cnc-a1"]
        self.assertEqual((a1["plannedMin"], a1["runMin"], a1["downtimeMin"]), (450, 402, 48))
        self.assertEqual((a1["total"], a1["rejects"], a1["good"]), (380, 8, 372))
        self.assertAlmostEqual(a1["availability"], 402 / 450, places=9)
        self.assertAlmostEqual(a1["performance"], 60 * 380 / (402 * 60), places=9)
        self.assertAlmostEqual(a1["quality"], 372 / 380, places=9)
        self.assertAlmostEqual(a1["oee"], 0.893333 * 0.945274 * 0.978947, places=5)
        self.assertAlmostEqual(a1["oee"], 372 * 60 / 27000, places=9)
        self.assertEqual([(p["code"], p["minutes"]) for p in a1["pareto"]], [("1", 20), ("4", 18), ("2", 10)])
        # cnc-a2: downtime 28 + 12 = 40 min, run 410 min; parts 150 before the reset + 50 + 200 = 400,
        # rejects 2 + 1 + 1 = 4. A = 410/450, P = 50 × 400 / (410 × 60), Q = 396/400.
        a2 = machines["cnc-a2"]
        self.assertEqual((a2["runMin"], a2["downtimeMin"], a2["total"], a2["rejects"]), (410, 40, 400, 4))
        self.assertAlmostEqual(a2["oee"], (410 / 450) * (50 * 400 / (410 * 60)) * (396 / 400), places=9)
        # Workshop W1 = both lines: sums of times and counts (time-weighted), not an average of OEEs.
        w1 = {w["name"]: w for w in r["workshops"]}["W1"]
        a, p, q = (402 + 410) / 900, (60 * 380 + 50 * 400) / ((402 + 410) * 60), (372 + 396) / 780
        self.assertAlmostEqual(w1["availability"], a, places=9)
        self.assertAlmostEqual(w1["performance"], p, places=9)
        self.assertAlmostEqual(w1["quality"], q, places=9)
        self.assertAlmostEqual(w1["oee"], a * p * q, places=9)
        self.assertAlmostEqual(r["enterprise"]["oee"], a * p * q, places=9)
        self.assertEqual(sorted(l["name"] for l in r["lines"]), ["W1-L1", "W1-L2"])
        # Pareto over the workshop: material 20 + 12, setup 28, fault 18, tool change 10.
        self.assertEqual([(x["code"], x["minutes"]) for x in r["pareto"]], [("1", 32), ("3", 28), ("4", 18), ("2", 10)])
        self.assertEqual([x["en"] for x in r["pareto"]][:2], ["Waiting for material", "Setup / changeover"])
        self.assertAlmostEqual(r["pareto"][-1]["cumulative"], 1.0, places=9)
        self.assertAlmostEqual(r["pareto"][0]["share"], 32 / 88, places=9)

    def test_02_shift_records_and_settings(self):
        base = self.shift_day()
        if not self.call("kaiwu-oee", "oee", {"from": base + 8 * H, "to": base + 16 * H})["machines"]:
            self.write_shift(base)
        self.assertEqual(self.call("kaiwu-oee", "rollup", {"from": base, "to": base + DAY})["records"], 3)
        day = time.strftime("%Y-%m-%d", time.gmtime((base + UTC8) / 1000))
        items = self.call("kaiwu-oee", "shifts", {"day": day})["items"]
        self.assertEqual([i["shift"] for i in items], ["B", "A", "C"])  # newest first
        a = items[1]
        self.assertEqual((a["day"], a["from"], a["to"]), (day, base + 8 * H, base + 16 * H))
        self.assertAlmostEqual({m["name"]: m for m in a["machines"]}["cnc-a1"]["oee"], 372 * 60 / 27000, places=9)
        self.assertEqual([(x["code"], x["minutes"]) for x in a["pareto"]], [("1", 32), ("3", 28), ("4", 18), ("2", 10)])
        # Shift B (16:00–24:00): both machines idle without a reason — availability 0, reason not reported.
        b = items[0]
        self.assertEqual(b["enterprise"]["availability"], 0)
        self.assertEqual(b["pareto"][0]["code"], "unreported")
        # Shift C (00:00–08:00, break 04:00–04:30) precedes the machines' first data (07:59): that time is
        # left out and reported as no data; the last minute (idle, no reason) is planned downtime.
        c = items[2]["enterprise"]
        self.assertEqual((c["plannedMin"], c["noDataMin"], c["availability"]), (2, 2 * 449, 0))
        # Settings: a calendar with one day shift and a custom ideal cycle; bad input is a clear error.
        err = self.call("kaiwu-oee", "put_settings", {"settings": {"shifts": [{"name": "D", "from": "8:00", "to": "25:00"}]}},
                        expect=422)
        self.assertIn("shifts[1].to", json.dumps(err))
        err = self.call("kaiwu-oee", "put_settings", {"settings": {"shifts": [
            {"name": "D", "from": "08:00", "to": "16:00", "breaks": [{"from": "17:00", "to": "17:30"}]}]}}, expect=422)
        self.assertIn("within the shift", json.dumps(err))
        s = self.call("kaiwu-oee", "put_settings", {"settings": {"shifts": [
            {"name": "D", "from": "08:00", "to": "16:00", "breaks": [{"from": "12:00", "to": "13:00"}]}]}})["settings"]
        self.assertEqual(s["idealCycleS"], 40)
        r = self.call("kaiwu-oee", "oee", {"from": base + 8 * H, "to": base + 16 * H})
        a1 = {m["name"]: m for m in r["machines"]}["cnc-a1"]
        self.assertEqual((a1["plannedMin"], a1["runMin"]), (420, 372))  # the longer break is not planned time
        self.assertEqual(self.call("kaiwu-oee", "get_settings")["settings"]["shifts"][0]["name"], "D")
        self.call("kaiwu-oee", "put_settings", {"settings": {}})  # back to the defaults

    # ------------------------------------------------------------------------------------ SPC

    def test_03_spc_limits_capability_and_rules(self):
        self.call("kaiwu-spc", "put_settings", {"settings": {"characteristics": [
            {"key": "bore_diameter_mm", "n": 5, "chart": "xbar_r", "lsl": 24.985, "usl": 25.015, "baselineSubgroups": 20}]}})
        rng = random.Random(1016)
        t0 = int(time.time() * 1000) - 6 * H
        part = 0
        samples = []

        def measure(v):
            nonlocal part
            part += 1
            ts = t0 + part * 30_000
            samples.append((ts, {"bore_diameter_mm": v, "part_count": part}))
            # The poller repeats the last part's value until the next part: counted once.
            samples.append((ts + 1000, {"bore_diameter_mm": v, "part_count": part}))

        baseline = [round(rng.gauss(25.0, 0.004), 3) for _ in range(100)]
        for v in baseline:
            measure(v)
        # Independently: X̄-R limits of the 20 baseline subgroups of 5 (A2 = 0.577, D4 = 2.114).
        groups = [baseline[i:i + 5] for i in range(0, 100, 5)]
        means = [statistics.mean(g) for g in groups]
        rbar = statistics.mean(max(g) - min(g) for g in groups)
        cl = statistics.mean(means)
        ucl, lcl = cl + 0.577 * rbar, cl - 0.577 * rbar
        sigma = (ucl - cl) / 3
        # Planted phase-II subgroups (z in σx̄): one beyond 3σ (WE1), one below the centre line,
        # then 8 in a row above it but within 1σ, zig-zagging (WE4 on the 8th, nothing else).
        planted = [4, -0.5, 0.3, 0.6, 0.4, 0.7, 0.5, 0.35, 0.65, 0.45]
        d = rbar / 4
        for z in planted:
            m = cl + z * sigma
            for o in (-2, -1, 0, 1, 2):
                measure(m + o * d)  # mean exactly m, range 4d = R̄
        self.telemetry("cnc-q", samples)

        def alarms():
            items = self.req("GET", "/api/v1/alarms?limit=100")["items"]
            return [a for a in items if a["type"].startswith("SPC ")]

        found = wait_for(lambda: len(alarms()) >= 2 and alarms(), timeout=40, interval=0.5, what="SPC alarms")
        time.sleep(11)  # one more scan: nothing else is raised
        found = alarms()
        self.assertEqual(sorted(a["type"] for a in found), ["SPC WE1 bore_diameter_mm", "SPC WE4 bore_diameter_mm"])
        by_type = {a["type"].split()[1]: a for a in found}
        self.assertEqual(by_type["WE1"]["severity"], "major")
        self.assertEqual(by_type["WE1"]["deviceId"], self.dev["cnc-q"]["id"])
        details = by_type["WE4"]["details"]
        details = json.loads(details) if isinstance(details, str) else details
        self.assertEqual(details["rule"], "WE4")
        self.assertEqual(len(details["points"]), 8)
        self.assertEqual(details["points"][-1]["ts"], t0 + part * 30_000)
        for pt, z in zip(details["points"], planted[2:]):
            self.assertAlmostEqual(pt["mean"], cl + z * sigma, places=9)
        we1 = by_type["WE1"]["details"]
        we1 = json.loads(we1) if isinstance(we1, str) else we1
        self.assertAlmostEqual(we1["points"][0]["mean"], cl + 4 * sigma, places=9)

        c = self.call("kaiwu-spc", "chart", {"deviceId": self.dev["cnc-q"]["id"]})
        self.assertEqual(len(c["subgroups"]), 30)
        self.assertEqual(c["pending"], 0)
        lim = c["limits"]
        self.assertAlmostEqual(lim["center"], cl, places=9)
        self.assertAlmostEqual(lim["ucl"], ucl, places=9)
        self.assertAlmostEqual(lim["lcl"], lcl, places=9)
        self.assertAlmostEqual(lim["dispersionCenter"], rbar, places=9)
        self.assertAlmostEqual(lim["dispersionUcl"], 2.114 * rbar, places=9)
        self.assertEqual(lim["subgroups"], 20)
        self.assertEqual([v["rule"] for v in c["violations"]], ["WE1", "WE4"])
        # Capability over all 30 subgroups: σ within = R̄ / d2 (d2 = 2.326 for n = 5), σ overall =
        # the sample standard deviation; Cp = (USL − LSL) / 6σw, Cpk = min(USL − x̄, x̄ − LSL) / 3σw.
        values = [s["bore_diameter_mm"] for _, s in samples[::2]]
        all_groups = [values[i:i + 5] for i in range(0, 150, 5)]
        sw = statistics.mean(max(g) - min(g) for g in all_groups) / 2.326
        so = statistics.stdev(values)
        mean = statistics.mean(values)
        cap = c["capability"]
        self.assertAlmostEqual(cap["cp"], 0.030 / (6 * sw), places=6)
        self.assertAlmostEqual(cap["cpk"], min(25.015 - mean, mean - 24.985) / (3 * sw), places=6)
        self.assertAlmostEqual(cap["pp"], 0.030 / (6 * so), places=6)
        self.assertAlmostEqual(cap["ppk"], min(25.015 - mean, mean - 24.985) / (3 * so), places=6)
        # Only the subscribing enterprise's devices are charted.
        self.assertEqual([x["name"] for x in c["devices"]], ["cnc-q"])
        err = self.call("kaiwu-spc", "put_settings", {"settings": {"characteristics": [{"key": "x", "n": 11}]}},
                        expect=422)
        self.assertIn("characteristics[1].n", json.dumps(err))
        # Another subgroup size: the characteristic starts again (old subgroups and limits do not fit).
        same = self.call("kaiwu-spc", "put_settings", {"settings": {"characteristics": [
            {"key": "bore_diameter_mm", "n": 5, "chart": "xbar_r", "lsl": 24.98, "usl": 25.02}]}})
        self.assertEqual(same["reset"], 0)
        changed = self.call("kaiwu-spc", "put_settings", {"settings": {"characteristics": [
            {"key": "bore_diameter_mm", "n": 4, "chart": "xbar_s", "lsl": 24.985, "usl": 25.015}]}})
        self.assertEqual(changed["reset"], 1)
        c = self.call("kaiwu-spc", "chart", {"deviceId": self.dev["cnc-q"]["id"]})
        self.assertEqual((c["subgroups"], c.get("limits")), ({}, None))

    def test_04_schedule_triggers_ran(self):
        def runs(app, fn):
            items = self.req("GET", f"/api/v1/apps/{app}/runs?limit=100")["items"]
            return [r for r in items if r["trigger"] == "schedule" and r["function"] == fn]

        tick = wait_for(lambda: runs("kaiwu-oee", "tick"), timeout=45, interval=1, what="the OEE tick")
        self.assertTrue(all(r["ok"] for r in tick), tick)
        scans = runs("kaiwu-spc", "scan")
        self.assertTrue(scans and all(r["ok"] for r in scans), scans)


if __name__ == "__main__":
    unittest.main()
