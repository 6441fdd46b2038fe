//! The native half of the npm package `@coditect/license`: the Rust client
//! (`coditect-license-client`) exposed to Node.js through napi-rs. The package's public
//! API is the JavaScript wrapper (`index.js`, typed by `index.d.ts`); it turns this
//! module's errors into named classes and releases live leases when the process exits.
//!
//! Leases heartbeat on napi's tokio runtime, off the JavaScript thread, and hold no
//! reference on the event loop: a process whose work is done exits even while it holds a
//! seat (the wrapper then releases it synchronously, [`lease::NativeLease::release_sync`]).

mod client;
mod error;
mod lease;

use coditect_license_client::ErrorCode;
use napi_derive::napi;

/// Every error code of the contract (`ErrorCode::ALL`), as sent on the wire: the wrapper
/// checks that it has a class for each, so a code added to the contract cannot reach
/// applications as an unnamed error unnoticed.
#[napi]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The client's own error codes (`Error::code()` of failures that are not the server's
/// refusals), checked by the wrapper the same way as [`error_codes`].
#[napi]
pub fn client_error_codes() -> Vec<String> {
    error::client_codes()
}
