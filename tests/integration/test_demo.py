"""`kaiwu demo` (what `make run` starts): the platform, the virtual factory and its edge gateways
in one process, pre-provisioned; telemetry flows within seconds; a restart keeps the data and
does not provision twice."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import KAIWU, Server, _die_with_parent  # noqa: E402

GB32100 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def valid_credit_code(code):
    if len(code) != 18 or any(c not in GB32100 for c in code):
        return False
    total = sum(GB32100.index(c) * w for c, w in zip(code[:17], WEIGHTS))
    return GB32100[(31 - total % 31) % 31] == code[17]


class DemoServer(Server):
    def start(self, timeout=30):
        args = [KAIWU, "demo", "--data", self.data_dir, "--set", "http.address=127.0.0.1",
                "--set", f"http.port={self.port}", "--set", "mqtt.address=127.0.0.1",
                "--set", f"mqtt.port={self.mqtt_port}"]
        for extra in self.extra_sets:
            args += ["--set", extra]
        self.log = open(self.log_path, "ab")
        env = dict(self.env)
        env.pop("KAIWU_ADMIN_PASSWORD", None)  # the demo's own default
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=_die_with_parent)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kaiwu demo exited with {self.proc.returncode}: {self.read_log()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("kaiwu demo did not become healthy: " + self.read_log())


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.server = DemoServer().start()

    def tearDown(self):
        self.server.cleanup()

    def devices(self, tok):
        st, page, _ = self.server.request("GET", "/api/v1/devices?limit=200", token=tok)
        self.assertEqual(st, 200, page)
        return {d["name"]: d for d in page["items"]}

    def latest(self, tok, device_id, keys):
        st, body, _ = self.server.request("GET", f"/api/v1/devices/{device_id}/telemetry/latest?keys={keys}", token=tok)
        self.assertEqual(st, 200, body)
        return body

    def test_demo_is_provisioned_and_live(self):
        s = self.server
        started = time.time()
        self.assertIn("demo-admin", s.read_log())  # the banner names the demo logins
        tok = s.login("demo-admin", "kaiwu-demo-2024")
        s.login("admin", "kaiwu-admin-2024")
        s.login("demo-engineer", "kaiwu-demo-2024")
        st, ents, _ = s.request("GET", "/api/v1/enterprises", token=tok)
        self.assertEqual(len(ents["items"]), 8)
        self.assertEqual({e["industry"] for e in ents["items"]},
                         {"机械", "热力和燃气", "电子", "食品", "纺织", "医药", "汽车", "建材"})
        for e in ents["items"]:
            self.assertTrue(valid_credit_code(e["creditCode"]), e["creditCode"])
            self.assertTrue(e["parkId"])
            # Around Suzhou New District.
            self.assertTrue(120.3 < e["longitude"] < 120.7 and 31.2 < e["latitude"] < 31.45, e)
        # The first start backfilled 35 days: the park dashboard (as its park admin) has a
        # trend with energy and running machines on every one of the 35 days.
        park_tok = s.login("demo-park", "kaiwu-demo-2024")
        park_id = ents["items"][0]["parkId"]
        st, dash, _ = s.request("GET", f"/api/v1/parks/{park_id}/dashboard?days=35", token=park_tok)
        self.assertEqual(st, 200, dash)
        self.assertEqual(len(dash["trend"]), 35)
        for day in dash["trend"][:-1]:  # today has only begun
            self.assertGreater(day["electricityKwh"], 1000, day)
            self.assertGreater(day["machinesRunning"], 0, day)
        self.assertIn("backfilled 35 days of history", s.read_log())
        devs = self.devices(tok)
        self.assertEqual({d["category"] for d in devs.values()}, {"processing", "running", "mobile", "other"})
        self.assertTrue(devs["jinggong-edge-gw"]["isGateway"])
        self.assertTrue(devs["cnc-01"]["profileId"])
        # Every device says where it stands: the workshop its meter measures, and a line.
        for name, want in (("cnc-01", ("W1", "W1-L1")), ("meter-02", ("W2", None)), ("cnc-03", ("W1", "W1-L2"))):
            st, attrs, _ = s.request("GET", f"/api/v1/devices/{devs[name]['id']}/attributes?scope=server", token=tok)
            self.assertEqual(st, 200, attrs)
            got = attrs["server"]
            self.assertEqual(got.get("workshop"), want[0], (name, attrs))
            if want[1]:
                self.assertEqual(got.get("line"), want[1], (name, attrs))

        # Live data within a few seconds: through an edge gateway and from direct MQTT devices.
        def flowing():
            cnc = self.latest(tok, devs["cnc-01"]["id"], "spindle_speed,part_count,state")
            th = self.latest(tok, devs["th-sensor-01"]["id"], "temperature")
            stack = self.latest(tok, devs["stack-monitor-01"]["id"], "so2_mg_m3")
            return (cnc, th, stack) if len(cnc) == 3 and th and stack else None
        deadline = time.time() + 15
        result = None
        while time.time() < deadline and not result:
            result = flowing()
            time.sleep(0.2)
        self.assertIsNotNone(result, s.read_log())
        self.assertLess(time.time() - started, 15)
        cnc, th, stack = result
        self.assertIn(cnc["state"]["value"], ("running", "idle", "fault"))
        self.assertGreaterEqual(cnc["part_count"]["value"], 0)
        self.assertTrue(10 < th["temperature"]["value"] < 40)
        self.assertGreater(stack["so2_mg_m3"]["value"], 0)

        # A server-side RPC reaches the simulated machine through its edge gateway.
        cnc_id = devs["cnc-01"]["id"]
        st, reply, _ = s.request("POST", f"/api/v1/devices/{cnc_id}/rpc",
                                 {"method": "write", "params": {"key": "spindle_setpoint", "value": 6000},
                                  "timeoutMs": 5000}, tok)
        self.assertEqual((st, reply), (200, {"success": True}))
        st, reply, _ = s.request("POST", f"/api/v1/devices/{cnc_id}/rpc",
                                 {"method": "read", "params": {"key": "spindle_setpoint"}, "timeoutMs": 5000}, tok)
        self.assertEqual((st, reply), (200, {"success": True, "values": {"spindle_setpoint": 6000.0}}))
        st, reply, _ = s.request("POST", f"/api/v1/devices/{cnc_id}/rpc",
                                 {"method": "write", "params": {"key": "part_count", "value": 1}, "timeoutMs": 5000}, tok)
        self.assertEqual(st, 200)
        self.assertFalse(reply["success"])
        self.assertIn("not writable", reply["error"])

        # Devices behind the edges speak the real protocols; their values move and are plausible.
        protocols = {n: d["protocol"] for n, d in devs.items()}
        for n in ("cnc-01", "cnc-02", "cnc-03", "compressor-01"):
            self.assertEqual(protocols[n], "modbus-tcp", n)
        self.assertEqual((protocols["meter-01"], protocols["meter-02"]), ("dlt645", "dlt645"))
        self.assertEqual(protocols["stack-monitor-01"], "hj212")
        self.assertEqual(protocols["th-sensor-01"], "mqtt")
        keys = "spindle_speed,spindle_temp,part_count,state_code,spindle_setpoint"
        deadline = time.time() + 5
        while True:  # the written setpoint comes back in the next Modbus poll
            c1 = self.latest(tok, cnc_id, keys)
            if c1["spindle_setpoint"]["value"] == 6000 or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(c1["spindle_setpoint"]["value"], 6000)
        self.assertTrue(0 <= c1["spindle_speed"]["value"] <= 12000, c1)
        self.assertTrue(15 <= c1["spindle_temp"]["value"] <= 90, c1)
        self.assertIn(c1["state_code"]["value"], (0, 1, 2))
        # The thermal power plant's gas-fired boiler, behind its edge over Modbus, with its profile.
        boiler = devs["boiler-01"]
        self.assertEqual((boiler["protocol"], boiler["category"]), ("modbus-tcp", "running"))
        self.assertEqual(boiler["enterpriseId"], devs["redian-edge-gw"]["enterpriseId"])
        self.assertTrue(boiler["profileId"])
        bkeys = "burner_state,steam_pressure_mpa,drum_level_mm,flue_gas_temp_c,gas_flow_m3_h,efficiency_pct"
        deadline = time.time() + 10
        while len(b := self.latest(tok, boiler["id"], bkeys)) < 6 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(len(b), 6, b)
        self.assertIn(b["burner_state"]["value"], ("off", "purge", "firing", "alarm"))
        self.assertTrue(0 <= b["steam_pressure_mpa"]["value"] <= 1.25, b)
        self.assertTrue(abs(b["drum_level_mm"]["value"]) < 150, b)
        self.assertTrue(20 <= b["flue_gas_temp_c"]["value"] <= 200, b)
        comp = self.latest(tok, devs["compressor-01"]["id"], "pressure_mpa,running,power_kw")
        self.assertTrue(0 <= comp["pressure_mpa"]["value"] <= 1.0, comp)
        self.assertIn(comp["running"]["value"], (True, False))
        m = devs["meter-01"]["id"]
        mkeys = "energy_kwh,voltage_v,frequency_hz,power_kw,current_a"
        e1 = self.latest(tok, m, mkeys)
        self.assertEqual(len(e1), 5, e1)
        self.assertTrue(200 < e1["voltage_v"]["value"] < 260, e1)
        self.assertTrue(49.5 < e1["frequency_hz"]["value"] < 50.5, e1)
        self.assertTrue(e1["power_kw"]["value"] > 0, e1)
        self.assertGreater(e1["energy_kwh"]["value"], 10000)
        stack_id = devs["stack-monitor-01"]["id"]
        st1 = self.latest(tok, stack_id, "so2_mg_m3,nox_mg_m3,flow_m3_h,o2_pct")
        self.assertEqual(len(st1), 4, st1)
        self.assertTrue(0 < st1["o2_pct"]["value"] < 21, st1)
        # Energy only increases on the meters (DL/T 645 reads every 5 s), and everything moves.
        time.sleep(5.5)
        e2 = self.latest(tok, m, mkeys)
        self.assertGreater(e2["energy_kwh"]["ts"], e1["energy_kwh"]["ts"])
        self.assertGreaterEqual(e2["energy_kwh"]["value"], e1["energy_kwh"]["value"])
        c2 = self.latest(tok, cnc_id, keys)
        self.assertGreater(c2["spindle_temp"]["ts"], c1["spindle_temp"]["ts"])
        self.assertGreaterEqual(c2["part_count"]["value"], c1["part_count"]["value"])
        st2 = self.latest(tok, stack_id, "so2_mg_m3")
        self.assertGreater(st2["so2_mg_m3"]["ts"], st1["so2_mg_m3"]["ts"])

        # A restart keeps everything and provisions nothing twice; a data directory from before
        # the real protocols (protocol "sim", or any other) is corrected.
        st, body, _ = s.request("PATCH", f"/api/v1/devices/{cnc_id}", {"protocol": "mqtt"}, tok)
        self.assertEqual(st, 200, body)
        self.assertEqual(self.devices(tok)["cnc-01"]["protocol"], "mqtt")
        s.stop()
        s.start()
        tok = s.login("demo-admin", "kaiwu-demo-2024")
        st, ents, _ = s.request("GET", "/api/v1/enterprises", token=tok)
        self.assertEqual(len(ents["items"]), 8)
        after = self.devices(tok)
        self.assertEqual(len(after), len(devs))
        self.assertEqual({n: d["protocol"] for n, d in after.items()}, protocols)
        before = self.latest(tok, devs["cnc-01"]["id"], "spindle_speed")["spindle_speed"]["ts"]
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.latest(tok, devs["cnc-01"]["id"], "spindle_speed")["spindle_speed"]["ts"] > before:
                break
            time.sleep(0.2)
        else:
            self.fail("no telemetry after the restart: " + s.read_log())



class DemoBuiltinAppsTest(unittest.TestCase):
    """Every demo enterprise is subscribed to every built-in APP (plan free), once."""

    def test_every_enterprise_uses_every_builtin(self):
        tmp = tempfile.mkdtemp(prefix="kaiwu-demo-builtin-")
        probe = os.path.join(tmp, "probe")
        os.makedirs(probe)
        with open(os.path.join(probe, "manifest.json"), "w") as f:
            json.dump({"id": "kaiwu-probe", "version": "1.0.0", "name": {"zh": "探针", "en": "Probe"},
                       "domain": "quality", "publisher": "kaiwu", "origin": "self_built",
                       "form": "built_on_platform", "functions": [{"name": "hello"}],
                       "triggers": [{"type": "http", "function": "hello"}]}, f)
        with open(os.path.join(probe, "main.lua"), "w") as f:
            f.write("function hello(input, ctx) return {enterprise = ctx.enterpriseId} end\n")
        server = DemoServer(extra_sets=[f"apps.builtin_dir={tmp}"]).start()
        try:
            for attempt in range(2):  # a restart keeps the subscriptions, without duplicates
                tok = server.login("demo-admin", "kaiwu-demo-2024")
                st, subs, _ = server.request("GET", "/api/v1/apps/kaiwu-probe/subscriptions", token=tok)
                self.assertEqual(st, 200, subs)
                st, ents, _ = server.request("GET", "/api/v1/enterprises", token=tok)
                self.assertEqual(sorted(s["enterpriseId"] for s in subs["items"]),
                                 sorted(e["id"] for e in ents["items"]))
                self.assertEqual(len(subs["items"]), 8)
                self.assertEqual({s["plan"] for s in subs["items"]}, {"free"})
                if attempt == 0:
                    server.stop()
                    server.start()
        finally:
            server.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
