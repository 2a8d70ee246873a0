"""Device provisioning (ThingsBoard protocol) over MQTT with python3-paho-mqtt and mosquitto
clients and over HTTP, and the gateway API's server-to-gateway direction: shared attributes,
attribute requests and server-side RPC to devices behind a gateway, each gateway on its own
topics."""

import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402
from test_mqtt_gateway import Device  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402  (python3-paho-mqtt)


def provision_over_mqtt(port, request, slash=True):
    """What a provisioning client gets back on /provision/response."""
    d = Device(port, "provision", "prov-" + str(time.monotonic_ns()))
    try:
        prefix = "/" if slash else ""
        d.subscribe(prefix + "provision/response")
        d.publish(prefix + "provision/request", request)
        return d.wait_topic(prefix + "provision/response")
    finally:
        d.stop()


class ProvisionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        cls.tenant_tokens = []
        for name in ("prov-a", "prov-b"):
            _, t, _ = s.request("POST", "/api/v1/tenants", {"name": name}, admin)
            s.request("POST", "/api/v1/users", {"username": name + "-admin", "password": "password-1",
                                                "role": "tenant-admin", "tenantId": t["id"]}, admin)
            s.request("POST", "/api/v1/users", {"username": name + "-viewer", "password": "password-1",
                                                "role": "viewer", "tenantId": t["id"]}, admin)
            cls.tenant_tokens.append(s.login(name + "-admin", "password-1"))
        cls.tok = cls.tenant_tokens[0]
        cls.viewer = s.login("prov-a-viewer", "password-1")
        _, cls.ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "prov works", "industry": "汽车",
                                                                  "creditCode": credit_code("91440300MA5PRW001")},
                                  cls.tok)
        cls.port = s.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def req(self, method, path, body=None, token=None, expect=None):
        status, out, _ = self.server.request(method, path, body, self.tok if token is None else token)
        if expect is not None:
            self.assertEqual(status, expect, out)
        return status, out

    def make_profile(self, name, mode, **provision):
        _, p = self.req("POST", "/api/v1/profiles", {"name": name, "provision": {
            "mode": mode, "enterpriseId": self.ent["id"], **provision}}, expect=201)
        return p

    def test_profile_provision_settings(self):
        p = self.make_profile("gen", "allow-create")
        prov = p["provision"]
        self.assertEqual(prov["mode"], "allow-create")
        self.assertGreaterEqual(len(prov["key"]), 8)
        self.assertGreaterEqual(len(prov["secret"]), 8)
        # Viewers see that provisioning is on, not the secret.
        _, seen = self.req("GET", f"/api/v1/profiles/{p['id']}", token=self.viewer, expect=200)
        self.assertEqual(seen["provision"]["key"], prov["key"])
        self.assertNotIn("secret", seen["provision"])
        _, page = self.req("GET", "/api/v1/profiles", token=self.viewer, expect=200)
        self.assertTrue(all("secret" not in x["provision"] for x in page["items"]))
        # Bad settings are refused with the field named.
        status, err = self.req("POST", "/api/v1/profiles", {"name": "bad", "provision": {"mode": "sometimes"}})
        self.assertEqual(status, 400)
        self.assertIn("provision.mode", json.dumps(err))
        status, err = self.req("POST", "/api/v1/profiles", {"name": "bad2", "provision": {"mode": "allow-create"}})
        self.assertEqual(status, 400)
        self.assertIn("enterpriseId", json.dumps(err))
        status, err = self.req("POST", "/api/v1/profiles", {"name": "dup", "provision": {
            "mode": "allow-create", "enterpriseId": self.ent["id"], "key": prov["key"]}})
        self.assertEqual(status, 409, err)
        # Another tenant's enterprise cannot receive provisioned devices.
        status, err = self.server.request("POST", "/api/v1/profiles", {"name": "x", "provision": {
            "mode": "allow-create", "enterpriseId": self.ent["id"]}}, self.tenant_tokens[1])[:2]
        self.assertEqual(status, 404, err)
        # Disabling hides the key.
        _, off = self.req("PATCH", f"/api/v1/profiles/{p['id']}", {"provision": {"mode": "disabled"}}, expect=200)
        self.assertEqual(off["provision"], {"mode": "disabled"})

    def test_mqtt_provision_creates_device_that_then_connects(self):
        p = self.make_profile("meters", "allow-create", key="meter-key-001", secret="meter-secret-001")
        reply = provision_over_mqtt(self.port, {"deviceName": "meter-77", "provisionDeviceKey": "meter-key-001",
                                                "provisionDeviceSecret": "meter-secret-001"})
        self.assertEqual(reply["status"], "SUCCESS", reply)
        self.assertEqual(reply["credentialsType"], "ACCESS_TOKEN")
        token = reply["credentialsValue"]
        _, page = self.req("GET", f"/api/v1/devices?q=meter-77", expect=200)
        self.assertEqual(len(page["items"]), 1)
        dev = page["items"][0]
        self.assertEqual(dev["enterpriseId"], self.ent["id"])
        self.assertEqual(dev["profileId"], p["id"])
        self.assertEqual(dev["protocol"], "mqtt")
        # The new token works with an independent client; the data lands on the new device.
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-u", token, "-q", "1",
                        "-t", "v1/devices/me/telemetry", "-m", '{"ts": 1700000000123, "values": {"kwh": 12.5}}'],
                       check=True, timeout=10)
        _, latest = self.req("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys=kwh", expect=200)
        self.assertEqual(latest["kwh"], {"ts": 1700000000123, "value": 12.5})
        # Asking again for the same name is refused: it is provisioned already.
        again = provision_over_mqtt(self.port, {"deviceName": "meter-77", "provisionDeviceKey": "meter-key-001",
                                                "provisionDeviceSecret": "meter-secret-001"}, slash=False)
        self.assertEqual(again["status"], "FAILURE", again)
        self.assertIn("already provisioned", again["errorMsg"])
        # A device-chosen token (credentialsType ACCESS_TOKEN) is honoured.
        chosen = provision_over_mqtt(self.port, {"deviceName": "meter-78", "provisionDeviceKey": "meter-key-001",
                                                 "provisionDeviceSecret": "meter-secret-001",
                                                 "credentialsType": "ACCESS_TOKEN", "token": "my-own-token-78"})
        self.assertEqual(chosen["credentialsValue"], "my-own-token-78")
        unsupported = provision_over_mqtt(self.port, {"deviceName": "meter-79", "provisionDeviceKey": "meter-key-001",
                                                      "provisionDeviceSecret": "meter-secret-001",
                                                      "credentialsType": "X509_CERTIFICATE"})
        self.assertEqual(unsupported["status"], "FAILURE")

    def test_wrong_key_or_secret_is_not_found_and_creates_nothing(self):
        self.make_profile("secret-test", "allow-create", key="sec-key-0001", secret="sec-secret-01")
        for key, secret in (("sec-key-0001", "wrong-secret"), ("no-such-key-1", "sec-secret-01")):
            reply = provision_over_mqtt(self.port, {"deviceName": "intruder", "provisionDeviceKey": key,
                                                    "provisionDeviceSecret": secret})
            self.assertEqual(reply["status"], "NOT_FOUND", reply)
        _, page = self.req("GET", "/api/v1/devices?q=intruder", expect=200)
        self.assertEqual(page["items"], [])

    def test_provisioning_connection_is_confined(self):
        """A provisioning client can touch nothing but its own request/response topics, and one
        client never sees another's response."""
        self.make_profile("confined", "allow-create", key="conf-key-001", secret="conf-secret-1")
        spy = Device(self.port, "provision", "prov-spy")
        try:
            spy.subscribe("/provision/response")
            # Not allowed: reason code 0x87 in the SUBACK (paho reports 128 for v3.1.1 failure).
            granted = []
            done = threading.Event()
            spy.c.on_subscribe = lambda c, u, mid, qos, *a: (granted.extend(qos), done.set())
            spy.c.subscribe("#", 1)
            self.assertTrue(done.wait(10))
            self.assertEqual(granted, [128])
            reply = provision_over_mqtt(self.port, {"deviceName": "conf-1", "provisionDeviceKey": "conf-key-001",
                                                    "provisionDeviceSecret": "conf-secret-1"})
            self.assertEqual(reply["status"], "SUCCESS")
            time.sleep(0.3)
            self.assertEqual(spy.messages, [])
        finally:
            spy.stop()
        # Publishing telemetry as "provision" is refused (v3.1.1: the broker closes the connection).
        r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-u", "provision", "-q", "1",
                            "-t", "v1/devices/me/telemetry", "-m", '{"x":1}'], timeout=10, capture_output=True)
        self.assertNotEqual(r.returncode, 0)

    def test_check_pre_provisioned_hands_out_existing_token_once(self):
        p = self.make_profile("pre", "check-pre-provisioned", key="pre-key-0001", secret="pre-secret-01")
        _, dev = self.req("POST", "/api/v1/devices", {"name": "pre-1", "enterpriseId": self.ent["id"], "category": "running",
                                                      "protocol": "mqtt", "profileId": p["id"]}, expect=201)
        body = {"deviceName": "pre-1", "provisionDeviceKey": "pre-key-0001", "provisionDeviceSecret": "pre-secret-01"}
        status, reply = self.req("POST", "/api/v1/provision", body, token="")
        self.assertEqual(status, 200)
        self.assertEqual(reply, {"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN",
                                 "credentialsValue": dev["accessToken"]})
        _, again = self.req("POST", "/api/v1/provision", body, token="")
        self.assertEqual(again["status"], "FAILURE")
        _, unknown = self.req("POST", "/api/v1/provision", dict(body, deviceName="pre-2"), token="")
        self.assertEqual(unknown["status"], "NOT_FOUND")
        status, _ = self.req("POST", "/api/v1/provision", "not json", token="")
        self.assertEqual(status, 400)
        _, attrs = self.req("GET", f"/api/v1/devices/{dev['id']}/attributes?scope=server", expect=200)
        self.assertEqual(attrs["server"], {"provisionState": "provisioned"})


class GatewayDownlinkTest(unittest.TestCase):
    """Server → gateway: shared attributes, attribute requests and RPC for devices behind it."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "gdl"}, admin)
        s.request("POST", "/api/v1/users", {"username": "gdl-admin", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, admin)
        cls.tok = s.login("gdl-admin", "password-1")
        _, ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "gdl works", "industry": "汽车",
                                                              "creditCode": credit_code("91440300MA5GDL001")}, cls.tok)
        cls.gws = []
        for name in ("gdl-gw-1", "gdl-gw-2"):
            status, g, _ = s.request("POST", "/api/v1/devices", {"name": name, "enterpriseId": ent["id"],
                                                                 "category": "other", "protocol": "mqtt",
                                                                 "isGateway": True}, cls.tok)
            assert status == 201, g
            cls.gws.append(g)
        cls.port = s.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def device_id(self, name):
        _, page, _ = self.server.request("GET", f"/api/v1/devices?q={name}", token=self.tok)
        return next(d["id"] for d in page["items"] if d["name"] == name)

    def test_rpc_attributes_and_isolation(self):
        g1 = Device(self.port, self.gws[0]["accessToken"], "gdl-1")
        g2 = Device(self.port, self.gws[1]["accessToken"], "gdl-2")
        try:
            for g in (g1, g2):
                g.subscribe("v1/gateway/rpc")
                g.subscribe("v1/gateway/attributes")
                g.subscribe("v1/gateway/attributes/response")
            g1.publish("v1/gateway/connect", {"device": "press-1", "type": "processing"})
            dev = self.device_id("press-1")
            _, d, _ = self.server.request("GET", f"/api/v1/devices/{dev}", token=self.tok)
            self.assertTrue(d["online"])
            self.assertEqual(d["gatewayId"], self.gws[0]["id"])

            # Server-side RPC: the REST call blocks until the gateway answers for the device.
            result = {}

            def call():
                result["r"] = self.server.request("POST", f"/api/v1/devices/{dev}/rpc",
                                                  {"method": "setSpeed", "params": {"rpm": 900}, "timeoutMs": 5000},
                                                  self.tok)

            t = threading.Thread(target=call)
            t.start()
            request = g1.wait_topic("v1/gateway/rpc")
            self.assertEqual(request["device"], "press-1")
            self.assertEqual(request["data"]["method"], "setSpeed")
            self.assertEqual(request["data"]["params"], {"rpm": 900})
            g1.publish("v1/gateway/rpc", {"device": "press-1", "id": request["data"]["id"],
                                          "data": {"ok": True, "rpm": 900}})
            t.join(10)
            status, body, _ = result["r"]
            self.assertEqual(status, 200, body)
            self.assertEqual(body, {"ok": True, "rpm": 900})

            # Shared attributes for a device behind the gateway go to that gateway only.
            status, err, _ = self.server.request("POST", f"/api/v1/devices/{dev}/attributes/shared",
                                                 {"target": 42}, self.tok)
            self.assertEqual(status, 204, err)
            self.assertEqual(g1.wait_topic("v1/gateway/attributes"), {"device": "press-1", "data": {"target": 42}})

            # Attribute request through the gateway.
            g1.publish("v1/gateway/attributes", {"press-1": {"fw": "2.0"}})
            g1.publish("v1/gateway/attributes/request", {"id": 5, "device": "press-1", "client": False, "key": "target"})
            self.assertEqual(g1.wait_topic("v1/gateway/attributes/response"),
                             {"device": "press-1", "id": 5, "value": 42})
            time.sleep(0.3)
            self.assertEqual(g2.messages, [], "another gateway saw gateway 1's traffic")

            # After the gateway disconnects the device, RPC fails fast as unavailable.
            g1.publish("v1/gateway/disconnect", {"device": "press-1"})
            status, body, _ = self.server.request("POST", f"/api/v1/devices/{dev}/rpc",
                                                  {"method": "x", "timeoutMs": 2000}, self.tok)
            self.assertEqual(status, 503, body)
        finally:
            g1.stop()
            g2.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
