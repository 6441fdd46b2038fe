//! Tenants, tokens, licenses and the audit log on PostgreSQL.

use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditAction, AuditEntry, LicensePatch, NewAuditEntry, NewLicense, NewTenant,
    Page, PageRequest, Tenant,
};
use coditect_storage::{LicenseWithUsage, NewApiToken, StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

use crate::rows;
use crate::{db_now, err, unique_to_conflict};

/// Columns of a license, plus `db_now` (the database clock, read once per statement) and
/// its live-session count at that time. Callers append the `WHERE` clause.
pub(crate) const LICENSE_SELECT: &str =
    "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS db_now) \
     SELECT l.*, t.db_now, (SELECT count(*) FROM sessions s \
         WHERE s.tenant_id = l.tenant_id AND s.license_id = l.id AND s.status = 'active' AND s.expires_at > t.db_now) \
         AS seats_used \
     FROM licenses l CROSS JOIN t";

/// Writes one audit entry inside the caller's transaction.
pub(crate) async fn insert_audit(
    conn: &mut PgConnection,
    e: &NewAuditEntry,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, at, actor_type, actor_id, actor_name, action, \
         resource, resource_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(Uuid::now_v7())
    .bind(e.tenant_id)
    .bind(at)
    .bind(e.actor.actor_type.as_str())
    .bind(e.actor.id)
    .bind(e.actor.name.as_deref())
    .bind(e.action.as_str())
    .bind(e.action.resource())
    .bind(e.resource_id)
    .bind(e.before.as_ref())
    .bind(e.after.as_ref())
    .execute(conn)
    .await
    .map_err(err)?;
    Ok(())
}

pub(crate) fn license_with_usage(r: &PgRow) -> StoreResult<LicenseWithUsage> {
    Ok(LicenseWithUsage {
        license: rows::license(r)?,
        seats_used: r.try_get("seats_used").map_err(err)?,
        now: r.try_get("db_now").map_err(err)?,
    })
}

/// Creates a tenant and audits it; `Conflict("slug")` on a taken slug.
pub(crate) async fn create_tenant(
    conn: &mut PgConnection,
    t: NewTenant,
    actor: &Actor,
) -> StoreResult<Tenant> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
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

/// Tenants, oldest first.
pub(crate) async fn list_tenants(
    conn: &mut PgConnection,
    page: PageRequest,
) -> StoreResult<Page<Tenant>> {
    let rows = sqlx::query(
        "SELECT * FROM tenants WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(page.after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::tenant)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |t| t.id))
}

/// One tenant.
pub(crate) async fn get_tenant(conn: &mut PgConnection, id: Uuid) -> StoreResult<Option<Tenant>> {
    let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    row.as_ref().map(rows::tenant).transpose()
}

/// Stores a token; audits it when it is a tenant's and an actor is given.
pub(crate) async fn create_token(
    conn: &mut PgConnection,
    t: &NewApiToken,
    actor: Option<&Actor>,
) -> StoreResult<ApiToken> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, name, role, secret_hash, created_at, \
         created_by_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
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

/// A tenant's tokens, oldest first.
pub(crate) async fn list_tokens(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<ApiToken>> {
    let rows = sqlx::query(
        "SELECT * FROM api_tokens WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3",
    )
    .bind(tenant_id)
    .bind(page.after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::token)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |t| t.id))
}

/// Revokes a tenant's token (row locked, so two revokes audit once).
pub(crate) async fn revoke_token(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    token_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1 AND tenant_id = $2 FOR UPDATE")
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
    let now = db_now(conn).await?;
    let row = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 RETURNING *")
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

/// The unrevoked token with this secret hash.
pub(crate) async fn find_token(
    conn: &mut PgConnection,
    hash: &str,
) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query("SELECT * FROM api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL")
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    row.as_ref().map(rows::token).transpose()
}

/// Whether an unrevoked superadmin token exists.
pub(crate) async fn has_superadmin_token(conn: &mut PgConnection) -> StoreResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE role = 'superadmin' AND revoked_at IS NULL)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(err)
}

/// Creates a license and audits it; `Conflict("license_key")` on a taken key.
pub(crate) async fn create_license(
    conn: &mut PgConnection,
    l: NewLicense,
    actor: &Actor,
) -> StoreResult<LicenseWithUsage> {
    let now = db_now(conn).await?;
    let row = sqlx::query(
        "INSERT INTO licenses (id, tenant_id, name, key_sealed, key_hash, key_hint, seats_total, \
         expires_at, heartbeat_ttl_seconds, entitlements, metadata, is_active, created_at, \
         updated_at, max_borrow_hours) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
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
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, "license_key"))?;
    let out = license_with_usage(&row)?;
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

/// One license of a tenant with usage, read through any executor (pool or transaction).
pub(crate) async fn license_by_id(
    conn: impl PgExecutor<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LicenseWithUsage>> {
    let sql = format!("{LICENSE_SELECT} WHERE l.id = $1 AND l.tenant_id = $2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await
        .map_err(err)?;
    row.as_ref().map(license_with_usage).transpose()
}

/// The license with this key hash, with usage.
pub(crate) async fn find_license_by_key(
    conn: &mut PgConnection,
    key_hash: &str,
) -> StoreResult<Option<LicenseWithUsage>> {
    // Inside `PgStore::key_tx`, which scoped the transaction to the key's tenant.
    let sql = format!("{LICENSE_SELECT} WHERE l.tenant_id = coditect_tenant() AND l.key_hash = $1");
    let row = sqlx::query(&sql)
        .bind(key_hash)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    row.as_ref().map(license_with_usage).transpose()
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
    let locked = sqlx::query("SELECT id FROM licenses WHERE id = $1 AND tenant_id = $2 FOR UPDATE")
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err)?;
    if locked.is_none() {
        return Ok(None);
    }
    let current = license_by_id(&mut *conn, tenant_id, id)
        .await?
        .ok_or_else(|| StoreError::Internal("locked license vanished".into()))?;
    let before = current.license.clone();
    let mut after = before.clone();
    if !after.apply(patch) {
        return Ok(Some(current));
    }
    let now = current.now;
    sqlx::query(
        "UPDATE licenses SET name = $1, seats_total = $2, expires_at = $3, \
         heartbeat_ttl_seconds = $4, entitlements = $5, metadata = $6, is_active = $7, \
         updated_at = $8, max_borrow_hours = $10 WHERE tenant_id = $11 AND id = $9",
    )
    .bind(&after.name)
    .bind(after.seats_total)
    .bind(after.expires_at)
    .bind(after.heartbeat_ttl_seconds)
    .bind(Json(&after.entitlements))
    .bind(Json(&after.metadata))
    .bind(after.is_active)
    .bind(now)
    .bind(id)
    .bind(after.max_borrow_hours)
    .bind(tenant_id)
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

/// A tenant's audit entries, newest first.
pub(crate) async fn list_audit(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT * FROM audit_log WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant_id)
    .bind(page.after)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let items = rows
        .iter()
        .map(rows::audit)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.limit, |a| a.id))
}
