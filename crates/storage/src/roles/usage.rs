//! The [`UsageStore`] role; each backend implements it in its own `usage` module.

use super::prelude::*;

/// Usage history: seat-use samples and denials, for the dashboard's charts and the
/// staff's analytics, and the retention that keeps it bounded.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Records seats used of every license that had a live session or any session
    /// activity in the last `lookback`, in the sample slot of width `slot_secs` holding
    /// the database's now (one sample per license and slot, however many processes
    /// sample). Returns how many samples were written.
    async fn sample_usage(&self, slot_secs: i64, lookback: Duration) -> StoreResult<u64>;
    /// Deletes usage history before `before`, and dashboard sessions, one-time tokens
    /// and sent mails that can no longer matter. Returns the rows deleted.
    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Seat use (summed over licenses per sample slot) and denials of a tenant, or of one
    /// of its licenses, in `[from, to)`, per bucket of `bucket_secs`.
    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)>;
    /// The seat use of one page of a tenant's licenses (ids after `q.after`, ordered by
    /// id), or of its one license: each license's sessions that held a seat at some point
    /// of `[from, to)`, and its refused acquires in it. A license without either is still
    /// listed, so the page's last id is the next page's cursor.
    async fn seat_use(&self, q: &SeatUseQuery) -> StoreResult<Vec<LicenseSeatUse>>;
    /// A tenant's refused acquires, or one license's, newest first, with who was refused.
    async fn list_denials(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        page: PageRequest,
    ) -> StoreResult<Page<crate::Denial>>;
    /// Every tenant's usage in `[from, to)` (staff view).
    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>>;
}
