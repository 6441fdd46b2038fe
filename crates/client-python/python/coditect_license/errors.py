"""The exceptions of the CODITECT License client, one class per error code.

Every failure raises a :class:`LicenseError`, or rather the subclass named after its code
in CamelCase (``no_seats_available`` raises :class:`NoSeatsAvailable`). The codes are the
server contract's (``coditect_license.error_codes()`` lists them; a test checks that each
has its class here) plus the client's own (``network_error``, ``invalid_token``, ...). A
code this package does not know (a newer server's) raises plain :class:`LicenseError`
with that ``code``. This module is the one list of them: the native module raises these
very classes by looking them up here.
"""

from __future__ import annotations

import json
from typing import Any, Optional

__all__ = [
    "LicenseError",
    "error_class",
    "InvalidJson",
    "InvalidSignature",
    "Unauthorized",
    "InvalidCredentials",
    "SecondFactorRequired",
    "SecondFactorEnrolmentRequired",
    "InvalidSecondFactor",
    "Forbidden",
    "CsrfFailed",
    "SsoRequired",
    "LicenseSuspended",
    "LicenseExpired",
    "BorrowingDisabled",
    "NotFound",
    "LicenseNotFound",
    "SessionNotFound",
    "ProductNotFound",
    "MethodNotAllowed",
    "NoSeatsAvailable",
    "Conflict",
    "TrialAlreadyUsed",
    "SessionExpired",
    "SessionReleased",
    "TokenExpired",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "ValidationError",
    "RateLimited",
    "InternalError",
    "ServiceUnavailable",
    "NetworkError",
    "InvalidToken",
    "NoJwks",
    "HardwareIdUnavailable",
    "InvalidConfig",
    "IoError",
]


class LicenseError(Exception):
    """A failure of a license call.

    Attributes:
        code: the stable snake_case code to branch on (the server's for a refusal).
        status: the HTTP status of a server refusal; ``None`` for the client's own errors.
        message: a human-readable description.
        details: the refusal's ``details`` (parsed JSON), or ``None``.
    """

    #: The code of the class; an instance's ``code`` is the one it was raised with.
    code: str = "license_error"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.status = status
        self.details = details

    def __str__(self) -> str:
        if self.status is not None:
            return f"{self.code} ({self.status}): {self.message}"
        return self.message or self.code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


# -- The server contract's codes (coditect_domain::ErrorCode), in the order of its table.


class InvalidJson(LicenseError):
    """The body is empty, not JSON, or not a JSON object. HTTP 400."""

    code = "invalid_json"


class InvalidSignature(LicenseError):
    """A Stripe webhook whose ``Stripe-Signature`` is missing, does not verify with
    any configured secret, or is outside the 300-second tolerance; nothing was stored.
    HTTP 400.
    """

    code = "invalid_signature"


class Unauthorized(LicenseError):
    """An admin endpoint without a valid bearer token or dashboard session. HTTP 401."""

    code = "unauthorized"


class InvalidCredentials(LicenseError):
    """A wrong e-mail or password at sign-in (never says which). HTTP 401."""

    code = "invalid_credentials"


class SecondFactorRequired(LicenseError):
    """The password was right and the account has TOTP: send a code (or a recovery
    code) with ``details.challenge`` to ``/auth/login/second-factor``. HTTP 401.
    """

    code = "second_factor_required"


class SecondFactorEnrolmentRequired(LicenseError):
    """The password was right, and staff must use TOTP: enrol it with
    ``details.challenge``. HTTP 401.
    """

    code = "second_factor_enrolment_required"


class InvalidSecondFactor(LicenseError):
    """A wrong, reused or spent TOTP or recovery code. HTTP 401."""

    code = "invalid_second_factor"


class Forbidden(LicenseError):
    """The token or session is valid but may not do this (role, tenant, staff only).
    HTTP 403.
    """

    code = "forbidden"


class CsrfFailed(LicenseError):
    """A cookie-authenticated change without the session's CSRF token. HTTP 403."""

    code = "csrf_failed"


class SsoRequired(LicenseError):
    """The password was right, but a tenant of the account requires single sign-on.
    HTTP 403.
    """

    code = "sso_required"


class LicenseSuspended(LicenseError):
    """The license is suspended (``is_active`` false). HTTP 403."""

    code = "license_suspended"


class LicenseExpired(LicenseError):
    """The license is past its ``expires_at``. HTTP 403."""

    code = "license_expired"


class BorrowingDisabled(LicenseError):
    """A borrow on a license whose ``max_borrow_hours`` is 0 (a contract extension).
    HTTP 403.
    """

    code = "borrowing_disabled"


class NotFound(LicenseError):
    """An unknown route, or a tenant or token unknown or outside the caller's tenant.
    HTTP 404.
    """

    code = "not_found"


class LicenseNotFound(LicenseError):
    """A license that is unknown or belongs to another tenant (never says which). HTTP
    404.
    """

    code = "license_not_found"


class SessionNotFound(LicenseError):
    """A session that is unknown or belongs to another license or tenant. HTTP 404."""

    code = "session_not_found"


class ProductNotFound(LicenseError):
    """An unknown product (by id or slug), or one that offers no trials. HTTP 404."""

    code = "product_not_found"


class MethodNotAllowed(LicenseError):
    """A known route with the wrong method. HTTP 405."""

    code = "method_not_allowed"


class NoSeatsAvailable(LicenseError):
    """No seat free; ``details`` has ``seats_total``, ``seats_used`` and ``waiting``.
    HTTP 409.
    """

    code = "no_seats_available"


class Conflict(LicenseError):
    """A unique value already exists, or a change would leave a tenant without an
    owner; ``details.field`` names it. HTTP 409.
    """

    code = "conflict"


class TrialAlreadyUsed(LicenseError):
    """A second self-service trial of a product for the same e-mail or hardware id.
    HTTP 409.
    """

    code = "trial_already_used"


class SessionExpired(LicenseError):
    """The session's TTL ran out; the client must acquire again. HTTP 410."""

    code = "session_expired"


class SessionReleased(LicenseError):
    """The session was released (``details.reason``: ``released`` or ``forced``);
    acquire again. HTTP 410.
    """

    code = "session_released"


class TokenExpired(LicenseError):
    """The token is past its ``exp`` (offline verification), or from the server: a
    one-time link already used or past its expiry. HTTP 410 from the server.
    """

    code = "token_expired"


class PayloadTooLarge(LicenseError):
    """The body is over the server's limit. HTTP 413."""

    code = "payload_too_large"


class UnsupportedMediaType(LicenseError):
    """A body sent without ``content-type: application/json``. HTTP 415."""

    code = "unsupported_media_type"


class ValidationError(LicenseError):
    """A field is missing, of the wrong type, null where not allowed, or out of range;
    ``details.fields`` maps each field to its message. HTTP 422.
    """

    code = "validation_error"


class RateLimited(LicenseError):
    """Too many requests (or failed sign-ins); retry after the ``Retry-After``
    header's seconds (also in ``details.retry_after_seconds``). HTTP 429.
    """

    code = "rate_limited"


class InternalError(LicenseError):
    """A fault of the server; the body tells nothing of its cause. HTTP 500."""

    code = "internal_error"


class ServiceUnavailable(LicenseError):
    """A dependency (the database) is not answering, or the server is shutting down;
    with ``Retry-After``. HTTP 503.
    """

    code = "service_unavailable"


# -- The client's own codes (Error::code of the Rust client); token_expired is above.


class NetworkError(LicenseError):
    """No server address could be reached, or an answer could not be read."""

    code = "network_error"


class InvalidToken(LicenseError):
    """The token's signature, license, installation, issuer, key or shape is wrong."""

    code = "invalid_token"


class NoJwks(LicenseError):
    """No usable JWKS for offline verification: none cached yet, or it lacks the key."""

    code = "no_jwks"


class HardwareIdUnavailable(LicenseError):
    """No hardware id could be read from the machine; pass ``hardware_id`` or set
    ``CODITECT_HARDWARE_ID``."""

    code = "hardware_id_unavailable"


class InvalidConfig(LicenseError):
    """The client was given an unusable setting (URL, key, timeout)."""

    code = "invalid_config"


class IoError(LicenseError):
    """A file (the JWKS cache) could not be read or written."""

    code = "io_error"


def _all_classes(cls: type[LicenseError]) -> list[type[LicenseError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_classes(sub))
    return found


_BY_CODE: dict[str, type[LicenseError]] = {
    cls.code: cls for cls in _all_classes(LicenseError) if cls.__module__ == __name__
}


def error_class(code: str) -> type[LicenseError]:
    """The exception class raised for ``code``: its own class, else :class:`LicenseError`."""
    return _BY_CODE.get(code, LicenseError)


def _from_native(
    code: str, status: Optional[int], message: str, details_json: Optional[str]
) -> LicenseError:
    """The exception for an error of the native module (which calls this)."""
    details = json.loads(details_json) if details_json is not None else None
    return error_class(code)(message, code=code, status=status, details=details)
