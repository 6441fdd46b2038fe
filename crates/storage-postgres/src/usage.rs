//! Usage history on PostgreSQL: denials, per-license samples of seats used, their
//! aggregation per bucket, and retention.

use coditect_storage::shared;

use crate::prelude::*;

#[async_trait]
impl UsageStore for PgStore {
    async fn sample_usage(&self, slot_secs: i64, lookback: chrono::Duration) -> StoreResult<u64> {
        // Background work across tenants; queries join on (tenant_id, id).
        let mut tx = self.system_tx().await?;
        let out = sample(&mut tx, slot_secs, lookback).await?;
        done(tx, out).await
    }

    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // Retention for every tenant.
        let mut tx = self.system_tx().await?;
        let out = prune(&mut tx, before).await?;
        done(tx, out).await
    }

    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = buckets(&mut tx, tenant_id, license_id, from, to, bucket_secs).await?;
        done(tx, out).await
    }

    async fn seat_use(&self, q: &SeatUseQuery) -> StoreResult<Vec<LicenseSeatUse>> {
        let mut tx = self.tenant_tx(q.tenant_id).await?;
        let page = (q.tenant_id, q.license_id, q.after, i64::from(q.limit));
        let rows = all(&mut *tx, shared::SEAT_USE_LICENSES, page).await?;
        let licenses: Vec<_> = rows
            .iter()
            .map(|r| decode::license_ref(&Cols(r)))
            .collect::<StoreResult<_>>()?;
        let (Some(first), Some(last)) = (licenses.first(), licenses.last()) else {
            return done(tx, Vec::new()).await;
        };
        let range = (q.tenant_id, first.0, last.0, q.from, q.to);
        let rows = all(&mut *tx, shared::SEAT_USE_SESSIONS, range).await?;
        let sessions: Vec<_> = rows
            .iter()
            .map(|r| decode::session_times(&Cols(r)))
            .collect::<StoreResult<_>>()?;
        let rows = all(&mut *tx, shared::SEAT_USE_DENIALS, range).await?;
        let denials: Vec<_> = rows
            .iter()
            .map(|r| decode::denial(&Cols(r)))
            .collect::<StoreResult<_>>()?;
        done(tx, decode::seat_use(licenses, sessions, denials)).await
    }

    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>> {
        // Staff analytics across tenants.
        let mut tx = self.system_tx().await?;
        let out = tenant_usage(&mut tx, from, to).await?;
        done(tx, out).await
    }

    async fn list_denials(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        page: PageRequest,
    ) -> StoreResult<Page<Denial>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let args = (tenant_id, license_id, page.after, i64::from(page.limit) + 1);
        let rows = all(&mut *tx, shared::DENIALS_PAGE, args).await?;
        let items: Vec<_> = rows
            .iter()
            .map(|r| decode::denial_record(&Cols(r)))
            .collect::<StoreResult<_>>()?;
        done(tx, Page::from_overfetch(items, page.limit, |d| d.id)).await
    }
}

/// Samples every license with recent sessions, across tenants: runs in a system-scoped
/// transaction.
pub(crate) async fn sample(
    conn: &mut PgConnection,
    slot_secs: i64,
    lookback: Duration,
) -> StoreResult<u64> {
    let done = exec(conn, "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS now) \
         INSERT INTO usage_samples (license_id, at, tenant_id, seats_used) \
         SELECT l.id, to_timestamp(floor(extract(epoch FROM t.now)::float8 / $1) * $1), l.tenant_id, \
           (SELECT count(*) FROM sessions s WHERE s.tenant_id = l.tenant_id \
              AND s.license_id = l.id AND s.status = 'active' AND s.expires_at > t.now) \
         FROM licenses l CROSS JOIN t WHERE (l.tenant_id, l.id) IN \
           (SELECT tenant_id, license_id FROM sessions, t t2 \
             WHERE (status = 'active' AND expires_at > t2.now - $2) OR ended_at >= t2.now - $2) \
         ON CONFLICT (license_id, at) DO NOTHING", (slot_secs.max(1) as f64, lookback)).await?;
    Ok(done)
}

/// Deletes expired history and one-time rows of every tenant: runs in a system-scoped
/// transaction.
pub(crate) async fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> StoreResult<u64> {
    let statements = [
        "DELETE FROM usage_samples WHERE at < $1",
        "DELETE FROM usage_denials WHERE at < $1",
        "DELETE FROM web_sessions WHERE $1 IS NOT NULL AND (idle_expires_at < clock_timestamp() \
           OR absolute_expires_at < clock_timestamp())",
        "DELETE FROM password_resets WHERE $1 IS NOT NULL \
           AND expires_at < clock_timestamp() - interval '1 day'",
        "DELETE FROM invitations WHERE $1 IS NOT NULL AND accepted_at IS NULL \
           AND expires_at < clock_timestamp() - interval '30 days'",
        "DELETE FROM mail_outbox WHERE $1 IS NOT NULL \
           AND sent_at < clock_timestamp() - interval '30 days'",
    ];
    let mut total = 0;
    for sql in statements
        .into_iter()
        .chain(coditect_storage::shared::events::PRUNE_OUTGOING)
    {
        total += exec(&mut *conn, sql, (before,)).await?;
    }
    Ok(total)
}

/// One tenant's usage and denials per bucket: runs in the tenant's transaction.
pub(crate) async fn buckets(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    license_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
    let b = bucket_secs.max(1) as f64;
    let rows = all(
        &mut *conn,
        "SELECT to_timestamp(floor(extract(epoch FROM at)::float8 / $5) * $5) AS bucket, \
           sum(total)::bigint AS sum, max(total)::bigint AS peak, count(*) AS slots \
         FROM (SELECT at, sum(seats_used) AS total FROM usage_samples \
               WHERE tenant_id = $1 AND ($2::uuid IS NULL OR license_id = $2) \
                 AND at >= $3 AND at < $4 GROUP BY at) per_slot \
         GROUP BY bucket ORDER BY bucket",
        (tenant_id, license_id, from, to, b),
    )
    .await?;
    let usage = rows
        .iter()
        .map(|r| decode::bucket_usage(&Cols(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    let rows = all(&mut *conn, "SELECT to_timestamp(floor(extract(epoch FROM at)::float8 / $5) * $5) AS bucket, count(*) AS n \
         FROM usage_denials WHERE tenant_id = $1 AND ($2::uuid IS NULL OR license_id = $2) \
           AND at >= $3 AND at < $4 GROUP BY bucket ORDER BY bucket", (tenant_id, license_id, from, to, b)).await?;
    let denials = rows
        .iter()
        .map(|r| decode::bucket_denials(&Cols(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((usage, denials))
}

/// Usage of every tenant, for staff: runs in a system-scoped transaction.
pub(crate) async fn tenant_usage(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<TenantUsage>> {
    let rows = all(
        conn,
        "SELECT t.id, t.name, \
           coalesce(u.peak, 0)::bigint AS peak, coalesce(u.sum, 0)::bigint AS sum, \
           coalesce(u.slots, 0)::bigint AS slots, \
           (SELECT count(*) FROM usage_denials d WHERE d.tenant_id = t.id AND d.at >= $1 \
              AND d.at < $2) AS denials, \
           (SELECT count(*) FROM licenses l WHERE l.tenant_id = t.id) AS licenses, \
           (SELECT count(*) FROM sessions s WHERE s.tenant_id = t.id AND s.status = 'active' \
              AND s.expires_at > clock_timestamp()) AS live_sessions \
         FROM tenants t LEFT JOIN ( \
           SELECT tenant_id, max(total) AS peak, sum(total) AS sum, count(*) AS slots FROM \
             (SELECT tenant_id, at, sum(seats_used) AS total FROM usage_samples \
              WHERE at >= $1 AND at < $2 GROUP BY tenant_id, at) per_slot GROUP BY tenant_id \
         ) u ON u.tenant_id = t.id ORDER BY t.id",
        (from, to),
    )
    .await?;
    rows.iter()
        .map(|r| decode::tenant_usage(&Cols(r)))
        .collect()
}
