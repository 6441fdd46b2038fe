//! Licenses on SQLite: created, listed (filtered, paged), changed, suspended in bulk,
//! and found by key for the client paths (through the hot readers, see `readers.rs`).

use crate::prelude::*;

#[async_trait]
impl LicenseStore for SqliteStore {
    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage> {
        let mut tx = self.write_tx().await?;
        let out = create_license(&mut tx, l, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>> {
        list_licenses(&self.reader, tenant_id, filter, page).await
    }

    async fn get_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        get_license(&self.reader, tenant_id, id).await
    }

    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.write_tx().await?;
        let out = update_license(&mut tx, tenant_id, id, patch, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = set_licenses_active(&mut tx, tenant_id, ids, is_active, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        self.hot.license_by_key(key_hash)
    }

    async fn reissue_license_key(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        key: NewLicenseKey,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.write_tx().await?;
        let out = reissue_license_key(&mut tx, tenant_id, id, key, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn retired_license_key(
        &self,
        key_hash: &str,
        session_id: Uuid,
    ) -> StoreResult<Option<RetiredKey>> {
        let row = opt(
            &self.reader,
            "SELECT r.tenant_id, r.license_id, r.retired_at, l.key_hash \
             FROM retired_license_keys r JOIN licenses l ON l.id = r.license_id \
             JOIN sessions s ON s.license_id = r.license_id AND s.id = ?2 \
             AND s.created_at < r.retired_at WHERE r.key_hash = ?1",
            (key_hash, session_id),
        )
        .await?;
        row.map(|r| {
            Ok(RetiredKey {
                tenant_id: r.try_get("tenant_id").map_err(err)?,
                license_id: r.try_get("license_id").map_err(err)?,
                current_key_hash: r.try_get("key_hash").map_err(err)?,
                retired_at: time(r.try_get("retired_at").map_err(err)?),
            })
        })
        .transpose()
    }
}

/// Retires the license's key and stores the new one, audited, in the caller's transaction.
pub(crate) async fn reissue_license_key(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    id: Uuid,
    key: NewLicenseKey,
    actor: &Actor,
) -> StoreResult<Option<LicenseWithUsage>> {
    let Some(before) = license_by_id(&mut *conn, tenant_id, id).await? else {
        return Ok(None);
    };
    let now = now_micros();
    exec(
        &mut *conn,
        "INSERT INTO retired_license_keys (key_hash, tenant_id, license_id, retired_at) \
         SELECT key_hash, tenant_id, id, ? FROM licenses WHERE id = ?",
        (now, id),
    )
    .await?;
    sqlx::query(
        "UPDATE licenses SET key_sealed = ?, key_hash = ?, key_hint = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&key.sealed)
    .bind(&key.hash)
    .bind(&key.hint)
    .bind(now)
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

/// Columns of a license plus its live-session count at `?1` (now, in microseconds).
pub(crate) const LICENSE_SELECT: &str = "SELECT l.*, (SELECT count(*) FROM sessions s \
     WHERE s.license_id = l.id AND s.status = 'active' AND s.expires_at > ?1) AS seats_used \
     FROM licenses l";

pub(crate) fn license_with_usage(r: &SqliteRow, now: i64) -> StoreResult<LicenseWithUsage> {
    use sqlx::Row;
    Ok(LicenseWithUsage {
        license: decode::license(&Cols(r))?,
        seats_used: r.try_get("seats_used").map_err(err)?,
        now: time(now),
    })
}

pub(crate) async fn create_license(
    conn: &mut SqliteConnection,
    l: NewLicense,
    actor: &Actor,
) -> StoreResult<LicenseWithUsage> {
    let now = now_micros();
    let row = sqlx::query(
        "INSERT INTO licenses (id, tenant_id, name, key_sealed, key_hash, key_hint, seats_total, \
         expires_at, heartbeat_ttl_seconds, entitlements, metadata, is_active, created_at, updated_at, \
         max_borrow_hours, product_id, subscription_id, subscription) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *, 0 AS seats_used",
    )
    .bind(Uuid::now_v7())
    .bind(l.tenant_id)
    .bind(&l.name)
    .bind(&l.key_sealed)
    .bind(&l.key_hash)
    .bind(&l.key_hint)
    .bind(l.seats_total)
    .bind(l.expires_at.map(|t| t.timestamp_micros()))
    .bind(l.heartbeat_ttl_seconds)
    .bind(to_json(&l.entitlements))
    .bind(to_json(&l.metadata))
    .bind(l.is_active)
    .bind(now)
    .bind(now)
    .bind(l.max_borrow_hours)
    .bind(l.product_id)
    .bind(l.subscription.as_ref().map(|s| s.id.clone()))
    .bind(l.subscription.as_ref().map(to_json))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, ConflictField::LicenseKey))?;
    let out = license_with_usage(&row, now)?;
    let entry = NewAuditEntry::license_created(actor, &out.license);
    insert_audit(conn, &entry, now).await?;
    Ok(out)
}

/// One license of a tenant, read through any executor (pool or open transaction).
pub(crate) async fn license_by_id(
    conn: impl sqlx::SqliteExecutor<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LicenseWithUsage>> {
    let now = now_micros();
    let sql = format!("{LICENSE_SELECT} WHERE l.id = ?2 AND l.tenant_id = ?3");
    let row = opt(conn, &sql, (now, id, tenant_id)).await?;
    row.as_ref().map(|r| license_with_usage(r, now)).transpose()
}

pub(crate) async fn get_license(
    pool: &SqlitePool,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LicenseWithUsage>> {
    license_by_id(pool, tenant_id, id).await
}

pub(crate) async fn update_license(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    id: Uuid,
    patch: &LicensePatch,
    actor: &Actor,
) -> StoreResult<Option<LicenseWithUsage>> {
    let current = license_by_id(&mut *conn, tenant_id, id).await?;
    let Some(current) = current else {
        return Ok(None);
    };
    let before = current.license.clone();
    let mut after = before.clone();
    let now = now_micros();
    if !after.apply(patch, time(now)) {
        return Ok(Some(current));
    }
    exec(&mut *conn, "UPDATE licenses SET name = ?, seats_total = ?, expires_at = ?, heartbeat_ttl_seconds = ?, \
         entitlements = ?, metadata = ?, is_active = ?, updated_at = ?, max_borrow_hours = ?, \
         subscription_id = ?, subscription = ?, archived_at = ? \
         WHERE id = ?", (&after.name, after.seats_total, after.expires_at.map(|t| t.timestamp_micros()), after.heartbeat_ttl_seconds, to_json(&after.entitlements), to_json(&after.metadata), after.is_active, now, after.max_borrow_hours, after.subscription.as_ref().map(|s| s.id.clone()), after.subscription.as_ref().map(to_json), after.archived_at.map(|t| t.timestamp_micros()), id)).await?;
    let updated = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("license vanished during update".into()))?;
    let entry = NewAuditEntry::license_updated(actor, &before, &updated.license);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(updated))
}

/// The SQL condition of a state filter; `?1` is now.
pub(crate) fn state_condition(state: Option<LicenseState>) -> &'static str {
    match state {
        None => "1",
        Some(LicenseState::Valid) => {
            "(l.is_active AND (l.expires_at IS NULL OR l.expires_at > ?1))"
        }
        Some(LicenseState::Suspended) => "NOT l.is_active",
        Some(LicenseState::Expired) => {
            "(l.is_active AND l.expires_at IS NOT NULL AND l.expires_at <= ?1)"
        }
    }
}

pub(crate) async fn list_licenses(
    pool: &SqlitePool,
    tenant_id: Uuid,
    filter: &LicenseFilter,
    page: PageRequest,
) -> StoreResult<Page<LicenseWithUsage>> {
    let now = now_micros();
    let sql = format!(
        "{LICENSE_SELECT} WHERE l.tenant_id = ?2 AND (?3 IS NULL OR l.id > ?3) \
         AND (?5 IS NULL OR lower(coalesce(l.name, '')) LIKE ?5 ESCAPE '\\' \
              OR lower(l.key_hint) LIKE ?5 ESCAPE '\\' OR l.key_hash = ?9 \
              OR EXISTS (SELECT 1 FROM json_each(l.metadata) m \
                         WHERE m.type IN ('text', 'integer', 'real') \
                         AND lower(CAST(m.value AS TEXT)) LIKE ?5 ESCAPE '\\') \
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.license_id = l.id AND s.hardware_id = ?10) \
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.license_id = l.id \
                         AND lower(s.user_email) = ?11)) \
         AND (?6 IS NULL OR (l.expires_at IS NOT NULL AND l.expires_at < ?6)) \
         AND (?7 IS NULL OR l.subscription_id = ?7) AND (?8 IS NULL OR l.product_id = ?8) \
         AND {} AND {} ORDER BY l.id LIMIT ?4",
        state_condition(filter.state),
        coditect_storage::sql::archived_condition(filter.archived)
    );
    let rows = all(
        pool,
        &sql,
        (
            now,
            tenant_id,
            page.after,
            i64::from(page.limit) + 1,
            filter.like_pattern(),
            filter.expires_before.map(|t| t.timestamp_micros()),
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
        .map(|r| license_with_usage(r, now))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |l| l.license.id))
}

pub(crate) async fn set_licenses_active(
    conn: &mut SqliteConnection,
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
        let before = license_by_id(&mut *conn, tenant_id, id).await?;
        if before.is_some_and(|b| b.license.is_active != is_active) {
            update_license(conn, tenant_id, id, &patch, actor).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
