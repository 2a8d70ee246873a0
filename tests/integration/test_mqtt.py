"""The MQTT broker and the MQTT device API against the real binary with independent clients:
mosquitto_pub / mosquitto_sub (3.1.1 and 5) and python3-paho-mqtt (QoS 2, retained, will,
persistent sessions, wildcards, tenant isolation)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import ADMIN_PASSWORD, Server, setup_tenant  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402  (python3-paho-mqtt, installed by install-deps.sh)


class Collector:
    """A paho client that records what it receives."""

    def __init__(self, port, client_id, username, password=None, protocol=paho.MQTTv311, clean=True, will=None):
        self.messages = []
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self.rc = None
        kwargs = {"client_id": client_id, "protocol": protocol}
        if protocol != paho.MQTTv5:
            kwargs["clean_session"] = clean
        self.c = paho.Client(**kwargs)
        self.c.username_pw_set(username, password)
        if will:
            self.c.will_set(*will)
        self.c.on_message = self._on_message
        self.c.on_connect = self._on_connect
        self.port = port
        self.protocol = protocol
        self.clean = clean

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        self.rc = rc
        self.session_present = flags.get("session present") if isinstance(flags, dict) else None
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append((msg.topic, msg.payload, msg.qos, msg.retain))
            self.cond.notify_all()

    def start(self):
        if self.protocol == paho.MQTTv5:
            self.c.connect("127.0.0.1", self.port, keepalive=30, clean_start=self.clean)
        else:
            self.c.connect("127.0.0.1", self.port, keepalive=30)
        self.c.loop_start()
        assert self.connected.wait(10), "no CONNACK"
        return self

    def subscribe(self, topic, qos=1):
        done = threading.Event()
        self.c.on_subscribe = lambda *a, **k: done.set()
        self.c.subscribe(topic, qos)
        assert done.wait(10), "no SUBACK"

    def wait_for(self, n, timeout=10):
        with self.cond:
            self.cond.wait_for(lambda: len(self.messages) >= n, timeout)
            return list(self.messages)

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()


class MqttTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        admin = cls.server.login("admin", ADMIN_PASSWORD)
        _, cls.tok_a, _, cls.dev_a = setup_tenant(cls.server, admin, "mqa", "mqa-press", industry="汽车", category="processing", code="91440300MA5MQA001")
        _, cls.tok_b, _, cls.dev_b = setup_tenant(cls.server, admin, "mqb", "mqb-press", industry="汽车", category="processing", code="91440300MA5MQB001")
        cls.port = cls.server.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def mosquitto_pub(self, *args, timeout=20):
        return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=timeout)

    def read(self, dev, keys, t0, t1, token=None):
        _, got, _ = self.server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry?keys={keys}&from={t0}&to={t1}",
                                        token=token or self.tok_a)
        return got

    def test_device_telemetry_with_mosquitto_pub_both_versions(self):
        t0 = 1_700_000_000_000
        for i, version in enumerate(["mqttv311", "mqttv5"]):
            payload = json.dumps({"ts": t0 + i, "values": {"pressure": 101.325 + i, "cycles": 7 + i}})
            r = self.mosquitto_pub("-V", version, "-q", "1", "-u", self.dev_a["accessToken"],
                                   "-t", "v1/devices/me/telemetry", "-m", payload)
            self.assertEqual(r.returncode, 0, r.stderr)
        got = self.read(self.dev_a, "pressure,cycles", t0, t0 + 2)
        self.assertEqual(got["pressure"], [{"ts": t0, "value": 101.325}, {"ts": t0 + 1, "value": 102.325}])
        self.assertEqual(got["cycles"], [{"ts": t0, "value": 7}, {"ts": t0 + 1, "value": 8}])

    def test_bad_token_refused(self):
        for version in ["mqttv311", "mqttv5"]:
            r = self.mosquitto_pub("-V", version, "-u", "no-such-token", "-t", "v1/devices/me/telemetry", "-m", "{}")
            self.assertNotEqual(r.returncode, 0)
            self.assertRegex(r.stderr.lower(), "bad user name or password|not authori")

    def test_invalid_payload_rejected_others_unaffected(self):
        before = self.metric("kaiwu_device_payloads_rejected_total")
        r = self.mosquitto_pub("-V", "mqttv5", "-q", "1", "-u", self.dev_a["accessToken"],
                               "-t", "v1/devices/me/telemetry", "-m", '{"broken":')
        self.assertEqual(self.metric("kaiwu_device_payloads_rejected_total"), before + 1, r.stderr)
        t0 = 1_700_000_100_000
        r = self.mosquitto_pub("-q", "1", "-u", self.dev_a["accessToken"], "-t", "v1/devices/me/telemetry",
                               "-m", json.dumps({"ts": t0, "values": {"ok": 1}}))
        self.assertEqual(r.returncode, 0)
        self.assertEqual(self.read(self.dev_a, "ok", t0, t0 + 1)["ok"], [{"ts": t0, "value": 1}])

    def metric(self, name):
        _, text, _ = self.server.request("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def test_device_acl(self):
        # A device may publish only under v1/devices/me/: 3.1.1 QoS 1 to another topic closes it.
        r = self.mosquitto_pub("-q", "1", "-u", self.dev_a["accessToken"], "-t", "factory/alarm", "-m", "x")
        self.assertNotEqual(r.returncode, 0)

    def test_qos2_retained_wildcards_and_isolation(self):
        sub = Collector(self.port, "sub-a", "mqa-adm", "password-1", protocol=paho.MQTTv5).start()
        spy = Collector(self.port, "spy-b", "mqb-adm", "password-1").start()
        try:
            sub.subscribe("plant/+/temp", 2)
            spy.subscribe("#", 2)
            pub = Collector(self.port, "pub-a", "mqa-adm", "password-1").start()
            info = pub.c.publish("plant/line1/temp", b"21.5", qos=2, retain=True)
            info.wait_for_publish(10)
            pub.c.publish("plant/line1/pressure", b"3", qos=1).wait_for_publish(10)
            msgs = sub.wait_for(1)
            self.assertEqual(msgs[0][:3], ("plant/line1/temp", b"21.5", 2))
            # A late subscriber gets the retained message with RETAIN set.
            late = Collector(self.port, "late-a", "mqa-adm", "password-1").start()
            late.subscribe("plant/#", 1)
            got = late.wait_for(1)
            self.assertEqual(got[0], ("plant/line1/temp", b"21.5", 1, True))
            late.stop()
            pub.stop()
            time.sleep(0.3)
            self.assertEqual(len(sub.messages), 1, sub.messages)  # pressure did not match plant/+/temp
            self.assertEqual(spy.messages, [], "tenant B saw tenant A's messages")
        finally:
            sub.stop()
            spy.stop()

    def test_will_on_abrupt_disconnect(self):
        watcher = Collector(self.port, "watcher", "mqa-adm", "password-1").start()
        watcher.subscribe("status/+", 1)
        doomed = Collector(self.port, "doomed", "mqa-adm", "password-1", will=("status/doomed", "offline", 1, False)).start()
        doomed.c.socket().close()  # no DISCONNECT: the broker must send the will
        got = watcher.wait_for(1)
        self.assertEqual(got[0][:2], ("status/doomed", b"offline"))
        polite = Collector(self.port, "polite", "mqa-adm", "password-1", will=("status/polite", "offline", 1, False)).start()
        polite.stop()
        time.sleep(0.5)
        self.assertEqual([m[0] for m in watcher.messages], ["status/doomed"])
        watcher.stop()

    def test_persistent_session_queues_while_offline(self):
        sub = Collector(self.port, "keeper", "mqa-adm", "password-1", clean=False).start()
        sub.subscribe("orders/#", 1)
        sub.stop()
        pub = Collector(self.port, "orderer", "mqa-adm", "password-1").start()
        for i in range(5):
            pub.c.publish(f"orders/{i}", str(i).encode(), qos=1).wait_for_publish(10)
        pub.stop()
        again = Collector(self.port, "keeper", "mqa-adm", "password-1", clean=False).start()
        got = again.wait_for(5)
        self.assertTrue(again.session_present)
        self.assertEqual(sorted(m[1] for m in got), [b"0", b"1", b"2", b"3", b"4"])
        again.stop()

    def test_platform_reaches_device_rpc_topic(self):
        # The device subscribes to its own RPC topic; a user of its tenant publishes to the
        # device's id; the device sees it as v1/devices/me/rpc/request/7.
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port), "-V", "mqttv5",
                                "-u", self.dev_a["accessToken"], "-t", "v1/devices/me/rpc/request/+", "-v", "-C", "1",
                                "-W", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        pub = Collector(self.port, "rpc-caller", "mqa-adm", "password-1").start()
        pub.c.publish(f"v1/devices/{self.dev_a['id']}/rpc/request/7", b'{"method":"reset"}', qos=1).wait_for_publish(10)
        pub.stop()
        out, err = sub.communicate(timeout=15)
        self.assertEqual(out.strip(), 'v1/devices/me/rpc/request/7 {"method":"reset"}', err)


    def test_server_side_rpc_round_trip(self):
        dev = self.dev_b
        path = f"/api/v1/devices/{dev['id']}/rpc"
        status, err, _ = self.server.request("POST", path, {"method": "ping"}, self.tok_b)
        self.assertEqual(status, 503, err)  # not connected
        _, listed, _ = self.server.request("GET", f"/api/v1/devices/{dev['id']}", token=self.tok_b)
        self.assertFalse(listed["online"])
        device = paho.Client(client_id="rpc-device", protocol=paho.MQTTv311)
        device.username_pw_set(dev["accessToken"])
        answering = threading.Event()
        answering.set()

        def on_message(client, userdata, msg):
            if not answering.is_set():
                return
            n = msg.topic.rsplit("/", 1)[1]
            request = json.loads(msg.payload)
            client.publish(f"v1/devices/me/rpc/response/{n}",
                           json.dumps({"ok": True, "method": request["method"], "echo": request["params"]}), qos=1)

        subscribed = threading.Event()
        device.on_message = on_message
        device.on_subscribe = lambda *a: subscribed.set()
        device.connect("127.0.0.1", self.port, 30)
        device.loop_start()
        device.subscribe("v1/devices/me/rpc/request/+", 1)
        self.assertTrue(subscribed.wait(10))
        try:
            _, listed, _ = self.server.request("GET", f"/api/v1/devices/{dev['id']}", token=self.tok_b)
            self.assertTrue(listed["online"])
            status, got, _ = self.server.request("POST", path, {"method": "setSpeed", "params": {"rpm": 1200}}, self.tok_b)
            self.assertEqual(status, 200, got)
            self.assertEqual(got, {"ok": True, "method": "setSpeed", "echo": {"rpm": 1200}})
            answering.clear()
            started = time.time()
            status, err, _ = self.server.request("POST", path, {"method": "slow", "timeoutMs": 500}, self.tok_b)
            self.assertEqual(status, 504, err)
            self.assertLess(time.time() - started, 5)
            # Another tenant cannot reach the device.
            status, _, _ = self.server.request("POST", path, {"method": "x"}, self.tok_a)
            self.assertEqual(status, 404)
        finally:
            device.disconnect()
            device.loop_stop()


class MqttRestartTest(unittest.TestCase):
    def test_persistent_session_and_retained_survive_restart(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            setup_tenant(server, admin, "mqp", "mqp-press", industry="汽车", category="processing", code="91440300MA5MQP001")
            port = server.mqtt_port
            sub = Collector(port, "durable-sub", "mqp-adm", "password-1", clean=False).start()
            sub.subscribe("line/#", 1)
            sub.stop()
            pub = Collector(port, "pub-1", "mqp-adm", "password-1").start()
            for i in range(3):
                pub.c.publish(f"line/{i}", f"before-{i}".encode(), qos=1).wait_for_publish(10)
            pub.c.publish("config/mode", b"auto", qos=1, retain=True).wait_for_publish(10)
            pub.stop()
            self.assertEqual(server.stop(), 0)
            server.start()
            pub = Collector(port, "pub-2", "mqp-adm", "password-1").start()
            pub.c.publish("line/9", b"after", qos=1).wait_for_publish(10)
            pub.stop()
            again = Collector(port, "durable-sub", "mqp-adm", "password-1", clean=False).start()
            self.assertTrue(again.session_present)
            got = again.wait_for(4)
            self.assertEqual(sorted(m[1] for m in got), [b"after", b"before-0", b"before-1", b"before-2"])
            again.subscribe("config/+", 1)
            got = again.wait_for(5)
            self.assertIn(("config/mode", b"auto", 1, True), got)
            again.stop()
        finally:
            server.cleanup()


class MqttTlsTest(unittest.TestCase):
    def test_mqtts_with_mosquitto_pub(self):
        with tempfile.TemporaryDirectory() as d:
            key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
            tls_port = harness.free_port()
            server = Server(extra_sets=[f"http.cert={cert}", f"http.key={key}", f"http.tls_port={harness.free_port()}",
                                        f"mqtt.tls_port={tls_port}"]).start()
            try:
                admin = server.login("admin", ADMIN_PASSWORD)
                _, tok, _, dev = setup_tenant(server, admin, "mqt", "mqt-press", industry="汽车", category="processing", code="91440300MA5MQT001")
                t0 = 1_700_000_000_000
                for version in ["mqttv311", "mqttv5"]:
                    r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(tls_port), "--cafile", cert,
                                        "--insecure", "-V", version, "-q", "1", "-u", dev["accessToken"],
                                        "-t", "v1/devices/me/telemetry",
                                        "-m", json.dumps({"ts": t0, "values": {"tls": version}})],
                                       capture_output=True, text=True, timeout=20)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    t0 += 1
                _, got, _ = server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry?keys=tls"
                                                  f"&from=1700000000000&to={t0}", token=tok)
                self.assertEqual([s["value"] for s in got["tls"]], ["mqttv311", "mqttv5"])
                # Plain MQTT on the TLS port gets nowhere; TLS against a wrong CA is refused.
                r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(tls_port), "-u", dev["accessToken"],
                                    "-t", "v1/devices/me/telemetry", "-m", "{}"], capture_output=True, text=True,
                                   timeout=20)
                self.assertNotEqual(r.returncode, 0)
            finally:
                server.cleanup()


class MqttClientCertificateTest(unittest.TestCase):
    """X.509 device authentication: a device registered with its certificate connects over MQTTS
    with that certificate and no credentials (mosquitto_pub and paho)."""

    def test_device_authenticates_with_its_certificate(self):
        with tempfile.TemporaryDirectory() as d:
            def self_signed(name):
                key, cert = os.path.join(d, name + "-key.pem"), os.path.join(d, name + ".pem")
                subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=" + name],
                               check=True, capture_output=True)
                return key, cert

            server_key, server_cert = self_signed("localhost")
            dev_key, dev_cert = self_signed("meter-x509")
            stranger_key, stranger_cert = self_signed("stranger")
            tls_port = harness.free_port()
            server = Server(extra_sets=[f"http.cert={server_cert}", f"http.key={server_key}",
                                        f"http.tls_port={harness.free_port()}", f"mqtt.tls_port={tls_port}"]).start()
            try:
                admin = server.login("admin", ADMIN_PASSWORD)
                _, tok, _, dev = setup_tenant(server, admin, "mqx", "mqx-press", industry="汽车", category="processing", code="91440300MA5MQX001")
                with open(dev_cert) as f:
                    pem = f.read()
                status, updated, _ = server.request("PATCH", f"/api/v1/devices/{dev['id']}", {"certificatePem": pem}, tok)
                self.assertEqual(status, 200, updated)
                expected = subprocess.run(["openssl", "x509", "-in", dev_cert, "-noout", "-fingerprint", "-sha256"],
                                          check=True, capture_output=True, text=True).stdout
                self.assertEqual(updated["certFingerprint"], expected.split("=")[1].strip().replace(":", "").lower())
                status, err, _ = server.request("PATCH", f"/api/v1/devices/{dev['id']}",
                                                {"certificatePem": "-----BEGIN CERTIFICATE-----\nxx"}, tok)
                self.assertEqual(status, 400, err)

                def publish(key, cert, value, extra=()):
                    return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(tls_port), "--cafile", server_cert,
                                           "--insecure", "--cert", cert, "--key", key, "-q", "1", *extra,
                                           "-t", "v1/devices/me/telemetry",
                                           "-m", json.dumps({"ts": 1_700_000_000_000 + value, "values": {"x509": value}})],
                                          capture_output=True, text=True, timeout=20)

                r = publish(dev_key, dev_cert, 1)
                self.assertEqual(r.returncode, 0, r.stderr)
                # The certificate wins over a username naming nothing.
                r = publish(dev_key, dev_cert, 2, ("-u", "not-a-token"))
                self.assertEqual(r.returncode, 0, r.stderr)
                # An unregistered certificate without credentials is refused; with the device's
                # token it still works (the token authenticates).
                r = publish(stranger_key, stranger_cert, 3)
                self.assertNotEqual(r.returncode, 0)
                r = publish(stranger_key, stranger_cert, 4, ("-u", dev["accessToken"]))
                self.assertEqual(r.returncode, 0, r.stderr)

                # paho with the device certificate, MQTT 5.
                got = threading.Event()
                c = paho.Client(client_id="x509-paho", protocol=paho.MQTTv5)
                c.tls_set(ca_certs=server_cert, certfile=dev_cert, keyfile=dev_key)
                c.tls_insecure_set(True)
                c.on_connect = lambda *a, **k: got.set()
                c.connect("127.0.0.1", tls_port)
                c.loop_start()
                self.assertTrue(got.wait(10))
                c.publish("v1/devices/me/telemetry", json.dumps({"ts": 1_700_000_000_005, "values": {"x509": 5}}),
                          qos=1).wait_for_publish(10)
                c.disconnect()
                c.loop_stop()

                _, series, _ = server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry?keys=x509"
                                                     "&from=1700000000000&to=1700000000010", token=tok)
                self.assertEqual([(s["ts"] - 1_700_000_000_000, s["value"]) for s in series["x509"]],
                                 [(1, 1), (2, 2), (4, 4), (5, 5)])
            finally:
                server.cleanup()


class MqttWebSocketTest(unittest.TestCase):
    def test_mqtt_over_websocket_on_http_port(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, tok, _, dev = setup_tenant(server, admin, "mqw", "mqw-press", industry="汽车", category="processing", code="91440300MA5MQW001")
            # A user subscribed over WebSocket receives what a TCP client publishes.
            sub = paho.Client(client_id="ws-sub", transport="websockets", protocol=paho.MQTTv5)
            sub.ws_set_options(path="/mqtt")
            sub.username_pw_set("mqw-adm", "password-1")
            got, ready = [], threading.Event()
            sub.on_message = lambda c, u, m: got.append((m.topic, m.payload))
            sub.on_subscribe = lambda *a: ready.set()
            sub.connect("127.0.0.1", server.port, 30)
            sub.loop_start()
            sub.subscribe("hall/#", 1)
            self.assertTrue(ready.wait(10))
            pub = Collector(server.mqtt_port, "tcp-pub", "mqw-adm", "password-1").start()
            pub.c.publish("hall/a", b"over-tcp", qos=1).wait_for_publish(10)
            pub.stop()
            deadline = time.time() + 10
            while not got and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(got, [("hall/a", b"over-tcp")])
            # A device sends telemetry over WebSocket; PUBACK means it is stored.
            d = paho.Client(client_id="ws-dev", transport="websockets")
            d.ws_set_options(path="/mqtt")
            d.username_pw_set(dev["accessToken"])
            d.connect("127.0.0.1", server.port, 30)
            d.loop_start()
            d.publish("v1/devices/me/telemetry", json.dumps({"ts": 1700000000000, "values": {"ws": 42.5}}),
                      qos=1).wait_for_publish(10)
            d.disconnect()
            d.loop_stop()
            sub.disconnect()
            sub.loop_stop()
            _, latest, _ = server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry/latest?keys=ws", token=tok)
            self.assertEqual(latest["ws"], {"ts": 1700000000000, "value": 42.5})
            # Ordinary HTTP keeps working on the same port.
            status, _, _ = server.request("GET", "/healthz")
            self.assertEqual(status, 200)
        finally:
            server.cleanup()


class MqttRateLimitTest(unittest.TestCase):
    def test_connection_attempts_per_address_are_limited(self):
        server = Server(extra_sets=["mqtt.connects_per_minute_per_address=5"]).start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, _, _, dev = setup_tenant(server, admin, "mqr", "mqr-press", industry="汽车", category="processing", code="91440300MA5MQR001")
            codes = []
            for i in range(8):
                r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.mqtt_port), "-u",
                                    dev["accessToken"], "-t", "v1/devices/me/telemetry", "-m", '{"n": %d}' % i],
                                   capture_output=True, text=True, timeout=20)
                codes.append(r.returncode)
            self.assertEqual(codes[:5], [0] * 5)
            self.assertTrue(all(c != 0 for c in codes[5:]), codes)
            self.assertIn("too many connection attempts", server.read_log())
        finally:
            server.cleanup()


class MqttDurabilityTest(unittest.TestCase):
    def test_pubacked_telemetry_survives_kill_9(self):
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, _, _, dev = setup_tenant(server, admin, "mqd", "mqd-press", industry="汽车", category="processing", code="91440300MA5MQD001")
            acked = {}
            ts = [1_700_000_000_000]
            for _ in range(5):
                c = paho.Client(client_id="durable", clean_session=True)
                c.username_pw_set(dev["accessToken"])
                c.connect("127.0.0.1", server.mqtt_port, 30)
                c.loop_start()
                pending = {}
                lock = threading.Lock()

                def on_publish(client, userdata, mid, pending=pending):
                    with lock:
                        if mid in pending:
                            acked[pending[mid][0]] = pending[mid][1]

                c.on_publish = on_publish
                deadline = time.time() + 0.6
                while time.time() < deadline:
                    t = ts[0]
                    ts[0] += 1
                    v = round(t % 10000 * 0.1, 1)
                    info = c.publish("v1/devices/me/telemetry", json.dumps({"ts": t, "values": {"v": v}}), qos=1)
                    with lock:
                        pending[info.mid] = (t, v)
                    time.sleep(0.002)
                server.stop(sig=signal.SIGKILL)
                c.loop_stop()
                server.start()
            tok = server.login("mqd-adm", "password-1")
            lo, hi = min(acked), max(acked) + 1
            _, got, _ = server.request("GET", f"/api/v1/devices/{dev['id']}/telemetry?keys=v&from={lo}&to={hi}&limit=100000",
                                       token=tok)
            have = {s["ts"]: s["value"] for s in got["v"]}
            self.assertGreater(len(acked), 100)
            missing = [t for t in acked if t not in have]
            self.assertEqual(missing, [])
            for t, v in acked.items():
                self.assertEqual(have[t], v)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
