//! The [`SeatStore`] role; each backend implements it in its own `seats` module.

use super::prelude::*;

/// Seats: the sessions a license's seats are held by. Every method is a whole transaction,
/// not a building block, because the seat invariant (never more live sessions than seats)
/// is only as strong as the atomicity around each decision.
#[async_trait]
pub trait SeatStore: Send + Sync {
    /// Takes or resumes a seat (or borrows one), atomically. Refusals come back as
    /// `StoreError::Seat`; a refused acquire still commits: a plain acquire's refusal for
    /// want of a seat is recorded as a denial, a queued acquire keeps its place.
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome>;
    /// Removes a queued acquire from its license's queue (it was granted elsewhere, timed
    /// out, or its client went away). Unknown ids are not an error. With `denied` (the
    /// wait ran out without a seat) the refusal is recorded as a denial in the usage
    /// history, once, in the same transaction that removes the place.
    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()>;
    /// Extends a live session.
    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome>;
    /// Ends a session (idempotent).
    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome>;
    /// An admin's release; `None` when the session is not the tenant's.
    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>>;
    /// A license's sessions, oldest first, optionally by reported status.
    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        self.list_sessions_during(tenant_id, license_id, status, None, None, page)
            .await
    }
    /// A license's sessions that held (or hold) their seat at some time in `[from, to)`
    /// (started before `to`, and ended, or expire, at or after `from`), oldest first,
    /// optionally by reported status; the range applies before paging.
    async fn list_sessions_during(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>>;
    /// Marks up to `limit` sessions past their expiry as expired, auditing each once,
    /// even when several processes reap at the same time. Returns how many it marked.
    async fn reap_expired(&self, limit: u32) -> StoreResult<u64>;
    /// Live sessions across all licenses (a gauge).
    async fn count_live_sessions(&self) -> StoreResult<i64>;
}
