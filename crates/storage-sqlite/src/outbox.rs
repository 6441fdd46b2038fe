//! The mail outbox on SQLite: mails are queued in the transaction that makes them
//! (an invitation, a reset) and leave only when a mail server accepted them.

use crate::prelude::*;

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_mails(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<OutboxMail>> {
        let mut tx = self.write_tx().await?;
        let out = claim(&mut tx, limit, lease).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        sent(&mut **self.write_conn().await?, id).await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<chrono::Duration>,
    ) -> StoreResult<()> {
        failed(&mut **self.write_conn().await?, id, error, retry_in).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        counts(&self.reader).await
    }
}

/// Queues a mail inside the caller's transaction, due at once.
pub(crate) async fn enqueue(conn: &mut SqliteConnection, m: &NewMail, now: i64) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO mail_outbox (id, kind, recipient, subject, body_sealed, created_at, \
         next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            Uuid::now_v7(),
            m.kind,
            &m.recipient,
            &m.subject,
            &m.body_sealed,
            now,
            now,
        ),
    )
    .await?;
    Ok(())
}

pub(crate) async fn claim(
    conn: &mut SqliteConnection,
    limit: u32,
    lease: Duration,
) -> StoreResult<Vec<OutboxMail>> {
    let now = now_micros();
    let rows = all(
        conn,
        "UPDATE mail_outbox SET next_attempt_at = ?1 + ?2 WHERE id IN (SELECT id FROM mail_outbox \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?1 \
         ORDER BY next_attempt_at LIMIT ?3) RETURNING *",
        (
            now,
            lease.num_microseconds().unwrap_or(60_000_000),
            i64::from(limit),
        ),
    )
    .await?;
    rows.iter().map(|r| decode::outbox_mail(&Cols(r))).collect()
}

pub(crate) async fn sent(conn: &mut SqliteConnection, id: Uuid) -> StoreResult<()> {
    exec(
        conn,
        "UPDATE mail_outbox SET sent_at = ?, body_sealed = '', last_error = NULL WHERE id = ?",
        (now_micros(), id),
    )
    .await?;
    Ok(())
}

pub(crate) async fn failed(
    conn: &mut SqliteConnection,
    id: Uuid,
    error: &str,
    retry_in: Option<Duration>,
) -> StoreResult<()> {
    let now = now_micros();
    let (next, failed_at) = match retry_in {
        Some(d) => (now + d.num_microseconds().unwrap_or(0), None),
        None => (now, Some(now)),
    };
    exec(
        conn,
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, failed_at = ?, \
         last_error = ? WHERE id = ?",
        (next, failed_at, error, id),
    )
    .await?;
    Ok(())
}

pub(crate) async fn counts(pool: &SqlitePool) -> StoreResult<OutboxCounts> {
    let r = one(
        pool,
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
