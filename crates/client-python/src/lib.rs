//! The native half of the Python package `coditect-license` (imported as
//! `coditect_license._native`): the Rust client's blocking API as Python classes, so the
//! Python SDK behaves exactly like the Rust one (one implementation of heartbeats,
//! failover, grace and re-acquire). The Python half (`python/coditect_license`) adds the
//! exception classes and the release of leases at interpreter exit.

use pyo3::prelude::*;

mod client;
mod error;
mod json;
mod lease;
mod token;

/// Every error code of the server's contract (`ErrorCode::ALL`), spelt as on the wire:
/// exists so the Python suite can check that `coditect_license.errors` has a class for
/// each one, keeping the Python vocabulary the contract's.
#[pyfunction]
fn error_codes() -> Vec<&'static str> {
    coditect_license_client::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect()
}

/// The extension module: exists so maturin has one entry point (`PyInit__native`).
#[pymodule(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_class::<client::Client>()?;
    m.add_class::<lease::Lease>()?;
    m.add_class::<token::VerifiedToken>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
