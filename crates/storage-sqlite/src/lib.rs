//! SQLite backend: the embedded default. One file in WAL mode; every write goes through a
//! single connection inside `BEGIN IMMEDIATE`, which takes SQLite's write lock up front.
//! That serializes all seat decisions (in this process and any other on the same file),
//! so a count-then-insert under that lock is atomic.

mod accounts;
mod admin;
mod checkpoint;
mod listing;
mod members;
mod outbox;
mod readers;
mod rows;
mod seat_rows;
mod seats;
mod signing;
mod usage;
mod writer;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
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
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use crate::writer::{SeatWriter, WriteGate, WriteTurn};

/// Makes the database file, and its WAL and shared-memory files, the owner's alone
/// (0600): they hold license keys and sessions. The database file is created here
/// (empty, which SQLite takes as a new database) so that it never exists with the
/// umask's mode; SQLite gives the WAL and SHM files the database file's mode, and
/// files of an older start are tightened.
fn owner_only_files(db: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let fail = |e: std::io::Error| StoreError::Internal(format!("{}: {e}", db.display()));
        if db.as_os_str().is_empty() || db.to_str() == Some(":memory:") {
            return Ok(());
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(fail(e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            match std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(fail(e)),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store: the seat writer thread, one sqlx writer connection for everything
/// else that writes, a few readers.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    seats: Arc<SeatWriter>,
    hot: Arc<readers::HotReaders>,
    _checkpoints: Arc<checkpoint::Checkpointer>,
    gate: WriteGate,
    writer: SqlitePool,
    reader: SqlitePool,
}

/// A write through the sqlx writer connection, holding the in-process write turn so the
/// seat thread and this connection never wait on each other inside SQLite's busy loop.
pub(crate) struct Gated<T> {
    inner: T,
    _turn: WriteTurn,
}

impl<T> Deref for Gated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for Gated<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl Gated<Transaction<'static, Sqlite>> {
    /// Commits, then gives the turn back.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://` URL and runs migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Internal(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a committed transaction survives a process crash
            // (kill -9); only an OS crash or power loss may lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        if let Some(parent) = opts.get_filename().parent() {
            if !parent.as_os_str().is_empty() && !Path::new(parent).exists() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Internal(format!("create {parent:?}: {e}")))?;
            }
        }
        owner_only_files(opts.get_filename())?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(opts.clone())
            .await
            .map_err(err)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(opts.clone().read_only(true).pragma("cache_size", "-16384"))
            .await
            .map_err(err)?;
        let gate = WriteGate::default();
        let seats = Arc::new(SeatWriter::start(opts.get_filename(), gate.clone())?);
        let hot = Arc::new(readers::HotReaders::open(opts.get_filename(), 4)?);
        let checkpoints = Arc::new(checkpoint::Checkpointer::start(opts.get_filename())?);
        Ok(Self {
            seats,
            hot,
            _checkpoints: checkpoints,
            gate,
            writer,
            reader,
        })
    }

    /// Runs migrations only (the `migrate` command); `connect` already does this.
    pub async fn migrate(url: &str) -> StoreResult<()> {
        Self::connect(url).await.map(|_| ())
    }

    async fn write_tx(&self) -> StoreResult<Gated<Transaction<'static, Sqlite>>> {
        let turn = self.gate.clone().lock_owned().await;
        let inner = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        Ok(Gated { inner, _turn: turn })
    }

    /// The sqlx writer connection for a single autocommit statement.
    pub(crate) async fn write_conn(&self) -> StoreResult<Gated<PoolConnection<Sqlite>>> {
        let turn = self.gate.clone().lock_owned().await;
        let inner = self.writer.acquire().await.map_err(err)?;
        Ok(Gated { inner, _turn: turn })
    }
}

/// Maps a driver error onto the storage error the HTTP layer understands.
pub(crate) fn err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(d) if d.message().contains("database is locked") => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

/// The clock used for decisions: taken after the write lock, truncated to what is stored.
pub(crate) fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn now(&self) -> StoreResult<DateTime<Utc>> {
        Ok(rows::time(now_micros()))
    }

    async fn create_tenant(&self, t: NewTenant, actor: &Actor) -> StoreResult<Tenant> {
        let mut tx = self.write_tx().await?;
        let tenant = admin::create_tenant(&mut tx, t, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(tenant)
    }

    async fn list_tenants(&self, page: PageRequest) -> StoreResult<Page<Tenant>> {
        admin::list_tenants(&self.reader, page).await
    }

    async fn get_tenant(&self, id: Uuid) -> StoreResult<Option<Tenant>> {
        admin::get_tenant(&self.reader, id).await
    }

    async fn create_token(&self, t: NewApiToken, actor: Option<&Actor>) -> StoreResult<ApiToken> {
        let mut tx = self.write_tx().await?;
        let t = admin::create_token(&mut tx, &t, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(t)
    }

    async fn list_tokens(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<ApiToken>> {
        admin::list_tokens(&self.reader, tenant_id, page).await
    }

    async fn revoke_token(
        &self,
        tenant_id: Uuid,
        token_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<ApiToken>> {
        let mut tx = self.write_tx().await?;
        let t = admin::revoke_token(&mut tx, tenant_id, token_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(t)
    }

    async fn find_token(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        admin::find_token(&self.reader, secret_hash).await
    }

    async fn has_superadmin_token(&self) -> StoreResult<bool> {
        admin::has_superadmin_token(&self.reader).await
    }

    async fn create_license(&self, l: NewLicense, actor: &Actor) -> StoreResult<LicenseWithUsage> {
        let mut tx = self.write_tx().await?;
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
        listing::list_licenses(&self.reader, tenant_id, filter, page).await
    }

    async fn set_licenses_active(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
        is_active: bool,
        actor: &Actor,
    ) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = listing::set_licenses_active(&mut tx, tenant_id, ids, is_active, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn get_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        admin::get_license(&self.reader, tenant_id, id).await
    }

    async fn update_license(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: &LicensePatch,
        actor: &Actor,
    ) -> StoreResult<Option<LicenseWithUsage>> {
        let mut tx = self.write_tx().await?;
        let out = admin::update_license(&mut tx, tenant_id, id, patch, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn find_license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        self.hot.license_by_key(key_hash)
    }

    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        // A refusal still commits: the expired seats it reclaimed, its denial record and
        // the queue place it took (see `writer::SeatWriter::run`).
        self.seats.run(move |c| seats::acquire(c, req)).await
    }

    async fn leave_queue(&self, waiter: Uuid, denied: bool) -> StoreResult<()> {
        self.seats
            .run(move |c| {
                if denied {
                    seats::record_wait_denial(c, waiter)?;
                }
                seats::leave_queue(c, waiter)
            })
            .await
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let key_hash = key_hash.to_owned();
        self.seats
            .run(move |c| seats::heartbeat(c, &key_hash, session_id))
            .await
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let key_hash = key_hash.to_owned();
        self.seats
            .run(move |c| seats::release(c, &key_hash, session_id))
            .await
    }

    async fn force_release(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<Option<Session>> {
        let actor = actor.clone();
        self.seats
            .run(move |c| seats::force_release(c, tenant_id, session_id, &actor))
            .await
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        license_id: Uuid,
        status: Option<SessionStatus>,
        page: PageRequest,
    ) -> StoreResult<Page<Session>> {
        listing::list_sessions(&self.reader, tenant_id, license_id, status, page).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        self.seats.run(move |c| seats::reap_expired(c, limit)).await
    }

    async fn count_live_sessions(&self) -> StoreResult<i64> {
        sqlx::query_scalar(
            "SELECT count(*) FROM sessions WHERE status = 'active' AND expires_at > ?",
        )
        .bind(now_micros())
        .fetch_one(&self.reader)
        .await
        .map_err(err)
    }

    async fn list_audit(
        &self,
        tenant_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        admin::list_audit(&self.reader, tenant_id, page).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        signing::list(&self.reader).await
    }

    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        make_current: bool,
        retire_old_until: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        signing::add(&mut tx, key, make_current, retire_old_until).await?;
        tx.commit().await.map_err(err)
    }

    async fn create_first_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> StoreResult<User> {
        let mut tx = self.write_tx().await?;
        let u = accounts::create_first_user(&mut tx, email, name, password_hash).await?;
        tx.commit().await.map_err(err)?;
        Ok(u)
    }

    async fn has_users(&self) -> StoreResult<bool> {
        accounts::has_users(&self.reader).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        accounts::user_credentials(&self.reader, email).await
    }

    async fn user_profile(&self, user_id: Uuid) -> StoreResult<Option<UserProfile>> {
        accounts::user_profile(&self.reader, user_id).await
    }

    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<UserProfile>> {
        accounts::list_users(&self.reader, page).await
    }

    async fn create_web_session(
        &self,
        id_hash: &str,
        user_id: Uuid,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        accounts::create_web_session(&mut tx, id_hash, user_id, idle, absolute).await?;
        tx.commit().await.map_err(err)
    }

    async fn web_session_user(
        &self,
        id_hash: &str,
        idle: chrono::Duration,
    ) -> StoreResult<Option<UserProfile>> {
        accounts::web_session_user(self, id_hash, idle).await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StoreResult<()> {
        accounts::delete_web_session(&mut **self.write_conn().await?, id_hash).await
    }

    async fn create_password_reset(
        &self,
        email: &str,
        token_hash: &str,
        ttl: chrono::Duration,
        mail: NewMail,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let found = accounts::create_password_reset(&mut tx, email, token_hash, ttl, mail).await?;
        tx.commit().await.map_err(err)?;
        Ok(found)
    }

    async fn password_reset(&self, token_hash: &str) -> StoreResult<OneTime<()>> {
        accounts::password_reset(&self.reader, token_hash).await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
        let out = members::create_invitation(&mut tx, inv, mail, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<OneTime<Invitation>> {
        members::invitation_by_token(&self.reader, token_hash).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        account: InviteeAccount,
    ) -> StoreResult<OneTime<User>> {
        let mut tx = self.write_tx().await?;
        let out = members::accept_invitation(&mut tx, token_hash, account).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn list_members(&self, tenant_id: Uuid, page: PageRequest) -> StoreResult<Page<Member>> {
        members::list_members(&self.reader, tenant_id, page).await
    }

    async fn get_member(&self, tenant_id: Uuid, user_id: Uuid) -> StoreResult<Option<Member>> {
        members::get_member(&self.reader, tenant_id, user_id).await
    }

    async fn update_member(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        role: MemberRole,
        actor: &Actor,
    ) -> StoreResult<Option<Member>> {
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
        let out = members::remove_member(&mut tx, tenant_id, user_id, actor).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn claim_mails(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<OutboxMail>> {
        let mut tx = self.write_tx().await?;
        let out = outbox::claim(&mut tx, limit, lease).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn mail_sent(&self, id: Uuid) -> StoreResult<()> {
        outbox::sent(&mut **self.write_conn().await?, id).await
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: Option<chrono::Duration>,
    ) -> StoreResult<()> {
        outbox::failed(&mut **self.write_conn().await?, id, error, retry_in).await
    }

    async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        outbox::counts(&self.reader).await
    }

    async fn sample_usage(&self, slot_secs: i64, lookback: chrono::Duration) -> StoreResult<u64> {
        let (slot, rows) = usage::sample_rows(&self.reader, slot_secs, lookback).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write_tx().await?;
        let n = usage::insert_samples(&mut tx, slot, &rows).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn prune_history(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = usage::prune(&mut tx, before).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
    }

    async fn usage_buckets(
        &self,
        tenant_id: Uuid,
        license_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket_secs: i64,
    ) -> StoreResult<(Vec<BucketUsage>, Vec<(DateTime<Utc>, i64)>)> {
        usage::buckets(&self.reader, tenant_id, license_id, from, to, bucket_secs).await
    }

    async fn tenant_usage(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TenantUsage>> {
        usage::tenant_usage(&self.reader, from, to).await
    }
}
