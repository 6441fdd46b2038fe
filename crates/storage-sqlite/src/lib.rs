//! SQLite backend: the embedded default. One file in WAL mode. Seat operations run on
//! one dedicated writer thread (`writer.rs`), batched in `BEGIN IMMEDIATE` transactions
//! that take SQLite's write lock up front; every other write goes through one sqlx
//! connection, also in `BEGIN IMMEDIATE`, and the two take turns through an in-process
//! gate. That serializes all seat decisions (in this process and any other on the same
//! file), so a count-then-insert under that lock is atomic. Reads use a pool of read-only
//! connections, and client-path license lookups a few rusqlite readers (`readers.rs`).
//!
//! One module a role of the store (`tenants.rs`, `licenses.rs`, `seats.rs`, ...), each
//! holding that role's trait implementation and its SQL; this file is the wiring.

mod accounts;
mod accounts_staff;
mod backup;
mod billing;
mod billing_tx;
mod checkpoint;
mod event_outbox;
mod health;
mod identity;
mod invitations;
mod licenses;
mod members;
mod meter;
mod outbox;
mod queue;
mod readers;
mod sealed;
mod seats;
mod signing;
mod sql;
mod tenants;
mod usage;
mod webhooks;
mod writer;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
pub(crate) use coditect_storage::sql::{driver_error as err, unique_to_conflict};
use coditect_storage::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::writer::{SeatWriter, WriteGate, WriteTurn};
pub use backup::{backup, inspect, restore, BackupSummary};

/// What every role module speaks in.
mod prelude {
    pub(crate) use coditect_storage::backend::*;
    pub(crate) use sqlx::sqlite::SqliteRow;
    pub(crate) use sqlx::{Row, SqliteConnection, SqliteExecutor, SqlitePool};

    pub(crate) use crate::sql::{time, to_json, Cols};
    pub(crate) use crate::tenants::insert_audit;
    pub(crate) use crate::{err, now_micros, unique_to_conflict, SqliteStore};
    pub(crate) use coditect_storage::shared::enqueue_mail;
    pub(crate) use coditect_storage::sql::{all, exec, one, opt, opt_scalar, scalar};
}

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
    /// Held while the store is open, so a restore never replaces the file under it.
    _in_use: Arc<backup::InUse>,
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
        let in_use = Arc::new(backup::InUse::take(opts.get_filename())?);
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
            _in_use: in_use,
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

/// The clock used for decisions: taken after the write lock, truncated to what is stored.
pub(crate) fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}
