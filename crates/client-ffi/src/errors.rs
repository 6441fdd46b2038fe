//! Status codes and the per-thread "last error" a C caller reads after a failure.

use std::cell::RefCell;
use std::ffi::CString;

use coditect_license_client::{Error, ErrorCode, LeaseState};

/// The result of every fallible C function. Branch on these; the server's exact error
/// code is in `coditect_last_error_code()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoditectStatus {
    /// The call succeeded and filled its out-parameters; the last error is empty.
    Ok = 0,
    /// A null pointer, non-UTF-8 string or out-of-range number was passed.
    InvalidArgument = 1,
    /// The server could not be reached (or answered 429/5xx); retry later.
    Network = 2,
    /// No seat is free (`no_seats_available`).
    NoSeats = 3,
    /// The license key is unknown (`license_not_found`).
    LicenseNotFound = 4,
    /// The license is suspended (`license_suspended`).
    LicenseSuspended = 5,
    /// The license has expired (`license_expired`).
    LicenseExpired = 6,
    /// The session no longer holds a seat (`session_expired`, `session_released`,
    /// `session_not_found`); acquire again.
    SessionGone = 7,
    /// The license does not allow borrowing (`borrowing_disabled`).
    BorrowingDisabled = 8,
    /// The token's signature, issuer or installation is wrong.
    InvalidToken = 9,
    /// The token has expired.
    TokenExpired = 10,
    /// No cached JWKS holds the token's key; refresh it while online.
    NoJwks = 11,
    /// Any other refusal of the server (see the error code).
    Server = 12,
    /// A failure inside the library (configuration, I/O, a bug).
    Internal = 13,
}

/// The state of a lease, as `coditect_lease_state` reports it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoditectLeaseState {
    /// The seat is held.
    Active = 0,
    /// Grace: no server answers, but the token is valid until its `exp`; the seat may be
    /// used while the lease keeps trying (`coditect_lease_is_usable` says until when).
    Grace = 1,
    /// The seat is gone; acquire again.
    Lost = 2,
    /// The seat was released.
    Released = 3,
}

impl From<&LeaseState> for CoditectLeaseState {
    fn from(s: &LeaseState) -> Self {
        match s {
            LeaseState::Active => Self::Active,
            LeaseState::Grace { .. } => Self::Grace,
            LeaseState::Lost(_) => Self::Lost,
            LeaseState::Released => Self::Released,
        }
    }
}

/// The status a client error maps onto.
pub(crate) fn status_of(e: &Error) -> CoditectStatus {
    match e {
        Error::Network(_) => CoditectStatus::Network,
        Error::Api { .. } if e.is_retryable() => CoditectStatus::Network,
        Error::Api { code, .. } => match code.known() {
            Some(c) => status_of_code(c),
            // A code of a newer server: a refusal this library cannot name.
            None => CoditectStatus::Server,
        },
        Error::InvalidToken(_) => CoditectStatus::InvalidToken,
        Error::TokenExpired => CoditectStatus::TokenExpired,
        Error::NoJwks(_) => CoditectStatus::NoJwks,
        Error::Config(_) => CoditectStatus::InvalidArgument,
        Error::HardwareId(_) | Error::Io(_) => CoditectStatus::Internal,
    }
}

/// The status a non-retryable refusal with the contract's code `c` maps onto. Every code
/// is listed, so a new one cannot be added without deciding its status here.
fn status_of_code(c: ErrorCode) -> CoditectStatus {
    match c {
        ErrorCode::NoSeatsAvailable => CoditectStatus::NoSeats,
        ErrorCode::LicenseNotFound => CoditectStatus::LicenseNotFound,
        ErrorCode::LicenseSuspended => CoditectStatus::LicenseSuspended,
        ErrorCode::LicenseExpired => CoditectStatus::LicenseExpired,
        ErrorCode::SessionExpired | ErrorCode::SessionReleased | ErrorCode::SessionNotFound => {
            CoditectStatus::SessionGone
        }
        ErrorCode::BorrowingDisabled => CoditectStatus::BorrowingDisabled,
        ErrorCode::ValidationError => CoditectStatus::InvalidArgument,
        ErrorCode::InvalidJson
        | ErrorCode::Unauthorized
        | ErrorCode::InvalidCredentials
        | ErrorCode::Forbidden
        | ErrorCode::CsrfFailed
        | ErrorCode::NotFound
        | ErrorCode::MethodNotAllowed
        | ErrorCode::Conflict
        | ErrorCode::TokenExpired
        | ErrorCode::PayloadTooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::RateLimited
        | ErrorCode::InternalError
        | ErrorCode::ServiceUnavailable
        // Billing codes: a client of the seat API never gets these, but the mapping is total.
        | ErrorCode::InvalidSignature
        | ErrorCode::ProductNotFound
        | ErrorCode::TrialAlreadyUsed
        // Dashboard sign-in codes: never an answer to the seat API.
        | ErrorCode::SecondFactorRequired
        | ErrorCode::SecondFactorEnrolmentRequired
        | ErrorCode::InvalidSecondFactor
        | ErrorCode::SsoRequired => CoditectStatus::Server,
    }
}

struct LastError {
    code: CString,
    message: CString,
}

thread_local! {
    static LAST: RefCell<LastError> = RefCell::new(LastError {
        code: CString::default(),
        message: CString::default(),
    });
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Records the failure of the current call for `coditect_last_error_*`.
pub(crate) fn set_last(code: &str, message: &str) {
    LAST.with(|l| {
        *l.borrow_mut() = LastError {
            code: c_string(code),
            message: c_string(message),
        }
    });
}

/// Clears the last error at the start of a call.
pub(crate) fn clear_last() {
    set_last("", "");
}

/// Pointer to the last error's code; valid until the next call on this thread.
pub(crate) fn last_code_ptr() -> *const std::ffi::c_char {
    LAST.with(|l| l.borrow().code.as_ptr())
}

/// Pointer to the last error's message; valid until the next call on this thread.
pub(crate) fn last_message_ptr() -> *const std::ffi::c_char {
    LAST.with(|l| l.borrow().message.as_ptr())
}

/// A failure on its way to the C caller.
pub(crate) struct Failure {
    pub status: CoditectStatus,
    pub code: String,
    pub message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self {
            status: status_of(&e),
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

/// A bad argument from the caller.
pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure {
        status: CoditectStatus::InvalidArgument,
        code: "invalid_argument".into(),
        message: message.into(),
    }
}

/// Runs the body of an exported function: clears the last error, turns a failure into
/// its status (recording it), and a panic into `Internal` instead of unwinding into C.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Failure>) -> CoditectStatus {
    clear_last();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(())) => CoditectStatus::Ok,
        Ok(Err(fail)) => {
            set_last(&fail.code, &fail.message);
            fail.status
        }
        Err(_) => {
            set_last(
                ErrorCode::InternalError.as_str(),
                "the library panicked; this is a bug",
            );
            CoditectStatus::Internal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coditect_license_client::ApiCode;

    fn refusal(status: u16, code: &str) -> Error {
        Error::Api {
            status,
            code: ApiCode::parse(code),
            message: "m".into(),
            details: serde_json::Value::Null,
        }
    }

    #[test]
    fn codes_map_to_the_statuses_and_numbers_they_always_had() {
        use CoditectStatus as S;
        let table = [
            (409, "no_seats_available", S::NoSeats, 3),
            (404, "license_not_found", S::LicenseNotFound, 4),
            (403, "license_suspended", S::LicenseSuspended, 5),
            (403, "license_expired", S::LicenseExpired, 6),
            (410, "session_expired", S::SessionGone, 7),
            (410, "session_released", S::SessionGone, 7),
            (404, "session_not_found", S::SessionGone, 7),
            (403, "borrowing_disabled", S::BorrowingDisabled, 8),
            (422, "validation_error", S::InvalidArgument, 1),
            (409, "conflict", S::Server, 12),
            (401, "unauthorized", S::Server, 12),
            // A newer server's code: a refusal, kept as sent.
            (409, "trial_already_used", S::Server, 12),
            // Retryable whatever the code.
            (429, "rate_limited", S::Network, 2),
            (503, "service_unavailable", S::Network, 2),
            (500, "internal_error", S::Network, 2),
        ];
        for (status, code, expected, number) in table {
            let fail = Failure::from(refusal(status, code));
            assert_eq!(fail.status, expected, "{code}");
            assert_eq!(fail.status as i32, number, "{code}");
            // coditect_last_error_code() reports the code exactly as the server sent it.
            assert_eq!(fail.code, code);
        }
    }
}
