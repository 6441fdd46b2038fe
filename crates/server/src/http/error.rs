//! The one API error type. Every failure, from a bad field to a database outage, becomes
//! an [`ApiError`] with a stable [`ErrorCode`] (declared once, in the domain crate), which
//! also decides its status; the response middleware renders it in the contract's error
//! shape with the request id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use coditect_domain::{ErrorCode, SeatError};
use coditect_storage::StoreError;
use serde_json::{json, Map, Value};

/// Result of a handler.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// An error as the contract defines it. Its HTTP status is its code's
/// ([`ErrorCode::status`]), so a code can never be sent with another status.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// Stable machine-readable code; also decides the status.
    pub code: ErrorCode,
    /// Human-readable message: the code's default, or something more specific.
    pub message: String,
    /// Structured details (`fields` for 422, seat counts for 409, ...).
    pub details: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with its code's default message and no details.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_message(code, code.message())
    }
    /// An error with a message more specific than its code's default.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
            retry_after: None,
        }
    }
    /// The HTTP status, which the code decides.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    /// Adds a detail.
    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        self.details.insert(key.into(), value);
        self
    }
    /// `404 not_found`.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }
    /// `405 method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(ErrorCode::MethodNotAllowed)
    }
    /// `401 unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized)
    }
    /// `403 forbidden`.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden)
    }
    /// `403 csrf_failed`: a cookie-authenticated change without the session's CSRF token.
    pub fn csrf_failed() -> Self {
        Self::new(ErrorCode::CsrfFailed)
    }
    /// `401 invalid_credentials`: a wrong e-mail or password (never says which).
    pub fn invalid_credentials() -> Self {
        Self::new(ErrorCode::InvalidCredentials)
    }
    /// `429 rate_limited` over a request limit, with `Retry-After` (and
    /// `details.retry_after_seconds`) of `retry_after` seconds.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited);
        e.retry_after = Some(retry_after);
        e.with_detail("retry_after_seconds", json!(retry_after))
    }
    /// `429 rate_limited` after too many failed sign-ins or reset requests: as
    /// [`ApiError::rate_limited`], with a message that says why.
    pub fn sign_in_throttled(retry_after: u64) -> Self {
        Self {
            message: "too many failed attempts; retry later".into(),
            ..Self::rate_limited(retry_after)
        }
    }
    /// `410 token_expired`: a one-time link already used or past its expiry.
    pub fn token_expired() -> Self {
        Self::new(ErrorCode::TokenExpired)
    }
    /// `413 payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::with_message(
            ErrorCode::PayloadTooLarge,
            format!("request body is over {limit} bytes"),
        )
    }
    /// `415 unsupported_media_type`.
    pub fn unsupported_media_type() -> Self {
        Self::new(ErrorCode::UnsupportedMediaType)
    }
    /// `400 invalid_json`.
    pub fn invalid_json(why: impl Into<String>) -> Self {
        Self::with_message(ErrorCode::InvalidJson, why)
    }
    /// `422 validation_error` with per-field messages.
    pub fn validation(fields: Map<String, Value>) -> Self {
        Self::new(ErrorCode::ValidationError).with_detail("fields", Value::Object(fields))
    }
    /// `422 validation_error` for one field.
    pub fn field(name: &str, message: &str) -> Self {
        let mut m = Map::new();
        m.insert(name.into(), Value::String(message.into()));
        Self::validation(m)
    }
    /// `404 license_not_found`.
    pub fn license_not_found() -> Self {
        Self::new(ErrorCode::LicenseNotFound)
    }
    /// `404 session_not_found`.
    pub fn session_not_found() -> Self {
        Self::new(ErrorCode::SessionNotFound)
    }
    /// `500 internal_error`; the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(ErrorCode::InternalError)
    }
    /// `503 service_unavailable`.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "dependency unavailable");
        let mut e = Self::new(ErrorCode::ServiceUnavailable);
        e.retry_after = Some(1);
        e
    }
}

impl From<SeatError> for ApiError {
    fn from(e: SeatError) -> Self {
        let msg = e.to_string();
        match e {
            SeatError::NoSeats {
                seats_total,
                seats_used,
                waiting,
            } => Self::with_message(e.code(), msg)
                .with_detail("seats_total", json!(seats_total))
                .with_detail("seats_used", json!(seats_used))
                .with_detail("waiting", json!(waiting)),
            SeatError::BorrowingDisabled => {
                Self::with_message(e.code(), msg).with_detail("max_borrow_hours", json!(0))
            }
            SeatError::BorrowTooLong { max_hours } => {
                Self::field("hours", &msg).with_detail("max_borrow_hours", json!(max_hours))
            }
            SeatError::SessionReleased { forced } => {
                let reason = if forced { "forced" } else { "released" };
                Self::with_message(e.code(), msg).with_detail("reason", json!(reason))
            }
            SeatError::LicenseSuspended | SeatError::LicenseExpired | SeatError::SessionExpired => {
                Self::with_message(e.code(), msg)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Seat(s) => s.into(),
            StoreError::LicenseNotFound => Self::license_not_found(),
            StoreError::SessionNotFound => Self::session_not_found(),
            StoreError::Conflict(field) => Self::with_message(ErrorCode::Conflict, field.message())
                .with_detail("field", json!(field.as_str())),
            StoreError::Unavailable(cause) => Self::unavailable(cause),
            StoreError::Internal(cause) => Self::internal(cause),
        }
    }
}

/// The error as carried from a handler to the response middleware, which adds the
/// request id and writes the body.
#[derive(Clone, Debug)]
pub struct PendingError(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(PendingError(self));
        res
    }
}

impl ApiError {
    /// The contract's error body.
    pub fn body(&self, request_id: &str) -> Value {
        json!({"error": {
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "request_id": request_id,
        }})
    }
}
