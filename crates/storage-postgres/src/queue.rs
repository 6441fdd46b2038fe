//! The seat queue on PostgreSQL: acquires waiting for a seat (`wait_seconds`), first come
//! first served per license across every server process on the database. Places are taken,
//! refreshed and counted only inside `coditect_acquire` (migration 0011), after the license
//! row's `FOR UPDATE` lock, and stamped with the database clock read under that lock, so
//! the queue order is the order in which acquires got the lock. Leaving is here.

use crate::prelude::*;

/// Gives up a place whose wait ran out, recording the refusal as a denial of the place's
/// license (only when the place still existed, so it is recorded once). Runs in a
/// system-scoped transaction: a waiter id names no tenant.
pub(crate) async fn leave_denied(conn: &mut PgConnection, waiter: Uuid) -> StoreResult<()> {
    exec(
        conn,
        "WITH gone AS (DELETE FROM seat_waiters WHERE id = $1 \
             RETURNING tenant_id, license_id, hardware_id, user_email) \
         INSERT INTO usage_denials (id, tenant_id, license_id, at, hardware_id, user_email) \
         SELECT $2, tenant_id, license_id, clock_timestamp(), hardware_id, user_email FROM gone",
        (waiter, Uuid::now_v7()),
    )
    .await?;
    Ok(())
}

/// Gives up a place (granted elsewhere, timed out, or gone).
pub(crate) async fn leave(conn: &mut PgConnection, waiter: Uuid) -> StoreResult<()> {
    exec(conn, "DELETE FROM seat_waiters WHERE id = $1", (waiter,)).await?;
    Ok(())
}
