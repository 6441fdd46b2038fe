//! WAL checkpoints on their own thread.
//!
//! Why: by default the connection whose commit pushes the WAL past 1,000 pages copies
//! the WAL into the database file and fsyncs it, inside that commit. That connection is
//! the seat writer, so every few hundred seat operations one batch paid a checkpoint
//! (a large share of the writer's time, and the tail latency of everyone queued behind
//! it). The seat writer therefore runs with `wal_autocheckpoint = 0` and this thread
//! runs passive checkpoints, which never take the write lock and never block readers.
//!
//! A passive checkpoint from another connection rarely finishes while the writer keeps
//! appending, and SQLite only rewinds the WAL to its start when a write transaction
//! begins after a finished one: on its own this thread let the WAL grow without bound
//! under a steady load (3.4 GB while a benchmark took 200,000 seats, and every page
//! lookup slows as the WAL index grows). So the seat writer also runs a passive
//! checkpoint itself every [`WRITER_CHECKPOINT_EVERY`], between two batches: with no
//! writer appending it finishes, and it has little left to copy because this thread
//! already did the copying; the next batch then starts the WAL afresh.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use coditect_storage::{StoreError, StoreResult};

use crate::writer::open;

/// How often the WAL is copied back into the database file. Short enough that the WAL
/// stays small under a sustained load, long enough that a hot page is copied once per
/// interval rather than once per commit.
const INTERVAL: Duration = Duration::from_millis(100);

/// How often the seat writer finishes a checkpoint itself, so the WAL is rewound.
pub(crate) const WRITER_CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Runs a passive checkpoint (a busy checkpoint elsewhere makes it a no-op).
pub(crate) fn passive(conn: &rusqlite::Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint failed");
    }
}

/// Stops the checkpoint thread when dropped (after one last checkpoint).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(crate) fn start(path: &Path) -> StoreResult<Self> {
        let conn = open(path, false, 1)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || loop {
                let last = matches!(
                    stopped.recv_timeout(INTERVAL),
                    Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
                );
                passive(&conn);
                if last {
                    return;
                }
            })
            .map_err(|e| StoreError::Internal(format!("start the checkpointer: {e}")))?;
        Ok(Self { _stop: stop })
    }
}
