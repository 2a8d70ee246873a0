"""The rest of the ThingsBoard-compatible MQTT device API against the real binary with
python3-paho-mqtt and mosquitto_pub: attribute requests, shared-attribute push, client-side RPC,
the gateway API (sub-devices created under the gateway's enterprise) and its ACL."""

import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402  (python3-paho-mqtt)


class Device:
    """A paho client authenticated by a device access token that records what it receives."""

    def __init__(self, port, token, client_id, protocol=paho.MQTTv311):
        self.messages = []
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self.c = paho.Client(client_id=client_id, protocol=protocol)
        self.c.username_pw_set(token)
        self.c.on_message = self._on_message
        self.c.on_connect = lambda *a, **k: self.connected.set()
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        assert self.connected.wait(10), "no CONNACK"

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append((msg.topic, msg.payload))
            self.cond.notify_all()

    def subscribe(self, topic, qos=1):
        done = threading.Event()
        self.c.on_subscribe = lambda *a, **k: done.set()
        self.c.subscribe(topic, qos)
        assert done.wait(10), "no SUBACK"

    def publish(self, topic, payload, qos=1):
        """Returns once the broker acknowledged (QoS 1)."""
        info = self.c.publish(topic, json.dumps(payload) if not isinstance(payload, (bytes, str)) else payload, qos=qos)
        info.wait_for_publish(10)
        assert info.is_published(), f"no PUBACK for {topic}"

    def wait_topic(self, topic, timeout=10):
        """The JSON payload of the first message received on topic."""
        with self.cond:
            self.cond.wait_for(lambda: any(t == topic for t, _ in self.messages), timeout)
            for t, payload in self.messages:
                if t == topic:
                    return json.loads(payload)
        raise AssertionError(f"nothing on {topic}; got {self.messages}")

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()


class MqttGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        _, t, _ = s.request("POST", "/api/v1/tenants", {"name": "gwt"}, admin)
        s.request("POST", "/api/v1/users", {"username": "gwt-user", "password": "password-1",
                                            "role": "tenant-admin", "tenantId": t["id"]}, admin)
        cls.tok = s.login("gwt-user", "password-1")
        _, cls.ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "gwt works", "industry": "汽车",
                                                                  "creditCode": credit_code("91440300MA5GWT001")}, cls.tok)
        _, cls.other_ent, _ = s.request("POST", "/api/v1/enterprises",
                                        {"name": "gwt other", "industry": "汽车",
                                         "creditCode": credit_code("91440300MA5GWT002")}, cls.tok)

        def device(name, **extra):
            status, d, _ = s.request("POST", "/api/v1/devices", {"name": name, "enterpriseId": cls.ent["id"],
                                                                 "category": "running", "protocol": "mqtt", **extra},
                                     cls.tok)
            assert status == 201, (status, d)
            return d

        cls.dev = device("gwt-meter")
        cls.attr_dev = device("gwt-sensor")
        cls.gw = device("gwt-gateway", isGateway=True)
        # Same name in another enterprise: the gateway must not pick it up.
        s.request("POST", "/api/v1/devices", {"name": "plc-A", "enterpriseId": cls.other_ent["id"],
                                              "category": "running", "protocol": "modbus-tcp"}, cls.tok)
        cls.port = s.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def get(self, path):
        status, body, _ = self.server.request("GET", path, token=self.tok)
        self.assertEqual(status, 200, body)
        return body

    def test_attribute_request_response(self):
        status, err, _ = self.server.request("POST", f"/api/v1/devices/{self.attr_dev['id']}/attributes/shared",
                                             {"mode": "auto", "limit": 42.5}, self.tok)
        self.assertEqual(status, 204, err)
        d = Device(self.port, self.attr_dev["accessToken"], "attr-req")
        try:
            d.publish("v1/devices/me/attributes", {"fw": "1.2", "serial": 7})
            d.subscribe("v1/devices/me/attributes/response/+")
            d.publish("v1/devices/me/attributes/request/1", {"clientKeys": "fw", "sharedKeys": "mode,limit"})
            self.assertEqual(d.wait_topic("v1/devices/me/attributes/response/1"),
                             {"client": {"fw": "1.2"}, "shared": {"mode": "auto", "limit": 42.5}})
            d.publish("v1/devices/me/attributes/request/2", {})
            self.assertEqual(d.wait_topic("v1/devices/me/attributes/response/2"),
                             {"client": {"fw": "1.2", "serial": 7}, "shared": {"limit": 42.5, "mode": "auto"}})
            d.publish("v1/devices/me/attributes/request/3", {"sharedKeys": "limit"})
            self.assertEqual(d.wait_topic("v1/devices/me/attributes/response/3"), {"shared": {"limit": 42.5}})
        finally:
            d.stop()

    def test_shared_attribute_push_on_rest_change(self):
        d = Device(self.port, self.dev["accessToken"], "attr-push", protocol=paho.MQTTv5)
        try:
            d.subscribe("v1/devices/me/attributes")
            path = f"/api/v1/devices/{self.dev['id']}/attributes"
            status, err, _ = self.server.request("POST", path + "/server", {"secret": 1}, self.tok)
            self.assertEqual(status, 204, err)
            status, err, _ = self.server.request("POST", path + "/shared", {"setpoint": 75, "enabled": True}, self.tok)
            self.assertEqual(status, 204, err)
            self.assertEqual(d.wait_topic("v1/devices/me/attributes"), {"setpoint": 75, "enabled": True})
            # What the device publishes there are still its client attributes (not echoed back).
            d.publish("v1/devices/me/attributes", {"state": "ok"})
            time.sleep(0.3)
            self.assertEqual(len(d.messages), 1, d.messages)  # the server attribute was not pushed
            self.assertEqual(self.get(path + "?scope=client&keys=state")["client"], {"state": "ok"})
        finally:
            d.stop()

    def test_gateway_connect_telemetry_and_attributes(self):
        g = Device(self.port, self.gw["accessToken"], "gateway")
        t0 = 1_700_000_000_000
        try:
            g.publish("v1/gateway/connect", {"device": "plc-A", "type": "processing"})
            g.publish("v1/gateway/telemetry", {
                "plc-A": [{"ts": t0, "values": {"temp": 21.5, "count": 3}}],
                "plc-B": [{"ts": t0, "values": {"on": True}}, {"ts": t0 + 1, "values": {"on": False, "rpm": 1499.9}}],
            })
            g.publish("v1/gateway/attributes", {"plc-A": {"firmware": "3.1", "slots": 4}})
            g.publish("v1/gateway/disconnect", {"device": "plc-A"})
        finally:
            g.stop()
        behind = self.get(f"/api/v1/devices?gatewayId={self.gw['id']}")["items"]
        by_name = {d["name"]: d for d in behind}
        self.assertEqual(sorted(by_name), ["plc-A", "plc-B"])
        for d in behind:
            self.assertEqual(d["enterpriseId"], self.ent["id"])
            self.assertEqual(d["gatewayId"], self.gw["id"])
            self.assertEqual(d["protocol"], "mqtt")
        self.assertEqual(by_name["plc-A"]["category"], "processing")
        self.assertEqual(by_name["plc-B"]["category"], "other")
        a, b = by_name["plc-A"]["id"], by_name["plc-B"]["id"]
        got = self.get(f"/api/v1/devices/{a}/telemetry?keys=temp,count&from={t0}&to={t0 + 10}")
        self.assertEqual(got["temp"], [{"ts": t0, "value": 21.5}])
        self.assertEqual(got["count"], [{"ts": t0, "value": 3}])
        got = self.get(f"/api/v1/devices/{b}/telemetry?keys=on,rpm&from={t0}&to={t0 + 10}")
        self.assertEqual(got["on"], [{"ts": t0, "value": True}, {"ts": t0 + 1, "value": False}])
        self.assertEqual(got["rpm"], [{"ts": t0 + 1, "value": 1499.9}])
        self.assertEqual(self.get(f"/api/v1/devices/{a}/attributes?scope=client")["client"],
                         {"firmware": "3.1", "slots": 4})

        # Reconnecting: the same devices are found again by name, not duplicated.
        g = Device(self.port, self.gw["accessToken"], "gateway-2")
        try:
            g.publish("v1/gateway/telemetry", {"plc-A": {"ts": t0 + 5, "values": {"temp": 22}}})
        finally:
            g.stop()
        self.assertEqual(len(self.get(f"/api/v1/devices?gatewayId={self.gw['id']}")["items"]), 2)
        got = self.get(f"/api/v1/devices/{a}/telemetry?keys=temp&from={t0}&to={t0 + 10}")
        self.assertEqual(got["temp"], [{"ts": t0, "value": 21.5}, {"ts": t0 + 5, "value": 22}])

        # A device deleted on the platform is created again by the gateway's next session.
        status, err, _ = self.server.request("DELETE", f"/api/v1/devices/{b}", token=self.tok)
        self.assertEqual(status, 204, err)
        g = Device(self.port, self.gw["accessToken"], "gateway-3")
        try:
            g.publish("v1/gateway/telemetry", {"plc-B": [{"ts": t0 + 7, "values": {"rpm": 10}}]})
        finally:
            g.stop()
        behind = {d["name"]: d for d in self.get(f"/api/v1/devices?gatewayId={self.gw['id']}")["items"]}
        self.assertEqual(sorted(behind), ["plc-A", "plc-B"])
        self.assertNotEqual(behind["plc-B"]["id"], b)
        got = self.get(f"/api/v1/devices/{behind['plc-B']['id']}/telemetry?keys=rpm&from={t0}&to={t0 + 10}")
        self.assertEqual(got["rpm"], [{"ts": t0 + 7, "value": 10}])

        # The connect message may name the protocol (kaiwu edge sends its driver): a new device is
        # created with it, one that telemetry created first is corrected, a bad one is refused.
        g = Device(self.port, self.gw["accessToken"], "gateway-4", protocol=paho.MQTTv5)
        try:
            g.publish("v1/gateway/connect", {"device": "meter-9", "type": "running", "protocol": "dlt645"})
            g.publish("v1/gateway/connect", {"device": "plc-B", "type": "processing", "protocol": "modbus-tcp"})
            info = g.c.publish("v1/gateway/connect", json.dumps({"device": "x", "protocol": "carrier-pigeon"}), qos=1)
            info.wait_for_publish(10)
        finally:
            g.stop()
        behind = {d["name"]: d for d in self.get(f"/api/v1/devices?gatewayId={self.gw['id']}")["items"]}
        self.assertEqual((behind["meter-9"]["protocol"], behind["meter-9"]["category"]), ("dlt645", "running"))
        self.assertEqual((behind["plc-B"]["protocol"], behind["plc-B"]["category"]), ("modbus-tcp", "processing"))
        self.assertNotIn("x", behind)

    def test_client_side_rpc_get_current_time(self):
        d = Device(self.port, self.dev["accessToken"], "rpc-client")
        try:
            d.subscribe("v1/devices/me/rpc/response/+")
            before = int(time.time() * 1000)
            d.publish("v1/devices/me/rpc/request/5", {"method": "getCurrentTime", "params": {}})
            reply = d.wait_topic("v1/devices/me/rpc/response/5")
            after = int(time.time() * 1000)
            self.assertEqual(list(reply), ["time"])
            self.assertTrue(before - 1000 <= reply["time"] <= after + 1000, (before, reply, after))
            d.publish("v1/devices/me/rpc/request/6", {"method": "reboot", "params": {}})
            self.assertEqual(d.wait_topic("v1/devices/me/rpc/response/6"), {"error": "unsupported method"})
        finally:
            d.stop()

    def test_plain_device_cannot_use_gateway_api(self):
        r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", "1",
                            "-u", self.dev["accessToken"], "-t", "v1/gateway/telemetry",
                            "-m", json.dumps({"ghost": {"x": 1}})], capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.get("/api/v1/devices?q=ghost")["items"], [])
        self.assertEqual(self.get(f"/api/v1/devices?gatewayId={self.dev['id']}")["items"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
