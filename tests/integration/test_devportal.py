"""Developer portal and metering against the real binary, with a real SMTP peer (aiosmtpd on
127.0.0.1): self-registration, the verification e-mail and its token, unverified / wrong /
used / expired tokens, resend rate limit, login only after verification, the sandbox tenant's
simulated devices producing telemetry, API keys, grouped docs, tenant isolation, and metering
counts that match the logins and tool calls made, also after a restart. A second server without
SMTP writes the mail to <data>/outbox.log."""

import os
import queue
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, free_port, wait_for  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402  (python3-aiosmtpd)

PASSWORD = "dev-password-1"


class Capture:
    """aiosmtpd handler: every message accepted goes to a queue."""

    def __init__(self):
        self.mails = queue.Queue()

    async def handle_DATA(self, server, session, envelope):
        self.mails.put((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8")))
        return "250 OK"


def token_of(text):
    m = re.search(r"/verify\?token=([A-Za-z0-9_\-]+)", text)
    assert m, text
    return m.group(1)


def this_month():
    return time.strftime("%Y-%m", time.gmtime())


class DevPortalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.capture = Capture()
        cls.smtp_port = free_port()
        cls.smtp = Controller(cls.capture, hostname="127.0.0.1", port=cls.smtp_port)
        cls.smtp.start()
        cls.server = Server(extra_sets=[f"smtp.url=smtp://127.0.0.1:{cls.smtp_port}",
                                        "smtp.from=Kaiwu Portal <portal@kaiwu.test>",
                                        "portal.public_url=https://console.kaiwu.test/",
                                        "portal.resend_interval_s=4", "portal.sandbox_interval_ms=200",
                                        "auth.login_attempts_per_minute=200"])
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        cls.smtp.stop()

    def req(self, method, path, body=None, token=None):
        return self.server.request(method, path, body, token)

    def next_mail(self, to, timeout=10):
        frm, rcpt, text = self.capture.mails.get(timeout=timeout)
        self.assertEqual(rcpt, [to])
        self.assertEqual(frm, "portal@kaiwu.test")
        self.assertIn("Subject: Verify your Kaiwu developer account", text)
        self.assertIn("https://console.kaiwu.test/verify?token=", text)
        return token_of(text)

    def register(self, email, name="Alice", org="Acme Robotics"):
        return self.req("POST", "/api/v1/developers/register",
                        {"email": email, "name": name, "password": PASSWORD, "organisation": org})

    def verified_developer(self, email):
        s, b, _ = self.register(email)
        self.assertEqual(s, 201, b)
        s, b, _ = self.req("POST", "/api/v1/developers/verify", {"token": self.next_mail(email)})
        self.assertEqual(s, 200, b)
        return b

    def test_full_flow_and_metering(self):
        admin = self.server.login("admin", ADMIN_PASSWORD)
        email = "alice@example.com"

        # Registration and its validation.
        s, b, _ = self.register("Alice@Example.com")
        registered_at = time.time()  # after the answer: the server stamped its e-mail before it
        self.assertEqual(s, 201, b)
        s, b2, _ = self.req("POST", "/api/v1/developers/resend", {"email": email})
        self.assertEqual(s, 429, b2)
        self.assertIn("try again in", b2["error"]["message"])
        self.assertEqual(b["email"], email)
        self.assertEqual(b["status"], "pending")
        first_token = self.next_mail(email)
        s, b, _ = self.register(email)
        self.assertEqual(s, 409, b)
        self.assertIn("email", b["error"]["message"])
        s, b, _ = self.register("not-an-address")
        self.assertEqual(s, 400)
        self.assertIn("email", b["error"]["message"])
        s, b, _ = self.req("POST", "/api/v1/developers/register",
                           {"email": "x@example.com", "name": "X", "password": "short"})
        self.assertEqual(s, 400)
        self.assertIn("password", b["error"]["message"])

        # No login before verification; the right password gets told why.
        s, b, _ = self.req("POST", "/api/v1/auth/login", {"username": email, "password": PASSWORD})
        self.assertEqual(s, 401)
        self.assertIn("not verified", b["error"]["message"])
        s, b, _ = self.req("POST", "/api/v1/auth/login", {"username": email, "password": "wrong-password-9"})
        self.assertEqual(s, 401)
        self.assertIn("wrong username or password", b["error"]["message"])

        # Resend: rate limited, then a new token that replaces the first.
        time.sleep(max(0.0, registered_at + 4.3 - time.time()))
        s, b, _ = self.req("POST", "/api/v1/developers/resend", {"email": email})
        self.assertEqual(s, 202, b)
        token = self.next_mail(email)
        self.assertNotEqual(token, first_token)
        s, b, _ = self.req("POST", "/api/v1/developers/verify", {"token": first_token})
        self.assertEqual(s, 400)
        self.assertIn("unknown or already used", b["error"]["message"])
        s, b, _ = self.req("POST", "/api/v1/developers/verify", {"token": "nope-not-a-token"})
        self.assertEqual(s, 400)
        s, b, _ = self.req("POST", "/api/v1/developers/verify", {"token": token})
        self.assertEqual(s, 200, b)
        self.assertEqual(b["username"], email)
        tenant = b["tenantId"]
        s, b, _ = self.req("POST", "/api/v1/developers/verify", {"token": token})
        self.assertEqual(s, 400, "a token works once")
        s, b, _ = self.req("POST", "/api/v1/developers/resend", {"email": email})
        self.assertEqual(s, 409, "already verified")

        # Login 1; the account and its sandbox.
        dev = self.server.login(email, PASSWORD)
        s, me, _ = self.req("GET", "/api/v1/auth/me", token=dev)
        self.assertEqual(me["role"], "developer")
        self.assertEqual(me["tenantId"], tenant)
        s, acct, _ = self.req("GET", "/api/v1/developers/me", token=dev)
        self.assertEqual(s, 200, acct)
        self.assertEqual(acct["organisation"], "Acme Robotics")
        user_id = acct["userId"]

        # The sandbox devices produce telemetry (read through the ordinary routes: no tool call).
        s, devices, _ = self.req("GET", "/api/v1/devices", token=dev)
        self.assertEqual(s, 200, devices)
        self.assertEqual(sorted(d["name"] for d in devices["items"]),
                         ["sandbox-cnc-01", "sandbox-env-01", "sandbox-meter-01"])
        cnc = next(d for d in devices["items"] if d["name"] == "sandbox-cnc-01")
        deadline = time.time() + 10
        latest = {}
        while time.time() < deadline and "spindle_speed" not in latest:
            time.sleep(0.3)
            _, latest, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}/telemetry/latest", token=dev)
        self.assertIn("spindle_speed", latest)
        first_ts = latest["spindle_speed"]["ts"]
        time.sleep(0.8)
        _, later, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}/telemetry/latest", token=dev)
        self.assertGreater(later["spindle_speed"]["ts"], first_ts, "the simulation keeps reporting")

        # Tool 1: sandbox devices with live values.
        s, sb, _ = self.req("GET", "/api/v1/developers/me/devices", token=dev)
        self.assertEqual(s, 200, sb)
        self.assertEqual(len(sb["items"]), 3)
        for d in sb["items"]:
            self.assertTrue(d["latest"], d)
            self.assertGreater(d["lastTs"], 0)
        # Tool 2: an API key for the sandbox, which then reads the sandbox's data.
        s, key, _ = self.req("POST", "/api/v1/apikeys", {"name": "ci", "role": "developer"}, dev)
        self.assertEqual(s, 201, key)
        s, b, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}/telemetry/latest", token=key["key"])
        self.assertEqual(s, 200, b)
        self.assertIn("spindle_speed", b)
        # Tool 3: the docs, grouped by tag.
        s, docs, _ = self.req("GET", "/api/v1/developers/docs", token=dev)
        self.assertEqual(s, 200, docs)
        tags = {t["name"]: t["operations"] for t in docs["tags"]}
        for tag in ("auth", "developers", "metering", "devices", "telemetry"):
            self.assertIn(tag, tags)
        reg = next(o for o in tags["developers"] if o["path"] == "/api/v1/developers/register")
        self.assertEqual(reg["method"], "post")
        self.assertTrue(reg["public"])

        # Login 2.
        dev = self.server.login(email, PASSWORD)

        # A second developer: one login, no tools; cannot see alice's sandbox.
        self.verified_developer("bob@example.org")
        bob = self.server.login("bob@example.org", PASSWORD)
        s, _, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}", token=bob)
        self.assertEqual(s, 404)
        s, b, _ = self.req("GET", "/api/v1/devices", token=bob)
        self.assertEqual(len(b["items"]), 3)
        self.assertNotIn(cnc["id"], [d["id"] for d in b["items"]])

        # Metering: exactly the logins and tool calls made.
        s, mine, _ = self.req("GET", f"/api/v1/metering/summary?month={this_month()}", token=dev)
        self.assertEqual(s, 200, mine)
        self.assertEqual(mine["tenantId"], tenant)
        self.assertEqual(mine["developerLogins"], 2)
        self.assertEqual(mine["toolCalls"], 3)
        self.assertEqual(mine["activeDevelopers"], 1)
        s, all_, _ = self.req("GET", f"/api/v1/metering/summary?month={this_month()}", token=admin)
        self.assertEqual(s, 200, all_)
        self.assertIsNone(all_["tenantId"])
        self.assertEqual(all_["developerLogins"], 3)
        self.assertEqual(all_["toolCalls"], 3)
        self.assertEqual(all_["activeDevelopers"], 1, "bob logged in but used no tool")
        self.assertEqual(all_["appCalls"], 0)
        s, daily, _ = self.req("GET", f"/api/v1/metering/daily?subject={user_id}", token=dev)
        self.assertEqual(s, 200, daily)
        by_kind = {}
        for item in daily["items"]:
            by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + item["count"]
        self.assertEqual(by_kind, {"developer_login": 2, "tool_call": 3})
        s, b, _ = self.req("GET", "/api/v1/metering/summary?month=2026-13", token=dev)
        self.assertEqual(s, 400)
        s, b, _ = self.req("GET", "/api/v1/metering/daily?from=2026-11-30&to=2026-11-01", token=dev)
        self.assertEqual(s, 400)
        s, b, _ = self.req("GET", "/api/v1/metering/summary", token=bob)
        self.assertEqual(b["developerLogins"], 1, "bob sees only his sandbox tenant")
        s, metrics, _ = self.req("GET", "/metrics")
        m = re.search(r"^kaiwu_metering_records_written_total (\d+)", metrics, re.M)
        self.assertTrue(m)
        self.assertGreaterEqual(int(m.group(1)), 5)  # flushed within a second or by the summary

        # After a restart: the records were flushed at shutdown and the sandboxes simulate again.
        self.server.stop()
        self.server.start()
        admin = self.server.login("admin", ADMIN_PASSWORD)
        s, again, _ = self.req("GET", f"/api/v1/metering/summary?month={this_month()}", token=admin)
        self.assertEqual(again["developerLogins"], 3)
        self.assertEqual(again["toolCalls"], 3)
        dev = self.server.login(email, PASSWORD)
        _, before, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}/telemetry/latest", token=dev)
        time.sleep(1.0)
        _, after, _ = self.req("GET", f"/api/v1/devices/{cnc['id']}/telemetry/latest", token=dev)
        self.assertGreater(after["spindle_speed"]["ts"], before["spindle_speed"]["ts"])


class OutboxAndExpiryTest(unittest.TestCase):
    """No smtp.url: the mail lands in <data>/outbox.log; a token past its lifetime is refused."""

    def test_expired_token_from_outbox(self):
        server = Server(extra_sets=["portal.token_ttl_s=1", "portal.resend_interval_s=0"])
        server.start()
        try:
            s, b, _ = server.request("POST", "/api/v1/developers/register",
                                     {"email": "carol@example.net", "name": "Carol", "password": PASSWORD})
            self.assertEqual(s, 201, b)
            outbox = os.path.join(server.data_dir, "outbox.log")
            def mail():  # the file appears before the message is written into it
                if not os.path.exists(outbox):
                    return None
                with open(outbox, encoding="utf-8") as f:
                    text = f.read()
                return text if "To: carol@example.net" in text and re.search(r"/verify\?token=[A-Za-z0-9_\-]+\s", text) else None
            text = wait_for(mail, 10, what="the verification mail in outbox.log")
            token = token_of(text)
            time.sleep(1.3)
            s, b, _ = server.request("POST", "/api/v1/developers/verify", {"token": token})
            self.assertEqual(s, 409, b)
            self.assertEqual(b["error"]["code"], "failed_precondition")
            self.assertIn("expired", b["error"]["message"])
            s, b, _ = server.request("POST", "/api/v1/developers/resend", {"email": "carol@example.net"})
            self.assertEqual(s, 202, b)
            deadline = time.time() + 10
            while time.time() < deadline:
                with open(outbox, encoding="utf-8") as f:
                    if f.read().count("To: carol@example.net") == 2:
                        break
                time.sleep(0.1)
            with open(outbox, encoding="utf-8") as f:
                self.assertEqual(f.read().count("To: carol@example.net"), 2)
            self.assertIn("outbox.log", server.read_log())
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
