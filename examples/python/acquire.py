#!/usr/bin/env python3
"""Acquire a seat, verify its token offline, release it: the C ABI from Python (ctypes).

    python3 examples/python/acquire.py http://127.0.0.1:8080 LICENSE-KEY [entitlement]

The library is found through $CODITECT_LICENSE_LIB, else target/debug or target/release.
Exits 0 when every step worked, 1 otherwise.
"""
import ctypes
import json
import os
import sys
from pathlib import Path

OK, INVALID_TOKEN = 0, 9
LEASE_ACTIVE, LEASE_RELEASED = 0, 3


def load_library():
    names = {"darwin": "libcoditect_license.dylib", "win32": "coditect_license.dll"}
    name = names.get(sys.platform, "libcoditect_license.so")
    root = Path(__file__).resolve().parents[2]
    candidates = [os.environ.get("CODITECT_LICENSE_LIB")] + [
        str(root / "target" / profile / name) for profile in ("debug", "release")
    ]
    for path in filter(None, candidates):
        if Path(path).exists():
            lib = ctypes.CDLL(path)
            break
    else:
        sys.exit(f"{name} not found; build it with: cargo build -p coditect-license-ffi")
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    out_p, out_s = ctypes.POINTER(p), ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "coditect_client_new": ([s, s, s, s, s, out_p], i),
        "coditect_client_free": ([p], None),
        "coditect_acquire": ([p, ctypes.c_uint32, out_p], i),
        "coditect_lease_heartbeat": ([p], i),
        "coditect_lease_state": ([p], i),
        "coditect_lease_session_id": ([p, out_s], i),
        "coditect_lease_token": ([p, out_s], i),
        "coditect_lease_release": ([p], i),
        "coditect_lease_free": ([p], None),
        "coditect_verify": ([p, s, out_p], i),
        "coditect_token_has_entitlement": ([p, s], i),
        "coditect_token_claims_json": ([p, out_s], i),
        "coditect_token_free": ([p], None),
        "coditect_string_free": ([p], None),
        "coditect_last_error_code": ([], s),
        "coditect_last_error_message": ([], s),
    }
    for fn, (args, res) in sigs.items():
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    return lib


class LicenseError(Exception):
    pass


def check(lib, status, step):
    if status != OK:
        code = lib.coditect_last_error_code().decode()
        msg = lib.coditect_last_error_message().decode()
        raise LicenseError(f"{step}: status {status}, {code}: {msg}")


def take_string(lib, fn, handle, step):
    out = ctypes.c_void_p()
    check(lib, fn(handle, ctypes.byref(out)), step)
    try:
        return ctypes.cast(out, ctypes.c_char_p).value.decode()
    finally:
        lib.coditect_string_free(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: acquire.py SERVER_URL LICENSE_KEY [ENTITLEMENT]")
    url, key = sys.argv[1].encode(), sys.argv[2].encode()
    entitlement = sys.argv[3].encode() if len(sys.argv) > 3 else None
    lib = load_library()
    client, lease, token_h = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    try:
        check(lib, lib.coditect_client_new(url, key, b"acme-python-example", None, None,
                                           ctypes.byref(client)), "client")
        check(lib, lib.coditect_acquire(client, 10, ctypes.byref(lease)), "acquire")
        session = take_string(lib, lib.coditect_lease_session_id, lease, "session id")
        print(f"acquired session {session}")
        check(lib, lib.coditect_lease_heartbeat(lease), "heartbeat")
        assert lib.coditect_lease_state(lease) == LEASE_ACTIVE, "lease not active"

        token = take_string(lib, lib.coditect_lease_token, lease, "token")
        check(lib, lib.coditect_verify(client, token.encode(), ctypes.byref(token_h)), "verify")
        claims = json.loads(take_string(lib, lib.coditect_token_claims_json, token_h, "claims"))
        print(f"verified offline: session {claims['sub']}, entitlements {claims['ent']}")
        assert claims["sub"] == session, "token of another session"
        if entitlement is not None:
            assert lib.coditect_token_has_entitlement(token_h, entitlement) == 1, "not entitled"

        mid = len(token) // 2
        tampered = token[:mid] + ("B" if token[mid] == "A" else "A") + token[mid + 1:]
        bad = ctypes.c_void_p()
        status = lib.coditect_verify(client, tampered.encode(), ctypes.byref(bad))
        lib.coditect_token_free(bad)
        assert status == INVALID_TOKEN, f"tampered token not refused: {status}"

        check(lib, lib.coditect_lease_release(lease), "release")
        assert lib.coditect_lease_state(lease) == LEASE_RELEASED, "lease not released"
        print("released")
        return 0
    except (LicenseError, AssertionError) as e:
        print(f"failed: {e}", file=sys.stderr)
        return 1
    finally:
        lib.coditect_token_free(token_h)
        lib.coditect_lease_free(lease)
        lib.coditect_client_free(client)


if __name__ == "__main__":
    sys.exit(main())
