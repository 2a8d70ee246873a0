"""Rule chains over REST against the real binary: create, validate (every problem named, script
line numbers), versions, enable/disable, dry-run with real device attributes and recorded (not
executed) actions, roles and tenant isolation, audit, persistence across a restart."""

import json
import os
import queue
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, setup_tenant  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402  (python3-paho-mqtt)

CHAIN = {
    "root": "only-temp",
    "nodes": [
        {"id": "only-temp", "type": "filter", "params": {"keys": ["temp"]}, "next": {"True": ["f"]}},
        {"id": "f", "type": "script_transform",
         "params": {"script": "msg.data.tempF = msg.data.temp * 9 / 5 + 32\nreturn msg"},
         "next": {"Success": ["enrich"], "Failure": ["log"]}},
        {"id": "enrich", "type": "enrich_attributes", "params": {"server": ["limit"]},
         "next": {"Success": ["hot"]}},
        {"id": "hot", "type": "threshold", "params": {"key": "temp", "high": 80, "hysteresis": 5},
         "next": {"Raised": ["alarm", "fan", "derived"], "Cleared": ["clear"]}},
        {"id": "alarm", "type": "create_alarm", "params": {"alarmType": "HighTemp", "severity": "major"}},
        {"id": "clear", "type": "clear_alarm", "params": {"alarmType": "HighTemp"}},
        {"id": "fan", "type": "rpc", "params": {"method": "setFan", "params": {"on": True}}},
        {"id": "derived", "type": "write_telemetry", "params": {"keys": ["tempF"]}},
        {"id": "log", "type": "log", "params": {"level": "warn", "message": "bad data from ${deviceName}"}},
    ],
}


class RuleChainRestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.admin = cls.server.login("admin", ADMIN_PASSWORD)
        cls.tenant, cls.tok, cls.ent, cls.dev = setup_tenant(cls.server, cls.admin, "rules", "boiler-1")
        cls.other_tenant, cls.other_tok, _, cls.other_dev = setup_tenant(cls.server, cls.admin, "xtenant", "boiler-1")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def req(self, method, path, body=None, expect=200, token=None):
        status, data, _ = self.server.request(method, path, body, token=token or self.tok)
        self.assertEqual(status, expect, f"{method} {path}: {data}")
        return data

    def create(self, name, definition=CHAIN, **extra):
        return self.req("POST", "/api/v1/rulechains", {"name": name, "definition": definition, **extra}, 201)

    def test_create_get_update_versions_delete(self):
        c = self.create("boilers", description="boiler protection")
        self.assertEqual(c["version"], 1)
        self.assertFalse(c["enabled"])
        self.assertEqual(c["tenantId"], self.tenant["id"])
        self.assertEqual(c["definition"], CHAIN)
        self.assertEqual(c["updatedBy"], "rules-adm")

        changed = dict(CHAIN)
        changed["nodes"] = [dict(n) for n in CHAIN["nodes"]]
        changed["nodes"][3] = dict(changed["nodes"][3], params={"key": "temp", "high": 90, "hysteresis": 5})
        v2 = self.req("PUT", f"/api/v1/rulechains/{c['id']}", {"definition": changed})
        self.assertEqual(v2["version"], 2)
        self.assertEqual(v2["definition"]["nodes"][3]["params"]["high"], 90)
        self.assertEqual(v2["name"], "boilers")
        self.assertEqual(self.req("GET", f"/api/v1/rulechains/{c['id']}")["version"], 2)
        v1 = self.req("GET", f"/api/v1/rulechains/{c['id']}?version=1")
        self.assertEqual(v1["definition"]["nodes"][3]["params"]["high"], 80)
        versions = self.req("GET", f"/api/v1/rulechains/{c['id']}/versions")["items"]
        self.assertEqual([v["version"] for v in versions], [2, 1])
        self.req("GET", f"/api/v1/rulechains/{c['id']}?version=7", expect=404)

        listed = self.req("GET", "/api/v1/rulechains?q=boil")["items"]
        self.assertEqual([x["id"] for x in listed], [c["id"]])
        dup = self.req("POST", "/api/v1/rulechains", {"name": "boilers", "definition": CHAIN}, 409)
        self.assertEqual(dup["error"]["code"], "already_exists")

        self.req("DELETE", f"/api/v1/rulechains/{c['id']}", expect=204)
        self.req("GET", f"/api/v1/rulechains/{c['id']}", expect=404)
        audit = self.req("GET", f"/api/v1/audit?objectType=rulechain&objectId={c['id']}")["items"]
        self.assertEqual(sorted(a["action"] for a in audit), ["create", "delete", "update"])

    def test_validation_reports_every_problem(self):
        bad = {"nodes": [
            {"id": "a", "type": "nope", "next": {"True": ["ghost"]}},
            {"id": "t", "type": "threshold", "params": {"key": "temp", "high": "hot"}},
            {"id": "s", "type": "script_filter", "params": {"script": "local x = 1\nif x then\nreturn true"}},
            {"id": "l", "type": "log", "next": {"Success": ["l"]}},
        ]}
        out = self.req("POST", "/api/v1/rulechains/validate", {"definition": bad})
        self.assertFalse(out["valid"])
        text = "\n".join(out["errors"])
        self.assertIn('node "a": unknown type "nope"', text)
        self.assertIn('node "a": next.True refers to unknown node "ghost"', text)
        self.assertIn('node "t": params.high: must be a number', text)
        self.assertIn('node "s": params.script: line 3: \'end\' expected', text)
        self.assertIn("cycle: l → l", text)
        self.assertEqual(self.req("POST", "/api/v1/rulechains/validate", {"definition": CHAIN}),
                         {"valid": True, "errors": []})
        err = self.req("POST", "/api/v1/rulechains", {"name": "broken", "definition": bad}, 400)
        self.assertEqual(err["error"]["code"], "invalid_argument")
        self.assertIn("params.high: must be a number", err["error"]["message"])
        self.req("POST", "/api/v1/rulechains", {"name": "x", "definition": CHAIN, "bogus": 1}, 400)
        self.req("POST", "/api/v1/rulechains/validate", {"definition": "nodes"}, 200)

    def test_enable_disable(self):
        c = self.create("switchable")
        on = self.req("POST", f"/api/v1/rulechains/{c['id']}/enable")
        self.assertTrue(on["enabled"])
        self.assertEqual([x["id"] for x in self.req("GET", "/api/v1/rulechains?enabled=true")["items"]], [c["id"]])
        metrics = self.server.request("GET", "/metrics")[1]
        self.assertIn("kaiwu_rules_chains 1", metrics)
        off = self.req("POST", f"/api/v1/rulechains/{c['id']}/disable")
        self.assertFalse(off["enabled"])
        self.assertIn("kaiwu_rules_chains 0", self.server.request("GET", "/metrics")[1])
        self.req("DELETE", f"/api/v1/rulechains/{c['id']}", expect=204)

    def test_dry_run_traces_nodes_and_records_actions(self):
        c = self.create("dry")
        self.req("POST", f"/api/v1/devices/{self.dev['id']}/attributes/server", {"limit": 75}, 204)
        out = self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun",
                       {"message": {"deviceId": self.dev["id"], "ts": 1700000000000, "data": {"temp": 91.5}}})
        self.assertEqual(out["chainId"], c["id"])
        self.assertEqual(out["version"], 1)
        steps = out["steps"]
        self.assertEqual([s["nodeId"] for s in steps],
                         ["only-temp", "f", "enrich", "hot", "alarm", "fan", "derived"])
        self.assertEqual([s["relation"] for s in steps],
                         ["True", "Success", "Success", "Raised", "Success", "Success", "Success"])
        self.assertEqual(steps[0]["input"]["deviceName"], "boiler-1")
        self.assertAlmostEqual(steps[1]["output"]["data"]["tempF"], 196.7)
        self.assertEqual(steps[2]["output"]["metadata"]["ss_limit"], "75")
        self.assertEqual(steps[3]["next"], ["alarm", "fan", "derived"])
        kinds = [a["kind"] for a in out["actions"]]
        self.assertEqual(kinds, ["raise_alarm", "send_rpc", "write_telemetry"])
        alarm = out["actions"][0]["detail"]
        self.assertEqual((alarm["type"], alarm["severity"], alarm["deviceId"]), ("HighTemp", "major", self.dev["id"]))
        self.assertEqual(out["actions"][1]["detail"]["method"], "setFan")
        self.assertEqual(out["actions"][2]["detail"]["values"], {"tempF": 196.7})
        # Nothing was executed: no derived telemetry was written.
        latest = self.req("GET", f"/api/v1/devices/{self.dev['id']}/telemetry/latest?keys=tempF")
        self.assertNotIn("tempF", latest)

        # A script error is a Failure with its line number; the chain routes it to the log node.
        out = self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun",
                       {"message": {"deviceId": self.dev["id"], "data": {"temp": "hot"}}})
        self.assertEqual(out["steps"][1]["relation"], "Failure")
        self.assertTrue(out["steps"][1]["error"].startswith("line 1:"), out["steps"][1]["error"])
        self.assertIsNone(out["steps"][1]["output"])
        self.assertEqual(out["actions"][0]["kind"], "log")
        self.assertIn("bad data from boiler-1", out["actions"][0]["detail"]["text"])

        # A definition in the body is tried instead of the stored one; an escape attempt fails cleanly.
        trial = {"nodes": [{"id": "s", "type": "script_filter",
                            "params": {"script": "return os.execute('id') == 0"}}]}
        out = self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun",
                       {"definition": trial, "message": {"data": {"x": 1}}})
        self.assertEqual(out["steps"][0]["relation"], "Failure")
        self.assertIn("line 1:", out["steps"][0]["error"])
        loop = {"nodes": [{"id": "s", "type": "script_filter", "params": {"script": "while true do end"}}]}
        out = self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun", {"definition": loop, "message": {}})
        self.assertIn("instruction limit exceeded", out["steps"][0]["error"])
        self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun", {"message": {"data": {"x": [1]}}}, 400)
        self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun", {}, 400)
        # Another tenant's device does not exist for this chain.
        self.req("POST", f"/api/v1/rulechains/{c['id']}/dryrun",
                 {"message": {"deviceId": self.other_dev["id"], "data": {"temp": 1}}}, 404)

    def test_tenant_isolation_and_roles(self):
        c = self.create("private")
        for method, path, body in [("GET", f"/api/v1/rulechains/{c['id']}", None),
                                   ("PUT", f"/api/v1/rulechains/{c['id']}", {"definition": CHAIN}),
                                   ("POST", f"/api/v1/rulechains/{c['id']}/enable", None),
                                   ("POST", f"/api/v1/rulechains/{c['id']}/dryrun", {"message": {}}),
                                   ("DELETE", f"/api/v1/rulechains/{c['id']}", None)]:
            status, data, _ = self.server.request(method, path, body, self.other_tok)
            self.assertEqual(status, 404, f"{method} {path}: {data}")
        self.assertEqual(self.req("GET", "/api/v1/rulechains", token=self.other_tok)["items"], [])
        # Platform admins name the tenant.
        mine = self.req("GET", f"/api/v1/rulechains?tenantId={self.tenant['id']}", token=self.admin)["items"]
        self.assertIn(c["id"], [x["id"] for x in mine])
        self.req("POST", "/api/v1/rulechains", {"name": "p", "definition": CHAIN}, 400, token=self.admin)
        made = self.req("POST", "/api/v1/rulechains",
                        {"name": "by-platform", "definition": CHAIN, "tenantId": self.other_tenant["id"]}, 201,
                        token=self.admin)
        self.assertEqual(made["tenantId"], self.other_tenant["id"])
        # Engineers may not write chains (they act on every device of the tenant).
        self.req("POST", "/api/v1/users", {"username": "rules-eng", "password": "password-1", "role": "engineer",
                                           "enterpriseId": self.ent["id"]}, 201)
        eng = self.server.login("rules-eng", "password-1")
        self.req("POST", "/api/v1/rulechains", {"name": "e", "definition": CHAIN}, 403, token=eng)
        self.req("GET", "/api/v1/rulechains", expect=403, token=eng)


class RuleChainRestartTest(unittest.TestCase):
    def test_enabled_chains_reload_after_restart(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, tok, _, _ = setup_tenant(server, admin, "restart", "boiler-1")
            status, c, _ = server.request("POST", "/api/v1/rulechains",
                                          {"name": "kept", "definition": CHAIN, "enabled": True}, tok)
            self.assertEqual(status, 201, c)
            server.stop()
            server.start()
            self.assertIn("kaiwu_rules_chains 1", server.request("GET", "/metrics")[1])
            status, got, _ = server.request("GET", f"/api/v1/rulechains/{c['id']}", token=server.login("restart-adm", "password-1"))
            self.assertEqual((status, got["enabled"], got["version"]), (200, True, 1))
        finally:
            server.cleanup()



class RuleChainLiveTest(unittest.TestCase):
    """A real MQTT device (paho) publishes telemetry; the enabled chain raises an alarm visible on
    GET /api/v1/alarms, sends an RPC the device receives on v1/devices/me/rpc/request/+, writes
    derived telemetry, and clears the alarm when the value falls below high - hysteresis."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        admin = cls.server.login("admin", ADMIN_PASSWORD)
        _, cls.tok, _, cls.dev = setup_tenant(cls.server, admin, "live", "boiler-1")
        chain = {"nodes": [
            {"id": "f", "type": "filter", "params": {"keys": ["temp"]}, "next": {"True": ["x"]}},
            {"id": "x", "type": "script_transform",
             "params": {"script": "msg.data.tempF = msg.data.temp * 9 / 5 + 32\nreturn msg"},
             "next": {"Success": ["hot", "derived"]}},
            {"id": "derived", "type": "write_telemetry", "params": {"keys": ["tempF"]}},
            {"id": "hot", "type": "threshold", "params": {"key": "temp", "high": 80, "hysteresis": 5},
             "next": {"Raised": ["alarm", "fan"], "Cleared": ["clear"]}},
            {"id": "alarm", "type": "create_alarm", "params": {"alarmType": "HighTemp", "severity": "critical"}},
            {"id": "clear", "type": "clear_alarm", "params": {"alarmType": "HighTemp"}},
            {"id": "fan", "type": "rpc", "params": {"method": "setFan", "params": {"on": True, "temp": "${temp}"}}},
        ]}
        status, cls.chain, _ = cls.server.request("POST", "/api/v1/rulechains",
                                                  {"name": "live", "definition": chain, "enabled": True}, cls.tok)
        assert status == 201, cls.chain

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def wait_for(self, fn, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = fn()
            if got:
                return got
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what}; server log:\n{self.server.read_log()[-3000:]}")

    def alarms(self, status):
        code, body, _ = self.server.request("GET", f"/api/v1/alarms?status={status}", token=self.tok)
        self.assertEqual(code, 200, body)
        return [a for a in body["items"] if a["type"] == "HighTemp"]

    def test_threshold_alarm_and_rpc_from_real_mqtt_telemetry(self):
        rpcs = queue.Queue()
        c = mqtt.Client(client_id=f"dev-{self.dev['id']}", protocol=mqtt.MQTTv311)
        c.username_pw_set(self.dev["accessToken"])
        subscribed = threading.Event()
        c.on_subscribe = lambda *a: subscribed.set()
        c.on_message = lambda _c, _u, m: rpcs.put((m.topic, json.loads(m.payload)))
        c.connect("127.0.0.1", self.server.mqtt_port, keepalive=30)
        c.loop_start()
        try:
            c.subscribe("v1/devices/me/rpc/request/+", qos=1)
            self.assertTrue(subscribed.wait(10))
            c.publish("v1/devices/me/telemetry", json.dumps({"temp": 70}), qos=1).wait_for_publish(10)
            c.publish("v1/devices/me/telemetry", json.dumps({"temp": 91.5}), qos=1).wait_for_publish(10)
            active = self.wait_for(lambda: self.alarms("active"), "the HighTemp alarm")
            self.assertEqual(len(active), 1)
            self.assertEqual((active[0]["severity"], active[0]["deviceId"]), ("critical", self.dev["id"]))
            self.assertEqual(active[0]["details"]["data"]["temp"], 91.5)
            topic, payload = rpcs.get(timeout=15)
            self.assertTrue(topic.startswith("v1/devices/me/rpc/request/"), topic)
            self.assertEqual(payload, {"method": "setFan", "params": {"on": True, "temp": "91.5"}})
            # Derived telemetry was written by the chain.
            latest = self.wait_for(lambda: self.server.request(
                "GET", f"/api/v1/devices/{self.dev['id']}/telemetry/latest?keys=tempF", token=self.tok)[1].get("tempF"),
                "derived telemetry")
            self.assertAlmostEqual(latest["value"], 196.7)
            # Within the hysteresis nothing changes; below it the alarm clears.
            c.publish("v1/devices/me/telemetry", json.dumps({"temp": 77}), qos=1).wait_for_publish(10)
            c.publish("v1/devices/me/telemetry", json.dumps({"temp": 60}), qos=1).wait_for_publish(10)
            cleared = self.wait_for(lambda: [a for a in self.alarms("cleared-unacknowledged")], "the clear")
            self.assertEqual(cleared[0]["id"], active[0]["id"])
            self.assertTrue(rpcs.empty())
        finally:
            c.loop_stop()
            c.disconnect()


if __name__ == "__main__":
    unittest.main()
