"""Type stubs of the native module (the Rust client's blocking API)."""

from collections.abc import Iterable
from os import PathLike
from types import TracebackType
from typing import Any, Literal, Optional, Sequence, Union

__version__: str

#: A lease's state.
State = Literal["active", "grace", "lost", "released"]

def error_codes() -> list[str]:
    """Every error code of the server's contract, spelt as on the wire."""

class VerifiedToken:
    """A token whose signature, license, installation, issuer and expiry were checked."""

    @property
    def claims(self) -> dict[str, Any]:
        """Every claim: ``iss``, ``sub``, ``tid``, ``lid``, ``kaud``, ``hwid``, ``ent``, ``iat``, ``exp``."""
    @property
    def session_id(self) -> str: ...
    @property
    def hardware_id(self) -> str: ...
    @property
    def expires_at(self) -> int:
        """The token's ``exp``, Unix seconds."""
    def has_entitlement(self, name: str) -> bool: ...

class Lease:
    """A seat held by this process; heartbeats on its own until released."""

    @property
    def state(self) -> State: ...
    @property
    def lost_reason(self) -> Optional[str]:
        """``"expired"``, ``"forced"`` or the refusal's error code while lost, else ``None``."""
    @property
    def grace_until(self) -> Optional[int]:
        """The token's ``exp`` (Unix seconds) while in grace, else ``None``."""
    @property
    def is_usable(self) -> bool: ...
    @property
    def session_id(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def entitlements(self) -> list[str]: ...
    def has_entitlement(self, name: str) -> bool: ...
    @property
    def seat(self) -> dict[str, Any]:
        """The seat as the server last granted it (the acquire/heartbeat answer)."""
    def heartbeat(self) -> dict[str, Any]: ...
    def release(self) -> dict[str, Any]:
        """Releases the seat; returns ``{"session_id", "released", "status", "server_time"}``."""
    def wait_for_state(
        self, states: Union[State, Iterable[State]], timeout: Optional[float] = None
    ) -> State: ...
    def __enter__(self) -> Lease: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

class Client:
    """A client of one license on one service."""

    def __init__(
        self,
        server_url: str,
        license_key: str,
        product: str,
        *,
        fallback_urls: Sequence[str] = (),
        hardware_id: Optional[str] = None,
        user_email: Optional[str] = None,
        app_version: Optional[str] = None,
        jwks_cache: Union[str, PathLike[str], None] = None,
        issuer: Optional[str] = None,
        request_timeout: float = 15.0,
    ) -> None: ...
    def acquire(self, wait: float = 0.0) -> Lease: ...
    def verify_offline(self, token: str) -> VerifiedToken: ...
    def refresh_jwks(self) -> None: ...
    @property
    def hardware_id(self) -> str: ...
