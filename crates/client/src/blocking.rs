//! The client for code without an async runtime (and for the C ABI): the same calls,
//! blocking, with a small runtime of its own that runs the leases' heartbeats.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::{ClientConfig, Error, LeaseState, Released, Result, Seat, VerifiedToken, Verifier};

/// A blocking client. Do not use it from inside an async runtime (use
/// [`crate::LicenseClient`] there).
#[derive(Clone)]
pub struct LicenseClient {
    inner: crate::LicenseClient,
    rt: Arc<Runtime>,
}

impl LicenseClient {
    /// A client for `cfg`, with one background thread for heartbeats.
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("coditect-license")
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the client runtime: {e}")))?;
        let inner = {
            let _guard = rt.enter();
            crate::LicenseClient::new(cfg)?
        };
        Ok(Self {
            inner,
            rt: Arc::new(rt),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::LicenseClient {
        &self.inner
    }
    /// The hardware id this client acquires with.
    pub fn hardware_id(&self) -> &str {
        self.inner.hardware_id()
    }
    /// Takes a seat; the lease heartbeats on the client's background thread.
    pub fn acquire(&self) -> Result<Lease> {
        self.acquire_waiting(Duration::ZERO)
    }
    /// Takes a seat, waiting up to `wait` (≤ 300 s) when the license is full.
    pub fn acquire_waiting(&self, wait: Duration) -> Result<Lease> {
        let lease = self.rt.block_on(self.inner.acquire_waiting(wait))?;
        Ok(Lease {
            inner: Some(lease),
            rt: self.rt.clone(),
        })
    }
    /// Borrows a seat for offline use (see [`crate::LicenseClient::borrow`]).
    pub fn borrow(&self, hours: u32) -> Result<Seat> {
        self.rt.block_on(self.inner.borrow(hours))
    }
    /// One heartbeat for a session.
    pub fn heartbeat(&self, session_id: Uuid) -> Result<Seat> {
        self.rt.block_on(self.inner.heartbeat(session_id))
    }
    /// Releases a session (idempotent).
    pub fn release(&self, session_id: Uuid) -> Result<Released> {
        self.rt.block_on(self.inner.release(session_id))
    }
    /// Fetches and caches the JWKS.
    pub fn refresh_jwks(&self) -> Result<Verifier> {
        self.rt.block_on(self.inner.refresh_jwks())
    }
    /// Verifies a token against the cached JWKS, with no network.
    pub fn verify_offline(&self, token: &str) -> Result<VerifiedToken> {
        self.inner.verify_offline(token)
    }
}

/// A seat held by this process; released when dropped.
pub struct Lease {
    inner: Option<crate::Lease>,
    rt: Arc<Runtime>,
}

impl Lease {
    fn lease(&self) -> &crate::Lease {
        self.inner.as_ref().expect("lease present until drop")
    }
    /// The seat as last granted.
    pub fn seat(&self) -> Seat {
        self.lease().seat()
    }
    /// The current session id.
    pub fn session_id(&self) -> Uuid {
        self.lease().session_id()
    }
    /// The latest token.
    pub fn token(&self) -> String {
        self.lease().token()
    }
    /// Whether the license grants `name`.
    pub fn has_entitlement(&self, name: &str) -> bool {
        self.lease().has_entitlement(name)
    }
    /// The lease's state now.
    pub fn state(&self) -> LeaseState {
        self.lease().state()
    }
    /// Whether the seat may be used now (active, or in grace before the token's `exp`).
    pub fn is_usable(&self) -> bool {
        self.lease().is_usable()
    }
    /// A receiver that sees every state change.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<LeaseState> {
        self.lease().subscribe()
    }
    /// Blocks until the lease's state is one `done` accepts, or `timeout` has passed, and
    /// returns the state then: how code without an event loop hears of grace or a loss.
    pub fn wait_for_state(
        &self,
        timeout: Duration,
        done: impl Fn(&LeaseState) -> bool,
    ) -> LeaseState {
        let mut rx = self.subscribe();
        // The timer is made inside the runtime: `timeout` needs its clock when created.
        let _ = self
            .rt
            .block_on(async { tokio::time::timeout(timeout, rx.wait_for(|s| done(s))).await });
        let state = rx.borrow().clone();
        state
    }
    /// Calls `f` (on the client's background thread) with each new state.
    pub fn on_state_change(&self, f: impl Fn(LeaseState) + Send + 'static) {
        let _guard = self.rt.enter();
        self.lease().on_state_change(f);
    }
    /// Heartbeats now.
    pub fn heartbeat_now(&self) -> Result<Seat> {
        self.rt.block_on(self.lease().heartbeat_now())
    }
    /// Releases the seat and waits for the server's answer.
    pub fn release(mut self) -> Result<Released> {
        let lease = self.inner.take().expect("lease present until drop");
        self.rt.block_on(lease.release())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(lease) = self.inner.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Inside some runtime: cannot block here; the background task releases.
                drop(lease);
            } else {
                // The timer is made inside the runtime: `timeout` needs its clock when
                // created (made out here it panics, and the seat would never be given back).
                let _ = self.rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), lease.release()).await
                });
            }
        }
    }
}
