"""`kaiwu serve` with bus.backend=nats against a real nats-server (JetStream, loopback, temp store):
a rule chain fires on real MQTT telemetry (alarm + RPC to the device) through the NATS bus, the
streams hold the messages (checked on the server's own monitoring endpoint), the metrics show
the connection, and an unreachable NATS stops the start-up with a clear error."""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, _die_with_parent, free_port  # noqa: E402
import test_rules  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402  (python3-paho-mqtt)


class NatsServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kaiwu-nats-it-")
        self.port = free_port()
        self.monitor_port = free_port()
        self.log = open(os.path.join(self.dir, "nats.log"), "ab")
        self.proc = subprocess.Popen(
            ["nats-server", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port),
             "-js", "-sd", os.path.join(self.dir, "js"), "-n", "it"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                self.jsz()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def jsz(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/jsz?streams=true&consumers=true",
                                    timeout=5) as r:
            return json.loads(r.read())

    def streams(self):
        out = {}
        for account in self.jsz().get("account_details", []):
            for s in account.get("stream_detail", []):
                out[s["name"]] = s
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


CHAIN = {"nodes": [
    {"id": "f", "type": "filter", "params": {"keys": ["temp"]}, "next": {"True": ["hot"]}},
    {"id": "hot", "type": "threshold", "params": {"key": "temp", "high": 80, "hysteresis": 5},
     "next": {"Raised": ["alarm", "fan"]}},
    {"id": "alarm", "type": "create_alarm", "params": {"alarmType": "HighTemp", "severity": "critical"}},
    {"id": "fan", "type": "rpc", "params": {"method": "setFan", "params": {"on": True}}},
]}


class NatsBusServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nats = NatsServer()
        cls.server = Server(extra_sets=["bus.backend=nats", f"bus.nats_url={cls.nats.url()}",
                                        "bus.node_name=it-node-1"]).start()
        admin = cls.server.login("admin", ADMIN_PASSWORD)
        _, cls.tok, _, cls.dev = test_rules.setup_tenant(cls.server, admin, "natsbus")
        status, chain, _ = cls.server.request("POST", "/api/v1/rulechains",
                                              {"name": "hot", "definition": CHAIN, "enabled": True}, cls.tok)
        assert status == 201, chain

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.nats.stop()

    # The same waiting and alarm listing as the in-process rules test.
    wait_for = test_rules.RuleChainLiveTest.wait_for
    alarms = test_rules.RuleChainLiveTest.alarms

    def test_rule_chain_fires_on_mqtt_telemetry_through_nats(self):
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
            topic, payload = rpcs.get(timeout=15)
            self.assertTrue(topic.startswith("v1/devices/me/rpc/request/"), topic)
            self.assertEqual(payload, {"method": "setFan", "params": {"on": True}})
        finally:
            c.loop_stop()
            c.disconnect()
        # The messages went through JetStream: the streams hold them, the rules group consumed them.
        streams = self.wait_for(lambda: (lambda s: s if s.get("KAIWU_TELEMETRY", {}).get("state", {}).get("messages", 0) >= 2
                                         and s.get("KAIWU_ALARMS", {}).get("state", {}).get("messages", 0) >= 1
                                         else None)(self.nats.streams()), "messages in the streams")
        consumers = [c["name"] for c in streams["KAIWU_TELEMETRY"].get("consumer_detail", [])]
        self.assertIn("rules-telemetry-0", consumers)
        self.assertEqual(len([n for n in consumers if n.startswith("rules-telemetry-")]), 8)
        acked = sum(c["ack_floor"]["stream_seq"] > 0 for c in streams["KAIWU_TELEMETRY"]["consumer_detail"]
                    if c["name"].startswith("rules-"))
        self.assertGreaterEqual(acked, 1)
        _, metrics, _ = self.server.request("GET", "/metrics")
        text = metrics if isinstance(metrics, str) else metrics.decode()
        self.assertIn("kaiwu_bus_nats_connected 1", text)
        self.assertIn('kaiwu_bus_delivered_total{subscriber="rules"}', text)
        self.assertIn("kaiwu_bus_publish_dropped_total 0", text)

    def test_unreachable_nats_stops_start_up_with_a_clear_error(self):
        dead = Server(extra_sets=["bus.backend=nats", f"bus.nats_url=nats://127.0.0.1:{free_port()}"])
        try:
            with self.assertRaises(RuntimeError) as ctx:
                dead.start(timeout=20)
            self.assertIn("NATS connect", str(ctx.exception))
        finally:
            dead.cleanup()


if __name__ == "__main__":
    unittest.main()
