//! Tenants, their API tokens and their audit log on SQLite. Every write runs in the
//! caller's `BEGIN IMMEDIATE` transaction (see `SqliteStore::write_tx`), audit entry included.

use crate::prelude::*;

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant> {
        let mut tx = self.write_tx().await?;
        let tenant = create_tenant(&mut tx, t, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(tenant)
    }

    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>> {
        list_tenants(&self.reader, page).await
    }

    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        get_tenant(&self.reader, id).await
    }

    async fn create_token(&self, t: NewApiToken, actor: Option<&Actor>) -> StoreResult<ApiToken> {
        let mut tx = self.write_tx().await?;
        let t = create_token(&mut tx, &t, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(t)
    }

    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>> {
        list_tokens(&self.reader, tenant_id, page).await
    }

    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>> {
        let mut tx = self.write_tx().await?;
        let sql = "SELECT * FROM api_tokens WHERE id = ? AND tenant_id = ?";
        let Some(row) = opt(&mut **tx, sql, (token_id, tenant_id)).await? else {
            return Ok(None);
        };
        let before = decode::token(&Cols(&row))?;
        if before.revoked_at.is_some() {
            return Ok(Some(before));
        }
        let now = now_micros();
        let sql = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? RETURNING *";
        let after = decode::token(&Cols(&one(&mut **tx, sql, (now, token_id)).await?))?;
        let entry = NewAuditEntry::token_revoked(actor, tenant_id, &before, &after);
        insert_audit(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(err)?;
        Ok(Some(after))
    }

    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        find_token(&self.reader, secret_hash).await
    }

    async fn has_superadmin_token(&self) -> StoreResult<bool> {
        has_superadmin_token(&self.reader).await
    }

    async fn list_audit_filtered(
        &self,
        tenant_id: Uuid,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        list_audit(&self.reader, tenant_id, filter, page).await
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
    exec(
        conn,
        INSERT_AUDIT,
        (
            Uuid::now_v7(),
            e.tenant_id,
            at,
            e.actor.actor_type.as_str(),
            e.actor.id,
            e.actor.name.as_deref(),
            e.action.as_str(),
            e.action.resource(),
            e.resource_id,
            e.before.as_ref().map(to_json),
            e.after.as_ref().map(to_json),
        ),
    )
    .await?;
    Ok(())
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
    .map_err(|e| unique_to_conflict(e, ConflictField::Slug))?;
    let tenant = decode::tenant(&Cols(&row))?;
    let entry = NewAuditEntry::tenant_created(actor, &tenant);
    insert_audit(conn, &entry, now).await?;
    Ok(tenant)
}

pub(crate) async fn list_tenants(
    pool: &SqlitePool,
    page: PageRequest,
) -> StoreResult<Page<Tenant>> {
    let rows = all(
        pool,
        "SELECT * FROM tenants WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2",
        (page.after, i64::from(page.limit) + 1),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::tenant, |t| t.id)
}

pub(crate) async fn get_tenant(pool: &SqlitePool, id: Uuid) -> StoreResult<Option<Tenant>> {
    let row = opt(pool, "SELECT * FROM tenants WHERE id = ?", (id,)).await?;
    row.as_ref().map(|r| decode::tenant(&Cols(r))).transpose()
}

pub(crate) async fn create_token(
    conn: &mut SqliteConnection,
    t: &NewApiToken,
    actor: Option<&Actor>,
) -> StoreResult<ApiToken> {
    let now = now_micros();
    let row = sqlx::query(
        "INSERT INTO api_tokens (id, tenant_id, name, role, secret_hash, created_at, \
         created_by_user_id, made_by_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(t.tenant_id)
    .bind(&t.name)
    .bind(t.role.as_str())
    .bind(&t.secret_hash)
    .bind(now)
    .bind(t.created_by_user_id)
    .bind(t.made_by_user_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique_to_conflict(e, ConflictField::Token))?;
    let token = decode::token(&Cols(&row))?;
    if let Some(entry) = NewAuditEntry::token_created(actor, &token) {
        insert_audit(conn, &entry, now).await?;
    }
    Ok(token)
}

pub(crate) async fn list_tokens(
    pool: &SqlitePool,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<ApiToken>> {
    let rows = all(pool, "SELECT * FROM api_tokens WHERE tenant_id = ?1 AND (?2 IS NULL OR id > ?2) ORDER BY id LIMIT ?3", (tenant_id, page.after, i64::from(page.limit) + 1)).await?;
    decode::page(rows.iter().map(Cols), page, decode::token, |t| t.id)
}

pub(crate) async fn find_token(pool: &SqlitePool, hash: &str) -> StoreResult<Option<ApiToken>> {
    let row = opt(
        pool,
        "SELECT * FROM api_tokens WHERE secret_hash = ? AND revoked_at IS NULL",
        (hash,),
    )
    .await?;
    row.as_ref().map(|r| decode::token(&Cols(r))).transpose()
}

pub(crate) async fn has_superadmin_token(pool: &SqlitePool) -> StoreResult<bool> {
    let n: i64 = scalar(
        pool,
        "SELECT count(*) FROM api_tokens WHERE role = 'superadmin' AND revoked_at IS NULL",
        (),
    )
    .await?;
    Ok(n > 0)
}

pub(crate) async fn list_audit(
    pool: &SqlitePool,
    tenant_id: Uuid,
    filter: &AuditFilter,
    page: PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let rows = all(
        pool,
        "SELECT * FROM audit_log WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) \
         AND (?4 IS NULL OR lower(coalesce(actor_name, '')) LIKE ?4 ESCAPE '\\') \
         AND (?5 IS NULL OR resource = ?5) AND (?6 IS NULL OR resource_id = ?6) \
         AND (?7 IS NULL OR action = ?7) AND (?8 IS NULL OR at >= ?8) AND (?9 IS NULL OR at < ?9) \
         ORDER BY id DESC LIMIT ?3",
        (
            tenant_id,
            page.after,
            i64::from(page.limit) + 1,
            filter.actor_pattern(),
            filter.resource.as_deref(),
            filter.resource_id,
            filter.action.as_deref(),
            filter.from.map(|t| t.timestamp_micros()),
            filter.to.map(|t| t.timestamp_micros()),
        ),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::audit, |a| a.id)
}
