"""The console's server side over real HTTP: static files from http.web_root (types, caching,
SPA fallback, traversal, precompressed .gz siblings for gzip clients) and GET /api/v1/overview
counting within the caller's tenant."""

import gzip
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402


def raw_get(server, target, headers=None, full=False):
    """GET with the target sent verbatim (urllib would normalise '..') and the body undecoded."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", target, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    if full:
        return resp.status, dict(resp.getheaders()), body
    return resp.status, resp.getheader("Content-Type"), body


def check_gzip(server, root):
    """The build's <file>.gz goes to clients that accept gzip, byte for byte, with the file's type."""
    source = ("export const table = [" + ",".join(str(i) for i in range(3000)) + "];\n").encode()
    with open(os.path.join(root, "assets", "big-9f8e7d.js"), "wb") as f:
        f.write(source)
    with open(os.path.join(root, "assets", "big-9f8e7d.js.gz"), "wb") as f:
        f.write(gzip.compress(source, 9))
    status, headers, body = raw_get(server, "/assets/big-9f8e7d.js", {"Accept-Encoding": "gzip, deflate, br"}, full=True)
    assert status == 200, status
    assert headers.get("Content-Encoding") == "gzip", headers
    assert headers.get("Vary") == "Accept-Encoding", headers
    assert headers["Content-Type"].startswith("text/javascript"), headers
    assert int(headers["Content-Length"]) == len(body) < len(source) / 2, (headers, len(body))
    assert gzip.decompress(body) == source
    status, headers, body = raw_get(server, "/assets/big-9f8e7d.js", {"Accept-Encoding": "gzip;q=0, br"}, full=True)
    assert status == 200 and body == source and "Content-Encoding" not in headers, headers
    assert headers.get("Vary") == "Accept-Encoding", headers
    status, headers, body = raw_get(server, "/assets/big-9f8e7d.js", full=True)
    assert body == source and "Content-Encoding" not in headers, headers


def check_static(root):
    secret = os.path.join(os.path.dirname(root), "secret.txt")
    with open(secret, "w") as f:
        f.write("top secret")
    os.makedirs(os.path.join(root, "assets"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<!doctype html><title>console</title>")
    with open(os.path.join(root, "assets", "app-1a2b3c.js"), "w") as f:
        f.write("export const x = 1;")
    server = harness.Server(extra_sets=[f"http.web_root={root}"]).start()
    try:
        status, body, headers = server.request("GET", "/")
        assert status == 200 and "console" in body, (status, body)
        assert headers["Content-Type"].startswith("text/html"), headers
        assert headers["Cache-Control"] == "no-cache"
        status, body, headers = server.request("GET", "/assets/app-1a2b3c.js")
        assert status == 200 and body == "export const x = 1;", body
        assert headers["Content-Type"].startswith("text/javascript"), headers
        assert "immutable" in headers["Cache-Control"], headers
        status, body, _ = server.request("GET", "/devices/dev_42")
        assert status == 200 and "console" in body, (status, body)
        status, body, _ = server.request("GET", "/assets/missing.js")
        assert status == 404, status
        status, body, headers = server.request("GET", "/api/v1/nothing-here")
        assert status == 404 and body["error"]["code"] == "not_found", body
        status, body, _ = server.request("POST", "/devices")
        assert status == 404, status
        for target in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt"]:
            status, _, body = raw_get(server, target)
            assert b"top secret" not in body, target
            assert status in (400, 404), (target, status)
        status, body, _ = server.request("GET", "/healthz")
        assert status == 200 and body["status"] == "ok"
        check_gzip(server, root)
    finally:
        server.cleanup()


def check_overview():
    server = harness.Server().start()
    try:
        admin = server.login("admin", harness.ADMIN_PASSWORD)
        ids = {}
        for name in ("t-a", "t-b"):
            status, t, _ = server.request("POST", "/api/v1/tenants", {"name": name}, token=admin)
            assert status == 201, t
            ids[name] = t["id"]
        status, user, _ = server.request("POST", "/api/v1/users", {"username": "ta-admin", "password": "tenant-a-secret-1",
                                                                    "role": "tenant-admin", "tenantId": ids["t-a"]}, token=admin)
        assert status == 201, user
        ents = {}
        for name in ("t-a", "t-b"):
            status, e, _ = server.request("POST", "/api/v1/enterprises", {"name": "E " + name, "industry": "机械",
                                                                           "tenantId": ids[name]}, token=admin)
            assert status == 201, e
            ents[name] = e["id"]
        status, p, _ = server.request("POST", "/api/v1/parks", {"name": "P", "tenantId": ids["t-a"]}, token=admin)
        assert status == 201, p
        for tenant, category, protocol in [("t-a", "running", "mqtt"), ("t-a", "running", "modbus-tcp"),
                                           ("t-a", "mobile", "mqtt"), ("t-b", "processing", "opcua")]:
            status, d, _ = server.request("POST", "/api/v1/devices", {"name": f"{tenant}-{category}-{protocol}",
                                                                       "enterpriseId": ents[tenant], "category": category,
                                                                       "protocol": protocol, "tenantId": ids[tenant]}, token=admin)
            assert status == 201, d

        status, o, _ = server.request("GET", "/api/v1/overview", token=admin)
        assert status == 200, o
        assert o["devices"] == 4 and o["enterprises"] == 2 and o["parks"] == 1, o
        assert o["byCategory"] == {"running": 2, "processing": 1, "mobile": 1, "other": 0}, o
        assert o["byProtocol"] == {"mqtt": 2, "modbus-tcp": 1, "opcua": 1}, o
        assert o["online"] == 0 and o["activeLast24h"] == 0, o
        assert isinstance(o["samplesIngested"], int), o

        ta = server.login("ta-admin", "tenant-a-secret-1")
        status, o, _ = server.request("GET", "/api/v1/overview", token=ta)
        assert status == 200, o
        assert o["devices"] == 3 and o["enterprises"] == 1 and o["parks"] == 1, o
        assert o["byCategory"] == {"running": 2, "processing": 0, "mobile": 1, "other": 0}, o
        assert o["byProtocol"] == {"mqtt": 2, "modbus-tcp": 1}, o
        assert o["samplesIngested"] is None, o  # a process-wide figure: platform admins only

        status, body, _ = server.request("GET", "/api/v1/overview")
        assert status == 401, body
        status, info, _ = server.request("GET", "/api/v1/connect-info", token=ta)
        assert status == 200 and info["mqttPort"] == server.mqtt_port and info["mqttTlsPort"] == 0, info
    finally:
        server.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="kaiwu-web-root-") as d:
        check_static(os.path.join(d, "dist"))
    check_overview()
    print("console http: OK")
