"""Alarms, webhooks and the live WebSocket feed against the real binary, with independent peers:
paho-mqtt publishes telemetry as a device, a minimal RFC 6455 client written here (stdlib only)
watches /api/v1/ws, urllib drives the REST API, and http.server receives the webhooks."""

import base64
import hashlib
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import unittest

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"closed {code} {reason}")
        self.code, self.reason = code, reason


class Ws:
    """A minimal RFC 6455 client: text frames, masking, ping/pong, close."""

    def __init__(self, port, path, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        if " 101 " not in lines[0]:
            raise ConnectionError(lines[0])
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        assert headers["sec-websocket-accept"] == accept, headers

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_json(self, obj):
        self._send(0x1, json.dumps(obj).encode())

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(None, "connection closed without a close frame")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=10):
        """The next text message as JSON; answers pings; raises Closed on a close frame."""
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code, payload[2:].decode("utf-8", "replace"))
            elif opcode == 0x1:
                return json.loads(payload)

    def recv_until(self, pred, timeout=10):
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no matching message")
            msg = self.recv(left)
            if pred(msg):
                return msg

    def close(self):
        try:
            self._send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class Hooks:
    """A webhook receiver on 127.0.0.1 (free port) recording each POST."""

    def __init__(self):
        self.received = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, n, timeout=15):
        deadline = time.time() + timeout
        while len(self.received) < n and time.time() < deadline:
            time.sleep(0.05)
        return self.received

    def stop(self):
        self.httpd.shutdown()


class AlarmsWsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_sets=["storage.durability=batch"]).start()
        s = cls.server
        admin = s.login("admin", ADMIN_PASSWORD)
        cls.tenants = {}
        for name, code in (("alpha", "91330100MA2ALPHA1"), ("beta", "91330100MA2BETAA1")):
            _, t, _ = s.request("POST", "/api/v1/tenants", {"name": f"ws-{name}"}, admin)
            s.request("POST", "/api/v1/users", {"username": f"{name}-adm", "password": "password-1",
                                                "role": "tenant-admin", "tenantId": t["id"]}, admin)
            tok = s.login(f"{name}-adm", "password-1")
            _, ent, _ = s.request("POST", "/api/v1/enterprises", {"name": f"{name} works", "industry": "机械",
                                  "creditCode": credit_code(code)}, tok)
            _, dev, _ = s.request("POST", "/api/v1/devices", {"name": f"{name}-boiler", "enterpriseId": ent["id"],
                                  "category": "running", "protocol": "mqtt"}, tok)
            cls.tenants[name] = {"tenant": t, "token": tok, "ent": ent, "dev": dev}
        cls.a, cls.b = cls.tenants["alpha"], cls.tenants["beta"]
        # A second enterprise in alpha, and an engineer bound to the first one.
        tok = cls.a["token"]
        _, cls.other_ent, _ = s.request("POST", "/api/v1/enterprises", {"name": "alpha annex", "industry": "电子",
                                        "creditCode": credit_code("91330100MA2ANNEX1")}, tok)
        _, cls.other_dev, _ = s.request("POST", "/api/v1/devices", {"name": "annex-press", "enterpriseId":
                                        cls.other_ent["id"], "category": "processing", "protocol": "mqtt"}, tok)
        status, _, _ = s.request("POST", "/api/v1/users", {"username": "alpha-eng", "password": "password-1",
                                 "role": "engineer", "enterpriseId": cls.a["ent"]["id"]}, tok)
        assert status == 201, status
        cls.eng = {"token": s.login("alpha-eng", "password-1"), "tenant": cls.a["tenant"]}

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def ws(self, who, **kw):
        w = Ws(self.server.port, f"/api/v1/ws?token={who['token']}", **kw)
        welcome = w.recv()
        self.assertEqual(welcome["type"], "welcome")
        self.assertEqual(welcome["tenantId"], who["tenant"]["id"])
        return w

    def subscribe(self, w, sub_id, **body):
        w.send_json({"type": "subscribe", "id": sub_id, **body})
        reply = w.recv()
        self.assertEqual(reply, {"type": "subscribed", "id": sub_id}, reply)

    def mqtt_device(self, dev):
        c = mqtt.Client(client_id=f"dev-{dev['id']}", protocol=mqtt.MQTTv311)
        c.username_pw_set(dev["accessToken"])
        c.connect("127.0.0.1", self.server.mqtt_port, keepalive=30)
        c.loop_start()
        return c

    def test_auth_is_required(self):
        w = Ws(self.server.port, "/api/v1/ws?token=not-a-token")
        with self.assertRaises(Closed) as cm:
            while True:
                w.recv()
        self.assertEqual(cm.exception.code, 4401)
        w.close()
        # The token may also come as the first message.
        w = Ws(self.server.port, "/api/v1/ws")
        w.send_json({"type": "auth", "token": self.a["token"]})
        self.assertEqual(w.recv()["type"], "welcome")
        w.send_json({"type": "ping"})
        self.assertEqual(w.recv(), {"type": "pong"})
        w.close()
        # Without an upgrade: 426, and the feed is in the OpenAPI document.
        status, _, headers = self.server.request("GET", "/api/v1/ws")
        self.assertEqual(status, 426)
        self.assertEqual(headers.get("Upgrade"), "websocket")
        _, doc, _ = self.server.request("GET", "/api/v1/openapi.json")
        self.assertIn("/api/v1/ws", doc["paths"])
        self.assertIn("/api/v1/alarms/{id}/ack", doc["paths"])

    def test_live_telemetry_from_a_real_mqtt_device(self):
        dev = self.a["dev"]
        w = self.ws(self.a)
        self.subscribe(w, "t1", telemetry={"devices": [dev["id"]], "keys": ["temp", "rpm", "ok"]})
        # Another tenant cannot subscribe to this device.
        wb = self.ws(self.b)
        wb.send_json({"type": "subscribe", "id": "spy", "telemetry": {"devices": [dev["id"]]}})
        err = wb.recv()
        self.assertEqual((err["type"], err["code"], err["id"]), ("error", "not_found", "spy"))
        self.subscribe(wb, "own", telemetry={"devices": [self.b["dev"]["id"]]})

        c = self.mqtt_device(dev)
        payload = {"ts": 1700000000123, "values": {"temp": 81.25, "rpm": 1450, "ok": True, "noise": 3}}
        c.publish("v1/devices/me/telemetry", json.dumps(payload), qos=1).wait_for_publish(10)
        msg = w.recv_until(lambda m: m["type"] == "telemetry")
        self.assertEqual(msg["sub"], "t1")
        self.assertEqual(msg["deviceId"], dev["id"])
        got = {s["key"]: (s["ts"], s["value"]) for s in msg["samples"]}
        self.assertEqual(got, {"temp": (1700000000123, 81.25), "rpm": (1700000000123, 1450),
                               "ok": (1700000000123, True)})
        # Unsubscribed: no more telemetry for t1.
        w.send_json({"type": "unsubscribe", "id": "t1"})
        self.assertEqual(w.recv(), {"type": "unsubscribed", "id": "t1"})
        c.publish("v1/devices/me/telemetry", json.dumps({"temp": 90}), qos=1).wait_for_publish(10)
        with self.assertRaises((TimeoutError, socket.timeout)):
            w.recv(timeout=1.0)
        # Tenant beta saw nothing of alpha's device.
        with self.assertRaises((TimeoutError, socket.timeout)):
            wb.recv(timeout=0.5)
        c.disconnect()
        c.loop_stop()
        w.close()
        wb.close()

    def test_device_online_offline(self):
        dev = self.a["dev"]
        w = self.ws(self.a)
        self.subscribe(w, "st", deviceState=True)
        c = self.mqtt_device(dev)
        msg = w.recv_until(lambda m: m["type"] == "deviceState")
        self.assertEqual((msg["deviceId"], msg["event"]), (dev["id"], "connected"))
        c.disconnect()
        c.loop_stop()
        msg = w.recv_until(lambda m: m["type"] == "deviceState")
        self.assertEqual((msg["deviceId"], msg["event"]), (dev["id"], "disconnected"))
        w.close()

    def test_alarm_lifecycle_rest_ws_webhook_and_isolation(self):
        s, a, b = self.server, self.a, self.b
        hooks = Hooks()
        try:
            status, target, _ = s.request("POST", "/api/v1/notification-targets", {
                "name": "ops", "url": f"http://127.0.0.1:{hooks.port}/kaiwu?src=test",
                "headerName": "X-Kaiwu-Secret", "headerValue": "hush"}, a["token"])
            self.assertEqual(status, 201, target)
            self.assertEqual(target["hasSecret"], True)
            self.assertNotIn("headerValue", target)
            status, _, _ = s.request("GET", f"/api/v1/notification-targets/{target['id']}", token=b["token"])
            self.assertEqual(status, 404)

            w = self.ws(a)
            self.subscribe(w, "al", alarms=True)
            wb = self.ws(b)
            self.subscribe(wb, "al", alarms=True)

            dev = a["dev"]
            status, alarm, _ = s.request("POST", "/api/v1/alarms", {
                "deviceId": dev["id"], "type": "HighTemp", "severity": "major", "details": {"temp": 95.5}}, a["token"])
            self.assertEqual(status, 201, alarm)
            self.assertEqual((alarm["status"], alarm["severity"], alarm["count"]), ("active", "major", 1))
            self.assertEqual(alarm["enterpriseId"], a["ent"]["id"])
            msg = w.recv_until(lambda m: m["type"] == "alarm")
            self.assertEqual((msg["event"], msg["alarm"]["id"], msg["alarm"]["details"]),
                             ("created", alarm["id"], {"temp": 95.5}))
            # Re-trigger: deduplicated into the same alarm, severity raised.
            status, again, _ = s.request("POST", "/api/v1/alarms", {
                "deviceId": dev["id"], "type": "HighTemp", "severity": "critical"}, a["token"])
            self.assertEqual(status, 200)
            self.assertEqual((again["id"], again["count"], again["severity"]), (alarm["id"], 2, "critical"))
            msg = w.recv_until(lambda m: m["type"] == "alarm")
            self.assertEqual((msg["event"], msg["alarm"]["count"]), ("updated", 2))

            # REST list and counts in scope; another tenant sees nothing and cannot act.
            _, listed, _ = s.request("GET", "/api/v1/alarms?status=active&severity=critical", token=a["token"])
            self.assertEqual([x["id"] for x in listed["items"]], [alarm["id"]])
            self.assertIsNone(listed["next"])
            _, listed, _ = s.request("GET", f"/api/v1/alarms?enterpriseId={a['ent']['id']}&deviceId={dev['id']}",
                                     token=a["token"])
            self.assertEqual(len(listed["items"]), 1)
            _, listed, _ = s.request("GET", "/api/v1/alarms", token=b["token"])
            self.assertEqual(listed["items"], [])
            for method, path in (("GET", ""), ("POST", "/ack"), ("POST", "/clear")):
                status, err, _ = s.request(method, f"/api/v1/alarms/{alarm['id']}{path}", token=b["token"])
                self.assertEqual(status, 404, (method, path, err))
            status, err, _ = s.request("POST", "/api/v1/alarms", {"deviceId": dev["id"], "type": "X"}, b["token"])
            self.assertEqual(status, 400, err)
            status, err, _ = s.request("GET", "/api/v1/alarms?status=open", token=a["token"])
            self.assertEqual(status, 400)
            self.assertIn("status", err["error"]["message"])

            status, acked, _ = s.request("POST", f"/api/v1/alarms/{alarm['id']}/ack", token=a["token"])
            self.assertEqual(status, 200, acked)
            self.assertEqual((acked["status"], acked["ackBy"]), ("acknowledged", "alpha-adm"))
            status, _, _ = s.request("POST", f"/api/v1/alarms/{alarm['id']}/ack", token=a["token"])
            self.assertEqual(status, 409)
            msg = w.recv_until(lambda m: m["type"] == "alarm")
            self.assertEqual((msg["event"], msg["alarm"]["status"]), ("acknowledged", "acknowledged"))

            status, cleared, _ = s.request("POST", f"/api/v1/alarms/{alarm['id']}/clear", token=a["token"])
            self.assertEqual(status, 200)
            self.assertEqual((cleared["status"], cleared["clearBy"]), ("cleared", "alpha-adm"))
            msg = w.recv_until(lambda m: m["type"] == "alarm")
            self.assertEqual((msg["event"], msg["alarm"]["status"]), ("cleared", "cleared"))

            _, full, _ = s.request("GET", f"/api/v1/alarms/{alarm['id']}", token=a["token"])
            self.assertEqual([(h["action"], h["actor"]) for h in full["history"]],
                             [("created", "alpha-adm"), ("updated", "alpha-adm"), ("acknowledged", "alpha-adm"),
                              ("cleared", "alpha-adm")])
            _, counts, _ = s.request("GET", "/api/v1/alarms/counts", token=a["token"])
            self.assertEqual(counts["total"], 1)
            self.assertEqual(counts["byStatus"]["cleared"], 1)
            self.assertEqual(counts["bySeverity"]["critical"], 1)
            _, counts, _ = s.request("GET", "/api/v1/alarms/counts", token=b["token"])
            self.assertEqual(counts["total"], 0)

            # Tenant beta's feed got none of it.
            with self.assertRaises((TimeoutError, socket.timeout)):
                wb.recv(timeout=0.5)

            # Webhooks: created, updated, acknowledged, cleared — with the secret header.
            got = hooks.wait(4)
            self.assertEqual([g[2]["event"] for g in got],
                             ["alarm.created", "alarm.updated", "alarm.acknowledged", "alarm.cleared"])
            for path, headers, body in got:
                self.assertEqual(path, "/kaiwu?src=test")
                self.assertEqual(headers.get("X-Kaiwu-Secret"), "hush")
                self.assertEqual(body["alarm"]["id"], alarm["id"])
                self.assertEqual(body["alarm"]["tenantId"], a["tenant"]["id"])
            w.close()
            wb.close()
        finally:
            hooks.stop()

    def test_enterprise_user_sees_only_its_enterprise(self):
        s, a = self.server, self.a
        w = self.ws(self.eng)
        w.send_json({"type": "subscribe", "id": "x", "telemetry": {"devices": [self.other_dev["id"]]}})
        err = w.recv()
        self.assertEqual((err["type"], err["code"]), ("error", "not_found"))
        self.subscribe(w, "al", alarms=True)
        status, other, _ = s.request("POST", "/api/v1/alarms", {"deviceId": self.other_dev["id"], "type": "Jam",
                                     "severity": "minor"}, a["token"])
        self.assertEqual(status, 201)
        status, own, _ = s.request("POST", "/api/v1/alarms", {"deviceId": a["dev"]["id"], "type": "Leak",
                                   "severity": "warning"}, a["token"])
        self.assertEqual(status, 201)
        msg = w.recv_until(lambda m: m["type"] == "alarm")
        self.assertEqual(msg["alarm"]["id"], own["id"])  # the annex's alarm was not pushed first
        _, listed, _ = s.request("GET", "/api/v1/alarms?status=active", token=self.eng["token"])
        ids = [x["id"] for x in listed["items"]]
        self.assertIn(own["id"], ids)
        self.assertNotIn(other["id"], ids)
        status, _, _ = s.request("POST", f"/api/v1/alarms/{other['id']}/ack", token=self.eng["token"])
        self.assertEqual(status, 404)
        for alarm in (own, other):
            status, _, _ = s.request("POST", f"/api/v1/alarms/{alarm['id']}/clear", token=a["token"])
            self.assertEqual(status, 200)
        w.close()

    def test_slow_consumer_is_dropped_while_ingest_continues(self):
        s, a = self.server, self.a
        _, key, _ = s.request("POST", "/api/v1/apikeys", {"name": "loader", "enterpriseId": a["ent"]["id"],
                                                          "role": "engineer"}, a["token"])
        auth = {"Authorization": f"Token {key['key']}"}
        # Two devices, created by a first write; alternating lines make one feed message per line.
        fields = ",".join(f"f{i}={i}.5" for i in range(40))
        ts = int(time.time() * 1000) - 3_600_000
        status, _, _ = s.request("POST", "/write?precision=ms",
                                 raw=f"telemetry,device=slow-a {fields} {ts}\ntelemetry,device=slow-b {fields} {ts}".encode(), headers=auth)
        self.assertEqual(status, 204)
        _, devs, _ = s.request("GET", "/api/v1/devices?q=slow-", token=a["token"])
        ids = sorted(d["id"] for d in devs["items"])
        self.assertEqual(len(ids), 2)

        slow = self.ws(a, rcvbuf=4096)
        self.subscribe(slow, "t", telemetry={"devices": ids})
        # The slow client now stops reading while 6 × 2,000 messages are published.
        started = time.time()
        for _ in range(6):
            lines = []
            for _ in range(1000):
                ts += 1
                lines.append(f"telemetry,device=slow-a {fields} {ts}")
                lines.append(f"telemetry,device=slow-b {fields} {ts}")
            t0 = time.time()
            status, _, _ = s.request("POST", "/write?precision=ms", raw="\n".join(lines).encode(), headers=auth)
            self.assertEqual(status, 204)
            self.assertLess(time.time() - t0, 8.0, "ingest waited for the slow WebSocket")
        elapsed = time.time() - started
        _, latest, _ = s.request("GET", f"/api/v1/devices/{ids[0]}/telemetry/latest?keys=f7", token=a["token"])
        self.assertEqual(latest["f7"], {"ts": ts, "value": 7.5})

        # Reading now: some telemetry was delivered, then a close frame 1008 (or the cut connection).
        received = 0
        with self.assertRaises(Closed) as cm:
            while True:
                m = slow.recv(timeout=15)
                received += m["type"] == "telemetry"
        self.assertIn(cm.exception.code, (1008, None))
        if cm.exception.code == 1008:
            self.assertIn("too slow", cm.exception.reason)
        slow.close()
        self.assertLess(received, 12000)
        _, metrics, _ = s.request("GET", "/metrics")
        line = next(l for l in metrics.splitlines() if l.startswith("kaiwu_ws_feed_slow_disconnects_total"))
        self.assertGreaterEqual(float(line.split()[-1]), 1)
        # A fresh subscriber is served normally.
        w = self.ws(a)
        self.subscribe(w, "t", telemetry={"devices": [ids[0]], "keys": ["f3"]})
        s.request("POST", "/write?precision=ms", raw=f"telemetry,device=slow-a f3=99i {ts + 1}".encode(), headers=auth)
        msg = w.recv_until(lambda m: m["type"] == "telemetry")
        self.assertEqual(msg["samples"], [{"key": "f3", "ts": ts + 1, "value": 99}])
        w.close()
        print(f"slow consumer: 12000 messages published in {elapsed:.2f} s; {received} reached the slow client")


if __name__ == "__main__":
    unittest.main(verbosity=2)
