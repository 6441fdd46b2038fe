//! PostgreSQL backend: for several server processes sharing one database.
//!
//! Every seat operation is one `READ COMMITTED` transaction that first locks the license
//! row (`FOR UPDATE` for acquire, `FOR KEY SHARE` for heartbeat and release, which conflict
//! with each other), then reads the database's clock with `clock_timestamp()` in a later
//! statement, so the time a decision is made at is never older than the lock it is made
//! under. Locks are always taken license first, session second, so seat operations cannot
//! deadlock one another; the reaper only takes session rows with `SKIP LOCKED`.

mod accounts;
mod admin;
mod listing;
mod members;
mod outbox;
mod queue;
mod rows;
mod seats;
mod signing;
mod usage;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditEntry, BucketUsage, Invitation, LicenseFilter, LicensePatch, Member,
    MemberRole, NewLicense, NewTenant, Page, PageRequest, Role, Session, SessionStatus, Tenant,
    User, UserCredentials, UserProfile,
};
use coditect_storage::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, InviteeAccount, LicenseWithUsage,
    NewInvitation, NewMail, NewSigningKey, OneTime, OutboxCounts, OutboxMail, ReleaseOutcome,
    SigningKeyRecord, Store, StoreError, StoreResult, TenantUsage,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections per process.
const MAX_CONNECTIONS: u32 = 32;
/// How long a request waits for a free connection before the store reports `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// The PostgreSQL store: one connection pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

fn options(url: &str) -> StoreResult<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Internal(format!("bad PostgreSQL URL: {e}")))?
        .application_name("coditect-license-server"))
}

async fn run_migrations(opts: &PgConnectOptions) -> StoreResult<()> {
    // A connection of its own, closed afterwards; the migrator serializes concurrent
    // starts with an advisory lock. `run_direct` is `run` minus the generic `Acquire`
    // bound, which would make this future unusable in `tokio::spawn` (rustc's "not
    // general enough" limitation).
    let mut conn = opts.connect().await.map_err(err)?;
    MIGRATOR.run_direct(&mut conn).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(e) => err(e),
        e => StoreError::Internal(format!("migration failed: {e}")),
    })?;
    conn.close().await.map_err(err)
}

impl PgStore {
    /// Connects to a `postgres://` URL and runs the embedded migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let opts = options(url)?;
        run_migrations(&opts).await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await
            .map_err(err)?;
        Ok(Self { pool })
    }

    /// Runs migrations only (the `migrate` command); `connect` already does this.
    pub async fn migrate(url: &str) -> StoreResult<()> {
        run_migrations(&options(url)?).await
    }

    /// Begins a transaction. The isolation level is set explicitly because the locking
    /// scheme relies on each statement seeing what committed before it started, whatever
    /// the server's `default_transaction_isolation` is.
    async fn tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(err)
    }
}

/// SQLSTATEs that mean "try again later" rather than "this is a bug": connection
/// exceptions (class 08), shutdown or startup in progress, too many connections,
/// serialization failures, deadlocks and lock timeouts.
fn is_transient(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01" | "55P03"
        )
}

/// Maps a driver error onto the storage error the HTTP layer understands.
pub(crate) fn err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(d) if d.code().is_some_and(|c| is_transient(&c)) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

/// Like [`err`], but a unique violation becomes `Conflict(field)`.
pub(crate) fn unique_to_conflict(e: sqlx::Error, field: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(field),
        _ => err(e),
    }
}

/// The database's clock, read by a statement of its own: inside a transaction, call this
/// only after the locks the decision depends on are held.
pub(crate) async fn db_now(conn: &mut PgConnection) -> StoreResult<DateTime<Utc>> {
    sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(conn)
        .await
        .map_err(err)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(&self.pool)
            .await
            .map_err(err)
    }

    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant> {
        let mut tx = self.tx().await?;
        let tenant = admin::create_tenant(&mut tx, t, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(tenant)
    }

    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>> {
        admin::list_tenants(&self.pool, page).await
    }

    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        admin::get_tenant(&self.pool, id).await
    }

    async fn create_token(
        &self,
        tenant_id: Option<Uuid>,
        name: &str,
        role: Role,
        secret_hash: &str,
        actor: Option<&Actor>,
    ) -> StoreResult<ApiToken> {
        let mut tx = self.tx().await?;
        let t = admin::create_token(&mut tx, tenant_id, name, role, secret_hash, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(t)
    }

    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>> {
        admin::list_tokens(&self.pool, tenant_id, page).await
    }

    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>> {
        let mut tx = self.tx().await?;
        let t = admin::revoke_token(&mut tx, tenant_id, token_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(t)
    }

    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        admin::find_token(&self.pool, secret_hash).await
    }

    async fn has_superadmin_token(&self) -> StoreResult<bool> {
        admin::has_superadmin_token(&self.pool).await
    }

    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage> {
        let mut tx = self.tx().await?;
        let out = admin::create_license(&mut tx, l, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>> {
        listing::list_licenses(&self.pool, tenant_id, filter, page).await
    }

    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64> {
        let mut tx = self.tx().await?;
        let n = listing::set_licenses_active(&mut tx, tenant_id, ids, is_active, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn get_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        admin::license_by_id(&self.pool, tenant_id, id).await
    }

    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.tx().await?;
        let out = admin::update_license(&mut tx, tenant_id, id, patch, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        admin::find_license_by_key(&self.pool, key_hash).await
    }

    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        let mut tx = self.tx().await?;
        let out = seats::acquire(&mut tx, req).await;
        // A refusal still commits: the expired seats it reclaimed and the queue place it took.
        if matches!(out, Ok(_) | Err(StoreError::Seat(_))) {
            tx.commit().await.map_err(err)?;
        }
        out
    }

    async fn leave_queue(&self, waiter: Uuid) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        queue::leave(&mut tx, waiter).await?;
        tx.commit().await.map_err(err)
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let mut tx = self.tx().await?;
        let out = seats::heartbeat(&mut tx, key_hash, session_id).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let mut tx = self.tx().await?;
        let out = seats::release(&mut tx, key_hash, session_id).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>> {
        let mut tx = self.tx().await?;
        let out = seats::force_release(&mut tx, tenant_id, session_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        seats::list_sessions(&self.pool, tenant_id, license_id, status, page).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.tx().await?;
        let n = seats::reap_expired(&mut tx, limit).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        // The scalar subquery is evaluated once (an InitPlan), so the comparison can use
        // the `sessions_due` index.
        sqlx::query_scalar(
            "SELECT count(*) FROM sessions \
             WHERE status = 'active' AND expires_at > (SELECT clock_timestamp())",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(err)
    }

    async fn list_audit(
        &self,
        tenant_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        admin::list_audit(&self.pool, tenant_id, page).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        signing::list(&self.pool).await
    }

    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.tx().await?;
        signing::add(&mut tx, key, make_current, retire_old_until).await?;
        tx.commit().await.map_err(err)
    }

    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        let mut tx = self.tx().await?;
        let u = accounts::create_first_user(&mut tx, email, name, password_hash).await?;
        tx.commit().await.map_err(err)?;
        Ok(u)
    }

    async fn has_users(&self) -> StoreResult<bool> {
        accounts::has_users(&self.pool).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        accounts::user_credentials(&self.pool, email).await
    }

    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>> {
        accounts::user_profile(&self.pool, user_id).await
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>> {
        accounts::list_users(&self.pool, page).await
    }

    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> StoreResult<()> {
        accounts::create_web_session(&self.pool, id_hash, user_id, idle, absolute).await
    }

    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: chrono::Duration,
    ) -> StoreResult<Option<UserProfile>> {
        accounts::web_session_user(&self.pool, id_hash, idle).await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        accounts::delete_web_session(&self.pool, id_hash).await
    }

    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: chrono::Duration,
        mail: NewMail,
    ) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        let found = accounts::create_password_reset(&mut tx, email, token_hash, ttl, mail).await?;
        tx.commit().await.map_err(err)?;
        Ok(found)
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.tx().await?;
        let out = accounts::reset_password(&mut tx, token_hash, password_hash).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation> {
        let mut tx = self.tx().await?;
        let out = members::create_invitation(&mut tx, inv, mail, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>> {
        members::invitation_by_token(&self.pool, token_hash).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.tx().await?;
        let out = members::accept_invitation(&mut tx, token_hash, account).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>> {
        members::list_members(&self.pool, tenant_id, page).await
    }

    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>> {
        members::get_member(&self.pool, tenant_id, user_id).await
    }

    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tx().await?;
        let out = members::update_member(&mut tx, tenant_id, user_id, role, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tx().await?;
        let out = members::remove_member(&mut tx, tenant_id, user_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn claim_mails(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<OutboxMail>> {
        outbox::claim(&self.pool, limit, lease).await
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        outbox::sent(&self.pool, id).await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<chrono::Duration>,
    ) -> StoreResult<()> {
        outbox::failed(&self.pool, id, error, retry_in).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        outbox::counts(&self.pool).await
    }

    async fn sample_usage(&self, slot_secs: i64, lookback: chrono::Duration) -> StoreResult<u64> {
        usage::sample(&self.pool, slot_secs, lookback).await
    }

    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        usage::prune(&self.pool, before).await
    }

    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
        usage::buckets(&self.pool, tenant_id, license_id, from, to, bucket_secs).await
    }

    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>> {
        usage::tenant_usage(&self.pool, from, to).await
    }
}
