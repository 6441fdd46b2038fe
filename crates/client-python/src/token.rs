//! A token checked offline, as Python sees it.

use pyo3::prelude::*;

use crate::json;

/// The answer of `Client.verify_offline`: exists so an application can read the claims of
/// a token it checked with the server unreachable (session, installation, expiry,
/// entitlements).
#[pyclass(frozen, module = "coditect_license._native")]
pub struct VerifiedToken {
    inner: coditect_license_client::VerifiedToken,
}

impl VerifiedToken {
    /// Wraps the Rust client's verified token.
    pub(crate) fn new(inner: coditect_license_client::VerifiedToken) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl VerifiedToken {
    /// Every claim, as a dict (`sub`, `hwid`, `ent`, `exp`, ...).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.inner.claims)
    }
    /// The session id (`sub`).
    #[getter]
    fn session_id(&self) -> &str {
        self.inner.session_id()
    }
    /// The installation the seat belongs to (`hwid`).
    #[getter]
    fn hardware_id(&self) -> &str {
        self.inner.hardware_id()
    }
    /// When the token stops being valid (`exp`, Unix seconds).
    #[getter]
    fn expires_at(&self) -> i64 {
        self.inner.expires_at()
    }
    /// Whether the token grants the feature `name`.
    fn has_entitlement(&self, name: &str) -> bool {
        self.inner.has_entitlement(name)
    }
    fn __repr__(&self) -> String {
        format!(
            "VerifiedToken(session_id={:?}, expires_at={})",
            self.inner.session_id(),
            self.inner.expires_at()
        )
    }
}
