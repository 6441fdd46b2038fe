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
    /// A page of the outbox for staff, newest first, optionally only mails in `state`;
    /// never a body.
    async fn list_mails(
        &self,
        state: Option<MailState>,
        page: PageRequest,
    ) -> StoreResult<Page<OutboxEntry>>;
    /// One mail of the outbox, without its body.
    async fn get_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>>;
    /// Puts a mail that failed for good back in the queue, due now; `None` when there is
    /// no such mail or it is not failed.
    async fn retry_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>>;
}
