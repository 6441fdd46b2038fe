//! Group commit for heartbeats. Under load most of a heartbeat's cost on PostgreSQL is not
//! its decision but what surrounds it: a round trip, a statement's parse/bind/execute, a
//! transaction's start and its commit (a WAL flush). The heartbeats that arrive while
//! earlier ones are in the database wait in a queue; the next free worker takes all of
//! them (up to [`MAX_BATCH`]) and runs `coditect_heartbeat` once per heartbeat inside one
//! statement: one round trip and one commit for the batch. Each heartbeat's decision is
//! the function's, unchanged, and no client hears "ok" before its extension is committed.
//! When nothing is waiting a heartbeat goes alone, so an idle server adds no delay.
//!
//! Order inside a batch is by key, then session, the same in every batch: the license seat
//! locks (shared) and session row locks it takes are then taken in one order, and an
//! acquire holds at most one license's lock, so batches cannot deadlock each other or an
//! acquire. Should a batch still fail (a deadlock the database broke, a statement
//! timeout), nothing of it committed; each of its heartbeats is then run on its own, which
//! is safe because a heartbeat only ever extends a session that is live at its own clock.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::prelude::*;
use crate::seats::{heartbeat_answer, HEARTBEAT};

/// Heartbeats one batch carries at most: enough to amortize a commit over the 64
/// connections of a busy server, few enough that a batch's locks are held a few
/// milliseconds at most.
pub(crate) const MAX_BATCH: usize = 64;

/// Heartbeats queued before a caller waits for room (back-pressure, not a limit the client
/// sees: the HTTP layer's rate limits come first).
const QUEUE_DEPTH: usize = 4096;

/// Workers for a pool of `pool_size` connections: a quarter of it (1–8), so heartbeats
/// leave the rest to acquires, releases and the dashboard, and the database runs a few
/// long batches rather than many short transactions.
pub(crate) fn workers_for(pool_size: u32) -> usize {
    (pool_size as usize / 4).clamp(1, 8)
}

/// One batch over every heartbeat given: the function per `(key, session)` pair, in the
/// arrays' order, and each answer with its position.
const HEARTBEAT_BATCH: &str = concat!(
    "SELECT b.i, o.outcome, o.seats_used, o.db_now, (o.session).*, ",
    crate::seats::license_as_l!(),
    " FROM unnest($1::text[], $2::uuid[], $3::int4[]) AS b(k, s, i) \
     CROSS JOIN LATERAL coditect_heartbeat(b.k, b.s) o"
);

/// A heartbeat waiting for its batch, and where its answer goes.
struct Pending {
    key_hash: String,
    session_id: Uuid,
    answer: oneshot::Sender<StoreResult<HeartbeatOutcome>>,
}

/// The queue heartbeats join and the workers that drain it; the workers stop when the
/// last store handle holding it is dropped.
#[derive(Debug)]
pub(crate) struct HeartbeatBatcher {
    queue: mpsc::Sender<Pending>,
}

impl HeartbeatBatcher {
    /// Starts `workers` workers on the pool (on the current tokio runtime); each runs one
    /// batch at a time, so at most `workers` connections serve heartbeats at once.
    pub(crate) fn start(pool: PgPool, workers: usize) -> Arc<Self> {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..workers.max(1) {
            tokio::spawn(work(pool.clone(), rx.clone()));
        }
        Arc::new(Self { queue })
    }

    /// Runs one heartbeat in the next batch and answers when that batch has committed.
    pub(crate) async fn heartbeat(
        &self,
        key_hash: &str,
        session_id: Uuid,
    ) -> StoreResult<HeartbeatOutcome> {
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            key_hash: key_hash.to_owned(),
            session_id,
            answer,
        };
        if self.queue.send(pending).await.is_err() {
            return Err(stopped());
        }
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the heartbeat queue has stopped".into())
}

/// A worker: takes whatever is waiting (at least one), runs it as one batch, answers each.
async fn work(pool: PgPool, rx: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        run(&pool, batch).await;
    }
}

async fn run(pool: &PgPool, mut batch: Vec<Pending>) {
    if batch.len() == 1 {
        let p = batch.pop().expect("one heartbeat");
        let answer = alone(pool, &p.key_hash, p.session_id).await;
        let _ = p.answer.send(answer);
        return;
    }
    batch.sort_by(|a, b| (&a.key_hash, a.session_id).cmp(&(&b.key_hash, b.session_id)));
    match together(pool, &batch).await {
        Ok(answers) => {
            for (p, answer) in batch.into_iter().zip(answers) {
                let _ = p.answer.send(answer);
            }
        }
        Err(Failed {
            error,
            retry_alone: true,
        }) => {
            tracing::debug!(%error, size = batch.len(), "a heartbeat batch failed; running each alone");
            for p in batch {
                let answer = alone(pool, &p.key_hash, p.session_id).await;
                let _ = p.answer.send(answer);
            }
        }
        // The database is out of reach: each alone would wait as long again, in turn.
        Err(Failed {
            error,
            retry_alone: false,
        }) => {
            for p in batch {
                let _ = p.answer.send(Err(copy_of(&error)));
            }
        }
    }
}

/// Why a batch has no answers, and whether its heartbeats may each be tried alone: yes
/// when the statement failed in the database (a deadlock it broke, a timeout, one
/// heartbeat's error), no when the database could not be reached or refuses all writes.
struct Failed {
    error: StoreError,
    retry_alone: bool,
}

/// The same error for each heartbeat of a failed batch (`StoreError` is not `Clone`; what
/// reaches here is a connection's or the driver's, `Unavailable` or `Internal`).
fn copy_of(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => StoreError::Internal(other.to_string()),
    }
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        let retry_alone = match &e {
            sqlx::Error::Database(d) => !d.code().is_some_and(|c| {
                c.starts_with("08") || c.starts_with("57P") || c == "25006" || c == "53300"
            }),
            _ => false,
        };
        Failed {
            error: err(e),
            retry_alone,
        }
    }
}

impl From<StoreError> for Failed {
    fn from(error: StoreError) -> Self {
        Failed {
            error,
            retry_alone: true,
        }
    }
}

/// One heartbeat in a statement of its own.
async fn alone(pool: &PgPool, key_hash: &str, session_id: Uuid) -> StoreResult<HeartbeatOutcome> {
    let row = one(pool, HEARTBEAT, (key_hash, session_id)).await?;
    heartbeat_answer(&row)
}

/// The batch in one statement; the answers in the batch's order. The outer error is the
/// statement's (nothing committed); an inner one is that heartbeat's own answer.
async fn together(
    pool: &PgPool,
    batch: &[Pending],
) -> Result<Vec<StoreResult<HeartbeatOutcome>>, Failed> {
    let keys: Vec<&str> = batch.iter().map(|p| p.key_hash.as_str()).collect();
    let sessions: Vec<Uuid> = batch.iter().map(|p| p.session_id).collect();
    let positions: Vec<i32> = (0..batch.len() as i32).collect();
    let rows = sqlx::query(HEARTBEAT_BATCH)
        .bind(keys)
        .bind(sessions)
        .bind(positions)
        .fetch_all(pool)
        .await?;
    if rows.len() != batch.len() {
        return Err(StoreError::Internal(format!(
            "a batch of {} heartbeats answered {} rows",
            batch.len(),
            rows.len()
        ))
        .into());
    }
    let mut answers: Vec<Option<StoreResult<HeartbeatOutcome>>> =
        (0..batch.len()).map(|_| None).collect();
    for row in &rows {
        let i: i32 = row.try_get("i").map_err(err)?;
        let slot = answers.get_mut(i as usize).ok_or_else(|| {
            StoreError::Internal(format!("a heartbeat batch answered position {i}"))
        })?;
        *slot = Some(heartbeat_answer(row));
    }
    let answers: StoreResult<Vec<_>> = answers
        .into_iter()
        .map(|a| a.ok_or_else(|| StoreError::Internal("a heartbeat batch skipped one".into())))
        .collect();
    Ok(answers?)
}
