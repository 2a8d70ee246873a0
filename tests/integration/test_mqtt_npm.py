"""Interop with the npm `mqtt` client (a third independent implementation): MQTT 5 properties,
subscription identifiers and topic aliases over TCP, and device telemetry over WebSocket."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

JS = os.path.join(os.path.dirname(__file__), "..", "js")


@unittest.skipUnless(os.path.isdir(os.path.join(JS, "node_modules", "mqtt")), "npm mqtt not installed (install-deps.sh)")
class NpmMqttTest(unittest.TestCase):
    def test_v5_properties_aliases_and_websocket(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, t, _ = server.request("POST", "/api/v1/tenants", {"name": "npm"}, admin)
            server.request("POST", "/api/v1/users", {"username": "npm-user", "password": "password-1",
                                                     "role": "tenant-admin", "tenantId": t["id"]}, admin)
            tok = server.login("npm-user", "password-1")
            _, ent, _ = server.request("POST", "/api/v1/enterprises", {"name": "npm co", "industry": "电子",
                                       "creditCode": credit_code("91320000MA1NPMC01")}, tok)
            _, dev, _ = server.request("POST", "/api/v1/devices", {"name": "npm-dev", "enterpriseId": ent["id"],
                                       "category": "other"}, tok)
            r = subprocess.run(["node", os.path.join(JS, "mqtt_v5.mjs"), f"mqtt://127.0.0.1:{server.mqtt_port}",
                                f"ws://127.0.0.1:{server.port}/mqtt", dev["accessToken"], "npm-user", "password-1"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = json.loads(r.stdout.strip().splitlines()[-1])
            props = out["connackProperties"]
            self.assertTrue(props["sharedSubscriptionAvailable"])
            self.assertEqual(props["receiveMaximum"], 64)
            first = out["received"][0]
            self.assertEqual(first["topic"], "props/one")
            self.assertEqual(first["userProperties"], {"plant": "suzhou", "line": "2"})
            self.assertEqual(first["contentType"], "text/plain")
            self.assertEqual(first["responseTopic"], "props/reply")
            self.assertEqual(first["correlationData"], "abc")
            self.assertEqual(first["subscriptionIdentifier"], 7)
            self.assertTrue(first["hasExpiry"])
            self.assertEqual([(m["topic"], m["payload"]) for m in out["received"][1:]],
                             [("props/alias", "first"), ("props/alias", "second")])
            self.assertIsNone(out["telemetry"]["err"])
            self.assertIsNotNone(out["invalid"]["err"])
            _, latest, _ = server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys=npm", token=tok)
            self.assertEqual(latest["npm"], {"ts": 1700000000000, "value": 7.25})
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
