//! The [`TenantStore`] role; each backend implements it in its own `tenants` module.

use super::prelude::*;

/// Tenants, their API tokens and their audit log: the admin side of who may do what.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant; `Conflict(ConflictField::Slug)` on a taken slug.
    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant>;
    /// Lists tenants, oldest first.
    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>>;
    /// One tenant.
    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>>;
    /// Stores a token by the SHA-256 of its secret; audits it when it is a tenant's and
    /// an actor is given.
    async fn create_token(&self, t: NewApiToken, actor: Option<&Actor>) -> StoreResult<ApiToken>;
    /// A tenant's tokens, oldest first, revoked ones included.
    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>>;
    /// Revokes a token; `None` when it is not the tenant's. Revoking twice changes nothing.
    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>>;
    /// The unrevoked token with this secret hash.
    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Whether any unrevoked superadmin token is stored.
    async fn has_superadmin_token(&self) -> StoreResult<bool>;
    /// A tenant's audit entries, newest first.
    async fn list_audit(
        &self,
        tenant_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        self.list_audit_filtered(tenant_id, &AuditFilter::default(), page)
            .await
    }
    /// A tenant's audit entries that match `filter`, newest first: the filter is applied
    /// before paging, so pages are full and the cursor goes on where the last one ended.
    async fn list_audit_filtered(
        &self,
        tenant_id: Uuid,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;
}
