//! The error codes of the wire, declared once. The server sends them, the OpenAPI
//! document lists them, the client SDK and the C ABI branch on them: every one of those
//! uses this enum, so a code cannot be spelt two ways or sent without being documented.
//!
//! Codes are part of the contract (`docs/contract/licensing-api.md`): a code, once sent,
//! never changes its spelling or its status. The server may add codes; clients must treat
//! a code they do not know as a refusal they cannot interpret (the client SDK keeps such
//! a code as a string, it does not fail to parse the answer).

use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] from one table, so its list of variants ([`ErrorCode::ALL`]),
/// wire names, statuses, messages and meanings (the doc comments) cannot disagree or
/// miss a variant.
macro_rules! error_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $wire:literal, $status:literal, $message:literal;
    )*) => {
        /// A stable, machine-readable error code: the `code` of the contract's error body
        /// `{"error": {"code", "message", "details", "request_id"}}`. Clients branch on it,
        /// not on the HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table (by status). The OpenAPI document
            /// lists these; a test checks that it does.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as it is spelt on the wire (what serde writes).
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $wire,)* }
            }

            /// The HTTP status the server answers this code with.
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// The default human-readable message, for errors that have nothing more
            /// specific to say.
            pub const fn message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message,)* }
            }

            /// When the server sends this code: its doc comment, for the OpenAPI document.
            pub const fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => concat!($($doc),*),)* }
            }

            /// The code spelt `s` on the wire, or `None` for a code this build does not
            /// know (a newer server's).
            pub fn from_wire(s: &str) -> Option<Self> {
                match s { $($wire => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    /// The body is empty, not JSON, or not a JSON object.
    InvalidJson = "invalid_json", 400, "the request body is not a JSON object";
    /// A Stripe webhook whose `Stripe-Signature` is missing, does not verify with any
    /// configured secret, or is outside the 300-second tolerance; nothing was stored.
    InvalidSignature = "invalid_signature", 400, "the webhook signature does not verify";
    /// An admin endpoint without a valid bearer token or dashboard session.
    Unauthorized = "unauthorized", 401,
        "a valid bearer token or dashboard session is required";
    /// A wrong e-mail or password at sign-in (never says which).
    InvalidCredentials = "invalid_credentials", 401, "wrong e-mail or password";
    /// The password was right and the account has TOTP: send a code (or a recovery code)
    /// with `details.challenge` to `/auth/login/second-factor`.
    SecondFactorRequired = "second_factor_required", 401,
        "enter the code from your authenticator app";
    /// The password was right, and staff must use TOTP: enrol it with `details.challenge`.
    SecondFactorEnrolmentRequired = "second_factor_enrolment_required", 401,
        "set up two-factor sign-in to continue";
    /// A wrong, reused or spent TOTP or recovery code.
    InvalidSecondFactor = "invalid_second_factor", 401, "that code is not valid";
    /// The token or session is valid but may not do this (role, tenant, staff only).
    Forbidden = "forbidden", 403, "this token may not do that";
    /// A cookie-authenticated change without the session's CSRF token.
    CsrfFailed = "csrf_failed", 403,
        "send the session's CSRF token in the x-csrf-token header";
    /// The password was right, but a tenant of the account requires single sign-on.
    SsoRequired = "sso_required", 403,
        "your organisation requires single sign-on: use its sign-in button";
    /// The license is suspended (`is_active` false).
    LicenseSuspended = "license_suspended", 403, "the license is suspended";
    /// The license is past its `expires_at`.
    LicenseExpired = "license_expired", 403, "the license has expired";
    /// A borrow on a license whose `max_borrow_hours` is 0 (a contract extension).
    BorrowingDisabled = "borrowing_disabled", 403, "this license does not allow borrowing";
    /// An unknown route, or a tenant or token unknown or outside the caller's tenant.
    NotFound = "not_found", 404, "no such resource";
    /// A license that is unknown or belongs to another tenant (never says which).
    LicenseNotFound = "license_not_found", 404, "license not found";
    /// A session that is unknown or belongs to another license or tenant.
    SessionNotFound = "session_not_found", 404, "session not found";
    /// An unknown product (by id or slug), or one that offers no trials.
    ProductNotFound = "product_not_found", 404, "product not found";
    /// A known route with the wrong method.
    MethodNotAllowed = "method_not_allowed", 405, "method not allowed on this route";
    /// No seat free; `details` has `seats_total`, `seats_used` and `waiting`.
    NoSeatsAvailable = "no_seats_available", 409,
        "all seats are in use or promised to earlier waiters";
    /// A unique value already exists, or a change would leave a tenant without an owner;
    /// `details.field` names it.
    Conflict = "conflict", 409, "that value is already taken";
    /// A second self-service trial of a product for the same e-mail or hardware id.
    TrialAlreadyUsed = "trial_already_used", 409,
        "a trial of this product was already taken by this e-mail or installation";
    /// The session's TTL ran out; the client must acquire again.
    SessionExpired = "session_expired", 410, "the session has expired; acquire again";
    /// The session was released (`details.reason`: `released` or `forced`); acquire again.
    SessionReleased = "session_released", 410, "the session was released; acquire again";
    /// A one-time link (invitation, password reset) already used or past its expiry.
    TokenExpired = "token_expired", 410, "this link was already used or has expired";
    /// The body is over the server's limit.
    PayloadTooLarge = "payload_too_large", 413, "request body is too large";
    /// A body sent without `content-type: application/json`.
    UnsupportedMediaType = "unsupported_media_type", 415,
        "send the body with content-type: application/json";
    /// A field is missing, of the wrong type, null where not allowed, or out of range;
    /// `details.fields` maps each field to its message.
    ValidationError = "validation_error", 422, "some fields are invalid";
    /// Too many requests (or failed sign-ins); retry after the `Retry-After` header's
    /// seconds (also in `details.retry_after_seconds`).
    RateLimited = "rate_limited", 429,
        "too many requests; retry after the number of seconds in Retry-After";
    /// A fault of the server; the body tells nothing of its cause.
    InternalError = "internal_error", 500, "internal server error";
    /// A dependency (the database) is not answering, or the server is shutting down;
    /// with `Retry-After`.
    ServiceUnavailable = "service_unavailable", 503,
        "a dependency is not answering; retry shortly";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_wire(s).ok_or(UnknownErrorCode)
    }
}

/// The error of parsing a string that is no [`ErrorCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an error code of this contract")]
pub struct UnknownErrorCode;

/// The schema of the `code` field: a string enum of [`ErrorCode::ALL`], described with
/// each code's status and meaning, all taken from the one table above.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let mut description = String::from(
            "Stable snake_case code to branch on (not on the status). Every code the server \
             sends, with its HTTP status; a newer server may add codes.\n",
        );
        for c in ErrorCode::ALL {
            let meaning = c.meaning().split_whitespace().collect::<Vec<_>>().join(" ");
            description.push_str(&format!("\n- `{c}` ({}): {meaning}", c.status()));
        }
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(description))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spells_every_code_as_as_str_does() {
        for &c in ErrorCode::ALL {
            let wire = serde_json::to_value(c).unwrap();
            assert_eq!(wire, c.as_str(), "{c:?}");
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), c);
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
    }

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for &c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
            assert!((400..600).contains(&c.status()), "{c}");
            assert!(!c.message().is_empty(), "{c}");
            assert!(!c.meaning().trim().is_empty(), "{c} has no doc comment");
        }
    }

    #[test]
    fn the_contract_codes_keep_their_statuses() {
        // The table of docs/contract/licensing-api.md, plus the extension's code.
        let contract = [
            ("invalid_json", 400),
            ("unauthorized", 401),
            ("forbidden", 403),
            ("license_suspended", 403),
            ("license_expired", 403),
            ("not_found", 404),
            ("license_not_found", 404),
            ("session_not_found", 404),
            ("method_not_allowed", 405),
            ("no_seats_available", 409),
            ("conflict", 409),
            ("session_expired", 410),
            ("session_released", 410),
            ("payload_too_large", 413),
            ("unsupported_media_type", 415),
            ("validation_error", 422),
            ("rate_limited", 429),
            ("internal_error", 500),
            ("service_unavailable", 503),
            ("borrowing_disabled", 403),
            // docs/contract/billing-api.md
            ("invalid_signature", 400),
            ("product_not_found", 404),
            ("trial_already_used", 409),
        ];
        for (wire, status) in contract {
            let c = ErrorCode::from_wire(wire).unwrap_or_else(|| panic!("{wire} missing"));
            assert_eq!(c.status(), status, "{wire}");
        }
    }

    #[test]
    fn an_unknown_code_is_none_not_a_guess() {
        assert_eq!(ErrorCode::from_wire("trial_used_already"), None);
        assert!("NO_SEATS_AVAILABLE".parse::<ErrorCode>().is_err());
        assert!(serde_json::from_str::<ErrorCode>("\"whatever\"").is_err());
    }
}
