#!/usr/bin/env python3
"""Acquire a seat, verify its token offline, release it: the `coditect-license` package.

    pip install coditect-license   # or the wheel .ci/sdk builds from crates/client-python
    python3 examples/python/acquire.py http://127.0.0.1:8080 LICENSE-KEY [entitlement]

Exits 0 when every step worked, 1 otherwise.
"""
import sys

import coditect_license as cl


def main(server_url, license_key, entitlement=None):
    client = cl.Client(server_url, license_key, "example-app", app_version="1.0.0")
    with client.acquire() as lease:  # heartbeats on its own; released when the block ends
        if entitlement and not lease.has_entitlement(entitlement):
            print(f"the license does not grant {entitlement!r}", file=sys.stderr)
            return 1
        verified = client.verify_offline(lease.token)  # no network: the cached JWKS
        if verified.session_id != lease.session_id:
            print("the token names another session", file=sys.stderr)
            return 1
        print(f"seat {lease.session_id}: {lease.state}, entitlements {lease.entitlements}")
    if lease.state != "released":
        print(f"the lease is {lease.state} after the block, not released", file=sys.stderr)
        return 1
    try:
        client.verify_offline(lease.token[:-2] + ("AA" if not lease.token.endswith("AA") else "BB"))
    except cl.InvalidToken:
        pass
    else:
        print("a tampered token verified", file=sys.stderr)
        return 1
    print("acquired, verified offline and released")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:4]))
