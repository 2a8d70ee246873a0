"""Crash safety: writers post telemetry from several threads while the server is killed with
SIGKILL at random moments, 20 times. Every sample that was acknowledged (HTTP 200) must be there
afterwards with its exact value, and the store must open cleanly each time."""

import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, Server, credit_code  # noqa: E402

ROUNDS = 20
WRITERS = 4


class CrashTest(unittest.TestCase):
    def test_acknowledged_samples_survive_kill_9(self):
        rng = random.Random(20261126)
        server = Server().start()
        try:
            admin = server.login("admin", ADMIN_PASSWORD)
            _, t, _ = server.request("POST", "/api/v1/tenants", {"name": "crash"}, admin)
            _, ent, _ = server.request("POST", "/api/v1/enterprises", {"name": "crash co", "industry": "电力",
                                       "tenantId": t["id"], "creditCode": credit_code("91110000MA0CRAXH1")}, admin)
            _, dev, _ = server.request("POST", "/api/v1/devices", {"name": "d", "enterpriseId": ent["id"],
                                       "category": "running", "tenantId": t["id"]}, admin)
            path = f"/api/v1/devices/{dev['id']}/telemetry"
            acked = {k: {} for k in range(WRITERS)}
            next_ts = [1_700_000_000_000 + k * 10_000_000 for k in range(WRITERS)]

            def writer(k, stop):
                while not stop.is_set():
                    batch = []
                    for _ in range(rng.randint(1, 50)):
                        ts = next_ts[k]
                        next_ts[k] += 1
                        batch.append({"ts": ts, "values": {f"k{k}": round(ts % 100000 * 0.01, 2), f"n{k}": ts}})
                    try:
                        status, _, _ = server.request("POST", path, batch, admin)
                    except OSError:
                        return
                    if status == 200:
                        for item in batch:
                            acked[k][item["ts"]] = item["values"][f"k{k}"]

            for round_no in range(ROUNDS):
                stop = threading.Event()
                threads = [threading.Thread(target=writer, args=(k, stop)) for k in range(WRITERS)]
                for th in threads:
                    th.start()
                time.sleep(rng.uniform(0.1, 0.8))
                server.stop(sig=signal.SIGKILL)
                stop.set()
                for th in threads:
                    th.join()
                server.start()
                self.check_all(server, path, admin, acked, round_no)
            total = sum(len(a) for a in acked.values())
            print(f"\n{ROUNDS} kill -9 rounds: all {total} acknowledged samples (two keys each) present")
            self.assertGreater(total, 1000)
        finally:
            server.cleanup()


    def check_all(self, server, path, token, acked, round_no):
        # Timestamps advance by one per sample, so windows of 50,000 ms stay under the
        # per-query limit of 100,000 samples.
        window = 50_000
        for k, samples in acked.items():
            if not samples:
                continue
            have, have_n = {}, {}
            lo, hi = min(samples), max(samples) + 1
            for start in range(lo, hi, window):
                end = min(start + window, hi)
                _, got, _ = server.request("GET", f"{path}?keys=k{k},n{k}&from={start}&to={end}&limit=100000",
                                           token=token)
                have.update((s["ts"], s["value"]) for s in got.get(f"k{k}", []))
                have_n.update((s["ts"], s["value"]) for s in got.get(f"n{k}", []))
            missing = [ts for ts in samples if ts not in have]
            self.assertFalse(missing[:20], f"round {round_no}: {len(missing)} acknowledged samples lost")
            for ts, v in samples.items():
                self.assertEqual(have[ts], v)
                self.assertEqual(have_n[ts], ts)


if __name__ == "__main__":
    unittest.main(verbosity=2)
