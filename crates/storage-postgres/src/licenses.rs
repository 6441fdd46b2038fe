//! Licenses on PostgreSQL: created, listed (filtered, paged), changed, suspended in bulk,
//! and found by key for the client paths (in `key_tx`, scoped to the key's tenant).

use crate::prelude::*;

#[async_trait]
impl LicenseStore for PgStore {
    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage> {
        let mut tx = self.tenant_tx(l.tenant_id).await?;
        let out = create_license(&mut tx, l, actor).await?;
        done(tx, out).await
    }

    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = list_licenses(&mut tx, tenant_id, filter, page).await?;
        done(tx, out).await
    }

    async fn get_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = license_by_id(&mut *tx, tenant_id, id).await?;
        done(tx, out).await
    }

    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = update_license(&mut tx, tenant_id, id, patch, actor).await?;
        done(tx, out).await
    }

    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let n = set_licenses_active(&mut tx, tenant_id, ids, is_active, actor).await?;
        done(tx, n).await
    }

    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        // One statement (migration 0011's function scopes it to the key's tenant).
        let row = opt(
            &self.pool,
            "SELECT (o.license).*, o.seats_used, o.db_now FROM coditect_license_by_key($1) o",
            (key_hash,),
        )
        .await?;
        row.as_ref().map(license_with_usage).transpose()
    }

    async fn reissue_license_key(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        key: NewLicenseKey,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = reissue_license_key(&mut tx, tenant_id, id, key, actor).await?;
        done(tx, out).await
    }

    async fn retired_license_key(
        &self,
        key_hash: &str,
        session_id: Uuid,
    ) -> StoreResult<Option<RetiredKey>> {
        // Cross-tenant by design (the client paths know only the key): a system-scoped
        // transaction; license_keys is the tenant-agnostic lookup.
        let mut tx = self.system_tx().await?;
        let row = opt(
            &mut *tx,
            "SELECT r.tenant_id, r.license_id, r.retired_at, k.key_hash \
             FROM retired_license_keys r JOIN license_keys k ON k.license_id = r.license_id \
             JOIN sessions s ON s.tenant_id = r.tenant_id AND s.license_id = r.license_id \
             AND s.id = $2 AND s.created_at < r.retired_at WHERE r.key_hash = $1",
            (key_hash, session_id),
        )
        .await?;
        tx.commit().await.map_err(err)?;
        row.map(|r| {
            Ok(RetiredKey {
                tenant_id: r.try_get("tenant_id").map_err(err)?,
                license_id: r.try_get("license_id").map_err(err)?,
                current_key_hash: r.try_get("key_hash").map_err(err)?,
                retired_at: r.try_get("retired_at").map_err(err)?,
            })
        })
        .transpose()
    }
}

/// Retires the license's key and stores the new one under the license row's lock (so a
/// concurrent acquire either ran with the old key before it or finds it retired), audited.
pub(crate) async fn reissue_license_key(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    key: NewLicenseKey,
    actor: &Actor,
) -> StoreResult<Option<LicenseWithUsage>> {
    let Some(before) = locked_license(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    let now = before.now;
    exec(
        &mut *conn,
        "INSERT INTO retired_license_keys (key_hash, tenant_id, license_id, retired_at) \
         SELECT key_hash, tenant_id, id, $3 FROM licenses WHERE tenant_id = $1 AND id = $2",
        (tenant_id, id, now),
    )
    .await?;
    sqlx::query(
        "UPDATE licenses SET key_sealed = $1, key_hash = $2, key_hint = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(&key.sealed)
    .bind(&key.hash)
    .bind(&key.hint)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, ConflictField::LicenseKey))?;
    let after = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("license vanished during reissue".into()))?;
    let entry = NewAuditEntry::license_key_reissued(actor, &before.license, &after.license);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

/// Columns of a license, plus `db_now` (the database clock, read once per statement) and
/// its live-session count at that time. Callers append the `WHERE` clause.
pub(crate) const LICENSE_SELECT: &str =
    "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS db_now) \
     SELECT l.*, t.db_now, (SELECT count(*) FROM sessions s \
         WHERE s.tenant_id = l.tenant_id AND s.license_id = l.id AND s.status = 'active' AND s.expires_at > t.db_now) \
         AS seats_used \
     FROM licenses l CROSS JOIN t";

pub(crate) fn license_with_usage(r: &PgRow) -> StoreResult<LicenseWithUsage> {
    Ok(LicenseWithUsage {
        license: decode::license(&Cols(r))?,
        seats_used: r.try_get("seats_used").map_err(err)?,
        now: r.try_get("db_now").map_err(err)?,
    })
}

/// Creates a license and audits it; `Conflict(ConflictField::LicenseKey)` on a taken key.
pub(crate) async fn create_license(
    conn: &mut PgConnection,
    l: NewLicense,
    actor: &Actor,
) -> StoreResult<LicenseWithUsage> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO licenses (id, tenant_id, name, key_sealed, key_hash, key_hint, seats_total, \
         expires_at, heartbeat_ttl_seconds, entitlements, metadata, is_active, created_at, \
         updated_at, max_borrow_hours, product_id, subscription_id, subscription) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17) \
         RETURNING *, 0::bigint AS seats_used, $13 AS db_now",
    )
    .bind(Uuid::now_v7())
    .bind(l.tenant_id)
    .bind(&l.name)
    .bind(&l.key_sealed)
    .bind(&l.key_hash)
    .bind(&l.key_hint)
    .bind(l.seats_total)
    .bind(l.expires_at)
    .bind(l.heartbeat_ttl_seconds)
    .bind(Json(&l.entitlements))
    .bind(Json(&l.metadata))
    .bind(l.is_active)
    .bind(now)
    .bind(l.max_borrow_hours)
    .bind(l.product_id)
    .bind(l.subscription.as_ref().map(|s| s.id.clone()))
    .bind(l.subscription.as_ref().map(Json))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, ConflictField::LicenseKey))?;
    let out = license_with_usage(&row)?;
    let entry = NewAuditEntry::license_created(actor, &out.license);
    insert_audit(conn, &entry, now).await?;
    Ok(out)
}

/// One license of a tenant with usage, read through any executor (pool or transaction).
pub(crate) async fn license_by_id(
    conn: impl PgExecutor<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LicenseWithUsage>> {
    let sql = format!("{LICENSE_SELECT} WHERE l.id = $1 AND l.tenant_id = $2");
    let row = opt(conn, &sql, (id, tenant_id)).await?;
    row.as_ref().map(license_with_usage).transpose()
}

/// Locks the tenant's license row (`FOR UPDATE`, so the change that follows is serialized
/// with acquires and other changes) and reads it; `None` when the tenant has no such license.
async fn locked_license(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LicenseWithUsage>> {
    let locked = opt(
        &mut *conn,
        "SELECT id FROM licenses WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
        (id, tenant_id),
    )
    .await?;
    if locked.is_none() {
        return Ok(None);
    }
    let current = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("locked license vanished".into()))?;
    Ok(Some(current))
}

/// Applies a patch under the license row's lock (so it is serialized with acquires and
/// with other updates) and audits it when something changed.
pub(crate) async fn update_license(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    patch: &LicensePatch,
    actor: &Actor,
) -> StoreResult<Option<LicenseWithUsage>> {
    let Some(current) = locked_license(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    let before = current.license.clone();
    let mut after = before.clone();
    let now = current.now;
    if !after.apply(patch, now) {
        return Ok(Some(current));
    }
    exec(
        &mut *conn,
        "UPDATE licenses SET name = $1, seats_total = $2, expires_at = $3, \
         heartbeat_ttl_seconds = $4, entitlements = $5, metadata = $6, is_active = $7, \
         updated_at = $8, max_borrow_hours = $10, subscription_id = $12, subscription = $13, \
         archived_at = $14 WHERE tenant_id = $11 AND id = $9",
        (
            &after.name,
            after.seats_total,
            after.expires_at,
            after.heartbeat_ttl_seconds,
            Json(&after.entitlements),
            Json(&after.metadata),
            after.is_active,
            now,
            id,
            after.max_borrow_hours,
            tenant_id,
            after.subscription.as_ref().map(|s| s.id.clone()),
            after.subscription.as_ref().map(Json),
            after.archived_at,
        ),
    )
    .await?;
    let updated = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("license vanished during update".into()))?;
    let entry = NewAuditEntry::license_updated(actor, &before, &updated.license);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(updated))
}

/// The SQL condition of a state filter, against the select's `t.db_now`.
fn state_condition(state: Option<LicenseState>) -> &'static str {
    match state {
        None => "TRUE",
        Some(LicenseState::Valid) => {
            "(l.is_active AND (l.expires_at IS NULL OR l.expires_at > t.db_now))"
        }
        Some(LicenseState::Suspended) => "NOT l.is_active",
        Some(LicenseState::Expired) => {
            "(l.is_active AND l.expires_at IS NOT NULL AND l.expires_at <= t.db_now)"
        }
    }
}

/// A tenant's licenses matching a filter, in id order: runs in the tenant's transaction.
pub(crate) async fn list_licenses(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    filter: &LicenseFilter,
    page: PageRequest,
) -> StoreResult<Page<LicenseWithUsage>> {
    let sql = format!(
        "{LICENSE_SELECT} WHERE l.tenant_id = $1 AND ($2::uuid IS NULL OR l.id > $2) \
         AND ($4::text IS NULL OR lower(coalesce(l.name, '')) LIKE $4 ESCAPE '\\' \
              OR lower(l.key_hint) LIKE $4 ESCAPE '\\' OR l.key_hash = $8 \
              OR EXISTS (SELECT 1 FROM jsonb_each(l.metadata) m \
                         WHERE jsonb_typeof(m.value) IN ('string', 'number') \
                         AND lower(m.value #>> '{{}}') LIKE $4 ESCAPE '\\') \
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.tenant_id = l.tenant_id \
                         AND s.license_id = l.id AND s.hardware_id = $9) \
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.tenant_id = l.tenant_id \
                         AND s.license_id = l.id AND translate(s.user_email, \
                         'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = $10)) \
         AND ($5::timestamptz IS NULL OR (l.expires_at IS NOT NULL AND l.expires_at < $5)) \
         AND ($6::text IS NULL OR l.subscription_id = $6) AND ($7::uuid IS NULL OR l.product_id = $7) \
         AND {} AND {} ORDER BY l.id LIMIT $3",
        state_condition(filter.state),
        coditect_storage::sql::archived_condition(filter.archived)
    );
    let rows = all(
        conn,
        &sql,
        (
            tenant_id,
            page.after,
            i64::from(page.limit) + 1,
            filter.like_pattern(),
            filter.expires_before,
            filter.subscription_id.as_deref(),
            filter.product_id,
            filter.key_hash.as_deref(),
            filter.q.as_deref(),
            filter.lower_text(),
        ),
    )
    .await?;
    let items = rows
        .iter()
        .map(license_with_usage)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |l| l.license.id))
}

/// Updates each license under its row lock, in id order so two bulk changes cannot
/// deadlock each other.
pub(crate) async fn set_licenses_active(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    ids: &[Uuid],
    is_active: bool,
    actor: &Actor,
) -> StoreResult<u64> {
    let patch = LicensePatch {
        is_active: Some(is_active),
        ..LicensePatch::default()
    };
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut changed = 0;
    for id in ids {
        exec(
            &mut *conn,
            "SELECT 1 FROM licenses WHERE tenant_id = $2 AND id = $1 FOR UPDATE",
            (id, tenant_id),
        )
        .await?;
        let before = license_by_id(&mut *conn, tenant_id, id).await?;
        if before.is_some_and(|b| b.license.is_active != is_active) {
            update_license(conn, tenant_id, id, &patch, actor).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
