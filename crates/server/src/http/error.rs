//! The one API error type. Every failure, from a bad field to a database outage, becomes
//! an [`ApiError`] with a stable snake_case `code`; the response middleware renders it in
//! the contract's error shape with the request id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use coditect_domain::SeatError;
use coditect_storage::StoreError;
use serde_json::{json, Map, Value};

/// Result of a handler.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// An error as the contract defines it.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Structured details (`fields` for 422, seat counts for 409, ...).
    pub details: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Map::new(),
            retry_after: None,
        }
    }
    /// Adds a detail.
    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        self.details.insert(key.into(), value);
        self
    }
    /// `404 not_found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
    /// `405 method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )
    }
    /// `401 unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token or dashboard session is required",
        )
    }
    /// `403 forbidden`.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this token may not do that",
        )
    }
    /// `403 csrf_failed`: a cookie-authenticated change without the session's CSRF token.
    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "send the session's CSRF token in the x-csrf-token header",
        )
    }
    /// `401 invalid_credentials`: a wrong e-mail or password (never says which).
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong e-mail or password",
        )
    }
    /// `429 rate_limited` with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many failed attempts; retry later",
        );
        e.retry_after = Some(retry_after);
        e.with_detail("retry_after_seconds", json!(retry_after))
    }
    /// `410 token_expired`: a one-time link already used or past its expiry.
    pub fn token_expired() -> Self {
        Self::new(
            StatusCode::GONE,
            "token_expired",
            "this link was already used or has expired",
        )
    }
    /// `413 payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is over {limit} bytes"),
        )
    }
    /// `415 unsupported_media_type`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body with content-type: application/json",
        )
    }
    /// `400 invalid_json`.
    pub fn invalid_json(why: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", why)
    }
    /// `422 validation_error` with per-field messages.
    pub fn validation(fields: Map<String, Value>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            "some fields are invalid",
        )
        .with_detail("fields", Value::Object(fields))
    }
    /// `422 validation_error` for one field.
    pub fn field(name: &str, message: &str) -> Self {
        let mut m = Map::new();
        m.insert(name.into(), Value::String(message.into()));
        Self::validation(m)
    }
    /// `404 license_not_found`.
    pub fn license_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "license_not_found",
            "license not found",
        )
    }
    /// `404 session_not_found`.
    pub fn session_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "session_not_found",
            "session not found",
        )
    }
    /// `500 internal_error`; the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal server error",
        )
    }
    /// `503 service_unavailable`.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "dependency unavailable");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "a dependency is not answering; retry shortly",
        );
        e.retry_after = Some(1);
        e
    }
}

impl From<SeatError> for ApiError {
    fn from(e: SeatError) -> Self {
        let msg = e.to_string();
        match e {
            SeatError::LicenseSuspended => {
                Self::new(StatusCode::FORBIDDEN, "license_suspended", msg)
            }
            SeatError::LicenseExpired => Self::new(StatusCode::FORBIDDEN, "license_expired", msg),
            SeatError::NoSeats {
                seats_total,
                seats_used,
                waiting,
            } => Self::new(StatusCode::CONFLICT, "no_seats_available", msg)
                .with_detail("seats_total", json!(seats_total))
                .with_detail("seats_used", json!(seats_used))
                .with_detail("waiting", json!(waiting)),
            SeatError::BorrowingDisabled => {
                Self::new(StatusCode::FORBIDDEN, "borrowing_disabled", msg)
                    .with_detail("max_borrow_hours", json!(0))
            }
            SeatError::BorrowTooLong { max_hours } => {
                Self::field("hours", &msg).with_detail("max_borrow_hours", json!(max_hours))
            }
            SeatError::SessionExpired => Self::new(StatusCode::GONE, "session_expired", msg),
            SeatError::SessionReleased { forced } => {
                let e = Self::new(StatusCode::GONE, "session_released", msg);
                if forced {
                    e.with_detail("reason", json!("forced"))
                } else {
                    e.with_detail("reason", json!("released"))
                }
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
            StoreError::Conflict(field) => {
                Self::new(StatusCode::CONFLICT, "conflict", field.message())
                    .with_detail("field", json!(field.as_str()))
            }
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
        let mut res = self.status.into_response();
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
