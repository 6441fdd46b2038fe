//! Group commit for a client's seat calls, today the heartbeats (decision 0008). Under
//! load most of a seat call's cost on PostgreSQL is not its decision but what surrounds it:
//! a round trip, a statement's parse/bind/execute, a transaction's start and its commit (a
//! WAL flush). The calls that arrive while earlier ones are in the database wait in a
//! queue; the next free worker takes all of them (up to [`MAX_BATCH`]) and runs the seat
//! function once per call inside one statement: one round trip and one commit for the
//! batch. Each call's decision is the function's, unchanged, and no caller hears its answer
//! before its batch has committed. When nothing is waiting a call goes alone at once: no
//! timer, no added delay on an idle server.
//!
//! A batch runs its calls in one order, by license key and then by call, the same in every
//! batch: the license seat locks are then always taken in ascending key order, and a
//! session's row lock only by a holder of its license's seat lock (or by a release, which
//! waits for nothing after it), so batches cannot deadlock one another. Should a batch
//! still fail in the database (a deadlock it broke, a statement timeout, one call's error),
//! nothing of it committed; each call is then run on its own. If the database is out of
//! reach, every caller gets that error at once instead of being tried one after another.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::prelude::*;

/// Calls one batch carries at most: enough to amortize a commit over the 64 connections of
/// a busy server, few enough that a batch's locks are held a few milliseconds at most.
pub(crate) const MAX_BATCH: usize = 64;

/// Calls queued before a caller waits for room (back-pressure, not a limit the client sees:
/// the HTTP layer's rate limits come first).
const QUEUE_DEPTH: usize = 4096;

/// Workers of one kind of call for a pool of `pool_size` connections: a quarter of it
/// (1–8), so a batched kind leaves the rest of the pool to acquires, releases and the
/// dashboard, and the database runs a few long batches rather than many short transactions.
pub(crate) fn workers_for(pool_size: u32) -> usize {
    (pool_size as usize / 4).clamp(1, 8)
}

/// A seat call that can run in a batch.
#[async_trait]
pub(crate) trait Batched: Send + Sync + Sized + 'static {
    /// Where the call goes in a batch's order: its license key, then what tells the calls of
    /// one license apart.
    fn order(&self) -> (&str, Uuid);
    /// The call in a statement of its own: the seat function's row.
    async fn alone(&self, pool: &PgPool) -> Result<PgRow, sqlx::Error>;
    /// The calls in one statement, in the slice's order: one row each, its position in the
    /// slice in the column `i` (int4).
    async fn together(calls: &[&Self], pool: &PgPool) -> Result<Vec<PgRow>, sqlx::Error>;
}

/// A call waiting for its batch, and where its row goes.
struct Pending<C> {
    call: C,
    answer: oneshot::Sender<StoreResult<PgRow>>,
}

/// The queue one kind of call joins, and the workers that drain it; the workers stop when
/// the last store handle holding it is dropped.
pub(crate) struct Batcher<C: Batched> {
    queue: mpsc::Sender<Pending<C>>,
}

impl<C: Batched> std::fmt::Debug for Batcher<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("queued", &(QUEUE_DEPTH - self.queue.capacity()))
            .finish()
    }
}

impl<C: Batched> Batcher<C> {
    /// Starts `workers` workers on the pool (on the current tokio runtime); each runs one
    /// batch at a time, so at most `workers` connections serve this kind of call at once.
    pub(crate) fn start(pool: PgPool, workers: usize) -> Arc<Self> {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..workers.max(1) {
            tokio::spawn(work(pool.clone(), rx.clone()));
        }
        Arc::new(Self { queue })
    }

    /// Runs the call in the next batch: its row, once that batch has committed.
    pub(crate) async fn call(&self, call: C) -> StoreResult<PgRow> {
        let (answer, answered) = oneshot::channel();
        if self.queue.send(Pending { call, answer }).await.is_err() {
            return Err(stopped());
        }
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the seat call queue has stopped".into())
}

/// A worker: takes whatever is waiting (at least one), runs it as one batch, answers each.
async fn work<C: Batched>(pool: PgPool, rx: Arc<Mutex<mpsc::Receiver<Pending<C>>>>) {
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

async fn run<C: Batched>(pool: &PgPool, mut batch: Vec<Pending<C>>) {
    if batch.len() == 1 {
        let p = batch.pop().expect("one call");
        let answer = p.call.alone(pool).await.map_err(err);
        let _ = p.answer.send(answer);
        return;
    }
    batch.sort_by(|a, b| a.call.order().cmp(&b.call.order()));
    match together(pool, &batch).await {
        Ok(rows) => {
            for (p, row) in batch.into_iter().zip(rows) {
                let _ = p.answer.send(Ok(row));
            }
        }
        Err(Failed {
            error,
            retry_alone: true,
        }) => {
            tracing::debug!(%error, size = batch.len(), "a batch of seat calls failed; running each alone");
            for p in batch {
                let answer = p.call.alone(pool).await.map_err(err);
                let _ = p.answer.send(answer);
            }
        }
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

/// The batch's rows in the batch's order.
async fn together<C: Batched>(pool: &PgPool, batch: &[Pending<C>]) -> Result<Vec<PgRow>, Failed> {
    let calls: Vec<&C> = batch.iter().map(|p| &p.call).collect();
    let rows = C::together(&calls, pool).await?;
    let mut slots: Vec<Option<PgRow>> = (0..batch.len()).map(|_| None).collect();
    for row in rows {
        let i: i32 = row.try_get("i").map_err(err)?;
        match slots.get_mut(i as usize) {
            Some(slot @ None) => *slot = Some(row),
            _ => {
                return Err(internal(format!(
                    "a batch of {} answered position {i}",
                    batch.len()
                )))
            }
        }
    }
    slots
        .into_iter()
        .map(|s| {
            s.ok_or_else(|| internal(format!("a batch of {} left a call unanswered", batch.len())))
        })
        .collect()
}

/// A batch's statement answered in a shape it never should (it committed; running each
/// alone again is safe, as after any failure).
fn internal(message: String) -> Failed {
    Failed {
        error: StoreError::Internal(message),
        retry_alone: true,
    }
}

/// Why a batch has no answers, and whether its calls may each be tried alone: yes when the
/// statement failed in the database, no when the database could not be reached or refuses
/// all writes (a standby not yet promoted), where each alone would fail as slowly again.
struct Failed {
    error: StoreError,
    retry_alone: bool,
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        Failed {
            retry_alone: !coditect_storage::sql::database_unreachable(&e),
            error: err(e),
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

/// The same error for each call of a failed batch (`StoreError` is not `Clone`; what reaches
/// here is a connection's or the driver's, `Unavailable` or `Internal`).
fn copy_of(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => StoreError::Internal(other.to_string()),
    }
}
