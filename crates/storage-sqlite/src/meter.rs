//! Stripe meter reports on SQLite: queued once per license and hour (the key is the
//! meter event's identifier) and claimed under a lease.

use coditect_storage::shared::events as q;

use crate::event_outbox::micros;
use crate::prelude::*;

#[async_trait]
impl MeterStore for SqliteStore {
    async fn meter_cursor(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let at: Option<i64> = opt_scalar(&self.reader, q::METER_CURSOR, ()).await?;
        Ok(at.map(time))
    }

    async fn metered_licenses(&self) -> StoreResult<Vec<MeteredLicense>> {
        let rows = all(&self.reader, q::METERED_LICENSES, ()).await?;
        rows.iter()
            .map(|r| decode::metered_license(&Cols(r)))
            .collect()
    }

    async fn queue_meter_reports(
        &self,
        reports: &[NewMeterReport],
        from: Option<DateTime<Utc>>,
        to: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let to = to.timestamp_micros();
        let moved = match from {
            None => exec(&mut **tx, q::INSERT_METER_CURSOR, (to,)).await?,
            Some(from) => {
                let args = (from.timestamp_micros(), to);
                exec(&mut **tx, q::MOVE_METER_CURSOR, args).await?
            }
        };
        if moved != 1 {
            return Ok(false);
        }
        let now = now_micros();
        for r in reports {
            let args = q::insert_meter_report_args(r, r.hour_start.timestamp_micros(), now);
            exec(&mut **tx, q::INSERT_METER_REPORT, args).await?;
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    async fn claim_meter_reports(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueMeterReport>> {
        let mut tx = self.write_tx().await?;
        let claim = q::claim_meter_reports_sql("");
        let args = (now_micros(), i64::from(limit), lease_id, micros(lease));
        exec(&mut **tx, &claim, args).await?;
        let rows = all(&mut **tx, q::CLAIMED_METER_REPORTS, (lease_id,)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::due_meter_report(&Cols(r)))
            .collect();
        tx.commit().await.map_err(err)?;
        out
    }

    async fn finish_meter_report(
        &self,
        license_id: Uuid,
        hour_start: DateTime<Utc>,
        lease_id: Uuid,
        a: &Attempt,
    ) -> StoreResult<bool> {
        let hour = hour_start.timestamp_micros();
        let args = q::finish_meter_report_args(
            license_id,
            hour,
            lease_id,
            a,
            now_micros(),
            micros(a.wait()),
        );
        let n = exec(
            &mut **self.write_conn().await?,
            q::FINISH_METER_REPORT,
            args,
        )
        .await?;
        Ok(n == 1)
    }

    async fn meter_report_counts(&self) -> StoreResult<OutboxCounts> {
        let r = one(&self.reader, q::METER_REPORT_COUNTS, ()).await?;
        decode::outbox_counts(&Cols(&r))
    }
}
