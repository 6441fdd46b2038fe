#!/usr/bin/env python3
"""The SDK testbed: one real license server and the faults the SDK scenarios need, behind a
small control API, so the Rust, Python and Node suites run the same scenarios against the
same set-up (tests/sdk/scenarios.txt lists them).

It starts the server binary (`--server-bin`) on a loopback port with a fresh data dir
(embedded SQLite), and two TCP relays in front of it that stand for two addresses of the
service (a vendor's replicas behind different addresses). It prints one JSON line on
stdout, `{"control": URL}`, then serves the control API until its stdin closes (the test
that started it went away) or `POST /shutdown`.

Control API (JSON in and out, loopback only):
  GET  /urls                        {"primary", "secondary", "direct"} base URLs
  POST /licenses                    body: license fields -> {"license_key", "license_id"}
  GET  /licenses/{id}               the license as the admin API shows it
  GET  /sessions/{id}               the session as the admin API lists it
  POST /sessions/{id}/expire        the server forgets the session's lease: its expiry is
                                    moved into the past in the database (a laptop that
                                    slept past the TTL)
  POST /sessions/{id}/force-release an admin's forced release
  POST /relays/{primary|secondary}/{down|up}
                                    down: the address refuses connections and drops the
                                    open ones; up: it listens again on the same port
  POST /server/{stop|start|restart} the server process (restart keeps port and data)
  POST /shutdown
Standard library only.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A TCP relay on a fixed loopback port to the server; can be taken down and up."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.lock = threading.Lock()
        self.listener = None
        self.conns = set()
        self.up()

    def up(self):
        with self.lock:
            if self.listener is not None:
                return
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", self.port))
            ls.listen(128)
            self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def down(self):
        with self.lock:
            ls, self.listener = self.listener, None
            conns, self.conns = self.conns, set()
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            ls.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, ls):
        while True:
            try:
                client, _ = ls.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not ls:
                    client.close()
                    upstream.close()
                    return
                self.conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Testbed:
    def __init__(self, server_bin):
        self.server_bin = server_bin
        self.dir = tempfile.mkdtemp(prefix="coditect-sdk-testbed-")
        self.port = free_port()
        self.admin = secrets.token_hex(24)
        self.proc = None
        self.start()
        tenant = self.api("POST", "/api/v1/tenants", {"name": "SDK scenarios", "slug": "sdk-scenarios"})
        self.tenant = tenant["id"]
        self.relays = {"primary": Relay(self.port), "secondary": Relay(self.port)}

    @property
    def direct(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if self.proc is not None:
            return
        env = dict(os.environ)
        env.update(
            CODITECT_LISTEN=f"127.0.0.1:{self.port}",
            CODITECT_DATA_DIR=os.path.join(self.dir, "data"),
            CODITECT_BOOTSTRAP_TOKEN=self.admin,
            RUST_LOG="warn",
        )
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.server_bin, "serve"], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + open(log.name).read()[-4000:])
            try:
                urllib.request.urlopen(self.direct + "/health/", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not answer /health/ within 30 s")

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.direct + path,
            data=data,
            method=method,
            headers={"authorization": "Bearer " + self.admin, "content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read() or b"null")

    def pages(self, path):
        cursor = None
        while True:
            sep = "&" if "?" in path else "?"
            page = self.api("GET", path + sep + "limit=100" + (f"&cursor={cursor}" if cursor else ""))
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def session(self, session_id):
        """A session as the admin API lists it (the API has no single-session read)."""
        t = self.tenant
        for lic in self.pages(f"/api/v1/tenants/{t}/licenses"):
            for s in self.pages(f"/api/v1/tenants/{t}/licenses/{lic['id']}/sessions"):
                if s["id"] == session_id:
                    return s
        raise KeyError(f"no session {session_id}")

    def expire(self, session_id):
        db = sqlite3.connect(os.path.join(self.dir, "data", "coditect.db"), timeout=10)
        try:
            past = int(time.time() * 1_000_000) - 1_000_000
            n = db.execute(
                "UPDATE sessions SET expires_at = ? WHERE id = ? AND status = 'active'",
                (past, uuid.UUID(session_id).bytes),
            ).rowcount
            db.commit()
        finally:
            db.close()
        if n != 1:
            raise KeyError(f"no active session {session_id}")
        return {"expired": session_id}

    def close(self):
        for r in getattr(self, "relays", {}).values():
            r.down()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def serve(bed):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self, method):
            parts = [p for p in self.path.split("/") if p]
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            try:
                self.reply(200, route(method, parts, body))
            except urllib.error.HTTPError as e:
                self.reply(e.code, json.loads(e.read() or b"null"))
            except KeyError as e:
                self.reply(404, {"error": str(e)})
            except Exception as e:  # the test sees what went wrong
                self.reply(500, {"error": repr(e)})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

    def route(method, parts, body):
        t = bed.tenant
        match method, parts:
            case "GET", ["urls"]:
                r = bed.relays
                return {
                    "primary": f"http://127.0.0.1:{r['primary'].port}",
                    "secondary": f"http://127.0.0.1:{r['secondary'].port}",
                    "direct": bed.direct,
                }
            case "POST", ["licenses"]:
                lic = bed.api("POST", f"/api/v1/tenants/{t}/licenses", body)
                return {"license_key": lic["license_key"], "license_id": lic["id"]}
            case "GET", ["licenses", lid]:
                return bed.api("GET", f"/api/v1/tenants/{t}/licenses/{lid}")
            case "GET", ["sessions", sid]:
                return bed.session(sid)
            case "POST", ["sessions", sid, "expire"]:
                return bed.expire(sid)
            case "POST", ["sessions", sid, "force-release"]:
                return bed.api("DELETE", f"/api/v1/tenants/{t}/sessions/{sid}")
            case "POST", ["relays", name, ("down" | "up") as what]:
                getattr(bed.relays[name], what)()
                return {name: what}
            case "POST", ["server", ("stop" | "start" | "restart") as what]:
                if what in ("stop", "restart"):
                    bed.stop()
                if what in ("start", "restart"):
                    bed.start()
                return {"server": what}
            case "POST", ["shutdown"]:
                threading.Thread(target=lambda: (time.sleep(0.1), finish()), daemon=True).start()
                return {"shutdown": True}
        raise KeyError("/".join(parts))

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True

    def finish():
        bed.close()
        os._exit(0)

    def watch_stdin():
        sys.stdin.buffer.read()
        finish()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"control": f"http://127.0.0.1:{httpd.server_address[1]}"}), flush=True)
    httpd.serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server-bin", required=True, help="the coditect-license binary")
    args = p.parse_args()
    bed = Testbed(args.server_bin)
    try:
        serve(bed)
    finally:
        bed.close()


if __name__ == "__main__":
    main()
