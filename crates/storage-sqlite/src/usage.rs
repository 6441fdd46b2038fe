//! Usage history on SQLite: denials, per-license samples of seats used, their
//! aggregation per bucket, and retention.

use coditect_storage::shared;

use crate::prelude::*;

#[async_trait]
impl UsageStore for SqliteStore {
    async fn sample_usage(&self, slot_secs: i64, lookback: chrono::Duration) -> StoreResult<u64> {
        let (slot, rows) = sample_rows(&self.reader, slot_secs, lookback).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write_tx().await?;
        let n = insert_samples(&mut tx, slot, &rows).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = prune(&mut tx, before).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
        buckets(&self.reader, tenant_id, license_id, from, to, bucket_secs).await
    }

    async fn seat_use(&self, q: &SeatUseQuery) -> StoreResult<Vec<LicenseSeatUse>> {
        let page = (q.tenant_id, q.license_id, q.after, i64::from(q.limit));
        let rows = all(&self.reader, shared::SEAT_USE_LICENSES, page).await?;
        let licenses = rows.iter().map(|r| decode::license_ref(&Cols(r)));
        let licenses = licenses.collect::<StoreResult<Vec<_>>>()?;
        let (Some(first), Some(last)) = (licenses.first(), licenses.last()) else {
            return Ok(Vec::new());
        };
        let (from, to) = (q.from.timestamp_micros(), q.to.timestamp_micros());
        let range = (q.tenant_id, first.0, last.0, from, to);
        let rows = all(&self.reader, shared::SEAT_USE_SESSIONS, range).await?;
        let sessions = rows.iter().map(|r| decode::session_times(&Cols(r)));
        let sessions = sessions.collect::<StoreResult<Vec<_>>>()?;
        let rows = all(&self.reader, shared::SEAT_USE_DENIALS, range).await?;
        let denials = rows.iter().map(|r| decode::denial(&Cols(r)));
        let denials = denials.collect::<StoreResult<Vec<_>>>()?;
        Ok(decode::seat_use(licenses, sessions, denials))
    }

    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>> {
        tenant_usage(&self.reader, from, to).await
    }

    async fn list_denials(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        page: PageRequest,
    ) -> StoreResult<Page<Denial>> {
        let args = (tenant_id, license_id, page.after, i64::from(page.limit) + 1);
        let rows = all(&self.reader, shared::DENIALS_PAGE, args).await?;
        let items = rows.iter().map(|r| decode::denial_record(&Cols(r)));
        let items = items.collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |d| d.id))
    }
}

/// One license's seats in use at a sampling slot.
pub(crate) struct SampleRow {
    license_id: Uuid,
    tenant_id: Uuid,
    seats_used: i64,
}

/// Counts the seats in use of every license with recent sessions, on a reader.
///
/// Why a reader: with a million sessions this scan takes a noticeable fraction of a
/// second; inside a write transaction it held the write lock (and so every seat
/// operation) that long once a minute. The count comes from one snapshot; only the
/// insert of the results needs the writer (`insert_samples`).
pub(crate) async fn sample_rows(
    reader: &SqlitePool,
    slot_secs: i64,
    lookback: Duration,
) -> StoreResult<(i64, Vec<SampleRow>)> {
    let now = now_micros();
    let slot_us = slot_secs.max(1) * 1_000_000;
    let slot = now.div_euclid(slot_us) * slot_us;
    let since = now - lookback.num_microseconds().unwrap_or(0);
    let rows = all(
        reader,
        "SELECT l.id, l.tenant_id, (SELECT count(*) FROM sessions s WHERE s.license_id = l.id \
             AND s.status = 'active' AND s.expires_at > ?1) AS seats_used \
         FROM licenses l WHERE l.id IN (SELECT DISTINCT license_id FROM sessions \
             WHERE (status = 'active' AND expires_at > ?2) OR ended_at >= ?2)",
        (now, since),
    )
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(SampleRow {
                license_id: r.try_get("id").map_err(err)?,
                tenant_id: r.try_get("tenant_id").map_err(err)?,
                seats_used: r.try_get("seats_used").map_err(err)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((slot, rows))
}

/// Writes the samples of one slot (a slot sampled twice keeps its first sample).
pub(crate) async fn insert_samples(
    conn: &mut SqliteConnection,
    slot: i64,
    rows: &[SampleRow],
) -> StoreResult<u64> {
    let mut total = 0;
    for chunk in rows.chunks(500) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO usage_samples (license_id, at, tenant_id, seats_used) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.license_id)
                .push_bind(slot)
                .push_bind(r.tenant_id)
                .push_bind(r.seats_used);
        });
        q.push(" ON CONFLICT (license_id, at) DO NOTHING");
        total += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(err)?
            .rows_affected();
    }
    Ok(total)
}

pub(crate) async fn prune(conn: &mut SqliteConnection, before: DateTime<Utc>) -> StoreResult<u64> {
    let before = before.timestamp_micros();
    let now = now_micros();
    let day = 86_400_000_000i64;
    let statements: [(&str, i64); 6] = [
        ("DELETE FROM usage_samples WHERE at < ?", before),
        ("DELETE FROM usage_denials WHERE at < ?", before),
        (
            "DELETE FROM web_sessions WHERE idle_expires_at < ?1 OR absolute_expires_at < ?1",
            now,
        ),
        (
            "DELETE FROM password_resets WHERE expires_at < ?",
            now - day,
        ),
        (
            "DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < ?",
            now - 30 * day,
        ),
        ("DELETE FROM mail_outbox WHERE sent_at < ?", now - 30 * day),
    ];
    let mut total = 0;
    for (sql, t) in statements {
        total += exec(&mut *conn, sql, (t,)).await?;
    }
    for sql in coditect_storage::shared::events::PRUNE_OUTGOING {
        total += exec(&mut *conn, sql, (before,)).await?;
    }
    Ok(total)
}

pub(crate) async fn buckets(
    pool: &SqlitePool,
    tenant_id: Uuid,
    license_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
    let b = bucket_secs.max(1) * 1_000_000;
    let rows = all(pool, "SELECT (at / ?5) * ?5 AS bucket, sum(total) AS sum, max(total) AS peak, count(*) AS slots \
         FROM (SELECT at, sum(seats_used) AS total FROM usage_samples \
               WHERE tenant_id = ?1 AND (?2 IS NULL OR license_id = ?2) AND at >= ?3 AND at < ?4 \
               GROUP BY at) \
         GROUP BY bucket ORDER BY bucket", (tenant_id, license_id, from.timestamp_micros(), to.timestamp_micros(), b)).await?;
    let usage = rows
        .iter()
        .map(|r| decode::bucket_usage(&Cols(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    let rows = all(
        pool,
        "SELECT (at / ?5) * ?5 AS bucket, count(*) AS n FROM usage_denials \
         WHERE tenant_id = ?1 AND (?2 IS NULL OR license_id = ?2) AND at >= ?3 AND at < ?4 \
         GROUP BY bucket ORDER BY bucket",
        (
            tenant_id,
            license_id,
            from.timestamp_micros(),
            to.timestamp_micros(),
            b,
        ),
    )
    .await?;
    let denials = rows
        .iter()
        .map(|r| decode::bucket_denials(&Cols(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((usage, denials))
}

pub(crate) async fn tenant_usage(
    pool: &SqlitePool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<TenantUsage>> {
    let rows = all(pool, "SELECT t.id, t.name, \
           coalesce(u.peak, 0) AS peak, coalesce(u.sum, 0) AS sum, coalesce(u.slots, 0) AS slots, \
           (SELECT count(*) FROM usage_denials d WHERE d.tenant_id = t.id AND d.at >= ?1 AND d.at < ?2) \
             AS denials, \
           (SELECT count(*) FROM licenses l WHERE l.tenant_id = t.id) AS licenses, \
           (SELECT count(*) FROM sessions s WHERE s.tenant_id = t.id AND s.status = 'active' \
             AND s.expires_at > ?3) AS live_sessions \
         FROM tenants t LEFT JOIN ( \
           SELECT tenant_id, max(total) AS peak, sum(total) AS sum, count(*) AS slots FROM \
             (SELECT tenant_id, at, sum(seats_used) AS total FROM usage_samples \
              WHERE at >= ?1 AND at < ?2 GROUP BY tenant_id, at) GROUP BY tenant_id \
         ) u ON u.tenant_id = t.id ORDER BY t.id", (from.timestamp_micros(), to.timestamp_micros(), now_micros())).await?;
    rows.iter()
        .map(|r| decode::tenant_usage(&Cols(r)))
        .collect()
}
