//! The one storage trait. Each backend (SQLite, PostgreSQL) lives in its own crate and
//! implements [`Store`]; the server picks one by the scheme of the database URL and never
//! knows which it talks to. Seat operations are whole transactions here, not building
//! blocks, because the seat invariant is only as strong as the atomicity around it.

mod error;
mod records;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditEntry, LicensePatch, NewLicense, NewTenant, Page, PageRequest, Role,
    Session, SessionStatus, Tenant,
};
use uuid::Uuid;

pub use error::{StoreError, StoreResult};
pub use records::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, LicenseWithUsage, NewSigningKey,
    ReleaseOutcome, SigningKeyRecord,
};

/// Everything the server persists. Implementations must make each seat operation atomic
/// with respect to every other, across all processes that share the database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Answers when the database does (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// The database's clock, which decides liveness when processes share a database.
    async fn now(&self) -> StoreResult<DateTime<Utc>>;

    // ---- tenants and tokens ----

    /// Creates a tenant; `Conflict` on a taken slug.
    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant>;
    /// Lists tenants, oldest first.
    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>>;
    /// One tenant.
    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>>;
    /// Stores a token by the SHA-256 of its secret.
    async fn create_token(
        &self,
        tenant_id: Option<Uuid>,
        name: &str,
        role: Role,
        secret_hash: &str,
        actor: Option<&Actor>,
    ) -> StoreResult<ApiToken>;
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

    // ---- licenses ----

    /// Creates a license.
    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage>;
    /// A tenant's licenses, oldest first.
    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>>;
    /// One license of a tenant.
    async fn get_license(&self, tenant_id: Uuid, id: Uuid)
        -> StoreResult<Option<LicenseWithUsage>>;
    /// Applies a patch; writes an audit entry only when something changed.
    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>>;
    /// The license with this key hash, for `validate`.
    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>>;

    // ---- seats ----

    /// Takes or resumes a seat (or borrows one), atomically. Refusals come back as
    /// `StoreError::Seat`; a refused queued acquire has its place in the queue committed.
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome>;
    /// Removes a queued acquire from its license's queue (it was granted elsewhere, timed
    /// out, or its client went away). Unknown ids are not an error.
    async fn leave_queue(&self, waiter: Uuid) -> StoreResult<()>;
    /// Extends a live session.
    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome>;
    /// Ends a session (idempotent).
    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome>;
    /// An admin's release; `None` when the session is not the tenant's.
    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>>;
    /// A license's sessions, oldest first, optionally by reported status.
    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>>;
    /// Marks up to `limit` sessions past their expiry as expired, auditing each once,
    /// even when several processes reap at the same time. Returns how many it marked.
    async fn reap_expired(&self, limit: u32) -> StoreResult<u64>;
    /// Live sessions across all licenses (a gauge).
    async fn count_live_sessions(&self) -> StoreResult<i64>;

    // ---- audit ----

    /// A tenant's audit entries, newest first.
    async fn list_audit(&self, tenant_id: Uuid, page: PageRequest)
        -> StoreResult<Page<AuditEntry>>;

    // ---- signing keys ----

    /// Every signing key not yet past its retention.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Stores a key. With `make_current`, it becomes the current key and the previous one
    /// is retired (kept published until `retain_until`). Without it, the key is stored
    /// only if there is no current key yet (first start, possibly racing other processes).
    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()>;
}
