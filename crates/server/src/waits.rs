//! Acquires that wait for a seat (`wait_seconds`). The queue itself lives in the database
//! (see the backends' `queue` modules), so its first-come-first-served order holds across
//! every server process sharing it; this module only decides *when* a waiting request
//! tries again: at once when a seat is released through this process, and otherwise every
//! [`POLL_INTERVAL`] (seats released through another process, or freed by expiry).

use std::sync::Arc;
use std::time::Duration;

use coditect_domain::SeatError;
use coditect_storage::{AcquireOutcome, AcquireRequest, Store, StoreError};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use uuid::Uuid;

use crate::http::ApiError;

/// How often a waiting acquire retries when nothing in this process woke it. Bounds how
/// late a waiter learns of a seat freed through another process.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Wakes this process's waiting acquires; closes them on shutdown.
pub struct SeatWaits {
    freed: Notify,
    closing: watch::Sender<bool>,
}

impl Default for SeatWaits {
    fn default() -> Self {
        Self {
            freed: Notify::new(),
            closing: watch::Sender::new(false),
        }
    }
}

/// A place in a license's queue that is given up if the request goes away (the client
/// disconnected and the handler was dropped) instead of lingering until it expires.
struct Place {
    store: Arc<dyn Store>,
    id: Uuid,
    held: bool,
}

impl Drop for Place {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, id) = (self.store.clone(), self.id);
            rt.spawn(async move {
                if let Err(e) = store.leave_queue(id, false).await {
                    tracing::warn!(error = %e, "could not leave the seat queue; the place expires");
                }
            });
        }
    }
}

impl SeatWaits {
    /// A seat may have become free (a release in this process): every waiting acquire
    /// here tries again now.
    pub fn seat_freed(&self) {
        self.freed.notify_waiters();
    }

    /// The server is stopping: waiting acquires answer `503` at once so shutdown is quick.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Acquires, waiting up to `wait` for a seat when the license is full. The request
    /// queues behind every acquire already waiting on the license; at the deadline it
    /// leaves the queue and the last refusal (`409`) is returned.
    pub async fn acquire(
        &self,
        store: &Arc<dyn Store>,
        mut req: AcquireRequest,
        wait: Duration,
    ) -> Result<AcquireOutcome, ApiError> {
        let deadline = Instant::now() + wait;
        let mut place = Place {
            store: store.clone(),
            id: Uuid::now_v7(),
            held: false,
        };
        req.waiter = Some(place.id);
        let mut closing = self.closing.subscribe();
        let closed = async move {
            let _ = closing.wait_for(|c| *c).await;
        };
        tokio::pin!(closed);
        loop {
            // Registered before the attempt, so a release during it is not missed.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match store.acquire(req.clone()).await {
                Ok(out) => {
                    place.held = false; // the granting transaction removed the place
                    return Ok(out);
                }
                Err(StoreError::Seat(e @ SeatError::NoSeats { .. })) => {
                    place.held = true;
                    if Instant::now() >= deadline {
                        // The wait ran out: this is a denial, like a plain acquire's 409.
                        return Err(self.give_up(store, place, e.into(), true).await);
                    }
                }
                Err(e) => return Err(self.give_up(store, place, e.into(), false).await),
            }
            let next = (Instant::now() + POLL_INTERVAL).min(deadline);
            tokio::select! {
                _ = &mut freed => {}
                _ = tokio::time::sleep_until(next) => {}
                _ = &mut closed => {
                    let e = ApiError::unavailable("server shutting down during a seat wait");
                    return Err(self.give_up(store, place, e, false).await);
                }
            }
        }
    }

    async fn give_up(
        &self,
        store: &Arc<dyn Store>,
        mut place: Place,
        e: ApiError,
        denied: bool,
    ) -> ApiError {
        if place.held {
            place.held = false;
            if let Err(le) = store.leave_queue(place.id, denied).await {
                tracing::warn!(error = %le, "could not leave the seat queue; the place expires");
            }
            // The next waiter may now be first in line for a seat that is already free.
            self.seat_freed();
        }
        e
    }
}
