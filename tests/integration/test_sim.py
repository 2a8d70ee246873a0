"""`kaiwu sim` speaks the real protocols: an independent Modbus client (python3-pymodbus) reads
and writes the machines' registers per the documented map (src/sim/README.md), and
`kaiwu edge` running the shipped examples/edge.toml (ports changed only) brings the machines
(Modbus TCP), a meter (DL/T 645 over TCP) and the stack monitor (HJ 212) of the shipped
examples/sim.toml onto the platform with plausible, moving values."""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, KAIWU, Server, _die_with_parent, credit_code, free_port, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kaiwu-sim-it-")
        cls.procs = []
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "sim-it"}, admin)
        s.request("POST", "/api/v1/users", {"username": "sim-user", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, admin)
        cls.tok = s.login("sim-user", "password-1")
        st, ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "sim works", "industry": "机械",
                                                               "creditCode": credit_code("91320505MA1KWX001")}, cls.tok)
        assert st == 201, ent
        st, gw, _ = s.request("POST", "/api/v1/devices", {"name": "sim-gw", "enterpriseId": ent["id"],
                                                          "category": "other", "protocol": "mqtt",
                                                          "isGateway": True}, cls.tok)
        assert st == 201, gw
        cls.ports = {5020: free_port(), 5021: free_port(), 5022: free_port()}

        def localise(name):
            with open(os.path.join(ROOT, "examples", name)) as f:
                text = f.read()
            for fixed, port in cls.ports.items():
                text = text.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{port}")
            path = os.path.join(cls.tmp, name)
            with open(path, "w") as f:
                f.write(text.replace('shifts = "default"', 'shifts = "always"'))
            return path

        sim_toml, edge_toml = localise("sim.toml"), localise("edge.toml")
        cls.sim_log = os.path.join(cls.tmp, "sim.log")
        cls.edge_log = os.path.join(cls.tmp, "edge.log")
        for log, args in ((cls.edge_log, ["edge", "--config", edge_toml, "--data", cls.tmp,
                                          "--set", f"uplink.url=mqtt://127.0.0.1:{s.mqtt_port}",
                                          "--set", f"uplink.token={gw['accessToken']}"]),
                          (cls.sim_log, ["sim", "--config", sim_toml, "--data", cls.tmp])):
            with open(log, "ab") as out:
                cls.procs.append(subprocess.Popen([KAIWU] + args, stdout=out, stderr=subprocess.STDOUT,
                                                  preexec_fn=_die_with_parent))

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.terminate()
        for p in cls.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        cls.server.cleanup()
        if not os.environ.get("KAIWU_KEEP_DATA"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def logs(self):
        out = ""
        for p in (self.sim_log, self.edge_log):
            with open(p, errors="replace") as f:
                out += f"--- {p}\n" + f.read()[-4000:]
        return out

    def modbus(self):
        from pymodbus.client import ModbusTcpClient
        c = ModbusTcpClient("127.0.0.1", port=self.ports[5020], timeout=2)
        wait_for(c.connect, timeout=10, what="the sim's Modbus server")
        self.addCleanup(c.close)
        return c

    def test_pymodbus_reads_and_writes_the_register_map(self):
        c = self.modbus()
        for unit in (1, 2, 3):  # cnc-01 … cnc-03
            rr = c.read_holding_registers(0, 16, slave=unit)
            self.assertFalse(rr.isError(), rr)
            r = rr.registers
            speed, temp = r[0], struct.unpack(">h", struct.pack(">H", r[1]))[0] / 10
            parts, state_code = (r[2] << 16) | r[3], r[4]
            state = struct.pack(">4H", *r[12:16]).rstrip(b"\0").decode()
            self.assertTrue(0 <= speed <= 12000, r)
            self.assertTrue(15 <= temp <= 90, r)
            self.assertLess(parts, 100000)
            self.assertEqual(state, ["idle", "running", "fault"][state_code], r)
            self.assertEqual(r[10], 8000)  # spindle setpoint default
            if state == "running":
                self.assertGreater(speed, 1000, r)
        # boiler-01 (unit 5): burner state code and name agree, values within the boiler's ranges.
        b = c.read_holding_registers(0, 16, slave=5).registers
        signed = lambda r: struct.unpack(">h", struct.pack(">H", r))[0]
        burner = struct.pack(">4H", *b[12:16]).rstrip(b"\0").decode()
        self.assertEqual(burner, ["off", "purge", "firing", "alarm"][b[0]], b)
        self.assertTrue(0 <= b[1] / 1000 <= 1.25, b)           # steam pressure, MPa
        self.assertTrue(abs(signed(b[2]) / 10) < 150, b)        # drum level, mm
        self.assertTrue(20 <= signed(b[3]) / 10 <= 200, b)      # flue gas, °C
        self.assertTrue(0 <= b[5] / 1000 <= 4.0, b)             # steam flow, t/h
        if burner == "firing":
            self.assertTrue(60 < b[4] / 10 < 330 and 84 <= b[6] / 100 <= 94, b)
        else:
            self.assertEqual((b[4], b[6]), (0, 0), b)
        comp = c.read_holding_registers(0, 9, slave=4).registers
        self.assertTrue(0 <= comp[2] / 1000 <= 1.0, comp)  # pressure, MPa
        self.assertIn(comp[0] & 1, (0, 1))
        # A write of the setpoint reaches the machine and stays (the factory keeps it).
        self.assertFalse(c.write_register(10, 7000, slave=2).isError())
        time.sleep(1.2)  # one simulator tick rewrites the map from the factory
        self.assertEqual(c.read_holding_registers(10, 1, slave=2).registers, [7000])
        # Unknown unit: exception 0x0B (gateway target failed to respond), not silence.
        self.assertTrue(c.read_holding_registers(0, 1, slave=99).isError())

    def test_edge_example_brings_every_protocol_to_the_platform(self):
        s, tok = self.server, self.tok

        def devices():
            _, page, _ = s.request("GET", "/api/v1/devices?limit=100", token=tok)
            return {d["name"]: d for d in page["items"]}

        def latest(name, keys):
            dev = devices().get(name)
            if not dev:
                return {}
            _, body, _ = s.request("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys={keys}", token=tok)
            return body if len(body) == len(keys.split(",")) else {}

        wanted = {"cnc-01": "spindle_speed,spindle_temp,part_count,state",
                  "compressor-01": "running,pressure_mpa,power_kw",
                  "boiler-01": "burner_state,steam_pressure_mpa,drum_level_mm,flue_gas_temp_c,efficiency_pct",
                  "meter-01": "energy_kwh,power_kw,voltage_v",
                  "stack-monitor-01": "so2_mg_m3,nox_mg_m3,dust_mg_m3"}
        first = {}
        for name, keys in wanted.items():
            first[name] = wait_for(lambda: latest(name, keys), timeout=20, interval=0.2,
                                   what=f"{name} telemetry\n{self.logs()}")
        cnc, comp, boiler, meter, stack = (first[n] for n in wanted)
        self.assertIn(boiler["burner_state"]["value"], ("off", "purge", "firing", "alarm"))
        self.assertTrue(0 <= boiler["steam_pressure_mpa"]["value"] <= 1.25, boiler)
        self.assertTrue(20 <= boiler["flue_gas_temp_c"]["value"] <= 200, boiler)
        self.assertIn(cnc["state"]["value"], ("idle", "running", "fault"))
        self.assertTrue(0 <= cnc["spindle_speed"]["value"] <= 12000, cnc)
        self.assertTrue(0 <= comp["pressure_mpa"]["value"] <= 1.0, comp)
        self.assertIn(comp["running"]["value"], (True, False))
        self.assertTrue(200 < meter["voltage_v"]["value"] < 260, meter)
        self.assertGreater(meter["energy_kwh"]["value"], 10000)
        self.assertGreater(meter["power_kw"]["value"], 0)
        self.assertGreater(stack["so2_mg_m3"]["value"], 0)
        # Values move: newer timestamps, energy never decreases.
        later = wait_for(lambda: (lambda m: m if m and m["energy_kwh"]["ts"] > meter["energy_kwh"]["ts"] else None)(
            latest("meter-01", "energy_kwh")), timeout=12, interval=0.5, what="a second meter reading")
        self.assertGreaterEqual(later["energy_kwh"]["value"], meter["energy_kwh"]["value"])
        wait_for(lambda: (lambda c: c and c["spindle_temp"]["ts"] > cnc["spindle_temp"]["ts"])(
            latest("cnc-01", "spindle_temp")), timeout=10, interval=0.2, what="a newer CNC reading")
        # Not asserted: the devices' categories. The gateway API handles connect and telemetry on
        # a pool, so a device first seen in telemetry is created as "other" (reported to the lead).


    def replay(self, seed, minutes):
        path = os.path.join(self.tmp, f"replay-{seed}.toml")
        with open(path, "w") as f:
            f.write(f"seed = {seed}\n[devices]\nboilers = 2\n")
        out = subprocess.run([KAIWU, "sim", "--config", path, "--replay-from", "1704672000000",  # Mon 08:00 +8
                              "--replay-minutes", str(minutes)], capture_output=True, timeout=120, check=True)
        return [json.loads(line) for line in out.stdout.decode().splitlines()]

    def test_boiler_is_plausible_and_deterministic_for_a_seed(self):
        a, b, c = self.replay(7, 24 * 60), self.replay(7, 24 * 60), self.replay(8, 24 * 60)
        self.assertEqual(len(a), 24 * 60)
        self.assertEqual(a, b)  # same seed, same day
        self.assertNotEqual([m["devices"]["boiler-01"] for m in a], [m["devices"]["boiler-01"] for m in c])
        self.assertNotEqual([m["devices"]["boiler-01"] for m in a], [m["devices"]["boiler-02"] for m in a])
        states, total = set(), 0
        for m in a:
            for name in ("boiler-01", "boiler-02"):
                v = m["devices"][name]
                states.add(v["burner_state"])
                self.assertEqual(v["burner_state"], ["off", "purge", "firing", "alarm"][v["burner_state_code"]])
                self.assertTrue(0 <= v["steam_pressure_mpa"] <= 1.2, v)
                self.assertLess(abs(v["drum_level_mm"]), 150, v)
                self.assertTrue(20 <= v["flue_gas_temp_c"] <= 200, v)
                self.assertTrue(0 <= v["steam_flow_t_h"] <= 4.0, v)
                if v["burner_state"] == "firing":
                    self.assertTrue(60 < v["gas_flow_m3_h"] < 330 and 84 <= v["efficiency_pct"] <= 94, v)
                else:
                    self.assertEqual((v["gas_flow_m3_h"], v["efficiency_pct"]), (0, 0), v)
            g = m["devices"]["boiler-01"]["gas_total_m3"]
            self.assertGreaterEqual(g, total)
            total = g
        # Firing by day, cycling on pressure at night's low load.
        self.assertTrue({"firing", "off"} <= states, states)
        day = [m["devices"]["boiler-01"] for m in a[60:180]]  # 09:00-11:00
        self.assertGreater(sum(v["steam_flow_t_h"] for v in day) / len(day), 1.8)


if __name__ == "__main__":
    unittest.main()
