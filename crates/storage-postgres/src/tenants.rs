//! Tenants, their API tokens and their audit log on PostgreSQL, each write audited in
//! its own transaction. Tenant-scoped work runs in `tenant_tx`; authentication by token
//! hash and superadmin listings in `system_tx` (see `scope.rs`).

use crate::prelude::*;

#[async_trait]
impl TenantStore for PgStore {
    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant> {
        let mut tx = self.system_tx().await?;
        let tenant = create_tenant(&mut tx, t, actor).await?;
        done(tx, tenant).await
    }

    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>> {
        let mut tx = self.system_tx().await?;
        let out = list_tenants(&mut tx, page).await?;
        done(tx, out).await
    }

    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        let mut tx = self.tenant_tx(id).await?;
        let out = get_tenant(&mut tx, id).await?;
        done(tx, out).await
    }

    async fn create_token(&self, t: NewApiToken, actor: Option<&Actor>) -> StoreResult<ApiToken> {
        let mut tx = match t.tenant_id {
            Some(t) => self.tenant_tx(t).await?,
            None => self.system_tx().await?,
        };
        let t = create_token(&mut tx, &t, actor).await?;
        done(tx, t).await
    }

    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = list_tokens(&mut tx, tenant_id, page).await?;
        done(tx, out).await
    }

    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let t = revoke_token(&mut tx, tenant_id, token_id, actor).await?;
        done(tx, t).await
    }

    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        // Authentication: the token's tenant is what is being found out.
        let mut tx = self.system_tx().await?;
        let out = find_token(&mut tx, secret_hash).await?;
        done(tx, out).await
    }

    async fn has_superadmin_token(&self) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let out = has_superadmin_token(&mut tx).await?;
        done(tx, out).await
    }

    async fn list_audit_filtered(
        &self,
        tenant_id: Uuid,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = list_audit(&mut tx, tenant_id, filter, page).await?;
        done(tx, out).await
    }
}

/// Writes one audit entry inside the caller's transaction.
pub(crate) async fn insert_audit(
    conn: &mut PgConnection,
    e: &NewAuditEntry,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    exec(conn, "INSERT INTO audit_log (id, tenant_id, at, actor_type, actor_id, actor_name, action, \
         resource, resource_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", (Uuid::now_v7(), e.tenant_id, at, e.actor.actor_type.as_str(), e.actor.id, e.actor.name.as_deref(), e.action.as_str(), e.action.resource(), e.resource_id, e.before.as_ref(), e.after.as_ref())).await?;
    Ok(())
}

/// Writes many audit entries at one time `at` in one statement (arrays unnested in
/// order): what the reaper records for a batch of expired sessions.
pub(crate) async fn insert_audits(
    conn: &mut PgConnection,
    entries: &[NewAuditEntry],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    let tenants: Vec<Uuid> = entries.iter().map(|e| e.tenant_id).collect();
    let types: Vec<&str> = entries
        .iter()
        .map(|e| e.actor.actor_type.as_str())
        .collect();
    let actor_ids: Vec<Option<Uuid>> = entries.iter().map(|e| e.actor.id).collect();
    let names: Vec<Option<&str>> = entries.iter().map(|e| e.actor.name.as_deref()).collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    let resources: Vec<&str> = entries.iter().map(|e| e.action.resource()).collect();
    let resource_ids: Vec<Uuid> = entries.iter().map(|e| e.resource_id).collect();
    let before: Vec<Option<Json<&serde_json::Value>>> = entries
        .iter()
        .map(|e| e.before.as_ref().map(Json))
        .collect();
    let after: Vec<Option<Json<&serde_json::Value>>> =
        entries.iter().map(|e| e.after.as_ref().map(Json)).collect();
    exec(
        conn,
        "INSERT INTO audit_log (id, tenant_id, at, actor_type, actor_id, actor_name, action, \
         resource, resource_id, before, after) \
         SELECT u.id, u.tenant_id, $3, u.actor_type, u.actor_id, u.actor_name, u.action, \
         u.resource, u.resource_id, u.before, u.after \
         FROM UNNEST($1::uuid[], $2::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[], \
             $8::text[], $9::uuid[], $10::jsonb[], $11::jsonb[]) \
         AS u(id, tenant_id, actor_type, actor_id, actor_name, action, resource, resource_id, \
             before, after)",
        (
            ids,
            tenants,
            at,
            types,
            actor_ids,
            names,
            actions,
            resources,
            resource_ids,
            before,
            after,
        ),
    )
    .await?;
    Ok(())
}

/// Creates a tenant and audits it; `Conflict(ConflictField::Slug)` on a taken slug.
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
    .map_err(|e| unique_to_conflict(e, ConflictField::Slug))?;
    let tenant = decode::tenant(&Cols(&row))?;
    let entry = NewAuditEntry::tenant_created(actor, &tenant);
    insert_audit(conn, &entry, now).await?;
    Ok(tenant)
}

/// Tenants, oldest first.
pub(crate) async fn list_tenants(
    conn: &mut PgConnection,
    page: PageRequest,
) -> StoreResult<Page<Tenant>> {
    let rows = all(
        &mut *conn,
        "SELECT * FROM tenants WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
        (page.after, i64::from(page.limit) + 1),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::tenant, |t| t.id)
}

/// One tenant.
pub(crate) async fn get_tenant(conn: &mut PgConnection, id: Uuid) -> StoreResult<Option<Tenant>> {
    let row = opt(&mut *conn, "SELECT * FROM tenants WHERE id = $1", (id,)).await?;
    row.as_ref().map(|r| decode::tenant(&Cols(r))).transpose()
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
         created_by_user_id, made_by_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING *",
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

/// A tenant's tokens, oldest first.
pub(crate) async fn list_tokens(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    page: PageRequest,
) -> StoreResult<Page<ApiToken>> {
    let rows = all(
        &mut *conn,
        "SELECT * FROM api_tokens WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3",
        (tenant_id, page.after, i64::from(page.limit) + 1),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::token, |t| t.id)
}

/// Revokes a tenant's token (row locked, so two revokes audit once).
pub(crate) async fn revoke_token(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    token_id: Uuid,
    actor: &Actor,
) -> StoreResult<Option<ApiToken>> {
    let row = opt(
        &mut *conn,
        "SELECT * FROM api_tokens WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
        (token_id, tenant_id),
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let before = decode::token(&Cols(&row))?;
    if before.revoked_at.is_some() {
        return Ok(Some(before));
    }
    let now = db_now(conn).await?;
    let row = one(
        &mut *conn,
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 RETURNING *",
        (now, token_id),
    )
    .await?;
    let after = decode::token(&Cols(&row))?;
    let entry = NewAuditEntry::token_revoked(actor, tenant_id, &before, &after);
    insert_audit(conn, &entry, now).await?;
    Ok(Some(after))
}

/// The unrevoked token with this secret hash.
pub(crate) async fn find_token(
    conn: &mut PgConnection,
    hash: &str,
) -> StoreResult<Option<ApiToken>> {
    let row = opt(
        &mut *conn,
        "SELECT * FROM api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL",
        (hash,),
    )
    .await?;
    row.as_ref().map(|r| decode::token(&Cols(r))).transpose()
}

/// Whether an unrevoked superadmin token exists.
pub(crate) async fn has_superadmin_token(conn: &mut PgConnection) -> StoreResult<bool> {
    scalar(
        &mut *conn,
        "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE role = 'superadmin' AND revoked_at IS NULL)",
        (),
    )
    .await
}

/// A tenant's audit entries, newest first.
pub(crate) async fn list_audit(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    filter: &AuditFilter,
    page: PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let rows = all(
        &mut *conn,
        "SELECT * FROM audit_log WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id < $2) \
         AND ($4::text IS NULL OR lower(coalesce(actor_name, '')) LIKE $4 ESCAPE '\\') \
         AND ($5::text IS NULL OR resource = $5) AND ($6::uuid IS NULL OR resource_id = $6) \
         AND ($7::text IS NULL OR action = $7) \
         AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9) \
         ORDER BY id DESC LIMIT $3",
        (
            tenant_id,
            page.after,
            i64::from(page.limit) + 1,
            filter.actor_pattern(),
            filter.resource.as_deref(),
            filter.resource_id,
            filter.action.as_deref(),
            filter.from,
            filter.to,
        ),
    )
    .await?;
    decode::page(rows.iter().map(Cols), page, decode::audit, |a| a.id)
}
