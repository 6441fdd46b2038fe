//! The waiting line of queued acquires on SQLite, and the denials recorded when a wait or
//! a plain acquire finds no seat. Runs on the seat writer's thread, inside the seat
//! operation's transaction.

use coditect_domain::seats::WAITER_TTL_SECONDS;
use rusqlite::{params, Connection, OptionalExtension};

use crate::prelude::*;
use crate::writer::db_err;

/// Counts queued acquires ahead of `waiter` (all of them for an acquire that does not
/// queue or has no place yet), after dropping this license's abandoned places.
pub(crate) fn places_ahead(
    conn: &Connection,
    license_id: Uuid,
    waiter: Option<Uuid>,
    now: i64,
) -> StoreResult<i64> {
    let q = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> StoreResult<i64> {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.query_row(p, |r| r.get(0)))
            .map_err(db_err)
    };
    conn.prepare_cached("DELETE FROM seat_waiters WHERE license_id = ? AND expires_at <= ?")
        .and_then(|mut s| s.execute(params![license_id, now]))
        .map_err(db_err)?;
    let mine: Option<i64> = match waiter {
        Some(id) => conn
            .prepare_cached("SELECT enqueued_at FROM seat_waiters WHERE id = ?")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(db_err)?,
        None => None,
    };
    match (mine, waiter) {
        (Some(at), Some(id)) => q(
            "SELECT count(*) FROM seat_waiters WHERE license_id = ?1 \
             AND (enqueued_at < ?2 OR (enqueued_at = ?2 AND id < ?3))",
            params![license_id, at, id],
        ),
        _ => q(
            "SELECT count(*) FROM seat_waiters WHERE license_id = ?",
            params![license_id],
        ),
    }
}

/// Takes a place at the back of the queue, or keeps the one `waiter` has (refreshing it).
pub(crate) fn keep_place(
    conn: &Connection,
    license_id: Uuid,
    waiter: Uuid,
    now: i64,
    who: &Requester<'_>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO seat_waiters (id, license_id, enqueued_at, expires_at, hardware_id, \
         user_email) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            waiter,
            license_id,
            now,
            now + WAITER_TTL_SECONDS * 1_000_000,
            who.hardware_id,
            who.user_email,
        ])
    })
    .map_err(db_err)?;
    Ok(())
}

/// Gives up a place in the queue (granted, timed out, or gone).
pub(crate) fn leave_queue(conn: &Connection, waiter: Uuid) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM seat_waiters WHERE id = ?")
        .and_then(|mut s| s.execute([waiter]))
        .map_err(db_err)?;
    Ok(())
}

/// A queued acquire whose wait ran out, for the usage analytics: recorded against the
/// license of its place (nothing when it holds none). Call before `leave_queue`.
pub(crate) fn record_wait_denial(conn: &Connection, waiter: Uuid) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO usage_denials (id, tenant_id, license_id, at, hardware_id, user_email) \
         SELECT ?1, l.tenant_id, l.id, ?2, w.hardware_id, w.user_email FROM seat_waiters w \
         JOIN licenses l ON l.id = w.license_id WHERE w.id = ?3",
    )
    .and_then(|mut s| s.execute(params![Uuid::now_v7(), now_micros(), waiter]))
    .map_err(db_err)?;
    Ok(())
}

/// Who asked for a seat, as a denial records them.
pub(crate) struct Requester<'a> {
    /// The refused installation.
    pub(crate) hardware_id: &'a str,
    /// The e-mail it sent, if any.
    pub(crate) user_email: Option<&'a str>,
}

/// A refused acquire, for the usage analytics: which license, when, and who.
pub(crate) fn record_denial(
    conn: &Connection,
    license: &License,
    now: i64,
    who: &Requester<'_>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO usage_denials (id, tenant_id, license_id, at, hardware_id, user_email) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            Uuid::now_v7(),
            license.tenant_id,
            license.id,
            now,
            who.hardware_id,
            who.user_email
        ])
    })
    .map_err(db_err)?;
    Ok(())
}
