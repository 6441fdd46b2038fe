//! The outgoing-event outbox on SQLite: events are written by the triggers of migration
//! 0006 in the transaction of their change (on the seat writer's connection too); one
//! process owns the file, and a claim's lease keeps its senders from trying a delivery
//! twice at once.

use coditect_storage::shared::events as q;

use crate::prelude::*;

#[async_trait]
impl EventOutbox for SqliteStore {
    async fn undispatched_events(&self, limit: u32) -> StoreResult<Vec<PendingEvent>> {
        let rows = all(&self.reader, q::UNDISPATCHED_EVENTS, (i64::from(limit),)).await?;
        rows.iter()
            .map(|r| decode::pending_event(&Cols(r)))
            .collect()
    }

    async fn enabled_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        let rows = all(&self.reader, q::ENABLED_WEBHOOKS, ()).await?;
        rows.iter()
            .map(|r| decode::webhook_endpoint(&Cols(r)))
            .collect()
    }

    async fn fan_out(&self, deliveries: &[NewDelivery], events: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let now = now_micros();
        for d in deliveries {
            exec(
                &mut **tx,
                q::INSERT_DELIVERY,
                q::insert_delivery_args(d, now),
            )
            .await?;
        }
        for id in events {
            exec(&mut **tx, q::MARK_DISPATCHED, (id,)).await?;
        }
        tx.commit().await.map_err(err)
    }

    async fn claim_deliveries(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueDelivery>> {
        let mut tx = self.write_tx().await?;
        let claim = q::claim_deliveries_sql("");
        let args = (now_micros(), i64::from(limit), lease_id, micros(lease));
        exec(&mut **tx, &claim, args).await?;
        let rows = all(&mut **tx, q::CLAIMED_DELIVERIES, (lease_id,)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::due_delivery(&Cols(r)))
            .collect();
        tx.commit().await.map_err(err)?;
        out
    }

    async fn finish_delivery(&self, id: Uuid, lease_id: Uuid, a: &Attempt) -> StoreResult<bool> {
        let args = q::finish_delivery_args(id, lease_id, a, now_micros(), micros(a.wait()));
        let n = exec(&mut **self.write_conn().await?, q::FINISH_DELIVERY, args).await?;
        Ok(n == 1)
    }

    async fn expired_licenses(&self, since: DateTime<Utc>) -> StoreResult<Vec<ExpiredLicense>> {
        let args = (since.timestamp_micros(), now_micros());
        let rows = all(&self.reader, q::EXPIRED_LICENSES, args).await?;
        rows.iter()
            .map(|r| decode::expired_license(&Cols(r)))
            .collect()
    }

    async fn record_expired(&self, expired: &[ExpiredLicense]) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let mut n = 0;
        for e in expired {
            let args = q::expired_event_args(e, |v| to_json(&v), e.expires_at.timestamp_micros());
            n += exec(&mut **tx, q::INSERT_EXPIRED_EVENT, args).await?;
        }
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn pending_deliveries(&self) -> StoreResult<i64> {
        scalar(&self.reader, q::PENDING_DELIVERIES, ()).await
    }
}

/// A duration as the microseconds SQLite stores times in.
pub(crate) fn micros(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX / 2)
}
