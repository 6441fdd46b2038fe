//! Backups of the embedded database, taken while servers run, and their restore.
//!
//! A backup is `VACUUM INTO`: SQLite writes a compact copy of one read transaction's
//! snapshot, so it holds every transaction committed before it began and none of the
//! ones committing meanwhile, without stopping writers for more than its read. A restore
//! replaces the database file only when no server has it open: every server holds a
//! shared lock on `<database>.lock` for as long as it runs (the kernel drops it when a
//! process dies, `kill -9` included), and a restore takes that lock exclusively.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use coditect_storage::{StoreError, StoreResult};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

fn fail(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {e}"))
}

/// The lock file beside a database file.
fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The in-use mark a server holds while it has the database open (a shared lock: several
/// processes may serve one file).
#[derive(Debug)]
pub(crate) struct InUse(#[allow(dead_code)] Option<File>);

impl InUse {
    /// Takes the shared lock; a file being restored right now is refused.
    pub(crate) fn take(db: &Path) -> StoreResult<Self> {
        if db.as_os_str().is_empty() || db.to_str() == Some(":memory:") {
            return Ok(Self(None));
        }
        let f = lock_file(db)?;
        f.try_lock_shared().map_err(|_| {
            StoreError::Internal(format!(
                "{} is being restored; start the server afterwards",
                db.display()
            ))
        })?;
        Ok(Self(Some(f)))
    }
}

fn lock_file(db: &Path) -> StoreResult<File> {
    let path = lock_path(db);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| fail(&path.display().to_string(), e))
    }
    #[cfg(not(unix))]
    {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| fail(&path.display().to_string(), e))
    }
}

/// What a backup or restore holds, to tell the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// Tenants in it.
    pub tenants: i64,
    /// Licenses in it.
    pub licenses: i64,
    /// Sessions in it (of every status).
    pub sessions: i64,
}

async fn open_read_only(path: &Path) -> StoreResult<sqlx::SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| fail(&format!("open {}", path.display()), e))
}

/// Checks that `path` is a whole database of this server and counts what it holds.
pub async fn inspect(path: &Path) -> StoreResult<BackupSummary> {
    let mut c = open_read_only(path).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut c)
        .await
        .map_err(|e| fail("integrity check", e))?;
    if check != "ok" {
        return Err(fail(
            &path.display().to_string(),
            format!("integrity check: {check}"),
        ));
    }
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM _sqlx_migrations) AS migrations, \
           (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM licenses) AS licenses, \
           (SELECT count(*) FROM sessions) AS sessions",
    )
    .fetch_one(&mut c)
    .await
    .map_err(|e| fail(&format!("{} is not a CODITECT database", path.display()), e))?;
    let _ = c.close().await;
    let get = |k: &str| row.try_get::<i64, _>(k).map_err(|e| fail(k, e));
    if get("migrations")? == 0 {
        return Err(fail(
            &path.display().to_string(),
            "no migration was ever applied",
        ));
    }
    Ok(BackupSummary {
        tenants: get("tenants")?,
        licenses: get("licenses")?,
        sessions: get("sessions")?,
    })
}

/// Writes a consistent copy of the database at `url` to `out` (which must not exist),
/// readable by its owner only, while servers keep serving.
pub async fn backup(url: &str, out: &Path) -> StoreResult<BackupSummary> {
    if out.exists() {
        return Err(fail(
            &out.display().to_string(),
            "exists already; choose a new file",
        ));
    }
    let opts = SqliteConnectOptions::from_str(url).map_err(|e| fail("bad SQLite URL", e))?;
    let db = opts.get_filename().to_path_buf();
    if !db.exists() {
        return Err(fail(&db.display().to_string(), "no such database"));
    }
    let mut c = open_read_only(&db).await?;
    let target = out
        .to_str()
        .ok_or_else(|| fail("backup path", "not UTF-8"))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut c)
        .await
        .map_err(|e| fail("VACUUM INTO", e))?;
    let _ = c.close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(&out.display().to_string(), e))?;
    }
    inspect(out).await
}

/// Puts the backup `from` in place of the database at `url`, refused while any server has
/// it open. The database it replaces is kept beside it as `<file>.before-restore-<unix>`.
pub async fn restore(from: &Path, url: &str) -> StoreResult<BackupSummary> {
    let summary = inspect(from).await?;
    let opts = SqliteConnectOptions::from_str(url).map_err(|e| fail("bad SQLite URL", e))?;
    let db = opts.get_filename().to_path_buf();
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(&dir.display().to_string(), e))?;
    }
    let lock = lock_file(&db)?;
    lock.try_lock().map_err(|_| {
        fail(
            &db.display().to_string(),
            "is in use by a running server; stop every server on it first",
        )
    })?;
    let tmp = db.with_extension("restore-tmp");
    std::fs::copy(from, &tmp).map_err(|e| fail("copy the backup", e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| fail("sync the copy", e))?;
    if db.exists() {
        let aside = PathBuf::from(format!(
            "{}.before-restore-{}",
            db.display(),
            chrono::Utc::now().timestamp()
        ));
        std::fs::rename(&db, &aside).map_err(|e| fail("keep the old database", e))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", db.display()));
            if side.exists() {
                let kept = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&side, &kept).map_err(|e| fail("keep the old journal", e))?;
            }
        }
    }
    std::fs::rename(&tmp, &db).map_err(|e| fail("put the backup in place", e))?;
    drop(lock);
    Ok(summary)
}
