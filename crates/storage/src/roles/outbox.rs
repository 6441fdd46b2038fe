//! The [`OutboxStore`] role; each backend implements it in its own `outbox` module.

use super::prelude::*;

/// The mail outbox: mails are stored in the transaction that makes them, then sent by
/// any process, at least once, with back-off between failed attempts.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` mails due for an attempt, hiding them from other senders
    /// for `lease` (a sender that dies mid-send loses nothing: the lease runs out).
    async fn claim_mails(&self, limit: u32, lease: Duration) -> StoreResult<Vec<OutboxMail>>;
    /// Marks a mail accepted by the server and forgets its body.
    async fn mail_sent(&self, id: Uuid) -> StoreResult<()>;
    /// Records a failed attempt: retried after `retry`, or never when `None`.
    async fn mail_failed(&self, id: Uuid, error: &str, retry: Option<Duration>) -> StoreResult<()>;
    /// Outbox totals.
    async fn outbox_counts(&self) -> StoreResult<OutboxCounts>;
}
