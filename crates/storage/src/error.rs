//! Storage errors, shaped by what the HTTP layer must answer rather than by the driver.

use coditect_domain::SeatError;
use thiserror::Error;

/// A storage failure or a refusal decided inside a transaction.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A seat rule refused the operation (403/409/410).
    #[error(transparent)]
    Seat(#[from] SeatError),
    /// The license key matches no license (404 `license_not_found`).
    #[error("license not found")]
    LicenseNotFound,
    /// The session is unknown or not under this key (404 `session_not_found`).
    #[error("session not found")]
    SessionNotFound,
    /// A unique value is taken (409 `conflict`); the string names the field.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database did not answer in time or refused connections (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (500; the cause is logged, never sent).
    #[error("storage failure: {0}")]
    Internal(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;
