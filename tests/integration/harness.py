"""Starts the real `kaiwu` binary on free loopback ports in a temporary data directory and talks
to it with an independent HTTP client (urllib). The server dies with the test process."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

KAIWU = os.environ.get("KAIWU_BIN", "build/kaiwu")
ADMIN_PASSWORD = "admin-secret-1"
PR_SET_PDEATHSIG = 1


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Server:
    """One `kaiwu serve` process. start() waits for /healthz; stop() sends SIGTERM."""

    def __init__(self, data_dir=None, extra_sets=(), env=None):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="kaiwu-it-")
        self.port = free_port()
        self.mqtt_port = free_port()
        self.extra_sets = list(extra_sets)
        self.env = dict(os.environ, KAIWU_ADMIN_PASSWORD=ADMIN_PASSWORD, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    def start(self, timeout=20, wait=True):
        """wait=False returns at once (call wait_healthy() later), e.g. to start several together."""
        args = [KAIWU, "serve", "--data", self.data_dir, "--set", "http.address=127.0.0.1",
                "--set", f"http.port={self.port}", "--set", "mqtt.address=127.0.0.1",
                "--set", f"mqtt.port={self.mqtt_port}"]
        for s in self.extra_sets:
            args += ["--set", s]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                     preexec_fn=_die_with_parent)
        return self.wait_healthy(timeout) if wait else self

    def wait_healthy(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kaiwu exited with {self.proc.returncode}: {self.read_log()}")
            try:
                status, _, _ = self.request("GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("kaiwu did not become healthy: " + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.owns_dir and not os.environ.get("KAIWU_KEEP_DATA"):
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, body=None, token=None, raw=None, headers=None):
        """Returns (status, parsed JSON or text, headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, _decode(resp.read(), resp.headers), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, _decode(e.read(), e.headers), e.headers

    def login(self, username, password):
        status, body, _ = self.request("POST", "/api/v1/auth/login",
                                       {"username": username, "password": password})
        if status != 200:
            raise AssertionError(f"login {username}: {status} {body}")
        return body["token"]


def _decode(data, headers):
    if headers.get("Content-Type", "").startswith("application/json") and data:
        return json.loads(data)
    return data.decode("utf-8", "replace")


# Polls predicate until it returns something truthy (returned); AssertionError after timeout s.
def wait_for(predicate, timeout=20, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def credit_code(first17):
    """GB 32100-2015 check character, for building valid test data."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    return first17 + alphabet[(31 - total % 31) % 31]


def setup_tenant(server, admin, name, device="device-1", *, industry="电子", category="running", protocol="mqtt",
                 code=None):
    """A tenant with its tenant admin ("<name>-adm" / "password-1"), one enterprise and one device.

    Returns (tenant, token, enterprise, device) as the API returned them; the enterprise's credit
    code is valid (`code` = its first 17 characters, else one derived from the name)."""
    _, t, _ = server.request("POST", "/api/v1/tenants", {"name": name}, admin)
    server.request("POST", "/api/v1/users", {"username": f"{name}-adm", "password": "password-1",
                                             "role": "tenant-admin", "tenantId": t["id"]}, admin)
    tok = server.login(f"{name}-adm", "password-1")
    if code is None:  # letters the code's alphabet lacks (I O S V Z) become 0
        code = "91320000MA1" + "".join(c if c in "0123456789ABCDEFGHJKLMNPQRTUWXY" else "0"
                                        for c in (name.upper() + "000000")[:6])
    _, ent, _ = server.request("POST", "/api/v1/enterprises", {"name": f"{name} co", "industry": industry,
                                                               "creditCode": credit_code(code)}, tok)
    _, dev, _ = server.request("POST", "/api/v1/devices", {"name": device, "enterpriseId": ent["id"],
                                                           "category": category, "protocol": protocol}, tok)
    return t, tok, ent, dev


BUILTIN_APPS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "apps", "builtin"))


def subscribe_builtin(server, token, folder, enterprise_id):
    """Subscribes the enterprise (plan free) to the built-in APP of apps/builtin/<folder>, which a
    server started with apps.builtin_dir=BUILTIN_APPS installed, signed and listed at start.
    Returns the APP's manifest."""
    with open(os.path.join(BUILTIN_APPS, folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    st, app, _ = server.request("GET", f"/api/v1/apps/{manifest['id']}", token=token)
    assert st == 200 and app.get("listedVersion") == manifest["version"], (st, app)
    st, sub, _ = server.request("POST", f"/api/v1/apps/{manifest['id']}/subscriptions",
                                {"enterpriseId": enterprise_id, "plan": "free"}, token)
    assert st == 201, sub
    return manifest
