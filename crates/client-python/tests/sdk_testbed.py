"""The Python side of tests/sdk/testbed.py: starts one testbed (a real license server,
two relays standing for two addresses of the service, a control API) and calls its
control API. Standard library only."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests" / "sdk" / "testbed.py"
SCENARIOS = REPO / "tests" / "sdk" / "scenarios.txt"


def scenario_ids() -> list[str]:
    """The ids of tests/sdk/scenarios.txt, in order."""
    ids = []
    for line in SCENARIOS.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.append(line.split()[0])
    return ids


def instant(value: str) -> datetime:
    """An RFC 3339 time of the admin API (any number of fraction digits, `Z`)."""
    value = value.replace("Z", "+00:00")
    if "." in value:
        head, rest = value.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        value = f"{head}.{(digits + '000000')[:6]}{zone}"
    return datetime.fromisoformat(value)


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWS compact token, decoded without checking it."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Testbed:
    """One running testbed; `close` (closing its stdin) ends it and its server."""

    def __init__(self) -> None:
        server_bin = os.path.abspath(os.environ["CODITECT_SERVER_BIN"])
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--server-bin", server_bin],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        try:
            self.control = json.loads(first)["control"]
        except (ValueError, KeyError):
            self.close()
            raise RuntimeError(f"the testbed did not start: {first!r}")
        urls = self.get("/urls")
        self.primary: str = urls["primary"]
        self.secondary: str = urls["secondary"]
        self.direct: str = urls["direct"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            self.control + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read() or b"null")

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, body)

    def license(self, **fields: Any) -> tuple[str, str]:
        """A license with these fields: (its key, its id)."""
        r = self.post("/licenses", fields)
        return r["license_key"], r["license_id"]

    def seats_used(self, license_id: str) -> int:
        return self.get(f"/licenses/{license_id}")["seats_used"]

    def session(self, session_id: str) -> dict[str, Any]:
        return self.get(f"/sessions/{session_id}")

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
