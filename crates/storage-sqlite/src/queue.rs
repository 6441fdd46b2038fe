//! The seat queue on SQLite: acquires waiting for a seat (`wait_seconds`), first come first
//! served per license. Every function runs inside the acquire's `BEGIN IMMEDIATE`
//! transaction, so places are taken and counted under the same write lock as the seats.

use coditect_domain::seats::WAITER_TTL_SECONDS;
use coditect_storage::StoreResult;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use crate::err;

/// Drops this license's abandoned places, then counts the places ahead of `waiter`: all
/// of them for an acquire that does not queue or has no place yet.
pub(crate) async fn places_ahead(
    conn: &mut SqliteConnection,
    license_id: Uuid,
    waiter: Option<Uuid>,
    now: i64,
) -> StoreResult<i64> {
    sqlx::query("DELETE FROM seat_waiters WHERE license_id = ? AND expires_at <= ?")
        .bind(license_id)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let mine = match waiter {
        Some(id) => sqlx::query("SELECT enqueued_at FROM seat_waiters WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(err)?
            .map(|r| r.try_get::<i64, _>("enqueued_at").map(|at| (at, id)))
            .transpose()
            .map_err(err)?,
        None => None,
    };
    let n: i64 = match mine {
        Some((at, id)) => sqlx::query_scalar(
            "SELECT count(*) FROM seat_waiters WHERE license_id = ?1 \
             AND (enqueued_at < ?2 OR (enqueued_at = ?2 AND id < ?3))",
        )
        .bind(license_id)
        .bind(at)
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?,
        None => sqlx::query_scalar("SELECT count(*) FROM seat_waiters WHERE license_id = ?")
            .bind(license_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?,
    };
    Ok(n)
}

/// Takes a place at the back of the queue, or keeps the one `waiter` has (refreshing it).
pub(crate) async fn keep_place(
    conn: &mut SqliteConnection,
    license_id: Uuid,
    waiter: Uuid,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO seat_waiters (id, license_id, enqueued_at, expires_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at",
    )
    .bind(waiter)
    .bind(license_id)
    .bind(now)
    .bind(now + WAITER_TTL_SECONDS * 1_000_000)
    .execute(conn)
    .await
    .map_err(err)?;
    Ok(())
}

/// Gives up a place (granted, timed out, or gone).
pub(crate) async fn leave(conn: &mut SqliteConnection, waiter: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM seat_waiters WHERE id = ?")
        .bind(waiter)
        .execute(conn)
        .await
        .map_err(err)?;
    Ok(())
}
