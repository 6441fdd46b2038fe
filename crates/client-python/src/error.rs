//! Client errors as Python exceptions. The exception classes are declared once, in
//! Python (`coditect_license.errors`, one per error code); this looks the class up there
//! by the error's code, so the Rust side holds no second list of names.

use coditect_license_client::Error;
use pyo3::prelude::*;

/// The Python exception for a client error: the class of `coditect_license.errors` named
/// after its code (plain `LicenseError` for a code it does not know), carrying the code,
/// HTTP status, message and `details`.
pub(crate) fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let (message, details) = match &e {
        Error::Api {
            message, details, ..
        } => (message.clone(), Some(details.to_string())),
        other => (other.to_string(), None),
    };
    let build = || -> PyResult<PyErr> {
        let errors = py.import("coditect_license.errors")?;
        let exc = errors.call_method1("_from_native", (e.code(), e.status(), message, details))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|failed| failed)
}

/// A configuration error (`invalid_config`) for an argument the Rust client cannot take.
pub(crate) fn config_err(py: Python<'_>, what: impl Into<String>) -> PyErr {
    to_py_err(py, Error::Config(what.into()))
}

/// Converts a client result's error with [`to_py_err`].
pub(crate) trait IntoPyResult<T> {
    /// The result with its error as the Python exception for it.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for coditect_license_client::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}
