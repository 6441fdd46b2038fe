//! The mail outbox on SQLite: mails are queued in the transaction that makes them
//! (an invitation, a reset) and leave only when a mail server accepted them.

use coditect_storage::shared::outbox as outbox_sql;

use crate::prelude::*;

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_mails(&self, limit: u32, lease: Duration) -> StoreResult<Vec<OutboxMail>> {
        let now = now_micros();
        let lease = lease.num_microseconds().unwrap_or(60_000_000);
        let sql = "UPDATE mail_outbox SET next_attempt_at = ?1 + ?2 WHERE id IN (SELECT id \
                   FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
                   AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?3) RETURNING *";
        let rows = all(
            &mut **self.write_conn().await?,
            sql,
            (now, lease, i64::from(limit)),
        )
        .await?;
        rows.iter().map(|r| decode::outbox_mail(&Cols(r))).collect()
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        let sql =
            "UPDATE mail_outbox SET sent_at = ?, body_sealed = '', last_error = NULL WHERE id = ?";
        exec(&mut **self.write_conn().await?, sql, (now_micros(), id))
            .await
            .map(drop)
    }

    async fn mail_failed(&self, id: Uuid, error: &str, retry: Option<Duration>) -> StoreResult<()> {
        let now = now_micros();
        let (next, failed_at) = match retry {
            Some(d) => (now + d.num_microseconds().unwrap_or(0), None),
            None => (now, Some(now)),
        };
        let sql = "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, \
                   failed_at = ?, last_error = ? WHERE id = ?";
        let args = (next, failed_at, error, id);
        exec(&mut **self.write_conn().await?, sql, args)
            .await
            .map(drop)
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let r = one(
            &self.reader,
            "SELECT \
               coalesce(sum(sent_at IS NULL AND failed_at IS NULL), 0) AS pending, \
               coalesce(sum(sent_at IS NOT NULL), 0) AS sent, \
               coalesce(sum(failed_at IS NOT NULL), 0) AS failed, \
               coalesce(sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN attempts END), 0) \
                 AS pending_attempts \
             FROM mail_outbox",
            (),
        )
        .await?;
        decode::outbox_counts(&Cols(&r))
    }

    async fn list_mails(
        &self,
        state: Option<MailState>,
        page: PageRequest,
    ) -> StoreResult<Page<OutboxEntry>> {
        let sql = outbox_sql::list(state);
        let rows = all(&self.reader, &sql, (page.after, i64::from(page.limit) + 1)).await?;
        decode::page(rows.iter().map(Cols), page, decode::outbox_entry, |m| m.id)
    }

    async fn get_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>> {
        let row = opt(&self.reader, &outbox_sql::by_id(), (id,)).await?;
        row.as_ref()
            .map(|r| decode::outbox_entry(&Cols(r)))
            .transpose()
    }

    async fn retry_mail(&self, id: Uuid) -> StoreResult<Option<OutboxEntry>> {
        let sql = outbox_sql::retry();
        let row = opt(&mut **self.write_conn().await?, &sql, (now_micros(), id)).await?;
        row.as_ref()
            .map(|r| decode::outbox_entry(&Cols(r)))
            .transpose()
    }
}
