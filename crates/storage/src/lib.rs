//! The one storage trait. Each backend (SQLite, PostgreSQL) lives in its own crate and
//! implements [`Store`]; the server picks one by the scheme of the database URL and never
//! knows which it talks to. Seat operations are whole transactions here, not building
//! blocks, because the seat invariant is only as strong as the atomicity around it.

#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod records;

use async_trait::async_trait;
use chrono::Duration;
use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditEntry, BucketUsage, Invitation, LicenseFilter, LicensePatch, Member,
    MemberRole, NewLicense, NewTenant, Page, PageRequest, Session, SessionStatus, Tenant, User,
    UserCredentials, UserProfile,
};
use uuid::Uuid;

pub use error::{StoreError, StoreResult};
pub use records::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, InviteeAccount, LicenseWithUsage,
    NewApiToken, NewInvitation, NewMail, NewSigningKey, OneTime, OutboxCounts, OutboxMail,
    ReleaseOutcome, SigningKeyRecord, TenantUsage,
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

    // ---- licenses ----

    /// Creates a license.
    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage>;
    /// A tenant's licenses that pass the filter, oldest first.
    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
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
    /// Suspends or resumes the tenant's licenses among `ids` (others' ids are ignored) in
    /// one transaction, auditing each license that changed. Returns how many changed.
    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64>;
    /// The license with this key hash, for `validate`.
    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>>;

    // ---- seats ----

    /// Takes or resumes a seat (or borrows one), atomically. Refusals come back as
    /// `StoreError::Seat`; a refused acquire still commits: a plain acquire's refusal for
    /// want of a seat is recorded as a denial, a queued acquire keeps its place.
    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome>;
    /// Removes a queued acquire from its license's queue (it was granted elsewhere, timed
    /// out, or its client went away). Unknown ids are not an error. With `denied` (the
    /// wait ran out without a seat) the refusal is recorded as a denial in the usage
    /// history, once, in the same transaction that removes the place.
    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()>;
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

    // ---- people (see accounts.rs of each backend) ----

    /// Creates the first user, a staff user, only while no user exists
    /// (`Conflict("user")` after), even when several requests race.
    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User>;
    /// Whether any user exists.
    async fn has_users(&self) -> StoreResult<bool>;
    /// The user with this (lower-cased) e-mail and their password hash.
    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>>;
    /// A user and their memberships.
    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>>;
    /// Every user with their memberships, oldest first (staff view).
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>>;
    /// Stores a dashboard session by the hash of its secret.
    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: Duration,
        absolute: Duration,
    ) -> StoreResult<()>;
    /// The user of a session that is neither idle past `idle` nor past its absolute
    /// lifetime; slides the idle expiry forward.
    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: Duration,
    ) -> StoreResult<Option<UserProfile>>;
    /// Ends a dashboard session (sign-out). Ending an unknown session is not an error.
    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Stores a password-reset token and queues its mail, when a user has this e-mail.
    /// Returns whether one has.
    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: Duration,
        mail: NewMail,
    ) -> StoreResult<bool>;
    /// Whether a reset token is usable, without using it: looked up before the new
    /// password is hashed, so unknown tokens cost no hashing.
    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>>;
    /// Uses a reset token: sets the new password, spends every other outstanding reset
    /// token of the user and ends every dashboard session of the user.
    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>>;
    /// Creates an invitation, audits it and queues its mail, in one transaction.
    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation>;
    /// The invitation with this token hash (not consumed).
    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>>;
    /// Uses an invitation: creates the account when the e-mail is new, adds (or changes)
    /// the membership and audits it. `Conflict("email")` when the account's existence
    /// changed since the caller looked.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>>;
    /// A tenant's members, by user id.
    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>>;
    /// One member of a tenant.
    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>>;
    /// Changes a member's role; `Conflict("owner")` when it would leave no owner.
    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>>;
    /// Removes a member; `Conflict("owner")` when it would leave no owner.
    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>>;

    // ---- mail outbox ----

    /// Claims up to `limit` mails due for an attempt, hiding them from other senders
    /// for `lease` (a sender that dies mid-send loses nothing: the lease runs out).
    async fn claim_mails(&self, limit: u32, lease: Duration) -> StoreResult<Vec<OutboxMail>>;
    /// Marks a mail accepted by the server and forgets its body.
    async fn mail_sent(&self, id: Uuid) -> StoreResult<()>;
    /// Records a failed attempt: retried after `retry_in`, or never when `None`.
    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<Duration>,
    ) -> StoreResult<()>;
    /// Outbox totals.
    async fn outbox_counts(&self) -> StoreResult<OutboxCounts>;

    // ---- usage history ----

    /// Records seats used of every license that had a live session or any session
    /// activity in the last `lookback`, in the sample slot of width `slot_secs` holding
    /// the database's now (one sample per license and slot, however many processes
    /// sample). Returns how many samples were written.
    async fn sample_usage(&self, slot_secs: i64, lookback: Duration) -> StoreResult<u64>;
    /// Deletes usage history before `before`, and dashboard sessions, one-time tokens
    /// and sent mails that can no longer matter. Returns the rows deleted.
    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Seat use (summed over licenses per sample slot) and denials of a tenant, or of one
    /// of its licenses, in `[from, to)`, per bucket of `bucket_secs`.
    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)>;
    /// Every tenant's usage in `[from, to)` (staff view).
    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>>;
}
