//! The mail outbox on PostgreSQL: mails are queued in the transaction that makes them and
//! claimed with `SKIP LOCKED`, so several server processes send each mail once per lease.

use crate::prelude::*;

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_mails(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<OutboxMail>> {
        // Background work across tenants (the outbox has no tenant rows).
        let mut tx = self.system_tx().await?;
        let out = claim(&mut tx, limit, lease).await?;
        done(tx, out).await
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = sent(&mut tx, id).await?;
        done(tx, out).await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<chrono::Duration>,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = failed(&mut tx, id, error, retry_in).await?;
        done(tx, out).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let mut tx = self.system_tx().await?;
        let out = counts(&mut tx).await?;
        done(tx, out).await
    }
}

/// Queues a mail inside the caller's transaction, due at once.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    m: &NewMail,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, kind, recipient, subject, body_sealed, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(m.kind)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body_sealed)
    .bind(now)
    .execute(conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn claim(
    conn: &mut PgConnection,
    limit: u32,
    lease: Duration,
) -> StoreResult<Vec<OutboxMail>> {
    let rows = sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = clock_timestamp() + $1 WHERE id IN ( \
           SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= clock_timestamp() \
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *",
    )
    .bind(lease)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
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

pub(crate) async fn sent(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET sent_at = clock_timestamp(), body_sealed = '', last_error = NULL \
         WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_in: Option<Duration>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, \
           next_attempt_at = clock_timestamp() + coalesce($1, interval '0'), \
           failed_at = CASE WHEN $1 IS NULL THEN clock_timestamp() END, last_error = $2 \
         WHERE id = $3",
    )
    .bind(retry_in)
    .bind(error)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) async fn counts(conn: &mut PgConnection) -> StoreResult<OutboxCounts> {
    let r = sqlx::query(
        "SELECT \
           count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL) AS pending, \
           count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent, \
           count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed, \
           coalesce(sum(attempts) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL), 0)::bigint \
             AS pending_attempts \
         FROM mail_outbox",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(err)?;
    Ok(OutboxCounts {
        pending: r.try_get("pending").map_err(err)?,
        sent: r.try_get("sent").map_err(err)?,
        failed: r.try_get("failed").map_err(err)?,
        pending_attempts: r.try_get("pending_attempts").map_err(err)?,
    })
}
