//! Tenants, tokens, licenses and the audit log on SQLite.

use coditect_domain::{
    Actor, ApiToken, AuditAction, AuditEntry, LicensePatch, NewAuditEntry, NewLicense, NewTenant,
    Page, PageRequest, Tenant,
};
use coditect_storage::{LicenseWithUsage, NewApiToken, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::rows::{self, to_json};
use crate::{err, now_micros};

/// Columns of a license plus its live-session count at `?1` (now, in microseconds).
pub(crate) const LICENSE_SELECT: &str = "SELECT l.*, (SELECT count(*) FROM sessions s \
     WHERE s.license_id = l.id AND s.status = 'active' AND s.expires_at > ?1) AS seats_used \
     FROM licenses l";

fn unique_to_conflict(e: sqlx::Error, field: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(field),
        _ => err(e),
    }
}

/// The audit insert, shared with the seat writer's rusqlite code.
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, tenant_id, at, actor_type, \
     actor_id, actor_name, action, resource, resource_id, before, after) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Writes one audit entry inside the caller's transaction.
pub(crate) async fn insert_audit(
    conn: &mut SqliteConnection,
    e: &NewAuditEntry,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(INSERT_AUDIT)
        .bind(Uuid::now_v7())
        .bind(e.tenant_id)
        .bind(at)
        .bind(e.actor.actor_type.as_str())
        .bind(e.actor.id)
        .bind(e.actor.name.as_deref())
        .bind(e.action.as_str())
        .bind(e.action.resource())
        .bind(e.resource_id)
        .bind(e.before.as_ref().map(to_json))
        .bind(e.after.as_ref().map(to_json))
        .execute(conn)
        .await
        .map_err(err)?;
    Ok(())
}

pub(crate) fn license_with_usage(r: &SqliteRow, now: i64) -> StoreResult<LicenseWithUsage> {
    use sqlx::Row;
    Ok(LicenseWithUsage {
        license: rows::license(r)?,
        seats_used: r.try_get("seats_used").map_err(err)?,
        now: rows::time(now),
    })
}

pub(crate) async fn create_tenant(
    conn: &mut SqliteConnection,
    t: NewTenant,
    actor: &Actor,
) -> StoreResult<Tenant> {
    let now = now_micros();
    let row = sqlx::query(
        "INSERT INTO tenants (id, name, slug, created_at) VALUES (?, ?, ?, ?) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(t.name.as_str())
    .bind(t.slug.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, "slug"))?;
    let tenant = rows::tenant(&row)?;
    let entry = NewAuditEntry {
        tenant_id: tenant.id,
        actor: actor.clone(),
        action: AuditAction::TenantCreate,
        resource_id: tenant.id,
        before: None,
        after: serde_json::to_value(&tenant).ok(),
    };
    insert_audit(conn, &entry, now).await?;
    Ok(tenant)
}

pub(crate) async fn list_tenants(
    pool: &SqlitePool,
    page: PageRequest,
) -> StoreResult<Page<Tenant>> {
    let rows =
        sqlx::query("SELECT * FROM tenants WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2")
            .bind(page.after)
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await
            .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::tenant)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |t| t.id))
}

pub(crate) async fn get_tenant(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<Tenant>> {
    let row = sqlx::query("SELECT * FROM tenants WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(err)?;
    row.as_ref().map(rows::tenant).transpose()
}

pub(crate) async fn create_token(
    conn: &mut SqliteConnection,
    t: &NewApiToken,
    actor: Option<&Actor>,
) -> StoreResult<ApiToken> {
    let now = now_micros();
    let row = sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, name, role, secret_hash, created_at, \
         created_by_user_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(t.tenant_id)
    .bind(&t.name)
    .bind(t.role.as_str())
    .bind(&t.secret_hash)
    .bind(now)
    .bind(t.created_by_user_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, "token"))?;
    let token = rows::token(&row)?;
    if let (Some(actor), Some(tid)) = (actor, t.tenant_id) {
        let entry = NewAuditEntry {
            tenant_id: tid,
            actor: actor.clone(),
            action: AuditAction::TokenCreate,
            resource_id: token.id,
            before: None,
            after: serde_json::to_value(&token).ok(),
        };
        insert_audit(conn, &entry, now).await?;
    }
    Ok(token)
}

pub(crate) async fn list_tokens(
    pool: &SqlitePool,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<ApiToken>> {
    let rows = sqlx::query(
        "SELECT * FROM api_tokens WHERE tenant_id = ?1 AND (?2 IS NULL OR id > ?2) ORDER BY id LIMIT ?3",
    )
    .bind(tenant_id)
    .bind(page.after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(pool)
    .await
    .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::token)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |t| t.id))
}

pub(crate) async fn revoke_token(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    token_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE id = ? AND tenant_id = ?")
        .bind(token_id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    let Some(row) = row else { return Ok(None) };
    let before = rows::token(&row)?;
    if before.revoked_at.is_some() {
        return Ok(Some(before));
    }
    let now = now_micros();
    let row = sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? RETURNING *")
        .bind(now)
        .bind(token_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?;
    let after = rows::token(&row)?;
    let entry = NewAuditEntry {
        tenant_id,
        actor: actor.clone(),
        action: AuditAction::TokenRevoke,
        resource_id: token_id,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

pub(crate) async fn find_token(pool: &SqlitePool, hash: &str) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE secret_hash = ? AND revoked_at IS NULL")
        .bind(hash)
        .fetch_optional(pool)
        .await
        .map_err(err)?;
    row.as_ref().map(rows::token).transpose()
}

pub(crate) async fn has_superadmin_token(pool: &SqlitePool) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE role = 'superadmin' AND revoked_at IS NULL",
    )
    .fetch_one(pool)
    .await
    .map_err(err)?;
    Ok(n > 0)
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
         max_borrow_hours) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *, 0 AS seats_used",
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
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, "license_key"))?;
    let out = license_with_usage(&row, now)?;
    let entry = NewAuditEntry {
        tenant_id: l.tenant_id,
        actor: actor.clone(),
        action: AuditAction::LicenseCreate,
        resource_id: out.license.id,
        before: None,
        after: Some(out.license.audit_snapshot()),
    };
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
    let row = sqlx::query(&sql)
        .bind(now)
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await
        .map_err(err)?;
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
    if !after.apply(patch) {
        return Ok(Some(current));
    }
    let now = now_micros();
    sqlx::query(
        "UPDATE licenses SET name = ?, seats_total = ?, expires_at = ?, heartbeat_ttl_seconds = ?, \
         entitlements = ?, metadata = ?, is_active = ?, updated_at = ?, max_borrow_hours = ? \
         WHERE id = ?",
    )
    .bind(&after.name)
    .bind(after.seats_total)
    .bind(after.expires_at.map(|t| t.timestamp_micros()))
    .bind(after.heartbeat_ttl_seconds)
    .bind(to_json(&after.entitlements))
    .bind(to_json(&after.metadata))
    .bind(after.is_active)
    .bind(now)
    .bind(after.max_borrow_hours)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    let updated = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("license vanished during update".into()))?;
    let entry = NewAuditEntry {
        tenant_id,
        actor: actor.clone(),
        action: AuditAction::LicenseUpdate,
        resource_id: id,
        before: Some(before.audit_snapshot()),
        after: Some(updated.license.audit_snapshot()),
    };
    insert_audit(conn, &entry, now).await?;
    Ok(Some(updated))
}

pub(crate) async fn list_audit(
    pool: &SqlitePool,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT * FROM audit_log WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
    )
    .bind(tenant_id)
    .bind(page.after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(pool)
    .await
    .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::audit)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |a| a.id))
}
