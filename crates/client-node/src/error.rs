//! How a client failure crosses into JavaScript: a JS `Error` whose message is JSON
//! `{code, status, message, details}`, `code` being the client's snake_case code
//! (`Error::code()`), which the wrapper parses into the named `LicenseError` subclass.
//! (napi rejects a promise only with its own status codes, so the code travels in the
//! message, the same way for sync and async calls.)

use coditect_license_client::Error;
use serde_json::{json, Value};

/// The error every fallible export returns.
pub(crate) type JsError = napi::Error;

/// `Result` of the exports (napi's derive recognises fallible exports by this name).
pub(crate) type Result<T> = napi::Result<T>;

/// The JS error for a client failure (see the module comment for its shape).
pub(crate) fn to_js(e: Error) -> JsError {
    let code = e.code().to_owned();
    let (status, message, details) = match &e {
        Error::Api {
            status,
            message,
            details,
            ..
        } => (json!(status), message.clone(), details.clone()),
        other => (Value::Null, other.to_string(), Value::Null),
    };
    let body = json!({"code": code, "status": status, "message": message, "details": details});
    napi::Error::new(napi::Status::GenericFailure, body.to_string())
}

/// An error of this binding itself (a wrong argument), in the same shape, with the
/// client's `invalid_config` code.
pub(crate) fn invalid(message: impl Into<String>) -> JsError {
    to_js(Error::Config(message.into()))
}

/// The codes of every non-API variant of the client's error, asked of the client itself.
/// The match below stops compiling when the client gains a variant, so the list is
/// updated with it.
pub(crate) fn client_codes() -> Vec<String> {
    fn listed(e: &Error) -> bool {
        match e {
            Error::Api { .. } => false,
            Error::Network(_)
            | Error::InvalidToken(_)
            | Error::TokenExpired
            | Error::NoJwks(_)
            | Error::HardwareId(_)
            | Error::Config(_)
            | Error::Io(_) => true,
        }
    }
    let s = String::new;
    [
        Error::Network(s()),
        Error::InvalidToken(s()),
        Error::TokenExpired,
        Error::NoJwks(s()),
        Error::HardwareId(s()),
        Error::Config(s()),
        Error::Io(s()),
    ]
    .iter()
    .filter(|e| listed(e))
    .map(|e| e.code().to_owned())
    .collect()
}
