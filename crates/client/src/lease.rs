//! A held seat that takes care of itself: it heartbeats in the background at the interval
//! the server gives (a little early, at random, so a fleet started together spreads out),
//! re-acquires (same hardware id) when the server says the session is gone, rides out an
//! unreachable server in grace until its signed token's `exp` and never longer, reports
//! its state through a watch channel, and releases the seat when dropped.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::LicenseClient;
use crate::{Released, Seat};

/// Where a lease stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseState {
    /// The seat is held and the last heartbeat (or acquire) succeeded.
    Active,
    /// Grace: no server address answers, but the signed token is still valid, so the seat
    /// may still be used while the lease keeps trying. Ends back in [`LeaseState::Active`]
    /// when a server answers, or in [`LostReason::Expired`] at `until`.
    Grace {
        /// The token's `exp` (seconds since the Unix epoch): the end of grace.
        until: i64,
    },
    /// The seat is gone and the lease has stopped; acquire again to get a new one.
    Lost(LostReason),
    /// The seat was released (explicitly or on drop).
    Released,
}

/// Why a lease was lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// The token expired while no server could be reached (grace ran out).
    Expired,
    /// An admin released the session (`session_released` with reason `forced`).
    Forced,
    /// The server refused a heartbeat or a re-acquire; the contract's error code
    /// (e.g. `license_suspended`, `no_seats_available`, `license_not_found`).
    Refused(String),
}

impl LeaseState {
    /// Every state's name, as [`LeaseState::name`] spells it: the one vocabulary of the
    /// Python, Node and shell bindings.
    pub const NAMES: [&'static str; 4] = ["active", "grace", "lost", "released"];

    /// The state's name without its data: `active`, `grace`, `lost` or `released`.
    pub fn name(&self) -> &'static str {
        match self {
            LeaseState::Active => "active",
            LeaseState::Grace { .. } => "grace",
            LeaseState::Lost(_) => "lost",
            LeaseState::Released => "released",
        }
    }

    /// Why the lease was lost ([`LostReason::as_str`]); `None` unless lost.
    pub fn lost_reason(&self) -> Option<&str> {
        match self {
            LeaseState::Lost(r) => Some(r.as_str()),
            _ => None,
        }
    }

    /// In grace, the token's `exp` (Unix seconds); `None` in every other state.
    pub fn grace_until(&self) -> Option<i64> {
        match self {
            LeaseState::Grace { until } => Some(*until),
            _ => None,
        }
    }
}

impl LostReason {
    /// `expired`, `forced`, or the refusal's error code, as the bindings report it.
    pub fn as_str(&self) -> &str {
        match self {
            LostReason::Expired => "expired",
            LostReason::Forced => "forced",
            LostReason::Refused(code) => code,
        }
    }
}

/// First retry delay after a failure; doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest pause between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// A random fraction in [0, 1) without a random-number crate: the std hasher is seeded
/// per process from the OS, and the clock makes successive calls differ.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// When to heartbeat after `interval`: at a random point of its last fifth, never later,
/// so leases started together (a morning, a restart) do not stay in step.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(0.8 + 0.2 * jitter())
}

/// Delay before retry number `attempt` (1-based): exponential with "equal jitter" (half
/// fixed, half random), so a fleet that lost the server together does not return in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let exp = FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(MAX_BACKOFF);
    cap / 2 + cap.mul_f64(jitter() / 2.0)
}

struct Shared {
    client: LicenseClient,
    /// The seat as last granted, and when it stops being usable.
    seat: Mutex<Held>,
    state: watch::Sender<LeaseState>,
    poke: Notify,
}

/// A granted seat and the instant its token runs out, read on the monotonic clock when the
/// seat arrived: the earlier of the server's `expires_in_seconds` (right whatever this
/// machine's clock says) and the token's `exp` by this machine's clock (what an offline
/// check of the token would accept), so grace never outlasts either.
struct Held {
    seat: Seat,
    deadline: Instant,
}

impl Held {
    fn new(seat: Seat) -> Self {
        let by_server = secs(seat.expires_in_seconds);
        let by_clock = until_unix(token_exp(&seat));
        Self {
            deadline: Instant::now() + by_server.min(by_clock),
            seat,
        }
    }
}

/// The token's `exp`: the server signs the session's `expires_at` into it.
fn token_exp(seat: &Seat) -> i64 {
    seat.expires_at.timestamp()
}

/// How long from now until `t` (seconds since the Unix epoch) by this machine's clock.
fn until_unix(t: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(t.max(0).unsigned_abs()).saturating_sub(now)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What the background task is asked to do when the lease ends.
type ReleaseReply = oneshot::Sender<Result<Released>>;

/// A seat held by this process. Dropping it releases the seat in the background; call
/// [`Lease::release`] to release it and wait for the server's answer.
pub struct Lease {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<ReleaseReply>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("session_id", &self.session_id())
            .field("state", &self.state())
            .finish()
    }
}

impl Lease {
    /// Starts the background heartbeat for a seat just acquired. Needs a tokio runtime.
    pub(crate) fn start(client: LicenseClient, seat: Seat) -> Self {
        let (state, _) = watch::channel(LeaseState::Active);
        let shared = Arc::new(Shared {
            client,
            seat: Mutex::new(Held::new(seat)),
            state,
            poke: Notify::new(),
        });
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(shared.clone(), stop_rx));
        Self {
            shared,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn held<T>(&self, f: impl FnOnce(&Held) -> T) -> T {
        f(&self.shared.seat.lock().expect("seat lock"))
    }
    /// The seat as last granted (changes on heartbeat and re-acquire).
    pub fn seat(&self) -> Seat {
        self.held(|h| h.seat.clone())
    }
    /// The current session id (a re-acquire after expiry gets a new one).
    pub fn session_id(&self) -> Uuid {
        self.held(|h| h.seat.session_id)
    }
    /// The latest signed token.
    pub fn token(&self) -> String {
        self.held(|h| h.seat.token.clone())
    }
    /// Whether the license grants the feature `name`.
    pub fn has_entitlement(&self, name: &str) -> bool {
        self.held(|h| h.seat.has_entitlement(name))
    }
    /// Whether the application may use the seat now: the lease is active, or in grace
    /// with its token not yet expired. Read from the clock, not only from the state, so it
    /// turns false at the token's end even before the background task notices.
    pub fn is_usable(&self) -> bool {
        let in_time = self.held(|h| Instant::now() < h.deadline && unix_now() < token_exp(&h.seat));
        in_time && matches!(self.state(), LeaseState::Active | LeaseState::Grace { .. })
    }
    /// The lease's state now.
    pub fn state(&self) -> LeaseState {
        self.shared.state.borrow().clone()
    }
    /// A receiver that sees every state change (`changed().await`).
    pub fn subscribe(&self) -> watch::Receiver<LeaseState> {
        self.shared.state.subscribe()
    }
    /// Calls `f` with each new state, on the runtime, until the lease ends.
    pub fn on_state_change(&self, f: impl Fn(LeaseState) + Send + 'static) {
        let mut rx = self.subscribe();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let s = rx.borrow_and_update().clone();
                let last = matches!(s, LeaseState::Lost(_) | LeaseState::Released);
                f(s);
                if last {
                    break;
                }
            }
        });
    }

    /// Makes the background task heartbeat now instead of at its next tick.
    pub fn poke(&self) {
        self.shared.poke.notify_one();
    }

    /// Heartbeats now and returns the refreshed seat; a failure is returned as it is
    /// (the background task still handles recovery on its own schedule).
    pub async fn heartbeat_now(&self) -> Result<Seat> {
        let id = self.session_id();
        let seat = self.shared.client.heartbeat(id).await?;
        let mut cur = self.shared.seat.lock().expect("seat lock");
        if cur.seat.session_id == seat.session_id {
            *cur = Held::new(seat.clone());
            self.shared.state.send_if_modified(|s| {
                let change = matches!(s, LeaseState::Grace { .. });
                if change {
                    *s = LeaseState::Active;
                }
                change
            });
        }
        Ok(seat)
    }

    /// Stops heartbeating and releases the seat, returning the server's answer.
    pub async fn release(mut self) -> Result<Released> {
        let (reply, answer) = oneshot::channel();
        if let Some(stop) = self.stop.take() {
            if stop.send(reply).is_ok() {
                if let Ok(r) = answer.await {
                    return r;
                }
            }
        }
        // The background task had already stopped (the lease was lost): release anyway.
        let r = self.shared.client.release(self.session_id()).await;
        self.shared.state.send_replace(LeaseState::Released);
        r
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Dropping `stop` tells the background task to release the seat and end. Without a
        // runtime (it is shutting down) the task is gone and the seat times out instead.
        self.stop.take();
        self.task.take();
    }
}

/// The background task: heartbeats until told to stop or the seat is lost.
async fn run(shared: Arc<Shared>, mut stop: oneshot::Receiver<ReleaseReply>) {
    let (first, mut deadline) = {
        let h = shared.seat.lock().expect("seat lock");
        (h.seat.clone(), h.deadline)
    };
    let mut next = Instant::now() + jittered(interval(&first));
    let mut attempt: u32 = 0;
    let mut must_reacquire = false;
    loop {
        tokio::select! {
            r = &mut stop => {
                let id = shared.seat.lock().expect("seat lock").seat.session_id;
                let result = shared.client.release(id).await;
                shared.state.send_replace(LeaseState::Released);
                if let Ok(reply) = r {
                    let _ = reply.send(result);
                }
                return;
            }
            _ = tokio::time::sleep_until(next) => {}
            _ = shared.poke.notified() => {}
        }
        let id = shared.seat.lock().expect("seat lock").seat.session_id;
        let call = async {
            if must_reacquire {
                shared.client.acquire_seat(Duration::ZERO).await
            } else {
                shared.client.heartbeat(id).await
            }
        };
        // A call still under way when the token runs out must not stretch grace.
        let Ok(result) = tokio::time::timeout_at(deadline, call).await else {
            shared
                .state
                .send_replace(LeaseState::Lost(LostReason::Expired));
            return;
        };
        match result {
            Ok(seat) => {
                attempt = 0;
                must_reacquire = false;
                next = Instant::now() + jittered(interval(&seat));
                let held = Held::new(seat);
                deadline = held.deadline;
                *shared.seat.lock().expect("seat lock") = held;
                shared.state.send_if_modified(|s| {
                    let change = *s != LeaseState::Active;
                    *s = LeaseState::Active;
                    change
                });
            }
            Err(Error::Api {
                status: 410,
                details,
                ..
            }) if !must_reacquire => {
                if details["reason"] == "forced" {
                    shared
                        .state
                        .send_replace(LeaseState::Lost(LostReason::Forced));
                    return;
                }
                // The session expired server-side (a long sleep, a clock jump): take a seat
                // again with the same hardware id, at once.
                must_reacquire = true;
                next = Instant::now();
            }
            Err(e) if e.is_retryable() => {
                if Instant::now() >= deadline {
                    shared
                        .state
                        .send_replace(LeaseState::Lost(LostReason::Expired));
                    return;
                }
                attempt += 1;
                let until = token_exp(&shared.seat.lock().expect("seat lock").seat);
                shared.state.send_if_modified(|s| {
                    let grace = LeaseState::Grace { until };
                    let change = *s != grace;
                    *s = grace;
                    change
                });
                // The last try is at the deadline itself, where the timeout above ends grace.
                next = (Instant::now() + backoff(attempt)).min(deadline);
            }
            Err(e) => {
                if !must_reacquire && e.status() == Some(403) {
                    // A suspended or expired license: the session still holds a seat the
                    // application can no longer use, so give it back.
                    let _ = shared.client.release(id).await;
                }
                shared
                    .state
                    .send_replace(LeaseState::Lost(LostReason::Refused(e.code().to_owned())));
                return;
            }
        }
    }
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(s.max(0).unsigned_abs())
}

/// When to heartbeat next: the server's interval, or for a borrowed seat once before
/// its end (a borrowed seat needs no heartbeat, but it costs nothing while online).
fn interval(seat: &Seat) -> Duration {
    if seat.borrowed {
        secs(seat.expires_in_seconds / 2).max(secs(seat.heartbeat_interval_seconds))
    } else {
        secs(seat.heartbeat_interval_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for attempt in 1..40 {
            let d = backoff(attempt);
            let cap = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?}");
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| backoff(6)).collect();
        assert!(samples.len() > 1, "delays must not all be equal");
    }

    #[test]
    fn heartbeats_come_early_at_random_and_never_late() {
        let every = Duration::from_secs(120);
        let samples: Vec<_> = (0..200).map(|_| jittered(every)).collect();
        assert!(samples
            .iter()
            .all(|d| *d >= every.mul_f64(0.8) && *d <= every));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(
            distinct.len() > 100,
            "only {} distinct delays",
            distinct.len()
        );
    }
}
