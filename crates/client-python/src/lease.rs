//! `coditect_license.Lease`: a held seat, heartbeating on its own, as a Python object and
//! context manager. The Rust lease does the work; this keeps what Python needs besides:
//! the seat after release, and a way to wait for a state with the GIL released.

use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use coditect_license_client::{blocking, LeaseState, Seat};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use tokio::sync::watch;

use crate::error::IntoPyResult;
use crate::json;

/// How long one wait lasts before Python's signal handlers run (Ctrl-C ends a wait).
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A seat held by this process: exists so Python code can see the lease's state (active,
/// grace, lost, released), read its seat and token, heartbeat or release it, and wait for
/// a state, all while the Rust lease heartbeats in the background. Released when it is
/// garbage-collected, when a `with` block ends, or at interpreter exit.
#[pyclass(frozen, weakref, module = "coditect_license._native")]
pub struct Lease {
    /// The Rust lease until it is released (release consumes it).
    lease: RwLock<Option<blocking::Lease>>,
    /// For a release after the lease is gone (idempotent on the server).
    client: blocking::LicenseClient,
    /// The seat as last seen before release, for reads after it.
    last_seat: Mutex<Seat>,
    /// The lease's state, readable after release (the channel keeps its last value).
    state: watch::Receiver<LeaseState>,
}

impl Lease {
    /// Wraps a lease just acquired.
    pub(crate) fn new(lease: blocking::Lease, client: blocking::LicenseClient) -> Self {
        Self {
            last_seat: Mutex::new(lease.seat()),
            state: lease.subscribe(),
            lease: RwLock::new(Some(lease)),
            client,
        }
    }

    fn current(&self) -> LeaseState {
        self.state.borrow().clone()
    }

    /// `f` of the Rust lease, or of the seat last seen when it was released.
    fn with_seat<T>(&self, f: impl FnOnce(&Seat) -> T) -> T {
        let guard = self.lease.read().unwrap_or_else(PoisonError::into_inner);
        match &*guard {
            Some(l) => f(&l.seat()),
            None => f(&self
                .last_seat
                .lock()
                .unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Sleeps until the state is one of `wanted` or `until`; true when it is. The Rust
    /// lease does the waiting; a released lease's state is final, so there is only the
    /// time to sleep out.
    fn wait_until(&self, wanted: &[String], until: Instant) -> bool {
        let done = |s: &LeaseState| wanted.iter().any(|w| w == s.name());
        let left = until.saturating_duration_since(Instant::now());
        let guard = self.lease.read().unwrap_or_else(PoisonError::into_inner);
        match &*guard {
            Some(l) => {
                l.wait_for_state(left, done);
            }
            None if !done(&self.current()) => std::thread::sleep(left),
            None => {}
        }
        done(&self.current())
    }
}

#[pymethods]
impl Lease {
    /// `"active"`, `"grace"`, `"lost"` or `"released"`.
    #[getter]
    fn state(&self) -> &'static str {
        self.current().name()
    }

    /// Why the lease was lost: `"expired"`, `"forced"` or the refusal's error code; `None`
    /// unless lost.
    #[getter]
    fn lost_reason(&self) -> Option<String> {
        self.current().lost_reason().map(str::to_owned)
    }

    /// In grace, the token's `exp` (Unix seconds): when the lease is lost unless a server
    /// answers first. `None` in every other state.
    #[getter]
    fn grace_until(&self) -> Option<i64> {
        self.current().grace_until()
    }

    /// Whether the seat may be used now: active, or in grace before the token's `exp`.
    #[getter]
    fn is_usable(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            let guard = self.lease.read().unwrap_or_else(PoisonError::into_inner);
            guard.as_ref().is_some_and(|l| l.is_usable())
        })
    }

    /// The current session id (a re-acquire after the server forgot the session gets a
    /// new one).
    #[getter]
    fn session_id(&self, py: Python<'_>) -> String {
        py.detach(|| self.with_seat(|s| s.session_id.to_string()))
    }

    /// The latest signed token (JWS compact), verifiable offline.
    #[getter]
    fn token(&self, py: Python<'_>) -> String {
        py.detach(|| self.with_seat(|s| s.token.clone()))
    }

    /// The features the license grants.
    #[getter]
    fn entitlements(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| self.with_seat(|s| s.entitlements.clone()))
    }

    /// Whether the license grants the feature `name`.
    fn has_entitlement(&self, py: Python<'_>, name: &str) -> bool {
        py.detach(|| self.with_seat(|s| s.has_entitlement(name)))
    }

    /// The seat as last granted, as the server sent it (a dict).
    #[getter]
    fn seat<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let seat = py.detach(|| self.with_seat(Seat::clone));
        json::to_py(py, &seat)
    }

    /// Heartbeats now and returns the refreshed seat (a dict); a failure raises (the
    /// background heartbeat still recovers on its own schedule).
    fn heartbeat<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let seat = py
            .detach(|| {
                let guard = self.lease.read().unwrap_or_else(PoisonError::into_inner);
                match &*guard {
                    Some(l) => l.heartbeat_now(),
                    None => {
                        let id = self
                            .last_seat
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        self.client.heartbeat(id.session_id)
                    }
                }
            })
            .py(py)?;
        json::to_py(py, &seat)
    }

    /// Releases the seat and returns the server's answer (a dict). Releasing again asks
    /// the server again, which answers that the session is already over.
    fn release<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let released = py
            .detach(|| {
                let taken = self
                    .lease
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                let r = match taken {
                    Some(l) => {
                        *self
                            .last_seat
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = l.seat();
                        l.release()
                    }
                    None => {
                        let id = self
                            .last_seat
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        self.client.release(id.session_id)
                    }
                };
                r
            })
            .py(py)?;
        json::to_py(py, &released)
    }

    /// Blocks (with the GIL released) until the state is one of `states` (a name or an
    /// iterable of names) or `timeout` seconds have passed (`None`: no limit), and returns
    /// the state then.
    #[pyo3(signature = (states, timeout = None))]
    fn wait_for_state(
        &self,
        py: Python<'_>,
        states: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<&'static str> {
        let wanted: Vec<String> = if let Ok(s) = states.cast::<PyString>() {
            vec![s.extract::<String>()?]
        } else {
            states
                .try_iter()?
                .map(|s| s?.extract::<String>())
                .collect::<PyResult<_>>()?
        };
        if let Some(bad) = wanted
            .iter()
            .find(|w| !LeaseState::NAMES.contains(&w.as_str()))
        {
            return Err(PyValueError::new_err(format!(
                "unknown lease state {bad:?}; expected one of {:?}",
                LeaseState::NAMES
            )));
        }
        let deadline = match timeout {
            Some(t) => Some(
                Instant::now()
                    + Duration::try_from_secs_f64(t).map_err(|_| {
                        PyValueError::new_err("timeout must be a finite number of seconds >= 0")
                    })?,
            ),
            None => None,
        };
        loop {
            let slice = Instant::now() + WAIT_SLICE;
            let until = deadline.map_or(slice, |d| d.min(slice));
            if py.detach(|| self.wait_until(&wanted, until)) {
                break;
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        Ok(self.state())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Releases the seat at the end of a `with` block. A failure to release is raised
    /// unless the block itself raised (its exception is the one that matters).
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        match self.release(py) {
            Err(e) if exc_type.is_none_or(|t| t.is_none()) => Err(e),
            _ => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Lease(session_id={:?}, state={:?})",
            self.session_id(py),
            self.state()
        )
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let taken = self
            .lease
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(lease) = taken {
            // Dropping the Rust lease releases the seat (a network call): without the GIL,
            // when the interpreter can still be attached to; else dropped as it is.
            let _ = Python::try_attach(move |py| py.detach(move || drop(lease)));
        }
    }
}
