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
    sqlx::query(
        "INSERT INTO mail_outbox (id, kind, recipient, subject, body_sealed, created_at, \
         next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(Uuid::now_v7())
    .bind(m.kind)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body_sealed)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn claim(
    conn: &mut SqliteConnection,
    limit: u32,
    lease: Duration,
) -> StoreResult<Vec<OutboxMail>> {
    let now = now_micros();
    let rows = sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = ?1 + ?2 WHERE id IN (SELECT id FROM mail_outbox \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?1 \
         ORDER BY next_attempt_at LIMIT ?3) RETURNING *",
    )
    .bind(now)
    .bind(lease.num_microseconds().unwrap_or(60_000_000))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(err)?;
    rows.iter()
        .map(|r| {
            Ok(OutboxMail {
                id: r.try_get("id").map_err(err)?,
                kind: r.try_get("kind").map_err(err)?,
                recipient: r.try_get("recipient").map_err(err)?,
                subject: r.try_get("subject").map_err(err)?,
                body_sealed: r.try_get("body_sealed").map_err(err)?,
                attempts: r.try_get("attempts").map_err(err)?,
            })
        })
        .collect()
}

pub(crate) async fn sent(conn: &mut SqliteConnection, id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET sent_at = ?, body_sealed = '', last_error = NULL WHERE id = ?",
    )
    .bind(now_micros())
    .bind(id)
    .execute(conn)
    .await
    .map_err(err)?;
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
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, failed_at = ?, \
         last_error = ? WHERE id = ?",
    )
    .bind(next)
    .bind(failed_at)
    .bind(error)
    .bind(id)
    .execute(conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn counts(pool: &SqlitePool) -> StoreResult<OutboxCounts> {
    let r = sqlx::query(
        "SELECT \
           coalesce(sum(sent_at IS NULL AND failed_at IS NULL), 0) AS pending, \
           coalesce(sum(sent_at IS NOT NULL), 0) AS sent, \
           coalesce(sum(failed_at IS NOT NULL), 0) AS failed, \
           coalesce(sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN attempts END), 0) \
             AS pending_attempts \
         FROM mail_outbox",
    )
    .fetch_one(pool)
    .await
    .map_err(err)?;
    Ok(OutboxCounts {
        pending: r.try_get("pending").map_err(err)?,
        sent: r.try_get("sent").map_err(err)?,
        failed: r.try_get("failed").map_err(err)?,
        pending_attempts: r.try_get("pending_attempts").map_err(err)?,
    })
}
