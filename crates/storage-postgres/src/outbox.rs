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
    exec(
        conn,
        "INSERT INTO mail_outbox (id, kind, recipient, subject, body_sealed, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        (
            Uuid::now_v7(),
            m.kind,
            &m.recipient,
            &m.subject,
            &m.body_sealed,
            now,
        ),
    )
    .await?;
    Ok(())
}

pub(crate) async fn claim(
    conn: &mut PgConnection,
    limit: u32,
    lease: Duration,
) -> StoreResult<Vec<OutboxMail>> {
    let rows = all(
        &mut *conn,
        "UPDATE mail_outbox SET next_attempt_at = clock_timestamp() + $1 WHERE id IN ( \
           SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= clock_timestamp() \
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *",
        (lease, i64::from(limit)),
    )
    .await?;
    rows.iter().map(|r| decode::outbox_mail(&Cols(r))).collect()
}

pub(crate) async fn sent(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    exec(
        &mut *conn,
        "UPDATE mail_outbox SET sent_at = clock_timestamp(), body_sealed = '', last_error = NULL \
         WHERE id = $1",
        (id,),
    )
    .await?;
    Ok(())
}

pub(crate) async fn failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_in: Option<Duration>,
) -> StoreResult<()> {
    exec(
        &mut *conn,
        "UPDATE mail_outbox SET attempts = attempts + 1, \
           next_attempt_at = clock_timestamp() + coalesce($1, interval '0'), \
           failed_at = CASE WHEN $1 IS NULL THEN clock_timestamp() END, last_error = $2 \
         WHERE id = $3",
        (retry_in, error, id),
    )
    .await?;
    Ok(())
}

pub(crate) async fn counts(conn: &mut PgConnection) -> StoreResult<OutboxCounts> {
    let r = one(
        &mut *conn,
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
    decode::outbox_counts(&Cols(&r))
}
