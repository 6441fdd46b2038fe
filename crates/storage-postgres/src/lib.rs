//! PostgreSQL backend: for several server processes sharing one database.
//!
//! Every seat operation is one `READ COMMITTED` transaction that first locks the license
//! row (`FOR UPDATE` for acquire, `FOR KEY SHARE` for heartbeat and release, which conflict
//! with each other), then reads the database's clock with `clock_timestamp()` in a later
//! statement, so the time a decision is made at is never older than the lock it is made
//! under. Locks are always taken license first, session second, so seat operations cannot
//! deadlock one another; the reaper only takes session rows with `SKIP LOCKED`.
//!
//! Every transaction is scoped for row-level security (see [`scope`]): the database shows
//! it only its tenant's rows, beneath the tenant filters of the queries themselves.

mod accounts;
mod admin;
mod listing;
mod members;
mod outbox;
mod queue;
mod rows;
mod scope;
mod seats;
mod signing;
mod usage;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditEntry, BucketUsage, Invitation, LicenseFilter, LicensePatch, Member,
    MemberRole, NewLicense, NewTenant, Page, PageRequest, Session, SessionStatus, Tenant, User,
    UserCredentials, UserProfile,
};
use coditect_storage::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, InviteeAccount, LicenseWithUsage,
    NewApiToken, NewInvitation, NewMail, NewSigningKey, OneTime, OutboxCounts, OutboxMail,
    ReleaseOutcome, SigningKeyRecord, Store, StoreError, StoreResult, TenantUsage,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
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
        let switch_role = bypasses_rls(&opts).await?;
        if switch_role {
            tracing::info!(
                role = APP_ROLE,
                "the database role bypasses row-level security; connections switch to {APP_ROLE}"
            );
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No ping before each checkout: it was one round trip more per transaction.
            // A connection the database dropped fails its first statement instead (that
            // request answers 503) and is discarded.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if switch_role {
                        conn.execute(format!("SET ROLE {APP_ROLE}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(err)?;
        Ok(Self { pool })
    }

    /// Runs migrations only (the `migrate` command); `connect` already does this.
    pub async fn migrate(url: &str) -> StoreResult<()> {
        run_migrations(&options(url)?).await
    }
}

/// The role (created by migration 0004) that server connections switch to when the
/// configured database role is a superuser or has BYPASSRLS, which no policy binds.
pub const APP_ROLE: &str = "coditect_app";

/// Whether the connecting role escapes row-level security (superuser or BYPASSRLS). Such a
/// role must be able to `SET ROLE coditect_app`; a superuser always can.
async fn bypasses_rls(opts: &PgConnectOptions) -> StoreResult<bool> {
    let mut conn = opts.connect().await.map_err(err)?;
    let bypass: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(err)?;
    if bypass {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(APP_ROLE)
                .fetch_one(&mut conn)
                .await
                .map_err(err)?;
        if !exists {
            return Err(StoreError::Internal(format!(
                "the database role bypasses row-level security and the role {APP_ROLE} \
                 does not exist; create it (NOLOGIN, granted to this role) or connect as an \
                 ordinary role"
            )));
        }
    }
    conn.close().await.map_err(err)?;
    Ok(bypass)
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

/// Commits a scoped transaction and hands back what ran in it.
async fn done<T>(tx: scope::Tx, out: T) -> StoreResult<T> {
    tx.commit().await.map_err(err)?;
    Ok(out)
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
        let mut tx = self.system_tx().await?;
        let tenant = admin::create_tenant(&mut tx, t, actor).await?;
        done(tx, tenant).await
    }

    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>> {
        let mut tx = self.system_tx().await?;
        let out = admin::list_tenants(&mut tx, page).await?;
        done(tx, out).await
    }

    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        let mut tx = self.tenant_tx(id).await?;
        let out = admin::get_tenant(&mut tx, id).await?;
        done(tx, out).await
    }

    async fn create_token(&self, t: NewApiToken, actor: Option<&Actor>) -> StoreResult<ApiToken> {
        let mut tx = match t.tenant_id {
            Some(t) => self.tenant_tx(t).await?,
            None => self.system_tx().await?,
        };
        let t = admin::create_token(&mut tx, &t, actor).await?;
        done(tx, t).await
    }

    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = admin::list_tokens(&mut tx, tenant_id, page).await?;
        done(tx, out).await
    }

    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let t = admin::revoke_token(&mut tx, tenant_id, token_id, actor).await?;
        done(tx, t).await
    }

    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        // Authentication: the token's tenant is what is being found out.
        let mut tx = self.system_tx().await?;
        let out = admin::find_token(&mut tx, secret_hash).await?;
        done(tx, out).await
    }

    async fn has_superadmin_token(&self) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let out = admin::has_superadmin_token(&mut tx).await?;
        done(tx, out).await
    }

    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage> {
        let mut tx = self.tenant_tx(l.tenant_id).await?;
        let out = admin::create_license(&mut tx, l, actor).await?;
        done(tx, out).await
    }

    async fn list_licenses(
        &self,
        tenant_id: Uuid,
        filter: &LicenseFilter,
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = listing::list_licenses(&mut tx, tenant_id, filter, page).await?;
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
        let n = listing::set_licenses_active(&mut tx, tenant_id, ids, is_active, actor).await?;
        done(tx, n).await
    }

    async fn get_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = admin::license_by_id(&mut *tx, tenant_id, id).await?;
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
        let out = admin::update_license(&mut tx, tenant_id, id, patch, actor).await?;
        done(tx, out).await
    }

    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.key_tx(key_hash).await?;
        let out = admin::find_license_by_key(&mut tx, key_hash).await?;
        done(tx, out).await
    }

    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        let mut tx = self.key_tx(&req.key_hash).await?;
        let out = seats::acquire(&mut tx, req).await;
        // A refusal still commits: the expired seats it reclaimed, the denial it recorded,
        // or the queue place it took.
        if matches!(out, Ok(_) | Err(StoreError::Seat(_))) {
            tx.commit().await.map_err(err)?;
        }
        out
    }

    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        if denied {
            queue::leave_denied(&mut tx, waiter).await?;
        } else {
            queue::leave(&mut tx, waiter).await?;
        }
        tx.commit().await.map_err(err)
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let mut tx = self.key_tx(key_hash).await?;
        let out = seats::heartbeat(&mut tx, key_hash, session_id).await?;
        done(tx, out).await
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let mut tx = self.key_tx(key_hash).await?;
        let out = seats::release(&mut tx, key_hash, session_id).await?;
        done(tx, out).await
    }

    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = seats::force_release(&mut tx, tenant_id, session_id, actor).await?;
        done(tx, out).await
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = seats::list_sessions(&mut tx, tenant_id, license_id, status, page).await?;
        done(tx, out).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        let n = seats::reap_expired(&mut tx, limit).await?;
        done(tx, n).await
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        let mut tx = self.system_tx().await?;
        // The scalar subquery is evaluated once (an InitPlan), so the comparison can use
        // the `sessions_due` index.
        let n = sqlx::query_scalar(
            "SELECT count(*) FROM sessions \
             WHERE status = 'active' AND expires_at > (SELECT clock_timestamp())",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        done(tx, n).await
    }

    async fn list_audit(
        &self,
        tenant_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = admin::list_audit(&mut tx, tenant_id, page).await?;
        done(tx, out).await
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
        let mut tx = self.global_tx().await?;
        signing::add(&mut tx, key, make_current, retire_old_until).await?;
        done(tx, ()).await
    }

    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        // Users are not tenant rows; the first user is staff, before any tenant exists.
        let mut tx = self.system_tx().await?;
        let u = accounts::create_first_user(&mut tx, email, name, password_hash).await?;
        done(tx, u).await
    }

    async fn has_users(&self) -> StoreResult<bool> {
        let mut tx = self.system_tx().await?;
        let out = accounts::has_users(&mut tx).await?;
        done(tx, out).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let mut tx = self.system_tx().await?;
        let out = accounts::user_credentials(&mut tx, email).await?;
        done(tx, out).await
    }

    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>> {
        // A user's memberships span tenants.
        let mut tx = self.system_tx().await?;
        let out = accounts::user_profile(&mut tx, user_id).await?;
        done(tx, out).await
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>> {
        // Staff listing across tenants.
        let mut tx = self.system_tx().await?;
        let out = accounts::list_users(&mut tx, page).await?;
        done(tx, out).await
    }

    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = accounts::create_web_session(&mut tx, id_hash, user_id, idle, absolute).await?;
        done(tx, out).await
    }

    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: chrono::Duration,
    ) -> StoreResult<Option<UserProfile>> {
        // Authentication by cookie: the user's tenants are what is being found out.
        let mut tx = self.system_tx().await?;
        let out = accounts::web_session_user(&mut tx, id_hash, idle).await?;
        done(tx, out).await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = accounts::delete_web_session(&mut tx, id_hash).await?;
        done(tx, out).await
    }

    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: chrono::Duration,
        mail: NewMail,
    ) -> StoreResult<bool> {
        // Users and resets are not tenant rows.
        let mut tx = self.system_tx().await?;
        let found = accounts::create_password_reset(&mut tx, email, token_hash, ttl, mail).await?;
        done(tx, found).await
    }

    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>> {
        // Looked up by token before its user is known.
        let mut tx = self.system_tx().await?;
        let out = accounts::password_reset(&mut tx, token_hash).await?;
        done(tx, out).await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.system_tx().await?;
        let out = accounts::reset_password(&mut tx, token_hash, password_hash).await?;
        done(tx, out).await
    }

    async fn create_invitation(
        &self,
        inv: NewInvitation,
        mail: NewMail,
        actor: &Actor,
    ) -> StoreResult<Invitation> {
        let mut tx = self.tenant_tx(inv.tenant_id).await?;
        let out = members::create_invitation(&mut tx, inv, mail, actor).await?;
        done(tx, out).await
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>> {
        // Looked up by token before its tenant is known.
        let mut tx = self.system_tx().await?;
        let out = members::invitation_by_token(&mut tx, token_hash).await?;
        done(tx, out).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>> {
        // The invitation's tenant is known only from its token; queries filter by it.
        let mut tx = self.system_tx().await?;
        let out = members::accept_invitation(&mut tx, token_hash, account).await?;
        done(tx, out).await
    }

    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = members::list_members(&mut tx, tenant_id, page).await?;
        done(tx, out).await
    }

    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = members::get_member(&mut *tx, tenant_id, user_id).await?;
        done(tx, out).await
    }

    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = members::update_member(&mut tx, tenant_id, user_id, role, actor).await?;
        done(tx, out).await
    }

    async fn remove_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = members::remove_member(&mut tx, tenant_id, user_id, actor).await?;
        done(tx, out).await
    }

    async fn claim_mails(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<OutboxMail>> {
        // Background work across tenants (the outbox has no tenant rows).
        let mut tx = self.system_tx().await?;
        let out = outbox::claim(&mut tx, limit, lease).await?;
        done(tx, out).await
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = outbox::sent(&mut tx, id).await?;
        done(tx, out).await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<chrono::Duration>,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let out = outbox::failed(&mut tx, id, error, retry_in).await?;
        done(tx, out).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let mut tx = self.system_tx().await?;
        let out = outbox::counts(&mut tx).await?;
        done(tx, out).await
    }

    async fn sample_usage(&self, slot_secs: i64, lookback: chrono::Duration) -> StoreResult<u64> {
        // Background work across tenants; queries join on (tenant_id, id).
        let mut tx = self.system_tx().await?;
        let out = usage::sample(&mut tx, slot_secs, lookback).await?;
        done(tx, out).await
    }

    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        // Retention for every tenant.
        let mut tx = self.system_tx().await?;
        let out = usage::prune(&mut tx, before).await?;
        done(tx, out).await
    }

    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
        let mut tx = self.tenant_tx(tenant_id).await?;
        let out = usage::buckets(&mut tx, tenant_id, license_id, from, to, bucket_secs).await?;
        done(tx, out).await
    }

    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>> {
        // Staff analytics across tenants.
        let mut tx = self.system_tx().await?;
        let out = usage::tenant_usage(&mut tx, from, to).await?;
        done(tx, out).await
    }
}
