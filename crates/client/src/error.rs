//! The client's one error type. Every failure says whether it is worth retrying and
//! carries a stable machine-readable code (the server's `code` for API refusals).

use coditect_domain::ErrorCode;
use serde_json::Value;
use thiserror::Error;

/// Result of a client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure of a client call.
#[derive(Debug, Error)]
pub enum Error {
    /// The server refused the request with the contract's error body.
    #[error("{code} ({status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The contract's stable code, e.g. [`ErrorCode::NoSeatsAvailable`]; a code this
        /// SDK does not know is kept as sent ([`ApiCode::Other`]).
        code: ApiCode,
        /// The server's human-readable message.
        message: String,
        /// The error's `details` object.
        details: Value,
    },
    /// The server could not be reached, or its answer could not be read.
    #[error("network error: {0}")]
    Network(String),
    /// The token's signature, issuer, key or shape is wrong.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token is well signed but past its `exp`.
    #[error("the token has expired")]
    TokenExpired,
    /// No usable JWKS: none cached yet, or it lacks the token's key.
    #[error("no usable JWKS: {0}")]
    NoJwks(String),
    /// No hardware id could be read from the machine; set `CODITECT_HARDWARE_ID`.
    #[error("hardware id: {0}")]
    HardwareId(String),
    /// The client was configured with an unusable value.
    #[error("configuration: {0}")]
    Config(String),
    /// A file (the JWKS cache) could not be read or written.
    #[error("i/o: {0}")]
    Io(String),
}

/// An error code as the client received it. A newer server may send codes this SDK does
/// not know; they must not make its answer unreadable, so they are kept as sent instead
/// of failing to parse. Branch on [`ApiCode::Known`] (or [`Error::error_code`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ApiCode {
    /// A code of the contract, as this SDK knows it.
    Known(ErrorCode),
    /// Any other code, as sent: a newer server's, or `unexpected_response` for an answer
    /// without the contract's error body (a proxy's, say).
    Other(String),
}

impl ApiCode {
    /// The code `s` as received: known when this SDK knows it.
    pub fn parse(s: &str) -> Self {
        match ErrorCode::from_wire(s) {
            Some(c) => ApiCode::Known(c),
            None => ApiCode::Other(s.to_owned()),
        }
    }

    /// The code as it was spelt on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ApiCode::Known(c) => c.as_str(),
            ApiCode::Other(s) => s,
        }
    }

    /// The contract's code, or `None` for a code this SDK does not know.
    pub fn known(&self) -> Option<ErrorCode> {
        match self {
            ApiCode::Known(c) => Some(*c),
            ApiCode::Other(_) => None,
        }
    }
}

impl std::fmt::Display for ApiCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<ErrorCode> for ApiCode {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.known() == Some(*other)
    }
}

impl From<ErrorCode> for ApiCode {
    fn from(c: ErrorCode) -> Self {
        ApiCode::Known(c)
    }
}

impl Error {
    /// A stable snake_case code: the server's code for API refusals, else one of
    /// `network_error`, `invalid_token`, `token_expired`, `no_jwks`, `hardware_id_unavailable`,
    /// `invalid_config`, `io_error`.
    pub fn code(&self) -> &str {
        match self {
            Error::Api { code, .. } => code.as_str(),
            Error::Network(_) => "network_error",
            Error::InvalidToken(_) => "invalid_token",
            Error::TokenExpired => "token_expired",
            Error::NoJwks(_) => "no_jwks",
            Error::HardwareId(_) => "hardware_id_unavailable",
            Error::Config(_) => "invalid_config",
            Error::Io(_) => "io_error",
        }
    }

    /// The contract's code of an API refusal, to branch on; `None` for other failures
    /// and for codes this SDK does not know.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => code.known(),
            _ => None,
        }
    }

    /// The HTTP status of an API refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for failures that may pass by themselves: the network, `429`, and `5xx`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network(_) => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Network(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_this_sdk_does_not_know_is_kept_as_sent() {
        let known = ApiCode::parse("no_seats_available");
        assert_eq!(known, ApiCode::Known(ErrorCode::NoSeatsAvailable));
        assert_eq!(known, ErrorCode::NoSeatsAvailable);
        assert_eq!(known.as_str(), "no_seats_available");
        let newer = ApiCode::parse("seat_lease_revoked");
        assert_eq!(newer, ApiCode::Other("seat_lease_revoked".into()));
        assert_eq!(newer.known(), None);
        let e = Error::Api {
            status: 409,
            code: newer,
            message: "m".into(),
            details: Value::Null,
        };
        assert_eq!(e.code(), "seat_lease_revoked");
        assert_eq!(e.error_code(), None);
        assert_eq!(e.to_string(), "seat_lease_revoked (409): m");
    }
}
