//! `coditect_license.Client`: one license on one service (with fallback addresses), over
//! the Rust client's blocking API. Every call that may wait on the network runs with the
//! GIL released, so other Python threads go on meanwhile.

use std::path::PathBuf;
use std::time::Duration;

use coditect_license_client::{blocking, ClientConfig};
use pyo3::prelude::*;

use crate::error::{config_err, IntoPyResult};
use crate::lease::Lease;
use crate::token::VerifiedToken;

/// The client of a license: exists so Python code can take seats, verify tokens offline
/// and keep the JWKS cache, with the Rust client's behaviour. Subclassed by the Python
/// package (`coditect_license.Client`) to remember its leases for the release at exit.
#[pyclass(subclass, frozen, module = "coditect_license._native")]
pub struct Client {
    inner: blocking::LicenseClient,
}

/// Seconds given from Python as a `Duration`, refusing what is negative or not finite.
fn seconds(py: Python<'_>, name: &str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        config_err(
            py,
            format!("{name} must be a finite number of seconds >= 0"),
        )
    })
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        server_url, license_key, product, *, fallback_urls = Vec::new(), hardware_id = None,
        user_email = None, app_version = None, jwks_cache = None, issuer = None,
        request_timeout = 15.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        server_url: String,
        license_key: String,
        product: String,
        fallback_urls: Vec<String>,
        hardware_id: Option<String>,
        user_email: Option<String>,
        app_version: Option<String>,
        jwks_cache: Option<PathBuf>,
        issuer: Option<String>,
        request_timeout: f64,
    ) -> PyResult<Self> {
        let mut cfg = ClientConfig::new(server_url, license_key, product);
        cfg.fallback_urls = fallback_urls;
        cfg.hardware_id = hardware_id;
        cfg.user_email = user_email;
        if let Some(v) = app_version {
            cfg = cfg.app_version(v);
        }
        cfg.jwks_cache = jwks_cache;
        cfg.issuer = issuer;
        cfg.request_timeout = seconds(py, "request_timeout", request_timeout)?;
        if cfg.request_timeout.is_zero() {
            return Err(config_err(
                py,
                "request_timeout must be more than 0 seconds",
            ));
        }
        let inner = py.detach(|| blocking::LicenseClient::new(cfg)).py(py)?;
        Ok(Self { inner })
    }

    /// Takes a seat, waiting up to `wait` seconds (at most 300) when the license is full.
    /// The lease heartbeats on the client's background thread.
    #[pyo3(signature = (wait = 0.0))]
    fn acquire(&self, py: Python<'_>, wait: f64) -> PyResult<Lease> {
        let wait = seconds(py, "wait", wait)?;
        let lease = py.detach(|| self.inner.acquire_waiting(wait)).py(py)?;
        Ok(Lease::new(lease, self.inner.clone()))
    }

    /// Verifies a token against the cached JWKS, with no network.
    fn verify_offline(&self, py: Python<'_>, token: &str) -> PyResult<VerifiedToken> {
        let v = py.detach(|| self.inner.verify_offline(token)).py(py)?;
        Ok(VerifiedToken::new(v))
    }

    /// Fetches the server's JWKS and stores it in the cache for offline verification.
    fn refresh_jwks(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.refresh_jwks()).py(py)?;
        Ok(())
    }

    /// The hardware id this client acquires with.
    #[getter]
    fn hardware_id(&self) -> &str {
        self.inner.hardware_id()
    }

    fn __repr__(&self) -> String {
        format!("Client(hardware_id={:?})", self.inner.hardware_id())
    }
}
