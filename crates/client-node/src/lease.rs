//! `NativeLease`: a held seat for the JavaScript `Lease`. The client's `Lease` does the
//! work (heartbeats, failover, grace, re-acquire); this type only lets JavaScript read it,
//! wait on its state and release it, including synchronously when the process exits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coditect_license_client::{Lease, LeaseState, LicenseClient, Seat};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::{watch, RwLock};

use crate::error::{invalid, to_js, Result};

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The native side of the JavaScript `Lease`.
#[napi]
pub struct NativeLease {
    client: LicenseClient,
    /// The lease while it is held; taken out (and consumed) by its release. A read lock
    /// is held across a heartbeat, so a release waits for it rather than racing it.
    lease: Arc<RwLock<Option<Lease>>>,
    /// The lease's state, readable after the lease itself is gone (the last value stays).
    state: watch::Receiver<LeaseState>,
    /// The seat as last seen, for the getters once the lease is released.
    last_seat: Arc<Mutex<Seat>>,
}

impl NativeLease {
    pub(crate) fn new(client: LicenseClient, lease: Lease) -> Self {
        Self {
            client,
            state: lease.subscribe(),
            last_seat: Arc::new(Mutex::new(lease.seat())),
            lease: Arc::new(RwLock::new(Some(lease))),
        }
    }

    /// `f` of the lease if it is held and not being released right now.
    fn with_lease<T>(&self, f: impl FnOnce(&Lease) -> T) -> Option<T> {
        let guard = self.lease.try_read().ok()?;
        guard.as_ref().map(f)
    }

    fn seat_now(&self) -> Seat {
        match self.with_lease(Lease::seat) {
            Some(seat) => {
                seat.clone_into(&mut self.last_seat.lock().expect("seat lock"));
                seat
            }
            None => self.last_seat.lock().expect("seat lock").clone(),
        }
    }

    fn state_now(&self) -> LeaseState {
        self.state.borrow().clone()
    }

    /// Releases the seat: the held lease's own release (which stops its heartbeat), or,
    /// once it is gone, the release call for its last session (idempotent on the server).
    async fn release_now(
        client: LicenseClient,
        lease: Arc<RwLock<Option<Lease>>>,
        last_seat: Arc<Mutex<Seat>>,
    ) -> Result<Value> {
        let held = lease.write().await.take();
        let released = match held {
            Some(l) => {
                *last_seat.lock().expect("seat lock") = l.seat();
                l.release().await
            }
            None => {
                let id = last_seat.lock().expect("seat lock").session_id;
                client.release(id).await
            }
        };
        released.map(|r| json(&r)).map_err(to_js)
    }
}

#[napi]
impl NativeLease {
    /// `active`, `grace`, `lost` or `released`.
    #[napi(getter)]
    pub fn state(&self) -> String {
        self.state_now().name().to_owned()
    }

    /// Why the lease was lost: `expired`, `forced`, or the refusal's error code; `null`
    /// while it is not lost.
    #[napi(getter)]
    pub fn lost_reason(&self) -> Option<String> {
        self.state_now().lost_reason().map(str::to_owned)
    }

    /// The end of grace (the token's `exp`, Unix seconds) while in grace, else `null`.
    #[napi(getter)]
    pub fn grace_until(&self) -> Option<i64> {
        self.state_now().grace_until()
    }

    /// Whether the seat may be used now (active, or in grace before the token's `exp`).
    #[napi(getter)]
    pub fn is_usable(&self) -> bool {
        self.with_lease(Lease::is_usable).unwrap_or(false)
    }

    /// The current session id (a re-acquire after expiry gets a new one).
    #[napi(getter)]
    pub fn session_id(&self) -> String {
        self.seat_now().session_id.to_string()
    }

    /// The latest signed token.
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.seat_now().token
    }

    /// The features the license grants.
    #[napi(getter)]
    pub fn entitlements(&self) -> Vec<String> {
        self.seat_now().entitlements
    }

    /// The seat as last granted, as the server wrote it.
    #[napi(getter)]
    pub fn seat(&self) -> Value {
        json(&self.seat_now())
    }

    /// Whether the license grants the feature `name`.
    #[napi]
    pub fn has_entitlement(&self, name: String) -> bool {
        self.seat_now().has_entitlement(&name)
    }

    /// Heartbeats now and returns the refreshed seat. After a release it asks for the last
    /// session anyway, so the server's refusal (`session_released`) is what is thrown.
    #[napi]
    pub async fn heartbeat(&self) -> Result<Value> {
        let guard = self.lease.clone().read_owned().await;
        let seat = match guard.as_ref() {
            Some(l) => l.heartbeat_now().await,
            None => {
                let id = self.last_seat.lock().expect("seat lock").session_id;
                self.client.heartbeat(id).await
            }
        }
        .map_err(to_js)?;
        *self.last_seat.lock().expect("seat lock") = seat.clone();
        Ok(json(&seat))
    }

    /// Stops heartbeating and releases the seat; returns the server's answer.
    #[napi]
    pub async fn release(&self) -> Result<Value> {
        Self::release_now(
            self.client.clone(),
            self.lease.clone(),
            self.last_seat.clone(),
        )
        .await
    }

    /// Releases the seat, blocking the calling (JavaScript) thread for at most
    /// `timeout_ms`: for `process.on('exit')`, where nothing asynchronous runs any more.
    /// Returns whether the server confirmed the release in time.
    #[napi]
    pub fn release_sync(&self, timeout_ms: u32) -> bool {
        let work = Self::release_now(
            self.client.clone(),
            self.lease.clone(),
            self.last_seat.clone(),
        );
        let limit = Duration::from_millis(timeout_ms.into());
        // The timer is made inside the runtime: a tokio timer needs its clock when created.
        napi::bindgen_prelude::block_on(async move { tokio::time::timeout(limit, work).await })
            .is_ok_and(|r| r.is_ok())
    }

    /// Resolves with the state once it is one of `states`, or with the state at the
    /// deadline (`timeout_ms`) otherwise.
    #[napi]
    pub async fn wait_for_state(&self, states: Vec<String>, timeout_ms: u32) -> Result<String> {
        if let Some(bad) = states
            .iter()
            .find(|s| !LeaseState::NAMES.contains(&s.as_str()))
        {
            return Err(invalid(format!(
                "unknown lease state {bad:?} (one of {})",
                LeaseState::NAMES.join(", ")
            )));
        }
        let mut rx = self.state.clone();
        let limit = Duration::from_millis(timeout_ms.into());
        let wanted = |s: &LeaseState| states.iter().any(|w| w == s.name());
        let _ = tokio::time::timeout(limit, rx.wait_for(wanted)).await;
        let now = rx.borrow().name().to_owned();
        Ok(now)
    }

    /// Calls `callback(state)` on the JavaScript thread at each change of state, until the
    /// lease is lost or released. The callback holds no reference on the event loop.
    #[napi]
    pub fn on_state_change(&self, callback: Function<String, ()>) -> Result<()> {
        let tsfn = callback
            .build_threadsafe_function::<String>()
            .weak::<true>()
            .build()
            .map_err(|e| invalid(format!("onStateChange: {e}")))?;
        let mut rx = self.state.clone();
        rx.mark_unchanged();
        napi::bindgen_prelude::spawn(async move {
            while rx.changed().await.is_ok() {
                let s = rx.borrow_and_update().name().to_owned();
                let last = s == "lost" || s == "released";
                tsfn.call(s, ThreadsafeFunctionCallMode::NonBlocking);
                if last {
                    break;
                }
            }
        });
        Ok(())
    }
}
