//! The [`MeterStore`] role; each backend implements it in its own `meter` module.

use super::prelude::*;
use crate::{Attempt, DueMeterReport, MeteredLicense, NewMeterReport};

/// Seat-hours reported to Stripe: which licenses are metered, the hours turned into
/// reports so far, and the report outbox (one row per license and hour, so an hour is
/// queued once however many processes compute it).
#[async_trait]
pub trait MeterStore: Send + Sync {
    /// The first hour not yet turned into reports; `None` before the first run.
    async fn meter_cursor(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// Every metered license of a tenant that is a Stripe customer.
    async fn metered_licenses(&self) -> StoreResult<Vec<MeteredLicense>>;
    /// Queues `reports` (a license's hour already queued is left as it is) and moves the
    /// cursor from `from` to `to`, in one transaction; `false` and nothing stored when
    /// the cursor is no longer at `from` (another process got there first).
    async fn queue_meter_reports(
        &self,
        reports: &[NewMeterReport],
        from: Option<DateTime<Utc>>,
        to: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Claims up to `limit` due reports under `lease_id` for `lease`.
    async fn claim_meter_reports(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueMeterReport>>;
    /// Records an attempt of a claimed report; `false` when the claim is no longer
    /// `lease_id`'s.
    async fn finish_meter_report(
        &self,
        license_id: Uuid,
        hour_start: DateTime<Utc>,
        lease_id: Uuid,
        attempt: &Attempt,
    ) -> StoreResult<bool>;
    /// Reports by status (`pending`, `delivered`, `failed`), for the gauge and tests.
    async fn meter_report_counts(&self) -> StoreResult<OutboxCounts>;
}
