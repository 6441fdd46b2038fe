//! Read connections for the client hot path (`validate`): rusqlite connections used
//! right on the calling task.
//!
//! Why: a validate is one indexed lookup that SQLite answers in microseconds from its
//! page cache; through sqlx it also paid a pool checkout and two thread hand-offs to
//! sqlx's connection worker, which cost more than the query. WAL readers never wait for
//! the writer, so the call does not block on other requests; it is CPU work of the same
//! order as parsing the request's JSON.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use coditect_storage::{LicenseWithUsage, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};

use crate::licenses::LICENSE_SELECT;
use crate::now_micros;
use crate::sql::time;
use crate::sql::Cols;
use crate::writer::{db_err, open};
use coditect_storage::decode;

/// The license lookup by key hash, built once rather than on every validate.
static LICENSE_BY_KEY: LazyLock<String> =
    LazyLock::new(|| format!("{LICENSE_SELECT} WHERE l.key_hash = ?2"));

/// A small set of read-only connections, taken round robin.
#[derive(Debug)]
pub(crate) struct HotReaders {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl HotReaders {
    /// Opens `n` read-only connections on the database file.
    pub(crate) fn open(path: &Path, n: usize) -> StoreResult<Self> {
        let conns = (0..n.max(1))
            .map(|_| open(path, true, 16).map(Mutex::new))
            .collect::<StoreResult<_>>()?;
        Ok(Self {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a free connection (or waits briefly for one when all are busy).
    fn with<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.conns[start % n]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&conn)
    }

    /// The license with this key hash and its live-session count.
    pub(crate) fn license_by_key(&self, key_hash: &str) -> StoreResult<Option<LicenseWithUsage>> {
        let now = now_micros();
        self.with(|conn| {
            conn.prepare_cached(&LICENSE_BY_KEY)
                .and_then(|mut s| {
                    s.query_row(params![now, key_hash], |r| {
                        Ok(decode::license(&Cols(r)).and_then(|license| {
                            Ok(LicenseWithUsage {
                                license,
                                seats_used: r.get("seats_used").map_err(db_err)?,
                                now: time(now),
                            })
                        }))
                    })
                    .optional()
                })
                .map_err(db_err)?
                .transpose()
        })
    }
}
