//! The seat writer: one OS thread that owns a rusqlite connection and runs every seat
//! operation (acquire, heartbeat, release, forced release, reaping) with group commit.
//!
//! Why: through sqlx every statement is a round trip to sqlx's own worker thread, and a
//! heartbeat needs six of them plus a commit, so the single write lock was held mostly
//! while threads woke each other up. Here an operation is one closure run on the thread
//! that holds the database; the thread takes every operation that is waiting (up to
//! [`MAX_BATCH`]) into one `BEGIN IMMEDIATE` transaction, each inside its own savepoint,
//! commits once, and only then answers each caller. So an answer is never sent for a
//! write that is not committed (kill -9 safe), and one failing operation rolls back only
//! its own savepoint.
//!
//! The sqlx writer connection (admin and account writes) and this thread take turns
//! through [`WriteGate`], a fair lock, so neither starves the other in this process;
//! other processes on the same file are serialized by SQLite's own lock and busy timeout.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coditect_storage::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, Mutex, OwnedMutexGuard};

use crate::checkpoint::{self, WRITER_CHECKPOINT_EVERY};

/// At most this many operations share one transaction: bounds the time the write lock is
/// held (and so the latency an admin write can see) under a flood of seat operations.
pub(crate) const MAX_BATCH: usize = 256;

/// The in-process write lock shared by the seat thread and the sqlx writer connection.
/// `tokio::sync::Mutex` queues waiters first come first served.
pub(crate) type WriteGate = Arc<Mutex<()>>;

/// A held turn at writing; dropped when the write is over.
pub(crate) type WriteTurn = OwnedMutexGuard<()>;

/// What the thread calls after the commit: delivers the operation's result, or the
/// commit's error.
type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// One operation: runs inside the batch's transaction (or, given `None`, is refused
/// unrun because no transaction could be opened) and returns its completion.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;

/// Handle to the seat thread. The thread ends when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct SeatWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

/// Maps a rusqlite error onto the storage error the HTTP layer understands.
pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

/// Opens a connection with the settings the sqlx pools use (WAL was set when the file
/// was created and migrated) and a page cache of at most `cache_mib` MiB: generous for
/// the writer, small for the many readers, so the total stays bounded (the size
/// benchmark holds a million sessions well under 1 GiB).
pub(crate) fn open(path: &Path, read_only: bool, cache_mib: u32) -> StoreResult<Connection> {
    use rusqlite::OpenFlags;
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(db_err)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(db_err)?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -{}; PRAGMA temp_store = memory;",
        cache_mib * 1024
    ))
    .map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SeatWriter {
    /// Opens the writer connection on `path` and starts the thread.
    pub(crate) fn start(path: &Path, gate: WriteGate) -> StoreResult<Self> {
        let conn = open(path, false, 64)?;
        // Checkpoints run on their own thread (see `checkpoint.rs`).
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(db_err)?;
        let (jobs, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sqlite-seats".into())
            .spawn(move || run(conn, rx, gate))
            .map_err(|e| StoreError::Internal(format!("start the seat writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// Runs `op` in the next batch and answers once that batch is committed. A business
    /// refusal (`Err` that is not a database failure) keeps the operation's writes: a
    /// refused acquire still records its denial and its queue place.
    pub(crate) async fn run<T, F>(&self, op: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |conn: Option<&Connection>| {
            let out = match conn {
                Some(conn) => in_savepoint(conn, op),
                None => Err(StoreError::Unavailable("no write transaction".into())),
            };
            Box::new(move |committed: StoreResult<()>| {
                let _ = tx.send(committed.and(out));
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the seat writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the seat writer has stopped".into()))?
    }
}

/// Runs one operation inside its own savepoint; a database failure or a panic rolls back
/// just this operation.
fn in_savepoint<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    let step = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(db_err)
    };
    step("SAVEPOINT seat_op")?;
    let out = match catch_unwind(AssertUnwindSafe(|| op(conn))) {
        Ok(out) => out,
        Err(_) => Err(StoreError::Internal("seat operation panicked".into())),
    };
    if matches!(
        out,
        Err(StoreError::Internal(_)) | Err(StoreError::Unavailable(_))
    ) {
        step("ROLLBACK TO seat_op")?;
    }
    step("RELEASE seat_op")?;
    out
}

/// The thread's loop: wait for work, take the gate, run a batch, commit, answer.
fn run(conn: Connection, mut rx: mpsc::UnboundedReceiver<Job>, gate: WriteGate) {
    let mut checkpointed = std::time::Instant::now();
    while let Some(first) = rx.blocking_recv() {
        let _turn = gate.blocking_lock();
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err) {
            // Locked by another process past the busy timeout: refuse this one unrun;
            // the next waiting operation tries again.
            first(None)(Err(e));
            continue;
        }
        let mut done: Vec<Completion> = Vec::with_capacity(16);
        done.push(first(Some(&conn)));
        while done.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => done.push(job(Some(&conn))),
                Err(_) => break,
            }
        }
        let committed = conn.execute_batch("COMMIT").map_err(db_err);
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        tracing::trace!(batch = done.len(), "seat batch committed");
        for complete in done {
            complete(match &committed {
                Ok(()) => Ok(()),
                Err(StoreError::Unavailable(m)) => Err(StoreError::Unavailable(m.clone())),
                Err(e) => Err(StoreError::Internal(e.to_string())),
            });
        }
        // Answers are out; now and then finish a checkpoint so the next batch rewinds
        // the WAL (see `checkpoint.rs`).
        if checkpointed.elapsed() >= WRITER_CHECKPOINT_EVERY {
            checkpoint::passive(&conn);
            checkpointed = std::time::Instant::now();
        }
    }
}
