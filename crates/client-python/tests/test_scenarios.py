"""The SDK scenarios of tests/sdk/scenarios.txt for the Python package, one test per id
(`test_<id>`), each against its own testbed (a real server behind two relays). The Rust
and Node packages run the same list against the same testbed.

Run from the repository root, with the package installed:
    CODITECT_SERVER_BIN=target/debug/coditect-license python -m unittest discover -s crates/client-python/tests -v
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from typing import Any

import coditect_license as cl

from sdk_testbed import Testbed, instant, scenario_ids, token_claims

PRODUCT = "sdk-scenarios"


class _WithTestbed(unittest.TestCase):
    """Each test gets a testbed of its own, a JWKS cache of its own, and its leases
    released at the end whatever happened."""

    def setUp(self) -> None:
        self.bed = Testbed()
        self.addCleanup(self.bed.close)
        tmp = tempfile.TemporaryDirectory(prefix="coditect-py-")
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)

    def client(self, key: str, hw: str, *, fallback: bool = False, **kw: Any) -> cl.Client:
        c = cl.Client(
            self.bed.primary,
            key,
            PRODUCT,
            fallback_urls=[self.bed.secondary] if fallback else [],
            hardware_id=hw,
            jwks_cache=self.dir / f"jwks-{hw}.json",
            request_timeout=5.0,
            **kw,
        )
        self.assertEqual(c.hardware_id, hw)
        return c

    def acquire(self, client: cl.Client) -> cl.Lease:
        lease = client.acquire()

        def release() -> None:
            try:
                lease.release()
            except cl.LicenseError:
                pass  # the test may have stopped the server

        self.addCleanup(release)
        return lease

    def poll(self, what: str, timeout: float, f: Any) -> Any:
        """Calls `f` until it returns something true, for up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = f()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout} s")
            time.sleep(0.05)


class Scenarios(_WithTestbed):
    """One test per id of tests/sdk/scenarios.txt."""

    def test_acquire(self) -> None:
        key, lid = self.bed.license(seats_total=1, entitlements=["export"])
        lease = self.acquire(self.client(key, "hw-acquire"))
        self.assertEqual(lease.state, "active")
        self.assertTrue(lease.is_usable)
        self.assertIsNone(lease.lost_reason)
        self.assertIsNone(lease.grace_until)
        self.assertTrue(lease.has_entitlement("export"))
        self.assertFalse(lease.has_entitlement("import"))
        self.assertEqual(lease.entitlements, ["export"])
        self.assertEqual(len(lease.token.split(".")), 3, "a JWS compact token")
        self.assertEqual(lease.seat["session_id"], lease.session_id)
        self.assertEqual(lease.seat["token"], lease.token)
        self.assertEqual(token_claims(lease.token)["sub"], lease.session_id)
        self.assertEqual(self.bed.seats_used(lid), 1)
        self.assertEqual(self.bed.session(lease.session_id)["hardware_id"], "hw-acquire")

    def test_heartbeat_beyond_ttl(self) -> None:
        key, _ = self.bed.license(seats_total=1, heartbeat_ttl_seconds=3)
        lease = self.acquire(self.client(key, "hw-beat"))
        sid = lease.session_id
        before = self.bed.session(sid)
        time.sleep(4.5)
        after = self.bed.session(sid)
        self.assertEqual(lease.session_id, sid, "the same session")
        self.assertEqual(after["status"], "active")
        self.assertGreater(instant(after["expires_at"]), instant(before["expires_at"]))
        self.assertGreater(
            instant(after["last_heartbeat_at"]), instant(before["last_heartbeat_at"])
        )
        self.assertEqual(lease.state, "active")
        self.assertTrue(lease.is_usable)

    def test_server_restart(self) -> None:
        key, _ = self.bed.license(seats_total=1, heartbeat_ttl_seconds=6)
        lease = self.acquire(self.client(key, "hw-restart"))
        sid = lease.session_id
        self.bed.post("/server/restart")
        restarted = self.bed.session(sid)["last_heartbeat_at"]
        self.assertTrue(lease.is_usable, f"usable through the restart ({lease.state})")
        self.assertIn(lease.state, ("active", "grace"))
        # The background heartbeat (every 2 s) reaches the restarted server by itself.
        self.poll(
            "a background heartbeat after the restart",
            4,
            lambda: instant(self.bed.session(sid)["last_heartbeat_at"]) > instant(restarted),
        )
        self.assertEqual(lease.session_id, sid)
        self.assertTrue(lease.is_usable)
        seat = lease.heartbeat()
        self.assertEqual(seat["session_id"], sid, "the same session after the restart")
        self.assertEqual(lease.session_id, sid)
        self.assertEqual(lease.state, "active")
        self.assertTrue(lease.is_usable)
        self.assertEqual(self.bed.session(sid)["status"], "active")

    def test_forced_release(self) -> None:
        key, lid = self.bed.license(seats_total=1, heartbeat_ttl_seconds=3)
        client = self.client(key, "hw-forced")
        lease = self.acquire(client)
        self.bed.post(f"/sessions/{lease.session_id}/force-release")
        self.assertEqual(lease.wait_for_state("lost", 5), "lost")
        self.assertEqual(lease.lost_reason, "forced")
        self.assertFalse(lease.is_usable)
        self.assertEqual(self.bed.seats_used(lid), 0)
        again = self.acquire(client)
        self.assertEqual(again.state, "active")
        self.assertNotEqual(again.session_id, lease.session_id)
        self.assertEqual(self.bed.seats_used(lid), 1)

    def test_expiry_reacquire(self) -> None:
        key, lid = self.bed.license(seats_total=1, heartbeat_ttl_seconds=3)
        lease = self.acquire(self.client(key, "hw-expiry"))
        sid = lease.session_id
        self.bed.post(f"/sessions/{sid}/expire")
        new = self.poll("a new session", 5, lambda: lease.session_id != sid and lease.session_id)
        self.assertNotEqual(new, sid)
        self.assertEqual(lease.state, "active")
        self.assertTrue(lease.is_usable)
        self.assertEqual(self.bed.session(new)["status"], "active")
        self.assertEqual(self.bed.seats_used(lid), 1)

    def test_release_on_scope_exit(self) -> None:
        key, lid = self.bed.license(seats_total=1)
        client = self.client(key, "hw-scope")
        with client.acquire() as lease:
            self.assertEqual(lease.state, "active")
            self.assertEqual(self.bed.seats_used(lid), 1)
            sid = lease.session_id
        self.assertEqual(self.bed.seats_used(lid), 0)
        self.assertEqual(lease.state, "released")
        self.assertFalse(lease.is_usable)
        self.assertEqual(lease.session_id, sid, "the seat is still readable")
        self.assertEqual(self.bed.session(sid)["status"], "released")
        # A release after the release is harmless: the server says it was already over.
        self.assertFalse(lease.release()["released"])
        # An exception in the block releases too, and is the one raised.
        with self.assertRaises(ZeroDivisionError):
            with client.acquire() as lease2:
                self.assertEqual(self.bed.seats_used(lid), 1)
                1 / 0
        self.assertEqual(lease2.state, "released")
        self.assertEqual(self.bed.seats_used(lid), 0)

    def test_release_on_process_exit(self) -> None:
        key, lid = self.bed.license(seats_total=1)
        script = textwrap.dedent(
            """
            import sys, threading, time
            import coditect_license as cl
            client = cl.Client(sys.argv[1], sys.argv[2], sys.argv[3],
                               hardware_id="hw-exit", jwks_cache=sys.argv[4])
            lease = client.acquire()
            # A worker thread still holds the lease at exit, so it is never garbage-collected:
            # only the package's exit hook can give the seat back.
            threading.Thread(target=lambda held=lease: time.sleep(3600), daemon=True).start()
            print(lease.session_id, flush=True)
            sys.stdin.readline()   # hold the seat until told to exit; never release it
            """
        )
        child = subprocess.Popen(
            [sys.executable, "-c", script, self.bed.primary, key, PRODUCT, str(self.dir / "j.json")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            sid = child.stdout.readline().strip()
            self.assertTrue(sid, "the child acquired")
            self.assertEqual(self.bed.seats_used(lid), 1, "the child holds the seat")
            self.assertEqual(self.bed.session(sid)["status"], "active")
            child.stdin.close()
            self.assertEqual(child.wait(timeout=30), 0)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        self.assertEqual(self.bed.seats_used(lid), 0, "the seat was given back at exit")
        self.assertEqual(self.bed.session(sid)["status"], "released")

    def test_offline_verify(self) -> None:
        key, _ = self.bed.license(seats_total=1, entitlements=["export"])
        client = self.client(key, "hw-offline")
        lease = self.acquire(client)
        self.assertTrue((self.dir / "jwks-hw-offline.json").exists(), "the JWKS was cached")
        token, sid = lease.token, lease.session_id
        self.bed.post("/server/stop")
        v = client.verify_offline(token)
        self.assertEqual(v.session_id, sid)
        self.assertEqual(v.hardware_id, "hw-offline")
        self.assertTrue(v.has_entitlement("export"))
        self.assertFalse(v.has_entitlement("import"))
        self.assertEqual(v.claims["ent"], ["export"])
        self.assertEqual(v.claims["sub"], sid)
        self.assertEqual(v.expires_at, token_claims(token)["exp"])
        head, payload, sig = token.split(".")
        i = len(sig) // 2
        tampered = f"{head}.{payload}.{sig[:i]}{'A' if sig[i] != 'A' else 'B'}{sig[i + 1:]}"
        with self.assertRaises(cl.InvalidToken) as caught:
            client.verify_offline(tampered)
        self.assertEqual(caught.exception.code, "invalid_token")
        self.assertIsNone(caught.exception.status)
        # Another license's client refuses the token too (it was not issued for it).
        other = cl.Client(
            self.bed.primary, "OTHER-KEY", PRODUCT, hardware_id="hw-offline",
            jwks_cache=self.dir / "jwks-hw-offline.json",
        )
        with self.assertRaises(cl.InvalidToken):
            other.verify_offline(token)

    def test_failover_second_url(self) -> None:
        key, lid = self.bed.license(seats_total=2, heartbeat_ttl_seconds=3)
        lease = self.acquire(self.client(key, "hw-failover-a", fallback=True))
        sid = lease.session_id
        before = self.bed.session(sid)
        self.bed.post("/relays/primary/down")
        # More than two heartbeat intervals (1 s) without leaving the active state.
        self.assertEqual(lease.wait_for_state(("grace", "lost"), 3.5), "active")
        self.assertEqual(lease.session_id, sid)
        self.assertTrue(lease.is_usable)
        after = self.bed.session(sid)
        self.assertGreater(
            instant(after["last_heartbeat_at"]), instant(before["last_heartbeat_at"])
        )
        self.assertEqual(lease.heartbeat()["session_id"], sid)
        other = self.acquire(self.client(key, "hw-failover-b", fallback=True))
        self.assertEqual(other.state, "active")
        self.assertEqual(self.bed.seats_used(lid), 2)

    def test_grace_until_exp(self) -> None:
        key, _ = self.bed.license(seats_total=1, heartbeat_ttl_seconds=3)
        lease = self.acquire(self.client(key, "hw-grace", fallback=True))
        self.bed.post("/relays/primary/down")
        self.bed.post("/relays/secondary/down")
        self.assertEqual(lease.wait_for_state("grace", 5), "grace")
        exp = token_claims(lease.token)["exp"]
        self.assertEqual(lease.grace_until, exp)
        self.assertIsNone(lease.lost_reason)
        while time.time() < exp - 0.5 and lease.state == "grace":
            self.assertTrue(lease.is_usable, "usable in grace before exp")
            time.sleep(0.1)
        self.assertEqual(lease.wait_for_state("lost", 6), "lost")
        lost_at = time.time()
        self.assertEqual(lease.lost_reason, "expired")
        self.assertGreaterEqual(lost_at, exp - 1, "not lost before the token's exp")
        self.assertLessEqual(lost_at, exp + 1.5, "grace never outlasts the token")
        self.assertFalse(lease.is_usable)
        self.assertIsNone(lease.grace_until)


class ScenarioList(unittest.TestCase):
    def test_one_test_per_scenario(self) -> None:
        tests = sorted(n[5:] for n in dir(Scenarios) if n.startswith("test_"))
        self.assertEqual(tests, sorted(scenario_ids()))


def camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


CLIENT_CODES = [
    "network_error",
    "invalid_token",
    "token_expired",
    "no_jwks",
    "hardware_id_unavailable",
    "invalid_config",
    "io_error",
]


class Errors(unittest.TestCase):
    def test_every_error_code_has_a_class(self) -> None:
        codes = cl.error_codes()
        self.assertIn("no_seats_available", codes)
        for code in [*codes, *CLIENT_CODES]:
            with self.subTest(code=code):
                cls = cl.error_class(code)
                self.assertIsNot(cls, cl.LicenseError)
                self.assertTrue(issubclass(cls, cl.LicenseError))
                self.assertEqual(cls.__name__, camel(code))
                self.assertEqual(cls.code, code)
                self.assertIs(getattr(cl, camel(code)), cls)
        # errors.py has no class of its own beyond the contract's and the client's codes.
        known = {c.code for c in cl.LicenseError.__subclasses__()}
        self.assertEqual(known, {*codes, *CLIENT_CODES})
        self.assertIs(cl.error_class("seat_lease_revoked"), cl.LicenseError)

    def test_an_unknown_code_raises_plain_license_error(self) -> None:
        e = cl.errors._from_native("seat_lease_revoked", 409, "newer", '{"x": 1}')
        self.assertIs(type(e), cl.LicenseError)
        self.assertEqual((e.code, e.status, e.message, e.details), ("seat_lease_revoked", 409, "newer", {"x": 1}))
        self.assertEqual(str(e), "seat_lease_revoked (409): newer")

    def test_a_bad_setting_raises_invalid_config(self) -> None:
        with self.assertRaises(cl.InvalidConfig):
            cl.Client("http://127.0.0.1:9", "K", PRODUCT, hardware_id="h", request_timeout=-1)
        c = cl.Client("http://127.0.0.1:9", "K", PRODUCT, hardware_id="h")
        with self.assertRaises(cl.InvalidConfig):
            c.acquire(wait=float("nan"))

    def test_an_unreachable_server_raises_network_error(self) -> None:
        c = cl.Client("http://127.0.0.1:9", "K", PRODUCT, hardware_id="h", request_timeout=2)
        with self.assertRaises(cl.NetworkError) as caught:
            c.acquire()
        self.assertEqual(caught.exception.code, "network_error")
        self.assertIsNone(caught.exception.status)


class Refusals(_WithTestbed):
    def test_refusal_raises_the_named_class(self) -> None:
        key, _ = self.bed.license(seats_total=1)
        self.acquire(self.client(key, "hw-one"))
        with self.assertRaises(cl.NoSeatsAvailable) as caught:
            self.client(key, "hw-two").acquire()
        e = caught.exception
        self.assertIsInstance(e, cl.LicenseError)
        self.assertEqual(e.code, "no_seats_available")
        self.assertEqual(e.status, 409)
        self.assertEqual(e.details["seats_total"], 1)
        self.assertEqual(e.details["seats_used"], 1)
        with self.assertRaises(cl.LicenseNotFound) as caught2:
            self.client("NO-SUCH-KEY", "hw-three").acquire()
        self.assertEqual(caught2.exception.code, "license_not_found")
        self.assertEqual(caught2.exception.status, 404)

    def test_wait_for_state_refuses_unknown_states(self) -> None:
        key, _ = self.bed.license(seats_total=1)
        lease = self.acquire(self.client(key, "hw-states"))
        with self.assertRaises(ValueError):
            lease.wait_for_state("dormant", 0.1)  # type: ignore[arg-type]
        started = time.monotonic()
        self.assertEqual(lease.wait_for_state(["grace", "lost"], 0.3), "active")
        self.assertGreaterEqual(time.monotonic() - started, 0.25)
        self.assertEqual(lease.wait_for_state("active", 5), "active")


if __name__ == "__main__":
    unittest.main()
