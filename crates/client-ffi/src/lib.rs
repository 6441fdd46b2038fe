//! The C ABI of the CODITECT License client (`libcoditect_license`), for applications
//! written in C, C++, or any language with a C FFI (Python ctypes, .NET P/Invoke, ...).
//! The header is `include/coditect_license.h`, generated from this crate by cbindgen.
//!
//! Handles (`CoditectClient`, `CoditectLease`, `CoditectToken`) are opaque pointers owned
//! by the caller and freed with their `_free` function; a lease keeps its seat alive on a
//! background thread until it is released or freed.

mod errors;
mod exports;

pub use errors::{CoditectLeaseState, CoditectStatus};
pub use exports::*;
