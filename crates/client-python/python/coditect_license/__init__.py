"""Client SDK of the CODITECT License Server.

    import coditect_license as cl
    client = cl.Client("https://license.example.com", "KEY", "acme-cad")
    with client.acquire() as lease:      # heartbeats on its own; released at the end
        if lease.has_entitlement("export"): ...

The work is done by the Rust client (``coditect_license._native``): heartbeats at the
server's interval, failover to ``fallback_urls``, grace until the token's ``exp`` while no
server answers, re-acquire when the server forgot the session. A lease still held when
the interpreter exits is released then.
"""

from __future__ import annotations

import atexit
import weakref

from . import _native
from ._native import Lease, VerifiedToken, error_codes
from .errors import *  # noqa: F401,F403  (one class per error code)
from . import errors as _errors

__version__ = _native.__version__

__all__ = [
    "Client",
    "Lease",
    "VerifiedToken",
    "error_codes",
    *_errors.__all__,
]

#: The leases not yet released, so those still held at exit give their seat back.
_live_leases: "weakref.WeakSet[Lease]" = weakref.WeakSet()


class Client(_native.Client):
    """A client of one license on one service.

    ``Client(server_url, license_key, product, *, fallback_urls=(), hardware_id=None,
    user_email=None, app_version=None, jwks_cache=None, issuer=None, request_timeout=15.0)``
    """

    def acquire(self, wait: float = 0.0) -> Lease:
        """Takes a seat (waiting up to ``wait`` seconds when the license is full); the lease
        heartbeats on its own until released. Raises a :class:`LicenseError` subclass."""
        lease = super().acquire(wait)
        _live_leases.add(lease)
        return lease


@atexit.register
def _release_at_exit() -> None:
    """Gives back the seats of leases the program did not release."""
    for lease in list(_live_leases):
        if lease.state != "released":
            try:
                lease.release()
            except Exception:  # exiting anyway; the seat times out on the server
                pass
