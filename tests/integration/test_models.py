"""Industrial models over REST against the real binary: the public built-in catalogue and its MIIT
counts, uploading a Lua model (validation errors by JSON pointer, versions, deprecation),
invoking built-ins inline and on a device's series ingested over MQTT and HTTP (numbers checked
with python's statistics module), API-key invocation, write-back as derived telemetry, tenant
isolation, bad-input (400) and failing-model (422) errors."""

import json
import math
import os
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, setup_tenant  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402  (python3-paho-mqtt)

BUILTINS = 13
LUA = """
local s = 0
for _, v in ipairs(inputs.heat) do s = s + v end
return {efficiency = params.scale * (s / #inputs.heat) / inputs.fuel, label = "ok"}
"""


def manifest(model_id, version="1.0.0", script=LUA, **extra):
    m = {
        "id": model_id, "version": version,
        "name": {"zh": "锅炉效率", "en": "Boiler efficiency"},
        "description": {"zh": "热效率", "en": "thermal efficiency"},
        "type": "mechanism",
        "inputs": [{"name": "heat", "type": "series", "unit": "kW"}, {"name": "fuel", "type": "number", "unit": "kW"}],
        "outputs": [{"name": "efficiency", "type": "number", "unit": "%"}, {"name": "label", "type": "string"}],
        "parameters": [{"name": "scale", "type": "number", "unit": "", "default": 100, "min": 0, "max": 1000}],
        "author": "acme", "publisher": "Acme Energy", "tags": ["boiler"], "industries": ["电力"],
        "implementation": {"kind": "lua", "script": script},
    }
    m.update(extra)
    return m


class ModelsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.admin = cls.server.login("admin", ADMIN_PASSWORD)
        cls.tenant, cls.tok, cls.ent, cls.dev = setup_tenant(cls.server, cls.admin, "models", "pump-1", industry="机械", code="91320000MA1MDLX0A")
        cls.other, cls.other_tok, cls.other_ent, cls.other_dev = setup_tenant(cls.server, cls.admin, "rival", "pump-1", industry="机械", code="91320000MA1MDLX0B")
        cls.base = int(time.time() * 1000) - 600_000
        cls.vib = [12.5, 13.1, 11.8, 14.2, 12.9, 13.6, 12.2, 15.0, 13.3, 12.7, 11.9, 14.8]
        cls.publish_mqtt(cls.dev, [{"ts": cls.base + i * 1000, "values": {"vib": v}} for i, v in enumerate(cls.vib)])
        # A second key over the device HTTP API.
        cls.flow = [3.5, 4.0, 4.5, 5.0, 5.5, 6.0]
        status, _, _ = cls.server.request("POST", f"/api/v1/{cls.dev['accessToken']}/telemetry",
                                          [{"ts": cls.base + i * 60_000, "values": {"flow": v}}
                                           for i, v in enumerate(cls.flow)])
        assert status == 200, status
        cls.publish_mqtt(cls.other_dev, [{"ts": cls.base, "values": {"vib": 99.0}}])

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def publish_mqtt(cls, dev, payload):
        c = mqtt.Client(client_id=f"dev-{dev['id']}", protocol=mqtt.MQTTv311)
        c.username_pw_set(dev["accessToken"])
        c.connect("127.0.0.1", cls.server.mqtt_port, keepalive=30)
        c.loop_start()
        try:
            c.publish("v1/devices/me/telemetry", json.dumps(payload), qos=1).wait_for_publish(10)
        finally:
            c.disconnect()
            c.loop_stop()

    def req(self, method, path, body=None, expect=200, token=None):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def invoke(self, model_id, body, expect=200, token=None):
        return self.req("POST", f"/api/v1/models/{model_id}/invoke", body, expect, token)

    def test_catalogue_lists_public_builtins_and_counts(self):
        lst = self.req("GET", "/api/v1/models?limit=1000&public=true")
        ids = {m["id"] for m in lst["items"]}
        self.assertEqual(len(ids), BUILTINS)
        self.assertIn("kaiwu.spectrum.fft", ids)
        self.assertTrue(all(m["public"] for m in lst["items"]))
        sim = self.req("GET", "/api/v1/models?type=research_simulation")
        self.assertEqual({m["id"] for m in sim["items"]}, {"kaiwu.sim.thermal", "kaiwu.sim.spring_mass_damper"})
        page = self.req("GET", "/api/v1/models?limit=5&public=true")
        self.assertEqual(len(page["items"]), 5)
        rest = self.req("GET", f"/api/v1/models?limit=1000&public=true&cursor={page['next']}")
        self.assertEqual(len(rest["items"]), BUILTINS - 5)
        self.assertFalse({m["id"] for m in page["items"]} & {m["id"] for m in rest["items"]})
        self.assertEqual({m["id"] for m in page["items"]} | {m["id"] for m in rest["items"]}, ids)
        counts = self.req("GET", "/api/v1/models/counts", token=self.other_tok)
        self.assertEqual(counts["total"], BUILTINS)  # the rival tenant uploads nothing
        self.assertEqual(set(counts["byType"]), {"research_simulation", "business_process", "mechanism", "data_algorithm"})
        self.assertEqual(counts["labels"]["business_process"], "业务流程")
        self.assertEqual(counts["byType"]["research_simulation"], 2)
        one = self.req("GET", "/api/v1/models/kaiwu.reliability.weibull")
        self.assertEqual(one["manifest"]["implementation"]["kernel"], "reliability.weibull")
        self.assertEqual(one["typeLabel"], "行业机理")
        self.req("GET", "/api/v1/models/kaiwu.nope", expect=404)
        self.req("GET", "/api/v1/models?type=magic", expect=400)

    def test_descriptive_statistics_inline_match_python(self):
        x = [2.5, 3.1, 4.7, 1.2, 5.5, 3.3, 2.8, 4.1, 3.9, 2.2, 7.75]
        out = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": x},
                                                       "parameters": {"quantiles": [0.1, 0.5, 0.9]}})["outputs"]
        self.assertEqual(out["count"], len(x))
        self.assertAlmostEqual(out["mean"], statistics.fmean(x), places=12)
        self.assertAlmostEqual(out["stdevSample"], statistics.stdev(x), places=12)
        self.assertAlmostEqual(out["stdevPopulation"], statistics.pstdev(x), places=12)
        self.assertAlmostEqual(out["varianceSample"], statistics.variance(x), places=12)
        self.assertAlmostEqual(out["median"], statistics.median(x), places=12)
        qs = statistics.quantiles(x, n=10, method="inclusive")
        for got, want in zip(out["quantiles"], [qs[0], qs[4], qs[8]]):
            self.assertAlmostEqual(got, want, places=12)

    def test_builtins_fft_regression_spc_workflow(self):
        fs, n = 1024, 1024
        sig = [1.5 * math.sin(2 * math.pi * 120 * i / fs) + 0.5 * math.sin(2 * math.pi * 300 * i / fs) for i in range(n)]
        out = self.invoke("kaiwu.spectrum.fft", {"inputs": {"x": sig}, "parameters": {
            "sampleRate": fs, "window": "none", "bands": [100, 200, 250, 350]}})["outputs"]
        self.assertAlmostEqual(out["peakFrequency"], 120.0)
        self.assertAlmostEqual(out["peakAmplitude"], 1.5, places=9)
        self.assertAlmostEqual(out["bandEnergy"][0], 1.5 ** 2 / 2, places=9)
        self.assertAlmostEqual(out["bandEnergy"][1], 0.5 ** 2 / 2, places=9)
        xs, ys = [1, 2, 3, 4, 5, 6], [2.1, 3.9, 6.2, 7.8, 10.1, 12.2]
        lr = self.invoke("kaiwu.regression.linear", {"inputs": {"x": xs, "y": ys}})["outputs"]
        ref = statistics.linear_regression(xs, ys)
        self.assertAlmostEqual(lr["slope"], ref.slope, places=12)
        self.assertAlmostEqual(lr["intercept"], ref.intercept, places=12)
        self.assertAlmostEqual(lr["r2"], statistics.correlation(xs, ys) ** 2, places=12)
        data = [10.1, 9.9, 10.0, 10.2, 9.8, 10.1, 10.0, 9.9, 10.3, 9.7]
        spc = self.invoke("kaiwu.spc.chart", {"inputs": {"x": data}, "parameters": {"chart": "xbar_r", "subgroupSize": 5}})
        ranges = [max(data[i:i + 5]) - min(data[i:i + 5]) for i in (0, 5)]
        rbar = statistics.fmean(ranges)
        self.assertAlmostEqual(spc["outputs"]["center"], statistics.fmean(data), places=12)
        self.assertAlmostEqual(spc["outputs"]["ucl"], statistics.fmean(data) + 0.577 * rbar, places=12)
        self.assertAlmostEqual(spc["outputs"]["dispersionUcl"], 2.114 * rbar, places=12)
        wf = self.invoke("kaiwu.process.work_order", {"inputs": {"severity": 2, "cost": 1200, "spareInStock": False}})
        self.assertEqual(wf["outputs"]["state"], "closed")
        self.assertEqual(wf["outputs"]["path"], "created>triaged>approved>waiting_parts>closed")
        self.assertEqual(wf["outputs"]["priority"], 2)
        th = self.invoke("kaiwu.sim.thermal", {"inputs": {"T0": 20}, "parameters": {"duration": 300, "h": 1}})
        self.assertAlmostEqual(th["outputs"]["Tfinal"], 20 + 50 - 50 * math.exp(-300 / 500), places=6)
        self.assertEqual(len(th["outputs"]["T"]), 301)

    def test_upload_validate_version_deprecate(self):
        bad = manifest("acme.bad", version="1.0", type="magic")
        bad["inputs"][1]["type"] = "matrix"
        err = self.req("POST", "/api/v1/models", {"manifest": bad}, expect=400)
        self.assertIn("/version: must be a semantic version", err["error"]["message"])
        self.assertIn("/inputs/1/type", err["error"]["message"])
        v = self.req("POST", "/api/v1/models/validate", {"manifest": manifest("acme.bad", script="return {")})
        self.assertFalse(v["valid"])
        self.assertEqual(v["errors"][0]["pointer"], "/implementation/script")
        self.assertIn("line", v["errors"][0]["message"])
        self.req("POST", "/api/v1/models", {"manifest": manifest("kaiwu.mine")}, expect=400)
        before = self.req("GET", "/api/v1/models/counts")["byType"]["mechanism"]
        created = self.req("POST", "/api/v1/models", {"manifest": manifest("acme.boiler.eff")}, expect=201)
        self.assertFalse(created["public"])
        self.assertEqual(created["tenantId"], self.tenant["id"])
        self.assertEqual(self.req("GET", "/api/v1/models/counts")["byType"]["mechanism"], before + 1)
        self.req("POST", "/api/v1/models", {"manifest": manifest("acme.boiler.eff")}, expect=409)
        v2 = manifest("acme.boiler.eff", version="1.1.0",
                      script=LUA.replace('label = "ok"', 'label = "v2"'))
        self.req("POST", "/api/v1/models/acme.boiler.eff/versions", {"manifest": v2}, expect=201)
        self.req("POST", "/api/v1/models/acme.other/versions", {"manifest": v2}, expect=400)
        versions = self.req("GET", "/api/v1/models/acme.boiler.eff/versions")
        self.assertEqual([m["version"] for m in versions["items"]], ["1.1.0", "1.0.0"])
        body = {"inputs": {"heat": [80, 90, 100], "fuel": 100}}
        self.assertEqual(self.invoke("acme.boiler.eff", body)["outputs"], {"efficiency": 90, "label": "v2"})
        old = self.invoke("acme.boiler.eff", dict(body, version="1.0.0"))
        self.assertEqual(old["version"], "1.0.0")
        self.assertEqual(old["outputs"]["label"], "ok")
        dep = self.req("POST", "/api/v1/models/acme.boiler.eff/deprecate", {})
        self.assertTrue(dep["deprecated"])
        ids = {m["id"] for m in self.req("GET", "/api/v1/models?public=false")["items"]}
        self.assertNotIn("acme.boiler.eff", ids)
        ids = {m["id"] for m in self.req("GET", "/api/v1/models?public=false&deprecated=true")["items"]}
        self.assertIn("acme.boiler.eff", ids)
        self.req("POST", "/api/v1/models/kaiwu.stats.descriptive/deprecate", {}, expect=403)

    def test_tenant_isolation(self):
        self.req("POST", "/api/v1/models", {"manifest": manifest("acme.secret")}, expect=201)
        self.req("GET", "/api/v1/models/acme.secret", token=self.other_tok, expect=404)
        self.invoke("acme.secret", {"inputs": {"heat": [1], "fuel": 1}}, expect=404, token=self.other_tok)
        ids = {m["id"] for m in self.req("GET", "/api/v1/models?limit=1000", token=self.other_tok)["items"]}
        self.assertNotIn("acme.secret", ids)
        # Another tenant's device cannot be read through a series binding.
        self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": {"series": {
            "deviceId": self.other_dev["id"], "key": "vib", "from": 0, "to": self.base + 10**8}}}}, expect=404)
        # The platform counts every tenant's models plus the public ones.
        total = self.req("GET", "/api/v1/models/counts", token=self.admin)["total"]
        self.assertGreaterEqual(total, BUILTINS + 1)

    def test_series_binding_raw_and_aggregated(self):
        series = {"deviceId": self.dev["id"], "key": "vib", "from": self.base, "to": self.base + 60_000}
        out = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": {"series": series}}})["outputs"]
        self.assertEqual(out["count"], len(self.vib))
        self.assertAlmostEqual(out["mean"], statistics.fmean(self.vib), places=12)
        self.assertAlmostEqual(out["stdevSample"], statistics.stdev(self.vib), places=12)
        vib = self.invoke("kaiwu.vibration.features", {"inputs": {"x": {"series": series}}})["outputs"]
        rms = math.sqrt(statistics.fmean([v * v for v in self.vib]))
        self.assertAlmostEqual(vib["rms"], rms, places=12)
        self.assertAlmostEqual(vib["crestFactor"], max(self.vib) / rms, places=12)
        # 4-second buckets of averages.
        agg = dict(series, agg="avg", interval=4000)
        out = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": {"series": agg}}})["outputs"]
        # Buckets align to multiples of the interval, so group the samples the same way.
        buckets = {}
        for i, v in enumerate(self.vib):
            ts = self.base + i * 1000
            buckets.setdefault(ts - ts % 4000, []).append(v)
        means = [statistics.fmean(b) for _, b in sorted(buckets.items())]
        self.assertEqual(out["count"], len(means))
        self.assertAlmostEqual(out["mean"], statistics.fmean(means), places=9)
        flow = {"deviceId": self.dev["id"], "key": "flow", "from": self.base, "to": self.base + 3_600_000}
        lin = self.invoke("kaiwu.regression.linear", {"inputs": {"x": [0, 1, 2, 3, 4, 5], "y": {"series": flow}}})
        self.assertAlmostEqual(lin["outputs"]["slope"], 0.5, places=12)
        self.assertAlmostEqual(lin["outputs"]["intercept"], 3.5, places=12)

    def test_api_key_invocation_and_write_back(self):
        _, key, _ = self.server.request("POST", "/api/v1/apikeys", {"name": "mes", "enterpriseId": self.ent["id"],
                                                                     "role": "engineer"}, self.tok)
        ts = self.base + 120_000
        series = {"deviceId": self.dev["id"], "key": "vib", "from": self.base, "to": self.base + 60_000}
        out = self.invoke("kaiwu.stats.descriptive", {
            "inputs": {"x": {"series": series}},
            "writeBack": {"deviceId": self.dev["id"], "outputs": {"mean": "vib_mean", "max": "vib_max"}, "ts": ts}},
            token=key["key"])
        self.assertEqual(out["writtenBack"], 2)
        status, latest, _ = self.server.request("GET", f"/api/v1/devices/{self.dev['id']}/telemetry/latest?keys=vib_mean,vib_max",
                                                headers={"Authorization": "Token " + key["key"]})
        self.assertEqual(status, 200)
        self.assertAlmostEqual(latest["vib_mean"]["value"], statistics.fmean(self.vib), places=12)
        self.assertEqual(latest["vib_mean"]["ts"], ts)
        self.assertEqual(latest["vib_max"]["value"], max(self.vib))
        # Writing back onto another tenant's device is refused and writes nothing there.
        self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1, 2]},
                                                "writeBack": {"deviceId": self.other_dev["id"], "outputs": ["mean"]}},
                    expect=404, token=key["key"])
        self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1, 2]},
                                                "writeBack": {"deviceId": self.dev["id"], "outputs": ["quantiles"]}},
                    expect=400, token=key["key"])
        # Without credentials nothing runs.
        status, _, _ = self.server.request("POST", "/api/v1/models/kaiwu.stats.descriptive/invoke", {"inputs": {"x": [1]}})
        self.assertEqual(status, 401)

    def test_bad_inputs_are_400_and_model_failures_422(self):
        e = self.invoke("kaiwu.stats.descriptive", {"inputs": {}}, expect=400)
        self.assertEqual(e["error"]["message"], "inputs.x: is required")
        e = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": "abc"}}, expect=400)
        self.assertIn("inputs.x", e["error"]["message"])
        e = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1, "a"]}}, expect=400)
        self.assertIn("inputs.x[1]", e["error"]["message"])
        e = self.invoke("kaiwu.anomaly.ewma", {"inputs": {"x": [1, 2]}, "parameters": {"alpha": 5}}, expect=400)
        self.assertIn("parameters.alpha", e["error"]["message"])
        e = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1], "y": [2]}}, expect=400)
        self.assertIn("inputs.y", e["error"]["message"])
        e = self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": {"series": {"deviceId": self.dev["id"], "key": "vib"}}}},
                        expect=400)
        self.assertIn("inputs.x.series.from", e["error"]["message"])
        self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1]}, "version": "9.9.9"}, expect=404)
        self.invoke("acme.unknown", {"inputs": {}}, expect=404)
        self.req("POST", "/api/v1/models", {"manifest": manifest("acme.crash", script="local t = nil\nreturn t.x")},
                 expect=201)
        e = self.invoke("acme.crash", {"inputs": {"heat": [1], "fuel": 1}}, expect=422)
        self.assertEqual(e["error"]["code"], "model_error")
        self.assertIn("line 2", e["error"]["message"])
        self.req("POST", "/api/v1/models", {"manifest": manifest("acme.spin", script="while true do end")}, expect=201)
        e = self.invoke("acme.spin", {"inputs": {"heat": [1], "fuel": 1}}, expect=422)
        self.assertIn("limit exceeded", e["error"]["message"])
        self.req("POST", "/api/v1/models", {"manifest": manifest("acme.os", script="return {efficiency = os.execute('id')}")},
                 expect=201)
        self.invoke("acme.os", {"inputs": {"heat": [1], "fuel": 1}}, expect=422)
        # The server is still fine.
        self.invoke("kaiwu.stats.descriptive", {"inputs": {"x": [1, 2, 3]}})

    def test_openapi_documents_model_routes(self):
        doc = self.req("GET", "/api/v1/openapi.json")
        for path, method in [("/api/v1/models", "get"), ("/api/v1/models", "post"), ("/api/v1/models/counts", "get"),
                             ("/api/v1/models/{id}/invoke", "post"), ("/api/v1/models/{id}/versions", "post"),
                             ("/api/v1/models/{id}/deprecate", "post"), ("/api/v1/models/validate", "post")]:
            self.assertIn(method, doc["paths"][path], path)


if __name__ == "__main__":
    unittest.main()
