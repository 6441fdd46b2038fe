//! The seat queue on PostgreSQL: acquires waiting for a seat (`wait_seconds`), first come
//! first served per license across every server process on the database. Places are taken,
//! refreshed and counted only inside the acquire transaction, after the license row's
//! `FOR UPDATE` lock, and stamped with the database clock read under that lock, so the
//! queue order is the order in which acquires got the lock.

use coditect_domain::seats::WAITER_TTL_SECONDS;

use crate::prelude::*;

/// Drops this license's abandoned places, then counts the places ahead of `waiter`: all
/// of them for an acquire that does not queue or has no place yet.
pub(crate) async fn places_ahead(
    conn: &mut PgConnection,
    license_id: Uuid,
    waiter: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    exec(
        &mut *conn,
        "DELETE FROM seat_waiters WHERE license_id = $1 AND expires_at <= $2",
        (license_id, now),
    )
    .await?;
    let mine: Option<DateTime<Utc>> = match waiter {
        Some(id) => opt(
            &mut *conn,
            "SELECT enqueued_at FROM seat_waiters WHERE id = $1",
            (id,),
        )
        .await?
        .map(|r| r.try_get("enqueued_at"))
        .transpose()
        .map_err(err)?,
        None => None,
    };
    let n: i64 = match (mine, waiter) {
        (Some(at), Some(id)) => {
            scalar(
                &mut *conn,
                "SELECT count(*) FROM seat_waiters WHERE license_id = $1 \
             AND (enqueued_at, id) < ($2, $3)",
                (license_id, at, id),
            )
            .await?
        }
        _ => {
            scalar(
                &mut *conn,
                "SELECT count(*) FROM seat_waiters WHERE license_id = $1",
                (license_id,),
            )
            .await?
        }
    };
    Ok(n)
}

/// Takes a place at the back of the queue, or keeps the one `waiter` has (refreshing it).
pub(crate) async fn keep_place(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    license_id: Uuid,
    waiter: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO seat_waiters (id, tenant_id, license_id, enqueued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at",
        (
            waiter,
            tenant_id,
            license_id,
            now,
            now + Duration::seconds(WAITER_TTL_SECONDS),
        ),
    )
    .await?;
    Ok(())
}

/// Gives up a place (granted, timed out, or gone).
/// Gives up a place whose wait ran out, recording the refusal as a denial of the place's
/// license (only when the place still existed, so it is recorded once). Runs in a
/// system-scoped transaction: a waiter id names no tenant.
pub(crate) async fn leave_denied(conn: &mut PgConnection, waiter: Uuid) -> StoreResult<()> {
    exec(
        conn,
        "WITH gone AS (DELETE FROM seat_waiters WHERE id = $1 RETURNING tenant_id, license_id) \
         INSERT INTO usage_denials (id, tenant_id, license_id, at) \
         SELECT $2, tenant_id, license_id, clock_timestamp() FROM gone",
        (waiter, Uuid::now_v7()),
    )
    .await?;
    Ok(())
}

pub(crate) async fn leave(conn: &mut PgConnection, waiter: Uuid) -> StoreResult<()> {
    exec(conn, "DELETE FROM seat_waiters WHERE id = $1", (waiter,)).await?;
    Ok(())
}
