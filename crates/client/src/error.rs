//! The client's one error type. Every failure says whether it is worth retrying and
//! carries a stable machine-readable code (the server's `code` for API refusals).

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
        /// The contract's stable code, e.g. `no_seats_available`.
        code: String,
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

impl Error {
    /// A stable snake_case code: the server's code for API refusals, else one of
    /// `network_error`, `invalid_token`, `token_expired`, `no_jwks`, `hardware_id_unavailable`,
    /// `invalid_config`, `io_error`.
    pub fn code(&self) -> &str {
        match self {
            Error::Api { code, .. } => code,
            Error::Network(_) => "network_error",
            Error::InvalidToken(_) => "invalid_token",
            Error::TokenExpired => "token_expired",
            Error::NoJwks(_) => "no_jwks",
            Error::HardwareId(_) => "hardware_id_unavailable",
            Error::Config(_) => "invalid_config",
            Error::Io(_) => "io_error",
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
