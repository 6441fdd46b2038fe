//! Stripe meter reports on PostgreSQL: queued once per license and hour (the key is the
//! meter event's identifier), claimed with `FOR UPDATE SKIP LOCKED` under a lease.
//! Cross-tenant background work: system-scoped transactions.

use coditect_storage::shared::events as q;

use crate::prelude::*;

#[async_trait]
impl MeterStore for PgStore {
    async fn meter_cursor(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let mut tx = self.system_tx().await?;
        let at = opt_scalar(&mut *tx, q::METER_CURSOR, ()).await?;
        done(tx, at).await
    }

    async fn metered_licenses(&self) -> StoreResult<Vec<MeteredLicense>> {
        let mut tx = self.system_tx().await?;
        let rows = all(&mut *tx, q::METERED_LICENSES, ()).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::metered_license(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn queue_meter_reports(
        &self,
        reports: &[NewMeterReport],
        from: Option<DateTime<Utc>>,
        to: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let moved = match from {
            None => exec(&mut *tx, q::INSERT_METER_CURSOR, (to,)).await?,
            Some(from) => exec(&mut *tx, q::MOVE_METER_CURSOR, (from, to)).await?,
        };
        if moved != 1 {
            return Ok(false);
        }
        let now = db_now(&mut tx).await?;
        for r in reports {
            let args = q::insert_meter_report_args(r, r.hour_start, now);
            exec(&mut *tx, q::INSERT_METER_REPORT, args).await?;
        }
        done(tx, true).await
    }

    async fn claim_meter_reports(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueMeterReport>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let claim = q::claim_meter_reports_sql("FOR UPDATE SKIP LOCKED");
        exec(&mut *tx, &claim, (now, i64::from(limit), lease_id, lease)).await?;
        let rows = all(&mut *tx, q::CLAIMED_METER_REPORTS, (lease_id,)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::due_meter_report(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn finish_meter_report(
        &self,
        license_id: Uuid,
        hour_start: DateTime<Utc>,
        lease_id: Uuid,
        a: &Attempt,
    ) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let args = q::finish_meter_report_args(license_id, hour_start, lease_id, a, now, a.wait());
        let n = exec(&mut *tx, q::FINISH_METER_REPORT, args).await?;
        done(tx, n == 1).await
    }

    async fn meter_report_counts(&self) -> StoreResult<OutboxCounts> {
        let mut tx = self.system_tx().await?;
        let r = one(&mut *tx, q::METER_REPORT_COUNTS, ()).await?;
        let out = decode::outbox_counts(&Cols(&r))?;
        done(tx, out).await
    }
}
