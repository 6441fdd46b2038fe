//! The mail outbox on PostgreSQL: mails are queued in the transaction that makes them and
//! claimed with `SKIP LOCKED`, so several server processes send each mail once per lease.

use coditect_storage::shared::outbox as outbox_sql;

use crate::prelude::*;

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_mails(&self, limit: u32, lease: Duration) -> StoreResult<Vec<OutboxMail>> {
        // Background work across tenants (the outbox has no tenant rows).
        let mut tx = self.system_tx().await?;
        let rows = all(
            &mut *tx,
            "UPDATE mail_outbox SET next_attempt_at = clock_timestamp() + $1 WHERE id IN ( \
               SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
                 AND next_attempt_at <= clock_timestamp() \
               ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *",
            (lease, i64::from(limit)),
        )
        .await?;
        let mails: StoreResult<Vec<_>> =
            rows.iter().map(|r| decode::outbox_mail(&Cols(r))).collect();
        done(tx, mails?).await
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        let sql = "UPDATE mail_outbox SET sent_at = clock_timestamp(), body_sealed = '', \
                   last_error = NULL WHERE id = $1";
        let mut tx = self.system_tx().await?;
        exec(&mut *tx, sql, (id,)).await?;
        done(tx, ()).await
    }

    async fn mail_failed(&self, id: Uuid, error: &str, retry: Option<Duration>) -> StoreResult<()> {
        let sql = "UPDATE mail_outbox SET attempts = attempts + 1, \
                     next_attempt_at = clock_timestamp() + coalesce($1, interval '0'), \
                     failed_at = CASE WHEN $1 IS NULL THEN clock_timestamp() END, last_error = $2 \
                   WHERE id = $3";
        let mut tx = self.system_tx().await?;
        exec(&mut *tx, sql, (retry, error, id)).await?;
        done(tx, ()).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let mut tx = self.system_tx().await?;
        let r = one(
            &mut *tx,
            "SELECT \
               count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS pending, \
               count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent, \
               count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed, \
               coalesce(sum(attempts) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL), 0)::bigint \
                 AS pending_attempts \
             FROM mail_outbox",
            (),
        )
        .await?;
        let counts = decode::outbox_counts(&Cols(&r))?;
        done(tx, counts).await
    }

    async fn list_mails(
        &self,
        state: Option<MailState>,
        page: PageRequest,
    ) -> StoreResult<Page<OutboxEntry>> {
        let mut tx = self.system_tx().await?;
        let sql = outbox_sql::list(state);
        let rows = all(&mut *tx, &sql, (page.after, i64::from(page.limit) + 1)).await?;
        let out = decode::page(rows.iter().map(Cols), page, decode::outbox_entry, |m| m.id)?;
        done(tx, out).await
    }

    async fn get_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>> {
        let mut tx = self.system_tx().await?;
        let row = opt(&mut *tx, &outbox_sql::by_id(), (id,)).await?;
        let out = row
            .as_ref()
            .map(|r| decode::outbox_entry(&Cols(r)))
            .transpose()?;
        done(tx, out).await
    }

    async fn retry_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>> {
        let mut tx = self.system_tx().await?;
        let now = db_now(&mut tx).await?;
        let row = opt(&mut *tx, &outbox_sql::retry(), (now, id)).await?;
        let out = row
            .as_ref()
            .map(|r| decode::outbox_entry(&Cols(r)))
            .transpose()?;
        done(tx, out).await
    }
}
