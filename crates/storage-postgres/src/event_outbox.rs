//! The outgoing-event outbox on PostgreSQL: events are written by the triggers of
//! migration 0009 in the transaction of their change; deliveries are claimed with
//! `FOR UPDATE SKIP LOCKED` under a lease, so several processes never try one at once.
//! Background work across tenants: system-scoped transactions.

use coditect_storage::shared::events as q;

use crate::prelude::*;

#[async_trait]
impl EventOutbox for PgStore {
    async fn undispatched_events(&self, limit: u32) -> StoreResult<Vec<PendingEvent>> {
        let mut tx = self.system_tx().await?;
        let rows = all(&mut *tx, q::UNDISPATCHED_EVENTS, (i64::from(limit),)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::pending_event(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn enabled_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut tx = self.system_tx().await?;
        let rows = all(&mut *tx, q::ENABLED_WEBHOOKS, ()).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::webhook_endpoint(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn fan_out(&self, deliveries: &[NewDelivery], events: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        for d in deliveries {
            exec(
                &mut *tx,
                q::INSERT_DELIVERY,
                q::insert_delivery_args(d, now),
            )
            .await?;
        }
        for id in events {
            exec(&mut *tx, q::MARK_DISPATCHED, (id,)).await?;
        }
        done(tx, ()).await
    }

    async fn claim_deliveries(
        &self,
        lease_id: Uuid,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<DueDelivery>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let claim = q::claim_deliveries_sql("FOR UPDATE SKIP LOCKED");
        exec(&mut *tx, &claim, (now, i64::from(limit), lease_id, lease)).await?;
        let rows = all(&mut *tx, q::CLAIMED_DELIVERIES, (lease_id,)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::due_delivery(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn finish_delivery(&self, id: Uuid, lease_id: Uuid, a: &Attempt) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let args = q::finish_delivery_args(id, lease_id, a, now, a.wait());
        let n = exec(&mut *tx, q::FINISH_DELIVERY, args).await?;
        done(tx, n == 1).await
    }

    async fn expired_licenses(&self, since: DateTime<Utc>) -> StoreResult<Vec<ExpiredLicense>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let rows = all(&mut *tx, q::EXPIRED_LICENSES, (since, now)).await?;
        let out: StoreResult<Vec<_>> = rows
            .iter()
            .map(|r| decode::expired_license(&Cols(r)))
            .collect();
        done(tx, out?).await
    }

    async fn record_expired(&self, expired: &[ExpiredLicense]) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        let mut n = 0;
        for e in expired {
            let args = q::expired_event_args(e, Json, e.expires_at);
            n += exec(&mut *tx, q::INSERT_EXPIRED_EVENT, args).await?;
        }
        done(tx, n).await
    }

    async fn pending_deliveries(&self) -> StoreResult<i64> {
        let mut tx = self.system_tx().await?;
        let n = scalar(&mut *tx, q::PENDING_DELIVERIES, ()).await?;
        done(tx, n).await
    }
}
