//! SQLite backend: the embedded default. One file in WAL mode; every write goes through a
//! single connection inside `BEGIN IMMEDIATE`, which takes SQLite's write lock up front.
//! That serializes all seat decisions (in this process and any other on the same file),
//! so a count-then-insert under that lock is atomic.

mod admin;
mod queue;
mod rows;
mod seats;
mod signing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coditect_domain::{
    Actor, ApiToken, AuditEntry, LicensePatch, NewLicense, NewTenant, Page, PageRequest, Role,
    Session, SessionStatus, Tenant,
};
use coditect_storage::{
    AcquireOutcome, AcquireRequest, HeartbeatOutcome, LicenseWithUsage, NewSigningKey,
    ReleaseOutcome, SigningKeyRecord, Store, StoreError, StoreResult,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store: one writer connection, a few readers.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
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
            .connect_with(opts.read_only(true))
            .await
            .map_err(err)?;
        Ok(Self { writer, reader })
    }

    /// Runs migrations only (the `migrate` command); `connect` already does this.
    pub async fn migrate(url: &str) -> StoreResult<()> {
        Self::connect(url).await.map(|_| ())
    }

    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(err)
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

    async fn create_token(
        &self,
        tenant_id: Option<Uuid>,
        name: &str,
        role: Role,
        secret_hash: &str,
        actor: Option<&Actor>,
    ) -> StoreResult<ApiToken> {
        let mut tx = self.write_tx().await?;
        let t = admin::create_token(&mut tx, tenant_id, name, role, secret_hash, actor).await?;
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
        page: PageRequest,
    ) -> StoreResult<Page<LicenseWithUsage>> {
        admin::list_licenses(&self.reader, tenant_id, page).await
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
        admin::find_license_by_key(&self.reader, key_hash).await
    }

    async fn acquire(&self, req: AcquireRequest) -> StoreResult<AcquireOutcome> {
        let mut tx = self.write_tx().await?;
        let out = seats::acquire(&mut tx, req).await;
        // A refusal still commits: the expired seats it reclaimed and the queue place it took.
        if matches!(out, Ok(_) | Err(StoreError::Seat(_))) {
            tx.commit().await.map_err(err)?;
        }
        out
    }

    async fn leave_queue(&self, waiter: Uuid) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        queue::leave(&mut tx, waiter).await?;
        tx.commit().await.map_err(err)
    }

    async fn heartbeat(&self, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
        let mut tx = self.write_tx().await?;
        let out = seats::heartbeat(&mut tx, key_hash, session_id).await?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }

    async fn release(&self, key_hash: &str, session_id: Uuid) -> StoreResult<ReleaseOutcome> {
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
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
        seats::list_sessions(&self.reader, tenant_id, license_id, status, page).await
    }

    async fn reap_expired(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = seats::reap_expired(&mut tx, limit).await?;
        tx.commit().await.map_err(err)?;
        Ok(n)
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
}
